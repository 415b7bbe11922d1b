"""The report's first screen: "are missed MIs (FNR) higher in any group?", answered group by group.

Every missed-MI comparison (the primary family) gets one answer: flagged (with the gap and its interval), no
gap detected (with the smallest gap the audit would have found, its detectable ratio), or withheld (naming
the group and its expected missed MIs). The flag rule is stated once, above the table, instead of in every row
(issue 27). Flagged gaps of the secondary family follow, each PPV, NPV, false-alarm or selection-rate gap marked
when the groups' MI rates alone would produce it: a calibrated model at one threshold flags more patients, and
has a higher PPV and more false alarms, where MI is more common (Kleinberg, Mullainathan & Raghavan, ITCS
2017; Chouldechova, Big Data 2017), so such a gap is not by itself evidence of unequal treatment.
"""

from __future__ import annotations

import html
import math

from ._html import rate, table
from ._metrics import CONFUSION_METRICS, METRIC_TITLES
from ._multiplicity import MULTIPLICITY_TITLES, Multiplicity
from ._oracle_gap import ORACLE_NOTE, OracleAtThreshold
from ._results import AuditResult, Disparity

# Direction in which a higher MI rate moves each metric for a calibrated model at one threshold: more MI means
# more high-risk patients (more flags), flagged patients more often with MI (PPV up), unflagged ones more
# often with MI (NPV down), and patients without MI who resemble those with it (more false alarms).
BASE_RATE_DIRECTION = {"selection_rate": 1, "ppv": 1, "npv": -1, "fpr": 1}


def _p(value: float) -> str:
    return f"{value:.2g}" if math.isfinite(value) else "n/a"


def _overall_misses(result: AuditResult) -> tuple[float, float]:
    """Missed MIs and MIs of the whole cohort (the ``overall`` group comes first)."""
    return result.groups[0].counts.get("fnr", (math.nan, math.nan))


def _expected_misses(result: AuditResult, attribute: str, group: str) -> tuple[float, float]:
    """Missed MIs a group would expect at the whole cohort's FNR, and its number of MI."""
    overall_missed, overall_mi = _overall_misses(result)
    mi = result.group(attribute, group).counts.get("fnr", (math.nan, math.nan))[1]
    rate_all = overall_missed / overall_mi if overall_mi else math.nan
    return mi * rate_all, mi


def _withheld_text(result: AuditResult, entry: Disparity) -> str:
    """Which of the two groups is short of events, with its expected missed MIs."""
    parts = []
    for name in (entry.group, entry.reference):
        expected, mi = _expected_misses(result, entry.attribute, name)
        if not (expected >= result.min_events and mi - expected >= result.min_events):
            parts.append(f"{name}: {expected:.1f} expected missed MI among {int(mi):,} MI")
    if not parts:
        return entry.withheld or "withheld"
    return f"withheld (not tested): {'; '.join(parts)}; a test needs at least {result.min_events}"


def answer(result: AuditResult, entry: Disparity) -> str:
    """The one-line answer for one missed-MI comparison."""
    if entry.withheld:
        return _withheld_text(result, entry)
    if entry.flagged:
        direction = "higher" if entry.ratio.value > 1 else "lower"
        return (
            f"FLAGGED: missed MI {direction} in {entry.group}, ratio {rate(entry.ratio, percent=False)}, "
            f"difference {rate(entry.difference)}"
        )
    detectable = entry.detectable_ratio
    found = f"a gap of {detectable:.1f}x or more would have been found" if math.isfinite(detectable) else ""
    return "no gap detected" + (f"; {found}" if found else "")


def rule_once(result: AuditResult) -> str:
    """The flag rule in one sentence, for the top of the report."""
    low, high = result.band
    sizes = result.family_sizes
    return (
        f"A gap is flagged when {MULTIPLICITY_TITLES[Multiplicity(result.multiplicity)]} at "
        f"{1 - result.confidence:g} rejects 'ratio within [{low:g}, {high:g}]', within its pre-specified family: "
        f"missed MI (primary, {sizes.get('primary', 0)} tested comparisons) or every other metric (secondary, "
        f"{sizes.get('secondary', 0)}). Each group is compared with its attribute's reference group "
        f"({', '.join(f'{a}: {g}' for a, g in result.references.items())}); intervals are unadjusted "
        f"{result.confidence:.0%} intervals, p-values are shown before and after adjustment."
    )


def oracle_cell(oracle: OracleAtThreshold, entry: Disparity) -> str:
    """The oracle's own ratio for this comparison at the model's thresholds, with its missed MIs for FNR."""
    ratio = oracle.ratio(entry.attribute, entry.group, entry.reference, entry.metric)
    shown = f"{ratio:.2f}" if math.isfinite(ratio) else f"n/a ({entry.reference}: rate 0)"
    if entry.metric != "fnr":
        return shown
    _, _, missed, hit = oracle.counts.get((entry.attribute, entry.group), (0, 0, 0, 0))
    _, _, ref_missed, ref_hit = oracle.counts.get((entry.attribute, entry.reference), (0, 0, 0, 0))
    return f"{shown} ({missed:,} of {missed + hit:,} vs {ref_missed:,} of {ref_missed + ref_hit:,})"


