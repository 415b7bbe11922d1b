"""Interventions alone and combined: missed MI by sex and race, and what each prevented miss costs in admissions.

Every arm simulates the same patients (same seed: demographics, MI and presentation are identical across arms,
only the encounter and decision change), so each arm's change from the reference arm is a paired difference
on the same people.

The model-assisted discharge check comes in two forms. The simulator's ``model_assisted_check`` scenario uses
the oracle (the exact P(MI) from the generating process), the upper bound of any model that sees the same
columns. The ``trained`` form trains a real model on a different simulated cohort (``train_seed``) and, on
this cohort, turns every discharge the model flags into an admission, then recomputes
``missed_mi = mi & discharged & ~diagnosed_mi``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from chestpain.experiments._common import (
    NAN_ESTIMATE,
    Estimate,
    Progress,
    cohort_groups,
    paired_difference,
    percentile,
    rng,
    simulate,
    train_on,
    wilson,
)
from chestpain.experiments._config import Arm, InterventionsConfig, load_scenario_stack
from chestpain.experiments._engine import SILENT, Point, Ref, Report, run_points
from chestpain.models import TrainConfig, TriageModel
from chestpain.simulation import ScenarioConfig

PER = 1000  # visits: the unit of the cost columns


@dataclass(frozen=True)
class ArmResult:
    """Outcomes of one arm and its change from the reference arm (paired, same patients)."""

    name: str
    description: str
    check: str  # "none", "oracle" (the simulator's model_assisted_check) or "trained"
    admitted: Estimate
    missed: dict[str, Estimate]
    n_mi: dict[str, int]
    missed_change: dict[str, Estimate] = field(default_factory=dict)
    added_admissions_per_1000: Estimate = NAN_ESTIMATE
    prevented_per_1000: Estimate = NAN_ESTIMATE
    admissions_per_prevented: Estimate = NAN_ESTIMATE


@dataclass(frozen=True)
class InterventionsResult:
    """Every arm; the first is the reference the others are compared with."""

    n: int
    seed: int
    n_train: int
    train_seed: int
    model_thresholds: dict[str, float]
    model_auroc: float
    arms: tuple[ArmResult, ...]

    @property
    def reference(self) -> ArmResult:
        """The reference arm (the published biases, no intervention)."""
        return self.arms[0]

    def arm(self, name: str) -> ArmResult:
        """An arm by name."""
        return next(a for a in self.arms if a.name == name)

    def metrics(self) -> dict[str, float]:
        """Headline numbers for MLflow: missed MI by sex, admissions and cost per arm."""
        out: dict[str, float] = {"model.auroc": self.model_auroc}
        for index, arm in enumerate(self.arms):
            prefix = f"arm{index}"
            out[f"{prefix}.admitted"] = arm.admitted.value
            for group in ("overall", "female", "male", "white", "non-white"):
                out[f"{prefix}.missed.{group}"] = arm.missed[group].value
            out[f"{prefix}.admissions_per_prevented"] = arm.admissions_per_prevented.value
        return out


def _describe(arm: Arm, threshold_text: str) -> str:
    parts = [*arm.scenarios, *arm.overrides]
    if arm.model_check == "trained":
        parts.append(f"trained-model check at {threshold_text}")
    return "; ".join(parts) or "reference"


def _check_kind(arm: Arm, cfg: ScenarioConfig) -> str:
    oracle = cfg.interventions.model_assisted_check.enabled
    if arm.model_check == "trained":
        return "oracle+trained" if oracle else "trained"
    return "oracle" if oracle else "none"


def _outcomes(frame: pd.DataFrame, discharged: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mi = frame["mi"].to_numpy()
    missed = mi & discharged & ~frame["diagnosed_mi"].to_numpy()
    return ~discharged, missed


def _cost(
    ref_admitted: np.ndarray,
    ref_missed: np.ndarray,
    admitted: np.ndarray,
    missed: np.ndarray,
    n_boot: int,
    generator: np.random.Generator,
) -> tuple[Estimate, Estimate, Estimate]:
    """Added admissions and prevented misses per 1,000 visits, and their ratio with a paired bootstrap CI.

    Each patient contributes (change in admission, change in missed MI), each in {-1, 0, 1}: the 3 x 3 table
    of those pairs is a sufficient statistic, so resampling patients is a multinomial draw over 9 cells.
    """
    d_admit = admitted.astype(np.int64) - ref_admitted
    d_prevent = ref_missed.astype(np.int64) - missed
    cells = np.bincount((d_admit + 1) * 3 + (d_prevent + 1), minlength=9)
    values = np.array([(a, p) for a in (-1, 0, 1) for p in (-1, 0, 1)], dtype=np.float64)
    n = len(admitted)
    added = paired_difference(ref_admitted, admitted)
    prevented = paired_difference(missed, ref_missed)
    draws = generator.multinomial(n, cells / n, size=n_boot) @ values
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = np.where(draws[:, 1] > 0, draws[:, 0] / draws[:, 1], np.inf)
    total_added, total_prevented = (cells @ values).tolist()
    point = total_added / total_prevented if total_prevented > 0 else math.nan
    scale = lambda e: Estimate(e.value * PER, e.ci_low * PER, e.ci_high * PER)  # noqa: E731
    return scale(added), scale(prevented), percentile(point, ratios)


def _model_flag(model: TriageModel, frame: pd.DataFrame, threshold: float | None) -> np.ndarray:
    features = model.validate(frame, source="intervention cohort")
    risk = model.risk(features)
    return model.flag(features, risk) if threshold is None else risk >= threshold


@dataclass(frozen=True)
class Checker:
    """The trained discharge-check model and its test AUROC (the training point's result)."""

    model: TriageModel
    auroc: float


@dataclass(frozen=True)
class ReferenceArm:
    """The reference arm's result and, per patient, whether admitted and whether a missed MI (for pairing)."""

    result: ArmResult
    admitted: np.ndarray
    missed: np.ndarray


def train_checker(
    base: ScenarioConfig, n_train: int, train_seed: int, train_cfg: TrainConfig, report: Report = SILENT
) -> Checker:
    """Simulate the training cohort (``train_seed``) and train the checking model (one point)."""
    train_frame = simulate(base, n_train, train_seed, report.advance)
    trained = train_on(train_frame, train_cfg, report.progress, f"training {train_cfg.name} for the discharge check")
    return Checker(trained.model, float(trained.metrics["test"]["overall"]["auroc"]["value"]))


def _simulate_arm(
    cfg: ScenarioConfig, n: int, seed: int, arm: Arm, checker: Checker | None, report: Report
) -> tuple[ArmResult, np.ndarray, np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """One arm's cohort and outcomes: (result without comparison, admitted, missed, mi, group masks)."""
    frame = simulate(cfg, n, seed, report.advance)
    discharged = frame["discharged"].to_numpy()
    if checker is not None:
        discharged = discharged & ~_model_flag(checker.model, frame, arm.model_threshold)
    threshold_text = (
        "its own 99%-sensitivity threshold" if arm.model_threshold is None else f"risk >= {arm.model_threshold:g}"
    )
    admitted, missed = _outcomes(frame, discharged)
    groups = cohort_groups(frame)
    mi = frame["mi"].to_numpy()
    result = ArmResult(
        name=arm.name,
        description=_describe(arm, threshold_text),
        check=_check_kind(arm, cfg),
        admitted=wilson(np.count_nonzero(admitted), len(frame)),
        missed={g: wilson(np.count_nonzero(missed & rows), np.count_nonzero(mi & rows)) for g, rows in groups.items()},
        n_mi={g: int(np.count_nonzero(mi & rows)) for g, rows in groups.items()},
    )
    return result, admitted, missed, mi, groups


def reference_arm(
    cfg: ScenarioConfig, n: int, seed: int, arm: Arm, checker: Checker | None, report: Report = SILENT
) -> ReferenceArm:
    """The first arm (one point); its per-patient outcomes are what every other arm is paired with."""
    result, admitted, missed, _, _ = _simulate_arm(cfg, n, seed, arm, checker, report)
    return ReferenceArm(result, admitted, missed)


def compared_arm(
    cfg: ScenarioConfig,
    n: int,
    seed: int,
    arm: Arm,
    index: int,
    checker: Checker | None,
    reference: ReferenceArm,
    n_boot: int,
    report: Report = SILENT,
) -> ArmResult:
    """Another arm (one point), with its paired change from the reference and the cost bootstrap.

    The bootstrap stream is named after the arm's position (``interventions.INDEX``), so it does not depend on
    which arms ran before it or where.
    """
    result, admitted, missed, mi, groups = _simulate_arm(cfg, n, seed, arm, checker, report)
    change = {g: paired_difference(reference.missed[mi & rows], missed[mi & rows]) for g, rows in groups.items()}
    added, prevented, ratio = _cost(
        reference.admitted, reference.missed, admitted, missed, n_boot, rng(seed, f"interventions.{index}")
    )
    return replace(
        result,
        missed_change=change,
        added_admissions_per_1000=added,
        prevented_per_1000=prevented,
        admissions_per_prevented=ratio,
    )


def run_interventions(config: InterventionsConfig, progress: Progress | None = None) -> InterventionsResult:
    """Train the checking model, then simulate every arm on the same seed and compare it with the first arm.

    Points: the training, the reference arm, then every other arm (each waits only for what it uses: the
    reference arm's outcomes and, with ``model_check: trained``, the model).
    """
    base = load_scenario_stack([config.scenario])
    train_cfg = config.train.load([f"split.seed={config.train_seed}"])
    points = [Point("train", train_checker, (base, config.n_train, config.train_seed, train_cfg), config.n_train)]
    for index, arm in enumerate(config.arms):
        cfg = load_scenario_stack([config.scenario, *arm.scenarios], arm.overrides)
        checker = Ref("train") if arm.model_check == "trained" else None
        if index == 0:
            points.append(Point("arm0", reference_arm, (cfg, config.n, config.seed, arm, checker), config.n))
        else:
            args = (cfg, config.n, config.seed, arm, index, checker, Ref("arm0"), config.n_boot)
            points.append(Point(f"arm{index}", compared_arm, args, config.n))
    description = f"training cohort and {len(config.arms)} arms"
    trained, reference, *others = run_points(config, points, progress=progress, description=description)
    return InterventionsResult(
        n=config.n,
        seed=config.seed,
        n_train=config.n_train,
        train_seed=config.train_seed,
        model_thresholds=trained.model.thresholds,
        model_auroc=trained.auroc,
        arms=(reference.result, *others),
    )
