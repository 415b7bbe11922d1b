"""Stored calibration numbers reproduce scikit-learn; thresholds reach their sensitivity targets."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from chestpain.kernel.errors import TriageError
from chestpain.models._calibration import TIE_BREAK, Calibration, fit_calibration
from chestpain.models._thresholds import apply_thresholds, choose_thresholds, threshold_for_sensitivity


@pytest.fixture
def scores():
    rng = np.random.default_rng(5)
    y = rng.random(20_000) < 0.1
    raw = rng.normal(np.where(y, 1.5, -1.5), 1.0)
    return raw, y


@pytest.mark.parametrize("method", ["isotonic", "sigmoid"])
def test_stored_numbers_reproduce_calibrated_classifier(scores, method):
    raw, y = scores
    calibration, sklearn_model = fit_calibration(raw, y, method)
    expected = sklearn_model.predict_proba(raw.reshape(-1, 1))[:, 1]
    # Isotonic: equal up to the documented tie-break term (< TIE_BREAK); sigmoid: equal to float precision.
    tolerance = TIE_BREAK if method == "isotonic" else 1e-12
    np.testing.assert_allclose(calibration.apply(raw), expected, atol=tolerance)
    assert Calibration.from_dict(calibration.to_dict()) == calibration


def test_isotonic_keeps_the_raw_order(scores):
    raw, y = scores
    calibration, _ = fit_calibration(raw, y, "isotonic")
    order = np.argsort(raw)
    assert (np.diff(calibration.apply(raw)[order]) > 0).all()


def test_calibration_is_calibrated(scores):
    raw, y = scores
    calibration, _ = fit_calibration(raw, y, "isotonic")
    risk = calibration.apply(raw)
    # On its own fitting data isotonic regression matches the observed rate in every decile to float precision.
    deciles = pd.qcut(risk, 10, labels=False, duplicates="drop")
    frame = pd.DataFrame({"risk": risk, "y": y, "d": deciles}).groupby("d").mean()
    assert np.abs(frame.risk - frame.y).max() < 0.01


def test_threshold_point_estimate_is_exact():
    risk = np.arange(1, 101) / 100
    positive = np.ones(100, bool)
    # 99% of 100 positives flagged -> one may be missed -> the threshold is the second-lowest score.
    assert threshold_for_sensitivity(risk, positive, 0.99) == 0.02


def test_lower_bound_threshold_is_more_conservative(scores):
    raw, y = scores
    point = threshold_for_sensitivity(raw, y, 0.99)
    bounded = threshold_for_sensitivity(raw, y, 0.99, confidence=0.95)
    assert bounded < point
    sensitivity = (raw[y] >= bounded).mean()
    assert sensitivity > 0.99


def test_too_few_positives_for_the_bound_is_an_error():
    with pytest.raises(TriageError, match="only 50 positive cases"):
        threshold_for_sensitivity(np.linspace(0, 1, 50), np.ones(50, bool), 0.99, confidence=0.95)


def test_global_threshold_reaches_target_in_each_sex(scores):
    raw, y = scores
    sex = pd.Series(np.where(np.arange(len(y)) % 3 == 0, "female", "male"))
    thresholds = choose_thresholds(raw, y, sex, target=0.99, per_sex=False)
    assert thresholds["female"] == thresholds["male"]
    flag = apply_thresholds(raw, sex, thresholds)
    for group in ("female", "male"):
        rows = (sex == group).to_numpy() & y
        assert flag[rows].mean() >= 0.99


def test_unknown_sex_cannot_be_thresholded():
    with pytest.raises(TriageError, match="sex must be female or male"):
        apply_thresholds(np.array([0.5]), pd.Series(["other"]), {"female": 0.1, "male": 0.1})
