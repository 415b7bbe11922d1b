"""The discharge form is drawn before the model is needed; the model loads once, in the background (issue 18).

A slow load is simulated by holding the loader on an event, so the tests do not depend on how fast this machine
imports xgboost or reads the model.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from chestpain.app import _common
from chestpain.kernel.errors import TriageError
from chestpain.models._registry import model_reference
from tests.app.helpers import run_page


@pytest.fixture
def fresh_loads(monkeypatch) -> Iterator[None]:
    """An empty model cache for this test (and after it, so no test sees another's stand-in loads)."""
    monkeypatch.setattr(_common, "_LOADS", {})
    yield


@pytest.fixture
def slow_load(monkeypatch, fresh_loads, app_model_dir) -> Iterator[threading.Event]:
    """The real model, but its load waits until the test sets the returned event."""
    monkeypatch.setenv("TRIAGE_MODEL", str(app_model_dir))
    release = threading.Event()
    real_load = _common._load

    def held(reference: str):
        assert release.wait(60), "the test never released the model load"
        return real_load(reference)

    monkeypatch.setattr(_common, "_load", held)
    try:
        yield release
    finally:
        release.set()  # never leave the loader thread blocked for the next test


def _sidebar_text(at) -> str:
    return " ".join(element.value for element in [*at.sidebar.caption, *at.sidebar.markdown])


def test_the_form_is_drawn_while_the_model_is_still_loading(slow_load):
    at = run_page("discharge_check.py")
    assert not at.exception, at.exception
    assert at.button(key="check").label == "Check discharge"  # the whole form, down to its last widget
    assert "Loading the model in the background" in _sidebar_text(at)
    assert "Answer every question" in at.info[0].value
    future = _common.start_loading()
    assert not future.done(), "the first view must not have waited for the load"

    slow_load.set()
    future.result(timeout=60)
    at.run()  # the next interaction finds the model loaded and says which it is
    assert not at.exception, at.exception
    assert "flag when MI risk >= threshold" in _sidebar_text(at)
    assert "Loading the model" not in _sidebar_text(at)


def test_the_model_loads_once_per_reference_and_a_failure_is_retried(monkeypatch, fresh_loads):
    calls = []

    def load(reference: str):
        calls.append(reference)
        if len(calls) == 1:
            raise TriageError(f"{reference}: no model directory there")
        return f"model at {reference}"

    monkeypatch.setattr(_common, "_load", load)
    first = _common.start_loading("somewhere")
    with pytest.raises(TriageError):
        first.result(timeout=30)
    second = _common.start_loading("somewhere")  # the failure was not kept: training a model fixes the app
    assert second is not first and second.result(timeout=30) == "model at somewhere"
    assert _common.start_loading("somewhere") is second
    assert calls == ["somewhere", "somewhere"]


def test_at_most_max_models_are_kept(monkeypatch, fresh_loads):
    monkeypatch.setattr(_common, "_load", lambda reference: reference)
    for i in range(_common.MAX_MODELS + 2):
        _common.start_loading(f"ref{i}").result(timeout=30)
    assert list(_common._LOADS) == [f"ref{i}" for i in range(2, _common.MAX_MODELS + 2)]


@pytest.mark.parametrize("value", [None, "", "  ", "/some/model", "models:/other@challenger"])
def test_default_reference_is_the_registry_rule(monkeypatch, value):
    """The page reads ``$TRIAGE_MODEL`` without importing ``models``; it must agree with ``model_reference``."""
    if value is None:
        monkeypatch.delenv("TRIAGE_MODEL", raising=False)
    else:
        monkeypatch.setenv("TRIAGE_MODEL", value)
    assert _common.default_reference() == model_reference()
