"""The schema of ``manifest.json``, in one place, and the check of the manifest's own hash.

Loading a model trusts nothing in the manifest before this module has validated it: a threshold of 1.0 (no
patient flagged), a zeroed calibration (every risk ~0) or a ``model_file`` of ``../other/model.ubj`` (another
model loaded) is refused with one line naming the field, never used and never a traceback.

Extending the schema
--------------------
Add a field to :class:`Manifest` with its rule. Fields the schema does not know are kept as they are
(``extra="allow"``) so a manifest written by a newer trainer (say, one with a new threshold-rule field) still
loads; but nothing in the loading code reads an unvalidated field, so a field that matters for scoring must be
added here before it is used. Free-form parts (``metrics``, ``baselines``, ``train_config``) are plain dicts:
they are reported, never used to score.

The manifest's hash
-------------------
``manifest.json.sha256`` beside the manifest holds ``sha256sum`` output for it (``sha256sum -c`` checks it by
hand); the same digest is logged with the MLflow run (param ``manifest_sha256``) and on the registered version
(tag ``manifest_sha256``). The file beside catches a manifest edited by hand or half-written; the digest in the
registry is the anchor against a deliberate rewrite of both files, and ``models:/`` references are checked
against it (:func:`models._tracking.resolve_model_dir`).
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from chestpain.features import FeatureConfig
from chestpain.features.columns import SEXES
from chestpain.kernel.errors import TriageError

MANIFEST = "manifest.json"
MANIFEST_HASH = "manifest.json.sha256"
FORMAT_VERSION = 2
#: A file name the manifest may list: one plain name inside the model directory (no path separators, no ``..``).
PLAIN_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
MODEL_FILE_SUFFIXES = {"xgboost": (".ubj", ".json"), "logistic": (".skops",)}
ECHO_CHARS = 60

BAD_FIELD = "{path}: field {field}: {problem}; refusing to load (retrain with `chestpain train`)"
HASH_MISSING = "{path}: no {name} beside the manifest; refusing to load a manifest whose hash cannot be checked"
HASH_MISMATCH = "{path}: sha256 does not match {name}; the manifest was changed after training, refusing to load"
OLD_FORMAT = "{path}: model format {version} is not supported (this version reads format {current}); retrain"

Probability = Annotated[float, Field(strict=True, gt=0.0, lt=1.0, allow_inf_nan=False)]
Unit = Annotated[float, Field(strict=True, ge=0.0, le=1.0, allow_inf_nan=False)]
Finite = Annotated[float, Field(strict=True, allow_inf_nan=False)]
Sha256 = Annotated[str, Field(strict=True, pattern=r"^[0-9a-f]{64}$")]


def _plain_name(name: str) -> str:
    if not PLAIN_NAME.match(name) or name in {".", ".."}:
        raise ValueError("must be a plain file name inside the model directory (no '/', '\\', '..' or leading dot)")
    return name


def _both_sexes(value: dict[str, float]) -> dict[str, float]:
    if set(value) != set(SEXES):
        raise ValueError(f"must give one value for each of {', '.join(SEXES)}")
    return value


#: A model file name (plain, inside the model directory) and one threshold per sex: the MI and the 30-day rules.
PlainName = Annotated[str, AfterValidator(_plain_name)]
SexThresholds = Annotated[dict[Literal["female", "male"], Probability], AfterValidator(_both_sexes)]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class IsotonicCalibration(_Frozen):
    """Isotonic knots: raw score ``x`` (non-decreasing, finite) to probability ``y`` (non-decreasing, in [0, 1])."""

    method: Literal["isotonic"]
    x: list[Finite] = Field(min_length=2)
    y: list[Unit] = Field(min_length=2)

    @model_validator(mode="after")
    def _well_formed(self) -> IsotonicCalibration:
        if len(self.x) != len(self.y):
            raise ValueError(f"x has {len(self.x)} knots but y has {len(self.y)}")
        if any(b < a for a, b in zip(self.x, self.x[1:], strict=False)):
            raise ValueError("x must be non-decreasing")
        if any(b < a for a, b in zip(self.y, self.y[1:], strict=False)):
            raise ValueError("y must be non-decreasing (risk cannot fall as the score rises)")
        if self.y[-1] <= self.y[0]:
            # A constant map gives every patient the same risk: the threshold flags everyone or no one.
            raise ValueError("y is constant, so every patient would get the same risk")
        return self


class SigmoidCalibration(_Frozen):
    """Platt scaling ``risk = 1 / (1 + exp(a * raw + b))``; ``a < 0`` so risk rises with the raw score."""

    method: Literal["sigmoid"]
    a: Finite
    b: Finite

    @field_validator("a")
    @classmethod
    def _increasing(cls, value: float) -> float:
        if not value < 0:
            raise ValueError("must be negative (risk must rise with the model's score)")
        return value


class Explanation(BaseModel):
    """The reference patient explanations are measured from (issue 14): one finite value per output feature."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)
    method: Literal["baseline_shapley"]
    reference: list[Finite] = Field(min_length=1)


class ThresholdSelection(BaseModel):
    """How the per-sex thresholds were chosen (issue 14): the rule and what it saw; extra details are kept."""

    model_config = ConfigDict(extra="allow", frozen=True, strict=True)
    rule: Literal["cross_fit", "calibration_split"]
    target_sensitivity: Probability
    confidence: Annotated[float, Field(strict=True, ge=0.0, lt=1.0, allow_inf_nan=False)]  # 0: point estimate


