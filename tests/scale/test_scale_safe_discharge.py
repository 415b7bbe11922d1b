"""Issue 25's bar at the training size the demo ships: the MI flag rules out >= 0.95 of the oracle at equal sensitivity.

The shipped xgboost config (as it is: full boosting rounds, group guarantees) trained on 800,000 simulated visits
(seed 424242, ``make demo``'s size) and scored on an independent 200,000-visit cohort (seed 424243) against the
simulator's oracle on the same rows, as ``python benchmarks/bench_safe_discharge.py`` prints it. At 200,000
training visits the flag reaches only 0.932 (README, safe discharge): the guarantees' one-sided bounds push the
operating point to the last half percent of MIs, where the model's ranking needs more data. About 3 minutes on
two cores, so it runs with the scale tests, not ``make test``.
"""

from __future__ import annotations

import numpy as np
import pytest

from chestpain.models import guarantee_metrics, load_train_config, prepare, train
from chestpain.models._evaluation import rule_out_at_sensitivity
from chestpain.simulation import simulate_frame

from .conftest import TRAIN_CONFIG

N_TRAIN = 800_000
N_SCORED = 200_000
GROUP_KINDS = ("sex_age", "early", "pathway")


@pytest.fixture(scope="module")
def scored(tmp_path_factory, scenario):
    config = load_train_config(TRAIN_CONFIG)  # shipped settings, not the scale tests' fast ones
    model = train(
        prepare(simulate_frame(scenario, N_TRAIN, 424242), config), config, tmp_path_factory.mktemp("m") / "m"
    ).model
    cohort = simulate_frame(scenario, N_SCORED, 424243)
    features = model.validate(cohort)
    out = model.predict_features(features, with_reasons=False)
    return {
        "features": features,
        "risk": out["risk"].to_numpy(float),
        "mi_flag": out["flag_reason"].str.contains("mi").to_numpy(bool),
        "flag": out["flag"].to_numpy(bool),
        "y": cohort["mi"].to_numpy(bool),
        "mace": cohort["mace_30d"].to_numpy(bool),
        "oracle": cohort["oracle_mi_probability"].to_numpy(float),
    }


def test_mi_flag_rules_out_at_least_095_of_the_oracle_at_its_own_sensitivity(scored):
    # The bar as stated, without a tolerance: rule-out of the MI question's flag over the oracle's at
    # exactly the sensitivity the flag reached on these rows. One deterministic number (0.961 on this pair; 0.951
    # and more on the README's other pairs): a simulator or training change that moves it below 0.95 must be seen.
    y = scored["y"]
    realised = float(scored["mi_flag"][y].mean())
    oracle = rule_out_at_sensitivity(scored["oracle"], y, realised)
    assert np.mean(~scored["mi_flag"]) >= 0.95 * oracle


def test_ranking_at_99_percent_is_at_least_095_of_the_oracle(scored):
    y = scored["y"]
    ratio = rule_out_at_sensitivity(scored["risk"], y, 0.99) / rule_out_at_sensitivity(scored["oracle"], y, 0.99)
    assert ratio >= 0.95


def test_every_guaranteed_group_and_each_sex_for_mace_hold_on_the_unseen_cohort(scored):
    # Point estimates on ~1,800 (women < 55) to ~8,300 MIs per group (binomial SD at 99%: 0.23 to 0.11 point);
    # the thresholds' one-sided bounds were set on out-of-fold risk of the training cohort, not on these rows.
    for row in guarantee_metrics(scored["features"], scored["mi_flag"], scored["y"], GROUP_KINDS):
        assert row["sensitivity"]["value"] >= 0.99, row
    for row in guarantee_metrics(scored["features"], scored["flag"], scored["mace"], ()):
        assert row["sensitivity"]["value"] >= 0.98, row
