"""The default scenario reproduces the DESIGN.md targets on a large seeded sample.

Tolerance: each target has a published range (simulation/calibration.py TARGETS). At n = 1,000,000 the 95% CI
half-widths are far narrower than those ranges (e.g. missed share +-0.09 points against a 1.7-2.5% band; OR for
women < 55 about +-0.7 against 5-9), so a fixed-seed pass is not luck and a real drift of the model fails.
"""

from __future__ import annotations

import math

import pyarrow as pa
import pytest

from chestpain.features import esc_0_1h
from chestpain.simulation import TARGETS, simulate_frame, summarize
from tests.simulation.conftest import scenario


@pytest.fixture(scope="module")
def default_summary(default_cohort):
    return {row["key"]: row for row in summarize(pa.Table.from_pandas(default_cohort)).rows()}


@pytest.mark.parametrize("target", TARGETS, ids=[t.key for t in TARGETS])
def test_default_scenario_hits_target(default_summary, target):
    row = default_summary[target.key]
    if row["reported_only"]:  # no published range: the row must still be a real number with an interval
        assert math.isfinite(row["value"]) and row["ci_low"] <= row["value"] <= row["ci_high"], row
    else:
        assert target.low <= row["value"] <= target.high, row


def test_missed_share_interval_is_informative(default_summary):
    # The CI must be narrower than the target band, otherwise passing would say nothing.
    row = default_summary["missed_share"]
    assert row["ci_high"] - row["ci_low"] < (0.025 - 0.017) / 2


def default_gap_points() -> float:
    cohort = simulate_frame(scenario("default"), 500_000, 99)
    rows = {row["key"]: row for row in summarize(pa.Table.from_pandas(cohort)).rows()}
    return rows["nonmi_admitted_sex_gap"]["value"]


def test_no_bias_scenario_closes_the_young_women_gap(seed):
    # Issue: the OR for women < 55 must fall below 2.0 on at least 2,000,000 rows with the bias knobs off.
    cohort = simulate_frame(scenario("no_bias"), 2_000_000, seed)
    rows = {row["key"]: row for row in summarize(pa.Table.from_pandas(cohort)).rows()}
    assert rows["or_young_women"]["value"] < 2.0, rows["or_young_women"]
    # Race has no physiological effect in the model, so without bias the non-white OR is near 1.
    assert (
        rows["or_nonwhite"]["ci_low"] < 1.0 < rows["or_nonwhite"]["ci_high"]
        or abs(rows["or_nonwhite"]["value"] - 1) < 0.15
    )
    assert abs(rows["analgesia_rr_black"]["value"] - 1.0) < 0.02
    # Issue 13, revised in issue 24: with every bias knob off, patients without MI in the same ESC 0/1 h zone are
    # admitted alike (zone-standardised gap <= 5 points). The crude gap is larger because men's baseline hs-cTnI
    # is about twice women's (which is why the assay has sex-specific 99th percentiles) and the ESC cut-offs are
    # the same for both sexes, so more men land in the observe zone: physiology and pathway, not a bias knob.
    assert abs(zone_standardised_gap(cohort)) <= 5.0
    # ... while in the default scenario the bias knobs open both gaps (women discharged more often).
    default = simulate_frame(scenario("default"), 500_000, 99)
    assert zone_standardised_gap(default) > zone_standardised_gap(cohort) + 5
    assert default_gap_points() > rows["nonmi_admitted_sex_gap"]["value"] + 5


def zone_standardised_gap(cohort) -> float:
    """Admission of non-MI patients, men minus women, within each ESC 0/1 h zone, weighted by zone size (points)."""
    frame = cohort[~cohort.mi].assign(
        zone=lambda f: esc_0_1h(f.troponin_0h_ng_l, f.troponin_1h_ng_l, f.symptom_onset_hours),
        admitted=lambda f: ~f.discharged,
    )
    rates = frame.groupby(["zone", "sex"]).admitted.mean().unstack()
    weights = frame.zone.value_counts(normalize=True)
    return float(((rates["male"] - rates["female"]) * weights).sum() * 100)
