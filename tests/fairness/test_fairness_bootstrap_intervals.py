"""The cell bootstrap gives the intervals row resampling gives (fairlearn's MetricFrame and a plain numpy loop).

Tolerance. Two percentile intervals from independent bootstrap runs differ by Monte Carlo error. For B resamples
the standard error of the 2.5% quantile is about sqrt(q(1-q)/B) / phi(z_q) * sigma = 2.67 * sigma / sqrt(B)
(sigma: the bootstrap standard deviation, estimated here as the interval width / 3.92). With MetricFrame at
B = 400 and the audit at B = 20,000, the difference has a standard error of 0.135 sigma; the tolerance of
0.6 sigma is 4.4 standard errors, so a correct implementation fails with probability ~1e-5 per bound, while a
wrong resampling scheme (e.g. resampling within groups, or sqrt(2)-too-wide intervals) moves bounds by more.
Observed differences over seeds 0-3 during development (this test's set-up): at most 0.34 sigma.
"""

from __future__ import annotations

import numpy as np
import pytest
from fairlearn.metrics import MetricFrame, false_negative_rate
from sklearn.metrics import roc_auc_score

from chestpain.fairness import (
    audit_predictions,
    expected_calibration_error,
    multinomial_resamples,
    percentile_interval,
)

Z = 3.92  # width of a 95% normal interval in standard deviations


def _sigma(estimate) -> float:
    return (estimate.ci_high - estimate.ci_low) / Z


def test_intervals_agree_with_metricframe_bootstrap(predictions):
    # Risks rounded to 3 decimals and score_bins above the number of distinct scores: every cell holds one
    # score, so AUROC and ECE resamples are exact, and the only difference left is Monte Carlo error.
    y, risk, _, attributes = predictions(800, seed=2, rounding=3)
    flag = risk >= 0.15
    result = audit_predictions(
        y, risk, flag, attributes=attributes, by=("sex",), n_boot=20_000, seed=2, score_bins=4096
    )
    edges = np.asarray(result.calibration_edges)
    reference = MetricFrame(
        metrics={
            "fnr": lambda y_true, y_pred, flag: false_negative_rate(y_true, flag),
            "auroc": roc_auc_score,
            "ece": lambda y_true, y_pred: expected_calibration_error(y_true, y_pred, edges),
        },
        y_true=y,
        y_pred=risk,
        sensitive_features=attributes["sex"],
        sample_params={"fnr": {"flag": flag}},
        n_boot=400,
        ci_quantiles=[0.025, 0.975],
        random_state=2,
    )
    (group_low, group_high), (overall_low, overall_high) = reference.by_group_ci, reference.overall_ci
    # The bootstrapped group metric (calibration). FNR and the other proportions have intervals from counts
    # (tests/fairness/test_fairness_intervals.py) and AUROC from DeLong's variance
    # (tests/fairness/test_fairness_auroc_interval.py); MetricFrame's FNR and AUROC keep the set-up whole.
    for metric in ("ece",):
        for group in ("all", "female", "male"):
            if group == "all":
                estimate = result.group("overall", "all")[metric]
                low, high = overall_low[metric], overall_high[metric]
            else:
                estimate = result.group("sex", group)[metric]
                low, high = group_low.loc[group, metric], group_high.loc[group, metric]
            tolerance = 0.6 * _sigma(estimate)
            assert estimate.ci_low == pytest.approx(low, abs=tolerance), (metric, group)
            assert estimate.ci_high == pytest.approx(high, abs=tolerance), (metric, group)


