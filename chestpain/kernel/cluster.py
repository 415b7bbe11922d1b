"""Connecting to a Dask cluster for the ``--engine dask`` paths (optional: ``pip install '.[scale]'``).

Without ``--scheduler`` a :class:`dask.distributed.LocalCluster` is started for the duration of one command
(one single-threaded worker process per core, so numpy and XGBoost do not oversubscribe); with
``--scheduler tcp://host:8786`` the command becomes a client of a running cluster and leaves it running.
Workers must see the input and output paths under the same names (a shared filesystem).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import Any

from chestpain.kernel.errors import TriageError

NEED_SCALE_EXTRA = "the dask engine needs the optional 'scale' dependencies: pip install 'chest-pain-triage[scale]'"


def require_dask() -> None:
    """Raise a one-line :class:`TriageError` when dask.distributed is not installed."""
    try:
        import dask.distributed  # noqa: F401
    except ImportError:
        raise TriageError(NEED_SCALE_EXTRA) from None


@contextlib.contextmanager
def dask_client(scheduler: str | None = None, *, n_workers: int | None = None) -> Iterator[Any]:
    """A ``dask.distributed.Client``: to ``scheduler`` if given, else to a LocalCluster closed on exit."""
    require_dask()
    from dask.distributed import Client, LocalCluster

    if scheduler:
        try:
            client = Client(scheduler, timeout="20s")
        except OSError as error:
            raise TriageError(f"--scheduler {scheduler}: cannot connect ({error})") from None
        with client:
            yield client
        return
    workers = n_workers or max(1, min(os.cpu_count() or 1, 8))
    with (
        LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",
            silence_logs=40,
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client
