"""Result objects of an audit and their ``metrics.json`` form (the DESIGN.md contract, plus extra keys)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from chestpain.kernel.errors import TriageError

from ._calibration_error import ECE_METHOD
from ._intervals import difference_method_name, ratio_method_name
from ._metrics import CONFUSION_METRICS, GROUP_METRICS
from ._multiplicity import FAMILY_TITLES, MULTIPLICITY_TITLES, PRIMARY_METRICS, Family, Multiplicity

UNKNOWN_GROUP = "no group {group!r} of attribute {attribute!r} in this audit"
AUROC_METHOD = (
    "DeLong variance, Wald interval on the logit scale (DeLong 1988); none for fewer than 100 positives or "
    "negatives, where its coverage fell below 93%"
)


def json_number(value: Any) -> float | None:
    """A float for JSON, with ``nan`` and ``inf`` (undefined) as ``null``: strict JSON has neither."""
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


@dataclass(frozen=True)
class Estimate:
    """A point estimate with its interval (from counts or the bootstrap, see the audit); ``nan`` is undefined."""

    value: float
    ci_low: float
    ci_high: float

    def to_dict(self) -> dict[str, float | None]:
        """``{"value", "ci_low", "ci_high"}`` with undefined numbers as ``null``."""
        return {
            "value": json_number(self.value),
            "ci_low": json_number(self.ci_low),
            "ci_high": json_number(self.ci_high),
        }


@dataclass(frozen=True)
class CalibrationBin:
    """Observed event rate against mean predicted risk in one risk bin ``[low, high)``."""

    low: float
    high: float
    n: int
    n_positive: int
    predicted: float
    observed: Estimate

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "low": json_number(self.low),
            "high": json_number(self.high),
            "n": self.n,
            "n_positive": self.n_positive,
            "predicted": json_number(self.predicted),
            "observed": self.observed.to_dict(),
        }


@dataclass(frozen=True)
class GroupResult:
    """Every metric of one group, with its size; ``reliable`` is false below ``min_positives`` true MIs.

    ``counts`` holds ``(events, denominator)`` of each proportion and ``metric_reliable`` whether the group
    passes the expected-count rule for that metric (the rule that gates disparity flags). ``details`` adds keys
    to a metric's ``metrics.json`` entry (ECE: the plug-in value and the p-value of the calibration test).
    """

    attribute: str
    group: str
    n: int
    n_positive: int
    reliable: bool
    metrics: Mapping[str, Estimate]
    calibration: tuple[CalibrationBin, ...] = ()
    counts: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    metric_reliable: Mapping[str, bool] = field(default_factory=dict)
    interval_method: str = "wilson"
    details: Mapping[str, Mapping[str, float]] = field(default_factory=dict)

    def __getitem__(self, metric: str) -> Estimate:
        return self.metrics[metric]

    def to_dict(self) -> dict[str, Any]:
        """One entry of ``metrics.json``'s ``groups``."""
        data: dict[str, Any] = {
            "attribute": self.attribute,
            "group": self.group,
            "n": self.n,
            "n_positive": self.n_positive,
        }
        for name, estimate in self.metrics.items():
            entry: dict[str, Any] = estimate.to_dict()
            if name in self.counts:
                events, denominator = self.counts[name]
                entry.update(
                    method=self.interval_method,
                    events=int(round(events)),
                    denominator=int(round(denominator)),
                    reliable=bool(self.metric_reliable.get(name, False)),
                )
            elif name == "auroc":
                entry["method"] = AUROC_METHOD
            elif name == "ece":
                entry["method"] = ECE_METHOD
            entry.update({key: json_number(value) for key, value in self.details.get(name, {}).items()})
            data[name] = entry
        data["reliable"] = self.reliable
        data["calibration"] = [bin_.to_dict() for bin_ in self.calibration]
        return data


