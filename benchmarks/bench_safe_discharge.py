"""Issue 25's figures: what the group guarantees and the 30-day question give and cost, on an unseen cohort.

Trains the shipped xgboost config on one seeded cohort (default 800,000 visits, ``make demo``'s size, seed
424242) and scores an independent cohort (default 200,000, seed 424243), printing for three flags (per-sex MI
thresholds alone, the MI question with its group guarantees, the shipped flag with the 30-day question) the
rule-out share and the sensitivity (Wilson 95% CI) in each sex and guaranteed group, for MI and for 30-day MACE;
HEART 0-3 and ESC 2020 on the same rows; and the ratios to the simulator's oracles. Simulated results are not
clinical evidence.

Usage: python benchmarks/bench_safe_discharge.py [--n 200000] [--n-train 800000] [--seed-train 424242]
[--seed-test 424243] (``--n`` is the scored cohort's size, ``--n-train`` the training cohort's; about 2.5 minutes
on two cores at the defaults).
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np

from chestpain.features import ESC_PATHWAYS, clinical_scores, esc_of_record, validate_visits
from chestpain.kernel.stats import wilson
from chestpain.models import guarantee_metrics, load_train_config, prepare, train
from chestpain.models._evaluation import rule_out_at_sensitivity
from chestpain.models._thresholds import apply_thresholds
from chestpain.simulation import SCENARIO_DIR, load_scenario, simulate_frame


def _ci(estimate: dict) -> str:
    return f"{100 * estimate['value']:.2f}% ({100 * estimate['ci_low']:.2f}-{100 * estimate['ci_high']:.2f})"


def _rule_out_line(name: str, ruled_out: np.ndarray, rows: np.ndarray, y: np.ndarray, mace: np.ndarray) -> None:
    ruled_out, y, mace = ruled_out[rows], y[rows], mace[rows]
    mi_sens = wilson(int((~ruled_out & y).sum()), int(y.sum())).as_dict()
    mace_sens = wilson(int((~ruled_out & mace).sum()), int(mace.sum())).as_dict()
    print(f"{name}: rule-out {ruled_out.mean():.1%}; MI {_ci(mi_sens)}; 30-day MACE {_ci(mace_sens)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200_000)
    parser.add_argument("--n-train", type=int, default=800_000, help="training visits (make demo's size)")
    parser.add_argument("--seed-train", type=int, default=424242)
    parser.add_argument("--seed-test", type=int, default=424243)
    parser.add_argument("--model-out", type=Path, default=None, help="keep the trained model directory here")
    args = parser.parse_args()
    scenario = load_scenario(SCENARIO_DIR / "default.yaml")
    config = load_train_config("xgboost")
    n_train = args.n_train
    with tempfile.TemporaryDirectory() as tmp:
        training = prepare(simulate_frame(scenario, n_train, args.seed_train), config)
        model = train(training, config, args.model_out or Path(tmp) / "m").model
    cohort = simulate_frame(scenario, args.n, args.seed_test)
    features = model.validate(cohort)
    out = model.predict_features(features, with_reasons=False)
    y, mace = cohort["mi"].to_numpy(bool), cohort["mace_30d"].to_numpy(bool)
    flags = {
        "per-sex MI thresholds alone": apply_thresholds(out["risk"].to_numpy(), features["sex"], model.thresholds),
        "MI question, group guarantees": out["flag_reason"].str.contains("mi").to_numpy(bool),
        "shipped (either question)": out["flag"].to_numpy(bool),
    }
    for name, flag in flags.items():
        print(f"{name}: rule-out {1 - flag.mean():.1%}")
        for label, truth, kinds in (("MI", y, ("sex_age", "early", "pathway")), ("30-day MACE", mace, ())):
            rows = guarantee_metrics(features, flag, truth, kinds)
            print(f"  {label}: " + "; ".join(f"{r['group']} {_ci(r['sensitivity'])}" for r in rows))
    scores = clinical_scores(validate_visits(cohort, symptom_source="doc"))
    pathway, reading = esc_of_record(scores)
    everyone = np.ones(len(cohort), dtype=bool)
    _rule_out_line("HEART 0-3", (scores["heart_score"] <= 3).to_numpy(), everyone, y, mace)
    _rule_out_line("ESC 2020 rule-out, each record's own pathway", reading == "rule-out", everyone, y, mace)
    for name, _ in ESC_PATHWAYS:
        _rule_out_line(f"  ESC {name} rule-out, its sites' visits", reading == "rule-out", pathway == name, y, mace)
    oracle, oracle_mace = cohort["oracle_mi_probability"].to_numpy(), cohort["oracle_mace_probability"].to_numpy()
    at99 = rule_out_at_sensitivity(oracle, y, 0.99)
    mi_flag = flags["MI question, group guarantees"]
    realised = float(mi_flag[y].mean())
    ranking_there = rule_out_at_sensitivity(out["risk"].to_numpy(), y, realised) / rule_out_at_sensitivity(
        oracle, y, realised
    )
    print(
        f"MI: ranking at 99% / oracle {rule_out_at_sensitivity(out['risk'].to_numpy(), y, 0.99) / at99:.3f}; "
        f"MI-question flag / oracle at 99% {(1 - mi_flag.mean()) / at99:.3f}; at its own sensitivity "
        f"({realised:.2%}) {(1 - mi_flag.mean()) / rule_out_at_sensitivity(oracle, y, realised):.3f}; ranking "
        f"at that sensitivity / oracle {ranking_there:.3f}"
    )
    at98 = rule_out_at_sensitivity(oracle_mace, mace, 0.98)
    mace_rank = rule_out_at_sensitivity(out["risk_mace_30d"].to_numpy(), mace, 0.98) / at98
    shipped = flags["shipped (either question)"]
    print(
        f"30-day MACE: oracle rule-out at 98% {at98:.1%}; ranking / oracle {mace_rank:.3f}; shipped flag / "
        f"oracle {(1 - shipped.mean()) / at98:.3f}"
    )
    print(f"n={n_train:,} training / {args.n:,} scored visits; seeds {args.seed_train} / {args.seed_test}")


if __name__ == "__main__":
    main()
