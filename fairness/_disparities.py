"""Disparities against a reference group, which of them are flagged, and pairwise equalized-odds gaps.

Order of work in :func:`compute_disparities`:
proportions (FNR, FPR, PPV, NPV, selection rate) from each group's confusion counts -> Newcombe difference and
MOVER-R ratio intervals -> reliability of each group for each metric (expected-count rule) -> AUROC from the
bootstrap (it has no closed form) -> one p-value per comparison by inverting its interval against the parity
band -> the multiplicity rule within each pre-specified family (primary: missed MI; secondary: the rest) ->
flags, each with the rule that made it, or the reason it was withheld -> the smallest ratio each comparison
could detect (at its own family's level).

The counts-level core (:func:`compare_proportions`, :func:`decide_flags`) is vectorised over leading axes, so a
coverage or null study of thousands of simulated audits runs the exact code the audit runs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from chestpain.kernel.errors import TriageError

from ._bootstrap import percentile_interval
from ._groups import OVERALL, GroupIndex
from ._intervals import (
    IntervalMethod,
    band_p_value,
    detectable_ratio,
    difference_interval,
    ratio_interval,
    ratio_method_name,
)
from ._metrics import CONFUSION_METRICS
from ._multiplicity import FAMILY_TITLES, MULTIPLICITY_TITLES, Family, Multiplicity, adjust_p_values, family_of
from ._results import Disparity, EqualizedOddsPair, Estimate

# Metrics compared between groups. ECE is left out: a ratio of calibration errors has no clinical reading.
DISPARITY_METRICS = ("fnr", "fpr", "ppv", "npv", "selection_rate", "auroc")
# Reliability: a group takes part in a comparison of a metric only if, at the whole cohort's rate of that
# metric, its denominator would hold at least this many events and this many non-events. The expected count
# (not the observed one) keeps the rule from selecting on the outcome: with an observed-count rule a group
# whose FNR is low by chance would be withheld more often than one whose FNR is high by chance. Ten events is
# the usual floor for a normal approximation on the log scale (the power formula below) and matches the
# events-per-comparison rule of thumb; intervals themselves stay valid below it.
MIN_EVENTS = 10
POWER = 0.8

# Words for each proportion: (events, denominator).
EVENT_WORDS = {
    "fnr": ("missed MI", "MI"),
    "fpr": ("false alarms", "patients without MI"),
    "ppv": ("true MI", "flagged patients"),
    "npv": ("patients without MI", "unflagged patients"),
    "selection_rate": ("flags", "patients"),
    "auroc": ("MI", "patients without MI"),
}

UNKNOWN_REFERENCE_ATTRIBUTE = "reference given for {attribute!r}, which is not an audited attribute ({audited})"
UNKNOWN_REFERENCE_GROUP = "reference group {group!r} does not occur in attribute {attribute!r} (groups: {groups})"
UNKNOWN_METRIC = "cannot compare metric {metric!r}; choose from {choices}"
BAD_MIN_EVENTS = "min_events must be a non-negative integer, got {value!r}"


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


def proportion_counts(confusion: np.ndarray) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """``(events, denominator)`` of every confusion metric from counts indexed ``[..., label, flag]``."""
    tn, fp = confusion[..., 0, 0], confusion[..., 0, 1]
    fn, tp = confusion[..., 1, 0], confusion[..., 1, 1]
    return {
        "fnr": (fn, fn + tp),
        "fpr": (fp, fp + tn),
        "ppv": (tp, tp + fp),
        "npv": (tn, tn + fn),
        "selection_rate": (tp + fp, tn + fp + fn + tp),
    }


def expected_reliable(
    events: np.ndarray, trials: np.ndarray, overall: int, min_events: int
) -> tuple[np.ndarray, np.ndarray]:
    """Expected events per group at the cohort's rate (``events[..., overall] / trials[..., overall]``).

    Returns the expected events and whether both they and the expected non-events reach ``min_events``.
    """
    total_events, total_trials = events[..., [overall]], trials[..., [overall]]
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(total_trials > 0, total_events / np.where(total_trials > 0, total_trials, 1.0), 0.0)
    expected = trials * rate
    return expected, (expected >= min_events) & (trials - expected >= min_events)


@dataclass(frozen=True)
class ProportionComparisons:
    """Every (group, reference) comparison of one metric; arrays have shape (..., n_pairs)."""

    ratio: np.ndarray
    ratio_low: np.ndarray
    ratio_high: np.ndarray
    difference: np.ndarray
    difference_low: np.ndarray
    difference_high: np.ndarray
    p_value: np.ndarray
    group_reliable: np.ndarray
    reference_reliable: np.ndarray
    group_expected: np.ndarray
    reference_expected: np.ndarray
    ref_rate: np.ndarray
    group_trials: np.ndarray
    reference_trials: np.ndarray

    @property
    def tested(self) -> np.ndarray:
        """Comparisons in the multiplicity family: both groups reliable and the ratio defined."""
        return self.group_reliable & self.reference_reliable & ~np.isnan(self.p_value)


def compare_proportions(
    confusion: np.ndarray,
    pairs: np.ndarray,
    *,
    metric: str,
    overall: int = 0,
    band: tuple[float, float],
    confidence: float,
    method: IntervalMethod | str,
    min_events: int = MIN_EVENTS,
) -> ProportionComparisons:
    """Ratio and difference of one proportion for each ``pairs[k] = (group, reference)``, from counts.

    Parameters
    ----------
    confusion : numpy.ndarray, shape (..., n_groups, 2, 2)
        Confusion counts ``[..., group, label, flag]``; leading axes (simulated audits) are kept.
    pairs : numpy.ndarray of int, shape (n_pairs, 2)
    overall : int, default=0
        Position of the whole cohort, whose rate sets the expected counts of the reliability rule.
    """
    events, trials = proportion_counts(np.asarray(confusion, dtype=np.float64))[metric]
    expected, reliable = expected_reliable(events, trials, overall, min_events)
    group, ref = pairs[:, 0], pairs[:, 1]
    alpha = 1.0 - confidence
    x1, n1, x0, n0 = events[..., group], trials[..., group], events[..., ref], trials[..., ref]
    ratio, ratio_low, ratio_high = ratio_interval(x1, n1, x0, n0, alpha, method)
    difference, difference_low, difference_high = difference_interval(x1, n1, x0, n0, alpha, method)
    with np.errstate(divide="ignore", invalid="ignore"):
        ref_rate = np.where(n0 > 0, x0 / np.where(n0 > 0, n0, 1.0), np.nan)
    return ProportionComparisons(
        ratio=ratio,
        ratio_low=ratio_low,
        ratio_high=ratio_high,
        difference=difference,
        difference_low=difference_low,
        difference_high=difference_high,
        p_value=band_p_value(x1, n1, x0, n0, band, method),
        group_reliable=reliable[..., group],
        reference_reliable=reliable[..., ref],
        group_expected=expected[..., group],
        reference_expected=expected[..., ref],
        ref_rate=ref_rate,
        group_trials=n1,
        reference_trials=n0,
    )


def decide_flags(
    p_values: np.ndarray,
    tested: np.ndarray,
    *,
    rule: Multiplicity | str,
    confidence: float,
    families: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Adjusted p-values over the ``tested`` comparisons (last axis) and the resulting flags.

    ``families`` labels each comparison (last axis) with its family; each family is adjusted on its own
    (``None``: one family). A comparison is flagged when its adjusted p-value is at most ``1 - confidence``;
    since the p-value inverts the interval-outside-the-band rule, every flagged comparison's unadjusted interval
    also clears the band.
    """
    p_values = np.asarray(p_values, dtype=np.float64)
    labels = np.zeros(p_values.shape[-1], dtype=object) if families is None else np.asarray(families, dtype=object)
    adjusted = np.full(p_values.shape, np.nan)
    for label in dict.fromkeys(labels.tolist()):
        member = labels == label
        in_family = np.where(tested & member, p_values, np.nan)
        adjusted = np.where(member, adjust_p_values(in_family, rule), adjusted)
    return adjusted, tested & (adjusted <= 1.0 - confidence)


