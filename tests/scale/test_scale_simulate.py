"""The dask simulation engine writes the local engine's rows, whatever the partitioning."""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from chestpain.cli.main import app
from chestpain.kernel.errors import TriageError
from chestpain.simulation import BLOCK_ROWS, write_cohort
from chestpain.simulation._dask_engine import (
    DASK_MAX_ROWS,
    MANIFEST,
    check_dask_size,
    cohort_files,
    plan_partitions,
    write_cohort_dask,
)

N = 3 * BLOCK_ROWS + 12_345


def _read(path):
    return pa.concat_tables(pq.read_table(f) for f in cohort_files(path))


@pytest.fixture(scope="module")
def local_table(tmp_path_factory, scenario):
    out = tmp_path_factory.mktemp("local") / "cohort.parquet"
    write_cohort(scenario, N, 11, str(out))
    return pq.read_table(out)


@pytest.mark.parametrize("partition_blocks", [1, 2, 16])
def test_rows_identical_to_local_engine(tmp_path, client, scenario, local_table, partition_blocks):
    out = tmp_path / "cohort"
    write_cohort_dask(scenario, N, 11, out, client=client, partition_blocks=partition_blocks)
    assert _read(out).equals(local_table)
    manifest = json.loads((out / MANIFEST).read_text())
    assert manifest["n"] == N and len(manifest["files"]) == -(-N // (partition_blocks * BLOCK_ROWS))
    assert not list(tmp_path.glob(".*tmp"))


def test_partitions_start_on_block_boundaries():
    parts = plan_partitions(10 * BLOCK_ROWS + 1, 3)
    assert [p.first_row % BLOCK_ROWS for p in parts] == [0] * len(parts)
    assert sum(p.n_rows for p in parts) == 10 * BLOCK_ROWS + 1


def test_size_limit_is_the_dask_engines():
    check_dask_size(50_000_000)
    with pytest.raises(TriageError, match="dask engine"):
        check_dask_size(DASK_MAX_ROWS + 1)


def test_refuses_to_replace_a_directory_it_did_not_write(tmp_path, client, scenario):
    out = tmp_path / "precious"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    with pytest.raises(TriageError, match="not a cohort directory"):
        write_cohort_dask(scenario, 1000, 0, out, client=client)
    assert (out / "notes.txt").read_text() == "keep me"


def test_a_failed_run_leaves_nothing_behind(tmp_path, client, scenario, monkeypatch):
    import chestpain.simulation._dask_engine as engine

    monkeypatch.setattr(engine, "_install", lambda tmp, out: (_ for _ in ()).throw(TriageError("disk full")))
    with pytest.raises(TriageError, match="disk full"):
        write_cohort_dask(scenario, 1000, 0, tmp_path / "cohort", client=client)
    assert list(tmp_path.iterdir()) == []


def test_cli_with_scheduler_matches_local_cli(tmp_path, client, local_table):
    runner = CliRunner()
    common = ["simulate", "--config", "configs/simulation/default.yaml", "--n", str(N), "--seed", "11"]
    out = tmp_path / "cohort"
    result = runner.invoke(
        app, [*common, "--engine", "dask", "--scheduler", client.scheduler.address, "--out", str(out), "--no-summary"]
    )
    assert result.exit_code == 0, result.output
    assert _read(out).equals(local_table)
    again = runner.invoke(
        app, [*common, "--engine", "dask", "--scheduler", client.scheduler.address, "--out", str(out)]
    )
    assert again.exit_code == 0 and "Calibration of scenario" in again.output
    assert _read(out).equals(local_table)


def test_cli_bad_scheduler_is_one_line_error(tmp_path):
    result = CliRunner().invoke(
        app,
        [
            "simulate",
            "--config",
            "configs/simulation/default.yaml",
            "--n",
            "10",
            "--engine",
            "dask",
            "--scheduler",
            "tcp://127.0.0.1:9",
            "--out",
            str(tmp_path / "x"),
        ],
    )
    assert result.exit_code == 1
    assert "cannot connect" in result.output