@dataclass(frozen=True)
class Disparity:
    """A group's metric against the reference group's, with intervals from the same resamples.

    ``flagged`` is true when the audit's multiplicity rule rejects parity within the band for this comparison
    (its p-value inverts "the ratio interval lies wholly outside the band"); ``flag_rule`` says which rule.
    ``withheld`` gives the reason a comparison was not tested (too few events, undefined ratio); the unadjusted
    intervals are kept either way. ``detectable_ratio`` is the smallest ratio this comparison would flag with
    80% power at its sizes (``nan``: none, or not computed for this metric). ``family`` is the pre-specified
    multiplicity family (``primary``: missed MI; ``secondary``: every other metric) it was adjusted within.
    """

    attribute: str
    metric: str
    reference: str
    group: str
    ratio: Estimate
    difference: Estimate
    flagged: bool
    reliable: bool
    p_value: float = float("nan")
    p_adjusted: float = float("nan")
    withheld: str | None = None
    flag_rule: str | None = None
    detectable_ratio: float = float("nan")
    interval: str = ""
    family: str = Family.secondary.value

    def to_dict(self) -> dict[str, Any]:
        """One entry of ``metrics.json``'s ``disparities``; ``ci_low``/``ci_high`` bound the ratio."""
        return {
            "attribute": self.attribute,
            "metric": self.metric,
            "reference": self.reference,
            "group": self.group,
            "ratio": json_number(self.ratio.value),
            "difference": json_number(self.difference.value),
            "ci_low": json_number(self.ratio.ci_low),
            "ci_high": json_number(self.ratio.ci_high),
            "flagged": self.flagged,
            "difference_ci_low": json_number(self.difference.ci_low),
            "difference_ci_high": json_number(self.difference.ci_high),
            "reliable": self.reliable,
            "interval": self.interval,
            "p_value": json_number(self.p_value),
            "p_adjusted": json_number(self.p_adjusted),
            "flag_rule": self.flag_rule,
            "withheld": self.withheld,
            "detectable_ratio": json_number(self.detectable_ratio),
            "family": self.family,
        }


@dataclass(frozen=True)
class EqualizedOddsPair:
    """TPR and FPR differences between two groups of one attribute (``group`` minus ``other``)."""

    attribute: str
    group: str
    other: str
    tpr_difference: Estimate
    fpr_difference: Estimate

    def to_dict(self) -> dict[str, Any]:
        """One entry of ``metrics.json``'s ``equalized_odds``."""
        return {
            "attribute": self.attribute,
            "group": self.group,
            "other": self.other,
            "tpr_difference": self.tpr_difference.to_dict(),
            "fpr_difference": self.fpr_difference.to_dict(),
        }


@dataclass(frozen=True)
class TradeoffCurves:
    """Sensitivity and rule-out fraction against the threshold, per group, with pointwise intervals.

    Arrays have shape (n_groups, n_thresholds) and stack ``(value, ci_low, ci_high)`` on a leading axis.
    A row is flagged when ``risk >= threshold``.
    """

    attribute: str
    groups: tuple[str, ...]
    thresholds: np.ndarray
    sensitivity: np.ndarray
    rule_out: np.ndarray


