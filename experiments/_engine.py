"""Where an experiment's sweep points run: one after another in this process, or one Dask task each.

A study is a list of :class:`Point` s (a scenario, a grid cell, a seed, an arm, a held-out site) and a reduction
over their results in list order. A point's function gets fully resolved inputs (scenario and training configs,
data tables) and derives all its randomness from them, through the experiment seed and stable stream names
(``chestpain/kernel/seeding.py``), never from the order or the process it runs in. ``engine: dask`` therefore runs the
same functions on the same arguments as ``engine: local`` and the results are identical, not just close.
Everything is resolved in the client, so workers read no config file and no data source; they need only this
package installed.

Task keys are stable: ``experiment-NAME-LABEL-TOKEN``, where the token hashes the function and its arguments
(configs by their JSON, an upstream point by its key). The same inputs give the same key in any process, and two
runs that differ in anything that changes a number never share a key on a shared scheduler.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from chestpain.experiments._common import Advance, Progress, tracker


def _ignore(amount: float = 1) -> None:
    """No progress display."""


@dataclass(frozen=True)
class Report:
    """Where a point reports while it runs locally: nested bars (training rounds) and ``advance(units)``.

    On Dask workers points get :data:`SILENT`; the client's bar advances as their futures complete.
    """

    progress: Progress | None = None
    advance: Advance = _ignore


SILENT = Report()


@dataclass(frozen=True)
class Ref:
    """The result of an earlier point of the same run, used as an argument (a paired reference arm, a model).

    Locally it is the value; on Dask the upstream future, so the dependent task starts as soon as it is ready.
    """

    label: str


@dataclass(frozen=True)
class Point:
    """One sweep point: ``run(*args, report=...)`` is its whole computation.

    ``units`` is its share of the progress bar (visits simulated, or trainings) and ``label`` names it in task
    keys, unique within a run.
    """

    label: str
    run: Callable[..., Any]
    args: tuple[Any, ...] = ()
    units: float = 1


def run_points(config: Any, points: Sequence[Point], *, progress: Progress | None, description: str) -> list[Any]:
    """Every point's result, in the order of ``points``, computed where ``config.engine`` says."""
    labels = [point.label for point in points]
    if len(set(labels)) != len(labels):
        raise ValueError(f"point labels must be unique: {labels}")
    if config.engine == "dask":
        from chestpain.experiments._dask import run_points_dask

        return run_points_dask(config, points, progress=progress, description=description)
    return _run_local(points, progress, description)


def _run_local(points: Sequence[Point], progress: Progress | None, description: str) -> list[Any]:
    advance = tracker(progress, description, sum(point.units for point in points))
    results: dict[str, Any] = {}
    for point in points:
        done = 0.0

        def counted(amount: float = 1) -> None:
            nonlocal done
            done += amount
            advance(amount)

        args = [results[a.label] if isinstance(a, Ref) else a for a in point.args]
        results[point.label] = point.run(*args, report=Report(progress, counted))
        if done < point.units:
            advance(point.units - done)
    return [results[label] for label in (point.label for point in points)]


def plain(value: Any, keys: dict[str, str]) -> Any:
    """``value`` with configs as JSON and references as their upstream key: what a stable task key hashes.

    pydantic models pickle with a ``set`` of field names whose order changes between processes, so hashing them
    raw would give a different key in every run.
    """
    if isinstance(value, BaseModel):
        return (type(value).__qualname__, value.model_dump(mode="json"))
    if isinstance(value, Ref):
        return ("ref", keys[value.label])
    if isinstance(value, list | tuple):
        return type(value)(plain(v, keys) for v in value)
    if isinstance(value, dict):
        return {k: plain(v, keys) for k, v in value.items()}
    return value
