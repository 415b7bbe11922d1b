"""Calibration to the literature: every DESIGN.md target against the simulated value, scenario by scenario.

The first scenario (``default``) is the one tuned to the published figures; the others (``no_bias``) are shown
beside it to say how much of each figure is the bias mechanisms rather than physiology.
"""

from __future__ import annotations

from dataclasses import dataclass

from chestpain.experiments._common import Estimate, Progress, simulate_chunks
from chestpain.experiments._config import CalibrationConfig, load_scenario_stack
from chestpain.experiments._engine import SILENT, Point, Report, run_points
from chestpain.simulation import TARGETS, CalibrationSummary, ScenarioConfig
from chestpain.simulation.calibration import Target


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
    def tested(self) -> tuple[Target, ...]:
        """Targets with a published range (the reported-only rows are context)."""
        return tuple(target for target in self.targets if not target.reported_only)

    @property
    def in_range(self) -> int:
        """How many tested targets the reference scenario reproduces within the tested range."""
        return sum(self.reference.within(target) for target in self.tested)

    def metrics(self) -> dict[str, float]:
        """Headline numbers for MLflow: every estimate of every scenario and the in-range count."""
        out = {f"{s.scenario}.{key}": e.value for s in self.scenarios for key, e in s.estimates.items()}
        out["targets_in_range"] = float(self.in_range)
        out["targets"] = float(len(self.tested))
        return out


def scenario_calibration(cfg: ScenarioConfig, n: int, seed: int, report: Report = SILENT) -> ScenarioCalibration:
    """One scenario's calibration table, accumulated chunk by chunk (one sweep point; memory stays bounded)."""
    summary = CalibrationSummary()
    for table in simulate_chunks(cfg, n, seed, report.advance):
        summary.update(table)
    return ScenarioCalibration(cfg.name, int(summary.counts["mi"]), summary.estimates())


def run_calibration(config: CalibrationConfig, progress: Progress | None = None) -> CalibrationResult:
    """Simulate each scenario with the same seed (one point per scenario) and collect their tables in order."""
    points = [
        Point(f"scenario{index}", scenario_calibration, (load_scenario_stack([ref]), config.n, config.seed), config.n)
        for index, ref in enumerate(config.scenarios)
    ]
    scenarios = run_points(config, points, progress=progress, description=f"simulating {len(points)} scenarios")
    return CalibrationResult(config.n, config.seed, TARGETS, tuple(scenarios))
