"""``chestpain monitor``: fairness of a deployed discharge check over time, from the CDS Hooks feedback store.

Reads the store read-only (the service may be running), optionally 30-day follow-up keyed by card, and writes
``monitoring.json``, ``report.html`` and time plots into ``--out``, all or nothing.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from chestpain.cli.support import one_line_errors, stdout


class Every(StrEnum):
    """Length of one look."""

    day = "day"
    week = "week"
    month = "month"


@one_line_errors
def monitor(
    feedback: Annotated[Path, typer.Option(help="The CDS Hooks service's feedback store (SQLite, feedback_db).")],
    out: Annotated[Path, typer.Option(help="Report directory: monitoring.json, report.html, time plots.")],
    outcomes: Annotated[
        Path | None, typer.Option(help="30-day follow-up (.csv or .parquet): card, mi, mace_30d.")
    ] = None,
    since: Annotated[
        dt.datetime | None, typer.Option(formats=["%Y-%m-%d"], help="Only cards issued on or after this day.")
    ] = None,
    every: Annotated[Every, typer.Option(help="Length of one look.")] = Every.week,
    alpha: Annotated[
        float, typer.Option(min=0.0001, max=0.5, help="Chance of any false alarm, over all looks and groups.")
    ] = 0.05,
) -> None:
    """Override and missed-event rates by group, period by period, with alarms valid over repeated looks."""
    from chestpain.ehr import read_feedback
    from chestpain.fairness import monitor_feedback, write_monitor_report
    from chestpain.features import read_table

    cards = read_feedback(feedback)
    follow = read_table(outcomes) if outcomes is not None else None
    result = monitor_feedback(
        cards, follow, every=every.value, since=since.date() if since is not None else None, alpha=alpha
    )
    write_monitor_report(result, out)
    stdout.print(
        escape(f"{len(result.periods)} {result.every}(s) from {result.periods[0]}, {len(cards):,} cards; ")
        + escape(result.settings["error_control"])
    )
    for alarm in result.alarms:
        stdout.print(escape(f"ALARM {alarm.text()}"))
    if not result.alarms:
        stdout.print("no alarm")
    stdout.print(escape(f"report: {out / 'report.html'}"))
