"""``chestpain simulate``: write a cohort of simulated ED chest-pain visits and print its calibration table."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from chestpain.cli.support import Engine, SchedulerOption, one_line_errors, progress_bar, stdout
from chestpain.kernel.errors import TriageError

if TYPE_CHECKING:
    from chestpain.simulation import CalibrationSummary


def calibration_table(summary: CalibrationSummary, title: str) -> Table:
    """The DESIGN.md targets next to the simulated values (95% CI)."""
    table = Table(title=title, title_justify="left")
    for column in ("quantity", "target", "simulated (95% CI)", "in range", "source"):
        table.add_column(column)
    for row in summary.rows():
        value, low, high = row["value"], row["ci_low"], row["ci_high"]
        shown = "n/a" if math.isnan(value) else f"{value:.4g} ({low:.4g}-{high:.4g})"
        lo, hi = row["range"]
        if row.get("reported_only"):
            table.add_row(row["quantity"], row["target"], shown, "-", row["source"])
            continue
        mark = "[green]yes[/]" if row["within_range"] else "[red]no[/]"
        table.add_row(row["quantity"], f"{row['target']} [{lo:g}-{hi:g}]", shown, mark, row["source"])
    return table


@one_line_errors
def simulate(
    config: Annotated[
        str,
        typer.Option(help="Scenario: a packaged name (default, no_bias, question_prompt_list, ...) or a YAML path."),
    ],
    n: Annotated[int, typer.Option(help="ED visits to simulate (local: up to 10,000,000; dask: up to 2**31).")],
    out: Annotated[Path, typer.Option(help="Output Parquet file, or directory with --engine dask (atomic).")],
    seed: Annotated[int, typer.Option(help="Random seed: same seed and config, same bytes.")] = 0,
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", help="Override a config key, e.g. --set interruption.median_seconds=30."),
    ] = None,
    summary: Annotated[bool, typer.Option(help="Print the calibration table against DESIGN.md targets.")] = True,
    engine: Annotated[
        Engine, typer.Option(help="local: one Parquet file; dask: a directory of Parquet partitions.")
    ] = Engine.local,
    scheduler: SchedulerOption = None,
    partition_blocks: Annotated[
        int, typer.Option(min=1, help="Dask engine: blocks of 65,536 rows per partition.")
    ] = 16,
) -> None:
    """Simulate ED chest-pain visits with clinician bias as a switchable mechanism."""
    if seed < 0:
        raise TriageError(f"--seed must be a non-negative integer, got {seed}")
    # Heavy modules (numpy, pyarrow, scipy, the simulator) are imported here so that `chestpain --help` answers at once.
    from chestpain.kernel.io import check_writable_output
    from chestpain.simulation import CalibrationSummary, check_size, load_scenario, write_cohort

    if engine is Engine.dask:
        _simulate_dask(config, n, out, seed, set_ or [], summary, scheduler, partition_blocks)
        return
    if out.suffix != ".parquet":
        raise TriageError(f"--out must end in .parquet, got {out}")
    check_size(n)
    check_writable_output(out)  # before minutes of simulation, not at the rename
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


def _simulate_dask(
    config: str,
    n: int,
    out: Path,
    seed: int,
    overrides: list[str],
    summary: bool,
    scheduler: str | None,
    partition_blocks: int,
) -> None:
    """``--engine dask``: one task per partition, written as ``out/part-*.parquet``."""
    from chestpain.kernel.cluster import dask_client
    from chestpain.simulation import check_dask_size, load_scenario, write_cohort_dask

    check_dask_size(n)
    scenario = load_scenario(config, overrides)
    with dask_client(scheduler) as client, progress_bar() as progress:
        task = progress.add_task(f"simulating {scenario.name} on dask", total=n)
        tally = write_cohort_dask(
            scenario,
            n,
            seed,
            out,
            client=client,
            partition_blocks=partition_blocks,
            on_partition=lambda rows: progress.advance(task, rows),
        )
    stdout.print(f"wrote {n:,} visits to {out}/ (scenario {scenario.name}, seed {seed}, dask engine)")
    if summary:
        stdout.print(
            calibration_table(tally, f"Calibration of scenario '{scenario.name}' (simulated, not clinical evidence)")
        )