class GroupRule(BaseModel):
    """One guaranteed group's MI threshold (issue 25, ``models._guarantees``); extra details are kept."""

    model_config = ConfigDict(extra="allow", frozen=True, strict=True)
    group: str = Field(pattern=r"^(female|male)&(<55|>=55)$|^onset<=3h$|^no 1h sample$")
    threshold: Probability
    n_positive: Annotated[int, Field(strict=True, ge=1)]
    guaranteed: bool


class MaceHead(BaseModel):
    """The 30-day MACE question (issue 25): its model file, calibration and per-sex thresholds."""

    model_config = ConfigDict(extra="allow", frozen=True, strict=True)
    label: Literal["mace_30d"]
    model_file: PlainName
    calibration: IsotonicCalibration | SigmoidCalibration = Field(discriminator="method")
    thresholds: SexThresholds
    target_sensitivity: Probability


class Manifest(BaseModel):
    """Every field that loading and scoring read, with its rule; unknown fields are kept (see module docstring)."""

    model_config = ConfigDict(extra="allow", frozen=True, strict=True)

    format_version: Literal[2]
    name: str = Field(min_length=1, max_length=200)
    label: str = Field(min_length=1, max_length=100)
    model_kind: Literal["xgboost", "logistic"]
    model_file: PlainName
    files: dict[str, Sha256]
    features: list[str] = Field(min_length=1)
    feature_config: dict[str, Any]
    calibration: IsotonicCalibration | SigmoidCalibration = Field(discriminator="method")
    thresholds: SexThresholds
    threshold_target_sensitivity: Probability
    training_data_sha256: Sha256
    metrics: dict[str, Any]
    baselines: dict[str, Any] = Field(default_factory=dict)
    package_versions: dict[str, str] = Field(default_factory=dict)
    threshold_selection: ThresholdSelection | None = None
    monotone_features: list[str] = Field(default_factory=list)
    explanation: Explanation | None = None
    threshold_groups: list[GroupRule] = Field(default_factory=list)
    mace: MaceHead | None = None

    @field_validator("files")
    @classmethod
    def _file_names(cls, value: dict[str, str]) -> dict[str, str]:
        for name in value:
            _plain_name(name)
        return value

    @field_validator("feature_config")
    @classmethod
    def _feature_config(cls, value: dict[str, Any]) -> dict[str, Any]:
        FeatureConfig.model_validate(value)  # the training config's own rules, so the two cannot drift apart
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Manifest:
        if self.model_file not in self.files:
            raise ValueError(f"model_file {self.model_file!r} has no hash in files")
        if "preprocessor.skops" not in self.files:
            raise ValueError("files must list preprocessor.skops")
        for name in (self.model_file, *([self.mace.model_file] if self.mace else [])):
            if not name.endswith(MODEL_FILE_SUFFIXES[self.model_kind]):
                allowed = " or ".join(MODEL_FILE_SUFFIXES[self.model_kind])
                raise ValueError(f"a {self.model_kind} model_file must end in {allowed}")
        if self.mace is not None and self.mace.model_file not in self.files:
            raise ValueError(f"mace.model_file {self.mace.model_file!r} has no hash in files")
        return self


def _where(location: tuple[int | str, ...]) -> str:
    # Pydantic names union branches and dict keys in the location; keep field names and keys only.
    parts = [str(part) for part in location if part not in {"isotonic", "sigmoid"}]
    return ".".join(parts) or "(the whole manifest)"


def _echo(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= ECHO_CHARS else text[: ECHO_CHARS - 3] + "..."


def validate_manifest(data: Any, path: Path) -> Manifest:
    """The validated manifest, or one :class:`TriageError` line naming the first bad field (and how many more)."""
    if isinstance(data, dict) and data.get("format_version") != FORMAT_VERSION:
        version = data.get("format_version")
        shown = version if isinstance(version, int) and not isinstance(version, bool) else _echo(version)
        raise TriageError(OLD_FORMAT.format(path=path, version=shown, current=FORMAT_VERSION))
    try:
        return Manifest.model_validate(data)
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        message = first["msg"].removeprefix("Value error, ")
        if first["type"] == "model_type" or not isinstance(data, dict):
            message = f"must be a JSON object, not {type(data).__name__}"
        elif "input" in first and first["type"] not in {"missing"} and not isinstance(first["input"], dict | list):
            message = f"{message} (got {_echo(first['input'])})"
        more = error.error_count() - 1
        problem = message + (f" (and {more} more problem{'s' if more > 1 else ''})" if more else "")
        raise TriageError(BAD_FIELD.format(path=path, field=_where(first["loc"]), problem=problem)) from None


def manifest_digest(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def hash_line(digest: str) -> str:
    """``sha256sum`` format, so ``sha256sum -c manifest.json.sha256`` checks the manifest by hand."""
    return f"{digest}  {MANIFEST}\n"


def check_manifest_hash(model_dir: Path, raw: bytes) -> str:
    """The manifest's sha256, after checking it against ``manifest.json.sha256`` beside it."""
    side = model_dir / MANIFEST_HASH
    path = model_dir / MANIFEST
    if not side.is_file():
        raise TriageError(HASH_MISSING.format(path=path, name=MANIFEST_HASH))
    digest = manifest_digest(raw)
    recorded = side.read_text(encoding="ascii", errors="replace").split(maxsplit=1)[:1]
    if recorded != [digest]:
        raise TriageError(HASH_MISMATCH.format(path=path, name=MANIFEST_HASH))
    return digest
