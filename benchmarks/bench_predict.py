"""Batch prediction with reasons vs the raw XGBoost work it cannot avoid, as a ratio measured in one run.

``TriageModel.predict`` (validation, feature pipeline, calibrated risk, flag, TreeSHAP contributions and the
three reasons in words) on 100,000 rows, against ``Booster.predict`` plus ``Booster.predict(pred_contribs=True)``
on the already-transformed matrix. Goal: at most 1.5x. Also reports training time on 1,000,000 rows (the
default xgboost config) as a ratio to one prediction pass over the same rows.

Usage: python benchmarks/bench_predict.py [--rows 100000] [--train-rows 1000000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import tempfile
import time

import xgboost as xgb
from _timing import best_of  # noqa: I001  (benchmarks/ is the script directory)

from chestpain.models import load_train_config, prepare, train
from chestpain.simulation import SCENARIO_DIR, load_scenario, simulate_frame


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--train-rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    scenario = load_scenario(SCENARIO_DIR / "default.yaml")
    cfg = load_train_config("configs/train/xgboost.yaml", ["tracking.enabled=false"])
    with tempfile.TemporaryDirectory() as tmp:
        cohort = simulate_frame(scenario, args.train_rows, 1)
        start = time.perf_counter()
        result = train(prepare(cohort, cfg), cfg, f"{tmp}/model")
        train_seconds = time.perf_counter() - start
        model = result.model
        batch = simulate_frame(scenario, args.rows, 2)
        booster = model.estimator.xgb_model.get_booster()
        matrix = model.estimator.transform(model.validate(batch))

        def raw() -> None:
            booster.predict(xgb.DMatrix(matrix))
            booster.predict(xgb.DMatrix(matrix), pred_contribs=True)

        ours = best_of(args.repeats, lambda: model.predict(batch))
        base = best_of(args.repeats, raw)
        one_pass = best_of(args.repeats, lambda: model.predict(cohort, with_reasons=False))
    print(
        f"predict with reasons / (Booster.predict + pred_contribs) on {args.rows:,} rows: {ours / base:.2f}x "
        f"(goal <= 1.5x; best of {args.repeats}: {ours:.1f} s vs {base:.1f} s)"
    )
    print(
        f"training on {args.train_rows:,} rows: {train_seconds:.0f} s = {train_seconds / one_pass:.0f}x one "
        f"prediction pass (risk and flag, no reasons) over the same rows ({one_pass:.1f} s); "
        f"{result.metrics.get('best_iteration', 0) + 1} trees"
    )


if __name__ == "__main__":
    main()
