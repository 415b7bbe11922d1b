"""Fixtures for the scale tests (``make test-scale``): a two-worker LocalCluster, cohorts, a small model.

These tests need the optional ``scale`` extra and, for the MLflow test, PostgreSQL; they run only when
``TRIAGE_TEST_SCALE=1`` (set by ``make test-scale``), so ``make test`` stays fast and dependency-free.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import pytest

SCALE = os.environ.get("TRIAGE_TEST_SCALE") == "1"
ROOT = Path(__file__).resolve().parents[2]
SCENARIO = ROOT / "configs" / "simulation" / "default.yaml"
TRAIN_CONFIG = ROOT / "configs" / "train" / "xgboost.yaml"
# Fewer boosting rounds keep the tests in seconds; both engines get the same settings.
FAST = ["model.params.n_estimators=150", "model.params.n_jobs=1"]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if SCALE:
        return
    skip = pytest.mark.skip(reason="scale test: run with `make test-scale` (TRIAGE_TEST_SCALE=1)")
    for item in items:
        if Path(str(item.fspath)).is_relative_to(Path(__file__).parent):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def client():
    """A two-worker LocalCluster shared by the session (its address doubles as a ``--scheduler``)."""
    pytest.importorskip("dask.distributed")
    from chestpain.kernel.cluster import dask_client

    with warnings.catch_warnings():
        # distributed's own start-up notices (e.g. a port fallback), not our code.
        warnings.simplefilter("ignore")
        with dask_client(n_workers=2) as client:
            yield client


@pytest.fixture(scope="session")
def scenario():
    from chestpain.simulation import load_scenario

    return load_scenario(SCENARIO)


@pytest.fixture(scope="session")
def train_config():
    from chestpain.models import load_train_config

    return load_train_config(TRAIN_CONFIG, FAST)


@pytest.fixture(scope="session")
def small_model(tmp_path_factory, scenario, train_config):
    """A model trained in memory on 60,000 simulated visits (seed 5)."""
    from chestpain.models import prepare, train
    from chestpain.simulation import simulate_frame

    out = tmp_path_factory.mktemp("model") / "model"
    return train(prepare(simulate_frame(scenario, 60_000, 5), train_config), train_config, out).model
