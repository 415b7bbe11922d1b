"""The issue's quality bars on a seeded 400,000-row simulated cohort (figures also reported in the README)."""

from __future__ import annotations

import pytest


def test_xgboost_auroc_close_to_the_oracle(xgb_result):
    # Same test split, same columns as the oracle: the gap is estimation error alone. Bar: >= 0.99 x oracle.
    overall = xgb_result.metrics["test"]["overall"]
    assert overall["auroc"]["value"] >= 0.99 * overall["oracle_auroc"]["value"]


@pytest.mark.parametrize("group", ["overall", "female", "male"])
def test_sensitivity_at_least_99_percent(xgb_result, group):
    # The threshold is set on the calibration split so that the one-sided 95% lower bound of sensitivity reaches
    # 99% there; on the independent test split the point estimate must still reach 99% in each sex.
    assert xgb_result.metrics["test"][group]["sensitivity"]["value"] >= 0.99


def test_model_rules_out_more_than_heart_at_better_sensitivity(xgb_result):
    # Overall, as the issue states it. By sex the model's margin over HEART is large in women and small (or
    # negative) in men, whose MI is commoner: the README reports both.
    model = xgb_result.metrics["test"]["overall"]
    heart = xgb_result.baselines["HEART (low risk 0-3)"]["overall"]
    assert model["sensitivity"]["value"] >= heart["sensitivity"]["value"]
    assert model["rule_out_fraction"]["value"] >= heart["rule_out_fraction"]["value"]


def test_every_baseline_is_reported_by_sex(xgb_result):
    assert set(xgb_result.baselines) == {"HEART (low risk 0-3)", "ESC 0/1 h", "single-sample rule-out"}
    for result in xgb_result.baselines.values():
        assert set(result) == {"overall", "female", "male"}
        assert result["female"]["n"] + result["male"]["n"] == result["overall"]["n"]


def test_manifest_records_metrics_by_sex_and_data_hash(xgb_result):
    manifest = xgb_result.model.manifest
    assert len(manifest["training_data_sha256"]) == 64
    assert {"overall", "female", "male"} <= set(manifest["metrics"]["test"])
    assert manifest["package_versions"]["xgboost-cpu"]
    assert manifest["label"] == "mi" and "mi" not in manifest["features"]
