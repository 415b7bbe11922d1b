"""The monitoring report directory: ``monitoring.json``, a self-contained ``report.html`` and time plots.

Like the audit's report, everything is written into a temporary sibling directory and renamed into place at the
end: a bad stream or a failure leaves the previous report or nothing, never a half-written one.
"""

from __future__ import annotations

import base64
import html
import json
import os
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from ._html import table as _table
from ._monitor import ATTRIBUTES, METRIC_TITLES, Alarm, MonitorResult
from ._plots import _COLOURS, _figure, figure_png
from ._report_dir import ReportDirectory

MONITOR_JSON = "monitoring.json"
MONITOR_HTML = "report.html"
DISCLAIMER = (
    "Research and audit tool, not a medical device. The monitor describes how a deployed check's advice is "
    "followed and how patients fare, by group; it must not be used to judge individual clinicians or patients."
)
NOT_A_MONITOR_DIRECTORY = (
    "{path} exists and holds files that are not monitoring outputs ({examples}); choose an empty or new directory"
)
OUT_IS_A_FILE = "{path} exists and is a file; the monitor writes a directory"
_STYLE = (
    "body{font-family:system-ui,Helvetica,Arial,sans-serif;margin:2em;max-width:1300px;color:#222}"
    "h1{font-size:1.6em}h2{font-size:1.25em;margin-top:1.6em;border-bottom:1px solid #ccc}"
    ".disclaimer{border:2px solid #b00;background:#fff3f3;padding:.8em;font-weight:600}"
    "table{border-collapse:collapse;font-size:.82em;margin:.6em 0}th,td{border:1px solid #ccc;padding:3px 6px;"
    "text-align:left}th{background:#f0f0f0}tr.flagged{background:#ffe3e3}img{max-width:100%}"
)


def _is_output(name: str) -> bool:
    return name in (MONITOR_JSON, MONITOR_HTML) or (name.startswith("monitor_") and name.endswith(".png"))


_DIRECTORY = ReportDirectory(_is_output, OUT_IS_A_FILE, NOT_A_MONITOR_DIRECTORY)


def plot_rates(result: MonitorResult, metric: str) -> Figure:
    """One panel per attribute: each group's cumulative rate and its anytime-valid sequence, look by look."""
    frame = result.sequences[result.sequences["metric"] == metric]
    figure = _figure(11, 6.5)
    panels = figure.subplots(2, 2, sharex=True).ravel()
    x = np.arange(len(result.periods))
    for axes, attribute in zip(panels, ATTRIBUTES, strict=True):
        rows = frame[frame["attribute"] == attribute]
        for k, (group, part) in enumerate(rows.groupby("group", sort=False)):
            colour = _COLOURS[k % len(_COLOURS)]
            axes.plot(x, part["rate"].to_numpy(dtype=float), color=colour, label=str(group))
            axes.fill_between(x, part["cs_low"], part["cs_high"], color=colour, alpha=0.15, linewidth=0)
        axes.set_title(attribute, fontsize=9)
        axes.set_ylabel("rate")
        axes.legend(fontsize=7, loc="upper left")
    for axes in panels[2:]:
        axes.set_xlabel(f"{result.every} (0 = {result.periods[0]})")
    figure.suptitle(f"{METRIC_TITLES[metric]}: cumulative rate, shaded anytime-valid sequence", fontsize=10)
    return figure


def plot_ratios(result: MonitorResult, metric: str) -> Figure:
    """Each comparison's ratio with its bounds against the parity band; alarms marked where they were raised."""
    frame = result.comparisons[result.comparisons["metric"] == metric]
    low_band, high_band = result.settings["band"]
    figure = _figure(11, 6.5)
    panels = figure.subplots(2, 2, sharex=True).ravel()
    x = np.arange(len(result.periods))
    for axes, attribute in zip(panels, ATTRIBUTES, strict=True):
        rows = frame[frame["attribute"] == attribute]
        axes.axhspan(low_band, high_band, color="#2e933c", alpha=0.12, label="parity band")
        for k, (group, part) in enumerate(rows.groupby("group", sort=False)):
            colour = _COLOURS[k % len(_COLOURS)]
            tested = part["tested"].to_numpy(dtype=bool)
            ratio = np.where(tested, part["ratio"].to_numpy(dtype=float), np.nan)
            high = np.minimum(part["ratio_high"].to_numpy(dtype=float), 10.0)
            axes.plot(x, ratio, color=colour, label=f"{group} vs {part['reference'].iloc[0]}")
            axes.fill_between(
                x, np.where(tested, part["ratio_low"], np.nan), np.where(tested, high, np.nan), color=colour, alpha=0.15
            )
        for alarm in result.alarms:
            if alarm.metric == metric and alarm.attribute == attribute:
                axes.axvline(result.periods.index(alarm.raised), color="#d1495b", linestyle="--", linewidth=1)
        axes.set_yscale("log")
        axes.set_title(attribute, fontsize=9)
        axes.set_ylabel("ratio to reference")
        axes.legend(fontsize=7, loc="upper left")
    for axes in panels[2:]:
        axes.set_xlabel(f"{result.every} (0 = {result.periods[0]}); dashed: alarm raised")
    figure.suptitle(
        f"{METRIC_TITLES[metric]}: ratio to the reference, cumulative window "
        "(an alarm may come from a restarted window: see the alarm log)",
        fontsize=10,
    )
    return figure


