"""Calibration to the literature: every DESIGN.md target against the simulated value, scenario by scenario.

The first scenario (``default``) is the one tuned to the published figures; the others (``no_bias``) are shown
beside it to say how much of each figure is the bias mechanisms rather than physiology.
"""

from __future__ import annotations

from dataclasses import dataclass

from experiments._common import Estimate, Progress, simulate_chunks, tracker
from experiments._config import CalibrationConfig, load_scenario_stack
from simulation import TARGETS, CalibrationSummary
from simulation.calibration import Target


@dataclass(frozen=True)
class ScenarioCalibration:
    """One scenario's simulated value (95% CI) for every target, keyed like :data:`simulation.TARGETS`."""

    scenario: str
    n_mi: int
    estimates: dict[str, Estimate]

    def within(self, target: Target) -> bool:
        """Whether the point estimate lies in the target's tested range."""
        return target.low <= self.estimates[target.key].value <= target.high


@dataclass(frozen=True)
class CalibrationResult:
    """The calibration table for each scenario on the same seed and size."""

    n: int
    seed: int
    targets: tuple[Target, ...]
    scenarios: tuple[ScenarioCalibration, ...]

    @property
    def reference(self) -> ScenarioCalibration:
        """The scenario checked against the targets (the first one)."""
        return self.scenarios[0]

    @property
    def in_range(self) -> int:
        """How many targets the reference scenario reproduces within the tested range."""
        return sum(self.reference.within(target) for target in self.targets)

    def metrics(self) -> dict[str, float]:
        """Headline numbers for MLflow: every estimate of every scenario and the in-range count."""
        out = {f"{s.scenario}.{key}": e.value for s in self.scenarios for key, e in s.estimates.items()}
        out["targets_in_range"] = float(self.in_range)
        out["targets"] = float(len(self.targets))
        return out


def run_calibration(config: CalibrationConfig, progress: Progress | None = None) -> CalibrationResult:
    """Simulate each scenario with the same seed and accumulate the calibration table chunk by chunk."""
    scenarios = []
    for reference in config.scenarios:
        cfg = load_scenario_stack([reference])
        summary = CalibrationSummary()
        advance = tracker(progress, f"simulating {cfg.name}", config.n)
        for table in simulate_chunks(cfg, config.n, config.seed, advance):
            summary.update(table)
        scenarios.append(ScenarioCalibration(cfg.name, int(summary.counts["mi"]), summary.estimates()))
    return CalibrationResult(config.n, config.seed, TARGETS, tuple(scenarios))
