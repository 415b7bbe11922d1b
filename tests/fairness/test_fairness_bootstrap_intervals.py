"""The cell bootstrap resamples as row resampling does (a plain numpy loop over rows is the reference).

What is compared. The only bootstrapped group metric is ECE, whose interval is ``debiased ECE +- z * sd`` with
``sd`` the bootstrap standard deviation of the debiased ECE (``fairness/_calibration_error.py``). So the test
recovers the audit's ``sd`` from its upper limit and compares it with the standard deviation of the same
statistic over row resamples (the upper limit also holds a bias allowance, which metrics.json states and the
test subtracts). (Before issue 27's fix the reference was fairlearn's ``MetricFrame`` bootstrap of the
plug-in ECE's percentile interval; ``MetricFrame`` gives quantiles, not standard deviations.)

Tolerance. The standard deviation estimated from B resamples has a relative standard error of about
sqrt(1 / (2B)) for a near-normal statistic: 1.1% at B = 4,000 and 0.5% at B = 20,000, so their difference has a
standard error of about 1.2%; the tolerance of 6% is 5 standard errors, while a wrong resampling scheme (resampling
within groups, or rows counted twice: sqrt(2)-too-wide) moves it by 40% or more. Observed during development: at
most 1.0% (seed 2) and 4.3% (seed 3, binned scores, women).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import ndtri
from scipy.stats import foldnorm

from chestpain.fairness import audit_predictions, multinomial_resamples, percentile_interval

Z = ndtri(0.975)


def debiased_ece_rows(y: np.ndarray, risk: np.ndarray, edges: np.ndarray) -> float:
    """Kumar et al.'s debiased ECE from rows, written independently of the audit (scipy's folded normal)."""
    bins = np.searchsorted(edges[1:-1], risk, side="right")
    n = np.bincount(bins, minlength=len(edges) - 1).astype(float)
    filled = n > 0
    observed = np.bincount(bins, weights=y.astype(float), minlength=len(n))[filled] / n[filled]
    predicted = np.bincount(bins, weights=risk, minlength=len(n))[filled] / n[filled]
    gap, sd, weight = observed - predicted, np.sqrt(observed * (1 - observed) / n[filled]), n[filled] / n.sum()
    noisy = sd > 0
    expected = np.abs(gap)
    expected[noisy] = foldnorm.mean(np.abs(gap[noisy]) / sd[noisy], scale=sd[noisy])
    return float(np.sum(weight * (2 * np.abs(gap) - expected)))


def _audit_sd(entry) -> float:
    """The bootstrap SD behind a group's ECE interval: its upper limit is ``debiased + z * sd + bias_allowance``."""
    estimate = entry["ece"]
    assert estimate.value > 0  # the reported value is the debiased one, clipped at 0 only when negative
    return (estimate.ci_high - estimate.value - entry.details["ece"]["bias_allowance"]) / Z


def _row_bootstrap(y, risk, edges, female, n_boot, rng) -> dict[str, np.ndarray]:
    replicates: dict[str, list[float]] = {"all": [], "female": []}
    for _ in range(n_boot):
        rows = rng.integers(0, len(y), len(y))
        women = rows[female[rows]]
        replicates["all"].append(debiased_ece_rows(y[rows], risk[rows], edges))
        replicates["female"].append(debiased_ece_rows(y[women], risk[women], edges))
    return {key: np.asarray(values) for key, values in replicates.items()}


def test_ece_bootstrap_agrees_with_row_resampling(predictions):
    # Risks rounded to 3 decimals and score_bins above the number of distinct scores: every cell holds one
    # score, so ECE resamples are exact, and the only difference left is Monte Carlo error.
    y, risk, _, attributes = predictions(800, seed=2, rounding=3)
    flag = risk >= 0.15
    result = audit_predictions(
        y, risk, flag, attributes=attributes, by=("sex",), n_boot=20_000, seed=2, score_bins=4096
    )
    edges = np.asarray(result.calibration_edges)
    female = attributes["sex"].to_numpy() == "female"
    reference = _row_bootstrap(y, risk, edges, female, 4000, np.random.default_rng(2))
    for group, entry in (("all", result.group("overall", "all")), ("female", result.group("sex", "female"))):
        rows = np.ones(len(y), bool) if group == "all" else female
        assert entry["ece"].value == pytest.approx(max(debiased_ece_rows(y[rows], risk[rows], edges), 0), abs=1e-12)
        expected = reference[group].std(ddof=1)
        assert _audit_sd(entry) == pytest.approx(expected, rel=0.06), group


def test_binned_scores_agree_with_row_bootstrap(predictions):
    # Continuous scores in only 32 bins (the default is 512): the within-bin approximation of ECE must stay
    # inside Monte Carlo error of an exact row bootstrap. Relative SE of the SD difference at B = 1,000 (rows)
    # and 4,000 (cells): sqrt(1/2000 + 1/8000) = 2.5%; tolerance 12% = 5 SE.
    y, risk, flag, attributes = predictions(4000, seed=3)
    result = audit_predictions(y, risk, flag, attributes=attributes, by=("sex",), n_boot=4000, seed=3, score_bins=32)
    edges = np.asarray(result.calibration_edges)
    female = attributes["sex"].to_numpy() == "female"
    reference = _row_bootstrap(y, risk, edges, female, 1000, np.random.default_rng(3))
    for group, entry in (("all", result.group("overall", "all")), ("female", result.group("sex", "female"))):
        assert _audit_sd(entry) == pytest.approx(reference[group].std(ddof=1), rel=0.12), group


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
    # FNR's and AUROC's intervals come from counts (no seed); ECE's width from the bootstrap.
    assert first["groups"][0]["fnr"]["ci_low"] == other["groups"][0]["fnr"]["ci_low"]
    assert first["groups"][0]["auroc"]["ci_low"] == other["groups"][0]["auroc"]["ci_low"]
    assert first["groups"][0]["ece"]["value"] == other["groups"][0]["ece"]["value"]
    assert first["groups"][0]["ece"]["ci_high"] != other["groups"][0]["ece"]["ci_high"]


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