def next_steps(result: MonitorResult) -> list[str]:
    """What a reader should check next, from the alarms (or their absence)."""
    steps = []
    for alarm in result.alarms:
        who = f"{alarm.attribute}={alarm.group} (vs {alarm.reference}, since {alarm.since})"
        if alarm.metric == "override":
            steps.append(
                f"{who}: read the override reasons chosen for this group's warnings; check with the audit (chestpain "
                "audit on recent visits) whether the tool's warnings are less accurate for this group before "
                "concluding that its warnings are discounted; compare the missed-event rate after these overrides."
            )
        else:
            steps.append(
                f"{who}: review this group's returns within 30 days after discharge; re-run the audit on recent "
                "visits (missed MI by group, calibration); check whether info cards or overrides carry the excess."
            )
    if result.comparisons.empty:
        steps.append("Nothing compared yet: every attribute has a single group among these cards.")
    last = result.comparisons[result.comparisons["period"] == result.periods[-1]]
    withheld = last[~last["tested"].astype(bool)]
    if len(withheld):
        names = ", ".join(sorted({f"{m}: {g}" for m, g in zip(withheld["metric"], withheld["group"], strict=True)}))
        steps.append(
            f"Withheld at the last look (too few expected events in a group; no alarm can be raised yet): {names}."
        )
    if not result.alarms:
        steps.append("No alarm: no group's rate is shown to lie outside the parity band at the stated error rate.")
    return steps


def _image(png: bytes, alt: str) -> str:
    data = base64.b64encode(png).decode("ascii")
    return f'<figure><img alt="{html.escape(alt)}" src="data:image/png;base64,{data}"></figure>'


def _alarm_row(alarm: Alarm) -> list[str]:
    high = "inf" if not np.isfinite(alarm.ratio_high) else f"{alarm.ratio_high:.2f}"
    return [
        alarm.raised,
        METRIC_TITLES[alarm.metric],
        f"{alarm.attribute}={alarm.group}",
        alarm.reference,
        alarm.direction,
        alarm.since,
        f"{alarm.ratio:.2f} [{alarm.ratio_low:.2f}, {high}]",
        f"{alarm.events}/{alarm.trials} vs {alarm.reference_events}/{alarm.reference_trials}",
    ]


def render_monitor_html(result: MonitorResult, plots: dict[str, bytes], *, title: str = "Fairness monitor") -> str:
    """The report as one HTML string: inline CSS, plots as base64 PNG, no external reference."""
    settings = result.settings
    alarms = _table(
        ["raised", "metric", "group", "reference", "direction", "since", "ratio [bounds]", "events/trials"],
        [_alarm_row(alarm) for alarm in result.alarms],
        ["flagged"] * len(result.alarms),
    )
    last = result.table[result.table["period"] == result.periods[-1]]
    columns = ["attribute", "group", "cards_info", "cards_warning", "cards_critical"]
    for metric in ("override", "missed_event"):
        if f"{metric}_rate" in last:
            columns += [f"{metric}_events", f"{metric}_trials"]
    latest = _table(columns, last[columns].astype(str).to_numpy().tolist())
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        f'<p class="disclaimer">{html.escape(DISCLAIMER)}</p>',
        f"<p>{len(result.periods)} {html.escape(result.every)}s from {html.escape(result.periods[0])}; "
        f"{len(result.alarms)} alarm(s).</p>",
        "<h2>Alarm log</h2>",
        alarms if result.alarms else "<p>No alarm.</p>",
        "<h2>What to check next</h2>",
        "<ul>" + "".join(f"<li>{html.escape(step)}</li>" for step in next_steps(result)) + "</ul>",
        "<h2>How false alarms are controlled</h2>",
        f"<p>{html.escape(settings['error_control'])}. Method: {html.escape(settings['method'])}; parity band "
        f"{settings['band'][0]:g}-{settings['band'][1]:g}; a comparison is tested once both groups expect "
        f"{settings['min_events']} events and non-events at the pooled rate (the audit's rule). References: "
        f"{html.escape(', '.join(f'{a}: {g}' for a, g in settings['references'].items()))}.</p>",
        "<ul>" + "".join(f"<li>{html.escape(note)}</li>" for note in result.notes) + "</ul>",
    ]
    for name, png in plots.items():
        parts.append(f"<h2>{html.escape(name.removeprefix('monitor_').removesuffix('.png').replace('_', ' '))}</h2>")
        parts.append(_image(png, f"Time plot: {name}"))
    parts += [
        f"<h2>Latest {html.escape(result.every)} ({html.escape(result.periods[-1])}) by group</h2>",
        latest,
        f"<p>Every {html.escape(result.every)} and group, with 95% Wilson intervals, is in {MONITOR_JSON}.</p>",
        "</body></html>",
    ]
    return "\n".join(parts)


def write_monitor_report(result: MonitorResult, out_dir: str | os.PathLike[str]) -> Path:
    """Write ``monitoring.json``, ``report.html`` and the time plots into ``out_dir``, all or nothing."""
    out = Path(out_dir)
    _DIRECTORY.check(out)  # before the plots; checked again just before the swap
    metrics = sorted(set(result.sequences["metric"]), key=list(METRIC_TITLES).index)
    plots = {}
    for metric in metrics:
        plots[f"monitor_{metric}_rates.png"] = figure_png(plot_rates(result, metric))
        plots[f"monitor_{metric}_ratios.png"] = figure_png(plot_ratios(result, metric))
    document = json.dumps(result.to_dict(), indent=2, allow_nan=False) + "\n"
    page = render_monitor_html(result, plots)
    return _DIRECTORY.write(out, {MONITOR_JSON: document, MONITOR_HTML: page, **plots})
