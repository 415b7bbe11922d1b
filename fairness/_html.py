"""Small HTML pieces the report's sections share: an estimate with its interval, an escaped cell, a table."""

from __future__ import annotations

import html
import math
from typing import Any

from ._results import Estimate


def rate(estimate: Estimate, percent: bool = True) -> str:
    """``'3.10% [2.05%, 4.67%]'`` (or three decimals with ``percent=False``); ``n/a`` when undefined."""

    def number(value: float) -> str:
        if not math.isfinite(value):
            return "n/a" if math.isnan(value) else "inf"
        return f"{100 * value:.2f}%" if percent else f"{value:.3f}"

    if math.isnan(estimate.value):
        return "n/a"
    return f"{number(estimate.value)} [{number(estimate.ci_low)}, {number(estimate.ci_high)}]"


def cell(text: Any) -> str:
    """One escaped table cell: every data string (group names come from the user's table) is escaped."""
    return f"<td>{html.escape(str(text))}</td>"


def table(header: list[str], rows: list[list[Any]], row_classes: list[str] | None = None) -> str:
    """A table with escaped header and cells; ``row_classes`` marks rows (``flagged``, ``unreliable``)."""
    head = "".join(f"<th>{html.escape(column)}</th>" for column in header)
    body = []
    for i, row in enumerate(rows):
        css = f' class="{row_classes[i]}"' if row_classes and row_classes[i] else ""
        body.append(f"<tr{css}>" + "".join(cell(value) for value in row) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
