"""``engine: dask`` for experiments: one task per sweep point, results identical to ``engine: local``.

Every study runs on its small test config twice, locally and on the session's two-worker cluster, and the result
objects must be equal field by field, exactly (NaN equals NaN): the tasks run the same functions on the same
arguments and derive their randomness from the seed and stable stream names, and each reduction runs on the
client in the same order, so no tolerance is needed. One study also goes through the CLI (``--set engine=dask``)
and its written files must be byte-identical.
"""

from __future__ import annotations

import dataclasses
import math
import operator
import os
import subprocess
import sys
from typing import Any

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from chestpain.cli.main import app
from chestpain.experiments import EXPERIMENTS, load_experiment_config
from chestpain.experiments._dask import task_keys
from chestpain.experiments._engine import Point, run_points
from tests.conftest import REPO_ROOT, SHARED_DATA
from tests.experiments.conftest import CONFIG_DIR

UCI_DATA = SHARED_DATA / "uci-heart-disease"
# The five sweeps, leave-one-site-out (one task per model and site) and the single-point study.
STUDIES = ("calibration", "listening", "interventions", "label_bias", "pain_treatment", "uci_sites", "model_vs_scores")


def same(a: Any, b: Any, where: str = "result") -> None:
    """Assert exact equality through dataclasses, containers, arrays and frames; NaN equals NaN."""
    assert type(a) is type(b), f"{where}: {type(a).__name__} vs {type(b).__name__}"
    if dataclasses.is_dataclass(a):
        for f in dataclasses.fields(a):
            same(getattr(a, f.name), getattr(b, f.name), f"{where}.{f.name}")
    elif isinstance(a, dict):
        assert list(a) == list(b), f"{where}: keys differ"
        for key in a:
            same(a[key], b[key], f"{where}[{key!r}]")
    elif isinstance(a, list | tuple):
        assert len(a) == len(b), f"{where}: lengths differ"
        for index, (x, y) in enumerate(zip(a, b, strict=True)):
            same(x, y, f"{where}[{index}]")
    elif isinstance(a, np.ndarray):
        assert np.array_equal(a, b, equal_nan=a.dtype.kind == "f"), where
    elif isinstance(a, pd.DataFrame):
        pd.testing.assert_frame_equal(a, b, check_exact=True, obj=where)
    elif isinstance(a, float):
        assert a == b or (math.isnan(a) and math.isnan(b)), f"{where}: {a!r} vs {b!r}"
    else:
        assert a == b, f"{where}: {a!r} vs {b!r}"


@pytest.mark.parametrize("name", STUDIES)
def test_dask_equals_local(client, name):
    extra = []
    if name == "uci_sites":
        if not UCI_DATA.is_dir():
            pytest.skip(f"UCI data not found at {UCI_DATA}")
        extra = [f"source={UCI_DATA}"]
    compute, _ = EXPERIMENTS[name]
    local = compute(load_experiment_config(CONFIG_DIR / f"{name}.yaml", extra))
    dask_config = load_experiment_config(
        CONFIG_DIR / f"{name}.yaml", [*extra, "engine=dask", f"scheduler={client.scheduler.address}"]
    )
    same(local, compute(dask_config))


def test_cli_set_engine_dask_writes_the_same_bytes(client, tmp_path):
    base = ["experiment", "run", str(CONFIG_DIR / "pain_treatment.yaml"), "--no-mlflow"]
    dask = ["--set", "engine=dask", "--set", f"scheduler={client.scheduler.address}"]
    for side, extra in (("local", []), ("dask", dask)):
        result = CliRunner().invoke(app, [*base, "--set", f"output_dir={tmp_path / side}", *extra])
        assert result.exit_code == 0, result.output
    files = sorted(p.name for p in (tmp_path / "local").iterdir())
    assert files == sorted(p.name for p in (tmp_path / "dask").iterdir()) and "pain_treatment.json" in files
    for file in files:
        assert (tmp_path / "local" / file).read_bytes() == (tmp_path / "dask" / file).read_bytes(), file


def test_task_error_reaches_the_client(client):
    config = load_experiment_config(
        CONFIG_DIR / "pain_treatment.yaml", ["engine=dask", f"scheduler={client.scheduler.address}"]
    )
    points = [Point("ok", operator.add, (1, 2)), Point("bad", operator.truediv, (1, 0))]
    with pytest.raises(ZeroDivisionError):
        run_points(config, points, progress=None, description="failing")


KEYS_SCRIPT = """
from chestpain.experiments import load_experiment_config
from chestpain.experiments._dask import task_keys
from chestpain.experiments._engine import Point
from chestpain.experiments._listening import measure_gap
from chestpain.experiments import load_scenario_stack
config = load_experiment_config({path!r})
cfg = load_scenario_stack([config.scenario])
print(list(task_keys(config.name, [Point("cell0", measure_gap, (cfg, config.n, config.seed))]).values())[0])
"""


def test_task_keys_are_stable_across_processes_and_change_with_inputs():
    from chestpain.experiments import load_scenario_stack
    from chestpain.experiments._listening import measure_gap

    path = str(CONFIG_DIR / "listening.yaml")
    config = load_experiment_config(path)
    cfg = load_scenario_stack([config.scenario])
    key = task_keys(config.name, [Point("cell0", measure_gap, (cfg, config.n, config.seed))])["cell0"]
    assert key.startswith("experiment-listening-cell0-")
    other = task_keys(config.name, [Point("cell0", measure_gap, (cfg, config.n, config.seed + 1))])["cell0"]
    assert other != key
    # pydantic configs pickle with a set whose order follows the (salted) string hash: keys must not.
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    script = KEYS_SCRIPT.format(path=path)
    out = subprocess.run([sys.executable, "-c", script], cwd=REPO_ROOT, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == key
