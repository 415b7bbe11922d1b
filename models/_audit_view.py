"""An audit as the app shows it: the report files as bytes, and the subgroup table with intervals in words.

``chestpain audit`` writes a report directory; a web page needs the same files as bytes to display and offer for
download. :func:`report_files` writes the report with the library's own writer into a temporary folder and reads
it back, so the app's ``metrics.json`` and ``report.html`` are byte for byte what the command line writes.
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from chestpain.fairness import AuditResult, Estimate, OracleAtThreshold
from chestpain.models._audit import ModelAudit, write_model_audit

#: Where ``chestpain demo`` writes the audit cohort: its folder (where it serves the app from), or ``demo/`` of a
#: checkout after ``make demo``.
DEFAULT_AUDIT_DATA = (Path("audit_cohort.parquet"), Path("demo") / "audit_cohort.parquet")
#: Metrics of the subgroup table, in the order an auditor reads them (missed MI first).
TABLE_METRICS = {
    "fnr": "missed MI (FNR)",
    "fpr": "false alarms (FPR)",
    "npv": "NPV",
    "ppv": "PPV",
    "selection_rate": "flagged share",
    "auroc": "AUROC",
}


def default_audit_data(root: str | Path = ".") -> Path | None:
    """The demo's audit cohort under ``root`` (see :data:`DEFAULT_AUDIT_DATA`) if ``chestpain demo`` wrote it."""
    return next((Path(root) / path for path in DEFAULT_AUDIT_DATA if (Path(root) / path).is_file()), None)


def report_files(audit: ModelAudit, *, model_name: str | None = None) -> dict[str, bytes]:
    """Every file of the audit report (``metrics.json``, ``report.html``, PNG plots) by name.

    ``model_name=None`` writes the report of a decision or predictions audit (titled by its source).
    """
    from chestpain.fairness import write_report

    with tempfile.TemporaryDirectory(prefix="triage-audit-") as folder:
        if model_name is None:
            out = write_report(audit.result, Path(folder) / "report", title=f"Fairness audit of {audit.result.source}")
        else:
            out = write_model_audit(audit, Path(folder) / "report", model_name=model_name)
        return {path.name: path.read_bytes() for path in sorted(out.iterdir()) if path.is_file()}


def _interval(estimate: Estimate, percent: bool) -> str:
    if estimate.value is None or math.isnan(estimate.value):
        return "n/a"
    scale, unit, digits = (100.0, "%", 2) if percent else (1.0, "", 3)
    value = f"{estimate.value * scale:.{digits}f}{unit}"
    if math.isnan(estimate.ci_low) or math.isnan(estimate.ci_high):
        return value
    return f"{value} ({estimate.ci_low * scale:.{digits}f}-{estimate.ci_high * scale:.{digits}f})"


def group_table(result: AuditResult, metrics: Mapping[str, str] = TABLE_METRICS) -> pd.DataFrame:
    """One row per subgroup: size, true positives, each metric as 'value (CI)' and a small-group warning."""
    rows = []
    for entry in result.groups:
        row: dict[str, object] = {
            "attribute": entry.attribute,
            "group": entry.group,
            "n": entry.n,
            "true MI": entry.n_positive,
        }
        for name, title in metrics.items():
            row[title] = _interval(entry.metrics[name], percent=name != "auroc")
        row["warning"] = "" if entry.reliable else f"fewer than {result.min_positives} true MI: small group"
        rows.append(row)
    return pd.DataFrame(rows)


