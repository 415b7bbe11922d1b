"""A loaded model: calibrated risk, the discharge flag and the reasons, for a validated batch of visits."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from chestpain.features import TableSpec, uci_spec, validate_uci, validate_visits, visit_spec
from chestpain.kernel.errors import TriageError
from chestpain.models._calibration import Calibration
from chestpain.models._estimators import FittedEstimator
from chestpain.models._persistence import load_estimator
from chestpain.models._reasons import column_matrix, fold_peak_into_higher_sample, reasons_text
from chestpain.models._thresholds import apply_thresholds

FLAG_TEXT = "not safe to discharge on this model: possible MI"
LOW_RISK_TEXT = "low risk"


@dataclass
class Explanation:
    """Log-odds contributions per input column (they sum with ``bias`` to the raw score)."""

    columns: list[str]
    contributions: np.ndarray  # (n, n_columns)
    bias: np.ndarray
    raw: np.ndarray
    risk: np.ndarray


@dataclass
class TriageModel:
    """A trained, calibrated, thresholded model with its manifest."""

    estimator: FittedEstimator
    calibration: Calibration
    manifest: dict[str, Any]
    path: Path | None = None
    _columns: tuple[list[str], np.ndarray] | None = field(default=None, repr=False)

    @classmethod
    def load(cls, model_dir: str | os.PathLike[str]) -> TriageModel:
        """Load a verified model directory (hashes checked, no pickles)."""
        estimator, calibration, manifest = load_estimator(model_dir)
        return cls(estimator, calibration, manifest, Path(model_dir))

    @property
    def thresholds(self) -> dict[str, float]:
        return {k: float(v) for k, v in self.manifest["thresholds"].items()}

    @property
    def explanation_reference(self) -> np.ndarray | None:
        """The reference patient contributions are measured from (models trained before issue 14 have none)."""
        reference = self.manifest.get("explanation", {}).get("reference")
        if reference is None:
            return None
        reference = np.asarray(reference, dtype=np.float64)
        if reference.shape != (len(self.estimator.feature_names),) or not np.isfinite(reference).all():
            raise TriageError(f"{self.path}: manifest explanation.reference must hold one finite value per feature")
        return reference

    @property
    def dataset(self) -> str:
        return self.manifest["feature_config"]["dataset"]

    @property
    def symptom_source(self) -> str:
        return self.manifest["feature_config"]["symptom_source"]

    @property
    def label(self) -> str:
        return self.manifest["label"]

    @property
    def table_spec(self) -> TableSpec:
        """The input rules this model was trained on (streaming validation needs them without a frame)."""
        return uci_spec() if self.dataset == "uci" else visit_spec(self.symptom_source)

    def validate(self, frame: pd.DataFrame, source: str = "input") -> pd.DataFrame:
        """Validate raw input with the features schema this model was trained on."""
        if self.dataset == "uci":
            return validate_uci(frame, source=source)
        return validate_visits(frame, symptom_source=self.symptom_source, source=source)

    def risk(self, features: pd.DataFrame) -> np.ndarray:
        """Calibrated probability of the label for validated features."""
        return self.calibration.apply(self.estimator.raw_score(features))

    def flag(self, features: pd.DataFrame, risk: np.ndarray) -> np.ndarray:
        """True means 'not safe to discharge on this model: possible MI'."""
        return apply_thresholds(risk, features["sex"], self.thresholds)

    def explain(self, features: pd.DataFrame) -> Explanation:
        """Contributions per clinical input (baseline Shapley or linear terms; peak folded into the higher sample)."""
        if self._columns is None:
            self._columns = column_matrix(self.estimator.preprocessor)
        columns, matrix = self._columns
        transformed = self.estimator.transform(features)
        contribs, bias = self.estimator.contributions(transformed, self.explanation_reference)
        # Risk comes from the exact margin, not the float32 sum of contributions: near an isotonic knot a 1e-5
        # difference would otherwise move the calibrated risk (and the flag) between predict and explain.
        raw = self.estimator.raw_score(features, transformed)
        columns, by_column = fold_peak_into_higher_sample(features, columns, contribs @ matrix)
        return Explanation(columns, by_column, bias, raw, self.calibration.apply(raw))

    def predict_features(self, features: pd.DataFrame, *, with_reasons: bool = True) -> pd.DataFrame:
        """``patient_id, risk, flag, reasons`` for validated features, in input order."""
        if with_reasons:
            explanation = self.explain(features)
            risk = explanation.risk
            reasons = reasons_text(features, explanation.contributions, explanation.columns)
        else:
            risk = self.risk(features)
            reasons = pd.Series(pd.NA, index=features.index, dtype="string")
        return pd.DataFrame(
            {
                "patient_id": features["patient_id"].to_numpy(),
                "risk": risk,
                "flag": self.flag(features, risk),
                "reasons": reasons.to_numpy(),
            }
        )

    def predict(self, frame: pd.DataFrame, source: str = "input", *, with_reasons: bool = True) -> pd.DataFrame:
        """Validate raw input, then score it."""
        return self.predict_features(self.validate(frame, source=source), with_reasons=with_reasons)
