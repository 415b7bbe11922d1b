"""The audit report directory: ``metrics.json``, a self-contained ``report.html`` and the PNG plots.

Everything is written into a temporary sibling directory first and renamed into place at the end, so a failure
leaves either the previous report or none, never a half-written one.
"""

from __future__ import annotations

import base64
import html
import json
import math
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

from ._groups import OVERALL
from ._html import rate as _rate
from ._html import table as _table
from ._metrics import GROUP_METRICS, METRIC_TITLES
from ._mitigation import OPTION_METRICS, MitigationComparison
from ._multiplicity import MULTIPLICITY_TITLES, Multiplicity
from ._oracle_gap import OracleAtThreshold
from ._plots import figure_png, plot_calibration, plot_error_rates, plot_mitigations, plot_tradeoff
from ._question import missed_mi_section, other_gaps_section
from ._report_dir import ReportDirectory
from ._results import AuditResult

DISCLAIMER = (
    "Research and audit tool, not a medical device. It describes how a model's errors fall on groups of "
    "patients; it must not be used to make or justify decisions about individual patients."
)
MI_LABEL_NOTE = "Label 'mi': adjudicated acute type 1 myocardial infarction at the visit (simulated ground truth)."
DIAGNOSED_MI_LABEL_NOTE = (
    "Label 'diagnosed_mi': what the chart says. MIs the clinicians missed count as negatives, so error "
    "rates against this label hide exactly the misses the audit looks for, most in the groups clinicians "
    "miss most. Audit against 'mi' where it is known."
)
# Detrano et al., "International application of a new probability algorithm for the diagnosis of coronary
# artery disease", Am J Cardiol 1989;64:304-10 (the UCI Heart Disease data): the label is angiographic.
UCI_LABEL_NOTE = (
    "Label 'cad' (UCI Heart Disease, Detrano et al., Am J Cardiol 1989): angiographic coronary artery "
    "disease (more than 50% diameter narrowing of a major vessel) in patients referred for angiography. It "
    "is not myocardial infarction: error rates here describe detection of coronary disease, not missed MI "
    "in the emergency department."
)
_LABEL_NOTES = {"mi": MI_LABEL_NOTE, "diagnosed_mi": DIAGNOSED_MI_LABEL_NOTE, "cad": UCI_LABEL_NOTE}

QUESTION = "Are missed MIs (FNR) higher in any group?"
METRICS_FILE = "metrics.json"
REPORT_FILE = "report.html"
ERROR_RATES_PLOT = "fnr_fpr_by_group.png"
MITIGATION_PLOT = "mitigation.png"
_PLOT_PREFIXES = ("calibration_by_", "threshold_tradeoff_by_")

NOT_A_REPORT_DIRECTORY = (
    "{path} exists and holds files that are not audit outputs ({examples}); choose an empty or new directory"
)
OUT_IS_A_FILE = "{path} exists and is a file; the audit writes a directory"


def default_label_note(label: str) -> str:
    """What the label means, for the labels the project knows (``mi``, ``diagnosed_mi``, ``cad``)."""
    return _LABEL_NOTES.get(label, f"Label '{label}'.")


def _is_report_file(name: str) -> bool:
    return name in {METRICS_FILE, REPORT_FILE, ERROR_RATES_PLOT, MITIGATION_PLOT} or (
        name.endswith(".png") and name.startswith(_PLOT_PREFIXES)
    )


_DIRECTORY = ReportDirectory(_is_report_file, OUT_IS_A_FILE, NOT_A_REPORT_DIRECTORY)


def _image(png: bytes, alt: str) -> str:
    encoded = base64.b64encode(png).decode("ascii")
    return f'<figure><img alt="{html.escape(alt)}" src="data:image/png;base64,{encoded}"></figure>'


def _threshold_text(threshold: Any) -> str:
    if threshold is None:
        return "not given (flags supplied by the model)"
    if isinstance(threshold, dict):
        return ", ".join(f"{key}: {value:g}" for key, value in threshold.items())
    return f"{threshold:g}"


def _groups_section(result: AuditResult) -> str:
    header = ["attribute", "group", "n", "positives", *(METRIC_TITLES[m] for m in GROUP_METRICS), "size"]
    rows, classes = [], []
    for entry in result.groups:
        rows.append(
            [
                entry.attribute,
                entry.group,
                f"{entry.n:,}",
                f"{entry.n_positive:,}",
                *(_rate(entry.metrics[m], percent=m not in ("auroc", "ece")) for m in GROUP_METRICS),
                "yes" if entry.reliable else f"small (< {result.min_positives} positives)",
            ]
        )
        classes.append("" if entry.reliable else "unreliable")
    return _table(header, rows, classes)


def _detectable(value: float) -> str:
    return f"{value:.2f}x" if math.isfinite(value) else "none (too few events)"