def disparity_table(result: AuditResult, metric: str = "fnr", oracle: OracleAtThreshold | None = None) -> pd.DataFrame:
    """One row per comparison of ``metric``: ratio with its unadjusted CI, detectable ratio and the decision.

    With ``oracle`` (simulated data) the oracle's own ratio at the model's thresholds follows the model's ratio.
    """
    rows = []
    for entry in result.disparities:
        if entry.metric != metric:
            continue
        ratio = entry.ratio
        detectable = entry.detectable_ratio
        oracle_column = {}
        if oracle is not None:  # beside the model's own ratio, where an auditor reads it without scrolling
            oracle_ratio = oracle.ratio(entry.attribute, entry.group, entry.reference, metric)
            oracle_column["oracle's ratio, same thresholds"] = (
                f"{oracle_ratio:.2f}" if math.isfinite(oracle_ratio) else "n/a"
            )
        rows.append(
            {
                "attribute": entry.attribute,
                "group": entry.group,
                "reference": entry.reference,
                f"ratio ({result.confidence:.0%} CI, unadjusted)": _interval(ratio, percent=False)
                if math.isfinite(ratio.value)
                else "n/a",
                **oracle_column,
                "smallest ratio detectable (80% power)": f"{detectable:.1f}x" if math.isfinite(detectable) else "none",
                "decision": "FLAGGED" if entry.flagged else ("withheld" if entry.withheld else "not flagged"),
                "why": entry.flag_rule or entry.withheld or f"adjusted p = {entry.p_adjusted:.2g}",
            }
        )
    return pd.DataFrame(rows)


def detection_lines(result: AuditResult, metric: str = "fnr") -> list[str]:
    """'With 40 MI in female&<55, only a 4.0x gap in missed MI would be detected' for each tested comparison."""
    lines = []
    for entry in result.disparities:
        if entry.metric != metric or entry.withheld or not math.isfinite(entry.detectable_ratio):
            continue
        positives = result.group(entry.attribute, entry.group).n_positive
        lines.append(
            f"With {positives:,} MI in {entry.attribute} = {entry.group}, only a {entry.detectable_ratio:.1f}x gap "
            f"in missed MI against {entry.reference} would be detected (80% power)"
        )
    return lines


def rule_text(result: AuditResult) -> str:
    """The flag rule in one sentence."""
    from chestpain.fairness import MULTIPLICITY_TITLES, Multiplicity

    low, high = result.band
    return (
        f"{MULTIPLICITY_TITLES[Multiplicity(result.multiplicity)]} at {1 - result.confidence:g} within each "
        f"family: {result.family_sizes.get('primary', 0)} missed-MI comparisons (primary), "
        f"{result.family_sizes.get('secondary', 0)} others (secondary); a flag needs the ratio's interval "
        f"wholly outside [{low:g}, {high:g}] "
        f"at the adjusted level. Rates: {result.interval_method} intervals from counts."
    )


def small_groups(result: AuditResult) -> list[str]:
    """Groups with too few true positives for their error rates to mean much, e.g. ``'race: asian (n=812, 9 MI)'``."""
    return [
        f"{entry.attribute}: {entry.group} (n={entry.n:,}, {entry.n_positive} true MI)"
        for entry in result.groups
        if not entry.reliable
    ]


def flagged_disparities(result: AuditResult, metric: str = "fnr") -> list[tuple[str, bool]]:
    """Disparities flagged under the audit's multiplicity rule, in words, each with ``worse``.

    ``worse`` is true when the group's rate is above the reference group's (for FNR: more missed MI). The rule is
    stated once on the page (:func:`rule_text`), not in every line; each line gives its p and adjusted p.
    """
    lines = []
    for entry in result.flagged:
        if entry.metric != metric:
            continue
        ratio = entry.ratio
        worse = ratio.value > 1
        lines.append(
            (
                f"{entry.attribute} = {entry.group} vs {entry.reference}: {metric.upper()} ratio {ratio.value:.2f} "
                f"({result.confidence:.0%} CI {ratio.ci_low:.2f}-{ratio.ci_high:.2f}), "
                + ("higher than" if worse else "lower than")
                + f" the reference group (p {_p(entry.p_value)}, adjusted p {_p(entry.p_adjusted)}).",
                worse,
            )
        )
    return lines


def _p(value: float | None) -> str:
    return "n/a" if value is None or value != value else f"{value:.2g}"


_MARKDOWN_SPECIAL = "\\`*_{}[]()<>#+-.!|~$:"


def escape_markdown(text: object) -> str:
    """``text`` with every Markdown (and Streamlit colour/emoji/LaTeX) control character backslash-escaped.

    File names, group names and values from an uploaded table reach the page's messages; escaped, a name
    such as ``[x](javascript:...)`` or ``**bold**`` is shown as typed instead of being rendered.
    """
    return "".join(f"\\{char}" if char in _MARKDOWN_SPECIAL else char for char in str(text))
