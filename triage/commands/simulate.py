"""``triage simulate``: write a cohort of simulated ED chest-pain visits and print its calibration table."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from simulation import CalibrationSummary, load_scenario, write_cohort
from simulation._generator import check_size
from triage.cli_support import one_line_errors, progress_bar, stdout
from triage.errors import TriageError


def calibration_table(summary: CalibrationSummary, title: str) -> Table:
    """The DESIGN.md targets next to the simulated values (95% CI)."""
    table = Table(title=title, title_justify="left")
    for column in ("quantity", "target", "simulated (95% CI)", "in range", "source"):
        table.add_column(column)
    for row in summary.rows():
        value, low, high = row["value"], row["ci_low"], row["ci_high"]
        shown = "n/a" if math.isnan(value) else f"{value:.4g} ({low:.4g}-{high:.4g})"
        lo, hi = row["range"]
        mark = "[green]yes[/]" if row["within_range"] else "[red]no[/]"
        table.add_row(row["quantity"], f"{row['target']} [{lo:g}-{hi:g}]", shown, mark, row["source"])
    return table


@one_line_errors
def simulate(
    config: Annotated[Path, typer.Option(help="Scenario YAML, e.g. configs/simulation/default.yaml.")],
    n: Annotated[int, typer.Option(help="Number of ED visits to simulate (1 to 10,000,000).")],
    out: Annotated[Path, typer.Option(help="Output Parquet file (written atomically).")],
    seed: Annotated[int, typer.Option(help="Random seed: same seed and config, same bytes.")] = 0,
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", help="Override a config key, e.g. --set interruption.median_seconds=30."),
    ] = None,
    summary: Annotated[bool, typer.Option(help="Print the calibration table against DESIGN.md targets.")] = True,
) -> None:
    """Simulate ED chest-pain visits with clinician bias as a switchable mechanism."""
    if seed < 0:
        raise TriageError(f"--seed must be a non-negative integer, got {seed}")
    if out.suffix != ".parquet":
        raise TriageError(f"--out must end in .parquet, got {out}")
    check_size(n)
    scenario = load_scenario(config, set_ or [])
    tally = CalibrationSummary()
    with progress_bar() as progress:
        task = progress.add_task(f"simulating {scenario.name}", total=n)

        def on_chunk(table: object) -> None:
            tally.update(table)  # type: ignore[arg-type]
            progress.advance(task, table.num_rows)  # type: ignore[attr-defined]

        write_cohort(scenario, n, seed, str(out), on_chunk=on_chunk)
    stdout.print(f"wrote {n:,} visits to {out} (scenario {scenario.name}, seed {seed})")
    if summary:
        stdout.print(
            calibration_table(tally, f"Calibration of scenario '{scenario.name}' (simulated, not clinical evidence)")
        )
