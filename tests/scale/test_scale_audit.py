"""The partitioned audit equals the in-memory audit on the same rows."""

from __future__ import annotations

import json
import math

import pytest

from chestpain.models._audit import audit_model
from chestpain.models._dask_audit import audit_partitioned
from chestpain.simulation import simulate_frame
from chestpain.simulation._dask_engine import write_cohort_dask

N_ROWS = 150_000


@pytest.fixture(scope="module")
def both(tmp_path_factory, client, scenario, small_model):
    data = tmp_path_factory.mktemp("audit") / "cohort"
    write_cohort_dask(scenario, N_ROWS, 6, data, client=client, partition_blocks=1)
    exact = audit_partitioned(small_model, data, client=client, n_boot=200, seed=3, risk_resolution=None)
    snapped = audit_partitioned(small_model, data, client=client, n_boot=200, seed=3)
    frame = simulate_frame(scenario, N_ROWS, 6)
    # The same source name the partitioned audit records (its folder), so the documents compare whole.
    audited = audit_model(small_model, frame, n_boot=200, seed=3, mitigations=False, source=data.name)
    in_memory = audited.result.to_dict()
    return exact.result.to_dict(), in_memory, snapped.result.to_dict()


def _pairs(a, b, path=""):
    if isinstance(a, dict):
        assert set(a) == set(b), path
        for key in a:
            yield from _pairs(a[key], b[key], f"{path}.{key}")
    elif isinstance(a, list | tuple):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            yield from _pairs(x, y, f"{path}[{i}]")
    else:
        yield path, a, b


def test_same_document_exact_except_mean_predicted_risk(both):
    partitioned, in_memory, _ = both
    checked = 0
    for path, a, b in _pairs(partitioned, in_memory):
        if isinstance(a, float) and ("predicted" in path or ".ece" in path):
            # Mean predicted risk of a calibration bin: k * r versus r added k times, so equal to ~1 ulp.
            assert a == pytest.approx(b, rel=1e-12, abs=1e-15), path
        elif isinstance(a, float) and math.isnan(a):
            assert math.isnan(b), path
        else:
            assert a == b, path
        checked += 1
    assert checked > 1000


def test_confusion_metrics_and_intervals_identical(both):
    partitioned, in_memory, _ = both
    for got, want in zip(partitioned["groups"], in_memory["groups"], strict=True):
        assert (got["attribute"], got["group"], got["n"], got["n_positive"]) == (
            want["attribute"],
            want["group"],
            want["n"],
            want["n_positive"],
        )
        for metric in ("fnr", "fpr", "ppv", "npv", "selection_rate", "auroc"):
            assert got[metric] == want[metric], (got["group"], metric)


def test_default_risk_grid_keeps_confusion_points_exact(both):
    _, in_memory, snapped = both
    for got, want in zip(snapped["groups"], in_memory["groups"], strict=True):
        assert (got["group"], got["n"], got["n_positive"]) == (want["group"], want["n"], want["n_positive"])
        for metric in ("fnr", "fpr", "ppv", "npv", "selection_rate"):
            assert got[metric]["value"] == want[metric]["value"], (got["group"], metric)
        # Measured: 3e-4 overall on these 150,000 rows (ties created by the 0.1% grid).
        assert got["auroc"]["value"] == pytest.approx(want["auroc"]["value"], abs=1e-3), got["group"]


def test_cli_dask_audit_writes_report(tmp_path, client, scenario, small_model):
    from typer.testing import CliRunner

    from chestpain.cli.main import app

    data = tmp_path / "cohort"
    write_cohort_dask(scenario, 70_000, 8, data, client=client, partition_blocks=1)
    out = tmp_path / "report"
    result = CliRunner().invoke(
        app,
        [
            "audit",
            "--model",
            str(small_model.path),
            "--data",
            str(data),
            "--out",
            str(out),
            "--n-boot",
            "100",
            "--engine",
            "dask",
            "--scheduler",
            client.scheduler.address,
            "--risk-resolution",
            "0",
            "--no-mlflow",
        ],
    )
    assert result.exit_code == 0, result.output
    assert (out / "report.html").is_file()
    # --risk-resolution 0 keeps exact risks: AUROC and its interval equal the in-memory audit's.
    metrics = json.loads((out / "metrics.json").read_text())
    in_memory = audit_model(small_model, simulate_frame(scenario, 70_000, 8), n_boot=100, seed=0, mitigations=False)
    want = {(g["attribute"], g["group"]): g["auroc"] for g in in_memory.result.to_dict()["groups"]}
    assert len(metrics["groups"]) == len(want)
    for group in metrics["groups"]:
        for path, got, expected in _pairs(group["auroc"], want[(group["attribute"], group["group"])]):
            same_nan = isinstance(got, float) and math.isnan(got) and math.isnan(expected)
            assert same_nan or got == expected, (group["group"], path)
