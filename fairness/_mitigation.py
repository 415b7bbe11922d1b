"""What a mitigation would cost: threshold policies chosen on a calibration split, compared on a test split.

Policies (all flag ``risk >= threshold`` except fairlearn's, which is randomised):

``global``
    One threshold for everyone: the model's own, or the largest one reaching the target sensitivity overall.
``per_group_sensitivity``
    One threshold per group (per sex by default), each the largest reaching the target sensitivity in its
    group.
``threshold_optimizer``
    fairlearn ``ThresholdOptimizer`` under equalized odds on the fixed risk score (Hardt, Price and Srebro,
    "Equality of opportunity in supervised learning", NeurIPS 2016).
``cost_global`` / ``cost_per_group``
    The threshold minimising ``missed_mi_cost * FN + FP`` on the calibration split, overall or per group.
    fairlearn has no such objective; it states the clinical trade-off directly ("one missed MI is worth
    ``missed_mi_cost`` false alarms").

Thresholds are fixed after the calibration split; intervals come from a multinomial bootstrap of the test
split only, so they do not include the uncertainty of choosing the thresholds.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from fairlearn.postprocessing import ThresholdOptimizer
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted

from chestpain.kernel.errors import TriageError
from chestpain.kernel.seeding import named_stream

from ._bootstrap import collapse, multinomial_resamples, percentile_interval
from ._groups import ALL_GROUP
from ._metrics import safe_divide
from ._results import Estimate, json_number
from ._validation import as_binary, as_risk, check_confidence, check_n_boot

# DESIGN.md / issue: a rule-out policy should miss at most 1% of MIs (99% sensitivity), the usual safety
# target of ED rule-out pathways (e.g. Than et al., Int J Cardiol 2013, 166:752-4: emergency physicians accept
# a miss rate below about 1%).
TARGET_SENSITIVITY = 0.99
OPTION_METRICS = ("fnr", "fpr", "rule_out", "false_alarms_per_1000", "missed_per_1000")
OPTION_TITLES = {
    "global": "One global threshold",
    "per_group_sensitivity": "Per-group thresholds at target sensitivity",
    "threshold_optimizer": "fairlearn ThresholdOptimizer (equalized odds)",
    "cost_global": "Cost-weighted threshold (global)",
    "cost_per_group": "Cost-weighted thresholds (per group)",
}

NO_POSITIVES = "cannot choose a threshold for {where}: the calibration split has no true positives there"
BAD_TARGET = "target_sensitivity must lie in (0, 1], got {value!r}"
BAD_COST = "missed_mi_cost must be a positive number of false alarms, got {value!r}"
UNSEEN_GROUP = "test-split group {group!r} of {attribute!r} does not occur in the calibration split"
FEWER_THAN_TWO_GROUPS = "ThresholdOptimizer needs at least two groups of {attribute!r} with both labels"


def sensitivity_threshold(y_true: Any, risk: Any, *, target: float = TARGET_SENSITIVITY, where: str = "all") -> float:
    """Largest threshold whose flags (``risk >= threshold``) catch at least ``target`` of the positives.

    The largest such threshold rules out the most patients at the required sensitivity.

    Examples
    --------
    >>> sensitivity_threshold([1, 1, 1, 1, 0], [0.9, 0.8, 0.3, 0.1, 0.05], target=0.75)
    0.3
    """
    y = as_binary(y_true, "y_true")
    score = as_risk(risk, expected=len(y))
    if not 0.0 < target <= 1.0:
        raise TriageError(BAD_TARGET.format(value=target))
    positives = np.sort(score[y])[::-1]
    if positives.size == 0:
        raise TriageError(NO_POSITIVES.format(where=where))
    needed = max(1, math.ceil(target * positives.size - 1e-9))
    return float(positives[needed - 1])


def cost_threshold(y_true: Any, risk: Any, *, missed_mi_cost: float, where: str = "all") -> float:
    """Threshold minimising ``missed_mi_cost * FN + FP`` (``inf``: flag nobody); ties go to the larger one.

    With ties broken towards the larger threshold the choice can only fall (or stay) as ``missed_mi_cost``
    grows: if a lower threshold ``t1`` beat a higher ``t2`` at a smaller cost, ``t2`` cannot win at a larger
    one, because it misses at least as many MIs.

    Examples
    --------
    >>> cost_threshold([1, 0, 0, 1, 0], [0.9, 0.8, 0.3, 0.2, 0.1], missed_mi_cost=1.5)
    0.9
    >>> cost_threshold([1, 0, 0, 1, 0], [0.9, 0.8, 0.3, 0.2, 0.1], missed_mi_cost=5.0)
    0.2
    """
    y = as_binary(y_true, "y_true")
    score = as_risk(risk, expected=len(y))
    if isinstance(missed_mi_cost, bool) or not (
        isinstance(missed_mi_cost, int | float) and math.isfinite(missed_mi_cost) and missed_mi_cost > 0
    ):
        raise TriageError(BAD_COST.format(value=missed_mi_cost))
    n_pos = int(np.count_nonzero(y))
    if n_pos == 0:
        raise TriageError(NO_POSITIVES.format(where=where))
    order = np.argsort(-score, kind="stable")
    ranked, labels = score[order], y[order]
    true_pos = np.cumsum(labels)
    false_pos = np.cumsum(~labels)
    # Flagging "risk >= v" flags every row up to the last one tied at v.
    last_of_run = np.flatnonzero(np.append(ranked[1:] != ranked[:-1], True))
    costs = np.concatenate(
        [[missed_mi_cost * n_pos], missed_mi_cost * (n_pos - true_pos[last_of_run]) + false_pos[last_of_run]]
    )
    best = int(np.argmin(costs))
    return math.inf if best == 0 else float(ranked[last_of_run[best - 1]])


class FixedRiskClassifier(ClassifierMixin, BaseEstimator):
    """A "model" whose ``predict_proba`` returns the given risk, for ``ThresholdOptimizer(prefit=True)``.

    It lets fairlearn post-process a score that already exists (a saved model's predictions) without the
    model. ``X`` must have exactly one column: the predicted risk.
    """

    def fit(self, X: Any, y: Any) -> FixedRiskClassifier:
        """Record the classes; there is nothing to learn."""
        self.classes_ = np.array([0, 1])
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        """``[[1 - risk, risk], ...]``."""
        check_is_fitted(self)
        risk = np.asarray(X, dtype=np.float64).reshape(len(X), -1)[:, 0]
        return np.column_stack([1.0 - risk, risk])

    def predict(self, X: Any) -> np.ndarray:
        """Flag at 0.5; unused by ThresholdOptimizer, present for the classifier API."""
        return (self.predict_proba(X)[:, 1] >= 0.5).astype(int)


def _as_frame(risk: np.ndarray) -> pd.DataFrame:
    # float64, always: fairlearn 0.15 writes float64 probabilities into a frame built from X and crashes under
    # pandas 3 when X is float32 ("Invalid value ... for dtype 'float32'").
    return pd.DataFrame({"risk": np.asarray(risk, dtype=np.float64)})


def threshold_optimizer_flags(
    y_cal: Any,
    risk_cal: Any,
    risk_test: Any,
    *,
    sensitive_features_cal: Any,
    sensitive_features_test: Any,
    objective: str = "balanced_accuracy_score",
    random_state: int = 0,
) -> tuple[np.ndarray, np.ndarray, str]:
    """Fit ``ThresholdOptimizer`` (equalized odds) on the calibration split; flags on both splits, summary.

    Returns the (randomised) flags of the calibration and test rows and a plain-text summary of the fitted
    per-group rule. ``random_state`` seeds the randomised predictions (the test split uses ``random_state + 1``).
    """
    y_cal = as_binary(y_cal, "y_cal")
    risk_cal = as_risk(risk_cal, "risk_cal", expected=len(y_cal))
    risk_test = as_risk(risk_test, "risk_test")
    groups_cal = np.asarray(sensitive_features_cal).astype(str)
    groups_test = np.asarray(sensitive_features_test).astype(str)
    x_cal = _as_frame(risk_cal)
    estimator = FixedRiskClassifier().fit(x_cal, y_cal.astype(int))
    optimizer = ThresholdOptimizer(
        estimator=estimator,
        constraints="equalized_odds",
        objective=objective,
        prefit=True,
        predict_method="predict_proba",
    )
    try:
        optimizer.fit(x_cal, y_cal.astype(int), sensitive_features=groups_cal)
    except ValueError as error:
        raise TriageError(f"ThresholdOptimizer failed on the calibration split: {error}") from None
    flags_cal = optimizer.predict(x_cal, sensitive_features=groups_cal, random_state=random_state).astype(bool)
    flags_test = optimizer.predict(
        _as_frame(risk_test), sensitive_features=groups_test, random_state=random_state + 1
    ).astype(bool)
    parts = []
    for group, rule in optimizer.interpolated_thresholder_.interpolation_dict.items():
        mixture = " or ".join(
            f"risk {rule[f'operation{k}'].operator} {rule[f'operation{k}'].threshold:.4g} with p={rule[f'p{k}']:.3f}"
            for k in (0, 1)
            if rule[f"p{k}"] > 0
        )
        ignore = float(rule.get("p_ignore", 0.0))
        if ignore > 0:
            mixture += f"; a random {ignore:.1%} get flag probability {float(rule['prediction_constant']):.3f}"
        parts.append(f"{group}: {mixture}")
    return flags_cal, flags_test, "randomised: " + "; ".join(parts)


@dataclass(frozen=True)
class OptionGroup:
    """One policy's outcome in one group of the test split."""

    group: str
    n: int
    n_positive: int
    metrics: Mapping[str, Estimate]

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "group": self.group,
            "n": self.n,
            "n_positive": self.n_positive,
            **{name: estimate.to_dict() for name, estimate in self.metrics.items()},
        }


