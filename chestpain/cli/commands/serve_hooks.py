"""``chestpain serve-hooks``: the CDS Hooks 2.0 discharge-check service for an EHR (see ehr/ and the README)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from chestpain.cli.support import one_line_errors, stderr


@one_line_errors
def serve_hooks(
    model: Annotated[
        str, typer.Option(help="Model directory or registry URI, e.g. models:/chest-pain-triage@champion.")
    ],
    config: Annotated[
        Path | None,
        typer.Option(help="Hooks config YAML: base URL, bind address, trusted EHR issuers and their keys."),
    ] = None,
    port: Annotated[int | None, typer.Option(help="Port (default: the config's, else 8765).")] = None,
    workers: Annotated[
        int,
        typer.Option(min=1, max=64, help="Worker processes, each with its own model; they share the replay memory."),
    ] = 1,
) -> None:
    """Serve CDS Hooks (encounter-discharge, patient-view) on 127.0.0.1 unless the config names another host."""
    import uvicorn

    from chestpain.ehr import create_app, load_hooks_config
    from chestpain.models import load_model

    settings = load_hooks_config(config)
    if not settings.issuers:
        stderr.print("warning: no trusted issuer in the config: every request will get 401")
    loaded = load_model(model)  # fails here, once, with a one-line error, before any worker starts
    issuers = ", ".join(issuer.iss for issuer in settings.issuers) or "none"
    # One line at start-up and nothing per request: no access log (request lines are harmless, but nothing here
    # should ever be able to log patient data) and uvicorn's own start-up lines are below its warning level.
    stderr.print(
        f"CDS Hooks on http://{settings.host}:{port or settings.port} (calls must name {settings.base_url}); "
        f"issuers: {issuers}; model: {model}; feedback: {settings.feedback_db}; workers: {workers}",
        highlight=False,
        soft_wrap=True,
    )
    options = {"host": settings.host, "port": port or settings.port, "access_log": False, "log_level": "warning"}
    if workers == 1:
        uvicorn.run(create_app(loaded, settings), **options)
        return
    from chestpain.cli.hooks_workers import CONFIG_ENV, MODEL_ENV

    os.environ[MODEL_ENV], os.environ[CONFIG_ENV] = model, str(config or "")
    uvicorn.run("chestpain.cli.hooks_workers:app_from_environment", factory=True, workers=workers, **options)
