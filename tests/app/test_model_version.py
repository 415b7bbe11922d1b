"""The sidebar says which registered version answered, since when, and offers to reload when the alias moves."""

from __future__ import annotations

import pytest

from chestpain.app import _common
from tests.app.conftest import log_run
from tests.app.helpers import run_page


def _sidebar(at) -> str:
    return " ".join(element.value for element in [*at.sidebar.caption, *at.sidebar.markdown, *at.sidebar.warning])


@pytest.fixture
def private_registry(monkeypatch, tmp_path, app_model_dir):
    """A store of this test's own with the test model as champion version 1; nothing cached from other tests."""
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    monkeypatch.setenv("TRIAGE_MODEL", "models:/chest-pain-triage@champion")
    for name in ("_LOADS", "_LOADED", "_ALIAS_SEEN"):
        monkeypatch.setattr(_common, name, {})
    monkeypatch.setattr(_common, "ALIAS_CHECK_SECONDS", 0.0)  # look at the registry on every rerun
    log_run(app_model_dir, uri, "configs/train/xgboost.yaml", "champion")
    return uri


def test_the_sidebar_names_the_version_and_offers_the_new_champion(private_registry, app_model_dir):
    at = run_page("discharge_check.py")
    _common.start_loading().result(timeout=120)
    at.run()
    assert not at.exception, at.exception
    assert "version ` 1 `" in _sidebar(at) and "loaded 20" in _sidebar(at) and "UTC" in _sidebar(at)
    assert "now points at" not in _sidebar(at)  # (the research-tool notice is a sidebar warning too)

    log_run(app_model_dir, private_registry, "configs/train/xgboost.yaml", "champion")  # @champion -> version 2
    at.run()
    assert "now points at version ` 2 `; this page still uses ` 1 `" in _sidebar(at)
    at.sidebar.button(key="reload-model").click().run()
    _common.start_loading().result(timeout=120)
    at.run()
    assert not at.exception, at.exception
    assert "version ` 2 `" in _sidebar(at) and "now points at" not in _sidebar(at)


def test_a_model_directory_has_no_version_and_no_reload_offer(monkeypatch, app_model_dir):
    for name in ("_LOADS", "_LOADED", "_ALIAS_SEEN"):
        monkeypatch.setattr(_common, name, {})
    at = run_page("discharge_check.py")
    _common.start_loading().result(timeout=120)
    at.run()
    assert "flag when MI risk" in _sidebar(at) and "version `" not in _sidebar(at) and "loaded 20" in _sidebar(at)
    assert _common.alias_moved(str(app_model_dir)) is None
