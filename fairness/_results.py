"""Result objects of an audit and their ``metrics.json`` form (the DESIGN.md contract, plus extra keys)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from triage.errors import TriageError

from ._metrics import GROUP_METRICS

UNKNOWN_GROUP = "no group {group!r} of attribute {attribute!r} in this audit"


def json_number(value: Any) -> float | None:
    """A float for JSON, with ``nan`` and ``inf`` (undefined) as ``null``: strict JSON has neither."""
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


@dataclass(frozen=True)
class Estimate:
    """A point estimate with its bootstrap percentile interval; ``nan`` means undefined."""

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
    """Every metric of one group, with its size; ``reliable`` is false below ``min_positives`` true MIs."""

    attribute: str
    group: str
    n: int
    n_positive: int
    reliable: bool
    metrics: Mapping[str, Estimate]
    calibration: tuple[CalibrationBin, ...] = ()

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
        data.update({name: estimate.to_dict() for name, estimate in self.metrics.items()})
        data["reliable"] = self.reliable
        data["calibration"] = [bin_.to_dict() for bin_ in self.calibration]
        return data


@dataclass(frozen=True)
class Disparity:
    """A group's metric against the reference group's, with intervals from the same resamples.

    ``flagged`` is true when the whole interval of the ratio lies outside the band: the data rule out parity
    within the band, not just fail to confirm it.
    """

    attribute: str
    metric: str
    reference: str
    group: str
    ratio: Estimate
    difference: Estimate
    flagged: bool
    reliable: bool

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
    """Everything ``triage audit`` reports; :meth:`to_dict` is the ``metrics.json`` document."""

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
        """Disparities whose ratio interval lies wholly outside the band."""
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
            "equalized_odds_difference": [
                {"attribute": attribute, **estimate.to_dict()} for attribute, estimate in self.equalized_odds.items()
            ],
            "calibration_edges": [json_number(edge) for edge in self.calibration_edges],
            "bootstrap": {
                "method": "percentile; multinomial resampling of (atom, label, flag, score-bin) cells",
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