@dataclass(frozen=True)
class MitigationOption:
    """A threshold policy: its thresholds, its calibration-split sensitivity and its test-split outcome."""

    name: str
    title: str
    description: str
    thresholds: Mapping[str, float]
    calibration_sensitivity: Mapping[str, float]
    groups: tuple[OptionGroup, ...]

    def group(self, name: str) -> OptionGroup:
        """Outcome in group ``name`` (``'all'`` for the whole test split)."""
        return next(entry for entry in self.groups if entry.group == name)

    def to_dict(self) -> dict[str, Any]:
        """JSON form; an infinite threshold (flag nobody) is ``null``."""
        return {
            "name": self.name,
            "title": self.title,
            "description": self.description,
            "thresholds": {key: json_number(value) for key, value in self.thresholds.items()},
            "calibration_sensitivity": {key: json_number(v) for key, v in self.calibration_sensitivity.items()},
            "groups": [entry.to_dict() for entry in self.groups],
        }


@dataclass(frozen=True)
class MitigationComparison:
    """Every policy side by side, by group, on the same test split."""

    attribute: str
    target_sensitivity: float
    missed_mi_cost: float
    objective: str
    n_calibration: int
    n_test: int
    n_boot: int
    confidence: float
    seed: int
    options: tuple[MitigationOption, ...]

    def option(self, name: str) -> MitigationOption:
        """The policy called ``name``."""
        return next(entry for entry in self.options if entry.name == name)

    def to_dict(self) -> dict[str, Any]:
        """JSON form (stored under ``mitigation`` in ``metrics.json``)."""
        return {
            "attribute": self.attribute,
            "target_sensitivity": self.target_sensitivity,
            "missed_mi_cost": self.missed_mi_cost,
            "threshold_optimizer_objective": self.objective,
            "n_calibration": self.n_calibration,
            "n_test": self.n_test,
            "n_boot": self.n_boot,
            "confidence": self.confidence,
            "seed": self.seed,
            "options": [option.to_dict() for option in self.options],
        }

    def to_frame(self) -> pd.DataFrame:
        """One row per policy and group, with every metric and its interval."""
        rows = []
        for option in self.options:
            for entry in option.groups:
                row: dict[str, Any] = {"option": option.name, "group": entry.group, "n": entry.n}
                row["n_positive"] = entry.n_positive
                for name, estimate in entry.metrics.items():
                    row[name] = estimate.value
                    row[f"{name}_ci_low"] = estimate.ci_low
                    row[f"{name}_ci_high"] = estimate.ci_high
                rows.append(row)
        return pd.DataFrame(rows)


