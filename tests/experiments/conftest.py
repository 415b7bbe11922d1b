"""Experiments on small configs: MLflow in a temporary sqlite store, results in a temporary folder.

Each experiment runs once per session through the real command line (``chestpain experiment run``); the tests
then read its files and its MLflow run.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from chestpain.cli.main import app
from tests.conftest import SHARED_DATA

CONFIG_DIR = Path(__file__).resolve().parent / "configs"
NAMES = ("calibration", "listening", "interventions", "label_bias", "pain_treatment", "uci_sites", "model_vs_scores")
UCI_DATA = SHARED_DATA / "uci-heart-disease"


@dataclass
class Ran:
    """One experiment's CLI run: exit code, output, where it wrote, and its JSON summary."""

    name: str
    exit_code: int
    output: str
    out_dir: Path
    summary: dict[str, Any]


@pytest.fixture(scope="session")
def tracking_uri(tmp_path_factory: pytest.TempPathFactory):
    """Point MLflow at a throw-away sqlite file for the whole session (restored afterwards)."""
    uri = f"sqlite:///{tmp_path_factory.mktemp('mlflow') / 'mlflow.db'}"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLFLOW_TRACKING_URI", uri)
        patch.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
        yield uri


@pytest.fixture(scope="session")
def out_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("results")


@pytest.fixture(scope="session")
def run_small(tracking_uri: str, out_dir: Path):
    """``run_small(name)`` runs tests/experiments/configs/NAME.yaml once per session and caches the outcome."""
    cache: dict[str, Ran] = {}

    def run(name: str) -> Ran:
        if name not in cache:
            args = ["experiment", "run", str(CONFIG_DIR / f"{name}.yaml"), "--set", f"output_dir={out_dir}"]
            if name == "uci_sites":
                if not UCI_DATA.is_dir():
                    pytest.skip(f"UCI data not found at {UCI_DATA}")
                args += ["--set", f"source={UCI_DATA}"]
            result = CliRunner().invoke(app, args)
            summary_path = out_dir / f"{name}.json"
            summary = json.loads(summary_path.read_text()) if summary_path.exists() else {}
            cache[name] = Ran(name, result.exit_code, result.output, out_dir, summary)
            assert result.exit_code == 0, result.output + repr(result.exception)
        return cache[name]

    return run


def mlflow_client(uri: str):
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    import mlflow

    return mlflow.MlflowClient(tracking_uri=uri)
