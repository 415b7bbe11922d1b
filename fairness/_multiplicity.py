"""Multiplicity: which of an audit's disparity comparisons may be flagged, controlling FDR or the FWER.

An audit makes dozens of comparisons (4 attributes x 6 metrics x each non-reference group: 54 by default).
Flagging every comparison whose unadjusted 95% interval clears the parity band flags at least one in about
half of audits of 20,000 rows with no real gap (issue 15). The adjusted p-values here are computed along the
last axis, ignoring ``nan`` (withheld comparisons are not part of the family), so a whole study of simulated
audits adjusts in one call.

The comparisons form two pre-specified families, each adjusted on its own (issue 27): the PRIMARY family is
the audit's question, missed MI (FNR) in every group against its reference (7 comparisons by default); every
other metric is SECONDARY. One rule over all ~50 comparisons left a 3x missed-MI gap between the sexes at
20,000 rows flagged in only 16% of audits; its own family of ~7 needs a much smaller p-value. Splitting a
family in advance (not after seeing the data) is the usual primary/secondary-endpoint practice of trials
(ICH E9, 1998); each family keeps its own false discovery rate (or family-wise rate under Holm).

Hand-written because the family differs per row (withheld comparisons drop out) and statsmodels is not a
dependency; both are tested against ``scipy.stats.false_discovery_control`` and a direct implementation of
Holm's definition.

References
----------
Benjamini Y, Hochberg Y. Controlling the false discovery rate: a practical and powerful approach to multiple
testing. J R Stat Soc B 1995;57:289-300.

Holm S. A simple sequentially rejective multiple test procedure. Scand J Stat 1979;6:65-70.
"""

from __future__ import annotations

from enum import StrEnum

import numpy as np

from chestpain.kernel.errors import TriageError


class Multiplicity(StrEnum):
    """How flags are protected against the number of comparisons."""

    bh = "bh"  # Benjamini-Hochberg: false discovery rate
    holm = "holm"  # Holm: family-wise error rate
    none = "none"  # every comparison at the unadjusted level (for studies; not recommended)


MULTIPLICITY_TITLES = {
    Multiplicity.bh: "Benjamini-Hochberg false discovery rate",
    Multiplicity.holm: "Holm family-wise error rate",
    Multiplicity.none: "no adjustment (each comparison at its own level)",
}
DEFAULT_MULTIPLICITY = Multiplicity.bh


class Family(StrEnum):
    """The pre-specified multiplicity family of a comparison."""

    primary = "primary"  # missed MI (FNR): the question the audit answers first
    secondary = "secondary"  # every other metric


#: Metrics whose comparisons form the primary family.
PRIMARY_METRICS = ("fnr",)
FAMILY_TITLES = {
    Family.primary: "primary family (missed MI: FNR comparisons)",
    Family.secondary: "secondary family (false alarms, PPV, NPV, selection rate, AUROC)",
}


def family_of(metric: str) -> Family:
    """The family a comparison of ``metric`` belongs to."""
    return Family.primary if metric in PRIMARY_METRICS else Family.secondary


BAD_MULTIPLICITY = "multiplicity must be one of {choices}, got {value!r}"


def check_multiplicity(value: object) -> Multiplicity:
    """The rule as a :class:`Multiplicity`, or a one-line error naming the choices."""
    try:
        return Multiplicity(str(value))
    except ValueError:
        choices = ", ".join(rule.value for rule in Multiplicity)
        raise TriageError(BAD_MULTIPLICITY.format(choices=choices, value=value)) from None


def adjust_p_values(p_values: np.ndarray, rule: Multiplicity | str) -> np.ndarray:
    """Adjusted p-values along the last axis; ``nan`` entries are outside the family and stay ``nan``.

    Benjamini-Hochberg: ``min_{k >= i} p_(k) m / k``; Holm: ``max_{j <= i} (m - j + 1) p_(j)``; both capped
    at 1, with ``m`` the number of non-``nan`` entries of that row.
    """
    rule = Multiplicity(rule)
    p = np.asarray(p_values, dtype=np.float64)
    if rule is Multiplicity.none or p.size == 0:
        return p.copy()
    order = np.argsort(np.where(np.isnan(p), np.inf, p), axis=-1, kind="stable")
    ordered = np.take_along_axis(p, order, axis=-1)
    present = ~np.isnan(ordered)
    m = present.sum(axis=-1, keepdims=True)
    rank = np.arange(1, p.shape[-1] + 1)
    if rule is Multiplicity.bh:
        scaled = np.where(present, ordered * m / rank, np.inf)
        adjusted = np.minimum.accumulate(scaled[..., ::-1], axis=-1)[..., ::-1]
    else:
        scaled = np.where(present, ordered * (m - rank + 1), -np.inf)
        adjusted = np.maximum.accumulate(scaled, axis=-1)
    adjusted = np.where(present, np.minimum(adjusted, 1.0), np.nan)
    result = np.empty_like(adjusted)
    np.put_along_axis(result, order, adjusted, axis=-1)
    return result
