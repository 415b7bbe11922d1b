"""Model vs clinical scores: how many patients each rule sends home safely, and how close the model is to the limit.

On one simulated cohort a model is trained (train / calibration / test split, as ``chestpain train`` does) and,
on the test split only:

- HEART (low risk 0-3; Backus 2013) and ESC 2020 on each record's pathway (Roffi 2016; Collet 2021) at their own
  operating points (sensitivity and rule-out fraction), from the charted symptoms as a clinician scores them;
- the model at its own trained threshold (the config's threshold rule: cross-fitted out-of-fold risk by default,
  or the calibration split; 97.5% confidence bound);
- the model and the oracle (``oracle_mi_probability``, exact P(MI) from the generating process and therefore
  the best any model seeing the same columns can do) at the highest threshold that reaches the target
  sensitivity on the test split itself. That threshold is chosen on the rows it is evaluated on (optimistic
  for both, equally), so the model/oracle ratio measures estimation error, not threshold luck.

Two ratios to the oracle's rule-out at the target, both reported (issue 14): ``ratio``, the model's ranking at
equal sensitivity (its rule-out at the test-split threshold), and ``flag_ratio``, the shipped flag's rule-out (its
own trained threshold), which adds what the threshold rule gives away to keep its guarantee.

By sex, the model and the oracle get the threshold that reaches the target within that sex. Intervals for
rule-out fractions at the test-split threshold are percentile bootstraps that redo the threshold choice on
each resample; the ratio model / oracle is bootstrapped on the same resamples (paired).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from chestpain.experiments._common import Estimate, Progress, percentile, rng, simulate, tracker, train_on, wilson
from chestpain.experiments._config import ModelVsScoresConfig, load_scenario_stack
from chestpain.experiments._engine import SILENT, Point, Report, run_points
from chestpain.fairness import sensitivity_threshold
from chestpain.models import TrainConfig, guarantee_metrics
from chestpain.simulation import ScenarioConfig

GROUPS = ("overall", "female", "male")
MODEL_OWN = "model, its trained threshold"
MODEL_MI = "model, MI question alone (trained thresholds)"
MODEL_AT = "model at {target} sensitivity"
ORACLE_AT = "oracle at {target} sensitivity"
BASELINES = {
    "HEART (low risk 0-3)": "HEART low risk (0-3)",
    "ESC 2020": "ESC 2020 rule-out (0/1 h, else 0/2 h or 0/3 h)",
    "single-sample rule-out": "single-sample rule-out (< 2 ng/L)",
}
CURVE_SENSITIVITIES = np.linspace(0.95, 1.0, 101)


@dataclass(frozen=True)
class OperatingPoint:
    """One rule's sensitivity and rule-out fraction (share not flagged) in one group of the test split."""

    rule: str
    group: str
    threshold: float | None
    n: int
    n_mi: int
    sensitivity: Estimate
    rule_out: Estimate


@dataclass(frozen=True)
class Curve:
    """Rule-out fraction at each sensitivity target (threshold chosen on the test split)."""

    rule: str
    group: str
    sensitivity: np.ndarray
    rule_out: np.ndarray


@dataclass(frozen=True)
class ModelVsScoresResult:
    """Every operating point, the model/oracle ratio and the curves, on the test split."""

    n: int
    seed: int
    n_test: int
    target: float
    model_thresholds: dict[str, float]
    points: tuple[OperatingPoint, ...]
    ratio: dict[str, Estimate]
    auroc: dict[tuple[str, str], Estimate]
    curves: tuple[Curve, ...]
    flag_ratio: dict[str, Estimate] | None = None  # the shipped flag's rule-out / the oracle's at the target
    #: Issue 25: on an independent cohort (another seed, never seen in training), the shipped flag's sensitivity
    #: in each guaranteed group: (question, group, n, positives, missed, sensitivity, rule-out).
    guarantees: tuple[tuple[str, str, int, int, int, Estimate, Estimate], ...] = ()
    independent_seed: int | None = None
    mace_target: float | None = None  # the 30-day question's sensitivity target (None: the model has none)

    @property
    def model_at(self) -> str:
        """Rule name of the model at the test-split threshold."""
        return MODEL_AT.format(target=target_text(self.target))

    @property
    def oracle_at(self) -> str:
        """Rule name of the oracle at the test-split threshold."""
        return ORACLE_AT.format(target=target_text(self.target))

    def point(self, rule: str, group: str) -> OperatingPoint:
        """The operating point of a rule in a group."""
        return next(p for p in self.points if p.rule == rule and p.group == group)

    @property
    def rules(self) -> list[str]:
        """Rule names in display order."""
        return list(dict.fromkeys(p.rule for p in self.points))

    def metrics(self) -> dict[str, float]:
        """Headline numbers for MLflow."""
        out: dict[str, float] = {}
        keys = {MODEL_OWN: "model_own", self.model_at: "model_at_target", self.oracle_at: "oracle_at_target"}
        keys[MODEL_MI] = "model_mi_question"
        keys.update({name: name.split(" ")[0].lower() for name in BASELINES.values()})
        for p in self.points:
            out[f"{keys[p.rule]}.{p.group}.sensitivity"] = p.sensitivity.value
            out[f"{keys[p.rule]}.{p.group}.rule_out"] = p.rule_out.value
        for group, ratio in self.ratio.items():
            out[f"model_over_oracle.{group}.rule_out_ratio"] = ratio.value
        for group, ratio in (self.flag_ratio or {}).items():
            out[f"flag_over_oracle.{group}.rule_out_ratio"] = ratio.value
        for question, group, *_, sensitivity, _rule_out in self.guarantees:
            name = "mi_question" if question.startswith("mi (") else question
            out[f"independent.{name}.{metric_name(group)}.sensitivity"] = sensitivity.value
        return out


