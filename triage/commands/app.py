"""``triage app``: start the Streamlit app of a source checkout on 127.0.0.1 and say where it serves."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from triage.cli_support import one_line_errors, stdout
from triage.errors import TriageError

#: ``app.py`` sits beside the ``triage`` package in the repository (the project is installed with ``pip install -e``).
APP_SCRIPT = Path(__file__).resolve().parents[2] / "app.py"
ADDRESS = "127.0.0.1"


def streamlit_command(script: Path, port: int) -> list[str]:
    """The ``streamlit run`` command line: headless, 127.0.0.1 only, no usage statistics, developer menu or watcher.

    Every option is one a user of the app wants, and each also saves start-up time (issue 18): headless opens no
    browser and asks for no e-mail; usage statistics would send a request at start; and the file watcher, which
    reruns the page when its source changes, serves only someone editing the app (who runs ``streamlit run
    app.py``): it watches every imported module under the checkout, whose ``.venv`` holds thousands, and made the
    discharge form appear 0.3-0.45 s later in Chromium on this 2-core machine (benchmarks/bench_app_start.py).
    """
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(script),
        "--server.headless",
        "true",
        "--server.address",
        ADDRESS,
        "--server.port",
        str(port),
        "--browser.gatherUsageStats",
        "false",
        "--client.toolbarMode",
        "minimal",
        "--server.fileWatcherType",
        "none",
    ]


@one_line_errors
def app(
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to serve on (address 127.0.0.1).")] = 8501,
) -> None:
    """Start the Streamlit app (discharge check, batch discharges, fairness audit, runs) on 127.0.0.1."""
    if not APP_SCRIPT.is_file():
        raise TriageError(
            f"{APP_SCRIPT}: app.py not found; `triage app` runs the app of a source checkout (`pip install -e .`)"
        )
    stdout.print(f"Chest-pain triage app: http://{ADDRESS}:{port} (Ctrl+C stops it)", highlight=False)
    sys.stdout.flush()
    command = streamlit_command(APP_SCRIPT, port)
    os.execvp(command[0], command)
