"""The runs page: runs side by side with metrics by sex, registered versions with aliases, the retrain command."""

from __future__ import annotations

from chestpain.app import _common
from chestpain.models import RETRAIN_COMMAND
from tests.app.helpers import run_page


def test_empty_store_says_how_to_train(monkeypatch, tmp_path):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'none.db'}")
    at = run_page("runs.py")
    assert not at.exception, at.exception
    assert "No MLflow store" in at.info[0].value
    assert at.code[0].value == RETRAIN_COMMAND
    assert not (tmp_path / "none.db").exists()


def test_runs_side_by_side_and_aliases(logged_run):
    at = run_page("runs.py")
    assert not at.exception, at.exception
    runs, side, versions = (frame.value for frame in at.dataframe)
    for metric in ("test.overall.auroc", "test.female.sensitivity", "test.male.sensitivity", "threshold.female"):
        assert metric in runs.columns
        assert metric in side.index
    assert "test.female.rule_out_fraction" in side.index
    row = versions[versions["run_id"] == logged_run["run_id"]].iloc[0]
    assert row["model"] == "chest-pain-triage" and "champion" in row["aliases"]
    assert any(code.value == RETRAIN_COMMAND for code in at.code)


def test_the_default_model_is_the_registered_champion(logged_run, monkeypatch):
    monkeypatch.delenv("TRIAGE_MODEL")
    # The first view waits only 0.3 s for the model (tests/app/test_app_start.py covers that wait); here the load
    # is awaited first, so the check does not depend on how busy the machine is (it once took longer under load).
    assert _common.start_loading().result(timeout=120) is not None
    at = run_page("discharge_check.py")
    assert not at.exception, at.exception
    assert not at.info or "No model" not in at.info[0].value
    assert any("models:/chest-pain-triage@champion" in m.value for m in at.sidebar.markdown)