def metric_name(group: str) -> str:
    """A group name MLflow accepts as part of a metric name: ``female&<55`` -> ``female_and_lt55``."""
    for symbol, word in (("&", "_and_"), ("<=", "le"), (">=", "ge"), ("<", "lt"), (">", "gt")):
        group = group.replace(symbol, word)
    return group


def target_text(target: float) -> str:
    """A sensitivity target as a percentage: ``99%``, ``99.5%``."""
    return f"{target:.0%}" if round(target * 100, 6).is_integer() else f"{target:.1%}"


def _at_target(risk: np.ndarray, y: np.ndarray, target: float) -> tuple[float, float, float]:
    threshold = sensitivity_threshold(y, risk, target=target)
    flag = risk >= threshold
    return threshold, float(flag[y].mean()), float(1 - flag.mean())


def _curve(rule: str, group: str, risk: np.ndarray, y: np.ndarray) -> Curve:
    positives = np.sort(risk[y])[::-1]
    everyone = np.sort(risk)
    needed = np.maximum(1, np.ceil(CURVE_SENSITIVITIES * positives.size - 1e-9).astype(np.int64))
    thresholds = positives[needed - 1]
    rule_out = np.searchsorted(everyone, thresholds, side="left") / everyone.size
    return Curve(rule, group, needed / positives.size, rule_out)


def _estimate(metric: dict[str, float]) -> Estimate:
    return Estimate(float(metric["value"]), float(metric["ci_low"]), float(metric["ci_high"]))


def _reported(
    rule: str, group: str, threshold: float | None, n: int, n_mi: int, metrics: dict[str, dict[str, float]]
) -> OperatingPoint:
    """An operating point as training reported it (``flag_metrics``: sensitivity and rule-out with Wilson CIs)."""
    return OperatingPoint(
        rule, group, threshold, n, n_mi, _estimate(metrics["sensitivity"]), _estimate(metrics["rule_out_fraction"])
    )


def run_model_vs_scores(config: ModelVsScoresConfig, progress: Progress | None = None) -> ModelVsScoresResult:
    """Simulate, train, then compare every rule on the test split, overall and by sex.

    One cohort and one model make one point: ``engine: dask`` runs the whole study as a single task (on the
    cluster's memory and cores, no faster). Splitting the bootstrap would need its resamples drawn in a
    different order from one stream, which would change the numbers.
    """
    scenario = load_scenario_stack([config.scenario])
    cfg = config.train.load([f"split.seed={config.seed}"])
    args = (scenario, cfg, config.n, config.seed, config.target_sensitivity, config.n_boot)
    point = Point("study", compare_rules, args, config.n)
    (result,) = run_points(config, [point], progress=progress, description=f"simulating {scenario.name}")
    return result


