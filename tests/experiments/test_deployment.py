"""The demo's simulated deployment (experiments/deployment.py): cards from the model's own flags, the seed's
override gap, and follow-up only for patients sent home."""

from __future__ import annotations

import numpy as np
import pandas as pd

from chestpain.experiments.deployment import deployment_stream

RULE_IN_NG_L = 64.0  # ESC 2020 rule-in level for ARCHITECT hs-cTnI (Collet et al., Eur Heart J 2021)


def _visits(n: int, rng: np.random.Generator) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "sex": rng.choice(["female", "male"], n),
            "race": rng.choice(["white", "black"], n),
            "age": rng.integers(30, 90, n),
            "troponin_0h_ng_l": rng.choice([3.0, 20.0, 100.0], n, p=[0.7, 0.25, 0.05]),
            "troponin_1h_ng_l": np.where(rng.random(n) < 0.5, np.nan, 4.0),
            "mi": rng.random(n) < 0.1,
            "mace_30d": rng.random(n) < 0.12,
        }
    )


def test_cards_follow_the_models_flag_and_the_rule_in_level():
    rng = np.random.default_rng(5)
    visits = _visits(4_000, rng)
    flag = rng.random(4_000) < 0.4
    cards, follow = deployment_stream(visits, flag, np.random.default_rng(6), female_ratio=1.0)
    cards = cards.set_index("card").loc[[f"demo-{i}" for i in range(4_000)]]
    rule_in = visits["troponin_0h_ng_l"].to_numpy() >= RULE_IN_NG_L
    expected = np.where(rule_in, "critical", np.where(flag, "warning", "info"))
    assert (cards["indicator"].to_numpy() == expected).all()
    assert (cards.loc[cards["indicator"] == "info", "outcome"] == "accepted").all()  # info cards are not overridden
    sent_home = (cards["indicator"] == "info") | (cards["outcome"] == "overridden")
    assert set(follow["card"]) == set(cards.index[sent_home])
    assert (pd.to_datetime(cards["received"]) >= pd.to_datetime(cards["issued"])).all()


def test_womens_warnings_are_overridden_twice_as_often_from_the_gap_week():
    rng = np.random.default_rng(7)
    n = 60_000
    visits = _visits(n, rng).assign(troponin_0h_ng_l=3.0)
    cards, _ = deployment_stream(visits, np.ones(n, bool), np.random.default_rng(8), gap_week=20)
    week = (pd.to_datetime(cards["issued"]) - pd.Timestamp("2026-01-05")).dt.days // 7
    overridden = cards["outcome"] == "overridden"
    female = cards["sex"] == "female"
    late_ratio = overridden[female & (week >= 20)].mean() / overridden[~female & (week >= 20)].mean()
    early_ratio = overridden[female & (week < 20)].mean() / overridden[~female & (week < 20)].mean()
    # About 11,000 warnings per cell: the ratio's SD is about 0.03, so 0.15 is five SDs.
    assert abs(late_ratio - 2.0) < 0.15 and abs(early_ratio - 1.0) < 0.15
