"""Interrupted and concurrent training runs (issue 16, item 7).

* Two ``chestpain train`` into one ``--out``: the second is refused at once while the first holds the directory's
  lock, and whatever the interleaving, the registry alias points at the model the run that logged it wrote.
* ``kill -9`` while the new directory is being written (or just after the switch) leaves a complete model at
  ``--out`` and only a ``MODEL.partial-PID`` beside it, which the next run removes.
* A run killed while logging to MLflow is marked FAILED when the next run starts logging.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from chestpain.models import TriageModel
from chestpain.models._output_dir import output_lock

LOCK_MESSAGE = "another `chestpain train` (pid"
ALIAS = "staging"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def work(tmp_path_factory, small_cohort) -> Path:
    folder = tmp_path_factory.mktemp("concurrency")
    small_cohort.to_parquet(folder / "cohort.parquet")
    return folder


def train_command(work: Path, repo_root: Path, out: Path, *extra: str) -> list[str]:
    return [
        str(Path(sys.executable).parent / "chestpain"),
        "train",
        "--config",
        str(repo_root / "configs/train/logistic.yaml"),
        "--data",
        str(work / "cohort.parquet"),
        "--out",
        str(out),
        "--set",
        "tracking.registered_model=race-triage",
        # An alias outside the promotion gates (tests/models/test_promotion.py): this test is about which
        # directory and run the registry points at when two runs race, whatever the gates would decide.
        "--set",
        f"tracking.alias={ALIAS}",
        *extra,
    ]


def env_for(store: Path) -> dict[str, str]:
    return {**os.environ, "MLFLOW_TRACKING_URI": f"sqlite:///{store}", "MLFLOW_DISABLE_TELEMETRY": "true"}


def aliased_version_matches_its_run(store: Path, out: Path) -> None:
    """The aliased version's registered hash, its run's hash and the directory's manifest are one and the same."""
    import mlflow

    mlflow.set_tracking_uri(f"sqlite:///{store}")
    client = mlflow.MlflowClient()
    version = client.get_model_version_by_alias("race-triage", ALIAS)
    run = client.get_run(version.run_id)
    assert version.tags["manifest_sha256"] == run.data.params["manifest_sha256"] == sha256(out / "manifest.json")
    assert json.loads((out / "mlflow_run.json").read_text())["run_id"] == version.run_id
    logged = Path(mlflow.artifacts.download_artifacts(run_id=run.info.run_id, artifact_path="manifest.json"))
    assert sha256(logged) == sha256(out / "manifest.json")


def test_second_run_into_a_locked_out_is_refused(work, repo_root, tmp_path):
    out = tmp_path / "model"
    store = tmp_path / "mlflow.db"
    with output_lock(out):  # this test process is "the first run"
        start = time.monotonic()
        second = subprocess.run(
            train_command(work, repo_root, out), env=env_for(store), cwd=tmp_path, capture_output=True, text=True
        )
        elapsed = time.monotonic() - start
    assert second.returncode == 1
    assert LOCK_MESSAGE in second.stderr and f"pid {os.getpid()})" in second.stderr
    assert "\n" not in second.stderr.strip() and "Traceback" not in second.stderr
    assert not out.exists() and not store.exists()  # refused before any work, nothing written
    assert elapsed < 60  # refused at once, not after training (imports only)


def test_two_concurrent_runs_leave_a_consistent_registry(work, repo_root, tmp_path):
    out = tmp_path / "model"
    store = tmp_path / "mlflow.db"
    env = env_for(store)
    logs = [tmp_path / f"run{i}.log" for i in (1, 2)]
    processes = []
    for log in logs:
        with log.open("wb") as handle:
            command = train_command(work, repo_root, out)
            processes.append(subprocess.Popen(command, env=env, cwd=tmp_path, stdout=handle, stderr=handle))
    results = [(p.wait(timeout=600), log.read_text()) for p, log in zip(processes, logs, strict=True)]
    codes = sorted(code for code, _ in results)
    # Either they overlapped (one refused with the lock message) or one finished before the other started.
    assert codes in ([0, 0], [0, 1]), results
    for code, stderr in results:
        if code == 1:
            assert LOCK_MESSAGE in stderr, stderr
    aliased_version_matches_its_run(store, out)
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("model")) == ["model", "model.lock"]


def kill_when_ready(process: subprocess.Popen, ready: Path, log: Path) -> None:
    """SIGKILL ``process`` once it has created ``ready`` (within 300 s; its log is shown if it dies first)."""
    deadline = time.monotonic() + 300
    while not ready.exists():
        assert process.poll() is None, log.read_text()[-2000:]
        assert time.monotonic() < deadline
        time.sleep(0.2)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()


