"""ECE: the debiased estimate, the calibration test and the interval's coverage with known truth.

The whole-audit coverage study (every group of 20,000-row audits, three scores) is the coverage arm of
``experiments/audit_power_study.py``; here the pieces are checked against libraries and definitions, and a small
seeded coverage run on one small group (600 rows, the study's smallest race group) keeps the construction honest.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate, optimize
from scipy.special import expit, logit
from scipy.stats import foldnorm, norm

from chestpain.fairness import audit_predictions
from chestpain.fairness._calibration_error import (
    MAX_SHORTFALL,
    calibration_p_value,
    ece_intervals,
    folded_normal_mean,
    plug_in_and_debiased_ece,
    worst_shortfall,
)


def test_folded_normal_mean_equals_scipy():
    mean = np.array([-0.3, -0.01, 0.0, 0.002, 0.05, 1.0])
    sd = np.array([0.1, 0.01, 0.02, 0.01, 0.001, 0.5])
    expected = foldnorm.mean(np.abs(mean) / sd, scale=sd)
    np.testing.assert_allclose(folded_normal_mean(mean, sd), expected, rtol=1e-12)
    np.testing.assert_array_equal(folded_normal_mean(np.array([-0.2, 0.3]), np.zeros(2)), [0.2, 0.3])


def test_debiased_ece_is_kumars_definition():
    # Kumar, Liang & Ma 2019 (their library's normal_debiased_ce): 2 * plug-in - mean plug-in over redraws of each
    # bin's observed rate from N(rate, rate (1 - rate) / n_b). 200,000 redraws; tolerance 5 Monte Carlo SE of their
    # mean (3.4e-5 here), so a correct formula fails with probability ~6e-7 and a wrong variance (e.g. n_b
    # replaced by the group size) is far outside it.
    counts = np.array([[95.0, 5.0], [80.0, 20.0], [40.0, 10.0], [10.0, 30.0]])
    predicted = np.array([4.0, 21.0, 14.0, 27.5])
    plug_in, debiased = plug_in_and_debiased_ece(counts, predicted)
    n = counts.sum(axis=1)
    rate, mean_risk = counts[:, 1] / n, predicted / n
    assert plug_in == pytest.approx(np.sum(n / n.sum() * np.abs(rate - mean_risk)), abs=1e-15)
    draws = np.random.default_rng(1).normal(rate, np.sqrt(rate * (1 - rate) / n), size=(200_000, 4))
    redrawn = np.sum(n / n.sum() * np.abs(draws - mean_risk), axis=1)
    monte_carlo_se = redrawn.std() / np.sqrt(len(redrawn))
    assert debiased == pytest.approx(2 * plug_in - redrawn.mean(), abs=5 * monte_carlo_se)
    assert debiased < plug_in  # the correction is always downwards
    assert np.isnan(plug_in_and_debiased_ece(np.zeros((3, 2)), np.zeros(3))[1])  # an empty group


def test_calibration_test_has_its_level_and_power():
    # 2,000 calibrated tables of a 600-row group at once (one per "group"), each with 200 redraws: the share with
    # p < 0.05 estimates the size with SE 0.5 points; bins' events drawn from the binomial the test assumes.
    rng = np.random.default_rng(7)
    n_bin = np.full((2000, 10), 60)
    rate = np.linspace(0.004, 0.6, 10)
    events = rng.binomial(n_bin, rate)
    counts = np.stack([n_bin - events, events], axis=-1).astype(float)
    predicted = n_bin * rate
    p = calibration_p_value(counts, predicted, np.random.default_rng(8), 200)
    assert 0.035 <= np.mean(p < 0.05) <= 0.065  # nominal 5%, +- 3 SE
    assert np.all((p > 0) & (p <= 1))
    # Risks half the event rate: every table rejects.
    p_off = calibration_p_value(counts, predicted / 2, np.random.default_rng(8), 200)
    assert np.all(p_off < 0.01)


def test_interval_reaches_zero_only_when_calibration_is_not_rejected():
    rng = np.random.default_rng(3)
    n_bin = np.array([[200] * 5, [200] * 5])
    counts = np.stack([n_bin - [[2, 6, 10, 20, 60], [2, 6, 10, 20, 60]], [[2, 6, 10, 20, 60]] * 2], axis=-1)
    predicted = np.array([[2.0, 6.0, 10.0, 20.0, 60.0], [10.0, 20.0, 30.0, 40.0, 30.0]])  # group 0 calibrated
    replicates = rng.normal(0.02, 0.004, size=(500, 2))
    result = ece_intervals(counts.astype(float), predicted, replicates, 0.05, np.random.default_rng(4))
    assert result.p_calibrated[0] > 0.5 and result.low[0] == 0.0
    assert result.p_calibrated[1] < 0.01 and result.low[1] > 0.0
    assert result.value[0] == 0.0  # debiased below 0 is reported as 0
    sd = replicates.std(axis=0, ddof=1)
    allowance = result.bias_allowance[1]
    rate = counts[1, :, 1] / 200  # equal bins of 200 rows: weights 1/5
    assert allowance == pytest.approx(MAX_SHORTFALL * np.mean(np.sqrt(rate * (1 - rate) / 200)), rel=1e-12)
    assert result.high[1] - result.value[1] == pytest.approx(norm.ppf(0.975) * sd[1] + allowance, rel=1e-9)


def test_max_shortfall_is_the_worst_case_of_the_debiased_gap():
    # E|g| = F(delta, s) and E F(g, s) = F(delta, sqrt 2 s) for g ~ N(delta, s^2), so the debiased gap's mean is
    # 2 F(delta, s) - F(delta, sqrt 2 s); check that by simulation at one point, then its largest shortfall.
    g = np.random.default_rng(11).normal(1.4, 1.0, 400_000)
    debiased = 2 * np.abs(g) - folded_normal_mean(g, 1.0)
    expected = 2 * folded_normal_mean(1.4, 1.0) - folded_normal_mean(1.4, np.sqrt(2))
    assert debiased.mean() == pytest.approx(expected, abs=5 * debiased.std() / np.sqrt(len(g)))  # 5 Monte Carlo SE
    ratio = np.linspace(0, 8, 80_001)
    shortfall = ratio - 2 * folded_normal_mean(ratio, 1.0) + folded_normal_mean(ratio, np.sqrt(2))
    assert shortfall.max() == pytest.approx(MAX_SHORTFALL, abs=1e-4)
    assert ratio[shortfall.argmax()] == pytest.approx(1.40, abs=0.01)
    # Zero where every bin is certain; otherwise proportional to the bins' standard errors.
    assert worst_shortfall(np.array([[[10.0, 0.0], [0.0, 10.0]]]))[0] == 0.0


def test_audit_reports_the_debiased_value_and_the_plug_in(predictions):
    y, risk, flag, attributes = predictions(3000, seed=6)
    document = audit_predictions(y, risk, flag, attributes=attributes, by=("sex",), n_boot=50).to_dict()
    for group in document["groups"]:
        ece = group["ece"]
        assert ece["value"] < ece["plug_in"]
        assert ece["ci_low"] <= ece["value"] <= ece["ci_high"]
        assert 0 < ece["p_calibrated"] <= 1 and "Kumar" in ece["method"]
        assert 0 < ece["bias_allowance"] < ece["ci_high"] - ece["value"]


# --- a small coverage run ------------------------------------------------------------------------------------

PREVALENCE, SEPARATION = 0.1, 2.2
SCORES = {"miscalibrated": (1.3, -3.5), "calibrated": (SEPARATION, -(SEPARATION**2) / 2 + float(logit(PREVALENCE)))}


def _population(score: tuple[float, float]) -> tuple[np.ndarray, float]:
    """Population decile edges of the risk and the true ECE for them (binormal z, as in the audit study)."""
    slope, intercept = score

    def cdf(z):
        return (1 - PREVALENCE) * norm.cdf(z) + PREVALENCE * norm.cdf(z - SEPARATION)

    z_edges = [optimize.brentq(lambda z, q=q: cdf(z) - q, -12, 15) for q in np.arange(1, 10) / 10]
    bounds = np.r_[-np.inf, z_edges, np.inf]
    truth = 0.0
    for low, high in zip(bounds[:-1], bounds[1:], strict=True):
        events = PREVALENCE * (norm.cdf(high - SEPARATION) - norm.cdf(low - SEPARATION))
        mass = integrate.quad(
            lambda z: (
                expit(slope * z + intercept) * ((1 - PREVALENCE) * norm.pdf(z) + PREVALENCE * norm.pdf(z - SEPARATION))
            ),
            low,
            high,
        )[0]
        truth += abs(events - mass)
    return expit(slope * np.asarray(z_edges) + intercept), truth


def _coverage(score: tuple[float, float], n: int, reps: int, n_boot: int, seed: int) -> tuple[float, float]:
    """Share of ``reps`` samples of ``n`` rows whose audit ECE interval (and old percentile one) covers the truth.

    Each sample is bootstrapped as the audit does (multinomial over cells of label, calibration bin and distinct
    score); the interval comes from :func:`ece_intervals`, the old one from percentiles of the plug-in.
    """
    edges, truth = _population(score)
    rng = np.random.default_rng(seed)
    hits = old_hits = 0
    for _ in range(reps):
        y = rng.random(n) < PREVALENCE
        risk = np.round(expit(score[0] * (rng.standard_normal(n) + SEPARATION * y) + score[1]), 4)
        cells, row_cell, counts = np.unique(
            np.c_[np.searchsorted(edges, risk, side="right"), y, risk], axis=0, return_inverse=True, return_counts=True
        )
        bins, labels, risks = cells[:, 0].astype(int), cells[:, 1].astype(int), cells[:, 2]
        weights = rng.multinomial(n, counts / n, size=n_boot).astype(float)
        index = bins * 2 + labels
        table = np.zeros((n_boot + 1, 20))
        predicted = np.zeros((n_boot + 1, 10))
        every = np.vstack([counts, weights])
        np.add.at(table.T, index, every.T)
        np.add.at(predicted.T, bins, (every * risks).T)
        table = table.reshape(-1, 10, 2)
        plug_in, debiased = plug_in_and_debiased_ece(table, predicted)
        result = ece_intervals(table[0][None], predicted[0][None], debiased[1:, None], 0.05, rng)
        hits += bool(result.low[0] <= truth <= result.high[0])
        old_low, old_high = np.quantile(plug_in[1:], [0.025, 0.975])
        old_hits += bool(old_low <= truth <= old_high)
    return hits / reps, old_hits / reps


@pytest.mark.parametrize("name", list(SCORES))
def test_small_group_coverage(name):
    # 400 samples of 600 rows: Monte Carlo SE of a coverage near 95% is 1.1 points, so the floor of 91% sits 3.7 SE
    # below nominal (a correct interval fails with probability ~1e-4) and the old percentile interval of the
    # plug-in ECE fails it by far. Observed (seed 27): miscalibrated 96.0% (old 83.5%), calibrated 94.3% (old 0%);
    # about 40 s for both on a loaded 2-core machine.
    coverage, old = _coverage(SCORES[name], n=600, reps=400, n_boot=200, seed=27)
    assert coverage >= 0.91, (name, coverage)
    assert old < 0.90, (name, old)
