"""The local engine: points run in order, references resolve, the progress bar ends full (no Dask needed)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from rich.progress import Progress

from chestpain.experiments._engine import Point, Ref, Report, run_points

LOCAL = SimpleNamespace(engine="local", name="t")


def add(a: int, b: int, report: Report) -> int:
    report.advance(1)  # partial progress; the engine tops the point up to its units
    return a + b


def test_points_run_in_order_with_references():
    points = [Point("x", add, (1, 2), units=5), Point("y", add, (Ref("x"), 10), units=3)]
    with Progress(disable=True) as progress:
        assert run_points(LOCAL, points, progress=progress, description="adding") == [3, 13]
        (task,) = progress.tasks
        assert task.completed == task.total == 8


def test_labels_must_be_unique():
    with pytest.raises(ValueError, match="unique"):
        run_points(LOCAL, [Point("x", add, (1, 2)), Point("x", add, (3, 4))], progress=None, description="")