SLOW_SAVE = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    import pandas as pd
    import chestpain.models._output_dir as output_dir
    import chestpain.models._training as training
    from chestpain.models import load_train_config, prepare, train

    config, data, out, ready, where = sys.argv[1:6]

    def pause():
        Path(ready).write_text("ready")
        time.sleep(600)

    if where == "writing":  # the plots are drawn into the new directory just before the switch
        real_plot = training.threshold_plot
        def threshold_plot(*args, **kwargs):
            path = real_plot(*args, **kwargs)
            pause()
        training.threshold_plot = threshold_plot
    else:  # just after the exchange, before the old copy is deleted
        real_exchange = output_dir._exchange
        def exchange(a, b):
            done = real_exchange(a, b)
            pause()
        output_dir._exchange = exchange
    cfg = load_train_config(config)
    train(prepare(pd.read_parquet(data), cfg), cfg, out)
    """
)


def kill_during_save(work: Path, repo_root: Path, out: Path, where: str) -> int:
    script = work / "slow_save.py"
    script.write_text(SLOW_SAVE)
    ready = work / f"ready-{where}"
    config = repo_root / "configs/train/logistic.yaml"
    args = [sys.executable, str(script), str(config), str(work / "cohort.parquet"), str(out), str(ready), where]
    log = work / f"slow_save-{where}.log"
    with log.open("wb") as handle:
        process = subprocess.Popen(args, cwd=work, stderr=handle)
    kill_when_ready(process, ready, log)
    ready.unlink()
    return process.pid


@pytest.mark.parametrize("where", ["writing", "switched"])
def test_kill_9_during_save_leaves_a_complete_model(work, repo_root, logistic_result, tmp_path, where):
    out = tmp_path / "model"
    old = TriageModel.load(logistic_result.model.path)
    shutil.copytree(logistic_result.model.path, out)
    old_manifest = sha256(out / "manifest.json")
    pid = kill_during_save(work, repo_root, out, where)

    loaded = TriageModel.load(out)  # complete: hashes check, plots present
    assert (out / "plots" / "calibration_by_sex.png").is_file()
    assert (out / "plots" / "threshold_tradeoff_by_sex.png").is_file()
    if where == "writing":
        assert sha256(out / "manifest.json") == old_manifest  # the old model, untouched
        assert loaded.manifest == old.manifest
    leftovers = sorted(p.name for p in tmp_path.iterdir() if p.name not in {"model", "model.lock"})
    # The only leftover is the killed run's directory, beside the model and named after it (no hidden backup).
    assert leftovers == [f"model.partial-{pid}"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]

    with output_lock(out):  # the next run takes the lock and removes what the killed one left
        pass
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model", "model.lock"]
    TriageModel.load(out)


SLOW_LOG = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    import mlflow
    from chestpain.models import TriageModel, log_training_run

    model_dir, ready = sys.argv[1:3]
    real = mlflow.log_metrics
    def log_metrics(*args, **kwargs):
        real(*args, **kwargs)
        Path(ready).write_text("ready")
        time.sleep(600)
    mlflow.log_metrics = log_metrics
    manifest = TriageModel.load(model_dir).manifest
    log_training_run(Path(model_dir), manifest, {}, [], experiment="killed", registered_model=None, alias="champion")
    """
)


def test_run_killed_while_logging_is_marked_failed_by_the_next(logistic_result, tmp_path, monkeypatch):
    import mlflow

    from chestpain.models import log_training_run

    store = tmp_path / "mlflow.db"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{store}")
    monkeypatch.chdir(tmp_path)
    script = tmp_path / "slow_log.py"
    script.write_text(SLOW_LOG)
    ready = tmp_path / "ready"
    log = tmp_path / "slow_log.log"
    with log.open("wb") as handle:
        command = [sys.executable, str(script), str(logistic_result.model.path), str(ready)]
        process = subprocess.Popen(command, env=env_for(store), cwd=tmp_path, stderr=handle)
    kill_when_ready(process, ready, log)

    mlflow.set_tracking_uri(f"sqlite:///{store}")
    (killed,) = mlflow.search_runs(experiment_names=["killed"], output_format="list")
    assert killed.info.status == "RUNNING"  # MLflow cannot know its process died

    manifest = logistic_result.model.manifest
    info = log_training_run(
        logistic_result.model.path, manifest, {}, [], experiment="killed", registered_model=None, alias="champion"
    )
    runs = mlflow.search_runs(experiment_names=["killed"], output_format="list")
    statuses = {run.info.run_id: run.info.status for run in runs}
    assert statuses == {killed.info.run_id: "FAILED", info["run_id"]: "FINISHED"}
