"""``chestpain predict``: score a batch of ED visits with a model directory or registry alias."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from chestpain.cli.support import one_line_errors, stdout


@one_line_errors
def predict(
    model: Annotated[
        str, typer.Option(help="Model directory or registry URI, e.g. models:/chest-pain-triage@champion.")
    ],
    data: Annotated[Path, typer.Option(help="ED visits to score (.csv, .parquet, or a FHIR R4 Bundle .json).")],
    out: Annotated[Path, typer.Option(help="Output .csv or .parquet: patient_id, risk, flag, reasons.")],
    reasons: Annotated[bool, typer.Option(help="Explain each row (top three contributions in words).")] = True,
) -> None:
    """Flag visits that are not safe to discharge on this model, with the reasons."""
    # Heavy modules are imported here, not at the top, so that `chestpain --help` answers at once.
    from chestpain.features import check_output_path
    from chestpain.models import load_model, predict_path

    check_output_path(out, inputs=[data], probe=True)
    loaded = load_model(model)
    # Two streaming passes (validate everything, then score chunk by chunk): memory does not grow with the rows.
    done = predict_path(loaded, data, out, with_reasons=reasons)
    stdout.print(f"scored {done.n:,} visits: {done.n_flagged:,} flagged -> {out}")
