"""Shared fixtures: the repository root, the shared data folder and one seed."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")

# The scale tests need the optional `scale` extra (Dask, PostgreSQL driver): `make test-scale` installs it and runs
# them. Without it their modules cannot even be imported, so they are not collected, and the header says so.
DASK_INSTALLED = importlib.util.find_spec("dask") is not None
collect_ignore = [] if DASK_INSTALLED else ["scale"]


def pytest_report_header(config: object) -> str | None:
    if DASK_INSTALLED:
        return None
    return "tests/scale not collected: the `scale` extra (dask) is not installed; run `make test-scale`"


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


UCI_DIR = REPO_ROOT.parent / "shared" / "data" / "uci-heart-disease"


@pytest.fixture(scope="session")
def uci_dir() -> Path:
    """The shared UCI folder; tests that need it are skipped with a reason when it is absent."""
    if not (UCI_DIR / "processed.cleveland.data").is_file():
        pytest.skip(f"UCI data not found at {UCI_DIR} (expected ../shared/data/uci-heart-disease beside the repo)")
    return UCI_DIR


@pytest.fixture(scope="session")
def seed() -> int:
    return 20261125
