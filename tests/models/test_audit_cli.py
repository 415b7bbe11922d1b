"""``chestpain audit`` on a trained model: the DESIGN.md metrics.json, a report, cohort and UCI attributes."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner, Result

from chestpain.cli.main import app
from chestpain.models import load_train_config, prepare, train
from chestpain.simulation import SCENARIO_DIR, load_scenario, simulate_frame

runner = CliRunner()


def _audit(model: Path, data: Path, out: Path, *options: str) -> Result:
    """``chestpain audit --model --data --out`` then ``options``: each test differs only in the options it adds."""
    return runner.invoke(app, ["audit", "--model", str(model), "--data", str(data), "--out", str(out), *options])


@pytest.fixture(scope="module")
def audit_cohort(tmp_path_factory):
    path = tmp_path_factory.mktemp("audit") / "audit_cohort.parquet"
    simulate_frame(load_scenario(SCENARIO_DIR / "default.yaml"), 30_000, 99).to_parquet(path)
    return path


def test_audit_writes_design_contract(logistic_result, audit_cohort, tmp_path):
    out = tmp_path / "report"
    result = _audit(logistic_result.model.path, audit_cohort, out, "--n-boot", "50")
    assert result.exit_code == 0, result.output
    assert "Audit by sex" in result.output and "female" in result.output
    metrics = json.loads((out / "metrics.json").read_text())
    assert {"label", "threshold", "n", "n_boot", "confidence", "groups", "disparities"} <= set(metrics)
    assert metrics["label"] == "mi" and metrics["n"] == 30_000 and metrics["n_boot"] == 50
    attributes = {g["attribute"] for g in metrics["groups"]}
    assert attributes == {"overall", "sex", "race", "age_band", "sex&age_band"}
    female = next(g for g in metrics["groups"] if g["attribute"] == "sex" and g["group"] == "female")
    for metric in ("fnr", "fpr", "ppv", "npv", "selection_rate", "auroc"):
        assert set(female[metric]) >= {"value", "ci_low", "ci_high"}
    assert (out / "report.html").exists() and any(out.glob("*.png"))
    # Simulated data carries the oracle: its own rates at the model's thresholds sit beside the model's.
    oracle = {(g["attribute"], g["group"]): g for g in metrics["oracle_at_threshold"]["groups"]}
    assert oracle[("sex", "female")]["n_positive"] == female["n_positive"]
    assert "oracle at the same thresholds" in (out / "report.html").read_text()


def test_the_oracle_is_flagged_with_the_models_own_rule(logistic_result, audit_cohort):
    from chestpain.models import audit_model

    frame = pd.read_parquet(audit_cohort)
    audit = audit_model(logistic_result.model, frame, n_boot=20, mitigations=False)
    model = logistic_result.model
    features = model.validate(frame)
    mace = frame["oracle_mace_probability"].to_numpy() if model.mace is not None else None
    expected = model.flag(features, frame["oracle_mi_probability"].to_numpy(), mace)
    young_women = ((frame["sex"] == "female") & (frame["age"] < 55)).to_numpy()
    missed = expected[young_women & frame["mi"].to_numpy()] == 0
    assert audit.oracle.rate("sex&age_band", "female&<55", "fnr") == pytest.approx(missed.mean())
    from chestpain.models._audit_view import disparity_table

    columns = list(disparity_table(audit.result, "fnr", audit.oracle).columns)
    assert columns[4] == "oracle's ratio, same thresholds"  # next to the model's ratio, not behind "why"
    assert (
        audit_model(
            logistic_result.model, frame.drop(columns="oracle_mi_probability"), n_boot=20, mitigations=False
        ).oracle
        is None
    )
    assert audit_model(logistic_result.model, frame, label="diagnosed_mi", n_boot=20, mitigations=False).oracle is None


def test_audit_against_the_chart_label(logistic_result, audit_cohort, tmp_path):
    out = tmp_path / "report"
    result = _audit(logistic_result.model.path, audit_cohort, out, "--n-boot", "20", "--label", "diagnosed_mi")
    assert result.exit_code == 0, result.output
    assert json.loads((out / "metrics.json").read_text())["label"] == "diagnosed_mi"


def test_audit_on_uci_by_site_and_sex(uci, repo_root, tmp_path):
    cfg = load_train_config(repo_root / "configs/train/uci_logistic.yaml")
    model_dir = tmp_path / "uci_model"
    train(prepare(uci, cfg), cfg, model_dir)
    data = tmp_path / "uci.parquet"
    uci.to_parquet(data)
    result = _audit(model_dir, data, tmp_path / "r", "--n-boot", "50")
    assert result.exit_code == 0, result.output
    metrics = json.loads((tmp_path / "r" / "metrics.json").read_text())
    assert metrics["label"] == "cad"
    assert {g["attribute"] for g in metrics["groups"]} == {"overall", "site", "sex", "site&sex"}
    html = (tmp_path / "r" / "report.html").read_text()
    assert "not myocardial infarction" in html or "not MI" in html


def test_audit_without_label_is_a_clear_error(logistic_result, small_cohort, tmp_path):
    data = tmp_path / "nolabel.parquet"
    small_cohort.drop(columns=["mi"]).head(100).to_parquet(data)
    result = _audit(logistic_result.model.path, data, tmp_path / "r")
    assert result.exit_code == 1
    assert "the label column 'mi' is missing" in result.output
    assert not (tmp_path / "r").exists()


# --- any decision: --predictions and --decision (issue 15) -------------------------------------------------


def _any(*options: str) -> Result:
    return runner.invoke(app, ["audit", *options])


@pytest.fixture(scope="module")
def decision_tables(tmp_path_factory):
    folder = tmp_path_factory.mktemp("decisions")
    frame = simulate_frame(load_scenario(SCENARIO_DIR / "default.yaml"), 6_000, 5)
    frame.to_parquet(folder / "cohort.parquet")
    table = frame[["patient_id", "sex", "age", "race", "mi"]].assign(
        vendor_risk=frame["clinician_risk"], vendor_flag=~frame["discharged"]
    )
    table.to_csv(folder / "vendor.csv", index=False)
    table.to_parquet(folder / "vendor.parquet")
    return folder


@pytest.mark.parametrize("name", ["vendor.csv", "vendor.parquet"])
def test_audit_predictions_of_any_model(decision_tables, tmp_path, name):
    out = tmp_path / "report"
    result = _any(
        "--predictions",
        str(decision_tables / name),
        "--label",
        "mi",
        "--score",
        "vendor_risk",
        "--flag",
        "vendor_flag",
        "--out",
        str(out),
        "--n-boot",
        "20",
    )
    assert result.exit_code == 0, result.output
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["n"] == 6_000 and metrics["intervals"]["proportion"] == "wilson"
    assert "vendor_flag" in metrics["source"]
    assert "flags: Benjamini-Hochberg" in result.output


def test_audit_refuses_sex_other_than_female_or_male(decision_tables, tmp_path):
    # "unknown" used to become a silent third group of the audit by sex (issue 27).
    table = pd.read_csv(decision_tables / "vendor.csv")
    table.loc[3, "sex"] = "unknown"
    table.to_csv(tmp_path / "unknown.csv", index=False)
    out = tmp_path / "report"
    result = _any(
        "--predictions", str(tmp_path / "unknown.csv"), "--score", "vendor_risk", "--flag", "vendor_flag",
        "--out", str(out),
    )  # fmt: skip
    assert result.exit_code == 1
    assert "unknown.csv: row 4, column sex: 'unknown' is not a known category; use female or male" in result.output
    assert len(result.output.strip().splitlines()) == 1 and not out.exists()


def test_audit_predictions_score_only_needs_a_threshold(decision_tables, tmp_path):
    base = [
        "--predictions",
        str(decision_tables / "vendor.csv"),
        "--score",
        "vendor_risk",
        "--out",
        str(tmp_path / "r"),
    ]
    result = _any(*base)
    assert result.exit_code == 1 and "needs --threshold" in result.output
    result = _any(*base, "--threshold", "0.05", "--n-boot", "10")
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("decision", ["clinician", "heart", "esc"])
def test_audit_decisions_on_the_cohort(decision_tables, tmp_path, decision):
    out = tmp_path / decision
    result = _any(
        "--data", str(decision_tables / "cohort.parquet"), "--decision", decision, "--out", str(out), "--n-boot", "10"
    )
    assert result.exit_code == 0, result.output
    metrics = json.loads((out / "metrics.json").read_text())
    frame = pd.read_parquet(decision_tables / "cohort.parquet")
    overall = metrics["groups"][0]["fnr"]
    if decision == "clinician":  # flag = not discharged: FNR = share of MI sent home
        assert overall["events"] == int((frame["mi"] & frame["discharged"]).sum())
    if decision == "esc":  # ESC on each record's own pathway: a 0/2 h or 0/3 h site's MI is never an ESC 0/1 h miss
        from chestpain.features import clinical_scores, esc_of_record, validate_visits

        assert frame["troponin_1h_ng_l"].isna().any()
        reading = esc_of_record(clinical_scores(validate_visits(frame, symptom_source="doc")))[1]
        assert overall["events"] == int((frame["mi"].to_numpy() & (reading == "rule-out")).sum())
    assert overall["denominator"] == int(frame["mi"].sum())


@pytest.mark.parametrize(
    ("edit", "options", "message"),
    [
        (lambda t: t.drop(columns="vendor_flag"), ["--flag", "vendor_flag"], "column vendor_flag is missing"),
        (
            lambda t: t.assign(vendor_flag=["maybe"] + ["true"] * (len(t) - 1)),
            ["--flag", "vendor_flag"],
            "row 1, column vendor_flag: 'maybe' is not true or false",
        ),
        (
            lambda t: t.assign(vendor_risk=[0.1, 1.5] + [0.1] * (len(t) - 2)),
            ["--score", "vendor_risk", "--threshold", "0.5"],
            "row 2, column vendor_risk: 1.5 is outside [0, 1]",
        ),
        (lambda t: t.drop(columns="mi"), ["--flag", "vendor_flag"], "the label column 'mi' is missing"),
    ],
)
def test_audit_predictions_clear_errors(decision_tables, tmp_path, edit, options, message):
    path = tmp_path / "bad.csv"
    edit(pd.read_csv(decision_tables / "vendor.csv")).to_csv(path, index=False)
    result = _any("--predictions", str(path), *options, "--out", str(tmp_path / "r"))
    assert result.exit_code == 1
    assert message in " ".join(result.output.split())
    assert "bad.csv" in result.output
    assert not (tmp_path / "r").exists()


def test_audit_needs_exactly_one_source(decision_tables, tmp_path):
    result = _any("--out", str(tmp_path / "r"))
    assert result.exit_code == 1 and "exactly one of --model, --predictions or --decision" in result.output
    result = _any("--decision", "clinician", "--out", str(tmp_path / "r"))
    assert result.exit_code == 1 and "--decision needs --data" in result.output
