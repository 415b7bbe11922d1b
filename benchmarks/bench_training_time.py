"""Where training spends its time, and what a cheaper setting costs in quality (issue 27, item 4).

Trains the shipped xgboost config and each ``--variant`` (a list of ``--set`` overrides) on the same simulated
cohort in one run, timing every stage the CLI's progress bar shows (each cross-fitting fold, the final model,
thresholds and evaluation) and printing, per variant, its time as a ratio to the shipped config's (machines here
are noisy: ratios measured in one run, not seconds) beside the quality figures the choice must not lose: AUROC
for MI, rule-out at 99% sensitivity as a share of the oracle's (MI and 30-day MACE), and the shipped flag's
rule-out, all on the model's own held-out test split.

Usage::

    python benchmarks/bench_training_time.py [--n 100000] [--seed 424242] \\
        [--variant "model.params.learning_rate=0.2"] [--variant "model.early_stopping_rounds=20"] ...

Simulated results are not clinical evidence.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from chestpain.models import load_train_config, prepare, train
from chestpain.simulation import SCENARIO_DIR, load_scenario, simulate_frame


def _train_timed(frame, overrides: list[str], out: Path) -> tuple[dict[str, float], dict[str, int], dict]:
    """Seconds and boosting rounds per stage (stage names without the question prefix summed), and the metrics."""
    config = load_train_config("xgboost", overrides)
    seconds: dict[str, float] = defaultdict(float)
    rounds: dict[str, int] = defaultdict(int)
    current = ["prepare", time.perf_counter()]

    def stage(description: str, _total: int) -> None:
        now = time.perf_counter()
        seconds[current[0]] += now - current[1]
        current[0], current[1] = description, now

    def boosting_round() -> None:
        rounds[current[0]] += 1

    data = prepare(frame, config)
    result = train(data, config, out, on_round=boosting_round, on_stage=stage)
    seconds[current[0]] += time.perf_counter() - current[1]
    return dict(seconds), dict(rounds), result.model.manifest["metrics"]


def _quality(metrics: dict) -> dict[str, float]:
    mi, mace = metrics["test"]["overall"], metrics.get("test_mace_30d", {}).get("overall", {})
    return {
        "MI AUROC": mi["auroc"]["value"],
        "MI ranking / oracle at 99%": mi["vs_oracle"]["ranking_vs_oracle"],
        "MACE ranking / oracle at 98%": mace.get("vs_oracle", {}).get("ranking_vs_oracle", float("nan")),
        "flag rule-out": mi["rule_out_fraction"]["value"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=424242)
    parser.add_argument("--variant", action="append", default=[], help="';'-separated --set overrides")
    args = parser.parse_args()
    frame = simulate_frame(load_scenario(SCENARIO_DIR / "default.yaml"), args.n, args.seed)
    runs = {"shipped": []} | {variant: [o.strip() for o in variant.split(";") if o.strip()] for variant in args.variant}
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for i, (name, overrides) in enumerate(runs.items()):
            results[name] = _train_timed(frame, overrides, Path(tmp) / f"m{i}")
    base_seconds, _, base_metrics = results["shipped"]
    base_total = sum(base_seconds.values())
    print(f"training on {args.n:,} simulated visits (seed {args.seed}); shipped config's stages, share of its time:")
    base_rounds = results["shipped"][1]
    for stage, sec in base_seconds.items():
        print(f"  {sec / base_total:6.1%}  {base_rounds.get(stage, 0):5d} rounds  {stage}")
    print("\nvariant: time / shipped time, and quality (shipped in brackets)")
    base_quality = _quality(base_metrics)
    for name, (seconds, rounds, metrics) in results.items():
        if name == "shipped":
            continue
        quality = _quality(metrics)
        shown = "; ".join(f"{key} {value:.4f} ({base_quality[key]:.4f})" for key, value in quality.items())
        print(
            f"  {name}: time x{sum(seconds.values()) / base_total:.2f}, rounds {sum(rounds.values())} "
            f"({sum(base_rounds.values())}); {shown}"
        )


if __name__ == "__main__":
    main()
