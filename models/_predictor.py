"""A loaded model: calibrated risk, the discharge flag and the reasons, for a validated batch of visits."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from chestpain.features import ONE_HOUR_DRAWN, TableSpec, uci_spec, validate_table, visit_spec
from chestpain.kernel.errors import TriageError
from chestpain.models._calibration import Calibration
from chestpain.models._confirmed import confirmed_reasons
from chestpain.models._estimators import FittedEstimator
from chestpain.models._guarantees import DecisionRules, flag_reason
from chestpain.models._next_step import next_steps
from chestpain.models._persistence import MaceModel, load_estimator, load_mace
from chestpain.models._reasons import (
    COURSE_GROUP,
    PEAK_GROUP,
    column_matrix,
    first_sample_is_higher,
    fold_peak_into_higher_sample,
    no_later_sample,
    reasons_text,
)

FLAG_TEXT = "not safe to discharge on this model: possible MI"
FLAG_MACE_TEXT = "not safe to discharge on this model: high 30-day risk (death, MI or urgent revascularisation)"
LOW_RISK_TEXT = "low risk"
#: ``chestpain predict``'s columns, in order (DESIGN.md; ``reasons_mace_30d`` is the second question's reasons).
PREDICT_COLUMNS = (
    "patient_id",
    "risk",
    "risk_mace_30d",
    "flag",
    "flag_reason",
    "next_step",
    "reasons",
    "reasons_mace_30d",
)


@dataclass
class Explanation:
    """Log-odds contributions per input column (they sum with ``bias`` to the raw score)."""

    columns: list[str]
    contributions: np.ndarray  # (n, n_columns)
    bias: np.ndarray
    raw: np.ndarray
    risk: np.ndarray
    #: (n, n_columns): the input's own what-if agrees with its contribution (``models._confirmed``).
    confirmed: np.ndarray | None = None


def _peak_owners(
    features: pd.DataFrame, columns: list[str], folded: list[str], matrix: np.ndarray
) -> list[tuple[np.ndarray, dict[int, np.ndarray]]] | None:
    """Features folded into a sample and, per sample input, the patients it owns them for (folded index).

    The peak's always, the course's where no later sample was drawn, as ``fold_peak_into_higher_sample`` folds them.
    """
    from chestpain.features.columns import TROPONIN_COLUMNS

    t0_name, t1_name = TROPONIN_COLUMNS
    if PEAK_GROUP not in columns or not {t0_name, t1_name} <= set(folded):
        return None
    first_is_higher = first_sample_is_higher(features)
    owners = {folded.index(t0_name): first_is_higher, folded.index(t1_name): ~first_is_higher}
    shared = [(matrix[:, columns.index(PEAK_GROUP)] > 0, owners)]
    if COURSE_GROUP in columns:
        rows = no_later_sample(features)
        shared.append((matrix[:, columns.index(COURSE_GROUP)] > 0, {j: owned & rows for j, owned in owners.items()}))
    return shared


@dataclass
class TriageModel:
    """A trained, calibrated, thresholded model with its manifest."""

    estimator: FittedEstimator
    calibration: Calibration
    manifest: dict[str, Any]
    path: Path | None = None
    mace: MaceModel | None = None
    _columns: tuple[list[str], np.ndarray] | None = field(default=None, repr=False)

    @classmethod
    def load(cls, model_dir: str | os.PathLike[str]) -> TriageModel:
        """Load a verified model directory (hashes checked, no pickles)."""
        estimator, calibration, manifest = load_estimator(model_dir)
        mace = load_mace(model_dir, manifest, estimator.preprocessor)
        return cls(estimator, calibration, manifest, Path(model_dir), mace)

    @property
    def thresholds(self) -> dict[str, float]:
        """The MI threshold of each sex (guaranteed groups may lower a patient's: :attr:`rules`)."""
        return {k: float(v) for k, v in self.manifest["thresholds"].items()}

    @property
    def rules(self) -> DecisionRules:
        """The whole discharge rule: MI thresholds by sex and by guaranteed group, MACE thresholds by sex."""
        groups = tuple(dict(rule) for rule in self.manifest.get("threshold_groups", []))
        return DecisionRules(self.thresholds, groups, self.mace.thresholds if self.mace is not None else None)

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
        if self.dataset == "uci":
            return uci_spec()
        # A model trained before the 1 h sample became optional has no "1 h drawn" feature: it needs the sample.
        # One trained without the 1 h input at all (features.exclude) reads no 1 h sample and needs none.
        reads_1h = "troponin_1h_ng_l" not in self.manifest["feature_config"].get("exclude", [])
        return visit_spec(self.symptom_source, needs_1h=reads_1h and ONE_HOUR_DRAWN not in self.estimator.feature_names)

    def validate(self, frame: pd.DataFrame, source: str = "input") -> pd.DataFrame:
        """Validate raw input with the features schema this model was trained on."""
        return validate_table(frame, self.table_spec, source=source)

    def risk(self, features: pd.DataFrame) -> np.ndarray:
        """Calibrated probability of the label for validated features."""
        return self.calibration.apply(self.estimator.raw_score(features))

    def risk_mace(self, features: pd.DataFrame, transformed: np.ndarray | None = None) -> np.ndarray | None:
        """Calibrated P(death, MI or urgent revascularisation within 30 days); ``None`` without that question.

        ``transformed``: the features through the shared preprocessor, when the caller has them already.
        """
        if self.mace is None:
            return None
        return self.mace.calibration.apply(self.mace.estimator.raw_score(features, transformed))

    def flags(
        self, features: pd.DataFrame, risk: np.ndarray, risk_mace: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """The MI flag (guaranteed groups included) and the 30-day MACE flag, separately."""
        rules = self.rules
        if risk_mace is None and self.mace is not None:
            risk_mace = self.risk_mace(features)
        return rules.mi_flag(features, risk), rules.mace_flag(features, risk_mace)

    def flag(self, features: pd.DataFrame, risk: np.ndarray, risk_mace: np.ndarray | None = None) -> np.ndarray:
        """True means 'not safe to discharge on this model': either question is flagged."""
        mi_flag, mace_flag = self.flags(features, risk, risk_mace)
        return mi_flag | mace_flag

    def explain(
        self, features: pd.DataFrame, *, question: str = "mi", transformed: np.ndarray | None = None
    ) -> Explanation:
        """Contributions per clinical input (baseline Shapley or linear terms; peak folded into the higher sample).

        ``question="mace_30d"`` explains the 30-day MACE risk with the same reference patient. Both questions share
        one fitted preprocessor, so a caller explaining both passes its ``transformed`` features to each.
        """
        if question == "mi":
            estimator, calibration = self.estimator, self.calibration
        elif self.mace is not None and question == self.mace.label:
            estimator, calibration = self.mace.estimator, self.mace.calibration
        else:
            raise TriageError(f"this model does not answer the question {question!r}")
        if self._columns is None:
            self._columns = column_matrix(self.estimator.preprocessor)
        columns, matrix = self._columns
        if transformed is None:
            transformed = estimator.transform(features)
        contribs, bias = estimator.contributions(transformed, self.explanation_reference)
        # Risk comes from the exact margin, not the float32 sum of contributions: near an isotonic knot a 1e-5
        # difference would otherwise move the calibrated risk (and the flag) between predict and explain.
        raw = estimator.raw_score(features, transformed)
        folded, by_column = fold_peak_into_higher_sample(features, columns, contribs @ matrix)
        risk = calibration.apply(raw)
        confirmed = confirmed_reasons(
            estimator,
            calibration,
            transformed,
            self.explanation_reference,
            risk,
            by_column,
            [matrix[:, columns.index(name)] > 0 for name in folded],
            _peak_owners(features, columns, folded, matrix),
        )
        return Explanation(folded, by_column, bias, raw, risk, confirmed)

    def predict_features(self, features: pd.DataFrame, *, with_reasons: bool = True) -> pd.DataFrame:
        """``patient_id, risk, risk_mace_30d, flag, flag_reason, next_step, reasons, reasons_mace_30d``, input order.

        ``risk_mace_30d`` and ``reasons_mace_30d`` are missing for a model without the 30-day question, and
        ``next_step`` for a UCI model (the ESC pathway it follows needs troponin and onset).
        """
        missing = pd.Series(pd.NA, index=features.index, dtype="string")
        reasons = reasons_mace = missing
        transformed = self.estimator.transform(features)  # once: both questions share the preprocessor
        if with_reasons:
            explanation = self.explain(features, transformed=transformed)
            risk = explanation.risk
            reasons = reasons_text(features, explanation.contributions, explanation.columns, explanation.confirmed)
        else:
            risk = self.calibration.apply(self.estimator.raw_score(features, transformed))
        risk_mace = None
        if self.mace is not None:
            if with_reasons:
                explained = self.explain(features, question=self.mace.label, transformed=transformed)
                risk_mace = explained.risk
                reasons_mace = reasons_text(features, explained.contributions, explained.columns, explained.confirmed)
            else:
                risk_mace = self.risk_mace(features, transformed)
        mi_flag, mace_flag = self.flags(features, risk, risk_mace)
        return pd.DataFrame(
            {
                "patient_id": features["patient_id"].to_numpy(),
                "risk": risk,
                "risk_mace_30d": risk_mace if risk_mace is not None else np.full(len(features), np.nan),
                "flag": mi_flag | mace_flag,
                "flag_reason": flag_reason(mi_flag, mace_flag),
                "next_step": (
                    next_steps(features, mi_flag, mace_flag)
                    if self.dataset == "cohort"
                    else np.full(len(features), None, dtype=object)
                ),
                "reasons": reasons.to_numpy(),
                "reasons_mace_30d": reasons_mace.to_numpy(),
            }
        )

    def predict(self, frame: pd.DataFrame, source: str = "input", *, with_reasons: bool = True) -> pd.DataFrame:
        """Validate raw input, then score it."""
        return self.predict_features(self.validate(frame, source=source), with_reasons=with_reasons)
