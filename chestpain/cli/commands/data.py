"""``chestpain data uci``: the UCI Heart Disease sites, md5-checked and harmonised to the cohort-table names."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from chestpain.cli.support import one_line_errors, stdout


@one_line_errors
def uci(
    out: Annotated[Path, typer.Option("--out", help="Output table: .parquet (or .csv).", dir_okay=False)],
    source: Annotated[
        str | None,
        typer.Option(
            "--source",
            help="Folder holding processed.<site>.data for the four sites, or an http(s) base URL. Default: "
            "../shared/data/uci-heart-disease beside the repository if present, else the UCI archive.",
        ),
    ] = None,
    timeout: Annotated[float, typer.Option("--timeout", help="Seconds to wait for each download.", min=0.1)] = 30.0,
) -> None:
    """Write the harmonised UCI Heart Disease table (920 rows; label cad = angiographic CAD, not MI)."""
    # Imported here so that `chestpain --help` and other verbs do not pay for pandera.
    from chestpain.features import check_output_path, load_uci, write_table

    check_output_path(out)
    table = load_uci(source, timeout=timeout)
    write_table(table, out)
    by_site = ", ".join(f"{site} {count}" for site, count in table.groupby("site", sort=False).size().items())
    stdout.print(
        f"wrote {len(table)} rows ({by_site}) to {out}; label cad = angiographic CAD (num > 0), not MI",
        highlight=False,
        soft_wrap=True,
    )
