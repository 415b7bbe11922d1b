"""Helpers every experiment shares: progress, simulation, training, intervals and the audited groups.

Intervals are analytic where a formula is standard (Wilson for a proportion, Newcombe for a difference of
independent proportions, the paired-difference normal interval for two outcomes on the same patients, Woolf
for odds ratios, Katz for risk ratios, Hanley & McNeil for AUROC) and percentile bootstraps otherwise.
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
from rich.progress import Progress
from scipy import stats

from chestpain.kernel.seeding import named_stream
from chestpain.kernel.stats import NAN_ESTIMATE, Z95, Estimate, hanley_mcneil, wilson
from chestpain.models import TrainConfig, TrainResult, prepare, train
from chestpain.simulation import ScenarioConfig, iter_chunks
from chestpain.simulation.calibration import odds_ratio, risk_ratio

__all__ = [
    "NAN_ESTIMATE",
    "Estimate",
    "Progress",
    "cohort_groups",
    "count_or",
    "hanley_mcneil",
    "newcombe_difference",
    "odds_ratio",
    "paired_difference",
    "percentile",
    "risk_ratio",
    "rng",
    "simulate",
    "simulate_chunks",
    "t_interval",
    "train_on",
    "tracker",
    "wilson",
]

Advance = Callable[..., None]


def tracker(progress: Progress | None, description: str, total: float) -> Advance:
    """An ``advance(amount=1)`` callable for a new progress task; a no-op without a progress display."""
    if progress is None:
        return lambda amount=1: None
    task = progress.add_task(description, total=total)
    return lambda amount=1: progress.advance(task, amount)


def rng(seed: int, name: str) -> np.random.Generator:
    """A random stream derived from the experiment's seed and a stable name (never Python's ``hash``)."""
    return named_stream(seed, f"experiments.{name}")


def simulate_chunks(cfg: ScenarioConfig, n: int, seed: int, advance: Advance | None = None) -> Iterator[pa.Table]:
    """The cohort chunk by chunk (bounded memory), calling ``advance(rows)`` after each chunk."""
    for table in iter_chunks(cfg, n, seed):
        yield table
        if advance is not None:
            advance(table.num_rows)


def simulate(cfg: ScenarioConfig, n: int, seed: int, advance: Advance | None = None) -> pd.DataFrame:
    """The whole cohort as a DataFrame; the same rows as :func:`simulation.simulate_frame`."""
    return pa.concat_tables(list(simulate_chunks(cfg, n, seed, advance))).to_pandas()


def train_on(frame: pd.DataFrame, cfg: TrainConfig, progress: Progress | None, description: str) -> TrainResult:
    """Train in a throw-away model directory: experiments keep the fitted model in memory, not on disk."""
    rounds = int(cfg.model.params.get("n_estimators", 1)) if cfg.model.kind == "xgboost" else 1
    advance = tracker(progress, description, rounds)
    with tempfile.TemporaryDirectory(prefix="triage-experiment-") as tmp:
        result = train(prepare(frame, cfg, source="experiment cohort"), cfg, Path(tmp) / "model", on_round=advance)
    return result


def cohort_groups(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """Row masks of the groups every simulated experiment reports: sex, women under 55 and race."""
    female = (frame["sex"] == "female").to_numpy()
    race = frame["race"].to_numpy()
    young = (frame["age"] < 55).to_numpy()
    return {
        "overall": np.ones(len(frame), bool),
        "female": female,
        "male": ~female,
        "women <55": female & young,
        "white": race == "white",
        "non-white": race != "white",
        "black": race == "black",
        "hispanic": race == "hispanic",
    }


def count_or(exposed: np.ndarray, event: np.ndarray, population: np.ndarray) -> Estimate:
    """Odds ratio of ``event`` for exposed vs unexposed rows of ``population`` (Woolf interval)."""
    a = np.count_nonzero(population & exposed & event)
    b = np.count_nonzero(population & exposed & ~event)
    c = np.count_nonzero(population & ~exposed & event)
    d = np.count_nonzero(population & ~exposed & ~event)
    return odds_ratio(a, b, c, d)


def newcombe_difference(k1: float, n1: float, k2: float, n2: float) -> Estimate:
    """p1 - p2 for independent proportions, Newcombe's hybrid score interval (Stat Med 1998, method 10)."""
    first, second = wilson(k1, n1), wilson(k2, n2)
    if math.isnan(first.value) or math.isnan(second.value):
        return NAN_ESTIMATE
    diff = first.value - second.value
    low = diff - math.hypot(first.value - first.ci_low, second.ci_high - second.value)
    high = diff + math.hypot(first.ci_high - first.value, second.value - second.ci_low)
    return Estimate(diff, low, high)


def paired_difference(before: np.ndarray, after: np.ndarray) -> Estimate:
    """Mean of ``after - before`` for two binary outcomes on the same rows, with a normal 95% interval.

    The same simulated patients are compared across arms (common random numbers), so the variance comes only
    from discordant rows: Var = (b + c - (b - c)^2 / n) / n^2.
    """
    n = len(before)
    if n == 0:
        return NAN_ESTIMATE
    b = np.count_nonzero(before & ~after)
    c = np.count_nonzero(~before & after)
    diff = (c - b) / n
    se = math.sqrt(max(b + c - (b - c) ** 2 / n, 0.0)) / n
    return Estimate(diff, diff - Z95 * se, diff + Z95 * se)


def t_interval(values: np.ndarray) -> Estimate:
    """Mean over seeds with a Student-t 95% interval (the seeds are independent replications)."""
    values = np.asarray(values, dtype=np.float64)
    values = values[np.isfinite(values)]
    if values.size == 0:
        return NAN_ESTIMATE
    mean = float(values.mean())
    if values.size == 1:
        return Estimate(mean, math.nan, math.nan)
    half = float(stats.t.ppf(0.975, values.size - 1) * values.std(ddof=1) / math.sqrt(values.size))
    return Estimate(mean, mean - half, mean + half)


def percentile(point: float, replicates: np.ndarray) -> Estimate:
    """Point estimate with the 2.5th-97.5th percentiles of its bootstrap replicates (non-finite ones kept)."""
    replicates = np.asarray(replicates, dtype=np.float64)
    replicates = replicates[~np.isnan(replicates)]
    if replicates.size == 0 or not math.isfinite(point):
        return Estimate(point, math.nan, math.nan)
    low, high = np.quantile(replicates, [0.025, 0.975], method="inverted_cdf")
    return Estimate(float(point), float(low), float(high))
