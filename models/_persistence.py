"""The model directory: ``manifest.json`` plus non-executable model files, each hashed in the manifest.

* XGBoost: ``model.ubj`` (the booster's own binary JSON). Logistic: ``model.skops``.
* The 30-day MACE question (issue 25), when trained: ``model_mace_30d.ubj`` / ``.skops`` on the same features.
* The fitted feature pipeline: ``preprocessor.skops``. Calibration and thresholds: numbers in the manifest.

Loading never unpickles. It checks the manifest's own hash and validates every field of it
(:mod:`models._manifest`), checks every listed file's sha256 against the manifest (a tampered file is refused),
refuses pickle files outright (by name and by content), and opens skops files only when every type they contain
is on an explicit allow-list of scikit-learn and numpy types. Writing is atomic per directory
(:mod:`models._output_dir`).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import skops.io as sio
import xgboost as xgb

from chestpain.kernel.errors import TriageError
from chestpain.kernel.io import PARTIAL_TAKEN
from chestpain.models._calibration import Calibration
from chestpain.models._estimators import FittedEstimator
from chestpain.models._manifest import (
    FORMAT_VERSION,
    MANIFEST,
    MANIFEST_HASH,
    check_manifest_hash,
    hash_line,
    manifest_digest,
    validate_manifest,
)
from chestpain.models._output_dir import output_lock, partial_path, switch_directory

PICKLE_SUFFIXES = (".pkl", ".pickle", ".joblib", ".pt", ".sav")
# Every type a saved model may contain; a skops file holding any other type is refused, even one skops itself
# would trust by default (a model directory should only ever hold these).
TRUSTED_TYPES = [
    "builtins.dict",
    "builtins.list",
    "builtins.str",
    "builtins.tuple",
    "builtins.int",
    "builtins.float",
    "builtins.bool",
    "builtins.NoneType",
    "builtins.slice",
    "numpy.log1p",
    "numpy.ufunc",
    "numpy.dtype",
    "numpy.float64",
    "numpy.int64",
    "numpy.ndarray",
    "sklearn.compose._column_transformer.ColumnTransformer",
    "sklearn.impute._base.SimpleImputer",
    "sklearn.impute._base.MissingIndicator",
    "sklearn.pipeline.Pipeline",
    "sklearn.preprocessing._encoders.OneHotEncoder",
    "sklearn.preprocessing._function_transformer.FunctionTransformer",
    "sklearn.preprocessing._data.StandardScaler",
    "sklearn.linear_model._logistic.LogisticRegression",
    "chestpain.features._pipeline.ClinicalFeature",  # models-v2: the clinical troponin/ECG features (stateless, ours)
]

REFUSE_PICKLE = "{path}: refusing to load a pickle file; models are stored as xgboost UBJ/JSON or skops"
HASH_MISMATCH = "{path}: sha256 does not match the manifest; the file was changed after training, refusing to load"
UNTRUSTED = "{path}: contains types that are not on the allow-list ({types}); refusing to load"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True)
class MaceModel:
    """The second question's fitted estimator (same preprocessor as the MI model), calibration and thresholds."""

    estimator: FittedEstimator
    calibration: Calibration
    thresholds: dict[str, float]
    target_sensitivity: float
    label: str = "mace_30d"


def _write_estimator(estimator: FittedEstimator, directory: Path, stem: str) -> str:
    if estimator.kind == "xgboost":
        estimator.xgb_model.get_booster().save_model(directory / f"{stem}.ubj")
        return f"{stem}.ubj"
    sio.dump(estimator.linear, directory / f"{stem}.skops")
    return f"{stem}.skops"


def save_model_dir(
    estimator: FittedEstimator,
    calibration: Calibration,
    thresholds: dict[str, float],
    manifest: dict[str, Any],
    out_dir: str | os.PathLike[str],
    *,
    add: Callable[[Path], None] | None = None,
    mace: MaceModel | None = None,
) -> str:
    """Write the whole model directory beside ``out_dir``, check it loads, then switch it into place.

    ``add(directory)`` writes further unhashed files (the plots) into the new directory before the switch, so a
    killed run leaves the old directory complete, never a new one without its plots. Returns the manifest's
    sha256 (also written to ``manifest.json.sha256``), which the MLflow logging checks the directory against.
    """
    out_dir = Path(out_dir)
    with output_lock(out_dir):
        tmp = partial_path(out_dir)
        shutil.rmtree(tmp, ignore_errors=True)  # our own leftover (this pid); never follows a link
        try:
            tmp.mkdir()  # exclusive: a file or link planted at this name refuses the run, it is never written through
        except FileExistsError:
            raise TriageError(PARTIAL_TAKEN.format(out=out_dir, partial=tmp.name)) from None
        try:
            sio.dump(estimator.preprocessor, tmp / "preprocessor.skops")
            model_file = _write_estimator(estimator, tmp, "model")
            files = ["preprocessor.skops", model_file]
            # Every manifest has the key (null without the 30-day question), whichever engine wrote it.
            manifest = {**manifest, "mace": None}
            if mace is not None:
                mace_file = _write_estimator(mace.estimator, tmp, f"model_{mace.label}")
                files.append(mace_file)
                manifest = {
                    **manifest,
                    "mace": {
                        "label": mace.label,
                        "model_file": mace_file,
                        "calibration": mace.calibration.to_dict(),
                        "thresholds": mace.thresholds,
                        "target_sensitivity": mace.target_sensitivity,
                    },
                }
            full = {
                **manifest,
                "format_version": FORMAT_VERSION,
                "model_kind": estimator.kind,
                "model_file": model_file,
                "calibration": calibration.to_dict(),
                "thresholds": thresholds,
                "files": {name: sha256_file(tmp / name) for name in files},
            }
            raw = (json.dumps(full, indent=2, sort_keys=True, default=float) + "\n").encode()
            (tmp / MANIFEST).write_bytes(raw)
            digest = manifest_digest(raw)
            (tmp / MANIFEST_HASH).write_text(hash_line(digest), encoding="ascii")
            read_manifest(tmp)  # a trainer never writes a directory the loader would refuse
            if add is not None:
                add(tmp)
            switch_directory(tmp, out_dir)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return digest