def _sensitivity(y: np.ndarray, flags: np.ndarray, groups: np.ndarray, names: list[str]) -> dict[str, float]:
    found = {ALL_GROUP: float(flags[y].mean()) if y.any() else math.nan}
    for name in names:
        caught = flags[y & (groups == name)]
        found[name] = float(caught.mean()) if caught.size else math.nan
    return found


def _threshold_flags(risk: np.ndarray, groups: np.ndarray, thresholds: Mapping[str, float]) -> np.ndarray:
    if ALL_GROUP in thresholds:
        return risk >= thresholds[ALL_GROUP]
    flags = np.zeros(len(risk), dtype=bool)
    for name, value in thresholds.items():
        rows = groups == name
        flags[rows] = risk[rows] >= value
    return flags


def _bootstrap_options(
    y: np.ndarray,
    groups: np.ndarray,
    names: list[str],
    flags: np.ndarray,
    n_boot: int,
    confidence: float,
    seed: int,
) -> list[list[OptionGroup]]:
    """Per policy and group (``all`` first): FNR, FPR, rule-out and per-1000 counts, with intervals."""
    group_code = np.searchsorted(np.array(names), groups)  # names are sorted
    n_options = flags.shape[1]
    option_bits = flags.astype(np.int64) @ (1 << np.arange(n_options))
    cells = collapse([group_code, y, option_bits], [len(names), 2, 1 << n_options])
    cell_group, cell_label, cell_bits = cells.keys.T
    cell_flags = (cell_bits[:, None] >> np.arange(n_options)) & 1
    # indicator[cell, option, group(+all), label, flag]
    n_slots = len(names) + 1
    indicator = np.zeros((len(cells.counts), n_options, n_slots, 2, 2))
    for option in range(n_options):
        rows = np.arange(len(cells.counts))
        indicator[rows, option, 0, cell_label, cell_flags[:, option]] = 1.0
        indicator[rows, option, cell_group + 1, cell_label, cell_flags[:, option]] = 1.0
    indicator = indicator.reshape(len(cells.counts), -1)

    def summarise(weights: np.ndarray) -> dict[str, np.ndarray]:
        counts = (weights @ indicator).reshape(len(weights), n_options, n_slots, 2, 2)
        tn, fp, fn, tp = counts[..., 0, 0], counts[..., 0, 1], counts[..., 1, 0], counts[..., 1, 1]
        n = tn + fp + fn + tp
        return {
            "fnr": safe_divide(fn, fn + tp),
            "fpr": safe_divide(fp, fp + tn),
            "rule_out": safe_divide(tn + fn, n),
            "false_alarms_per_1000": 1000.0 * safe_divide(fp, n),
            "missed_per_1000": 1000.0 * safe_divide(fn, n),
            "n": n,
            "n_positive": fn + tp,
        }

    point = summarise(cells.counts[np.newaxis].astype(np.float64))
    rng = named_stream(seed, "fairness.mitigation.bootstrap")
    chunks = [summarise(weights) for weights in multinomial_resamples(cells.counts, n_boot, rng)]
    results = []
    for option in range(n_options):
        option_groups = []
        for slot, name in enumerate([ALL_GROUP, *names]):
            metrics = {}
            for metric in OPTION_METRICS:
                replicates = np.concatenate([chunk[metric][:, option, slot] for chunk in chunks])
                low, high = percentile_interval(replicates, confidence)
                metrics[metric] = Estimate(float(point[metric][0, option, slot]), float(low), float(high))
            option_groups.append(
                OptionGroup(
                    group=name,
                    n=int(round(point["n"][0, option, slot])),
                    n_positive=int(round(point["n_positive"][0, option, slot])),
                    metrics=metrics,
                )
            )
        results.append(option_groups)
    return results


