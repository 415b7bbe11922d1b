"""Issue 14's quality bars at the size a `make demo N=200000` user trains on, and the cost of the constraints.

Trains each variant on one seeded cohort (default 200,000 visits) and scores an independent seeded cohort (default
200,000 visits, another seed), against the simulator's oracle on the same rows:

- AUROC / oracle AUROC;
- ranking at equal sensitivity: the model's rule-out at exactly 99% sensitivity / the oracle's;
- the shipped flag's rule-out / the oracle's rule-out at 99%, and the flag's sensitivity in each sex.

Variants: {monotone, unconstrained} x {cross_fit, calibration_split} threshold rules for the config(s) given.
Bars (issue 14): cross_fit + monotone flag >= 0.85 of the oracle, sensitivity >= 99% in each sex, ranking >= 0.97.
Simulated results are not clinical evidence.

Usage: python benchmarks/bench_model_quality.py [--n-train 200000] [--n-test 200000] [--seed-train 1401]
       [--seed-test 1402] [--configs xgboost logistic] [--variants monotone/cross_fit ...] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
from sklearn.metrics import roc_auc_score

from chestpain.models import load_train_config, prepare, train
from chestpain.models._evaluation import rule_out_at_sensitivity
from chestpain.simulation import SCENARIO_DIR, load_scenario, simulate_frame

VARIANTS = (
    "monotone/cross_fit",
    "monotone/calibration_split",
    "unconstrained/cross_fit",
    "unconstrained/calibration_split",
)
ROOT = Path(__file__).resolve().parents[1]


def measure(config_name: str, variant: str, cohort, test, target: float = 0.99) -> dict[str, object]:
    """Train one variant on ``cohort`` and measure it on the independent ``test`` cohort."""
    constraint, rule = variant.split("/")
    overrides = ["tracking.enabled=false", f"model.monotone={constraint == 'monotone'}", f"threshold.rule={rule}"]
    cfg = load_train_config(ROOT / "configs/train" / f"{config_name}.yaml", overrides)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        result = train(prepare(cohort, cfg), cfg, Path(tmp) / "model")
        seconds = time.perf_counter() - start
        out = result.model.predict(test, with_reasons=False)
    y = test["mi"].to_numpy(bool)
    oracle = test["oracle_mi_probability"].to_numpy(float)
    risk, flag = out["risk"].to_numpy(float), out["flag"].to_numpy(bool)
    sex = test["sex"].astype("string").to_numpy()
    oracle_rule_out = rule_out_at_sensitivity(oracle, y, target)
    return {
        "config": config_name,
        "variant": variant,
        "train_seconds": round(seconds, 1),
        "auroc_vs_oracle": roc_auc_score(y, risk) / roc_auc_score(y, oracle),
        "ranking_vs_oracle": rule_out_at_sensitivity(risk, y, target) / oracle_rule_out,
        "flag_rule_out": float((~flag).mean()),
        "oracle_rule_out_at_99": oracle_rule_out,
        "flag_vs_oracle": float((~flag).mean()) / oracle_rule_out,
        "sensitivity_female": float(flag[y & (sex == "female")].mean()),
        "sensitivity_male": float(flag[y & (sex == "male")].mean()),
        "thresholds": result.model.thresholds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n-train", type=int, default=200_000)
    parser.add_argument("--n-test", type=int, default=200_000)
    parser.add_argument("--seed-train", type=int, default=1401)
    parser.add_argument("--seed-test", type=int, default=1402)
    parser.add_argument("--configs", nargs="+", default=["xgboost", "logistic"])
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=VARIANTS)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    scenario = load_scenario(SCENARIO_DIR / "default.yaml")
    cohort = simulate_frame(scenario, args.n_train, args.seed_train)
    test = simulate_frame(scenario, args.n_test, args.seed_test)
    print(
        f"train {args.n_train:,} visits (seed {args.seed_train}), "
        f"independent test {args.n_test:,} (seed {args.seed_test})"
    )
    print(
        "| config | variant | AUROC / oracle | ranking at 99% / oracle | flag rule-out | flag / oracle at 99% "
        "| sensitivity women | sensitivity men | train s |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    rows = []
    for config_name in args.configs:
        for variant in args.variants:
            row = measure(config_name, variant, cohort, test)
            rows.append(row)
            print(
                f"| {config_name} | {variant} | {row['auroc_vs_oracle']:.4f} | {row['ranking_vs_oracle']:.3f} "
                f"| {row['flag_rule_out']:.1%} | {row['flag_vs_oracle']:.3f} | {row['sensitivity_female']:.2%} "
                f"| {row['sensitivity_male']:.2%} | {row['train_seconds']:.0f} |",
                flush=True,
            )
    if args.json is not None:
        args.json.write_text(json.dumps(rows, indent=2, default=float) + "\n")


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
