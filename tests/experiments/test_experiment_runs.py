"""Every experiment on a small config: its files, its MLflow run, and headline figures in plausible ranges."""

from __future__ import annotations

import math

import pytest

from chestpain.simulation import TARGETS
from tests.experiments.conftest import NAMES, mlflow_client

EXPERIMENT = "chest-pain-triage-experiments"


def finite(value: object) -> bool:
    return isinstance(value, float | int) and math.isfinite(value)


@pytest.mark.parametrize("name", NAMES)
def test_result_files(run_small, name):
    ran = run_small(name)
    page = (ran.out_dir / f"{name}.md").read_text()
    assert page.startswith("# ")
    assert "not clinical evidence" in page
    assert "## Assumptions" in page and "## Sources" in page and "95%" in page
    if name == "uci_sites":
        assert "not myocardial infarction" in page
    else:
        assert "Simulated evidence" in page
    assert ran.summary["figures"], "every page has at least one figure"
    for figure in ran.summary["figures"]:
        path = ran.out_dir / figure
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert figure in page, "the page links its figures"
        assert path.stat().st_size < 400_000
    assert f"({name}.md)" in (ran.out_dir / "README.md").read_text()
    assert not list(ran.out_dir.glob(".*.tmp")), "no temporary files left behind"


@pytest.mark.parametrize("name", NAMES)
def test_mlflow_run(run_small, tracking_uri, name):
    ran = run_small(name)
    client = mlflow_client(tracking_uri)
    experiment = client.get_experiment_by_name(EXPERIMENT)
    runs = client.search_runs([experiment.experiment_id], filter_string=f"tags.mlflow.runName = '{name}'")
    assert len(runs) == 1
    run = runs[0]
    assert run.data.tags["kind"] == ran.summary["kind"]
    assert run.data.params["seed"] and run.data.params["name"] == name
    assert run.data.metrics["seconds"] > 0
    headline = {k: v for k, v in ran.summary["metrics"].items() if v is not None}
    assert headline and set(headline) <= set(run.data.metrics)
    artifacts = {a.path for a in client.list_artifacts(run.info.run_id, "results")}
    assert f"results/{name}.md" in artifacts and f"results/{name}.json" in artifacts
    # Aggregates only: the results page, its figures and its JSON summary; never patient rows.
    assert all(path.endswith((".md", ".png", ".json")) for path in artifacts)


def metrics(run_small, name: str) -> dict[str, float]:
    return run_small(name).summary["metrics"]


def test_calibration_figures(run_small):
    m = metrics(run_small, "calibration")
    # Every target with a published range (the reported-only rows are context, not targets).
    tested = sum(not target.reported_only for target in TARGETS)
    assert 0 <= m["targets_in_range"] <= m["targets"] == tested == 48
    assert 0.05 < m["default.mi_prevalence"] < 0.15
    assert 0 < m["default.missed_share"] < 0.1
    assert m["no_bias.missed_share"] < m["default.missed_share"]
    assert 0.9 < m["default.oracle_auroc"] < 1
    assert finite(m["default.or_young_women"]) and m["default.or_young_women"] > 1


def test_listening_figures(run_small):
    m = metrics(run_small, "listening")
    assert finite(m["reference.odds_ratio"]) and m["reference.odds_ratio"] > 0
    assert m["variant0.baseline.odds_ratio"] > 1
    assert 0 < m["variant0.baseline.missed_young_women"] < 0.5
    assert 5 <= m["variant0.best.median_seconds"] <= 60
    assert m["variant1.baseline.odds_ratio"] < m["variant0.baseline.odds_ratio"]


def test_interventions_figures(run_small):
    m = metrics(run_small, "interventions")
    assert 0.85 < m["model.auroc"] <= 1
    assert 0 < m["arm0.missed.female"] < 0.2
    arms = {int(k.split(".")[0][3:]) for k in m if k.startswith("arm")}
    assert arms == set(range(11))
    assert m["arm5.missed.female"] <= m["arm0.missed.female"], "the oracle check cannot miss more"
    assert m["arm5.admitted"] >= m["arm0.admitted"]
    assert m["arm7.admissions_per_prevented"] > 0


def test_label_bias_figures(run_small):
    m = metrics(run_small, "label_bias")
    for rule in ("truth", "chart", "chart_per_sex_truth"):
        for group in ("overall", "female", "male"):
            assert 0 <= m[f"{rule}.{group}.fnr"] < 0.25
            assert 0.8 < m[f"{rule}.{group}.auroc"] <= 1
            assert 0 <= m[f"{rule}.{group}.rule_out"] <= 1
    assert abs(m["chart_minus_truth.female.auroc"]) < 0.05


def test_pain_figures(run_small):
    m = metrics(run_small, "pain_treatment")
    assert 0.6 < m["scenario0.rr_black_vs_white"] < 0.95
    assert 0.85 < m["scenario1.rr_black_vs_white"] < 1.15
    assert m["scenario0.less_likely_black"] == pytest.approx(1 - m["scenario0.rr_black_vs_white"])


def test_uci_figures(run_small):
    m = metrics(run_small, "uci_sites")
    for model in ("uci_logistic", "uci_xgboost"):
        assert 0.6 < m[f"{model}.pooled.overall.auroc"] < 0.95
        assert 0.5 < m[f"{model}.pooled.overall.sensitivity"] <= 1
        assert abs(m[f"{model}.pooled.overall.predicted_minus_observed"]) < 0.3
    assert "uci_logistic.switzerland.female.auroc" not in m, "all 10 Swiss women have CAD: no AUROC"


def test_model_vs_scores_figures(run_small):
    m = metrics(run_small, "model_vs_scores")
    for group in ("overall", "female", "male"):
        assert m[f"model_at_target.{group}.sensitivity"] >= 0.99
        assert m[f"oracle_at_target.{group}.sensitivity"] >= 0.99
        assert 0.05 < m[f"oracle_at_target.{group}.rule_out"] < 0.9
        assert 0.3 < m[f"model_over_oracle.{group}.rule_out_ratio"] < 1.5
        assert 0.85 < m[f"heart.{group}.sensitivity"] < 1
        assert 0.85 < m[f"esc.{group}.sensitivity"] < 1
    # Issue 25: each guaranteed group's MI sensitivity on the independent cohort (its CI is on the results page).
    for group in ("female_and_lt55", "female_and_ge55", "male_and_lt55", "male_and_ge55", "onsetle3h"):
        assert 0.9 < m[f"independent.mi_question.{group}.sensitivity"] <= 1
