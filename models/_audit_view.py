"""An audit as the app shows it: the report files as bytes, and the subgroup table with intervals in words.

``triage audit`` writes a report directory; a web page needs the same files as bytes to display and offer for
download. :func:`report_files` writes the report with the library's own writer into a temporary folder and reads
it back, so the app's ``metrics.json`` and ``report.html`` are byte for byte what the command line writes.
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from fairness import AuditResult, Estimate
from models._audit import ModelAudit, write_model_audit

DEFAULT_AUDIT_DATA = Path("demo") / "audit_cohort.parquet"
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
    """``demo/audit_cohort.parquet`` under ``root`` if ``make demo`` wrote it, else None."""
    path = Path(root) / DEFAULT_AUDIT_DATA
    return path if path.is_file() else None


def report_files(audit: ModelAudit, *, model_name: str) -> dict[str, bytes]:
    """Every file of the audit report (``metrics.json``, ``report.html``, PNG plots) by name."""
    with tempfile.TemporaryDirectory(prefix="triage-audit-") as folder:
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
        row["warning"] = "" if entry.reliable else f"fewer than {result.min_positives} true MI: unreliable"
        rows.append(row)
    return pd.DataFrame(rows)


def small_groups(result: AuditResult) -> list[str]:
    """Groups with too few true positives for their error rates to mean much, e.g. ``'race: asian (n=812, 9 MI)'``."""
    return [
        f"{entry.attribute}: {entry.group} (n={entry.n:,}, {entry.n_positive} true MI)"
        for entry in result.groups
        if not entry.reliable
    ]


def flagged_disparities(result: AuditResult, metric: str = "fnr") -> list[tuple[str, bool]]:
    """Disparities whose whole ratio interval lies outside the band, in words, each with ``worse``.

    ``worse`` is true when the group's rate is above the reference group's (for FNR: more missed MI).
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
                + " the reference group",
                worse,
            )
        )
    return lines
