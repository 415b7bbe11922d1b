"""Same config and seed, same bytes; page formatting and the results summary."""

from __future__ import annotations

import math

import pytest

from chestpain.experiments import load_experiment_config, read_summaries, run_experiment, summary_table
from chestpain.experiments._report import est, table
from chestpain.kernel.stats import Estimate
from tests.experiments.conftest import CONFIG_DIR


def _run(tmp_path, name, overrides=()):
    config = load_experiment_config(CONFIG_DIR / f"{name}.yaml", [f"output_dir={tmp_path}", *overrides])
    return run_experiment(config, mlflow=False)


@pytest.mark.parametrize("name", ["pain_treatment", "model_vs_scores"])
def test_same_seed_same_bytes(tmp_path, name):
    first = _run(tmp_path / "a", name)
    second = _run(tmp_path / "b", name)
    assert [p.name for p in first.files] == [p.name for p in second.files]
    for a, b in zip(first.files, second.files, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name
    other = _run(tmp_path / "c", name, ["seed=7"])
    assert other.files[0].read_bytes() != first.files[0].read_bytes()


def test_library_run_without_mlflow_returns_result(tmp_path):
    outcome = _run(tmp_path, "calibration", ["n=5000"])
    assert outcome.run_id is None
    assert outcome.result.reference.scenario == "default"
    assert [s["name"] for s in read_summaries(tmp_path)] == ["calibration"]


def test_summary_table_links_each_page(tmp_path):
    _run(tmp_path, "calibration", ["n=5000"])
    _run(tmp_path, "pain_treatment", ["n=5000"])
    entries = read_summaries(tmp_path)
    assert [e["kind"] for e in entries] == ["calibration", "pain_treatment"]
    text = summary_table(entries, "experiments/results/")
    assert "(experiments/results/calibration.md)" in text and "(experiments/results/pain_treatment.md)" in text
    assert (tmp_path / "README.md").read_text().count("\n| [") == 2


def test_estimate_formatting():
    assert est(Estimate(0.0208, 0.0199, 0.0217), 2, percent=True) == "2.08% (1.99-2.17%)"
    assert est(Estimate(0.0061, 0.0025, 0.0097), 2, points=True) == "+0.61 (0.25 to 0.97)"
    assert est(Estimate(-0.00001, -0.0002, 0.0001), 2, points=True) == "0.00 (-0.02 to 0.01)"
    assert est(Estimate(-0.5, -0.8, -0.2)) == "-0.50 (-0.80 to -0.20)"
    assert est(Estimate(12.0, 5.0, math.inf), 0) == "12 (5-∞)"
    assert est(Estimate(math.nan, math.nan, math.nan)) == "n/a"
    assert table(["a", "b"], [["x|y", 1]]) == "| a | b |\n|---|---|\n| x\\|y | 1 |"