def missed_mi_section(result: AuditResult, oracle: OracleAtThreshold | None = None) -> str:
    """The answer to "are missed MIs higher in any group?" by sex, race, age band and sex x age band.

    With ``oracle`` (simulated data), each row also shows the oracle's own missed-MI ratio at the same thresholds.
    """
    entries = [entry for entry in result.disparities if entry.metric == "fnr"]
    if not entries:
        return "<p>No missed-MI comparison was made (a single group per attribute).</p>"
    flagged = [entry for entry in entries if entry.flagged]
    withheld = [entry for entry in entries if entry.withheld]
    if flagged:
        names = ", ".join(f"{e.attribute} = {e.group}" for e in flagged)
        lead = f"Yes: a missed-MI gap is flagged for {names}."
    elif len(withheld) == len(entries):
        # Nothing could be tested: say that, never "no gap in 0 groups" (it reads like a clean bill of health).
        overall_missed, overall_mi = _overall_misses(result)
        lead = (
            f"Not answerable at this size: {overall_missed:,.0f} missed MI among {overall_mi:,.0f} MI overall, so "
            "no group expects the 10 missed MIs a comparison needs; no missed-MI comparison was tested."
        )
    else:
        tested = len(entries) - len(withheld)
        lead = f"No missed-MI gap was detected in the {tested} comparison{'s' if tested != 1 else ''} tested."
    if withheld:
        named = "; ".join(
            f"{e.attribute} = {e.group} ({_expected_misses(result, e.attribute, e.group)[0]:.1f} expected missed MI)"
            for e in withheld
        )
        lead += f" Not tested, too few expected missed MIs at the cohort's rate: {named}."
    rows, classes = [], []
    for entry in entries:
        group, reference = result.group(entry.attribute, entry.group), result.group(entry.attribute, entry.reference)
        missed, mi = group.counts.get("fnr", (math.nan, math.nan))
        ref_missed, ref_mi = reference.counts.get("fnr", (math.nan, math.nan))
        rows.append(
            [
                entry.attribute,
                f"{entry.group} vs {entry.reference}",
                f"{rate(group.metrics['fnr'])} ({int(missed):,} of {int(mi):,} MI)",
                f"{rate(reference.metrics['fnr'])} ({int(ref_missed):,} of {int(ref_mi):,} MI)",
                rate(entry.ratio, percent=False),
                _p(entry.p_value),
                _p(entry.p_adjusted),
                answer(result, entry),
                *([oracle_cell(oracle, entry)] if oracle is not None else []),
            ]
        )
        classes.append("flagged" if entry.flagged else ("unreliable" if entry.withheld else ""))
    header = [
        "attribute",
        "group vs reference",
        "missed MI in group (FNR)",
        "in reference",
        f"ratio [{result.confidence:.0%} CI]",
        "p",
        "adjusted p",
        "answer",
        *(["oracle at the same thresholds: ratio (missed of MI)"] if oracle is not None else []),
    ]
    note = f"<p>{html.escape(ORACLE_NOTE)}</p>" if oracle is not None else ""
    return f"<p><strong>{html.escape(lead)}</strong></p><p>{html.escape(rule_once(result))}</p>{note}" + table(
        header, rows, classes
    )


def _mi_rate(result: AuditResult, attribute: str, group: str) -> float:
    entry = result.group(attribute, group)
    return entry.n_positive / entry.n if entry.n else math.nan


def base_rate_note(result: AuditResult, entry: Disparity, oracle: OracleAtThreshold | None = None) -> str:
    """Whether the two groups' MI rates alone would produce this gap, with both rates and calibration errors.

    With the oracle, its own gap at the same thresholds says it directly: a perfectly calibrated model of the same
    record has it too (same side of 1), or it does not.
    """
    direction = BASE_RATE_DIRECTION.get(entry.metric)
    if direction is None:
        return ""
    if oracle is not None:
        ratio = oracle.ratio(entry.attribute, entry.group, entry.reference, entry.metric)
        if math.isfinite(ratio) and (ratio - 1) * (entry.ratio.value - 1) > 0:
            return f"the oracle has this gap too at the same thresholds (ratio {ratio:.2f}): MI rates or records"
        if math.isfinite(ratio):
            return f"the oracle does not (ratio {ratio:.2f} at the same thresholds): the model adds this gap"
    mine, theirs = _mi_rate(result, entry.attribute, entry.group), _mi_rate(result, entry.attribute, entry.reference)
    ece = [result.group(entry.attribute, name).metrics["ece"].value for name in (entry.group, entry.reference)]
    rates = f"MI rate {100 * mine:.1f}% vs {100 * theirs:.1f}%; calibration error (ECE) {ece[0]:.3f} vs {ece[1]:.3f}"
    same_way = (mine - theirs) * (entry.ratio.value - 1) * direction > 0
    if same_way:
        return f"the gap different MI rates would produce at one threshold ({rates})"
    return f"not explained by the MI rates ({rates})"


def other_gaps_section(result: AuditResult, oracle: OracleAtThreshold | None = None) -> str:
    """Flagged gaps of the secondary family, each with its base-rate label (and the oracle's own gap)."""
    flagged = [entry for entry in result.flagged if entry.metric != "fnr"]
    if not flagged:
        return "<p>No other gap (false alarms, PPV, NPV, selection rate, AUROC) is flagged.</p>"
    rows = [
        [
            METRIC_TITLES[entry.metric],
            entry.attribute,
            f"{entry.group} vs {entry.reference}",
            rate(entry.ratio, percent=False),
            _p(entry.p_value),
            _p(entry.p_adjusted),
            base_rate_note(result, entry, oracle) or "AUROC: ranking within the group, not affected by MI rates",
            *([oracle_cell(oracle, entry) if entry.metric in CONFUSION_METRICS else "-"] if oracle is not None else []),
        ]
        for entry in flagged
    ]
    header = ["metric", "attribute", "group vs reference", "ratio [CI]", "p", "adjusted p", "reading"]
    header += ["oracle's ratio at the same thresholds"] if oracle is not None else []
    return table(header, rows, ["flagged"] * len(rows))