def compare_rules(
    scenario: ScenarioConfig,
    cfg: TrainConfig,
    n: int,
    seed: int,
    target_sensitivity: float,
    n_boot: int,
    report: Report = SILENT,
) -> ModelVsScoresResult:
    """The whole study on one cohort (the only point): simulate, train with ``cfg``, compare on the test split."""
    frame = simulate(scenario, n, seed, report.advance)
    trained = train_on(frame, cfg, report.progress, f"training {cfg.name}")
    test = frame.iloc[trained.test_index].reset_index(drop=True)
    y = test["mi"].to_numpy()
    sex = test["sex"].to_numpy()
    masks = {"overall": np.ones(len(y), bool), "female": sex == "female", "male": sex == "male"}
    scores = {"model": trained.test_risk, "oracle": test["oracle_mi_probability"].to_numpy()}
    text = target_text(target_sensitivity)
    rule_of = {"model": MODEL_AT.format(target=text), "oracle": ORACLE_AT.format(target=text)}

    own = trained.model.thresholds
    points: list[OperatingPoint] = []
    curves: list[Curve] = []
    auroc: dict[tuple[str, str], Estimate] = {}
    for group, rows in masks.items():
        metrics = trained.metrics["test"][group]
        n_group, n_mi = int(rows.sum()), int(y[rows].sum())
        threshold = own.get(group, own["female"] if len(set(own.values())) == 1 else None)
        points.append(_reported(MODEL_OWN, group, threshold, n_group, n_mi, metrics))
        if "test_mi_question" in trained.metrics:  # issue 25: the MI question's own flag, without the MACE one
            points.append(_reported(MODEL_MI, group, None, n_group, n_mi, trained.metrics["test_mi_question"][group]))
        auroc[("model", group)] = _estimate(metrics["auroc"])
        auroc[("oracle", group)] = _estimate(metrics["oracle_auroc"])
        for name, label in BASELINES.items():
            points.append(_reported(label, group, None, n_group, n_mi, trained.baselines[name][group]))
        for score, risk in scores.items():
            curves.append(_curve(rule_of[score], group, risk[rows], y[rows]))

    generator = rng(seed, "model_vs_scores.bootstrap")
    advance = tracker(report.progress, "bootstrap of rule-out at target sensitivity", n_boot)
    replicates = {(score, group): [] for score in scores for group in masks}
    flag_ruled_out = ~trained.test_flag
    flag_replicates = {group: [] for group in masks}
    for _ in range(n_boot):
        index = generator.integers(0, len(y), len(y))
        for group, rows in masks.items():
            chosen = index[rows[index]]
            for score, risk in scores.items():
                replicates[(score, group)].append(_at_target(risk[chosen], y[chosen], target_sensitivity)[2])
            flag_replicates[group].append(float(flag_ruled_out[chosen].mean()))
        advance()

    ratio: dict[str, Estimate] = {}
    flag_ratio: dict[str, Estimate] = {}
    for group, rows in masks.items():
        point_rule_out = {}
        for score, risk in scores.items():
            threshold, sensitivity, rule_out = _at_target(risk[rows], y[rows], target_sensitivity)
            point_rule_out[score] = rule_out
            k = int(round(sensitivity * y[rows].sum()))
            points.append(
                OperatingPoint(
                    rule_of[score],
                    group,
                    threshold,
                    int(rows.sum()),
                    int(y[rows].sum()),
                    wilson(k, int(y[rows].sum())),
                    percentile(rule_out, np.array(replicates[(score, group)])),
                )
            )
        model_reps = np.array(replicates[("model", group)])
        oracle_reps = np.array(replicates[("oracle", group)])
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio_reps = model_reps / oracle_reps
        point = point_rule_out["model"] / point_rule_out["oracle"] if point_rule_out["oracle"] else math.nan
        ratio[group] = percentile(point, ratio_reps)
        with np.errstate(divide="ignore", invalid="ignore"):
            flag_reps = np.array(flag_replicates[group]) / oracle_reps
        flag_point = float(flag_ruled_out[rows].mean())
        flag_ratio[group] = percentile(
            flag_point / point_rule_out["oracle"] if point_rule_out["oracle"] else math.nan, flag_reps
        )

    independent_seed = seed + INDEPENDENT_SEED_OFFSET
    guarantees = independent_guarantees(trained, cfg, scenario, n, independent_seed, report)
    order = [MODEL_OWN, MODEL_MI, rule_of["model"], rule_of["oracle"], *BASELINES.values()]
    points.sort(key=lambda p: (order.index(p.rule), GROUPS.index(p.group)))
    return ModelVsScoresResult(
        n=n,
        seed=seed,
        n_test=len(y),
        target=target_sensitivity,
        model_thresholds=trained.model.thresholds,
        points=tuple(points),
        ratio=ratio,
        auroc=auroc,
        curves=tuple(curves),
        flag_ratio=flag_ratio,
        guarantees=guarantees,
        independent_seed=independent_seed,
        mace_target=cfg.mace.target_sensitivity if cfg.mace is not None else None,
    )


#: The independent cohort's seed is the study's plus this (never a training seed of the study).
INDEPENDENT_SEED_OFFSET = 1_000_003


def independent_guarantees(
    trained: object, cfg: TrainConfig, scenario: ScenarioConfig, n: int, seed: int, report: Report
) -> tuple[tuple[str, str, int, int, int, Estimate, Estimate], ...]:
    """The shipped flag's sensitivity per guaranteed group (MI) and per sex (30-day MACE) on a new cohort."""
    frame = simulate(scenario, n, seed, report.advance)
    model = trained.model  # type: ignore[attr-defined]
    features = model.validate(frame, source="independent cohort")
    predicted = model.predict_features(features, with_reasons=False)
    flag = predicted["flag"].to_numpy(bool)
    mi_flag = predicted["flag_reason"].str.contains("mi").to_numpy(bool)
    rows = []
    y_mi = frame["mi"].to_numpy(bool)
    # The guarantee is the MI question's own (its group thresholds); the shipped flag adds the 30-day question.
    questions = [
        ("mi (MI question's flag)", mi_flag, y_mi, cfg.threshold.groups),
        ("mi", flag, y_mi, cfg.threshold.groups),
    ]
    if model.mace is not None:
        questions.append(("mace_30d", flag, frame["mace_30d"].to_numpy(bool), ()))
    for question, flagged, y, kinds in questions:
        for row in guarantee_metrics(features, flagged, y, kinds):
            rows.append(
                (
                    question,
                    str(row["group"]),
                    int(row["n"]),
                    int(row["positives"]),
                    int(row["missed"]),
                    _estimate(row["sensitivity"]),
                    _estimate(row["rule_out_fraction"]),
                )
            )
    return tuple(rows)
