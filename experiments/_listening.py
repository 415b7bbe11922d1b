"""Listening: whether letting patients talk longer, or asking about "atypical" symptoms, closes the missed-MI gap.

The sweep scales the whole interruption distribution (median ``m`` with quartiles ``m * q1_ratio`` and
``m * q3_ratio``, the shape of Singh Ospina 2019's 11 s (7-22 s)) and the probability that an "atypical"
symptom is asked about after the interruption (``elicitation.ask_atypical``). Every cell uses the same seed, so
the same simulated patients are compared (common random numbers) and differences between cells are not noise
between cohorts. The gap is the missed-MI rate (share of MI discharged undiagnosed) of women under 55 against
everyone else, as an odds ratio (Pope et al., NEJM 2000: 6.7) and as a difference of rates.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from chestpain.experiments._common import (
    Estimate,
    Progress,
    count_or,
    newcombe_difference,
    simulate,
    wilson,
)
from chestpain.experiments._config import ListeningConfig, load_scenario_stack
from chestpain.experiments._engine import SILENT, Point, Report, run_points
from chestpain.features.columns import ATYPICAL_SYMPTOMS
from chestpain.simulation import ScenarioConfig


@dataclass(frozen=True)
class ListeningCell:
    """One (variant, median seconds, ask_atypical) cell of the sweep."""

    variant: str
    median_seconds: float
    ask_atypical: float
    n_mi_young_women: int
    n_mi_rest: int
    missed_young_women: Estimate
    missed_rest: Estimate
    odds_ratio: Estimate
    difference: Estimate
    atypical_capture_women: Estimate


@dataclass(frozen=True)
class GapReference:
    """The same gap in the reference scenario (``no_bias``): what physiology and base rates leave."""

    scenario: str
    odds_ratio: Estimate
    missed_young_women: Estimate
    missed_rest: Estimate


@dataclass(frozen=True)
class ListeningResult:
    """The sweep, the reference gap and the scenario's own setting (the published 11 s, ask 0.30)."""

    n: int
    seed: int
    q1_ratio: float
    q3_ratio: float
    scenario_median: float
    scenario_ask: float
    cells: tuple[ListeningCell, ...]
    reference: GapReference

    @property
    def variants(self) -> list[str]:
        """Variant names in config order."""
        return list(dict.fromkeys(cell.variant for cell in self.cells))

    def cell(self, variant: str, median: float, ask: float) -> ListeningCell:
        """The cell of a variant at (median, ask)."""
        return next(
            c for c in self.cells if c.variant == variant and c.median_seconds == median and c.ask_atypical == ask
        )

    def baseline(self, variant: str) -> ListeningCell:
        """The grid cell nearest the scenario's own interruption median and ask_atypical."""
        cells = [c for c in self.cells if c.variant == variant]
        return min(
            cells,
            key=lambda c: (
                abs(math.log(c.median_seconds / self.scenario_median)),
                abs(c.ask_atypical - self.scenario_ask),
            ),
        )

    def best(self, variant: str) -> ListeningCell:
        """The cell with the smallest odds ratio of a variant."""
        return min((c for c in self.cells if c.variant == variant), key=lambda c: c.odds_ratio.value)

    def closes_at(self, variant: str, ask: float) -> float | None:
        """Smallest median at which the OR's 95% CI reaches down to the reference (no-bias) OR, if any."""
        for cell in sorted(
            (c for c in self.cells if c.variant == variant and c.ask_atypical == ask), key=lambda c: c.median_seconds
        ):
            if cell.odds_ratio.ci_low <= self.reference.odds_ratio.value:
                return cell.median_seconds
        return None

    def excess_removed(self, variant: str, cell: ListeningCell) -> float:
        """Share of the log odds ratio above the reference that ``cell`` removes, relative to the baseline cell."""
        base = math.log(self.baseline(variant).odds_ratio.value)
        floor = math.log(self.reference.odds_ratio.value)
        if base <= floor:
            return math.nan
        return (base - math.log(cell.odds_ratio.value)) / (base - floor)

    def metrics(self) -> dict[str, float]:
        """Headline numbers for MLflow."""
        out = {"reference.odds_ratio": self.reference.odds_ratio.value}
        for index, variant in enumerate(self.variants):
            base, best = self.baseline(variant), self.best(variant)
            out[f"variant{index}.baseline.odds_ratio"] = base.odds_ratio.value
            out[f"variant{index}.baseline.missed_young_women"] = base.missed_young_women.value
            out[f"variant{index}.best.odds_ratio"] = best.odds_ratio.value
            out[f"variant{index}.best.median_seconds"] = best.median_seconds
            out[f"variant{index}.best.ask_atypical"] = best.ask_atypical
            out[f"variant{index}.best.missed_young_women"] = best.missed_young_women.value
        return out


