"""Helpers shared by the command modules: one-line errors, consoles, progress bars and option choices.

This module, like every ``chestpain/cli/commands/*.py`` module, imports nothing heavy (no numpy, pandas, pandera, scipy,
scikit-learn, xgboost, mlflow, pyarrow or streamlit) at import: ``chestpain --help`` must answer at once, and Typer
reads every option's type when the command line is built. Enums used as option types therefore live here, not in
the domain packages; ``tests/test_cli_start.py`` checks both the imports and that the choices match the library's.
"""

from __future__ import annotations

import enum
import functools
import sys
from collections.abc import Callable
from typing import Annotated, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from chestpain.kernel.errors import TriageError


class Engine(enum.StrEnum):
    """Where a command's work runs: in this process, or on a Dask cluster (partitioned data)."""

    local = "local"
    dask = "dask"


class TroponinPolicy(enum.StrEnum):
    """``--troponin-policy``: the choices of ``features.TroponinPolicy`` (which imports pandas), passed on by value."""

    universal = "universal"
    sex_specific = "sex-specific"


class EscEdition(enum.StrEnum):
    """``--esc-edition``: the choices of ``features.EscEdition`` (which imports pandas), passed on by value."""

    esc2020 = "2020"
    esc2015 = "2015"


# The same --scheduler for every command that takes --engine dask.
SchedulerOption = Annotated[
    str | None, typer.Option(help="Dask scheduler address (default: a LocalCluster on this machine).")
]

P = ParamSpec("P")
R = TypeVar("R")

stdout = Console(width=None if sys.stdout.isatty() else 160)
stderr = Console(stderr=True)


def one_line_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Turn a :class:`TriageError` into ``Error: ...`` on stderr and exit status 1, never a traceback."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except TriageError as error:
            stderr.print(f"[bold red]Error:[/] {escape(str(error))}", highlight=False, soft_wrap=True)
            raise typer.Exit(1) from None

    return wrapper


def progress_bar(console: Console = stderr, *, time_remaining: bool = True) -> Progress:
    """A rich progress bar on stderr (so stdout stays clean for tables), hidden when stderr is not a terminal."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        *([TimeRemainingColumn()] if time_remaining else []),
        console=console,
        transient=False,
        disable=not console.is_terminal,
    )