def compare_mitigations(
    y_cal: Any,
    risk_cal: Any,
    y_test: Any,
    risk_test: Any,
    *,
    sensitive_features_cal: Any,
    sensitive_features_test: Any,
    missed_mi_cost: float,
    threshold: float | None = None,
    attribute: str = "sex",
    target_sensitivity: float = TARGET_SENSITIVITY,
    objective: str = "balanced_accuracy_score",
    n_boot: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> MitigationComparison:
    """Choose each threshold policy on the calibration split and compare them by group on the test split.

    Parameters
    ----------
    y_cal, risk_cal : array-like
        Labels and predicted risks of the calibration split (thresholds are chosen here).
    y_test, risk_test : array-like
        Labels and predicted risks of the test split (policies are compared here).
    sensitive_features_cal, sensitive_features_test : array-like
        Group of every row (e.g. sex) in each split.
    missed_mi_cost : float
        How many false alarms one missed MI is worth, for the cost-weighted policies. No default: it is a
        value judgement the auditor has to state.
    threshold : float, optional
        The model's current global threshold; default: the largest reaching ``target_sensitivity`` overall on
        the calibration split.
    attribute : str, default="sex"
        Name of the grouping, for the report.
    target_sensitivity : float, default=0.99
        Sensitivity the global and per-group thresholds must reach on the calibration split.
    objective : str, default="balanced_accuracy_score"
        ThresholdOptimizer objective. Accuracy, its other option, would flag almost nobody at a 10%
        prevalence.
    n_boot, confidence, seed
        Bootstrap of the test split, as for :func:`audit_predictions`.

    Returns
    -------
    MitigationComparison
        FNR, FPR, rule-out fraction (share not flagged), false alarms and missed MIs per 1000 patients, by
        group and overall, with intervals, for each policy.
    """
    y_c = as_binary(y_cal, "y_cal")
    r_c = as_risk(risk_cal, "risk_cal", expected=len(y_c))
    y_t = as_binary(y_test, "y_test")
    r_t = as_risk(risk_test, "risk_test", expected=len(y_t))
    g_c = np.asarray(sensitive_features_cal).astype(str)
    g_t = np.asarray(sensitive_features_test).astype(str)
    if len(g_c) != len(y_c) or len(g_t) != len(y_t):
        raise TriageError(
            f"sensitive features have {len(g_c)} / {len(g_t)} rows; the splits have {len(y_c)} / {len(y_t)}"
        )
    if not 0.0 < target_sensitivity <= 1.0:
        raise TriageError(BAD_TARGET.format(value=target_sensitivity))
    n_boot = check_n_boot(n_boot)
    confidence = check_confidence(confidence)
    names = sorted(set(g_c.tolist()))
    for group in sorted(set(g_t.tolist()) - set(names)):
        raise TriageError(UNSEEN_GROUP.format(group=group, attribute=attribute))

    policies: list[tuple[str, str, dict[str, float]]] = []
    if threshold is None:
        global_t = sensitivity_threshold(y_c, r_c, target=target_sensitivity)
        how = f"largest threshold reaching {target_sensitivity:.0%} sensitivity overall (calibration split)"
    else:
        global_t = float(threshold)
        how = "the model's operating threshold"
    policies.append(("global", how, {ALL_GROUP: global_t}))
    policies.append(
        (
            "per_group_sensitivity",
            f"per {attribute}: largest threshold reaching {target_sensitivity:.0%} sensitivity in the group",
            {
                name: sensitivity_threshold(
                    y_c[g_c == name], r_c[g_c == name], target=target_sensitivity, where=f"{attribute}={name}"
                )
                for name in names
            },
        )
    )
    policies.append(
        (
            "cost_global",
            f"minimises {missed_mi_cost:g} x missed MI + false alarms on the calibration split",
            {ALL_GROUP: cost_threshold(y_c, r_c, missed_mi_cost=missed_mi_cost)},
        )
    )
    policies.append(
        (
            "cost_per_group",
            f"per {attribute}: minimises {missed_mi_cost:g} x missed MI + false alarms",
            {
                name: cost_threshold(
                    y_c[g_c == name],
                    r_c[g_c == name],
                    missed_mi_cost=missed_mi_cost,
                    where=f"{attribute}={name}",
                )
                for name in names
            },
        )
    )
    if len(names) < 2:
        raise TriageError(FEWER_THAN_TWO_GROUPS.format(attribute=attribute))
    optimizer_seed = int(named_stream(seed, "fairness.mitigation.threshold_optimizer").integers(2**31 - 1))
    to_cal, to_test, to_description = threshold_optimizer_flags(
        y_c,
        r_c,
        r_t,
        sensitive_features_cal=g_c,
        sensitive_features_test=g_t,
        objective=objective,
        random_state=optimizer_seed,
    )

    order = ["global", "per_group_sensitivity", "threshold_optimizer", "cost_global", "cost_per_group"]
    described = {name: (how, thresholds) for name, how, thresholds in policies}
    described["threshold_optimizer"] = (f"objective {objective}; {to_description}", {})
    flags_cal = {
        name: _threshold_flags(r_c, g_c, thresholds) for name, (_, thresholds) in described.items() if thresholds
    }
    flags_test = {
        name: _threshold_flags(r_t, g_t, thresholds) for name, (_, thresholds) in described.items() if thresholds
    }
    flags_cal["threshold_optimizer"], flags_test["threshold_optimizer"] = to_cal, to_test

    outcomes = _bootstrap_options(
        y_t, g_t, names, np.column_stack([flags_test[name] for name in order]), n_boot, confidence, seed
    )
    options = tuple(
        MitigationOption(
            name=name,
            title=OPTION_TITLES[name],
            description=described[name][0],
            thresholds=described[name][1],
            calibration_sensitivity=_sensitivity(y_c, flags_cal[name], g_c, names),
            groups=tuple(outcome),
        )
        for name, outcome in zip(order, outcomes, strict=True)
    )
    return MitigationComparison(
        attribute=attribute,
        target_sensitivity=float(target_sensitivity),
        missed_mi_cost=float(missed_mi_cost),
        objective=objective,
        n_calibration=len(y_c),
        n_test=len(y_t),
        n_boot=n_boot,
        confidence=confidence,
        seed=seed,
        options=options,
    )
