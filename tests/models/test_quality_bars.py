"""The issues' quality bars on seeded simulated cohorts (figures also reported in the README).

Issue 14: the shipped xgboost config trained on 200,000 visits; the flag scored on an independent 200,000-visit
cohort (another seed) against the simulator's oracle on the same rows. The heavy version, with the
unconstrained and calibration-split variants beside it, is ``benchmarks/bench_model_quality.py``.
"""

from __future__ import annotations

import numpy as np
import pytest

from chestpain.models._evaluation import rule_out_at_sensitivity


@pytest.fixture(scope="module")
def independent(xgb_result, independent_cohort):
    out = xgb_result.model.predict(independent_cohort, with_reasons=False)
    return {
        "y": independent_cohort["mi"].to_numpy(bool),
        "oracle": independent_cohort["oracle_mi_probability"].to_numpy(float),
        "sex": independent_cohort["sex"].astype("string").to_numpy(),
        "risk": out["risk"].to_numpy(float),
        "flag": out["flag"].to_numpy(bool),
        "mi_flag": out["flag_reason"].str.contains("mi").to_numpy(bool),
        "mace": independent_cohort["mace_30d"].to_numpy(bool),
        "age": independent_cohort["age"].to_numpy(),
        "onset": independent_cohort["symptom_onset_hours"].to_numpy(float),
        "no_1h": independent_cohort["troponin_1h_ng_l"].isna().to_numpy(),
    }


@pytest.mark.parametrize("group", ["female", "male"])
def test_shipped_flag_keeps_99_percent_sensitivity_in_each_sex_on_an_independent_cohort(independent, group):
    # The threshold's one-sided 97.5% bound reached 99% on out-of-fold risk; on ~9,000 (women) / ~11,000 (men)
    # new MIs the point estimate must still reach 99% (its binomial SD there is about 0.1 point).
    rows = independent["y"] & (independent["sex"] == group)
    assert rows.sum() > 3_000
    assert independent["flag"][rows].mean() >= 0.99


def test_mi_question_flag_rules_out_at_least_085_of_the_oracle_at_99_percent(independent):
    # Issue 14 bar for the MI question's flag (group guarantees included): >= 0.85 of the oracle's rule-out at
    # exactly 99% sensitivity, same independent rows. The 30-day MACE question flags more (its own test below).
    oracle = rule_out_at_sensitivity(independent["oracle"], independent["y"], 0.99)
    assert np.mean(~independent["mi_flag"]) >= 0.85 * oracle


GUARANTEED = {
    "female&<55": lambda d: (d["sex"] == "female") & (d["age"] < 55),
    "female&>=55": lambda d: (d["sex"] == "female") & (d["age"] >= 55),
    "male&<55": lambda d: (d["sex"] == "male") & (d["age"] < 55),
    "male&>=55": lambda d: (d["sex"] == "male") & (d["age"] >= 55),
    "onset<=3h": lambda d: d["onset"] <= 3,
    "no 1h sample": lambda d: d["no_1h"],  # 0/2 h and 0/3 h sites (30% of visits by default)
}


@pytest.mark.parametrize("group", sorted(GUARANTEED))
def test_every_guaranteed_group_keeps_99_percent_sensitivity_for_mi_on_an_independent_cohort(independent, group):
    # Issue 25: each group's threshold has a one-sided 97.5% Wilson bound >= 99% on out-of-fold risk (1,300 to
    # 5,800 MIs per group). On the independent cohort's 1,800 (women < 55) to 8,300 MIs per group, the MI
    # question's own flag must reach 99% as a point estimate (binomial SD at 99% with 1,800 MIs: 0.23 point).
    rows = GUARANTEED[group](independent) & independent["y"]
    assert rows.sum() > 1_500
    assert independent["mi_flag"][rows].mean() >= 0.99


