"""Interval formulas from counts against scipy's scalar implementations and the published worked examples."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import beta, binomtest, false_discovery_control

from chestpain.fairness._intervals import (
    band_p_value,
    detectable_ratio,
    detection_power,
    difference_interval,
    proportion_interval,
    ratio_interval,
)
from chestpain.fairness._multiplicity import adjust_p_values
from chestpain.kernel.errors import TriageError

SMALL = [(0, 1), (0, 40), (1, 40), (2, 40), (3, 40), (39, 40), (40, 40), (12, 900), (500, 1000), (7, 7)]


@pytest.mark.parametrize(("method", "scipy_method"), [("wilson", "wilson"), ("clopper-pearson", "exact")])
@pytest.mark.parametrize("confidence", [0.9, 0.95, 0.99])
def test_wilson_and_clopper_pearson_match_scipy(method, scipy_method, confidence):
    events = np.array([x for x, _ in SMALL], dtype=float)
    trials = np.array([n for _, n in SMALL], dtype=float)
    low, high = proportion_interval(events, trials, 1 - confidence, method)
    for k, (x, n) in enumerate(SMALL):
        expected = binomtest(x, n).proportion_ci(confidence, method=scipy_method)
        # 1e-9: both are closed forms or the same beta quantile; differences are floating-point only.
        assert low[k] == pytest.approx(expected.low, abs=1e-9), (x, n)
        assert high[k] == pytest.approx(expected.high, abs=1e-9), (x, n)


def test_jeffreys_is_the_beta_posterior_interval_with_the_boundary_fix():
    events = np.array([x for x, _ in SMALL], dtype=float)
    trials = np.array([n for _, n in SMALL], dtype=float)
    low, high = proportion_interval(events, trials, 0.05, "jeffreys")
    for k, (x, n) in enumerate(SMALL):
        exp_low, exp_high = beta.ppf([0.025, 0.975], x + 0.5, n - x + 0.5)
        # Brown, Cai & DasGupta (2001): lower limit 0 at x = 0, upper limit 1 at x = n.
        assert low[k] == pytest.approx(0.0 if x == 0 else exp_low, abs=1e-12)
        assert high[k] == pytest.approx(1.0 if x == n else exp_high, abs=1e-12)


@pytest.mark.parametrize("method", ["wilson", "clopper-pearson", "jeffreys"])
def test_zero_events_never_give_a_zero_width_interval(method):
    low, high = proportion_interval(np.zeros(4), np.array([1.0, 10, 40, 5000]), 0.05, method)
    assert np.all(low == 0) and np.all(high > 0)
    ratio, r_low, r_high = ratio_interval(
        np.zeros(3), np.array([40.0, 200, 900]), np.full(3, 10.0), np.full(3, 900.0), 0.05
    )
    assert np.all(ratio == 0) and np.all(r_low == 0) and np.all(r_high > 0)
    # An empty denominator is undefined, not [0, 0].
    low, high = proportion_interval(np.array([0.0]), np.array([0.0]), 0.05, method)
    assert np.isnan(low[0]) and np.isnan(high[0])


def test_newcombe_difference_matches_the_published_example():
    # Newcombe (1998), Table II, example (a): 56/70 vs 48/80, method 10 gives 0.0524 to 0.3339.
    d, low, high = difference_interval(np.array(56.0), np.array(70.0), np.array(48.0), np.array(80.0), 0.05)
    assert float(d) == pytest.approx(0.2)
    assert float(low) == pytest.approx(0.0524, abs=5e-5) and float(high) == pytest.approx(0.3339, abs=5e-5)


def test_mover_r_ratio_covers_the_point_and_inverts_to_a_p_value():
    ratio, low, high = ratio_interval(np.array(30.0), np.array(1000.0), np.array(10.0), np.array(1000.0), 0.05)
    assert float(ratio) == pytest.approx(3.0)
    assert float(low) < 3.0 < float(high)
    # The bisection p-value is the level at which the interval just touches the band's edge.
    p = float(band_p_value(np.array(30.0), np.array(1000.0), np.array(10.0), np.array(1000.0), (0.8, 1.25)))
    _, edge_low, _ = ratio_interval(np.array(30.0), np.array(1000.0), np.array(10.0), np.array(1000.0), p)
    assert float(edge_low) == pytest.approx(1.25, rel=1e-6)
    # A ratio inside the band is never significant.
    assert band_p_value(np.array(10.0), np.array(1000.0), np.array(10.0), np.array(1000.0), (0.8, 1.25)) == 1.0


def test_detectable_ratio_gives_the_target_power():
    ratio = detectable_ratio(np.array(0.02), np.array(400.0), np.array(2000.0), 0.05, 1.25)
    assert float(detection_power(float(ratio), np.array(0.02), np.array(400.0), np.array(2000.0), 0.05, 1.25)) == (
        pytest.approx(0.8, abs=1e-6)
    )
    # Fewer MIs in the group: only a larger gap is detectable; a reference rate of 0 detects nothing.
    assert detectable_ratio(np.array(0.02), np.array(40.0), np.array(2000.0), 0.05, 1.25) > ratio
    assert np.isnan(detectable_ratio(np.array(0.0), np.array(400.0), np.array(2000.0), 0.05, 1.25))


def test_benjamini_hochberg_matches_scipy_and_holm_its_definition():
    rng = np.random.default_rng(3)
    p = rng.random((20, 12)) ** 3
    np.testing.assert_allclose(adjust_p_values(p, "bh"), false_discovery_control(p, axis=-1, method="bh"), atol=1e-12)
    for row in p:
        order = np.argsort(row)
        m = len(row)
        holm = np.maximum.accumulate([(m - j) * row[order[j]] for j in range(m)])
        expected = np.empty(m)
        expected[order] = np.minimum(holm, 1)
        np.testing.assert_allclose(adjust_p_values(row, "holm"), expected, atol=1e-12)
    # Withheld comparisons (nan) are outside the family: the rest adjust as if they were absent.
    with_gaps = np.array([0.01, np.nan, 0.04, np.nan, 0.03])
    adjusted = adjust_p_values(with_gaps, "bh")
    np.testing.assert_allclose(adjusted[[0, 2, 4]], false_discovery_control([0.01, 0.04, 0.03], method="bh"))
    assert np.isnan(adjusted[[1, 3]]).all()


@pytest.mark.parametrize("rule", ["bh", "holm"])
def test_each_family_is_adjusted_on_its_own(rule):
    from chestpain.fairness._disparities import decide_flags

    rng = np.random.default_rng(4)
    p = rng.random((30, 9)) ** 4
    tested = rng.random((30, 9)) < 0.8
    families = np.array(["primary"] * 3 + ["secondary"] * 6, dtype=object)
    adjusted, flagged = decide_flags(p, tested, rule=rule, confidence=0.95, families=families)
    for columns in (slice(0, 3), slice(3, 9)):
        alone = adjust_p_values(np.where(tested[:, columns], p[:, columns], np.nan), rule)
        np.testing.assert_allclose(adjusted[:, columns], alone, atol=1e-12)
    assert np.array_equal(flagged, tested & (adjusted <= 0.05))
    # One family over everything is a different (larger) family: the adjusted values differ.
    merged, _ = decide_flags(p, tested, rule=rule, confidence=0.95)
    np.testing.assert_allclose(merged, adjust_p_values(np.where(tested, p, np.nan), rule), atol=1e-12)
    assert np.any(np.abs(np.nan_to_num(merged) - np.nan_to_num(adjusted)) > 1e-6)


def test_audit_records_the_family_of_every_comparison(predictions):
    from chestpain.fairness import audit_predictions

    y, risk, flag, attributes = predictions(3000, seed=5)
    result = audit_predictions(y, risk, flag, attributes=attributes, n_boot=20)
    document = result.to_dict()
    assert {d["family"] for d in document["disparities"] if d["metric"] == "fnr"} == {"primary"}
    assert {d["family"] for d in document["disparities"] if d["metric"] != "fnr"} == {"secondary"}
    families = document["multiplicity"]["families"]
    tested = [d for d in document["disparities"] if not d["withheld"]]
    assert families["primary"]["n_comparisons"] == sum(d["metric"] == "fnr" for d in tested)
    assert families["secondary"]["n_comparisons"] == sum(d["metric"] != "fnr" for d in tested)
    assert document["multiplicity"]["n_comparisons"] == len(tested)


def test_unknown_methods_are_one_line_errors(predictions):
    from chestpain.fairness import audit_predictions

    y, risk, flag, attributes = predictions(500, seed=1)
    with pytest.raises(TriageError, match="interval_method must be one of wilson, clopper-pearson, jeffreys"):
        audit_predictions(y, risk, flag, attributes=attributes, n_boot=10, interval_method="wald")
    with pytest.raises(TriageError, match="multiplicity must be one of bh, holm, none"):
        audit_predictions(y, risk, flag, attributes=attributes, n_boot=10, multiplicity="bonferroni")
    with pytest.raises(TriageError, match="min_events must be a non-negative integer"):
        audit_predictions(y, risk, flag, attributes=attributes, n_boot=10, min_events=-1)
