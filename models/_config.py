"""Training configs (``configs/train/*.yaml``), validated by pydantic: unknown keys are errors."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from chestpain.features import FeatureConfig
from chestpain.kernel.config import StrictModel

Label = Literal["mi", "diagnosed_mi", "cad"]


class ModelSpec(StrictModel):
    """Which estimator and its hyper-parameters (passed to XGBClassifier or LogisticRegression).

    ``monotone`` (default true): risk may never fall when a troponin value, the 1 h change, ECG severity or a
    typical symptom increases (``features._pipeline.monotone_features``): XGBoost ``monotone_constraints``, a
    sign-constrained fit for logistic regression. ``false`` is the unconstrained model, for comparison only.
    """

    kind: Literal["xgboost", "logistic"]
    params: dict[str, Any] = Field(default_factory=dict)
    early_stopping_rounds: Annotated[int, Field(ge=1)] = 40
    monotone: bool = True


class SplitSpec(StrictModel):
    """Stratified (label x sex) train / calibration / test split, by seed."""

    calibration_fraction: Annotated[float, Field(gt=0, lt=1)] = 0.4
    test_fraction: Annotated[float, Field(gt=0, lt=1)] = 0.3
    early_stopping_fraction: Annotated[float, Field(gt=0, lt=1)] = 0.15
    seed: Annotated[int, Field(ge=0)] = 0

    @model_validator(mode="after")
    def _leaves_training_rows(self) -> SplitSpec:
        if self.calibration_fraction + self.test_fraction >= 0.9:
            raise ValueError("calibration_fraction + test_fraction must leave at least 10% for training")
        return self


class CalibrationSpec(StrictModel):
    """Post-hoc calibration on the calibration split (CalibratedClassifierCV with a frozen estimator)."""

    method: Literal["isotonic", "sigmoid"] = "isotonic"


class ThresholdSpec(StrictModel):
    """The discharge-flag threshold: sensitivity for the label at least ``target_sensitivity`` in every sex.

    The 1st percentile of risk among a few thousand positives moves by a few tenths of a point between samples
    (binomial SD of the sensitivity at 99% with 2,000 positives is 0.22 points), so by default the threshold is
    the highest one whose one-sided ``confidence`` lower bound of sensitivity on the calibration split reaches
    the target (0 uses the point estimate).
    """

    target_sensitivity: Annotated[float, Field(gt=0.5, lt=1)] = 0.99
    confidence: Annotated[float, Field(ge=0, lt=1)] = 0.975
    per_sex: bool = False
    #: ``cross_fit``: thresholds (and calibration) from out-of-fold predictions of all non-test rows, each fold
    #: scored by a model that did not see it, so the bound uses every MI; the shipped model is then refitted on
    #: all of them. ``calibration_split``: the earlier rule, thresholds on the calibration split alone.
    rule: Literal["cross_fit", "calibration_split"] = "cross_fit"
    folds: Annotated[int, Field(ge=2, le=20)] = 5
    #: Groups besides each sex whose sensitivity must reach the target too (issue 25, ``models._guarantees``):
    #: ``sex_age`` (sex x age band < 55 / >= 55), ``early`` (onset <= 3 h), ``pathway`` (no 1 h sample: 0/2 h
    #: and 0/3 h sites). Each patient is flagged at the lowest threshold of any group they belong to.
    groups: tuple[Literal["sex_age", "early", "pathway"], ...] = ()


class MaceSpec(StrictModel):
    """The second question (issue 25): death, MI or urgent revascularisation within 30 days.

    A second estimator on the same features and the same rules (cross-fitting, calibration), with its own
    sensitivity target in each sex; the discharge flag is raised when either question is flagged.
    """

    label: Literal["mace_30d"] = "mace_30d"
    target_sensitivity: Annotated[float, Field(gt=0.5, lt=1)] = 0.98


class TrackingSpec(StrictModel):
    """MLflow experiment and registry names."""

    enabled: bool = True
    experiment: str = "chest-pain-triage"
    registered_model: str | None = "chest-pain-triage"
    #: The alias a version passing the promotion gates gets (``champion``); any other alias skips the gates.
    alias: str = "champion"

    @field_validator("alias")
    @classmethod
    def _not_reserved(cls, value: str) -> str:
        # MLflow keeps "latest" for the newest version and refuses to set it (after the whole training run).
        if value.strip().lower() == "latest" or not value.strip():
            raise ValueError(f"alias {value!r} is reserved by MLflow; use e.g. champion or staging")
        return value


class PromotionSpec(StrictModel):
    """When a new version may take the ``champion`` alias (``models._promotion``; README "Promotion")."""

    #: Rows of the shared validation cohort (simulated from a reserved seed); more rows, tighter comparison.
    validation_rows: Annotated[int, Field(ge=2_000)] = 40_000
    #: How much lower (absolute) the new rule-out at the target sensitivity may be than the champion's.
    ranking_margin: Annotated[float, Field(ge=0, lt=1)] = 0.02


class TrainConfig(StrictModel):
    """A whole training run."""

    name: str
    label: Label = "mi"
    evaluation_label: Label | None = None
    model: ModelSpec
    features: FeatureConfig = FeatureConfig()
    split: SplitSpec = SplitSpec()
    calibration: CalibrationSpec = CalibrationSpec()
    threshold: ThresholdSpec = ThresholdSpec()
    #: The 30-day MACE question; ``null`` trains the MI question alone (UCI, or data without ``mace_30d``).
    mace: MaceSpec | None = None
    tracking: TrackingSpec = TrackingSpec()
    promotion: PromotionSpec = PromotionSpec()
    n_boot: Annotated[int, Field(ge=0)] = 0

    @model_validator(mode="after")
    def _label_fits_dataset(self) -> TrainConfig:
        uci = self.features.dataset == "uci"
        if uci != (self.label == "cad"):
            raise ValueError("label 'cad' goes with features.dataset 'uci', and only with it")
        if uci and (self.mace is not None or self.threshold.groups):
            raise ValueError(
                "the UCI table has no 30-day outcomes or onset times; use mace: null and threshold.groups: []"
            )
        return self
