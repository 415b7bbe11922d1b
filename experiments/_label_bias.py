"""Label bias: a model trained on the chart label (``diagnosed_mi``) inherits the missed-MI gap.

Missed MIs are charted as "no MI", and they are concentrated in young women (Pope 2000), so a model that learns
from charts learns that such presentations are lower risk, and its 99%-sensitivity threshold is set against a
label that already lacks those MIs. Its AUROC against the truth hardly changes (the missed MIs are a few
percent of all MIs), but its false-negative rate in women does.

For each seed: simulate a training cohort, train one model on ``mi`` and one on ``diagnosed_mi`` (same
features, same training settings), and audit both on an independent evaluation cohort against ``mi`` with
:func:`fairness.audit_predictions`, under five threshold rules. Per-sex thresholds are chosen on each model's
calibration split with the same rule as training (the highest cut-off whose one-sided 97.5% lower bound of
sensitivity reaches 99% in that sex), once against the chart label (all a hospital has) and once against
adjudicated MI (what an adjudicated audit sample would allow). The effect is a few tenths of a percentage
point, so the experiment repeats over seeds and reports mean and spread.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from chestpain.experiments._common import Estimate, Progress, simulate, t_interval, train_on, wilson
from chestpain.experiments._config import LabelBiasConfig, load_scenario_stack
from chestpain.experiments._engine import SILENT, Point, Report, run_points
from chestpain.fairness import audit_predictions
from chestpain.models import TrainConfig, apply_thresholds, choose_thresholds
from chestpain.simulation import ScenarioConfig

GROUPS = ("overall", "female", "male")
TRUTH = "mi"
CHART = "diagnosed_mi"


@dataclass(frozen=True)
class Rule:
    """A model (by training label) and how its thresholds are chosen."""

    key: str
    text: str
    label: str
    per_sex_on: str | None  # None: the model's own trained threshold; else the label per-sex thresholds target


RULES = (
    Rule("truth", "trained on mi, its threshold", TRUTH, None),
    Rule("truth_per_sex", "trained on mi, per-sex thresholds (mi)", TRUTH, TRUTH),
    Rule("chart", "trained on diagnosed_mi, its threshold", CHART, None),
    Rule("chart_per_sex_chart", "trained on diagnosed_mi, per-sex thresholds (diagnosed_mi)", CHART, CHART),
    Rule("chart_per_sex_truth", "trained on diagnosed_mi, per-sex thresholds (adjudicated mi)", CHART, TRUTH),
)


@dataclass(frozen=True)
class RuleAudit:
    """One rule on one seed's evaluation cohort, by group (``overall``, ``female``, ``male``)."""

    seed: int
    rule: str
    thresholds: dict[str, float]
    fnr: dict[str, Estimate]
    auroc: dict[str, Estimate]
    rule_out: dict[str, Estimate]
    fnr_vs_chart: dict[str, Estimate]


@dataclass(frozen=True)
class SeedSpread:
    """A metric over seeds: mean with a t interval, SD, minimum and maximum."""

    mean: Estimate
    sd: float
    low: float
    high: float


@dataclass(frozen=True)
class LabelBiasResult:
    """Every rule audited on every seed."""

    seeds: tuple[int, ...]
    n_train: int
    n_eval: int
    audits: tuple[RuleAudit, ...]

    def values(self, rule: str, metric: str, group: str) -> np.ndarray:
        """The metric's point estimate on each seed, in seed order."""
        by_seed = {a.seed: getattr(a, metric)[group].value for a in self.audits if a.rule == rule}
        return np.array([by_seed[s] for s in self.seeds], dtype=np.float64)

    def spread(self, rule: str, metric: str, group: str) -> SeedSpread:
        """Mean (t interval over seeds), SD and range of a metric."""
        values = self.values(rule, metric, group)
        sd = float(values.std(ddof=1)) if values.size > 1 else math.nan
        return SeedSpread(t_interval(values), sd, float(values.min()), float(values.max()))

    def paired(self, rule: str, base: str, metric: str, group: str) -> SeedSpread:
        """Seed-by-seed difference ``rule - base`` (same cohorts, so the seed-level noise cancels)."""
        values = self.values(rule, metric, group) - self.values(base, metric, group)
        sd = float(values.std(ddof=1)) if values.size > 1 else math.nan
        return SeedSpread(t_interval(values), sd, float(values.min()), float(values.max()))

    def gap(self, rule: str, metric: str = "fnr") -> SeedSpread:
        """Women minus men, seed by seed."""
        values = self.values(rule, metric, "female") - self.values(rule, metric, "male")
        sd = float(values.std(ddof=1)) if values.size > 1 else math.nan
        return SeedSpread(t_interval(values), sd, float(values.min()), float(values.max()))

    def metrics(self) -> dict[str, float]:
        """Headline numbers for MLflow: means over seeds."""
        out: dict[str, float] = {}
        for rule in RULES:
            for group in GROUPS:
                for metric in ("fnr", "auroc", "rule_out"):
                    out[f"{rule.key}.{group}.{metric}"] = self.spread(rule.key, metric, group).mean.value
            out[f"{rule.key}.fnr_gap_female_minus_male"] = self.gap(rule.key).mean.value
        out["chart_minus_truth.female.fnr"] = self.paired("chart", "truth", "fnr", "female").mean.value
        out["chart_minus_truth.female.auroc"] = self.paired("chart", "truth", "auroc", "female").mean.value
        return out


