"""``engine: dask``: every sweep point is one Dask task (imported only on this path; needs the ``scale`` extra).

The client submits all points at once, with an upstream future as the argument of a point that needs another's
result (:class:`experiments._engine.Ref`), advances the progress bar as futures complete and returns the results
in the points' order, so the reduction is the local one, unchanged. A failed task re-raises its own error here
and the remaining tasks are cancelled, so a shared cluster is not left busy with a run nobody will read.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from chestpain.experiments._common import Progress, tracker
from chestpain.experiments._config import NEED_SCALE_EXTRA
from chestpain.experiments._engine import Point, Ref, plain
from chestpain.kernel.errors import TriageError


def task_keys(name: str, points: Sequence[Point]) -> dict[str, str]:
    """``experiment-NAME-LABEL-TOKEN`` for every point; the token covers its function and (plain) arguments."""
    import dask
    from dask.base import tokenize

    keys: dict[str, str] = {}
    # Fail loudly rather than fall back to a random token if some argument cannot be hashed deterministically.
    with dask.config.set({"tokenize.ensure-deterministic": True}):
        for point in points:
            token = tokenize(point.run, plain(point.args, keys))
            keys[point.label] = f"experiment-{name}-{point.label}-{token}"
    return keys


def run_points_dask(config: Any, points: Sequence[Point], *, progress: Progress | None, description: str) -> list[Any]:
    """Submit one task per point on ``config.scheduler`` (or a LocalCluster) and gather them in order."""
    try:
        from distributed import as_completed
    except ImportError:
        raise TriageError(NEED_SCALE_EXTRA) from None
    from chestpain.kernel.cluster import dask_client

    keys = task_keys(config.name, points)
    units = {keys[point.label]: point.units for point in points}
    advance = tracker(progress, f"{description} (dask, {len(points)} tasks)", sum(units.values()))
    with dask_client(config.scheduler) as client:
        futures: dict[str, Any] = {}
        try:
            for point in points:
                args = [futures[a.label] if isinstance(a, Ref) else a for a in point.args]
                futures[point.label] = client.submit(point.run, *args, key=keys[point.label])
            done: dict[str, Any] = {}
            for future in as_completed(list(futures.values())):
                done[future.key] = future.result()
                advance(units[future.key])
        except BaseException:
            client.cancel(list(futures.values()))
            raise
    return [done[keys[point.label]] for point in points]
