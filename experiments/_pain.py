"""Pain treatment: any ED analgesia by race and pain score, with the disparity and without it.

The seed's figure is "Black Americans are 22% less likely to receive any pain medication"; the simulator
produces it from the odds ratio of Lee et al. (Am J Emerg Med 2019: 0.60 for Black vs white patients).
The risk ratio is reported among patients in pain (score >= ``pain_threshold``), overall and within each
pain score, so the gap cannot be a difference in how much pain each group reports.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from chestpain.experiments._common import Estimate, Progress, risk_ratio, simulate, wilson
from chestpain.experiments._config import PainConfig, load_scenario_stack
from chestpain.experiments._engine import SILENT, Point, Report, run_points
from chestpain.features.columns import RACES
from chestpain.simulation import ScenarioConfig

PAIN_SCORES = tuple(range(11))


@dataclass(frozen=True)
class PainScenario:
    """Analgesia rates of one scenario."""

    name: str
    rate: dict[tuple[str, int], Estimate]  # (race, pain score)
    n: dict[tuple[str, int], int]
    in_pain: dict[str, Estimate]  # race -> rate at pain >= threshold
    rr_in_pain: dict[str, Estimate]  # race -> risk ratio vs white at pain >= threshold
    rr_black_by_pain: dict[int, Estimate]


@dataclass(frozen=True)
class PainResult:
    """The default scenario and the comparison without the disparity."""

    n: int
    seed: int
    pain_threshold: int
    scenarios: tuple[PainScenario, ...]

    def metrics(self) -> dict[str, float]:
        """Headline numbers for MLflow."""
        out = {}
        for index, scenario in enumerate(self.scenarios):
            for race in ("black", "hispanic"):
                out[f"scenario{index}.rr_{race}_vs_white"] = scenario.rr_in_pain[race].value
            out[f"scenario{index}.less_likely_black"] = 1 - scenario.rr_in_pain["black"].value
        return out


def _scenario(name: str, pain: np.ndarray, race: np.ndarray, treated: np.ndarray, threshold: int) -> PainScenario:
    rate, n = {}, {}
    for r in RACES:
        for score in PAIN_SCORES:
            rows = (race == r) & (pain == score)
            n[(r, score)] = int(np.count_nonzero(rows))
            rate[(r, score)] = wilson(np.count_nonzero(rows & treated), n[(r, score)])
    in_pain = pain >= threshold
    white = in_pain & (race == "white")
    k_white, n_white = np.count_nonzero(white & treated), np.count_nonzero(white)
    rates, ratios = {}, {}
    for r in RACES:
        rows = in_pain & (race == r)
        rates[r] = wilson(np.count_nonzero(rows & treated), np.count_nonzero(rows))
        ratios[r] = risk_ratio(np.count_nonzero(rows & treated), np.count_nonzero(rows), k_white, n_white)
    by_pain = {}
    for score in range(threshold, 11):
        black = (pain == score) & (race == "black")
        white_at = (pain == score) & (race == "white")
        by_pain[score] = risk_ratio(
            np.count_nonzero(black & treated),
            np.count_nonzero(black),
            np.count_nonzero(white_at & treated),
            np.count_nonzero(white_at),
        )
    return PainScenario(name, rate, n, rates, ratios, by_pain)


def pain_scenario(
    cfg: ScenarioConfig, n: int, seed: int, name: str, threshold: int, report: Report = SILENT
) -> PainScenario:
    """Simulate one scenario and tabulate its analgesia rates (one sweep point)."""
    frame = simulate(cfg, n, seed, report.advance)
    return _scenario(
        name,
        frame["pain_score"].to_numpy(),
        frame["race"].to_numpy(),
        frame["analgesia_given"].to_numpy(),
        threshold,
    )


def run_pain(config: PainConfig, progress: Progress | None = None) -> PainResult:
    """Simulate the scenario and its no-disparity comparison on the same seed (same patients, same pain)."""
    variants = (("published disparity", []), (config.comparison.name, config.comparison.overrides))
    points = [
        Point(
            f"scenario{index}",
            pain_scenario,
            (load_scenario_stack([config.scenario], overrides), config.n, config.seed, name, config.pain_threshold),
            config.n,
        )
        for index, (name, overrides) in enumerate(variants)
    ]
    scenarios = run_points(config, points, progress=progress, description=f"simulating {len(points)} scenarios")
    return PainResult(config.n, config.seed, config.pain_threshold, tuple(scenarios))
