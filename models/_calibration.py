"""Calibration of raw log-odds on the calibration split, stored as plain numbers.

Fitting uses scikit-learn's ``CalibratedClassifierCV`` around a ``FrozenEstimator`` (so the model is not
refitted). What it learns is then kept as JSON numbers: the isotonic step function's knots, or the sigmoid's
two parameters, so a saved model never needs a pickled calibrator. ``tests/models/test_calibration.py`` checks
that applying the stored numbers reproduces ``CalibratedClassifierCV.predict_proba`` exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import expit
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.frozen import FrozenEstimator

TIE_BREAK = 1e-6


class _ScoreColumn(ClassifierMixin, BaseEstimator):
    """A 'classifier' whose decision function is a precomputed score column (what gets calibrated)."""

    def fit(self, x: np.ndarray, y: np.ndarray) -> _ScoreColumn:
        self.classes_ = np.array([False, True])
        return self

    def decision_function(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(x, dtype=np.float64).ravel()

    def predict(self, x: np.ndarray) -> np.ndarray:
        return self.decision_function(x) > 0


@dataclass(frozen=True)
class Calibration:
    """A fitted map from raw log-odds to calibrated P(label)."""

    method: str
    x: tuple[float, ...] = ()
    y: tuple[float, ...] = ()
    a: float = 0.0
    b: float = 0.0

    def apply(self, raw: np.ndarray) -> np.ndarray:
        """Calibrated probability for each raw score.

        Isotonic calibration is a step function: whole plateaus of patients share one probability, so a
        threshold would have to flag or clear a plateau at once and the ranking (AUROC) would gain ties. A
        strictly increasing term of at most ``TIE_BREAK`` keeps the raw score's order; the calibration error it
        adds is below ``TIE_BREAK`` everywhere.
        """
        raw = np.asarray(raw, dtype=np.float64)
        if self.method == "isotonic":
            stepped = np.interp(raw, np.asarray(self.x), np.asarray(self.y))
            return (1.0 - TIE_BREAK) * stepped + TIE_BREAK * expit(raw)
        return expit(-(self.a * raw + self.b))

    def to_dict(self) -> dict[str, object]:
        if self.method == "isotonic":
            return {"method": "isotonic", "x": list(self.x), "y": list(self.y)}
        return {"method": "sigmoid", "a": self.a, "b": self.b}

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> Calibration:
        if data["method"] == "isotonic":
            return cls("isotonic", x=tuple(map(float, data["x"])), y=tuple(map(float, data["y"])))
        return cls("sigmoid", a=float(data["a"]), b=float(data["b"]))


def fit_calibration(raw: np.ndarray, y: np.ndarray, method: str) -> tuple[Calibration, CalibratedClassifierCV]:
    """Fit ``CalibratedClassifierCV(FrozenEstimator(...), method=method)`` and extract its numbers."""
    scores = np.asarray(raw, dtype=np.float64).reshape(-1, 1)
    frozen = FrozenEstimator(_ScoreColumn().fit(scores, y))
    calibrated = CalibratedClassifierCV(frozen, method=method).fit(scores, y)
    fitted = calibrated.calibrated_classifiers_[0].calibrators[0]
    if method == "isotonic":
        calibration = Calibration("isotonic", x=tuple(fitted.X_thresholds_), y=tuple(fitted.y_thresholds_))
    else:
        calibration = Calibration("sigmoid", a=float(fitted.a_), b=float(fitted.b_))
    return calibration, calibrated
