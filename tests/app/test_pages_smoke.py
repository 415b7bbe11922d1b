"""Every page renders without an exception and carries the research-tool notice; the entry point routes them all."""

from __future__ import annotations

import ast

import pytest
from streamlit.testing.v1 import AppTest

from chestpain.app import PAGE_SPECS
from tests.app.helpers import APP_FILE, PAGE_FILES, REPO_ROOT, TIMEOUT, run_page


def _notice_shown(at: AppTest) -> bool:
    return any("not a medical device" in element.value for element in at.sidebar.warning)


@pytest.mark.parametrize("page", PAGE_FILES, ids=lambda path: path.stem)
def test_page_renders_with_notice(page):
    at = run_page(page.name)
    assert not at.exception, at.exception
    assert _notice_shown(at)
    assert at.title[0].value


def test_entry_point_routes_every_page_file_and_nothing_else():
    routed = [name for name, *_ in PAGE_SPECS]
    assert sorted(routed) == sorted({page.name for page in PAGE_FILES})
    assert [name for name, *_, default in PAGE_SPECS if default] == ["discharge_check.py"]
    # Both entry scripts (app.py in a checkout, entry.py in the package) only call the one router.
    for script in (APP_FILE, REPO_ROOT / "app_pages" / "entry.py"):
        calls = [node.func.id for node in ast.walk(ast.parse(script.read_text())) if isinstance(node, ast.Call)]
        assert calls == ["run"], script


def test_entry_point_opens_on_the_discharge_check_and_switches_pages():
    at = AppTest.from_file(APP_FILE, default_timeout=TIMEOUT).run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Discharge check"
    for page in PAGE_FILES:
        at.switch_page(str(page)).run()
        assert not at.exception, (page.name, at.exception)
        assert _notice_shown(at)


@pytest.mark.parametrize("page", ["discharge_check.py", "batch_discharges.py"])
def test_without_a_model_the_page_says_how_to_train_one(page, monkeypatch, tmp_path):
    monkeypatch.setenv("TRIAGE_MODEL", "models:/chest-pain-triage@champion")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'absent.db'}")
    at = run_page(page)
    assert not at.exception, at.exception
    assert "chestpain train --config xgboost" in at.info[0].value
    assert not (tmp_path / "absent.db").exists(), "looking for a model must not create an empty MLflow store"


def test_a_missing_model_directory_is_an_info_not_a_traceback(monkeypatch, tmp_path):
    monkeypatch.setenv("TRIAGE_MODEL", str(tmp_path / "no-model-here"))
    at = run_page("discharge_check.py")
    assert not at.exception
    assert "no model directory there" in at.info[0].value
