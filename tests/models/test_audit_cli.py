"""``triage audit`` on a trained model: the DESIGN.md metrics.json, a report, cohort and UCI attributes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from features import load_uci
from models import load_train_config, prepare, train
from simulation import SCENARIO_DIR, load_scenario, simulate_frame
from triage.cli import app

runner = CliRunner()


def _audit(model: Path, data: Path, out: Path, *options: str) -> Result:
    """``triage audit --model --data --out`` then ``options``: each test differs only in the options it adds."""
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


def test_audit_against_the_chart_label(logistic_result, audit_cohort, tmp_path):
    out = tmp_path / "report"
    result = _audit(logistic_result.model.path, audit_cohort, out, "--n-boot", "20", "--label", "diagnosed_mi")
    assert result.exit_code == 0, result.output
    assert json.loads((out / "metrics.json").read_text())["label"] == "diagnosed_mi"


def test_audit_on_uci_by_site_and_sex(repo_root, tmp_path):
    source = repo_root.parent / "shared" / "data" / "uci-heart-disease"
    if not source.is_dir():
        pytest.skip(f"shared UCI data not found at {source}")
    uci = load_uci(source)
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
