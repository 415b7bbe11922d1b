"""The project's commands print their own output only: no MLflow download bars, no type-hint nudge (issue 18).

Both are checked in fresh interpreters: MLflow shows its type-hint warning once per process (with its own
``warnings.catch_warnings``, so pytest's filters never see it) and reads its settings from the environment.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

# Run the console script's start-up (its settings for third-party libraries) when argv[2] says so.
START = """
import sys, tempfile
if sys.argv[2] == "console-script":
    from chestpain.cli.main import main
    sys.argv = ["chestpain", "--help"]
    try:
        main()
    except SystemExit:
        pass
"""

# Download a local folder with MLflow's artifact API, after (or without) the console script's start-up.
DOWNLOAD = (
    START
    + """
import mlflow.artifacts
mlflow.artifacts.download_artifacts(artifact_uri="file://" + sys.argv[1], dst_path=tempfile.mkdtemp())
"""
)


def _python(code: str, *args: str) -> subprocess.CompletedProcess:
    settings = ("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "MLFLOW_LOGGING_LEVEL")
    env = {k: v for k, v in os.environ.items() if k not in settings}
    env.update(MLFLOW_DISABLE_TELEMETRY="true", PYTHONPATH=str(REPO))
    return subprocess.run(
        [sys.executable, "-c", code, *args], cwd=REPO, env=env, capture_output=True, text=True, check=True
    )


def test_console_script_turns_off_mlflow_download_bars(tmp_path):
    for name in ("manifest.json", "model.ubj"):
        (tmp_path / name).write_text("{}")
    quiet = _python(DOWNLOAD, str(tmp_path), "console-script")
    assert "Downloading artifacts" not in quiet.stderr, quiet.stderr
    # Without the console script's settings MLflow draws its bar: the check above can fail.
    assert "Downloading artifacts" in _python(DOWNLOAD, str(tmp_path), "library").stderr


def test_pyfunc_wrapper_gets_no_type_hint_warning():
    """MLflow checks ``predict``'s type hints when the class is defined, i.e. on every ``chestpain train``."""
    done = _python("import mlflow.pyfunc\nimport models._mlflow_pyfunc")
    assert "type hint" not in done.stderr.lower(), done.stderr


# Create an experiment in a new tracking store, after (or without) the console script's start-up.
CREATE_EXPERIMENT = (
    START
    + """
import mlflow
mlflow.set_tracking_uri("sqlite:///" + sys.argv[1] + "/mlflow.db")
mlflow.set_experiment("quiet-check")
"""
)


def test_console_script_keeps_mlflow_info_lines_out_of_the_output(tmp_path):
    quiet = _python(CREATE_EXPERIMENT, str(tmp_path / "a"), "console-script")
    assert "Creating a new experiment" not in quiet.stderr, quiet.stderr
    # MLflow's own default prints it: the check above can fail.
    assert "Creating a new experiment" in _python(CREATE_EXPERIMENT, str(tmp_path / "b"), "library").stderr