def _audit(
    seed: int, y: np.ndarray, risk: np.ndarray, flag: np.ndarray, sex: np.ndarray, n_boot: int
) -> tuple[dict[str, Estimate], dict[str, Estimate], dict[str, Estimate]]:
    result = audit_predictions(
        y, risk, flag, attributes=pd.DataFrame({"sex": sex}), by=("sex",), n_boot=n_boot, seed=seed
    )
    fnr, auroc, rule_out = {}, {}, {}
    for group in GROUPS:
        g = result.group("overall", "all") if group == "overall" else result.group("sex", group)
        fnr[group] = Estimate(g["fnr"].value, g["fnr"].ci_low, g["fnr"].ci_high)
        auroc[group] = Estimate(g["auroc"].value, g["auroc"].ci_low, g["auroc"].ci_high)
        selection = g["selection_rate"]
        rule_out[group] = Estimate(1 - selection.value, 1 - selection.ci_high, 1 - selection.ci_low)
    return fnr, auroc, rule_out


def seed_audits(
    scenario: ScenarioConfig,
    n_train: int,
    n_eval: int,
    seed: int,
    eval_seed: int,
    train_cfgs: dict[str, TrainConfig],
    n_boot: int,
    report: Report = SILENT,
) -> list[RuleAudit]:
    """One seed (one sweep point): train on each label, then audit every rule on the evaluation cohort.

    ``train_cfgs`` maps each label to its resolved training config (split seed = ``seed``), read by the client.
    """
    train_frame = simulate(scenario, n_train, seed, report.advance)
    eval_frame = simulate(scenario, n_eval, eval_seed, report.advance)
    y = eval_frame["mi"].to_numpy()
    chart = eval_frame["diagnosed_mi"].to_numpy()
    sex_series = eval_frame["sex"]
    sex = sex_series.to_numpy()
    groups = {"overall": np.ones(len(y), bool), "female": sex == "female", "male": sex == "male"}
    audits = []
    for label in (TRUTH, CHART):
        cfg = train_cfgs[label]
        trained = train_on(train_frame, cfg, report.progress, f"seed {seed}: training on {label}")
        model = trained.model
        features = model.validate(eval_frame, source="evaluation cohort")
        risk = model.risk(features)
        cal = trained.calibration_index
        cal_sex = train_frame["sex"].iloc[cal].reset_index(drop=True)
        for rule in (r for r in RULES if r.label == label):
            if rule.per_sex_on is None:
                thresholds = model.thresholds
            else:
                thresholds = choose_thresholds(
                    trained.calibration_risk,
                    train_frame[rule.per_sex_on].to_numpy()[cal],
                    cal_sex,
                    target=cfg.threshold.target_sensitivity,
                    per_sex=True,
                    confidence=cfg.threshold.confidence,
                )
            flag = apply_thresholds(risk, sex_series, thresholds)
            fnr, auroc, rule_out = _audit(seed, y, risk, flag, sex, n_boot)
            fnr_vs_chart = {
                g: wilson(np.count_nonzero(chart & ~flag & rows), np.count_nonzero(chart & rows))
                for g, rows in groups.items()
            }
            audits.append(
                RuleAudit(
                    seed, rule.key, {k: float(v) for k, v in thresholds.items()}, fnr, auroc, rule_out, fnr_vs_chart
                )
            )
    return audits


def run_label_bias(config: LabelBiasConfig, progress: Progress | None = None) -> LabelBiasResult:
    """Train on each label for each seed and audit every rule on an independent cohort, one point per seed."""
    scenario = load_scenario_stack([config.scenario])
    points = [
        Point(
            f"seed{seed}",
            seed_audits,
            (
                scenario,
                config.n_train,
                config.n_eval,
                seed,
                seed + config.eval_seed_offset,
                {label: config.train.load([f"label={label}", f"split.seed={seed}"]) for label in (TRUTH, CHART)},
                config.n_boot,
            ),
            config.n_train + config.n_eval,
        )
        for seed in config.seeds
    ]
    per_seed = run_points(config, points, progress=progress, description=f"simulating {len(points)} seeds")
    audits = [audit for seed_result in per_seed for audit in seed_result]
    return LabelBiasResult(tuple(config.seeds), config.n_train, config.n_eval, tuple(audits))
