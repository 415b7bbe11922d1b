"""Peak memory of ``chestpain predict`` at 200,000 and 2,000,000 rows: streaming keeps it flat (goal: ratio <= 1.5).

Trains a small XGBoost model (100 trees) on a simulated 100,000-visit cohort, simulates 2,000,000 more visits,
writes them as CSV (the first 200,000 rows as a second file), then runs ``chestpain predict`` (reasons included) on
each file in a child process and reads that child's own peak resident memory (``VmHWM`` from /proc, which a child
does not inherit from its parent, unlike ``ru_maxrss``). With ``--in-memory`` it also measures the previous code
path (read the whole file, validate, score) on the small file, for comparison.

Usage: python benchmarks/bench_predict_memory.py [--small 200000] [--large 2000000] [--in-memory]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow.csv as pacsv
import pyarrow.parquet as pq

REPO = Path(__file__).resolve().parents[1]
TRIAGE = [sys.executable, "-c", "from chestpain.cli.main import main; main()"]

# Runs in the child: its own peak RSS is printed at exit, whatever the command's outcome.
_PEAK_WRAPPER = """
import atexit, sys
def _peak():
    for line in open('/proc/self/status'):
        if line.startswith('VmHWM:'):
            sys.stderr.write('PEAK_KIB=' + line.split()[1] + '\\n')
atexit.register(_peak)
"""
_STREAMING = _PEAK_WRAPPER + "from chestpain.cli.main import main; sys.argv = ['chestpain', *sys.argv[1:]]; main()"
_IN_MEMORY = (
    _PEAK_WRAPPER
    + """
from chestpain.features import read_table, write_table
from chestpain.models import load_model
from chestpain.models._batch import predict_file
model, data, out = sys.argv[1:4]
write_table(predict_file(load_model(model), read_table(data)), out)
"""
)


def run(command: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command[:4])}... failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}")
    return done


def peak_mib(code: str, args: list[str], env: dict[str, str]) -> tuple[float, float]:
    start = time.perf_counter()
    done = run([sys.executable, "-c", code, *args], env)
    seconds = time.perf_counter() - start
    line = next(line for line in done.stderr.splitlines() if line.startswith("PEAK_KIB="))
    return int(line.split("=")[1]) / 1024, seconds


def to_csv(parquet: Path, out: Path, rows: int) -> None:
    """Parquet -> CSV one row group at a time (bounded memory), the first ``rows`` rows."""
    source = pq.ParquetFile(parquet)
    written = 0
    with pacsv.CSVWriter(out, source.schema_arrow) as writer:
        for batch in source.iter_batches(batch_size=65_536):
            batch = batch.slice(0, rows - written)
            writer.write_batch(batch)
            written += batch.num_rows
            if written >= rows:
                break


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", type=int, default=200_000)
    parser.add_argument("--large", type=int, default=2_000_000)
    parser.add_argument("--train-rows", type=int, default=100_000)
    parser.add_argument("--in-memory", action="store_true", help="also measure the whole-file path on --small")
    args = parser.parse_args()
    env = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true"}
    config = str(REPO / "configs/simulation/default.yaml")
    with tempfile.TemporaryDirectory(prefix="bench-predict-") as tmp:
        work = Path(tmp)
        env["MLFLOW_TRACKING_URI"] = f"sqlite:///{work / 'mlflow.db'}"
        run(
            [
                *TRIAGE,
                "simulate",
                "--config",
                config,
                "--n",
                str(args.train_rows),
                "--seed",
                "1",
                "--out",
                str(work / "train.parquet"),
                "--no-summary",
            ],
            env,
        )
        run(
            [
                *TRIAGE,
                "train",
                "--config",
                str(REPO / "configs/train/xgboost.yaml"),
                "--data",
                str(work / "train.parquet"),
                "--out",
                str(work / "model"),
                "--set",
                "model.params.n_estimators=100",
                "--set",
                "tracking.enabled=false",
            ],
            env,
        )
        run(
            [
                *TRIAGE,
                "simulate",
                "--config",
                config,
                "--n",
                str(args.large),
                "--seed",
                "2",
                "--out",
                str(work / "visits.parquet"),
                "--no-summary",
            ],
            env,
        )
        sizes = {}
        for rows in (args.small, args.large):
            path = work / f"visits_{rows}.csv"
            to_csv(work / "visits.parquet", path, rows)
            sizes[rows] = path
        results = {}
        for rows, path in sizes.items():
            out = work / f"pred_{rows}.csv"
            peak, seconds = peak_mib(
                _STREAMING, ["predict", "--model", str(work / "model"), "--data", str(path), "--out", str(out)], env
            )
            results[rows] = peak
            mb = path.stat().st_size / 1e6
            print(f"chestpain predict, {rows:>9,} rows ({mb:,.0f} MB CSV): peak RSS {peak:,.0f} MiB, {seconds:.0f} s")
        if args.in_memory:
            peak, seconds = peak_mib(
                _IN_MEMORY, [str(work / "model"), str(sizes[args.small]), str(work / "pred_mem.csv")], env
            )
            print(f"whole-file path (before), {args.small:,} rows: peak RSS {peak:,.0f} MiB, {seconds:.0f} s")
        ratio = results[args.large] / results[args.small]
        print(f"ratio of peaks {args.large:,} / {args.small:,} rows: {ratio:.2f} (goal <= 1.5)")


if __name__ == "__main__":
    main()
