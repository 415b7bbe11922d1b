"""The Dask simulation engine: the same cohort as :func:`simulation.write_cohort`, as partitioned Parquet.

How partitions and seeds work
-----------------------------
Rows are generated in fixed blocks of :data:`BLOCK_ROWS` and every named random stream of every block has its
own generator, ``SeedSequence(seed, spawn_key=(block, stream_key(name)))`` (``chestpain/kernel/seeding.py``).
A partition is ``partition_blocks`` consecutive blocks, so partition ``i`` covers rows
``[i * partition_blocks * BLOCK_ROWS, ...)`` and one Dask task simulates and writes it. Because a row's draws
depend only on the run seed and the row's block, the rows are identical to the in-memory engine's for the same
seed, whatever the number of partitions, workers or retries (a retried task rewrites the same bytes).

Output layout (``DIR/``)::

    part-00000.parquet ... part-NNNNN.parquet   one file per partition, one row group per block
    _triage.json                                 n, seed, scenario, partition_blocks, files (ignored by readers)

The directory is written under a temporary name beside ``DIR`` and renamed into place at the end, so a failed
run leaves nothing behind; an existing ``DIR`` is replaced only if it is itself a cohort directory.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from chestpain.features.columns import COHORT_SCHEMA
from chestpain.kernel.errors import TriageError
from chestpain.kernel.io import PARTIAL_TAKEN
from chestpain.simulation._generator import DEFAULT_CHUNK_BLOCKS, cohort_schema_for, simulate_chunk
from chestpain.simulation._params import ScenarioConfig
from chestpain.simulation._streams import BLOCK_ROWS
from chestpain.simulation.calibration import CalibrationSummary

# The dask engine's size limit: 2**31 rows keeps every partition index, block index and patient_id far inside
# their integer types and is ~220 GB of Parquet; beyond it, split the run into several seeds.
DASK_MAX_ROWS = 2**31
# 16 blocks = 1,048,576 rows per partition: ~110 MB of Parquet and ~0.5 GB peak memory per task.
DEFAULT_PARTITION_BLOCKS = 16
MANIFEST = "_triage.json"

BAD_SIZE = "--n must be between 1 and {limit:,} for the dask engine, got {n:,}"
NOT_A_COHORT_DIR = "--out {out} exists and is not a cohort directory written by the dask engine; refusing to replace it"


@dataclass(frozen=True)
class Partition:
    """One task's share of the rows."""

    index: int
    first_row: int
    n_rows: int

    @property
    def file_name(self) -> str:
        return f"part-{self.index:05d}.parquet"


def check_dask_size(n: int) -> None:
    """Refuse sizes outside ``1..DASK_MAX_ROWS``."""
    if not 1 <= n <= DASK_MAX_ROWS:
        raise TriageError(BAD_SIZE.format(limit=DASK_MAX_ROWS, n=n))


def plan_partitions(n: int, partition_blocks: int = DEFAULT_PARTITION_BLOCKS) -> list[Partition]:
    """Partitions of ``partition_blocks`` blocks each (the last one shorter); each starts on a block boundary."""
    check_dask_size(n)
    if partition_blocks < 1:
        raise TriageError("partition_blocks must be at least 1")
    step = partition_blocks * BLOCK_ROWS
    return [Partition(i, first, min(step, n - first)) for i, first in enumerate(range(0, n, step))]


def _simulate_partition(
    cfg: ScenarioConfig, seed: int, part: Partition, folder: str, schema: pa.Schema = COHORT_SCHEMA
) -> CalibrationSummary:
    """Simulate one partition chunk by chunk (bounded memory) into ``folder/part-i.parquet``.

    ``schema`` carries the whole cohort's provenance (scenario, seed, total rows), the same in every part.
    """
    summary = CalibrationSummary()
    step = DEFAULT_CHUNK_BLOCKS * BLOCK_ROWS
    path = Path(folder) / part.file_name
    with pq.ParquetWriter(path, schema, compression="zstd") as writer:
        for first in range(part.first_row, part.first_row + part.n_rows, step):
            table = simulate_chunk(cfg, seed, first, min(step, part.first_row + part.n_rows - first))
            writer.write_table(table, row_group_size=BLOCK_ROWS)
            summary.update(table)
    return summary


