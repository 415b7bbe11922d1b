"""Reading a model from the MLflow registry (issue 16, item 8, MLflow part).

"No such model", "no store" and "cannot reach or read the store" are different messages; reading never
creates a store; an unreachable server fails within seconds; a registered version whose manifest does not match
the hash recorded at registration is refused.
"""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest

from chestpain.kernel.errors import TriageError
from chestpain.models import load_model
from chestpain.models._registry import load_app_model, registered_models, runs_table
from tests.models.conftest import register_in_private_store


@pytest.fixture(scope="module")
def registered(logistic_result, tmp_path_factory) -> str:
    """A store with the logistic test model registered as ``reg-triage@champion``; returns its URI."""
    return register_in_private_store(
        logistic_result,
        tmp_path_factory.mktemp("registry"),
        {"label": logistic_result.model.manifest["label"]},
        experiment="registry-tests",
        registered_model="reg-triage",
        alias="champion",
    )


def one_line(error: pytest.ExceptionInfo[TriageError]) -> str:
    message = str(error.value)
    assert "\n" not in message and "np." not in message and len(message) < 400
    return message


def test_registered_model_loads(registered, monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", registered)
    assert load_model("models:/reg-triage@champion").thresholds


@pytest.mark.parametrize("reference", ["models:/nope@champion", "models:/reg-triage@nobody", "models:/reg-triage/99"])
def test_no_such_model(registered, monkeypatch, reference):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", registered)
    with pytest.raises(TriageError) as caught:
        load_model(reference)
    assert "not found in the MLflow registry" in one_line(caught)


def test_reading_a_missing_store_does_not_create_it(tmp_path, monkeypatch):
    # Before: download_artifacts created mlflow.db (and its tables) and then said "not found".
    monkeypatch.chdir(tmp_path)
    db = tmp_path / "mlflow.db"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{db}")
    for load in (load_model, load_app_model):
        with pytest.raises(TriageError) as caught:
            load("models:/chest-pain-triage@champion")
        assert "no MLflow store at" in one_line(caught) and "nothing was created" in str(caught.value)
    assert not db.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_corrupt_store_is_not_reported_as_a_missing_model(tmp_path, monkeypatch):
    # Before: "not found in the MLflow registry ... train and register one", for a database it could not read.
    db = tmp_path / "mlflow.db"
    db.write_bytes(b"this is not a database " * 200)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{db}")
    with pytest.raises(TriageError) as caught:
        load_model("models:/chest-pain-triage@champion")
    message = one_line(caught)
    assert "cannot reach or read the MLflow store" in message and "not a database" in message
    assert "not found" not in message
    for read in (runs_table, registered_models):
        with pytest.raises(TriageError, match="cannot read the .* from the MLflow store"):
            read()


def test_unreachable_server_fails_fast(monkeypatch):
    # Before: MLflow's default 7 retries with exponential backoff took about 4 minutes, then "not found".
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed when the block ends: nothing listens there
    for name in (
        "MLFLOW_HTTP_REQUEST_MAX_RETRIES",
        "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR",
        "MLFLOW_HTTP_REQUEST_TIMEOUT",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"http://127.0.0.1:{port}")
    start = time.monotonic()
    with pytest.raises(TriageError) as caught:
        load_model("models:/chest-pain-triage@champion")
    elapsed = time.monotonic() - start
    assert "cannot reach or read the MLflow store" in one_line(caught)
    # 2 retries with backoff 1 s and 2 s plus up to 1 s jitter each: about 5 s; 30 s leaves room on a busy machine.
    assert elapsed < 30


def test_version_whose_manifest_differs_from_the_recorded_hash_is_refused(registered, monkeypatch):
    import mlflow

    monkeypatch.setenv("MLFLOW_TRACKING_URI", registered)
    mlflow.set_tracking_uri(registered)
    client = mlflow.MlflowClient()
    version = client.get_model_version_by_alias("reg-triage", "champion")
    good = version.tags["manifest_sha256"]
    client.set_model_version_tag("reg-triage", version.version, "manifest_sha256", "0" * 64)
    try:
        with pytest.raises(TriageError) as caught:
            load_model("models:/reg-triage@champion")
        assert "does not match the one recorded in the registry" in one_line(caught)
    finally:
        client.set_model_version_tag("reg-triage", version.version, "manifest_sha256", good)


def test_registered_hash_is_the_logged_manifests(registered, logistic_result):
    import mlflow

    mlflow.set_tracking_uri(registered)
    client = mlflow.MlflowClient()
    version = client.get_model_version_by_alias("reg-triage", "champion")
    run = client.get_run(version.run_id)
    digest = logistic_result.manifest_sha256
    assert version.tags["manifest_sha256"] == run.data.params["manifest_sha256"] == digest
    assert (Path(logistic_result.model.path) / "manifest.json.sha256").read_text().split()[0] == digest


def test_runs_page_reports_a_corrupt_store_as_text(tmp_path, monkeypatch):
    # Before: the page raised sqlalchemy's DatabaseError (a traceback in the app).
    from tests.app.helpers import run_page

    db = tmp_path / "mlflow.db"
    db.write_bytes(b"[click me](http://example.invalid) " * 100)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{db}")
    at = run_page("runs.py")
    assert not at.exception, at.exception
    assert at.error[0].value == "Cannot read the MLflow store."
    assert "cannot read the runs from the MLflow store" in at.code[0].value  # shown as text, not Markdown
