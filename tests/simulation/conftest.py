"""Large seeded cohorts shared by the simulation tests (built once per session)."""

from __future__ import annotations

import pandas as pd
import pytest

from chestpain.simulation import SCENARIO_DIR, load_scenario, simulate_frame

LARGE_N = 1_000_000


def scenario(name: str):
    return load_scenario(SCENARIO_DIR / f"{name}.yaml")


@pytest.fixture(scope="session")
def default_cohort(seed: int) -> pd.DataFrame:
    """1,000,000 visits of the default scenario."""
    return simulate_frame(scenario("default"), LARGE_N, seed)