def _decision(entry: Any) -> str:
    """FLAGGED, not flagged, or the reason it was withheld; the rule itself is stated once, in the summary."""
    if entry.flagged:
        return "FLAGGED"
    return entry.withheld or "not flagged"


def _disparities_section(result: AuditResult) -> str:
    sizes = {(entry.attribute, entry.group): entry for entry in result.groups}
    header = [
        "attribute",
        "metric",
        "group (n, pos)",
        "reference (n, pos)",
        f"ratio [{result.confidence:.0%} CI, unadjusted]",
        "difference [CI]",
        "smallest ratio detectable (80% power)",
        "family",
        "p",
        "adjusted p",
        "decision",
    ]
    rows, classes = [], []
    for entry in result.disparities:
        group, reference = sizes[(entry.attribute, entry.group)], sizes[(entry.attribute, entry.reference)]
        rows.append(
            [
                entry.attribute,
                METRIC_TITLES[entry.metric],
                f"{entry.group} ({group.n:,}, {group.n_positive:,})",
                f"{entry.reference} ({reference.n:,}, {reference.n_positive:,})",
                _rate(entry.ratio, percent=False),
                _rate(entry.difference, percent=entry.metric not in ("auroc",)),
                _detectable(entry.detectable_ratio) if entry.metric != "auroc" else "n/a",
                entry.family,
                f"{entry.p_value:.2g}" if math.isfinite(entry.p_value) else "n/a",
                f"{entry.p_adjusted:.2g}" if math.isfinite(entry.p_adjusted) else "n/a",
                _decision(entry),
            ]
        )
        classes.append("flagged" if entry.flagged else ("unreliable" if entry.withheld else ""))
    return _table(header, rows, classes)


def _equalized_odds_section(result: AuditResult) -> str:
    maxima = _table(
        ["attribute", "equalized-odds difference (fairlearn's maximum, point value)"],
        [[attribute, _rate(estimate, percent=False)] for attribute, estimate in result.equalized_odds.items()],
    )
    pairs = _table(
        ["attribute", "group", "minus group", "TPR difference [CI]", "FPR difference [CI]"],
        [
            [
                pair.attribute,
                pair.group,
                pair.other,
                _rate(pair.tpr_difference),
                _rate(pair.fpr_difference),
            ]
            for pair in result.equalized_odds_pairs
        ],
    )
    return maxima + pairs


def _rule_text(result: AuditResult) -> str:
    low, high = result.band
    return (
        f"{MULTIPLICITY_TITLES[Multiplicity(result.multiplicity)]} at {1 - result.confidence:g} within each "
        f"pre-specified family: {result.family_sizes.get('primary', 0)} tested missed-MI (FNR) comparisons "
        f"(primary) and {result.family_sizes.get('secondary', 0)} other comparisons (secondary); a comparison is "
        f"significant when its ratio interval lies wholly outside [{low:g}, {high:g}] at the adjusted level"
    )


def _mitigation_section(comparison: MitigationComparison) -> str:
    header = [
        "policy",
        "rule",
        "group",
        "n",
        "positives",
        "sensitivity on calibration split",
        *(METRIC_TITLES.get(m, m.replace("_", " ")) for m in OPTION_METRICS),
    ]
    rows = []
    for option in comparison.options:
        thresholds = ", ".join(
            f"{key}: {value:.4g}" if math.isfinite(value) else f"{key}: flag nobody"
            for key, value in option.thresholds.items()
        )
        rule = option.description + (f" (thresholds {thresholds})" if thresholds else "")
        for entry in option.groups:
            sensitivity = option.calibration_sensitivity.get(entry.group, math.nan)
            rows.append(
                [
                    option.title,
                    rule,
                    entry.group,
                    f"{entry.n:,}",
                    f"{entry.n_positive:,}",
                    f"{100 * sensitivity:.2f}%" if math.isfinite(sensitivity) else "n/a",
                    *(_rate(entry.metrics[m], percent=m in ("fnr", "fpr", "rule_out")) for m in OPTION_METRICS),
                ]
            )
    return (
        f"<p>Thresholds chosen on a calibration split of {comparison.n_calibration:,} rows and evaluated on "
        f"a test split of {comparison.n_test:,} rows. Target sensitivity "
        f"{comparison.target_sensitivity:.0%}; a missed MI is counted as {comparison.missed_mi_cost:g} "
        f"false alarms for the cost-weighted policies. Intervals cover test-split sampling only (thresholds "
        f"held fixed). Rule-out fraction = share not flagged.</p>" + _table(header, rows)
    )


