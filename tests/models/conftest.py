"""Seeded cohorts and the models trained on them, shared by the model tests (built once).

Issue 14's sizes: a 200,000-visit training cohort (what `make demo N=200000` trains on) and an independent
200,000-visit cohort (another seed) on which the shipped flag must keep its sensitivity.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from chestpain.models import load_train_config, log_training_run, prepare, train
from chestpain.simulation import SCENARIO_DIR, load_scenario, simulate_frame

QUALITY_N = 200_000
INDEPENDENT_N = 200_000
SMALL_N = 40_000


@pytest.fixture(scope="session")
def quality_cohort() -> pd.DataFrame:
    return simulate_frame(load_scenario(SCENARIO_DIR / "default.yaml"), QUALITY_N, 424242)


@pytest.fixture(scope="session")
def independent_cohort() -> pd.DataFrame:
    return simulate_frame(load_scenario(SCENARIO_DIR / "default.yaml"), INDEPENDENT_N, 424243)


@pytest.fixture(scope="session")
def small_cohort() -> pd.DataFrame:
    return simulate_frame(load_scenario(SCENARIO_DIR / "default.yaml"), SMALL_N, 77)


@pytest.fixture(scope="session")
def xgb_result(quality_cohort, repo_root, tmp_path_factory):
    # The shipped config as it is (monotone, cross-fitted thresholds).
    cfg = load_train_config(repo_root / "configs/train/xgboost.yaml")
    return train(prepare(quality_cohort, cfg), cfg, tmp_path_factory.mktemp("xgb") / "model")


@pytest.fixture(scope="session")
def uci(uci_dir) -> pd.DataFrame:
    """The harmonised UCI table (920 rows), loaded once for every model test that trains on it."""
    from chestpain.features import load_uci

    return load_uci(uci_dir)


@pytest.fixture(scope="session")
def logistic_result(small_cohort, repo_root, tmp_path_factory):
    cfg = load_train_config(repo_root / "configs/train/logistic.yaml")
    return train(prepare(small_cohort, cfg), cfg, tmp_path_factory.mktemp("logistic") / "model")


# MLflow warns, under its own "once" filter, that a pyfunc's predict has no type hints (models/_mlflow_pyfunc.py
# has them now; the filter stays for MLflow versions that still warn). That one warning is dropped; any other is
# re-raised.
TYPE_HINT_WARNING = "Add type hints to the `predict` method"


def register_in_private_store(result, work: Path, params: dict[str, Any], **registration: Any) -> str:
    """Log and register a trained test model in a SQLite store of its own under ``work``; returns the store URI.

    ``registration`` goes to ``log_training_run`` (experiment, registered_model, alias, manifest_sha256).
    """
    uri = f"sqlite:///{work / 'mlflow.db'}"
    with pytest.MonkeyPatch.context() as mp, warnings.catch_warnings(record=True) as caught:
        mp.setenv("MLFLOW_TRACKING_URI", uri)
        mp.chdir(work)
        log_training_run(result.model.path, result.model.manifest, params, [], **registration)
    for warning in caught:
        if TYPE_HINT_WARNING not in str(warning.message):
            warnings.warn_explicit(warning.message, warning.category, warning.filename, warning.lineno)
    return uri