Gap = tuple[int, int, Estimate, Estimate, Estimate, Estimate, Estimate]


def measure_gap(cfg: ScenarioConfig, n: int, seed: int, report: Report = SILENT) -> Gap:
    """Simulate one cohort and return its gap (one sweep point): the whole frame never leaves the worker.

    Returns ``(n_mi_young_women, n_mi_rest, missed_young_women, missed_rest, odds_ratio, difference,
    atypical_capture_women)``.
    """
    return _gap(simulate(cfg, n, seed, report.advance))


def _gap(frame: pd.DataFrame) -> Gap:
    female = (frame["sex"] == "female").to_numpy()
    young_women = female & (frame["age"] < 55).to_numpy()
    mi = frame["mi"].to_numpy()
    missed = frame["missed_mi"].to_numpy()
    k_young = np.count_nonzero(missed & young_women)
    n_young = np.count_nonzero(mi & young_women)
    k_rest = np.count_nonzero(missed & ~young_women)
    n_rest = np.count_nonzero(mi & ~young_women)
    true = np.column_stack([frame[f"sx_{name}"].to_numpy() for name in ATYPICAL_SYMPTOMS])[mi & female]
    charted = np.column_stack([frame[f"doc_{name}"].to_numpy() for name in ATYPICAL_SYMPTOMS])[mi & female]
    return (
        n_young,
        n_rest,
        wilson(k_young, n_young),
        wilson(k_rest, n_rest),
        count_or(young_women, missed, mi),
        newcombe_difference(k_young, n_young, k_rest, n_rest),
        wilson(np.count_nonzero(charted), np.count_nonzero(true)),
    )


def interruption_overrides(median: float, q1_ratio: float, q3_ratio: float, max_ratio: float) -> list[str]:
    """``--set`` overrides that scale the median, both quartiles and the longest statement together."""
    return [
        f"interruption.median_seconds={median!r}",
        f"interruption.q1_seconds={median * q1_ratio!r}",
        f"interruption.q3_seconds={median * q3_ratio!r}",
        f"interruption.max_seconds={median * max_ratio!r}",
    ]


def run_listening(config: ListeningConfig, progress: Progress | None = None) -> ListeningResult:
    """Simulate the reference scenario and every cell of the sweep on the same seed, one point each."""
    base = load_scenario_stack([config.scenario])
    reference_cfg = load_scenario_stack([config.reference_scenario])
    grid = [(v, m, a) for v in config.variants for a in config.ask_atypical for m in config.median_seconds]
    points = [Point("reference", measure_gap, (reference_cfg, config.n, config.seed), config.n)]
    for index, (variant, median, ask) in enumerate(grid):
        overrides = [
            *variant.overrides,
            *interruption_overrides(median, config.q1_ratio, config.q3_ratio, config.max_ratio),
            f"elicitation.ask_atypical={ask!r}",
        ]
        cfg = load_scenario_stack([config.scenario], overrides)
        points.append(Point(f"cell{index}", measure_gap, (cfg, config.n, config.seed), config.n))
    gaps = run_points(config, points, progress=progress, description=f"listening sweep ({len(grid)} cells + reference)")
    _, _, ref_young, ref_rest, ref_or, _, _ = gaps[0]
    reference = GapReference(reference_cfg.name, ref_or, ref_young, ref_rest)
    cells = [
        ListeningCell(variant.name, median, ask, *gap)
        for (variant, median, ask), gap in zip(grid, gaps[1:], strict=True)
    ]
    return ListeningResult(
        n=config.n,
        seed=config.seed,
        q1_ratio=config.q1_ratio,
        q3_ratio=config.q3_ratio,
        scenario_median=base.interruption.median_seconds,
        scenario_ask=base.elicitation.ask_atypical,
        cells=tuple(cells),
        reference=reference,
    )
