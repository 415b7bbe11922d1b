"""A seeded 400,000-row cohort and the models trained on it, shared by the model tests (built once)."""

from __future__ import annotations

import pandas as pd
import pytest

from models import load_train_config, prepare, train
from simulation import SCENARIO_DIR, load_scenario, simulate_frame

# The issue asks for at least 200,000 rows; 400,000 gives ~5,000 women with MI in the calibration split, enough
# for a 99%-sensitivity threshold that holds on the test split (see configs/train/xgboost.yaml).
QUALITY_N = 400_000
SMALL_N = 40_000


@pytest.fixture(scope="session")
def quality_cohort() -> pd.DataFrame:
    return simulate_frame(load_scenario(SCENARIO_DIR / "default.yaml"), QUALITY_N, 424242)


@pytest.fixture(scope="session")
def small_cohort() -> pd.DataFrame:
    return simulate_frame(load_scenario(SCENARIO_DIR / "default.yaml"), SMALL_N, 77)


@pytest.fixture(scope="session")
def xgb_result(quality_cohort, repo_root, tmp_path_factory):
    cfg = load_train_config(repo_root / "configs/train/xgboost.yaml")
    return train(prepare(quality_cohort, cfg), cfg, tmp_path_factory.mktemp("xgb") / "model")


@pytest.fixture(scope="session")
def logistic_result(small_cohort, repo_root, tmp_path_factory):
    cfg = load_train_config(repo_root / "configs/train/logistic.yaml")
    return train(prepare(small_cohort, cfg), cfg, tmp_path_factory.mktemp("logistic") / "model")
