"""``chestpain simulate`` from the command line: output, summary table, clear errors, nothing half-written."""

from __future__ import annotations

import pyarrow.parquet as pq
from typer.testing import CliRunner

from chestpain.cli.main import app
from chestpain.simulation import SCENARIO_DIR

runner = CliRunner()
DEFAULT = str(SCENARIO_DIR / "default.yaml")


def test_simulate_writes_cohort_and_prints_calibration(tmp_path):
    out = tmp_path / "cohort.parquet"
    result = runner.invoke(app, ["simulate", "--config", DEFAULT, "--n", "5000", "--seed", "3", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert pq.read_metadata(out).num_rows == 5000
    assert "MI discharged undiagnosed" in result.output and "Pope" in result.output


def test_bad_config_key_is_one_line_and_writes_nothing(tmp_path):
    out = tmp_path / "cohort.parquet"
    result = runner.invoke(
        app, ["simulate", "--config", DEFAULT, "--n", "100", "--out", str(out), "--set", "bias.typo=1"]
    )
    assert result.exit_code == 1
    assert "bias.typo: unknown key" in result.output
    assert "Traceback" not in result.output
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_n_over_the_limit_is_refused(tmp_path):
    out = tmp_path / "cohort.parquet"
    result = runner.invoke(app, ["simulate", "--config", DEFAULT, "--n", "10000001", "--out", str(out)])
    assert result.exit_code == 1
    assert "--n must be between 1 and 10,000,000" in result.output
    assert not out.exists()


def test_failure_keeps_the_previous_output(tmp_path):
    out = tmp_path / "cohort.parquet"
    out.write_bytes(b"previous result")
    result = runner.invoke(
        app,
        [
            "simulate",
            "--config",
            DEFAULT,
            "--n",
            "100",
            "--out",
            str(out),
            "--set",
            "interruption.q1_seconds=20",
        ],
    )
    assert result.exit_code == 1
    assert out.read_bytes() == b"previous result"
