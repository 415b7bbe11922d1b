"""Disparities against a reference group, and the equalized-odds difference, from shared resamples.

Ratios and differences are computed inside every resample, from the same draw for the group and its reference,
so their intervals account for both groups' uncertainty (the two groups are disjoint, so the draws are
independent in the limit, but nothing here relies on that).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from triage.errors import TriageError

from ._bootstrap import percentile_interval
from ._groups import OVERALL, GroupIndex
from ._results import Disparity, Estimate

# Metrics compared between groups. ECE is left out: a ratio of calibration errors has no clinical reading.
DISPARITY_METRICS = ("fnr", "fpr", "ppv", "npv", "selection_rate", "auroc")

UNKNOWN_REFERENCE_ATTRIBUTE = "reference given for {attribute!r}, which is not an audited attribute ({audited})"
UNKNOWN_REFERENCE_GROUP = "reference group {group!r} does not occur in attribute {attribute!r} (groups: {groups})"
UNKNOWN_METRIC = "cannot compare metric {metric!r}; choose from {choices}"


def choose_references(index: GroupIndex, sizes: np.ndarray, reference: Mapping[str, str] | None) -> dict[str, str]:
    """Reference group per attribute: the user's choice, else the largest group (ties: first in report order).

    The largest group has the narrowest interval, so ratios against it are the most stable.
    """
    reference = dict(reference or {})
    audited = [name for name in index.attributes if name != OVERALL]
    for attribute in reference:
        if attribute not in audited:
            raise TriageError(UNKNOWN_REFERENCE_ATTRIBUTE.format(attribute=attribute, audited=", ".join(audited)))
    chosen: dict[str, str] = {}
    for attribute in audited:
        positions = index.positions(attribute)
        names = [index.groups[i][1] for i in positions]
        if attribute in reference:
            if reference[attribute] not in names:
                raise TriageError(
                    UNKNOWN_REFERENCE_GROUP.format(
                        group=reference[attribute], attribute=attribute, groups=", ".join(names)
                    )
                )
            chosen[attribute] = reference[attribute]
        else:
            chosen[attribute] = names[int(np.argmax(sizes[positions]))]
    return chosen


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """``numerator / denominator`` with 0/0 undefined (nan) and x/0 infinite."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(
            denominator != 0,
            numerator / np.where(denominator != 0, denominator, 1.0),
            np.where(numerator > 0, np.inf, np.nan),
        )


def compute_disparities(
    index: GroupIndex,
    point: Mapping[str, np.ndarray],
    replicates: Mapping[str, np.ndarray],
    *,
    references: Mapping[str, str],
    reliable: np.ndarray,
    metrics: Sequence[str],
    band: tuple[float, float],
    confidence: float,
) -> tuple[Disparity, ...]:
    """Ratio and difference of every non-reference group to its reference, per metric.

    Parameters
    ----------
    point, replicates : mapping of metric name to array
        Point estimates of shape (n_groups,) and bootstrap replicates of shape (n_boot, n_groups).
    reliable : numpy.ndarray of bool, shape (n_groups,)
        A disparity is reliable only if both of its groups are.
    """
    for metric in metrics:
        if metric not in point:
            raise TriageError(UNKNOWN_METRIC.format(metric=metric, choices=", ".join(point)))
    low_band, high_band = band
    found: list[Disparity] = []
    for attribute, reference_name in references.items():
        positions = index.positions(attribute)
        ref = next(i for i in positions if index.groups[i][1] == reference_name)
        others = [i for i in positions if i != ref]
        if not others:
            continue
        for metric in metrics:
            ratio_point = _ratio(point[metric][others], point[metric][ref])
            diff_point = point[metric][others] - point[metric][ref]
            ratio_low, ratio_high = percentile_interval(
                _ratio(replicates[metric][:, others], replicates[metric][:, [ref]]), confidence
            )
            diff_low, diff_high = percentile_interval(
                replicates[metric][:, others] - replicates[metric][:, [ref]], confidence
            )
            for k, i in enumerate(others):
                flagged = bool(ratio_low[k] > high_band or ratio_high[k] < low_band)
                found.append(
                    Disparity(
                        attribute=attribute,
                        metric=metric,
                        reference=reference_name,
                        group=index.groups[i][1],
                        ratio=Estimate(float(ratio_point[k]), float(ratio_low[k]), float(ratio_high[k])),
                        difference=Estimate(float(diff_point[k]), float(diff_low[k]), float(diff_high[k])),
                        flagged=flagged,
                        reliable=bool(reliable[i] and reliable[ref]),
                    )
                )
    return tuple(found)


def _spread(values: np.ndarray) -> np.ndarray:
    """Largest minus smallest along the last axis, ignoring undefined groups; nan if fewer than two."""
    defined = ~np.isnan(values)
    high = np.where(defined, values, -np.inf).max(axis=-1)
    low = np.where(defined, values, np.inf).min(axis=-1)
    return np.where(defined.sum(axis=-1) >= 2, high - low, np.nan)


def equalized_odds_difference(fnr: np.ndarray, fpr: np.ndarray) -> np.ndarray:
    """Fairlearn's ``equalized_odds_difference`` (between groups, worst case) along the last axis.

    ``max(TPR spread, FPR spread)``; the TPR spread equals the FNR spread because ``TPR = 1 - FNR``.
    """
    return np.fmax(_spread(fnr), _spread(fpr))


def compute_equalized_odds(
    index: GroupIndex,
    point: Mapping[str, np.ndarray],
    replicates: Mapping[str, np.ndarray],
    confidence: float,
) -> dict[str, Estimate]:
    """Equalized-odds difference of every audited attribute, with its interval."""
    found: dict[str, Estimate] = {}
    for attribute in index.attributes:
        if attribute == OVERALL:
            continue
        positions = index.positions(attribute)
        value = equalized_odds_difference(point["fnr"][positions], point["fpr"][positions])
        low, high = percentile_interval(
            equalized_odds_difference(replicates["fnr"][:, positions], replicates["fpr"][:, positions]),
            confidence,
        )
        found[attribute] = Estimate(float(value), float(low), float(high))
    return found