def test_binned_scores_agree_with_row_bootstrap(predictions):
    # Continuous scores in only 32 bins (the default is 512): the within-bin approximation of AUROC and ECE
    # must stay inside Monte Carlo error of an exact row bootstrap. Standard error of the bound difference at
    # B = 1,000 (rows) and 4,000 (cells): 2.67 * sqrt(1/1000 + 1/4000) = 0.094 sigma; tolerance 0.5 sigma = 5.3 SE.
    # Observed during development over seeds 0-2: at most 0.28 sigma.
    y, risk, flag, attributes = predictions(4000, seed=3)
    result = audit_predictions(y, risk, flag, attributes=attributes, by=("sex",), n_boot=4000, seed=3, score_bins=32)
    edges = np.asarray(result.calibration_edges)
    female = attributes["sex"].to_numpy() == "female"
    rng = np.random.default_rng(3)
    replicates: dict[tuple[str, str], list[float]] = {
        key: [] for key in [("all", "auroc"), ("all", "ece"), ("female", "auroc"), ("female", "ece")]
    }
    for _ in range(1000):
        rows = rng.integers(0, len(y), len(y))
        women = rows[female[rows]]
        replicates[("all", "auroc")].append(roc_auc_score(y[rows], risk[rows]))
        replicates[("all", "ece")].append(expected_calibration_error(y[rows], risk[rows], edges))
        replicates[("female", "auroc")].append(roc_auc_score(y[women], risk[women]))
        replicates[("female", "ece")].append(expected_calibration_error(y[women], risk[women], edges))
    for (group, metric), values in replicates.items():
        if metric == "auroc":  # the audit's AUROC interval is DeLong's (tests/fairness/test_fairness_auroc_interval.py)
            continue
        low, high = np.quantile(values, [0.025, 0.975])
        entry = result.group("overall", "all") if group == "all" else result.group("sex", group)
        estimate = entry[metric]
        tolerance = 0.5 * _sigma(estimate)
        assert estimate.ci_low == pytest.approx(low, abs=tolerance), (group, metric)
        assert estimate.ci_high == pytest.approx(high, abs=tolerance), (group, metric)


def test_resamples_do_not_depend_on_chunk_size():
    counts = np.array([5, 0, 17, 3, 120, 1])
    whole = np.concatenate(list(multinomial_resamples(counts, 50, np.random.default_rng(7), chunk_elements=10**6)))
    chunked = np.concatenate(list(multinomial_resamples(counts, 50, np.random.default_rng(7), chunk_elements=13)))
    assert whole.shape == (50, 6)
    np.testing.assert_array_equal(whole, chunked)
    np.testing.assert_array_equal(whole.sum(axis=1), np.full(50, counts.sum()))
    assert not whole[:, 1].any()  # an empty cell stays empty in every resample


def test_same_seed_same_result_other_seed_other_intervals(predictions):
    y, risk, flag, attributes = predictions(2000, seed=4)
    first = audit_predictions(y, risk, flag, attributes=attributes, n_boot=100, seed=9).to_dict()
    again = audit_predictions(y, risk, flag, attributes=attributes, n_boot=100, seed=9).to_dict()
    other = audit_predictions(y, risk, flag, attributes=attributes, n_boot=100, seed=10).to_dict()
    assert first == again
    assert first["groups"][0]["fnr"]["value"] == other["groups"][0]["fnr"]["value"]
    # FNR's and AUROC's intervals come from counts (no seed); ECE's from the bootstrap.
    assert first["groups"][0]["fnr"]["ci_low"] == other["groups"][0]["fnr"]["ci_low"]
    assert first["groups"][0]["auroc"]["ci_low"] == other["groups"][0]["auroc"]["ci_low"]
    assert first["groups"][0]["ece"]["ci_low"] != other["groups"][0]["ece"]["ci_low"]


def test_percentile_interval_matches_numpy_and_handles_undefined():
    values = np.random.default_rng(0).normal(size=(999, 3))
    low, high = percentile_interval(values, 0.9)
    np.testing.assert_allclose(low, np.quantile(values, 0.05, axis=0), rtol=0, atol=1e-12)
    np.testing.assert_allclose(high, np.quantile(values, 0.95, axis=0), rtol=0, atol=1e-12)
    # NaN replicates (undefined in that resample) are ignored; an all-undefined column stays undefined;
    # infinite ratios (reference rate 0 in a resample) give an infinite upper bound, not nan.
    special = np.array([[1.0, np.nan, 1.0], [2.0, np.nan, 2.0], [np.nan, np.nan, np.inf], [3.0, np.nan, np.inf]])
    low, high = percentile_interval(special, 0.5)
    assert low[0] == pytest.approx(np.quantile([1.0, 2.0, 3.0], 0.25))
    assert np.isnan(low[1]) and np.isnan(high[1])
    assert high[2] == np.inf and np.isfinite(low[2])
