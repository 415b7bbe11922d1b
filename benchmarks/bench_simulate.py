"""``chestpain simulate`` as users run it: a whole process, as a ratio to the least such a process can take.

1. Simulator: ``chestpain simulate --config configs/simulation/default.yaml --n ROWS --out X.parquet`` (calibration
   table included, as by default), a fresh process: imports, simulation, the per-chunk calibration tally, writing.
2. Floor: a fresh process that imports numpy and pyarrow, draws as many random values as the simulator draws
   (counted by instrumenting its streams, not assumed) in the same chunks, and writes them as the simulator's own
   output table (``features.columns.COHORT_SCHEMA``: the same columns and types, strings via dictionary codes) with
   the same row groups and compression (zstd). Goal: simulator <= 2x the floor.
3. The share of the simulator's time spent importing: a process that only imports what ``chestpain simulate`` does.

Wall seconds are best of ``--repeats``, runs alternating so machine load hits both alike; CPU seconds (user + sys
of the child) are printed too, as they move less with load on a shared machine. Peak RSS is the simulator
process's; ``--big-rows N`` adds a run at N rows to show that memory stays flat (never 10,000,000 on a shared
2-core machine).

Usage: python benchmarks/bench_simulate.py [--rows 1000000] [--repeats 3] [--big-rows 0]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TRIAGE = Path(sys.executable).with_name("chestpain")
CONFIG = ROOT / "configs" / "simulation" / "default.yaml"

FLOOR = """
import sys
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from chestpain.features.columns import COHORT_SCHEMA

n, per_row, out, chunk, group = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
rng = np.random.default_rng(0)
labels = pa.array(["a", "b", "c", "d"])


def column(values, kind):
    if pa.types.is_floating(kind):
        return pa.array(values, type=kind)
    if pa.types.is_integer(kind):
        return pa.array((values * 100).astype(kind.to_pandas_dtype()), type=kind)
    if pa.types.is_boolean(kind):
        return pa.array(values < 0.5)
    codes = pa.array((values * 4).astype(np.int32))
    return pa.DictionaryArray.from_arrays(codes, labels).cast(kind)


with pq.ParquetWriter(out, COHORT_SCHEMA, compression="zstd") as writer:
    for start in range(0, n, chunk):
        rows = min(chunk, n - start)
        block = rng.random((rows, per_row))
        arrays = [column(block[:, i % per_row], f.type) for i, f in enumerate(COHORT_SCHEMA)]
        writer.write_table(pa.Table.from_arrays(arrays, schema=COHORT_SCHEMA), row_group_size=group)
"""
IMPORTS = (
    "import chestpain.simulation, chestpain.simulation._generator, chestpain.simulation.calibration, "
    "chestpain.kernel.io, chestpain.cli.main"
)


def draws_per_row() -> float:
    """Random values the simulator draws per row, counted on one chunk (every row draws the same streams)."""
    from chestpain.simulation import SCENARIO_DIR, load_scenario, simulate_chunk
    from chestpain.simulation._generator import DEFAULT_CHUNK_BLOCKS
    from chestpain.simulation._streams import BLOCK_ROWS, ChunkStreams

    drawn = 0
    original = ChunkStreams._draw

    def counting(self, name, draw):
        nonlocal drawn
        out = original(self, name, draw)
        drawn += out.size
        return out

    rows = DEFAULT_CHUNK_BLOCKS * BLOCK_ROWS
    ChunkStreams._draw = counting
    try:
        simulate_chunk(load_scenario(SCENARIO_DIR / "default.yaml"), 0, 0, rows)
    finally:
        ChunkStreams._draw = original
    return drawn / rows


def run(command: list[str]) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds (user + sys) and peak RSS (MiB) of one child process."""
    env = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true", "PYTHONPATH": str(ROOT)}
    with tempfile.TemporaryFile() as errors:
        start = time.perf_counter()
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=errors)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode:
            errors.seek(0)
            raise SystemExit(f"{' '.join(command[:3])} ... failed: {errors.read().decode()[-2000:]}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--big-rows", type=int, default=0, help="also the peak RSS at this many rows (0: skip)")
    args = parser.parse_args()
    from chestpain.simulation._generator import DEFAULT_CHUNK_BLOCKS
    from chestpain.simulation._streams import BLOCK_ROWS

    per_row = draws_per_row()
    n = args.rows
    with tempfile.TemporaryDirectory() as tmp:
        simulate = [str(TRIAGE), "simulate", "--config", str(CONFIG), "--n", str(n), "--out", f"{tmp}/sim.parquet"]
        chunk = str(DEFAULT_CHUNK_BLOCKS * BLOCK_ROWS)
        floor = [sys.executable, "-c", FLOOR, str(n), str(round(per_row)), f"{tmp}/floor.parquet", chunk]
        floor.append(str(BLOCK_ROWS))
        imports = [sys.executable, "-c", IMPORTS]
        runs: dict[str, list[tuple[float, float, float]]] = {"sim": [], "floor": [], "imports": []}
        run(imports)  # warm the file cache for all alike
        for _ in range(args.repeats):
            runs["sim"].append(run(simulate))
            runs["floor"].append(run(floor))
            runs["imports"].append(run(imports))
        big = run([*simulate[:5], str(args.big_rows), *simulate[6:]]) if args.big_rows else None
        floor_size = Path(f"{tmp}/floor.parquet").stat().st_size
        sim_size = Path(f"{tmp}/sim.parquet").stat().st_size

    def best(name: str, i: int) -> float:
        return min(r[i] for r in runs[name])

    print(f"rows {n:,}; random values the simulator draws: {per_row:.1f} per row; load {os.getloadavg()[0]:.1f}")
    print(
        f"`chestpain simulate` process / floor process: wall {best('sim', 0) / best('floor', 0):.2f}x "
        f"(best {best('sim', 0):.2f} s vs {best('floor', 0):.2f} s), CPU {best('sim', 1) / best('floor', 1):.2f}x "
        f"({best('sim', 1):.2f} s vs {best('floor', 1):.2f} s); goal <= 2x"
    )
    print(
        f"  imports alone: {best('imports', 0):.2f} s wall = {best('imports', 0) / best('sim', 0):.0%} of the "
        f"simulator process; files {sim_size / 2**20:.1f} MiB (simulator) vs {floor_size / 2**20:.1f} MiB (floor)"
    )
    print(f"  peak RSS of `chestpain simulate`: {min(r[2] for r in runs['sim']):.0f} MiB at {n:,} rows")
    if big:
        print(f"  peak RSS at {args.big_rows:,} rows: {big[2]:.0f} MiB (flat if near the figure above)")


if __name__ == "__main__":
    main()