_STYLE = """
body{font-family:system-ui,-apple-system,Segoe
UI,Helvetica,Arial,sans-serif;margin:2em;max-width:1300px;color:#222}
h1{font-size:1.6em}h2{font-size:1.25em;margin-top:1.6em;border-bottom:1px solid #ccc} .disclaimer{border:2px
solid #b00;background:#fff3f3;padding:.8em;font-weight:600} .note{background:#f3f6ff;border-left:4px solid
#1b6ca8;padding:.6em} table{border-collapse:collapse;font-size:.82em;margin:.6em 0}th,td{border:1px solid
#ccc;padding:3px 6px;text-align:left}
th{background:#f0f0f0}tr.flagged{background:#ffe3e3}tr.unreliable{color:#777;font-style:italic}
figure{margin:1em 0}img{max-width:100%}
"""


def render_html(
    result: AuditResult,
    plots: dict[str, bytes],
    *,
    mitigations: MitigationComparison | None,
    title: str,
    label_note: str,
    oracle: OracleAtThreshold | None = None,
) -> str:
    """The report as one HTML string: inline CSS, plots as base64 PNG, no external reference of any kind."""
    low, high = result.band
    references = ", ".join(f"{attribute}: {group}" for attribute, group in result.references.items())
    summary = _table(
        ["item", "value"],
        [
            ["audited", result.source or "predictions"],
            ["label", result.label],
            ["rows", f"{result.n:,}"],
            ["true positives", f"{result.n_positive:,}"],
            ["operating threshold (flag if risk >= threshold)", _threshold_text(result.threshold)],
            [
                "proportion intervals (FNR, FPR, PPV, NPV, selection rate)",
                f"{result.interval_method} from counts, {result.confidence:.0%}; differences: Newcombe "
                "construction; ratios: MOVER-R (Donner & Zou 2012)",
            ],
            ["AUROC intervals", "DeLong variance, logit scale; none below 100 positives or negatives"],
            [
                "ECE",
                "bias-corrected (Kumar et al. 2019) with a bootstrap standard error; interval starts at 0 where "
                "perfect calibration is not rejected",
            ],
            [
                "bootstrap (ECE, AUROC gaps, curves)",
                f"{result.n_boot:,} resamples, {result.confidence:.0%} percentile intervals (ECE: standard "
                f"deviation), seed {result.seed}",
            ],
            ["reference groups", references or "none"],
            ["disparity band", f"[{low:g}, {high:g}]"],
            ["flag rule", _rule_text(result)],
            [
                "reliability rule",
                f"a comparison is tested only if both groups expect at least {result.min_events} events and "
                f"{result.min_events} non-events of the metric at the whole cohort's rate; otherwise it is "
                "withheld and the reason shown",
            ],
            ["small groups", f"fewer than {result.min_positives} true positives: shown, marked small"],
        ],
    )
    equalized = _equalized_odds_section(result)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        f'<p class="disclaimer">{html.escape(DISCLAIMER)}</p>',
        f'<p class="note">{html.escape(label_note)}</p>',
        f"<h2>{html.escape(QUESTION)}</h2>",
        missed_mi_section(result, oracle),
        "<h2>Other flagged gaps (secondary family)</h2>",
        other_gaps_section(result, oracle),
        "<h2>Summary</h2>",
        summary,
        "<h2>Error rates by group</h2>",
        "<p>FNR is the share of true positives the model did not flag (a missed MI); FPR the share of "
        "negatives it flagged (a false alarm). Every table shows group size and positives next to the "
        "metric.</p>",
        _image(plots[ERROR_RATES_PLOT], "FNR and FPR by group with confidence intervals"),
        _groups_section(result),
        "<h2>Disparities against the reference group</h2>",
        _disparities_section(result),
        "<h2>Equalized odds</h2>",
        "<p>Fairlearn's equalized-odds difference (the largest between-group gap in true- or false-positive "
        "rate) is shown as a point value: a maximum over groups is biased upwards and its bootstrap interval "
        "never covers a true 0. Below it, every pair of groups with Newcombe intervals for the TPR and FPR "
        "differences.</p>",
        equalized,
        "<h2>Calibration</h2>",
    ]
    for name, png in plots.items():
        if name.startswith("calibration_by_"):
            parts.append(_image(png, "Observed against predicted risk by group"))
    parts.append("<h2>Threshold trade-off</h2>")
    for name, png in plots.items():
        if name.startswith("threshold_tradeoff_by_"):
            parts.append(_image(png, "Sensitivity and rule-out fraction against the threshold"))
    if mitigations is not None:
        parts += [
            "<h2>Mitigations: what each policy costs</h2>",
            _image(plots[MITIGATION_PLOT], "FNR, FPR and rule-out fraction of each policy by group"),
            _mitigation_section(mitigations),
        ]
    parts += [
        "<h2>Methods</h2>",
        "<p>Point estimates are computed on all rows. Proportions (FNR, FPR, PPV, NPV, selection rate and "
        "the observed rate of each calibration bin) get score or exact intervals from their counts, which "
        "keep their coverage for rare events (a group without a missed MI gets [0, upper limit], never "
        "[0, 0]); differences use Newcombe's hybrid score construction and ratios the MOVER-R interval of "
        "Donner & Zou (2012). AUROC gets DeLong's variance (DeLong 1988) with a Wald interval on the logit "
        "scale, shown only with at least 100 positives and 100 negatives (below that its coverage fell under "
        "93% in a seeded study). AUROC gaps and the threshold curves use equal-tailed percentile bootstrap "
        "intervals: each resample draws as many rows as the data hold, with replacement, implemented as a "
        "multinomial draw over cells of (sensitive-attribute combination, label, flag, score bin). Calibration "
        "uses equal-count bins over the whole cohort; ECE is the size-weighted mean absolute gap between observed "
        "and predicted risk. Its plain (plug-in) estimate is biased upwards, most in small groups, because noise "
        "in each bin's observed rate only ever adds to an absolute gap; the ECE shown is the bias-corrected "
        "estimate of Kumar, Liang and Ma (NeurIPS 2019), with a normal interval from its bootstrap standard "
        "error, its upper limit widened by the correction's largest possible overshoot and its lower limit 0 "
        "whenever a test of perfect calibration in the group (consistency "
        "resampling, Brocker and Smith 2007) does not reject. metrics.json keeps the plug-in value and "
        "the test's p-value beside it. Each "
        "comparison's p-value is the smallest level at which its ratio interval lies wholly outside the "
        "band; flags apply the multiplicity rule to these p-values within two pre-specified families (missed "
        "MI; everything else), so the intervals shown are unadjusted while the flags are protected. The "
        "smallest detectable ratio is a normal approximation on the log ratio at the level a lone real gap "
        "must reach (level / number of comparisons in its family). A rate with a zero denominator is "
        "undefined (n/a). Metric definitions follow fairlearn MetricFrame and scikit-learn and are tested "
        "against them (ECE: its plug-in value).</p>",
        "</body></html>",
    ]
    return "\n".join(parts)


