"""Outputs: never the input, never into a folder that cannot be written, no anonymous leftovers of killed runs.

``chestpain score`` is driven here; ``chestpain predict`` (which needs a model) in tests/models/test_predict_cli.py.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from chestpain.cli.commands import score as score_command
from chestpain.kernel.errors import TriageError
from chestpain.kernel.io import atomic_output, check_writable_output, partial_path, remove_stale_partials
from chestpain.simulation import SCENARIO_DIR
from tests.features.helpers import visit_frame

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def run():
    app = typer.Typer(pretty_exceptions_enable=False)
    app.command("score")(score_command.score)
    runner = CliRunner()
    return lambda *args: runner.invoke(app, [str(arg) for arg in args])


@pytest.fixture
def visits(tmp_path):
    path = tmp_path / "visits.csv"
    visit_frame(20).rename(columns=lambda c: c.replace("sx_", "doc_")).to_csv(path, index=False)
    return path


@pytest.mark.parametrize("link", ["same", "symlink", "hardlink", "dotted"])
def test_score_refuses_to_write_over_its_input(run, visits, tmp_path, link):
    before = visits.read_bytes()
    out = {"same": visits, "dotted": tmp_path / "." / "visits.csv"}.get(link, tmp_path / "alias.csv")
    if link == "symlink":
        out.symlink_to(visits)
    elif link == "hardlink":
        os.link(visits, out)
    result = run("--data", visits, "--out", out)
    assert result.exit_code == 1, result.output
    assert "is the input file" in result.output and "would be lost" in result.output
    assert visits.read_bytes() == before


def test_score_refuses_a_missing_folder_before_any_work(run, visits, tmp_path):
    out = tmp_path / "nowhere" / "scores.csv"
    result = run("--data", visits, "--out", out)
    assert result.exit_code == 1
    assert f"folder {out.parent} does not exist" in result.output
    assert not out.parent.exists()


def test_score_refuses_a_folder_it_cannot_write(run, visits, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = run("--data", visits, "--out", blocker / "scores.csv")  # a path "through" a file
    assert result.exit_code == 1
    assert "does not exist" in result.output or "cannot write in" in result.output


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through permission bits; the file case above covers it")
def test_read_only_folder_is_refused(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(TriageError, match="cannot write in"):
            check_writable_output(folder / "x.csv")
    finally:
        folder.chmod(0o700)


def test_the_probe_leaves_nothing_behind(tmp_path):
    check_writable_output(tmp_path / "x.csv")
    assert list(tmp_path.iterdir()) == []


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_partial_file_is_named_beside_the_output_and_stale_ones_are_removed(tmp_path):
    out = tmp_path / "result.parquet"
    stale = partial_path(out, _dead_pid())
    stale.write_bytes(b"x" * 1000)
    alive = partial_path(out, os.getppid())  # a running process (pytest's parent): must be left alone
    alive.write_bytes(b"y")
    unrelated = tmp_path / ".other.parquet.partial-1"
    unrelated.write_bytes(b"z")
    with atomic_output(out) as tmp:
        assert tmp == tmp_path / f".result.parquet.partial-{os.getpid()}"
        assert not stale.exists()
        tmp.write_bytes(b"new")
    assert out.read_bytes() == b"new"
    assert alive.exists() and unrelated.exists()
    assert remove_stale_partials(out) == []


def test_failed_block_removes_its_partial_file_and_keeps_the_old_output(tmp_path):
    out = tmp_path / "result.csv"
    out.write_text("old")
    with pytest.raises(RuntimeError), atomic_output(out) as tmp:
        tmp.write_text("half")
        raise RuntimeError("boom")
    assert out.read_text() == "old" and list(tmp_path.iterdir()) == [out]


def test_kill_9_during_simulate_leaves_a_findable_partial_that_the_next_run_removes(tmp_path):
    out = tmp_path / "cohort.parquet"

    def command(n: int) -> list[str]:
        config = str(SCENARIO_DIR / "default.yaml")
        return [
            sys.executable,
            "-c",
            "from chestpain.cli.main import main; main()",
            "simulate",
            "--config",
            config,
            "--n",
            str(n),
            "--seed",
            "1",
            "--out",
            str(out),
            "--no-summary",
        ]

    env = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true"}
    process = subprocess.Popen(
        command(3_000_000), cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    partial = partial_path(out, process.pid)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not (partial.exists() and partial.stat().st_size > 0):
        assert process.poll() is None, "simulate finished before it could be killed"
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert partial.exists() and not out.exists()  # findable: .cohort.parquet.partial-PID beside the output
    result = subprocess.run(command(2000), cwd=REPO_ROOT, env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert sorted(path.name for path in tmp_path.iterdir()) == ["cohort.parquet"]
