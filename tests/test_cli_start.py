"""`chestpain --help` answers at once: importing the command line loads no heavy package (issue 18).

The timing itself (``chestpain --help`` vs a bare ``python -c "import typer"``) is in benchmarks/bench_cli_start.py:
seconds on a shared 2-core machine are too noisy for a pass/fail test, the list of imported modules is not.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from chestpain.cli.main import app

REPO = Path(__file__).resolve().parents[1]
#: Packages that take 0.1-1 s each to import; none may be imported by `import chestpain.cli.main`.
HEAVY = ("pandas", "numpy", "scipy", "sklearn", "xgboost", "mlflow", "pandera", "streamlit", "pyarrow", "shap", "dask")


def imported_at_start(statement: str) -> set[str]:
    """Top-level packages a fresh interpreter imports for ``statement``, read from ``-X importtime``."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", statement],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        check=True,
    )
    names = set()
    for line in done.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            names.add(line.rsplit("|", 1)[1].strip().split(".")[0])
    assert "typer" in names, done.stderr[-2000:]  # the parse found the modules at all
    return names


def test_import_of_the_command_line_loads_no_heavy_package():
    heavy = sorted(set(HEAVY) & imported_at_start("import chestpain.cli.main"))
    assert not heavy, f"`import chestpain.cli.main` imports {heavy}: import them inside the command that needs them"


def test_the_check_sees_a_heavy_import():
    """The parse would catch a heavy import (the check can fail)."""
    assert "pandas" in imported_at_start("import chestpain.cli.main, features._schemas")


def _verbs(group, prefix=()) -> list[tuple[str, ...]]:
    found = []
    for info in group.registered_commands:
        found.append((*prefix, info.name))
    for sub in group.registered_groups:
        found.extend(_verbs(sub.typer_instance, (*prefix, sub.name)))
    return found


@pytest.mark.parametrize("verb", _verbs(app), ids=" ".join)
def test_every_verb_has_complete_help(verb):
    """Lazy imports must not cost the help text: every verb still lists its options with their help."""
    result = CliRunner().invoke(app, [*verb, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output and "--help" in result.output
    assert result.output.count("--") >= 2, result.output  # at least one option besides --help


def test_score_choices_match_the_library():
    """The light enums the command line shows are the library's, value for value."""
    from chestpain import features
    from chestpain.cli import support as cli_support

    for name in ("TroponinPolicy", "EscEdition"):
        light, library = getattr(cli_support, name), getattr(features, name)
        assert [(p.name, p.value) for p in light] == [(p.name, p.value) for p in library], name
    result = CliRunner().invoke(app, ["score", "--help"], env={"COLUMNS": "200"})
    assert "universal|sex-specific" in result.output and "2020|2015" in result.output
