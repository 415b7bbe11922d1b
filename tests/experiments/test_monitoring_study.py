"""The monitoring study's simulated deployments: same seed same stream, the gap where and how big it is said to be."""

from __future__ import annotations

import numpy as np
import pandas as pd

from chestpain.ehr import read_feedback
from chestpain.experiments.monitoring_study import (
    BASE_OVERRIDE,
    GAP_WEEK,
    describe,
    run_arm,
    simulate_stream,
    write_store,
)
from chestpain.kernel.seeding import named_stream


def test_same_seed_same_stream_and_the_gap_starts_at_week_20():
    first = simulate_stream(named_stream(1, "s"), female_ratio=2.0, visits_per_week=2000)
    again = simulate_stream(named_stream(1, "s"), female_ratio=2.0, visits_per_week=2000)
    pd.testing.assert_frame_equal(first[0], again[0])
    cards = first[0]
    action = cards[cards["indicator"] != "info"]
    week = (pd.to_datetime(action["issued"]) - pd.Timestamp("2026-01-05")).dt.days // 7
    rate = action["outcome"].eq("overridden").groupby([action["sex"], week >= GAP_WEEK]).mean()
    # About 20,000 (before) and 32,000 (after) warnings per sex cell: binomial SE <= 0.005, so 0.02 is > 4 SE.
    assert abs(rate[("male", False)] - BASE_OVERRIDE) < 0.02 and abs(rate[("male", True)] - BASE_OVERRIDE) < 0.02
    assert abs(rate[("female", False)] - BASE_OVERRIDE) < 0.02
    assert abs(rate[("female", True)] - 2 * BASE_OVERRIDE) < 0.02
    follow = first[1]
    discharged = cards["card"].isin(follow["card"])
    assert discharged.equals((cards["indicator"] == "info") | cards["outcome"].eq("overridden"))
    assert (follow["mi"] <= follow["mace_30d"]).all()  # an MI is a MACE


def test_a_stream_written_to_the_store_reads_back_as_simulated(tmp_path):
    cards, _ = simulate_stream(named_stream(2, "s"), weeks=3, visits_per_week=40)
    write_store(cards, tmp_path / "f.sqlite")
    stored = read_feedback(tmp_path / "f.sqlite")
    columns = ["card", "indicator", "sex", "race", "age_band", "issued", "outcome", "received"]
    key = ["issued", "card"]
    pd.testing.assert_frame_equal(
        stored[columns].sort_values(key).reset_index(drop=True), cards[columns].sort_values(key).reset_index(drop=True)
    )


def test_a_few_streams_of_each_arm():
    """Four years per arm at the study's size: no alarm without a gap; the gap found, in women, after week 20."""
    null, gap = run_arm("null", 4, 11), run_arm("gap", 4, 11)
    assert null.any_alarm == 0 and null.delays == []
    assert gap.female_alarm == 1 and gap.only_female_groups == 1
    assert all(0 < delay < 52 - GAP_WEEK for delay in gap.delays)
    assert gap.delay_q1 <= gap.delay_median <= gap.delay_q3
    assert "median delay" in describe(gap) and np.isfinite(gap.delay_median)
