"""The MLflow-logged model serves real HTTP clients and loads without the project installed (issue 16, item 4).

A model is logged and registered in a private SQLite store; ``mlflow models serve --env-manager local`` is
started on 127.0.0.1 on a free port and called with ``requests`` (``dataframe_split`` and ``dataframe_records``);
``mlflow.pyfunc.load_model`` runs in a fresh interpreter in which the project is not importable.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import pytest
import requests

from chestpain.models import PREDICT_COLUMNS, TriageModel
from chestpain.models._serving import model_signature
from tests.models.conftest import register_in_private_store

MODEL_URI = "models:/serve-triage@champion"
BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def store(logistic_result, tmp_path_factory) -> dict[str, str]:
    """A private tracking store with the logistic test model registered as ``serve-triage@champion``."""
    work = tmp_path_factory.mktemp("serve")
    manifest = logistic_result.model.manifest
    uri = register_in_private_store(
        logistic_result,
        work,
        {"label": manifest["label"], "model": manifest["model_kind"]},
        experiment="serve-tests",
        registered_model="serve-triage",
        alias="champion",
        manifest_sha256=logistic_result.manifest_sha256,
    )
    return {"uri": uri, "work": str(work)}


@pytest.fixture(scope="module")
def visits(small_cohort, logistic_result) -> pd.DataFrame:
    """Twenty ED visits with exactly the columns a client sends (the signature's inputs; no outcome columns)."""
    columns = model_signature(logistic_result.model.manifest["feature_config"]).inputs.input_names()
    return small_cohort.head(20)[columns].reset_index(drop=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server(store, tmp_path_factory):
    """``mlflow models serve`` on 127.0.0.1; yields its base URL, stops it afterwards."""
    port = free_port()
    log = tmp_path_factory.mktemp("server") / "serve.log"
    env = {**os.environ, "MLFLOW_TRACKING_URI": store["uri"], "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    command = [str(BIN / "mlflow"), "models", "serve", "-m", MODEL_URI, "--env-manager", "local"]
    command += ["-h", "127.0.0.1", "-p", str(port), "-w", "1"]
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, cwd=store["work"], stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180  # model download, imports and uvicorn start on a shared 2-core machine
        while True:
            try:
                if requests.get(f"{url}/ping", timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"mlflow models serve did not start:\n{log.read_text()[-3000:]}")
            time.sleep(1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def post(url: str, payload: dict) -> requests.Response:
    return requests.post(f"{url}/invocations", json=payload, timeout=60)


def split_payload(frame: pd.DataFrame) -> dict:
    return {"dataframe_split": json.loads(frame.to_json(orient="split", index=False))}


def records_payload(frame: pd.DataFrame) -> dict:
    return {"dataframe_records": json.loads(frame.to_json(orient="records"))}


def test_signature_is_the_visit_columns_without_outcomes(logistic_result):
    signature = model_signature(logistic_result.model.manifest["feature_config"])
    inputs = {spec.name: spec for spec in signature.inputs.inputs}
    assert not {"mi", "diagnosed_mi", "oracle_mi_probability", "missed_mi", "discharged"} & set(inputs)
    assert inputs["age"].type.name == "long" and inputs["troponin_0h_ng_l"].type.name == "double"
    assert inputs["sex"].type.name == "string" and inputs["diabetes"].type.name == "boolean"
    assert inputs["patient_id"].required and not inputs["race"].required
    assert signature.outputs.input_names() == list(PREDICT_COLUMNS)


@pytest.mark.parametrize("payload", [split_payload, records_payload])
def test_good_rows_are_scored(server, visits, logistic_result, payload):
    response = post(server, payload(visits))
    assert response.status_code == 200, response.text
    got = pd.DataFrame(response.json()["predictions"])
    expected = logistic_result.model.predict(visits)
    assert list(got.columns) == list(PREDICT_COLUMNS)
    assert got["patient_id"].tolist() == expected["patient_id"].tolist()
    # JSON carries doubles at full precision; 1e-12 allows for the float -> text -> float round trip only.
    assert (got["risk"] - expected["risk"]).abs().max() < 1e-12
    assert got["flag"].tolist() == expected["flag"].tolist()
    assert got["reasons"].tolist() == expected["reasons"].tolist()


def test_optional_race_may_be_left_out(server, visits):
    response = post(server, split_payload(visits.drop(columns="race")))
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("payload", [split_payload, records_payload])
def test_bad_row_is_a_400_with_the_schemas_one_line_message(server, visits, logistic_result, payload):
    bad = visits.copy()
    bad.loc[3, "troponin_0h_ng_l"] = 0.02  # ng/mL typed into the ng/L field
    response = post(server, payload(bad))
    assert response.status_code == 400, response.text
    message = response.json()["message"]
    with pytest.raises(Exception) as local:
        logistic_result.model.predict(bad)
    assert message == str(local.value)  # exactly the message `chestpain predict` gives, nothing around it
    assert "\n" not in message and "troponin_0h_ng_l" in message
    assert "Failed to predict data" not in response.text  # MLflow's prefix would echo the whole input frame


def test_missing_required_column_is_a_400(server, visits):
    response = post(server, split_payload(visits.drop(columns="age")))
    assert response.status_code == 400
    assert "age" in response.json()["message"]


def test_pyfunc_predicts_a_normal_dtype_frame(store, visits, logistic_result, monkeypatch):
    import mlflow

    monkeypatch.setenv("MLFLOW_TRACKING_URI", store["uri"])
    mlflow.set_tracking_uri(store["uri"])
    normal = visits.astype({"sex": object, "ecg": object, "race": object})
    got = mlflow.pyfunc.load_model(MODEL_URI).predict(normal)
    expected = logistic_result.model.predict(visits)
    pd.testing.assert_series_equal(got["risk"], expected["risk"])


FRESH = textwrap.dedent(
    """
    import importlib.util, json, os, sys
    # The project is installed editable in this venv (a meta-path finder) and the repository may be on sys.path:
    # remove both, so the only copy of the project's code this process can import is the one logged with the model.
    repo = sys.argv[2]
    sys.meta_path = [f for f in sys.meta_path if "__editable__" not in getattr(f, "__module__", "")
                     and "__editable__" not in getattr(type(f), "__module__", "")]
    sys.path = [p for p in sys.path if p and os.path.realpath(p) != os.path.realpath(repo)]
    names = ("chestpain", "models", "features", "triage", "simulation")
    before = {name: importlib.util.find_spec(name) is not None for name in names}
    import mlflow, pandas as pd
    model = mlflow.pyfunc.load_model(sys.argv[1])
    frame = pd.read_json(sys.argv[3], orient="split", dtype=False)
    out = model.predict(frame)
    print(json.dumps({"before": before, "file": sys.modules["chestpain.models._predictor"].__file__,
                      "simulation": "chestpain.simulation" in sys.modules, "rows": len(out),
                      "modules": sorted({m.split(".")[0] for m in sys.modules})}))
    """
)


def test_pyfunc_loads_in_a_fresh_process_from_its_own_code(store, visits, repo_root, tmp_path):
    script = tmp_path / "load.py"
    script.write_text(FRESH)
    batch = tmp_path / "batch.json"
    visits.to_json(batch, orient="split", index=False)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | {"MLFLOW_TRACKING_URI": store["uri"]}
    code = f"import mlflow; print(mlflow.artifacts.download_artifacts({MODEL_URI!r}, dst_path={str(tmp_path / 'm')!r}))"
    download = subprocess.run([sys.executable, "-c", code], env=env, cwd=tmp_path, capture_output=True, text=True)
    assert download.returncode == 0, download.stderr[-2000:]
    local = Path(download.stdout.strip().splitlines()[-1])
    result = subprocess.run(
        [sys.executable, str(script), str(local), str(repo_root), str(batch)],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["before"] == {
        "chestpain": False,
        "models": False,
        "features": False,
        "triage": False,
        "simulation": False,
    }
    assert Path(report["file"]).is_relative_to(local / "code")
    assert report["rows"] == len(visits) and not report["simulation"]
    # None of the project's other dependencies is imported: its pip requirements need not list them. (rich and
    # dask are left out of the check: scikit-learn imports them when they happen to be installed, e.g. after
    # `make test-scale`.)
    outside = sorted({"typer", "streamlit", "shap", "fairlearn", "playwright"} & set(report["modules"]))
    assert outside == []


def test_reloaded_model_is_the_trained_one(store, logistic_result, monkeypatch):
    from chestpain.models import load_model

    monkeypatch.setenv("MLFLOW_TRACKING_URI", store["uri"])
    assert isinstance(load_model(MODEL_URI), TriageModel)
    assert load_model(MODEL_URI).manifest == logistic_result.model.manifest