def _bootstrap_p_value(replicates: np.ndarray, band: tuple[float, float]) -> np.ndarray:
    """Smallest two-sided level at which the percentile interval of ``replicates`` (axis 0) clears ``band``.

    The equal-tailed interval lies above the band when fewer than ``alpha / 2`` of the replicates are at or
    below its upper edge; counts get the usual +1 so a p-value is never 0 with finitely many resamples.
    """
    valid = ~np.isnan(replicates)
    b = valid.sum(axis=0)
    below_high = np.sum(valid & (replicates <= band[1]), axis=0)
    above_low = np.sum(valid & (replicates >= band[0]), axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = 2.0 * np.minimum(below_high + 1, above_low + 1) / (b + 1)
    return np.where(b > 0, np.minimum(p, 1.0), np.nan)


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """``numerator / denominator`` with 0/0 undefined (nan) and x/0 infinite."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(
            denominator != 0,
            numerator / np.where(denominator != 0, denominator, 1.0),
            np.where(numerator > 0, np.inf, np.nan),
        )


def _unreliable_reason(metric: str, failing: Sequence[tuple[str, float, float]], min_events: int) -> str:
    """Why a comparison was withheld, naming each group that fails the expected-count rule."""
    events, denominator = EVENT_WORDS[metric]
    if metric not in CONFUSION_METRICS:
        parts = [f"{name} has {int(e):,} MI and {int(t - e):,} without" for name, e, t in failing]
        return f"withheld, too few events: {'; '.join(parts)} (AUROC needs at least {min_events} of each)"
    parts = [f"{name}: {exp:.1f} expected {events} among {int(round(n)):,} {denominator}" for name, exp, n in failing]
    return (
        f"withheld, too few events: {'; '.join(parts)} at the whole cohort's rate "
        f"(each group needs at least {min_events} expected events and {min_events} non-events)"
    )


def _flag_rule(
    rule: Multiplicity,
    confidence: float,
    family: Family,
    size: int,
    p: float,
    adjusted: float,
    band: tuple[float, float],
) -> str:
    return (
        f"{MULTIPLICITY_TITLES[rule]} at {1 - confidence:g} over the {size} comparisons of the "
        f"{FAMILY_TITLES[family]}: adjusted p = {adjusted:.2g} (unadjusted {p:.2g}); the ratio's interval lies "
        f"wholly outside [{band[0]:g}, {band[1]:g}]"
    )


def _pairs(index: GroupIndex, references: Mapping[str, str]) -> list[tuple[str, int, int]]:
    pairs = []
    for attribute, reference_name in references.items():
        positions = index.positions(attribute)
        ref = next(i for i in positions if index.groups[i][1] == reference_name)
        pairs += [(attribute, i, ref) for i in positions if i != ref]
    return pairs


def compute_disparities(
    index: GroupIndex,
    confusion: np.ndarray,
    replicates: Mapping[str, np.ndarray],
    point: Mapping[str, np.ndarray],
    *,
    references: Mapping[str, str],
    metrics: Sequence[str],
    band: tuple[float, float],
    confidence: float,
    method: IntervalMethod | str,
    rule: Multiplicity | str,
    min_events: int = MIN_EVENTS,
) -> tuple[tuple[Disparity, ...], dict[str, int]]:
    """Every disparity of the audit with its flag decision, and the number of tested comparisons per family.

    Parameters
    ----------
    confusion : numpy.ndarray, shape (n_groups, 2, 2)
        Observed confusion counts per group.
    replicates, point : mapping of metric name to array
        Bootstrap replicates (n_boot, n_groups) and point estimates (n_groups,) for the metrics without a
        closed-form interval (AUROC); ``point["n_positive"]`` and ``point["n_negative"]`` give AUROC's
        reliability.
    """
    for metric in metrics:
        if metric not in CONFUSION_METRICS and metric not in replicates:
            raise TriageError(UNKNOWN_METRIC.format(metric=metric, choices=", ".join(DISPARITY_METRICS)))
    rule = Multiplicity(rule)
    pairs = _pairs(index, references)
    if not pairs:
        return (), {family.value: 0 for family in Family}
    pair_array = np.array([[i, ref] for _, i, ref in pairs], dtype=np.int64)
    group_idx, ref_idx = pair_array[:, 0], pair_array[:, 1]
    rows: list[dict] = []
    for metric in metrics:
        if metric in CONFUSION_METRICS:
            c = compare_proportions(
                confusion,
                pair_array,
                metric=metric,
                band=band,
                confidence=confidence,
                method=method,
                min_events=min_events,
            )
            entry = {
                "ratio": (c.ratio, c.ratio_low, c.ratio_high),
                "difference": (c.difference, c.difference_low, c.difference_high),
                "p": c.p_value,
                "reliable": (c.group_reliable, c.reference_reliable),
                "expected": (c.group_expected, c.reference_expected),
                "trials": (c.group_trials, c.reference_trials),
                "power_inputs": (c.ref_rate, c.group_trials, c.reference_trials),
                "interval": ratio_method_name(method),
            }
        else:
            values = replicates[metric]
            ratio_reps = _ratio(values[:, group_idx], values[:, ref_idx])
            diff_reps = values[:, group_idx] - values[:, ref_idx]
            r_low, r_high = percentile_interval(ratio_reps, confidence)
            d_low, d_high = percentile_interval(diff_reps, confidence)
            pos, neg = point["n_positive"], point["n_negative"]
            reliable = (pos >= min_events) & (neg >= min_events)
            value = point[metric]
            ratio_point = _ratio(value[group_idx], value[ref_idx])
            entry = {
                "ratio": (ratio_point, r_low, r_high),
                "difference": (value[group_idx] - value[ref_idx], d_low, d_high),
                "p": np.where(np.isnan(ratio_point), np.nan, _bootstrap_p_value(ratio_reps, band)),
                "reliable": (reliable[group_idx], reliable[ref_idx]),
                "expected": (pos[group_idx], pos[ref_idx]),
                "trials": (pos[group_idx] + neg[group_idx], pos[ref_idx] + neg[ref_idx]),
                "power_inputs": None,
                "interval": "percentile bootstrap of the ratio (no closed form for AUROC)",
            }
        entry["metric"] = metric
        rows.append(entry)

    p_all = np.concatenate([row["p"] for row in rows])
    reliable_all = np.concatenate([row["reliable"][0] & row["reliable"][1] for row in rows])
    tested = reliable_all & ~np.isnan(p_all)
    families = np.concatenate([np.full(len(pairs), family_of(row["metric"]).value, dtype=object) for row in rows])
    adjusted, flagged = decide_flags(p_all, tested, rule=rule, confidence=confidence, families=families)
    sizes = {family.value: int((tested & (families == family.value)).sum()) for family in Family}

    def power_alpha(family: Family) -> float:
        # Power at the level a lone real gap must reach when the rest of its family is null (Holm's first step,
        # and Benjamini-Hochberg's rank-1 threshold): conservative for BH when several gaps are real.
        size = sizes[family.value]
        return (1.0 - confidence) / max(size, 1) if rule is not Multiplicity.none else 1.0 - confidence

    found: list[Disparity] = []
    k = 0
    for row in rows:
        metric = row["metric"]
        family = family_of(metric)
        detectable = (
            detectable_ratio(*row["power_inputs"], power_alpha(family), band[1], POWER)
            if row["power_inputs"] is not None
            else np.full(len(pairs), np.nan)
        )
        for j, (attribute, i, ref) in enumerate(pairs):
            name, ref_name = index.groups[i][1], index.groups[ref][1]
            group_ok, ref_ok = bool(row["reliable"][0][j]), bool(row["reliable"][1][j])
            p, p_adj = float(row["p"][j]), float(adjusted[k])
            withheld = None
            flag_rule = None
            if not (group_ok and ref_ok):
                candidates = (
                    (name, float(row["expected"][0][j]), float(row["trials"][0][j]), group_ok),
                    (ref_name, float(row["expected"][1][j]), float(row["trials"][1][j]), ref_ok),
                )
                failing = [(n, e, t) for n, e, t, ok in candidates if not ok]
                withheld = _unreliable_reason(metric, failing, min_events)
            elif np.isnan(p):
                events, denominator = EVENT_WORDS[metric]
                withheld = (
                    f"withheld, ratio undefined: no {denominator} or no {events} in either group"
                    if metric in CONFUSION_METRICS
                    else "withheld, ratio undefined"
                )
            elif flagged[k]:
                flag_rule = _flag_rule(rule, confidence, family, sizes[family.value], p, p_adj, band)
            ratio = Estimate(*(float(a[j]) for a in row["ratio"]))
            difference = Estimate(*(float(a[j]) for a in row["difference"]))
            found.append(
                Disparity(
                    attribute=attribute,
                    metric=metric,
                    reference=ref_name,
                    group=name,
                    ratio=ratio,
                    difference=difference,
                    flagged=bool(flagged[k]),
                    reliable=group_ok and ref_ok,
                    p_value=p,
                    p_adjusted=p_adj,
                    withheld=withheld,
                    flag_rule=flag_rule,
                    detectable_ratio=float(detectable[j]),
                    interval=row["interval"],
                    family=family.value,
                )
            )
            k += 1
    # Report order: attribute, then metric, then group (as before).
    order = {attribute: n for n, attribute in enumerate(references)}
    metric_order = {metric: n for n, metric in enumerate(metrics)}
    found.sort(key=lambda d: (order[d.attribute], metric_order[d.metric]))
    return tuple(found), sizes


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
    index: GroupIndex, confusion: np.ndarray, confidence: float, method: IntervalMethod | str
) -> tuple[dict[str, Estimate], tuple[EqualizedOddsPair, ...]]:
    """Fairlearn's equalized-odds difference per attribute (a point value) and every pairwise TPR/FPR gap.

    The maximum over groups has no usable interval: its bootstrap is biased upwards and never covers a true 0
    (issue 15), so it is reported as a point value. The pairwise differences carry Newcombe intervals.
    """
    counts = proportion_counts(np.asarray(confusion, dtype=np.float64))
    fn, positives = counts["fnr"]
    fp, negatives = counts["fpr"]
    tp = positives - fn
    alpha = 1.0 - confidence
    with np.errstate(divide="ignore", invalid="ignore"):
        fnr = np.where(positives > 0, fn / np.where(positives > 0, positives, 1.0), np.nan)
        fpr = np.where(negatives > 0, fp / np.where(negatives > 0, negatives, 1.0), np.nan)
    maxima: dict[str, Estimate] = {}
    pairs: list[EqualizedOddsPair] = []
    for attribute in index.attributes:
        if attribute == OVERALL:
            continue
        positions = index.positions(attribute)
        value = float(equalized_odds_difference(fnr[positions], fpr[positions]))
        maxima[attribute] = Estimate(value, float("nan"), float("nan"))
        for a_pos, a in enumerate(positions):
            for b in positions[a_pos + 1 :]:
                tpr_d = difference_interval(tp[a], positives[a], tp[b], positives[b], alpha, method)
                fpr_d = difference_interval(fp[a], negatives[a], fp[b], negatives[b], alpha, method)
                pairs.append(
                    EqualizedOddsPair(
                        attribute=attribute,
                        group=index.groups[a][1],
                        other=index.groups[b][1],
                        tpr_difference=Estimate(*(float(v) for v in tpr_d)),
                        fpr_difference=Estimate(*(float(v) for v in fpr_d)),
                    )
                )
    return maxima, tuple(pairs)
