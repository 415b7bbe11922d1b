"""Simulating and writing cohorts, as ratios measured in one run on this machine.

1. Throughput: ``write_cohort`` on 1,000,000 rows vs a baseline that only draws the same number of random values
   with numpy and writes them to Parquet (same compression). Goal: at most 3x.
2. Memory: peak resident memory of ``triage simulate`` in a child process at 1,000,000 and 10,000,000 rows
   (chunked writing keeps it flat; the ratio should stay near 1).

Usage: python benchmarks/bench_simulate.py [--rows 1000000] [--big-rows 10000000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from _timing import best_of  # noqa: I001  (benchmarks/ is the script directory)

from simulation import SCENARIO_DIR, load_scenario, write_cohort
from simulation._streams import ChunkStreams

ROOT = Path(__file__).resolve().parent.parent


def count_draws(n: int) -> int:
    """Random values the simulator draws for ``n`` rows (instrumented, not assumed)."""
    drawn = 0
    original = ChunkStreams._draw

    def counting(self, name, draw):
        nonlocal drawn
        out = original(self, name, draw)
        drawn += out.size
        return out

    ChunkStreams._draw = counting
    try:
        with tempfile.TemporaryDirectory() as tmp:
            write_cohort(load_scenario(SCENARIO_DIR / "default.yaml"), n, 0, f"{tmp}/c.parquet")
    finally:
        ChunkStreams._draw = original
    return drawn


def baseline(n: int, values: int, out: str) -> None:
    """Draw ``values`` random numbers in row chunks and write them as float64 columns to Parquet."""
    per_row = values // n
    rng = np.random.default_rng(0)
    schema = pa.schema([(f"v{i}", pa.float64()) for i in range(per_row)])
    with pq.ParquetWriter(out, schema, compression="zstd") as writer:
        for start in range(0, n, 262_144):
            rows = min(262_144, n - start)
            block = rng.random((rows, per_row))
            writer.write_table(pa.Table.from_arrays([pa.array(block[:, i]) for i in range(per_row)], schema=schema))


def peak_rss_mib(n: int) -> float:
    """Peak RSS of a child ``triage simulate`` run (MiB)."""
    with tempfile.TemporaryDirectory() as tmp:
        code = (
            "import resource, sys; from triage.cli import app; "
            "sys.argv=['triage','simulate','--config',sys.argv[1],'--n',sys.argv[2],'--out',sys.argv[3],'--no-summary'];"
            "\ntry:\n    app()\nexcept SystemExit:\n    pass\n"
            "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
        )
        result = subprocess.run(
            [sys.executable, "-c", code, str(SCENARIO_DIR / "default.yaml"), str(n), f"{tmp}/c.parquet"],
            capture_output=True,
            text=True,
            check=True,
        )
        return int(result.stdout.strip().splitlines()[-1]) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--big-rows", type=int, default=10_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    n = args.rows
    cfg = load_scenario(SCENARIO_DIR / "default.yaml")
    values = count_draws(n)
    with tempfile.TemporaryDirectory() as tmp:
        sim = best_of(args.repeats, lambda: write_cohort(cfg, n, 0, f"{tmp}/sim.parquet"))
        base = best_of(args.repeats, lambda: baseline(n, values, f"{tmp}/base.parquet"))
    print(f"rows: {n:,}; random values drawn by the simulator: {values:,} ({values / n:.0f} per row)")
    print(f"simulate+write / baseline(draw same count + write Parquet): {sim / base:.2f}x (goal <= 3x)")
    print(f"  (best of {args.repeats}: simulator {sim:.2f} s, baseline {base:.2f} s; seconds are noisy here)")
    small, big = peak_rss_mib(n), peak_rss_mib(args.big_rows)
    print(
        f"peak RSS of `triage simulate`: {small:.0f} MiB at {n:,} rows, {big:.0f} MiB at {args.big_rows:,} rows "
        f"(ratio {big / small:.2f} for {args.big_rows / n:.0f}x the rows)"
    )


if __name__ == "__main__":
    main()
