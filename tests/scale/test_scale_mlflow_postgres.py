"""A team MLflow server (PostgreSQL backend store + artifact directory): train on dask, register, load, audit.

The fixture creates a throw-away PostgreSQL cluster (initdb into a temporary directory, listening on 127.0.0.1
and a Unix socket in that directory, on a free port), run as an unprivileged user when the tests run as root
(PostgreSQL refuses to run as root), and an ``mlflow server`` on another free port; both are stopped and removed
at the end.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from chestpain.cli.main import app
from chestpain.simulation import simulate_frame
from chestpain.simulation._dask_engine import write_cohort_dask

from .conftest import FAST, TRAIN_CONFIG

MODEL_NAME = "scale-test-model"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pg_bin(name: str) -> str:
    found = shutil.which(name) or next(iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None)
    if not found:
        pytest.skip(f"PostgreSQL's {name} not found (make test-scale installs the postgresql package)")
    return found


def _as_postgres_user(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", "nobody", "--", *command]


@pytest.fixture(scope="module")
def postgres():
    """``postgresql+psycopg2://postgres@127.0.0.1:PORT/mlflow`` on a fresh cluster, removed afterwards."""
    pytest.importorskip("psycopg2")
    # Not under pytest's tmp_path: its parents are private to root, and the server runs as 'nobody'.
    root = Path(tempfile.mkdtemp(prefix="triage-pg-"))
    data = root / "data"
    if os.geteuid() == 0:
        shutil.chown(root, user="nobody")
    port = _free_port()
    log = root / "server.log"
    start = [_pg_bin("pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-t", "60"]
    options = f"-k {root} -h 127.0.0.1 -p {port}"
    try:
        for command in (
            [_pg_bin("initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", "-E", "UTF8"],
            [*start, "-o", options, "start"],
        ):
            done = subprocess.run(_as_postgres_user(command), capture_output=True, text=True)
            if done.returncode:
                server_log = log.read_text() if log.exists() else ""
                pytest.fail(f"{command[0]} failed:\n{done.stdout}\n{done.stderr}\n{server_log}")
        import psycopg2

        connection = psycopg2.connect(host="127.0.0.1", port=port, user="postgres", dbname="postgres")
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute("CREATE DATABASE mlflow")
        connection.close()
        yield f"postgresql+psycopg2://postgres@127.0.0.1:{port}/mlflow"
    finally:
        subprocess.run(_as_postgres_user([*start, "-m", "fast", "stop"]), capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def mlflow_server(tmp_path_factory, postgres):
    """``mlflow server`` with the PostgreSQL backend store and a local artifact directory; yields its URL."""
    folder = tmp_path_factory.mktemp("mlflow")
    port = _free_port()
    mlflow = Path(sys.executable).with_name("mlflow")
    log = (folder / "server.log").open("w")
    server = subprocess.Popen(
        [
            str(mlflow),
            "server",
            "--backend-store-uri",
            postgres,
            "--artifacts-destination",
            str(folder / "artifacts"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true"},
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            with contextlib.suppress(OSError):
                with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
                    if response.status == 200:
                        break
            if server.poll() is not None or time.monotonic() > deadline:
                log.flush()
                pytest.fail("mlflow server did not start:\n" + (folder / "server.log").read_text()[-3000:])
            time.sleep(0.5)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


def test_train_register_load_and_audit_through_the_team_server(tmp_path, monkeypatch, client, scenario, mlflow_server):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", mlflow_server)
    data = tmp_path / "cohort"
    write_cohort_dask(scenario, 150_000, 31, data, client=client, partition_blocks=1)
    runner = CliRunner()
    overrides = [arg for item in [*FAST, f"tracking.registered_model={MODEL_NAME}"] for arg in ("--set", item)]
    trained = runner.invoke(
        app,
        [
            "train",
            "--config",
            str(TRAIN_CONFIG),
            "--data",
            str(data),
            "--out",
            str(tmp_path / "model"),
            "--engine",
            "dask",
            "--scheduler",
            client.scheduler.address,
            *overrides,
        ],
    )
    assert trained.exit_code == 0, trained.output
    assert f"models:/{MODEL_NAME}@champion" in trained.output

    import mlflow

    mlflow.set_tracking_uri(mlflow_server)
    version = mlflow.MlflowClient().get_model_version_by_alias(MODEL_NAME, "champion")
    assert version.version == "1"

    from chestpain.models import TriageModel, load_model

    registered = load_model(f"models:/{MODEL_NAME}@champion")
    local = TriageModel.load(tmp_path / "model")
    visits = simulate_frame(scenario, 2000, 32)
    pd.testing.assert_frame_equal(registered.predict(visits), local.predict(visits))

    audited = runner.invoke(
        app,
        [
            "audit",
            "--model",
            f"models:/{MODEL_NAME}@champion",
            "--data",
            str(data),
            "--out",
            str(tmp_path / "audit"),
            "--n-boot",
            "100",
            "--engine",
            "dask",
            "--scheduler",
            client.scheduler.address,
        ],
    )
    assert audited.exit_code == 0, audited.output
    assert (tmp_path / "audit" / "metrics.json").is_file()
