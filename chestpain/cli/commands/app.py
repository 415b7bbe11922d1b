"""``chestpain app``: start the packaged Streamlit app on 127.0.0.1 from any directory and say where it serves."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from chestpain.cli.support import one_line_errors, stdout
from chestpain.kernel.errors import TriageError

#: The packaged entry script (``app_pages/entry.py`` in a checkout, ``chestpain/app/entry.py`` in a wheel), found
#: without importing the app package (which imports Streamlit).
APP_SCRIPT = Path(importlib.util.find_spec("chestpain.app").submodule_search_locations[0]) / "entry.py"
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
            f"{APP_SCRIPT}: the app's entry script is missing from this installation; reinstall chest-pain-triage"
        )
    stdout.print(f"Chest-pain triage app: http://{ADDRESS}:{port} (Ctrl+C stops it)", highlight=False)
    sys.stdout.flush()
    command = streamlit_command(APP_SCRIPT, port)
    os.execvp(command[0], command)