def read_manifest(model_dir: Path) -> dict[str, Any]:
    """The manifest as a dict, after checking its hash file and validating every field (:mod:`models._manifest`)."""
    path = model_dir / MANIFEST
    if not path.is_file() or path.is_symlink():
        raise TriageError(f"{model_dir}: not a model directory (no {MANIFEST}); train one with `chestpain train`")
    raw = path.read_bytes()
    try:
        data = json.loads(raw.decode("utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise TriageError(f"{path}: not valid JSON") from None
    check_manifest_hash(model_dir, raw)
    validate_manifest(data, path)
    return data


def _verified(model_dir: Path, manifest: dict[str, Any], name: str) -> Path:
    path = model_dir / name
    if path.suffix.lower() in PICKLE_SUFFIXES:
        raise TriageError(REFUSE_PICKLE.format(path=path))
    expected = manifest["files"].get(name)
    if expected is None or not path.is_file():
        raise TriageError(f"{path}: missing or not listed in the manifest")
    if path.is_symlink() and path.resolve().parent != model_dir.resolve():
        raise TriageError(f"{path}: a link to a file outside the model directory; refusing to load")
    if sha256_file(path) != expected:
        raise TriageError(HASH_MISMATCH.format(path=path))
    if _looks_like_pickle(path):
        raise TriageError(REFUSE_PICKLE.format(path=path))
    return path


def _looks_like_pickle(path: Path) -> bool:
    """Pickle protocol 2-5 starts with 0x80 and the protocol byte; UBJ, JSON and skops (zip) files never do."""
    with path.open("rb") as handle:
        head = handle.read(2)
    return len(head) == 2 and head[0] == 0x80 and 2 <= head[1] <= 5


def skops_types(path: Path) -> set[str]:
    """Every ``module.Class`` named in a skops file's schema (read as JSON, nothing is constructed)."""
    found: set[str] = set()

    def visit(node: Any) -> None:
        if isinstance(node, dict):
            if "__class__" in node and "__module__" in node:
                found.add(f"{node['__module__']}.{node['__class__']}")
            for value in node.values():
                visit(value)
        elif isinstance(node, list):
            for value in node:
                visit(value)

    try:
        with zipfile.ZipFile(path) as archive:
            visit(json.loads(archive.read("schema.json")))
    except (zipfile.BadZipFile, KeyError, json.JSONDecodeError):
        raise TriageError(f"{path}: not a skops file") from None
    return found


def _load_skops(path: Path) -> Any:
    listed = skops_types(path) | set(sio.get_untrusted_types(file=path))
    untrusted = sorted(t for t in listed if t not in TRUSTED_TYPES)
    if untrusted:
        raise TriageError(UNTRUSTED.format(path=path, types=", ".join(untrusted)))
    return sio.load(path, trusted=TRUSTED_TYPES)


def _read_estimator(model_dir: Path, manifest: dict[str, Any], name: str, preprocessor: Any) -> FittedEstimator:
    model_path = _verified(model_dir, manifest, name)
    if manifest["model_kind"] == "xgboost":
        model = xgb.XGBClassifier()
        try:
            model.load_model(model_path)
        except xgb.core.XGBoostError:
            raise TriageError(f"{model_path}: not an XGBoost model file; refusing to load") from None
        return FittedEstimator("xgboost", preprocessor, xgb_model=model)
    return FittedEstimator("logistic", preprocessor, linear=_load_skops(model_path))


def load_estimator(model_dir: str | os.PathLike[str]) -> tuple[FittedEstimator, Calibration, dict[str, Any]]:
    """Load and verify a model directory's estimator, calibration and manifest."""
    model_dir = Path(model_dir)
    for path in model_dir.iterdir() if model_dir.is_dir() else ():
        if path.suffix.lower() in PICKLE_SUFFIXES:
            raise TriageError(REFUSE_PICKLE.format(path=path))
    manifest = read_manifest(model_dir)
    preprocessor = _load_skops(_verified(model_dir, manifest, "preprocessor.skops"))
    estimator = _read_estimator(model_dir, manifest, manifest["model_file"], preprocessor)
    return estimator, Calibration.from_dict(manifest["calibration"]), manifest


def load_mace(model_dir: str | os.PathLike[str], manifest: dict[str, Any], preprocessor: Any) -> MaceModel | None:
    """The 30-day MACE question of a verified model directory (``None`` when it was not trained)."""
    head = manifest.get("mace")
    if head is None:
        return None
    estimator = _read_estimator(Path(model_dir), manifest, head["model_file"], preprocessor)
    return MaceModel(
        estimator,
        Calibration.from_dict(head["calibration"]),
        {k: float(v) for k, v in head["thresholds"].items()},
        float(head["target_sensitivity"]),
        head["label"],
    )