@pytest.mark.parametrize("group", ["female", "male"])
def test_shipped_flag_keeps_98_percent_sensitivity_for_30_day_mace_in_each_sex(independent, group):
    # Issue 25: the MACE threshold's one-sided bound reached 98% out of fold; ~10,000 MACE per sex here (SD 0.14).
    rows = independent["mace"] & (independent["sex"] == group)
    assert rows.sum() > 5_000
    assert independent["flag"][rows].mean() >= 0.98


def test_ranking_at_equal_sensitivity_is_at_least_097_of_the_oracle(independent):
    # Issue 14 bar: >= 0.97 of the oracle's rule-out at exactly 99% sensitivity, asserted as the issue states it,
    # without a tolerance. Training and scoring are seeded and deterministic, so this run gives one number: 0.983
    # (76.3% vs the oracle's 77.7%, simulator v3). That margin is small against seed noise (the 99% point rests
    # on the ~1% of MIs missed): over five seeded cohort pairs the shipped config ranged 0.969 to 0.984 (mean 0.977,
    # README), so a change to the simulator or the training data can move it across the bar without the model
    # worsening.
    y = independent["y"]
    model = rule_out_at_sensitivity(independent["risk"], y, 0.99)
    assert model >= 0.97 * rule_out_at_sensitivity(independent["oracle"], y, 0.99)


def test_both_oracle_ratios_are_reported_by_sex(xgb_result):
    for group in ("overall", "female", "male"):
        comparison = xgb_result.metrics["test"][group]["vs_oracle"]
        assert 0 < comparison["ranking_vs_oracle"] <= 1.05 and 0 < comparison["flag_rule_out_vs_oracle"] <= 1.05
    selection = xgb_result.model.manifest["threshold_selection"]
    assert selection["rule"] == "cross_fit" and selection["n_positive"]["female"] > 0


def test_xgboost_auroc_close_to_the_oracle(xgb_result):
    # Same test split, same columns as the oracle: the gap is estimation error alone. Bar: >= 0.99 x oracle.
    overall = xgb_result.metrics["test"]["overall"]
    assert overall["auroc"]["value"] >= 0.99 * overall["oracle_auroc"]["value"]


@pytest.mark.parametrize("group", ["overall", "female", "male"])
def test_sensitivity_at_least_99_percent(xgb_result, group):
    # The threshold is set on out-of-fold risk so that the one-sided 97.5% lower bound of sensitivity reaches
    # 99% there. The test split of a 200,000-visit cohort holds only ~3,000 women with MI (binomial SD of the
    # sensitivity about 0.18 point), so here the check is that it is not significantly below 99% (Wilson 95%
    # upper bound >= 99%); the point-estimate bar is on the independent 200,000-visit cohort (tests above).
    assert xgb_result.metrics["test"][group]["sensitivity"]["ci_high"] >= 0.99


def test_model_rules_out_more_than_heart_at_better_sensitivity(xgb_result):
    # Overall, as the issue states it, for the MI question's flag (the 30-day MACE question flags more and is
    # reported beside it). By sex the model's margin over HEART is large in women and small (or negative) in men,
    # whose MI is commoner: the README reports both.
    model = xgb_result.metrics["test_mi_question"]["overall"]
    heart = xgb_result.baselines["HEART (low risk 0-3)"]["overall"]
    assert model["sensitivity"]["value"] >= heart["sensitivity"]["value"]
    assert model["rule_out_fraction"]["value"] >= heart["rule_out_fraction"]["value"]


def test_every_baseline_is_reported_by_sex(xgb_result):
    assert set(xgb_result.baselines) == {"HEART (low risk 0-3)", "ESC 2020", "single-sample rule-out"}
    for result in xgb_result.baselines.values():
        assert set(result) == {"overall", "female", "male"}
        assert result["female"]["n"] + result["male"]["n"] == result["overall"]["n"]


def test_manifest_records_metrics_by_sex_and_data_hash(xgb_result):
    manifest = xgb_result.model.manifest
    assert len(manifest["training_data_sha256"]) == 64
    assert {"overall", "female", "male"} <= set(manifest["metrics"]["test"])
    assert manifest["package_versions"]["xgboost-cpu"]
    assert manifest["label"] == "mi" and "mi" not in manifest["features"]
