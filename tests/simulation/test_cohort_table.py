"""The simulated cohort honours the DESIGN.md cohort-table contract."""

from __future__ import annotations

import numpy as np
import pyarrow.parquet as pq
import pytest

from chestpain.features import esc_0_1h, esc_0_2h
from chestpain.features.columns import (
    COHORT_COLUMNS,
    COHORT_SCHEMA,
    DOCUMENTED_SYMPTOM_COLUMNS,
    RACES,
    SEXES,
    TRUE_SYMPTOM_COLUMNS,
)
from chestpain.simulation import SCENARIO_DIR, load_scenario, simulate_frame, write_cohort
from tests.simulation.conftest import scenario


@pytest.fixture(scope="module")
def small_file(tmp_path_factory, seed):
    out = tmp_path_factory.mktemp("cohort") / "cohort.parquet"
    write_cohort(scenario("default"), 70_000, seed, str(out))
    return out


def test_schema_is_the_contract(small_file):
    assert pq.read_schema(small_file).remove_metadata() == COHORT_SCHEMA
    assert tuple(pq.read_table(small_file).column_names) == COHORT_COLUMNS


def test_values_are_in_range(default_cohort):
    c = default_cohort
    assert c.patient_id.is_unique
    assert c.age.between(18, 100).all()
    assert set(c.sex) == set(SEXES)
    assert set(c.race) == set(RACES)
    assert c.pain_score.between(0, 10).all()
    for column in ("troponin_0h_ng_l", "troponin_1h_ng_l", "troponin_3h_ng_l"):
        values = c[column].dropna()
        # As the laboratory reports them: whole ng/L up to the reportable maximum, "< 2" (the LoD) coded as 1.
        assert (values == np.round(values)).all() and values.between(1, 50_000).all(), column
        assert (values == 1).any() and (values >= 2).any(), column
    # Each site keeps its pathway's samples (default: 70% 0/1 h, 15% 0/2 h, 15% 0/3 h), and 3 h for its observe zone.
    t1, t2, t3 = (c[f"troponin_{h}h_ng_l"].notna().to_numpy() for h in (1, 2, 3))
    on_0_1h, on_0_2h, on_0_3h = t1, ~t1 & t2, ~t1 & ~t2
    assert not (t1 & t2).any() and (on_0_3h <= t3).all()  # one pathway per visit; a 0/3 h site always has 3 h
    # 0.7 / 0.15 / 0.15 of 1,000,000 visits: binomial SD <= 0.05 points, so 0.5 points is 10 SD.
    for share, expected in ((on_0_1h.mean(), 0.70), (on_0_2h.mean(), 0.15), (on_0_3h.mean(), 0.15)):
        assert share == pytest.approx(expected, abs=0.005)
    onset = c.symptom_onset_hours
    esc = esc_0_1h(c.troponin_0h_ng_l, c.troponin_1h_ng_l, onset)
    np.testing.assert_array_equal(t3[on_0_1h], (esc == "observe")[on_0_1h])  # 3 h for the 0/1 h observe zone
    esc2 = esc_0_2h(c.troponin_0h_ng_l, c.troponin_2h_ng_l, onset)
    np.testing.assert_array_equal(t3[on_0_2h], (esc2 == "observe")[on_0_2h])  # ... and the 0/2 h observe zone
    assert c.clinician_risk.between(0, 1).all() and c.oracle_mi_probability.between(0, 1).all()
    assert c.oracle_mace_probability.between(0, 1).all()
    assert c.interrupt_seconds.between(0, 240).all()
    assert c.heart_rate.between(20, 250).all() and c.systolic_bp.between(50, 300).all()


def test_documented_symptoms_are_a_subset_of_true_ones(default_cohort):
    true = default_cohort[list(TRUE_SYMPTOM_COLUMNS)].to_numpy()
    documented = default_cohort[list(DOCUMENTED_SYMPTOM_COLUMNS)].to_numpy()
    assert not (documented & ~true).any()
    assert (true & ~documented).any()  # interruption does lose symptoms


def test_missed_mi_definition(default_cohort):
    c = default_cohort
    np.testing.assert_array_equal(c.missed_mi, c.mi & c.discharged & ~c.diagnosed_mi)
    assert not (c.discharged & c.diagnosed_mi).any()


def test_women_with_mi_report_more_atypical_symptoms(default_cohort):
    mi = default_cohort[default_cohort.mi]
    by_sex = mi.groupby("sex")[["sx_nausea", "sx_back_or_jaw_pain", "sx_chest_pain"]].mean()
    assert by_sex.loc["female", "sx_nausea"] > by_sex.loc["male", "sx_nausea"]
    assert by_sex.loc["female", "sx_back_or_jaw_pain"] > by_sex.loc["male", "sx_back_or_jaw_pain"]
    assert by_sex.loc["female", "sx_chest_pain"] < by_sex.loc["male", "sx_chest_pain"]


def test_chronic_injury_puts_many_mi_free_patients_above_the_limit(default_cohort):
    above = default_cohort[np.maximum(default_cohort.troponin_0h_ng_l, default_cohort.troponin_1h_ng_l) > 26]
    # Real EDs: a large share of patients above the 99th percentile do not have type 1 MI.
    assert (~above.mi).mean() > 0.3
    older = default_cohort[default_cohort.age >= 75]
    younger = default_cohort[default_cohort.age < 45]
    # Chronic injury grows with age: MI-free troponin elevation is clearly commoner in the old (acute
    # non-ischaemic injury and the healthy men's tail keep it from being zero in the young).
    old_share = ((older.troponin_0h_ng_l > 26) & ~older.mi).mean()
    young_share = ((younger.troponin_0h_ng_l > 26) & ~younger.mi).mean()
    assert old_share > 2 * young_share


def test_a_research_protocol_draws_every_later_sample(seed):
    cfg = load_scenario(SCENARIO_DIR / "default.yaml", ["sampling.draw_2h=all", "sampling.draw_3h=all"])
    cohort = simulate_frame(cfg, 20_000, seed)
    assert cohort.troponin_2h_ng_l.notna().all() and cohort.troponin_3h_ng_l.notna().all()
    # Adjudication reads every serial sample: an event whose 2 h or 3 h value is above the 99th is an MI.
    limit = np.where(cohort.sex == "male", 34, 16)
    above = np.maximum(cohort.troponin_2h_ng_l, cohort.troponin_3h_ng_l) > limit
    assert not (cohort.unstable_angina & above).any()
    # Same seed, same routine rows: the protocol changes only what is recorded.
    routine = simulate_frame(load_scenario(SCENARIO_DIR / "default.yaml"), 20_000, seed)
    drawn = routine.troponin_3h_ng_l.notna()
    np.testing.assert_array_equal(routine.troponin_3h_ng_l[drawn], cohort.troponin_3h_ng_l[drawn])
    for column in ("mi", "clinician_risk", "discharged", "missed_mi", "mace_30d"):  # the world and every decision
        np.testing.assert_array_equal(routine[column], cohort[column])
    # (The oracle columns are the record's since issue 25, so they differ where the protocol records more.)
