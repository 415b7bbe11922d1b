"""Seeded cohorts and the models trained on them, shared by the model tests (built once).

Issue 14's sizes: a 200,000-visit training cohort (what `make demo N=200000` trains on) and an independent
200,000-visit cohort (another seed) on which the shipped flag must keep its sensitivity.
"""

from __future__ import annotations

import pandas as pd
import pytest

from models import load_train_config, prepare, train
from simulation import SCENARIO_DIR, load_scenario, simulate_frame

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
def logistic_result(small_cohort, repo_root, tmp_path_factory):
    cfg = load_train_config(repo_root / "configs/train/logistic.yaml")
    return train(prepare(small_cohort, cfg), cfg, tmp_path_factory.mktemp("logistic") / "model")