def _render(result: AuditResult, mitigations: MitigationComparison | None, attribute: str) -> dict[str, bytes]:
    """Every plot of the report, as PNG bytes keyed by file name."""
    shown = attribute if attribute in result.attributes else OVERALL
    builders: dict[str, Callable[[], Figure]] = {
        ERROR_RATES_PLOT: lambda: plot_error_rates(result),
        f"calibration_by_{shown}.png": lambda: plot_calibration(result, shown),
    }
    if result.curves is not None:
        builders[f"threshold_tradeoff_by_{result.curves.attribute}.png"] = lambda: plot_tradeoff(result)
    if mitigations is not None:
        builders[MITIGATION_PLOT] = lambda: plot_mitigations(mitigations)
    return {name: figure_png(build()) for name, build in builders.items()}


def write_report(
    result: AuditResult,
    out_dir: str | os.PathLike[str],
    *,
    mitigations: MitigationComparison | None = None,
    title: str = "Fairness audit",
    label_note: str | None = None,
    attribute: str = "sex",
    oracle: OracleAtThreshold | None = None,
) -> Path:
    """Write ``metrics.json``, ``report.html`` and the PNG plots into ``out_dir``, all or nothing.

    Parameters
    ----------
    result : AuditResult
        From :func:`audit_predictions`.
    out_dir : path
        Report directory; created, or replaced if it holds only a previous report.
    mitigations : MitigationComparison, optional
        From :func:`compare_mitigations`; stored under ``mitigation`` in ``metrics.json`` and plotted.
    title : str, default="Fairness audit"
        Report title.
    label_note : str, optional
        What the label means; default from the label name (e.g. the UCI note for ``cad``).
    attribute : str, default="sex"
        Attribute shown in the calibration plot.
    oracle : OracleAtThreshold, optional
        The simulator oracle's rates at the same thresholds (:func:`oracle_at_threshold`); stored under
        ``oracle_at_threshold`` in ``metrics.json`` and shown beside each gap.

    Returns
    -------
    pathlib.Path
        ``out_dir``.
    """
    out = Path(out_dir)
    _DIRECTORY.check(out)  # before the slow part; checked again just before the swap
    document = result.to_dict()
    if mitigations is not None:
        document["mitigation"] = mitigations.to_dict()
    if oracle is not None:
        document["oracle_at_threshold"] = oracle.to_dict()
    metrics_text = json.dumps(document, indent=2, allow_nan=False) + "\n"
    plots = _render(result, mitigations, attribute)
    page = render_html(
        result,
        plots,
        mitigations=mitigations,
        title=title,
        label_note=label_note if label_note is not None else default_label_note(result.label),
        oracle=oracle,
    )
    return _DIRECTORY.write(out, {METRICS_FILE: metrics_text, REPORT_FILE: page, **plots})
