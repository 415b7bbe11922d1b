"""Figures of an audit. Plotting only: every number comes from an :class:`AuditResult` or a comparison.

Figures are built on ``matplotlib.figure.Figure`` with an Agg canvas, never through ``pyplot``: no global
state, no display needed, safe in a web server, and the Streamlit app can show the same objects. Every plot
draws the intervals, and group labels carry the group size and the number of true positives.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ._groups import OVERALL
from ._metrics import METRIC_TITLES
from ._mitigation import MitigationComparison
from ._results import AuditResult

UNRELIABLE_NOTE = "hollow marker: fewer than {k} true positives (unreliable)"
_COLOURS = ("#1b6ca8", "#d1495b", "#2e933c", "#edae49", "#66458c", "#00798c", "#8d6a9f")


def _figure(width: float, height: float) -> Figure:
    figure = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def figure_png(figure: Figure) -> bytes:
    """PNG bytes of ``figure``, without the matplotlib version stamp so equal inputs give equal bytes."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


def _error_bars(values: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Non-negative (lower, upper) error-bar lengths; undefined ends draw no bar."""
    below = np.where(np.isfinite(low), values - low, 0.0)
    above = np.where(np.isfinite(high), high - values, 0.0)
    return np.vstack([np.clip(below, 0, None), np.clip(above, 0, None)])


def plot_error_rates(result: AuditResult, metrics: Sequence[str] = ("fnr", "fpr")) -> Figure:
    """FNR and FPR (or other metrics) of every group, with intervals; the dashed line is the whole cohort."""
    groups = list(result.groups)
    labels = [
        f"{entry.group} (n={entry.n:,}, pos={entry.n_positive:,})"
        if entry.attribute == OVERALL
        else f"{entry.attribute}: {entry.group} (n={entry.n:,}, pos={entry.n_positive:,})"
        for entry in groups
    ]
    attributes = [entry.attribute for entry in groups]
    colour_of = {name: _COLOURS[i % len(_COLOURS)] for i, name in enumerate(dict.fromkeys(attributes))}
    figure = _figure(5.0 * len(metrics) + 2.5, 0.32 * len(groups) + 1.6)
    axes = figure.subplots(1, len(metrics), sharey=True, squeeze=False)[0]
    y = np.arange(len(groups))[::-1]
    for ax, metric in zip(axes, metrics, strict=True):
        values = np.array([entry.metrics[metric].value for entry in groups])
        low = np.array([entry.metrics[metric].ci_low for entry in groups])
        high = np.array([entry.metrics[metric].ci_high for entry in groups])
        errors = _error_bars(values, low, high)
        for i, entry in enumerate(groups):
            colour = colour_of[entry.attribute]
            ax.errorbar(
                values[i],
                y[i],
                xerr=errors[:, [i]],
                fmt="o",
                color=colour,
                markerfacecolor=colour if entry.reliable else "white",
                capsize=3,
            )
        overall = groups[0].metrics[metric].value
        if np.isfinite(overall):
            ax.axvline(overall, color="grey", linestyle="--", linewidth=1)
        ax.set_title(f"{METRIC_TITLES.get(metric, metric)}, {result.confidence:.0%} CI")
        ax.set_xlabel(metric)
        ax.grid(axis="x", alpha=0.3)
    axes[0].set_yticks(y, labels)
    figure.suptitle(
        f"Error rates by group (label: {result.label}); " + UNRELIABLE_NOTE.format(k=result.min_positives),
        fontsize=9,
    )
    return figure


def plot_calibration(result: AuditResult, attribute: str = "sex") -> Figure:
    """Observed event rate against mean predicted risk per calibration bin, one series per group, with CIs."""
    attribute = attribute if attribute in result.attributes else OVERALL
    entries = [entry for entry in result.groups if entry.attribute == attribute]
    figure = _figure(6.0, 5.0)
    ax = figure.subplots()
    smallest = 1.0
    for i, entry in enumerate(entries):
        bins = [b for b in entry.calibration if b.n > 0]
        predicted = np.array([b.predicted for b in bins])
        observed = np.array([b.observed.value for b in bins])
        low = np.array([b.observed.ci_low for b in bins])
        high = np.array([b.observed.ci_high for b in bins])
        ax.errorbar(
            predicted,
            observed,
            yerr=_error_bars(observed, low, high),
            fmt="o-",
            color=_COLOURS[i % len(_COLOURS)],
            markerfacecolor=_COLOURS[i % len(_COLOURS)] if entry.reliable else "white",
            capsize=3,
            label=f"{entry.group} (n={entry.n:,}, pos={entry.n_positive:,}, "
            f"ECE={entry.metrics['ece'].value:.3f} [{entry.metrics['ece'].ci_low:.3f}, "
            f"{entry.metrics['ece'].ci_high:.3f}])",
        )
        positive = predicted[predicted > 0]
        if positive.size:
            smallest = min(smallest, float(positive.min()))
    ax.plot(
        [smallest, 1.0],
        [smallest, 1.0],
        color="grey",
        linestyle="--",
        linewidth=1,
        label="perfect calibration",
    )
    # Risks of a rare outcome span orders of magnitude; a log scale keeps the low-risk bins readable.
    ax.set_xscale("log")
    ax.set_yscale("symlog", linthresh=smallest)  # linear near 0, so a bin with no events stays on the plot
    ax.set_ylim(0.0, 1.05)
    ax.set_xlabel("mean predicted risk in bin")
    ax.set_ylabel(f"observed rate of {result.label} ({result.confidence:.0%} CI)")
    ax.set_title(f"Calibration by {attribute} (equal-count bins over the whole cohort)")
    ax.legend(fontsize=7, loc="upper left")
    ax.grid(alpha=0.3)
    return figure


def plot_tradeoff(result: AuditResult) -> Figure:
    """Sensitivity and rule-out fraction against the threshold, per group, with pointwise CI bands."""
    curves = result.curves
    figure = _figure(11.0, 4.5)
    axes = figure.subplots(1, 2, sharex=True)
    if curves is None:
        return figure
    thresholds = curves.thresholds
    positive = thresholds > 0
    sizes = {entry.group: entry for entry in result.groups if entry.attribute == curves.attribute}
    for ax, array, name in (
        (axes[0], curves.sensitivity, "sensitivity"),
        (axes[1], curves.rule_out, "rule-out fraction"),
    ):
        for i, group in enumerate(curves.groups):
            colour = _COLOURS[i % len(_COLOURS)]
            entry = sizes.get(group)
            label = f"{group} (n={entry.n:,}, pos={entry.n_positive:,})" if entry else group
            ax.plot(thresholds[positive], array[0, i, positive], color=colour, label=label)
            ax.fill_between(
                thresholds[positive], array[1, i, positive], array[2, i, positive], color=colour, alpha=0.25
            )
        operating = result.threshold
        for value in operating.values() if isinstance(operating, dict) else [operating]:
            if value is not None and value > 0:
                ax.axvline(value, color="black", linestyle=":", linewidth=1)
        ax.set_xscale("log")
        ax.set_xlabel("threshold (flag if risk >= threshold)")
        ax.set_ylabel(name)
        ax.set_title(f"{name.capitalize()} by {curves.attribute}, {result.confidence:.0%} CI band")
        ax.grid(alpha=0.3)
    axes[0].axhline(0.99, color="grey", linestyle="--", linewidth=1)
    axes[0].legend(fontsize=8, loc="lower left")
    return figure


def plot_mitigations(comparison: MitigationComparison) -> Figure:
    """FNR, FPR and rule-out fraction of each policy by group, with CIs: the price of each in false alarms."""
    metrics = ("fnr", "fpr", "rule_out")
    options = list(comparison.options)
    group_names = [entry.group for entry in options[0].groups]
    figure = _figure(14.0, 0.55 * len(options) * max(1, len(group_names) / 2) + 2.0)
    axes = figure.subplots(1, len(metrics), sharey=True)
    y = np.arange(len(options))[::-1].astype(float)
    offsets = np.linspace(0.25, -0.25, len(group_names))  # first group (all) on top
    for ax, metric in zip(axes, metrics, strict=True):
        for k, group in enumerate(group_names):
            entries = [option.group(group) for option in options]
            values = np.array([entry.metrics[metric].value for entry in entries])
            low = np.array([entry.metrics[metric].ci_low for entry in entries])
            high = np.array([entry.metrics[metric].ci_high for entry in entries])
            n, pos = entries[0].n, entries[0].n_positive
            ax.errorbar(
                values,
                y + offsets[k],
                xerr=_error_bars(values, low, high),
                fmt="o",
                color=_COLOURS[k % len(_COLOURS)],
                capsize=3,
                label=f"{group} (n={n:,}, pos={pos:,})",
            )
        ax.set_title(f"{METRIC_TITLES[metric]}, {comparison.confidence:.0%} CI")
        ax.grid(axis="x", alpha=0.3)
    axes[0].axvline(1 - comparison.target_sensitivity, color="grey", linestyle="--", linewidth=1)
    axes[0].set_yticks(y, [option.title for option in options])
    axes[0].legend(fontsize=8, loc="best")
    figure.suptitle(
        f"Mitigations by {comparison.attribute} on the test split (thresholds chosen on the calibration "
        f"split; missed MI cost = {comparison.missed_mi_cost:g} false alarms)",
        fontsize=9,
    )
    return figure