def merge_summaries(summaries: list[CalibrationSummary]) -> CalibrationSummary:
    """Add up per-partition calibration counts (every entry is a count, so the sum is exact)."""
    total = CalibrationSummary()
    for part in summaries:
        for key, value in part.counts.items():
            total.counts[key] = total.counts.get(key, 0) + value
        total.oracle_hist += part.oracle_hist
        total.seconds_hist += part.seconds_hist
        total.max_seconds = max(total.max_seconds, part.max_seconds)
    return total


def _install(tmp: Path, out: Path) -> None:
    """Rename ``tmp`` onto ``out``; an existing cohort directory at ``out`` is swapped out, then removed."""
    if not out.exists():
        os.replace(tmp, out)
        return
    if not (out / MANIFEST).is_file():
        raise TriageError(NOT_A_COHORT_DIR.format(out=out))
    old = out.with_name(f".{out.name}.{os.getpid()}.old")
    os.replace(out, old)
    os.replace(tmp, out)
    shutil.rmtree(old, ignore_errors=True)


def write_cohort_dask(
    cfg: ScenarioConfig,
    n: int,
    seed: int,
    out: str | os.PathLike[str],
    *,
    client: Any,
    partition_blocks: int = DEFAULT_PARTITION_BLOCKS,
    on_partition: Callable[[int], None] | None = None,
) -> CalibrationSummary:
    """Simulate ``n`` visits on a Dask cluster into the directory ``out``, one Parquet file per partition.

    Parameters
    ----------
    cfg : ScenarioConfig
        The scenario.
    n : int
        Rows, ``1..DASK_MAX_ROWS``.
    seed : int
        Run seed; the rows equal :func:`simulation.write_cohort`'s for the same seed.
    out : path-like
        Output directory (must be on a filesystem every worker sees).
    client : dask.distributed.Client
        Where the tasks run.
    partition_blocks : int, default=16
        Blocks of ``BLOCK_ROWS`` rows per partition (and per task).
    on_partition : callable, optional
        Called with the row count of each finished partition (progress bars).

    Returns
    -------
    CalibrationSummary
        The calibration counts of the whole cohort, reduced from the partitions.
    """
    from dask.distributed import as_completed

    if seed < 0:
        raise TriageError(f"--seed must be a non-negative integer, got {seed}")
    parts = plan_partitions(n, partition_blocks)
    out = Path(out)
    if out.exists() and not (out / MANIFEST).is_file():
        raise TriageError(NOT_A_COHORT_DIR.format(out=out))
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)  # our own leftover (this pid); never follows a link
    try:
        tmp.mkdir()  # exclusive: a file or link planted at this name refuses the run, it is never written through
    except FileExistsError:
        raise TriageError(PARTIAL_TAKEN.format(out=out, partial=tmp.name)) from None
    futures: list[Any] = []
    try:
        run = uuid.uuid4().hex[:12]
        schema = cohort_schema_for(cfg, n, seed)
        futures = [
            client.submit(_simulate_partition, cfg, seed, part, str(tmp), schema, key=f"simulate-{run}-{part.index}")
            for part in parts
        ]
        rows = {future.key: part.n_rows for future, part in zip(futures, parts, strict=True)}
        # Each partition's summary holds ~2 MB of histograms: add it to a running total and release it at once, so
        # neither the workers nor this client keep one per partition (memory would grow with n).
        total = CalibrationSummary()
        for future in as_completed(futures):
            total = merge_summaries([total, future.result()])
            future.release()
            if on_partition is not None:
                on_partition(rows[future.key])
        manifest = {
            "format": "chest-pain-triage cohort, partitioned",
            "n": n,
            "seed": seed,
            "scenario": cfg.name,
            "block_rows": BLOCK_ROWS,
            "partition_blocks": partition_blocks,
            "files": [part.file_name for part in parts],
        }
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2))
        _install(tmp, out)
    finally:
        _discard(tmp, client, futures)
    return total


def _discard(tmp: Path, client: Any, futures: list[Any]) -> None:
    """Remove the temporary directory, even while cancelled tasks are still finishing files inside it."""
    if tmp.exists() and futures:
        client.cancel(futures)
    for _ in range(60):
        shutil.rmtree(tmp, ignore_errors=True)
        if not tmp.exists():
            return
        time.sleep(0.5)


def cohort_files(path: str | os.PathLike[str]) -> list[Path]:
    """The Parquet files of a cohort: the file itself, or a directory's ``part-*.parquet`` in row order."""
    path = Path(path)
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise TriageError(f"{path}: no such file or directory")
    files = sorted(path.glob("*.parquet"))
    if not files:
        raise TriageError(f"{path}: a cohort directory needs *.parquet files, found none")
    return files
