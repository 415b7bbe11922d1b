"""Writing a results page: ``NAME.md``, ``NAME_*.png`` and ``NAME.json``, each atomically, plus the summary.

Pages hold no timings or paths of the machine that ran them, so the same config and seed give the same bytes.
``NAME.json`` carries the headline and the headline metrics; the summary ``README.md`` of the results folder
is rebuilt from every ``*.json`` there, one line per experiment.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

from chestpain.experiments._config import KINDS
from chestpain.fairness import figure_png
from chestpain.kernel.io import atomic_output
from chestpain.kernel.stats import Estimate

SUMMARY_FILE = "README.md"
SIMULATED_NOTE = (
    "> **Simulated evidence, not clinical evidence.** Every number on this page comes from the project's "
    "simulator, whose parameters are tuned to published figures (see *Assumptions*); it shows what the model of "
    "the encounter implies, not what happens in a real emergency department. A research and audit tool, not a "
    "medical device."
)
PUBLIC_DATA_NOTE = (
    "> **Public data, small and old; not clinical evidence.** UCI Heart Disease (1980s angiography cohorts). "
    "The label is angiographic coronary artery disease (`cad`), **not myocardial infarction**. A research and "
    "audit tool, not a medical device."
)


@dataclass
class Page:
    """A rendered results page: markdown, figures (suffix -> figure), headline, one-line summary, metrics."""

    name: str
    kind: str
    title: str
    headline: str
    summary: str
    markdown: str
    figures: dict[str, Figure] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)


def figure_file(name: str, suffix: str) -> str:
    """The PNG file name of a page's figure: ``NAME_suffix.png``."""
    return f"{name}_{suffix}.png"


def fmt(value: float, digits: int = 2, *, percent: bool = False) -> str:
    """A number (or a percentage) with fixed digits; ``n/a`` when undefined."""
    if value is None or not math.isfinite(value):
        return "n/a"
    return f"{value * 100:.{digits}f}%" if percent else f"{value:.{digits}f}"


def _number(x: float, digits: int) -> str:
    text = f"{x:.{digits}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text  # no "-0.00"


def est(e: Estimate, digits: int = 2, *, percent: bool = False, points: bool = False) -> str:
    """An estimate with its interval, e.g. ``2.08% (1.99-2.17%)``.

    ``points`` shows a difference of proportions in percentage points with its sign, ``+0.61 (0.25 to 0.97)``
    (the unit goes in the column header or the sentence); ``to`` separates the bounds whenever one is
    negative, so a minus sign is never read as a dash.
    """
    if e.value is None or not math.isfinite(e.value):
        return "n/a"
    scale = 100 if percent or points else 1
    unit = "%" if percent and not points else ""
    value = _number(e.value * scale, digits)
    if points and float(value) > 0:
        value = "+" + value
    value += unit
    if math.isnan(e.ci_low) or math.isnan(e.ci_high):
        return value

    def bound(x: float) -> str:
        return _number(x * scale, digits) if math.isfinite(x) else ("∞" if x > 0 else "-∞")

    separator = " to " if e.ci_low < 0 or points else "-"
    return f"{value} ({bound(e.ci_low)}{separator}{bound(e.ci_high)}{unit})"


def table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A markdown table; cells are converted with ``str`` and pipes escaped."""

    def cell(value: object) -> str:
        return str(value).replace("|", "\\|")

    lines = ["| " + " | ".join(map(cell, headers)) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(map(cell, row)) + " |" for row in rows]
    return "\n".join(lines)


def bullets(items: Iterable[str]) -> str:
    """A markdown bullet list."""
    return "\n".join(f"- {item}" for item in items)


def settings_table(config: Any) -> str:
    """The config's own keys and values, so the page says how it was made.

    Where the files go and where the work ran (``engine``, ``scheduler``) are left out: they do not change a
    number, and the page stays byte-identical across engines.
    """
    data = config.model_dump(mode="json", exclude={"output_dir", "tracking", "title", "engine", "scheduler"})

    def show(value: Any) -> str:
        return f"`{json.dumps(value, separators=(', ', ': '))}`"

    return table(["setting", "value"], [(key, show(value)) for key, value in data.items()])


def _json_safe(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    return value


def write_page(page: Page, out_dir: str | Path) -> list[Path]:
    """Write the page, its figures and its JSON summary atomically; rebuild the folder's summary."""
    out_dir = Path(out_dir)
    written = []
    for suffix, figure in page.figures.items():
        path = out_dir / figure_file(page.name, suffix)
        with atomic_output(path) as tmp:
            tmp.write_bytes(figure_png(figure))
        written.append(path)
    page_path = out_dir / f"{page.name}.md"
    with atomic_output(page_path) as tmp:
        tmp.write_text(page.markdown.rstrip("\n") + "\n", encoding="utf-8")
    written.insert(0, page_path)
    summary = {
        "name": page.name,
        "kind": page.kind,
        "title": page.title,
        "headline": page.headline,
        "summary": page.summary,
        "page": page_path.name,
        "figures": [figure_file(page.name, suffix) for suffix in page.figures],
        "metrics": {k: float(v) for k, v in sorted(page.metrics.items())},
    }
    json_path = out_dir / f"{page.name}.json"
    with atomic_output(json_path) as tmp:
        tmp.write_text(json.dumps(_json_safe(summary), indent=1, sort_keys=True) + "\n", encoding="utf-8")
    written.append(json_path)
    written.append(write_summary(out_dir))
    return written


def read_summaries(out_dir: str | Path) -> list[dict[str, Any]]:
    """Every experiment's ``NAME.json`` in the folder, in the order of :data:`KINDS`, then by name."""
    entries = []
    for path in sorted(Path(out_dir).glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            continue
        if isinstance(data, dict) and data.get("kind") in KINDS and {"title", "summary", "page"} <= set(data):
            entries.append(data)
    return sorted(entries, key=lambda d: (KINDS.index(d["kind"]), d["name"]))


def summary_table(entries: list[dict[str, Any]], link_prefix: str = "") -> str:
    """One line per experiment: linked title and headline figure."""
    return table(
        ["experiment", "headline figure (95% CI)"],
        [(f"[{e['title']}]({link_prefix}{e['page']})", e["summary"]) for e in entries],
    )


def write_summary(out_dir: str | Path) -> Path:
    """``README.md`` of the results folder: the summary table of every experiment written there."""
    entries = read_summaries(out_dir)
    text = "\n\n".join(
        [
            "# Experiment results",
            "Written by `chestpain experiment run configs/experiments/NAME.yaml` (all of them: `make experiments`). "
            "Simulated results are simulated evidence, not clinical evidence; the UCI study uses public data whose "
            "label is coronary artery disease, not myocardial infarction. Each page states its assumptions.",
            summary_table(entries),
        ]
    )
    path = Path(out_dir) / SUMMARY_FILE
    with atomic_output(path) as tmp:
        tmp.write_text(text + "\n", encoding="utf-8")
    return path
