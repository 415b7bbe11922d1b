"""``chestpain promote``: move ``@champion`` to a registered version, through the gates or by a recorded decision."""

from __future__ import annotations

from typing import Annotated

import typer

from chestpain.cli.support import one_line_errors, stdout


@one_line_errors
def promote(
    reference: Annotated[
        str, typer.Argument(help="NAME@VERSION (e.g. chest-pain-triage@3), NAME/VERSION or NAME@ALIAS.")
    ],
    force: Annotated[
        bool, typer.Option(help="Promote even if the gates fail: a human decision, recorded with --reason.")
    ] = False,
    reason: Annotated[str | None, typer.Option(help="Why (required with --force); stored on the version.")] = None,
) -> None:
    """Make a registered version the champion: it must pass the promotion gates, unless --force --reason."""
    from chestpain.models import promote as promote_version

    decision = promote_version(reference, force=force, reason=reason)
    how = "forced by a human decision" if force and not decision.promoted else "the gates hold"
    stdout.print(f"{reference} is now champion ({how}): {'; '.join(decision.reasons or decision.passed)}")
