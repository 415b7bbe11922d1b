"""Mitigation policies: per-sex thresholds reach 99% sensitivity, ThresholdOptimizer runs on float32 scores,
the cost-weighted threshold moves the right way, and every option is reported by sex with intervals."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from chestpain.fairness import (
    FixedRiskClassifier,
    compare_mitigations,
    cost_threshold,
    sensitivity_threshold,
    threshold_optimizer_flags,
)
from chestpain.kernel.errors import TriageError

OPTIONS = ["global", "per_group_sensitivity", "threshold_optimizer", "cost_global", "cost_per_group"]


@pytest.fixture(scope="module")
def splits(predictions):
    # A model that under-scores women with MI, so one global threshold misses more MIs in women.
    y, risk, _, attributes = predictions(30_000, seed=71, female_score_shift=0.6)
    sex = attributes["sex"].to_numpy()
    half = len(y) // 2
    return (y[:half], risk[:half], sex[:half]), (y[half:], risk[half:], sex[half:])


@pytest.fixture(scope="module")
def comparison(splits):
    (y_c, r_c, s_c), (y_t, r_t, s_t) = splits
    return compare_mitigations(
        y_c, r_c, y_t, r_t, sensitive_features_cal=s_c, sensitive_features_test=s_t, missed_mi_cost=30, n_boot=300
    )


def test_per_sex_thresholds_reach_target_sensitivity_on_calibration_split(splits, comparison):
    (y_c, r_c, s_c), _ = splits
    option = comparison.option("per_group_sensitivity")
    for sex in ("female", "male"):
        rows = s_c == sex
        caught = (r_c[rows] >= option.thresholds[sex])[y_c[rows]]
        assert caught.mean() >= 0.99
        assert option.calibration_sensitivity[sex] == pytest.approx(caught.mean())
        # The largest such threshold: the next distinct positive score above it would miss too many.
        higher = np.sort(r_c[rows & y_c])[::-1]
        higher = higher[higher > option.thresholds[sex]]
        if higher.size:
            assert (r_c[rows & y_c] >= higher.min()).mean() < 0.99
    # Under-scored women need a lower threshold than men.
    assert option.thresholds["female"] < option.thresholds["male"]


def test_every_option_reported_by_sex_with_intervals(comparison):
    assert [option.name for option in comparison.options] == OPTIONS
    for option in comparison.options:
        assert [entry.group for entry in option.groups] == ["all", "female", "male"]
        for entry in option.groups:
            for metric in ("fnr", "fpr", "rule_out", "false_alarms_per_1000", "missed_per_1000"):
                estimate = entry.metrics[metric]
                assert estimate.ci_low <= estimate.value <= estimate.ci_high, (option.name, metric)
            assert entry.metrics["rule_out"].value == pytest.approx(
                1 - (entry.metrics["false_alarms_per_1000"].value / 1000 + _flagged_positives(entry))
            )
    frame = comparison.to_frame()
    assert len(frame) == len(OPTIONS) * 3 and {"n", "n_positive", "fnr_ci_low"} <= set(frame.columns)


def _flagged_positives(entry) -> float:
    # share of the group that is a flagged true positive = positives share * sensitivity
    return entry.n_positive / entry.n * (1 - entry.metrics["fnr"].value)


def test_global_threshold_misses_more_mi_in_women(comparison):
    global_ = comparison.option("global")
    assert global_.group("female").metrics["fnr"].value > global_.group("male").metrics["fnr"].value
    per_sex = comparison.option("per_group_sensitivity")
    # Equalising sensitivity costs false alarms in women and saves them in men.
    assert per_sex.group("female").metrics["fpr"].value > global_.group("female").metrics["fpr"].value
    assert per_sex.group("male").metrics["fpr"].value < global_.group("male").metrics["fpr"].value


def test_threshold_optimizer_runs_on_float32_scores(splits):
    (y_c, r_c, s_c), (_, r_t, s_t) = splits
    flags_cal, flags_test, description = threshold_optimizer_flags(
        y_c,
        r_c.astype(np.float32),
        r_t.astype(np.float32),
        sensitive_features_cal=s_c,
        sensitive_features_test=s_t,
        objective="balanced_accuracy_score",
        random_state=0,
    )
    assert flags_cal.dtype == bool and flags_test.shape == r_t.shape
    assert 0.0 < flags_test.mean() < 1.0
    assert "female" in description and "male" in description
    # Equalized odds on the calibration split: sensitivity by sex within a few points (randomised rule).
    tpr = [flags_cal[y_c & (s_c == sex)].mean() for sex in ("female", "male")]
    assert abs(tpr[0] - tpr[1]) < 0.05


def test_compare_mitigations_accepts_float32(splits):
    (y_c, r_c, s_c), (y_t, r_t, s_t) = splits
    result = compare_mitigations(
        y_c,
        r_c.astype(np.float32),
        y_t,
        r_t.astype(np.float32),
        sensitive_features_cal=s_c,
        sensitive_features_test=s_t,
        missed_mi_cost=30,
        threshold=0.05,
        n_boot=50,
    )
    assert result.option("global").thresholds == {"all": 0.05}


def test_fixed_risk_classifier_returns_the_risk():
    x = np.array([[0.1], [0.7]], dtype=np.float32)
    proba = FixedRiskClassifier().fit(x, [0, 1]).predict_proba(x)
    np.testing.assert_allclose(proba, [[0.9, 0.1], [0.3, 0.7]], rtol=1e-6)


def test_cost_threshold_falls_as_the_cost_of_a_miss_grows(splits):
    (y_c, r_c, _), _ = splits
    costs = [0.5, 1, 2, 5, 10, 30, 100, 1000]
    thresholds = [cost_threshold(y_c, r_c, missed_mi_cost=cost) for cost in costs]
    assert all(a >= b for a, b in itertools.pairwise(thresholds))
    assert thresholds[0] > thresholds[-1]
    sensitivity = [(r_c[y_c] >= t).mean() for t in thresholds]
    assert all(a <= b for a, b in itertools.pairwise(sensitivity))


def test_cost_threshold_is_the_brute_force_minimum(predictions):
    y, risk, _, _ = predictions(400, seed=72, rounding=2)
    for cost in (1.0, 7.0, 40.0):
        candidates = np.append(np.unique(risk), np.inf)
        totals = [cost * np.sum(y & (risk < t)) + np.sum(~y & (risk >= t)) for t in candidates]
        best = min(totals)
        expected = max(t for t, total in zip(candidates, totals, strict=True) if total == best)
        assert cost_threshold(y, risk, missed_mi_cost=cost) == expected


def test_sensitivity_threshold_examples_and_errors():
    assert sensitivity_threshold([1, 1, 1, 1, 0], [0.9, 0.8, 0.3, 0.1, 0.05], target=0.75) == 0.3
    assert sensitivity_threshold([1, 1, 1, 1, 0], [0.9, 0.8, 0.3, 0.1, 0.05], target=0.99) == 0.1
    with pytest.raises(TriageError, match="no true positives"):
        sensitivity_threshold([0, 0], [0.1, 0.2])
    with pytest.raises(TriageError, match="missed_mi_cost must be a positive number"):
        cost_threshold([1, 0], [0.1, 0.2], missed_mi_cost=0)


def test_unseen_test_group_is_an_error(splits):
    (y_c, r_c, s_c), (y_t, r_t, s_t) = splits
    other = np.where(s_t == "female", "unknown", s_t)
    with pytest.raises(TriageError, match="does not occur in the calibration split"):
        compare_mitigations(
            y_c, r_c, y_t, r_t, sensitive_features_cal=s_c, sensitive_features_test=other, missed_mi_cost=10
        )
