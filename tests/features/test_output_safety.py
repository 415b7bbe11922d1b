"""Issue 26, item 4: outputs that cannot be redirected, a full disk that is one line, an input that moves.

Each finding of the adversarial run, reproduced: a symlink planted at ``.OUT.partial-PID`` made ``predict`` write
through it into another file; a file-size limit printed a 70-line traceback; an input truncated while being read
exited 0 with a short output.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from chestpain.features import write_table
from chestpain.kernel.errors import TriageError
from chestpain.kernel.io import atomic_output, partial_path
from chestpain.simulation import SCENARIO_DIR

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("planted", ["symlink", "file"])
def test_a_link_or_file_planted_at_the_partial_path_refuses_the_run(tmp_path, planted):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious", encoding="utf-8")
    out = tmp_path / "out.csv"
    out.write_text("old output", encoding="utf-8")
    trap = partial_path(out)  # this process's partial name: what an attacker who knows the PID plants
    if planted == "symlink":
        trap.symlink_to(victim)
    else:
        trap.write_text("planted", encoding="utf-8")
    with pytest.raises(TriageError, match="already exists and was not written by this run"):
        write_table(pd.DataFrame({"a": [1, 2]}), out)
    assert victim.read_text(encoding="utf-8") == "precious"  # never written through
    assert out.read_text(encoding="utf-8") == "old output"
    assert trap.is_symlink() == (planted == "symlink")  # the planted entry is left for the user to inspect


def test_a_partial_file_swapped_for_a_link_while_written_is_not_renamed_into_place(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious", encoding="utf-8")
    out = tmp_path / "out.csv"
    with pytest.raises(TriageError, match="not written by this run"), atomic_output(out) as tmp:
        tmp.unlink()
        tmp.symlink_to(victim)
    assert victim.read_text(encoding="utf-8") == "precious" and not out.exists()


def test_the_partial_file_is_private_and_created_before_any_write(tmp_path):
    out = tmp_path / "out.parquet"
    with atomic_output(out) as tmp:
        info = os.lstat(tmp)
        assert tmp.is_file() and not tmp.is_symlink() and info.st_mode & 0o777 == 0o600
        tmp.write_bytes(b"data")
    assert out.read_bytes() == b"data"


def _limit_file_size(limit: int):
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


def test_a_file_size_limit_is_one_line_and_keeps_the_old_output(tmp_path):
    # EFBIG (ulimit -f; ENOSPC and EDQUOT take the same path): before, a 70-line traceback.
    out = tmp_path / "cohort.parquet"
    out.write_bytes(b"old cohort")
    command = [
        sys.executable, "-c", "from chestpain.cli.main import main; main()", "simulate",
        "--config", str(SCENARIO_DIR / "default.yaml"), "--n", "200000", "--seed", "1", "--out", str(out),
        "--no-summary",
    ]  # fmt: skip
    env = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true"}
    result = subprocess.run(
        command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, preexec_fn=_limit_file_size(512 * 1024)
    )
    assert result.returncode == 1
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error:") and "File too large" in lines[0], result.stderr
    assert "old cohort.parquet is kept" in lines[0]
    assert out.read_bytes() == b"old cohort"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["cohort.parquet"]  # no partial left behind


@pytest.mark.parametrize("code", ["ENOSPC", "EDQUOT", "EFBIG"])
def test_no_room_while_writing_is_one_line_and_keeps_the_old_output(tmp_path, code):
    # The same path as the file-size limit above, for a full disk and a quota (which cannot be made here).
    import errno

    out = tmp_path / "flags.csv"
    out.write_text("old flags", encoding="utf-8")
    number = getattr(errno, code)
    with pytest.raises(TriageError, match=os.strerror(number)) as raised, atomic_output(out) as tmp:
        tmp.write_text("half a fi", encoding="utf-8")
        raise OSError(number, os.strerror(number))
    assert "\n" not in str(raised.value) and "the old flags.csv is kept" in str(raised.value)
    assert out.read_text(encoding="utf-8") == "old flags"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["flags.csv"]


def test_a_link_planted_at_the_model_partial_directory_refuses_training(tmp_path, monkeypatch):
    # train --out writes MODEL.partial-PID: a planted link there must refuse the run, not be written through.
    from chestpain.models._output_dir import partial_path as model_partial
    from chestpain.models._persistence import save_model_dir

    victim = tmp_path / "elsewhere"
    victim.mkdir()
    out = tmp_path / "model"
    model_partial(out.absolute()).symlink_to(victim, target_is_directory=True)
    with pytest.raises(TriageError, match="already exists and was not written by this run"):
        save_model_dir(None, None, {}, {}, out)
    assert list(victim.iterdir()) == []


def test_a_link_planted_at_the_dask_cohorts_temporary_directory_refuses_the_run(tmp_path):
    pytest.importorskip("dask.distributed")
    from chestpain.simulation import load_scenario
    from chestpain.simulation._dask_engine import write_cohort_dask

    victim = tmp_path / "elsewhere"
    victim.mkdir()
    out = tmp_path / "cohort"
    (tmp_path / f".cohort.{os.getpid()}.tmp").symlink_to(victim, target_is_directory=True)
    with pytest.raises(TriageError, match="already exists and was not written by this run"):
        write_cohort_dask(load_scenario(SCENARIO_DIR / "default.yaml"), 1000, 1, out, client=None)
    assert list(victim.iterdir()) == [] and not out.exists()
