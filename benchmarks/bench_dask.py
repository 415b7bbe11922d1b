"""Dask engine at scale: simulation throughput and per-worker peak memory, and a 1,000-resample audit.

    python benchmarks/bench_dask.py simulate --sizes 10000000 50000000 100000000 [--workdir DIR]
    python benchmarks/bench_dask.py audit --rows 50000000 [--workdir DIR]
    python benchmarks/bench_dask.py train --rows 2000000 [--workdir DIR]

Each simulation size gets a fresh two-worker LocalCluster, so a worker's peak RSS (``VmHWM``, see ``_peak_mib``)
belongs to that size only. The local engine is timed once, at the first size (at most 10M rows: its limit), with the
calibration tally the CLI computes. ``BENCH_KEEP=50000000`` keeps that cohort for the audit run. The audit times
one pass over the data (score + reduce to cells, no bootstrap) and the full audit (n_boot=1000). ``train`` times
the local trainer (in memory) and ``xgboost.dask`` on the same rows and scores both on an independent cohort.
Prints ratios, not only seconds. Not a test: numbers depend on the machine.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")


def _peak_mib() -> float:
    """This process's peak resident memory since it started its program.

    ``VmHWM`` (Linux) rather than ``ru_maxrss``: a spawned worker inherits its parent's ``ru_maxrss`` across
    ``exec``, so a worker started by a large client process would report the client's memory as its own.
    """
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _dir_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.glob("*.parquet"))


def bench_simulate(sizes: list[int], workdir: Path, workers: int, seed: int) -> None:
    from chestpain.kernel.cluster import dask_client
    from chestpain.simulation import CalibrationSummary, load_scenario, write_cohort
    from chestpain.simulation._dask_engine import write_cohort_dask

    cfg = load_scenario(ROOT / "configs" / "simulation" / "default.yaml")
    local_n = min(sizes[0], 10_000_000)
    tally = CalibrationSummary()  # the local CLI tallies the calibration table as it writes; so does the dask engine
    start = time.perf_counter()
    write_cohort(cfg, local_n, seed, str(workdir / "local.parquet"), on_chunk=tally.update)
    local_rate = local_n / (time.perf_counter() - start)
    (workdir / "local.parquet").unlink()
    print(f"local engine: {local_n:,} rows at {local_rate:,.0f} rows/s (1 process, with calibration tally)", flush=True)
    print(f"{'rows':>13} {'seconds':>8} {'rows/s':>11} {'vs local':>8} {'peak MiB/worker':>16} {'GB parquet':>10}")
    for n in sizes:
        out = workdir / f"cohort_{n}"
        with dask_client(n_workers=workers) as client:
            start = time.perf_counter()
            write_cohort_dask(cfg, n, seed, out, client=client)
            seconds = time.perf_counter() - start
            peaks = client.run(_peak_mib)
        rate = n / seconds
        per_worker = ", ".join(f"{v:,.0f}" for v in sorted(peaks.values()))
        print(
            f"{n:>13,} {seconds:>8.1f} {rate:>11,.0f} {rate / local_rate:>7.2f}x {per_worker:>16} "
            f"{_dir_bytes(out) / 1e9:>10.2f}",
            flush=True,
        )
        if str(n) not in os.environ.get("BENCH_KEEP", "").split(","):
            shutil.rmtree(out)


def bench_audit(rows: int, workdir: Path, workers: int, n_boot: int) -> None:
    from chestpain.kernel.cluster import dask_client
    from chestpain.models import load_train_config, prepare, train
    from chestpain.models._dask_audit import audit_partitioned, reduce_cells
    from chestpain.simulation import load_scenario, simulate_frame
    from chestpain.simulation._dask_engine import write_cohort_dask

    cfg = load_scenario(ROOT / "configs" / "simulation" / "default.yaml")
    tcfg = load_train_config(ROOT / "configs" / "train" / "xgboost.yaml", [])
    frame = simulate_frame(cfg, 200_000, 99)
    model = train(prepare(frame, tcfg), tcfg, workdir / "model").model
    data = workdir / f"cohort_{rows}"  # kept by `BENCH_KEEP=<rows> ... simulate`, else simulated here
    with dask_client(n_workers=workers) as client:
        if not data.exists():
            start = time.perf_counter()
            write_cohort_dask(cfg, rows, 1, data, client=client)
            print(f"simulated {rows:,} rows in {time.perf_counter() - start:.1f} s", flush=True)
        start = time.perf_counter()
        reduce_cells(model, data, client=client)
        one_pass = time.perf_counter() - start
        start = time.perf_counter()
        audit_partitioned(model, data, client=client, n_boot=n_boot, seed=0)
        full = time.perf_counter() - start
    print(f"audit of {rows:,} rows on {workers} workers: one pass (score + reduce) {one_pass:.1f} s")
    print(f"full audit, n_boot={n_boot}: {full:.1f} s = {full / one_pass:.2f}x one pass")


def bench_train(rows: int, workdir: Path, workers: int) -> None:
    from sklearn.metrics import roc_auc_score

    from chestpain.kernel.cluster import dask_client
    from chestpain.models import TriageModel, load_train_config, prepare, train
    from chestpain.models._dask_training import train_dask
    from chestpain.simulation import load_scenario, simulate_frame
    from chestpain.simulation._dask_engine import write_cohort_dask

    cfg = load_scenario(ROOT / "configs" / "simulation" / "default.yaml")
    tcfg = load_train_config(ROOT / "configs" / "train" / "xgboost.yaml", [])
    data = workdir / f"train_cohort_{rows}"
    frame = simulate_frame(cfg, rows, 3)
    start = time.perf_counter()
    local = train(prepare(frame, tcfg), tcfg, workdir / "local_model")
    local_seconds = time.perf_counter() - start
    del frame
    local_peak = _peak_mib()
    with dask_client(n_workers=workers) as client:
        write_cohort_dask(cfg, rows, 3, data, client=client)
        start = time.perf_counter()
        distributed = train_dask(data, tcfg, workdir / "dask_model", client=client)
        dask_seconds = time.perf_counter() - start
        peaks = client.run(_peak_mib)
    holdout = simulate_frame(cfg, 200_000, 4)
    aurocs = []
    for result in (local, distributed):
        model = TriageModel.load(result.model.path)
        aurocs.append(roc_auc_score(holdout["mi"], model.risk(model.validate(holdout))))
    per_worker = ", ".join(f"{v:,.0f}" for v in sorted(peaks.values()))
    print(
        f"train on {rows:,} rows: local (validate + train in memory, 1 process) {local_seconds:.1f} s, "
        f"peak RSS {local_peak:,.0f} MiB (with the frame)"
    )
    print(
        f"dask ({workers} workers, data already on disk) {dask_seconds:.1f} s = {dask_seconds / local_seconds:.2f}x "
        f"local; peak MiB per worker {per_worker}"
    )
    print(f"AUROC on an independent 200,000-row cohort: local {aurocs[0]:.4f}, dask {aurocs[1]:.4f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=("simulate", "audit", "train"))
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000_000, 50_000_000, 100_000_000])
    parser.add_argument("--rows", type=int, default=50_000_000)
    parser.add_argument("--n-boot", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="bench-dask-"))
    workdir.mkdir(parents=True, exist_ok=True)
    print(f"{os.cpu_count()} cores; workdir {workdir}", flush=True)
    if args.what == "simulate":
        bench_simulate(args.sizes, workdir, args.workers, args.seed)
    elif args.what == "audit":
        bench_audit(args.rows, workdir, args.workers, args.n_boot)
    else:
        bench_train(args.rows, workdir, args.workers)


if __name__ == "__main__":
    main()