@dataclass(frozen=True)
class AuditResult:
    """Everything ``chestpain audit`` reports; :meth:`to_dict` is the ``metrics.json`` document."""

    label: str
    threshold: float | dict[str, float] | None
    n: int
    n_positive: int
    n_boot: int
    confidence: float
    seed: int
    band: tuple[float, float]
    min_positives: int
    references: Mapping[str, str]
    groups: tuple[GroupResult, ...]
    disparities: tuple[Disparity, ...]
    equalized_odds: Mapping[str, Estimate]
    calibration_edges: tuple[float, ...]
    score_bins: int
    curves: TradeoffCurves | None = field(default=None, compare=False)
    interval_method: str = "wilson"
    multiplicity: str = "bh"
    min_events: int = 10
    n_comparisons: int = 0
    family_sizes: Mapping[str, int] = field(default_factory=dict)
    equalized_odds_pairs: tuple[EqualizedOddsPair, ...] = ()
    source: str = ""

    def group(self, attribute: str, group: str) -> GroupResult:
        """The result for one group, e.g. ``result.group("sex&age_band", "female&<55")``."""
        for entry in self.groups:
            if entry.attribute == attribute and entry.group == group:
                return entry
        raise TriageError(UNKNOWN_GROUP.format(group=group, attribute=attribute))

    def disparity(self, attribute: str, group: str, metric: str) -> Disparity:
        """The disparity of ``group`` against its attribute's reference for ``metric``."""
        for entry in self.disparities:
            if (entry.attribute, entry.group, entry.metric) == (attribute, group, metric):
                return entry
        raise TriageError(UNKNOWN_GROUP.format(group=group, attribute=attribute))

    @property
    def attributes(self) -> tuple[str, ...]:
        """Audited attributes in report order, ``overall`` first."""
        return tuple(dict.fromkeys(entry.attribute for entry in self.groups))

    @property
    def flagged(self) -> tuple[Disparity, ...]:
        """Disparities flagged under the audit's multiplicity rule."""
        return tuple(entry for entry in self.disparities if entry.flagged)

    def to_dict(self) -> dict[str, Any]:
        """The ``metrics.json`` document: the DESIGN.md keys first, extra keys after them."""
        threshold: Any = self.threshold
        if isinstance(threshold, Mapping):
            threshold = {key: json_number(value) for key, value in threshold.items()}
        elif threshold is not None:
            threshold = json_number(threshold)
        return {
            "label": self.label,
            "threshold": threshold,
            "n": self.n,
            "n_boot": self.n_boot,
            "confidence": self.confidence,
            "groups": [entry.to_dict() for entry in self.groups],
            "disparities": [entry.to_dict() for entry in self.disparities],
            "n_positive": self.n_positive,
            "seed": self.seed,
            "band": list(self.band),
            "min_positives": self.min_positives,
            "references": dict(self.references),
            "source": self.source,
            "intervals": {
                "proportion": self.interval_method,
                "proportion_metrics": list(CONFUSION_METRICS),
                "difference": difference_method_name(self.interval_method),
                "ratio": ratio_method_name(self.interval_method),
                "bootstrap_metrics": ["ece (standard deviation)", "auroc ratio and difference", "threshold curves"],
                "auroc": AUROC_METHOD,
                "ece": ECE_METHOD,
                "calibration_observed": self.interval_method,
            },
            "reliability": {
                "rule": (
                    f"a group takes part in a comparison of a metric only if, at the whole cohort's rate of that "
                    f"metric, its denominator holds at least {self.min_events} expected events and "
                    f"{self.min_events} expected non-events (AUROC: {self.min_events} observed positives and "
                    "negatives); otherwise the comparison is withheld and its reason given"
                ),
                "min_events": self.min_events,
            },
            "multiplicity": {
                "method": self.multiplicity,
                "title": MULTIPLICITY_TITLES[Multiplicity(self.multiplicity)],
                "level": round(1.0 - self.confidence, 12),
                "family": (
                    "two pre-specified families, each adjusted on its own: primary = every tested missed-MI (FNR) "
                    "comparison, secondary = every other tested comparison (withheld comparisons are in neither)"
                ),
                "n_comparisons": self.n_comparisons,
                "families": {
                    family.value: {
                        "title": FAMILY_TITLES[family],
                        "metrics": list(PRIMARY_METRICS) if family is Family.primary else "all others",
                        "n_comparisons": int(self.family_sizes.get(family.value, 0)),
                    }
                    for family in Family
                },
                "p_value": (
                    "smallest level at which the comparison's ratio interval lies wholly outside the band "
                    "(interval inversion; AUROC: bootstrap share)"
                ),
            },
            "power": {
                "target": 0.8,
                "rule": (
                    "detectable_ratio: smallest ratio of the group's rate to the reference's that would be "
                    "flagged with 80% power at these group sizes and the reference's observed rate, normal "
                    "approximation on the log ratio, two-sided level (1 - confidence) / the number of tested "
                    "comparisons in its family (what a lone real gap must reach under Holm or "
                    "Benjamini-Hochberg); proportions only"
                ),
            },
            "equalized_odds_difference": [
                {"attribute": attribute, **estimate.to_dict(), "note": "fairlearn's maximum; point value only"}
                for attribute, estimate in self.equalized_odds.items()
            ],
            "equalized_odds": [pair.to_dict() for pair in self.equalized_odds_pairs],
            "calibration_edges": [json_number(edge) for edge in self.calibration_edges],
            "bootstrap": {
                "method": (
                    "multinomial resampling of (atom, label, flag, score-bin) cells; percentile intervals, except "
                    "ECE, which takes the resamples' standard deviation"
                ),
                "used_for": "ece, auroc disparities, threshold curves",
                "score_bins": self.score_bins,
            },
        }

    def groups_frame(self) -> pd.DataFrame:
        """One row per group: size, positives, reliability and every metric with its interval."""
        rows = []
        for entry in self.groups:
            row: dict[str, Any] = {
                "attribute": entry.attribute,
                "group": entry.group,
                "n": entry.n,
                "n_positive": entry.n_positive,
                "reliable": entry.reliable,
            }
            for name in GROUP_METRICS:
                estimate = entry.metrics[name]
                row[name] = estimate.value
                row[f"{name}_ci_low"] = estimate.ci_low
                row[f"{name}_ci_high"] = estimate.ci_high
            rows.append(row)
        return pd.DataFrame(rows)

    def disparities_frame(self) -> pd.DataFrame:
        """One row per disparity."""
        return pd.DataFrame([entry.to_dict() for entry in self.disparities])
