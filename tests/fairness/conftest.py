"""Seeded synthetic predictions for the fairness tests (no simulator or model needed)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit

SEED = 20240611
RACE_SHARES = {"white": 0.6, "black": 0.15, "hispanic": 0.15, "asian": 0.05, "other": 0.05}


def make_predictions(
    n: int,
    *,
    seed: int = SEED,
    prevalence: float = 0.1,
    fnr: tuple[float, float] | None = None,
    fpr: float = 0.3,
    female_score_shift: float = 0.0,
    rounding: int | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, pd.DataFrame]:
    """Labels, risks, flags and attributes (sex, race, age) of ``n`` synthetic ED visits.

    ``fnr=(female, male)`` draws flags with exactly those miss probabilities (and ``fpr`` for negatives), so an
    injected gap is known; otherwise flags are ``risk >= 0.05``. ``female_score_shift`` lowers the score of
    women with MI (a model that under-scores them). ``rounding`` rounds risks to that many decimals so each
    score bin holds one distinct score.
    """
    rng = np.random.default_rng(seed)
    sex = np.where(rng.random(n) < 0.46, "female", "male")
    race = rng.choice(list(RACE_SHARES), size=n, p=list(RACE_SHARES.values()))
    age = rng.integers(18, 95, size=n)
    y = rng.random(n) < prevalence
    female = sex == "female"
    z = rng.standard_normal(n) + 2.2 * y - female_score_shift * (y & female)
    risk = expit(1.3 * z - 3.5)
    if rounding is not None:
        risk = np.round(risk, rounding)
    if fnr is None:
        flag = risk >= 0.05
    else:
        miss = np.where(female, fnr[0], fnr[1])
        u = rng.random(n)
        flag = np.where(y, u >= miss, u < fpr)
    attributes = pd.DataFrame({"sex": sex, "race": race, "age": age})
    return y, risk, flag, attributes


@pytest.fixture(scope="session")
def predictions() -> Callable[..., tuple[np.ndarray, np.ndarray, np.ndarray, pd.DataFrame]]:
    """The synthetic-data factory, as a fixture so tests need no import path tricks."""
    return make_predictions
