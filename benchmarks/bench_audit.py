"""Benchmark: the full fairness audit on 1,000,000 rows vs fairlearn MetricFrame's bootstrap on a subsample.

What is timed
-------------
* ``audit``: ``fairness.audit_predictions`` on ``--rows`` synthetic rows with ``--n-boot`` resamples: every
  attribute (overall, sex, race, age_band, sex&age_band), every metric (FNR, FPR, PPV, NPV, selection rate,
  AUROC, ECE with per-bin calibration), disparities, equalized odds and trade-off curves.
* ``MetricFrame``: the same seven metrics for the same four attribute sets with fairlearn's own bootstrap on a
  ``--mf-rows`` subsample: per attribute set, one MetricFrame on the flags (FNR, FPR, PPV, NPV, selection rate)
  and one on the risks (AUROC, ECE), the cheapest natural way to write it. MetricFrame's bootstrap is a Python
  loop of identical, independent resamples, so its time is linear in ``n_boot``; it is measured with
  ``--mf-boot`` resamples (default 50: the full 1,000 takes most of an hour on 2 cores) and scaled to
  ``--n-boot``. Pass ``--mf-boot 1000`` to measure the full run.
* ``prediction pass``: one numpy logistic-score pass over the audit's rows (``sigmoid(X @ w)`` with 20 float64
  features): a stand-in for one model prediction pass, not a real model.

* ``--baseline PATH``: the same audit timed with the code of another checkout (e.g. ``/work/main`` before the
  count-based intervals of issue 15), in a child process on the same data and machine, alternating runs; the
  new/old ratio is printed (goal: at most 1.5x). ``--skip-metricframe`` times only the audit.

Comparisons are printed as ratios, since machines are noisy. Per-row scaling assumes MetricFrame's time grows
linearly with rows; the script also fits ``a + b * rows`` from a second, smaller subsample and prints the
ratio against that extrapolation.

Run: ``.venv/bin/python benchmarks/bench_audit.py`` (``--help`` for options).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from _timing import best_of  # noqa: I001  (benchmarks/ is the script directory)
from fairlearn.metrics import MetricFrame, false_negative_rate, false_positive_rate, selection_rate
from scipy.special import expit
from sklearn.metrics import precision_score, roc_auc_score

from chestpain.fairness import age_band, audit_predictions, calibration_edges, expected_calibration_error

ATTRIBUTE_SETS = (["sex"], ["race"], ["age_band"], ["sex", "age_band"])
RACES = ["white", "black", "hispanic", "asian", "other"]


def synthetic(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, pd.DataFrame]:
    """Labels (10% prevalence), risks, flags (risk >= 0.05) and sex / race / age for ``n`` visits."""
    rng = np.random.default_rng(seed)
    sex = np.where(rng.random(n) < 0.46, "female", "male")
    race = rng.choice(RACES, size=n, p=[0.6, 0.15, 0.15, 0.05, 0.05])
    age = rng.integers(18, 95, size=n)
    y = rng.random(n) < 0.10
    z = rng.standard_normal(n) + 2.2 * y - 0.4 * (y & (sex == "female"))
    risk = expit(1.3 * z - 3.5)
    return y, risk, risk >= 0.05, pd.DataFrame({"sex": sex, "race": race, "age": age})


def metricframe_run(y: np.ndarray, risk: np.ndarray, flag: np.ndarray, frame: pd.DataFrame, n_boot: int | None) -> None:
    """The audit's metrics through fairlearn MetricFrame's own bootstrap, for every attribute set."""
    edges = calibration_edges(risk, 10)
    on_flags = {
        "fnr": false_negative_rate,
        "fpr": false_positive_rate,
        "ppv": lambda t, p: precision_score(t, p, zero_division=np.nan),
        "npv": lambda t, p: precision_score(~t, ~p, zero_division=np.nan),
        "selection_rate": selection_rate,
    }
    on_risks = {"auroc": roc_auc_score, "ece": lambda t, p: expected_calibration_error(t, p, edges)}
    for columns in ATTRIBUTE_SETS:
        features = frame[columns[0]] if len(columns) == 1 else frame[columns]
        for metrics, predictions in ((on_flags, flag), (on_risks, risk)):
            MetricFrame(
                metrics=metrics,
                y_true=y,
                y_pred=predictions,
                sensitive_features=features,
                n_boot=n_boot,
                ci_quantiles=[0.025, 0.975] if n_boot else None,
                random_state=0,
            )


def time_audit(rows: int, n_boot: int, repeats: int, seed: int) -> float:
    """Best-of time of the full audit of ``rows`` synthetic rows (whichever ``fairness`` is imported)."""
    y, risk, flag, attributes = synthetic(rows, seed)
    return best_of(
        repeats,
        lambda: audit_predictions(y, risk, flag, attributes=attributes, threshold=0.05, n_boot=n_boot, seed=1),
    )


_CHILD = """
import json, sys
import types
sys.meta_path = [f for f in sys.meta_path if "__editable__" not in type(f).__module__]  # not this worktree
sys.path.insert(0, {checkout!r})
sys.path.append({bench!r})
# The other checkout's folders as the chestpain namespace (as pyproject's package-dir maps them); a checkout from
# before the namespace imports its own top-level packages, which sys.path above finds.
namespace = types.ModuleType("chestpain")
namespace.__path__ = [{checkout!r} + "/chestpain", {checkout!r}]
sys.modules["chestpain"] = namespace
from chestpain import fairness
assert fairness.__file__.startswith({checkout!r}), fairness.__file__
import bench_audit
print(json.dumps(bench_audit.time_audit({rows}, {n_boot}, {repeats}, {seed})))
"""


def time_baseline(checkout: str, rows: int, n_boot: int, repeats: int, seed: int) -> float:
    """:func:`time_audit` with the ``fairness`` package of another checkout, in a child process."""
    code = _CHILD.format(
        checkout=str(Path(checkout).resolve()),
        bench=str(Path(__file__).resolve().parent),
        rows=rows,
        n_boot=n_boot,
        repeats=repeats,
        seed=seed,
    )
    with tempfile.TemporaryDirectory() as cwd:  # so '' on sys.path is not this worktree
        done = subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, check=True)
    return float(json.loads(done.stdout.strip().splitlines()[-1]))


def compare_with_baseline(checkout: str, rows: int, n_boot: int, rounds: int, seed: int) -> None:
    """Old and new audit on the same data, alternating, best of ``rounds`` each; prints the ratio."""
    new, old = [], []
    for _ in range(rounds):
        old.append(time_baseline(checkout, rows, n_boot, 1, seed))
        new.append(time_audit(rows, n_boot, 1, seed))
    print(
        f"audit of {rows:,} rows, {n_boot:,} resamples: this checkout {min(new):.2f} s, {checkout} {min(old):.2f} s "
        f"(best of {rounds}, alternating) -> new / old = {min(new) / min(old):.2f}x (goal: <= 1.5x)"
    )


def main() -> None:
    """Run the benchmark and print times and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--n-boot", type=int, default=1000)
    parser.add_argument("--mf-rows", type=int, default=20_000)
    parser.add_argument("--mf-small-rows", type=int, default=5_000, help="second size for the a + b*rows fit")
    parser.add_argument("--mf-boot", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--baseline", help="another checkout whose audit to time on the same data (e.g. /work/main)")
    parser.add_argument("--skip-metricframe", action="store_true", help="time only the audit (and the baseline)")
    args = parser.parse_args()
    if args.baseline:
        compare_with_baseline(args.baseline, args.rows, args.n_boot, args.repeats, args.seed)
        if args.skip_metricframe:
            return

    y, risk, flag, attributes = synthetic(args.rows, args.seed)
    print(f"data: {args.rows:,} rows, {int(y.sum()):,} positives; 2-core machine expected, times are best of runs")

    features = np.random.default_rng(args.seed + 1).standard_normal((args.rows, 20))
    weights = np.random.default_rng(args.seed + 2).standard_normal(20)
    t_pass = best_of(5, lambda: expit(features @ weights))
    print(
        f"numpy logistic-score pass (sigmoid(X @ w), {args.rows:,} x 20 float64; a stand-in for one model "
        f"prediction pass, not a real model): {t_pass:.3f} s"
    )

    def run_audit() -> None:
        audit_predictions(y, risk, flag, attributes=attributes, threshold=0.05, n_boot=args.n_boot, seed=1)

    t_audit = best_of(args.repeats, run_audit)
    print(
        f"audit: {args.rows:,} rows, {args.n_boot:,} resamples, 5 attribute sets x 7 metrics + calibration bins, "
        f"disparities, curves: {t_audit:.2f} s"
    )
    print(f"  audit / prediction-pass ratio: {t_audit / t_pass:.0f}x")

    sizes = (args.mf_small_rows, args.mf_rows)
    mf_scaled = {}
    for size in sizes:
        y_s, risk_s, flag_s, frame = y[:size], risk[:size], flag[:size], attributes.iloc[:size]
        frame = frame.assign(age_band=age_band(frame["age"].to_numpy()))
        # Time without bootstrap (the point estimates) plus measured resamples, scaled: base + per-resample x n_boot.
        t_base = best_of(1, lambda: metricframe_run(y_s, risk_s, flag_s, frame, None))  # noqa: B023
        t_mf = best_of(1, lambda: metricframe_run(y_s, risk_s, flag_s, frame, args.mf_boot))  # noqa: B023
        mf_scaled[size] = t_base + (t_mf - t_base) * args.n_boot / args.mf_boot
        print(
            f"MetricFrame: {size:,} rows, measured with n_boot={args.mf_boot}: {t_mf:.1f} s -> "
            f"{mf_scaled[size]:.0f} s scaled to {args.n_boot:,} resamples"
        )

    small = y[: args.mf_rows], risk[: args.mf_rows], flag[: args.mf_rows], attributes.iloc[: args.mf_rows]
    t_audit_small = best_of(
        args.repeats,
        lambda: audit_predictions(
            small[0], small[1], small[2], attributes=small[3], threshold=0.05, n_boot=args.n_boot, seed=1
        ),
    )
    per_row_mf = mf_scaled[args.mf_rows] / args.mf_rows
    per_row_audit = t_audit / args.rows
    print(
        f"per row ({args.n_boot:,} resamples): MetricFrame {1e6 * per_row_mf:.0f} us (at {args.mf_rows:,} rows), "
        f"audit {1e6 * per_row_audit:.2f} us (at {args.rows:,} rows)"
    )
    print(f"  speed-up per row: {per_row_mf / per_row_audit:,.0f}x (goal: at least 20x)")
    print(
        f"  same size ({args.mf_rows:,} rows): audit {t_audit_small:.2f} s, speed-up "
        f"{mf_scaled[args.mf_rows] / t_audit_small:,.0f}x"
    )
    slope = (mf_scaled[sizes[1]] - mf_scaled[sizes[0]]) / (sizes[1] - sizes[0])
    intercept = mf_scaled[sizes[1]] - slope * sizes[1]
    mf_at_rows = intercept + slope * args.rows
    print(
        f"  MetricFrame extrapolated with a + b*rows (a={intercept:.0f} s, b={1e6 * slope:.0f} us/row) to "
        f"{args.rows:,} rows: {mf_at_rows:,.0f} s -> speed-up {mf_at_rows / t_audit:,.0f}x"
    )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory of this process: {peak:,.0f} MB")


if __name__ == "__main__":
    main()
