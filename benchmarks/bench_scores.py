"""Time each clinical score on 1,000,000 visits, as a ratio to a plain vectorised pass over the same columns.

Machines differ, so the ratio is the number to compare: ``score time / baseline time``, where the baseline
compares every input column of the score with a constant once (numpy for numbers and booleans, pandas'
Arrow-backed string comparison for text columns, which numpy cannot do without an object copy). A ratio of a
few means the score costs a few passes over its inputs: no Python loop over rows.

Run: ``.venv/bin/python benchmarks/bench_scores.py [--rows N] [--repeat R]``
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

import numpy as np
import pandas as pd
from _timing import best_of  # noqa: I001  (benchmarks/ is the script directory)

from chestpain.features import (
    clinical_scores,
    esc_0_1h,
    heart_age,
    heart_ecg,
    heart_history,
    heart_risk,
    heart_score,
    heart_troponin,
    single_sample_rule_out,
)
from chestpain.features._scores import HEART_HISTORY_SYMPTOMS
from chestpain.features.columns import ECG_FINDINGS, RACES, RISK_FACTORS, SEXES, model_visible_columns


def visits(n: int, seed: int = 7) -> pd.DataFrame:
    """Validated-looking visits: bool/int/float numpy columns, text columns in pandas' default string dtype."""
    rng = np.random.default_rng(seed)
    data: dict[str, object] = {"patient_id": np.arange(n, dtype=np.int64)}
    for name in model_visible_columns("doc"):
        if name in ("sex", "race", "ecg"):
            choices = {"sex": SEXES, "race": RACES, "ecg": ECG_FINDINGS}[name]
            data[name] = pd.Series(rng.choice(choices, n)).astype("str")
        elif name in ("age", "pain_score"):
            data[name] = rng.integers(18, 101, n) if name == "age" else rng.integers(0, 11, n)
        elif name.startswith("troponin") or name in ("heart_rate", "systolic_bp"):
            data[name] = 1 + rng.lognormal(1.5, 1.5, n)
        else:
            data[name] = rng.random(n) < 0.3
    return pd.DataFrame(data)


def baseline(frame: pd.DataFrame, columns: list[str]) -> Callable[[], object]:
    """One comparison with a constant per input column."""
    arrays = {name: frame[name] if frame[name].dtype == "str" else frame[name].to_numpy() for name in columns}
    firsts = {name: values.iloc[0] if isinstance(values, pd.Series) else values[0] for name, values in arrays.items()}
    return lambda: [arrays[name] == firsts[name] for name in columns]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    frame = visits(args.rows)
    doc = [f"doc_{name}" for name in HEART_HISTORY_SYMPTOMS]
    risk = list(RISK_FACTORS)
    heart_inputs = [*doc, "ecg", "age", *risk, "troponin_0h_ng_l", "sex"]
    cases: list[tuple[str, list[str], Callable[[], object]]] = [
        ("heart_history", doc, lambda: heart_history(*(frame[c] for c in doc))),
        ("heart_ecg", ["ecg"], lambda: heart_ecg(frame["ecg"])),
        ("heart_age", ["age"], lambda: heart_age(frame["age"])),
        ("heart_risk", risk, lambda: heart_risk(*(frame[c] for c in risk))),
        (
            "heart_troponin (universal)",
            ["troponin_0h_ng_l", "sex"],
            lambda: heart_troponin(frame["troponin_0h_ng_l"], frame["sex"]),
        ),
        (
            "heart_troponin (sex-specific)",
            ["troponin_0h_ng_l", "sex"],
            lambda: heart_troponin(frame["troponin_0h_ng_l"], frame["sex"], policy="sex-specific"),
        ),
        ("heart_score (all five)", heart_inputs, lambda: heart_score(frame)),
        (
            "esc_0_1h",
            ["troponin_0h_ng_l", "troponin_1h_ng_l"],
            lambda: esc_0_1h(frame["troponin_0h_ng_l"], frame["troponin_1h_ng_l"]),
        ),
        ("single_sample_rule_out", ["troponin_0h_ng_l"], lambda: single_sample_rule_out(frame["troponin_0h_ng_l"])),
        (
            "clinical_scores (chestpain score)",
            ["patient_id", *heart_inputs, "troponin_1h_ng_l"],
            lambda: clinical_scores(frame),
        ),
    ]
    print(f"{args.rows:,} rows, best of {args.repeat}")
    print(f"{'score':34} {'seconds':>9} {'baseline s':>11} {'ratio':>7}")
    for name, columns, function in cases:
        seconds = best_of(args.repeat, function, warm_up=True)
        base = best_of(args.repeat, baseline(frame, columns), warm_up=True)
        print(f"{name:34} {seconds:9.4f} {base:11.4f} {seconds / base:7.1f}")


if __name__ == "__main__":
    main()
