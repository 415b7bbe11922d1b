"""Risk never falls when a troponin value, the 1 h change, ECG severity or a typical symptom increases (issue 14).

A hypothesis property test on random patients (a simulated visit with troponins drawn by hypothesis) for every
shipped training config, and the same test on unconstrained models, where it must find a violation: the test
can fail, and fails without the constraints.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sklearn.linear_model import LogisticRegression

from chestpain.features._pipeline import monotone_features
from chestpain.features.columns import ECG_FINDINGS, TYPICAL_SYMPTOMS
from chestpain.models import load_train_config, prepare, train
from chestpain.models._estimators import fit_sign_constrained_logistic

COHORT_CONFIGS = ("xgboost", "logistic")
UCI_CONFIGS = ("uci_xgboost", "uci_logistic")
PERTURBATIONS = ("scale_both", "larger_rise", "larger_fall", "worse_ecg", "typical_symptom", "higher_3h")
# Troponin values cover the range log-uniformly (1 to 5,000 ng/L; below 1 the schema reads the value as ng/mL).
TROPONIN = st.floats(min_value=0.0, max_value=np.log(5000.0)).map(np.exp)
SETTINGS = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,  # same examples every run: a failure is reproducible, and CI does not flake
    database=None,
    report_multiple_bugs=False,
    phases=(Phase.explicit, Phase.generate),  # no shrinking: the first violation is reported as found (bounded time)
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def _perturb(base: pd.DataFrame, kind: str, amount: float, symptom: str, source: str) -> pd.DataFrame:
    after = base.copy()
    t0, t1 = after["troponin_0h_ng_l"].to_numpy(), after["troponin_1h_ng_l"].to_numpy()
    if kind == "scale_both":  # same pattern, higher level: every troponin reading worsens (later ones too)
        after["troponin_0h_ng_l"], after["troponin_1h_ng_l"] = t0 * (1 + amount), t1 * (1 + amount)
        after["troponin_3h_ng_l"] = base["troponin_3h_ng_l"] * (1 + amount)
    elif kind == "higher_3h":  # a 3 h sample (issue 25) that is higher: a larger rise from 0 h
        base["troponin_3h_ng_l"] = np.maximum(t0, t1)
        after["troponin_3h_ng_l"] = np.maximum(t0, t1) + amount * np.maximum(t1, 1.0)
    elif kind == "larger_rise":  # rising pattern rises further
        after["troponin_1h_ng_l"] = np.maximum(t1, t0) + amount * np.maximum(t1, 1.0)
        after["troponin_0h_ng_l"] = t0
        base["troponin_1h_ng_l"] = np.maximum(t1, t0)
    elif kind == "larger_fall":  # falling pattern started higher
        after["troponin_0h_ng_l"] = np.maximum(t0, t1) + amount * np.maximum(t0, 1.0)
        base["troponin_0h_ng_l"] = np.maximum(t0, t1)
    elif kind == "worse_ecg":
        rank = base["ecg"].map({name: i for i, name in enumerate(ECG_FINDINGS)}).to_numpy()
        after["ecg"] = np.asarray(ECG_FINDINGS, dtype=object)[np.minimum(rank + 1, len(ECG_FINDINGS) - 1)]
    else:  # a typical symptom (the textbook pattern) answered "yes" instead of "no"
        base[f"{source}_{symptom}"] = False
        after[f"{source}_{symptom}"] = True
    return after


def check_monotone_cohort(model, pool: pd.DataFrame) -> None:
    """Property: for random patients and each perturbation, risk after >= risk before."""
    source = model.symptom_source

    @SETTINGS
    @given(
        rows=st.lists(st.integers(0, len(pool) - 1), min_size=1, max_size=40),
        t0=TROPONIN,
        t1=TROPONIN,
        kind=st.sampled_from(PERTURBATIONS),
        amount=st.floats(0.01, 3.0),
        symptom=st.sampled_from(TYPICAL_SYMPTOMS),
        drawn_3h=st.booleans(),
        later_rise=st.floats(0.0, 2.0),
    )
    def prop(rows, t0, t1, kind, amount, symptom, drawn_3h, later_rise):
        base = pool.iloc[rows].reset_index(drop=True)
        base["patient_id"] = np.arange(1, len(base) + 1)  # a patient may be drawn twice; ids must stay unique
        base["troponin_0h_ng_l"] = t0 * (1 + 0.3 * np.arange(len(rows)) / len(rows))
        base["troponin_1h_ng_l"] = t1
        # A 3 h sample where drawn sits on the new 0 h / 1 h pattern (the pool's belonged to other values).
        base["troponin_3h_ng_l"] = np.where(drawn_3h, np.maximum(t0, t1) * (1 + later_rise), np.nan)
        base["troponin_2h_ng_l"] = np.nan
        after = _perturb(base, kind, amount, symptom, source)
        for question, score in (("mi", model.risk), ("mace_30d", model.risk_mace)):
            before_risk, after_risk = score(model.validate(base)), score(model.validate(after))
            if before_risk is None:  # a model without the 30-day question
                continue
            # Exact arithmetic gives >=; 1e-12 absorbs float rounding in the calibration map.
            worst = int(np.argmin(after_risk - before_risk))
            assert (after_risk >= before_risk - 1e-12).all(), (
                f"{question}, {kind}: risk fell from {before_risk[worst]:.6f} to {after_risk[worst]:.6f}"
            )

    prop()


def check_monotone_uci(model, pool: pd.DataFrame) -> None:
    """UCI has no troponin: exertional angina on the exercise test (a typical symptom) may only raise risk."""

    @SETTINGS
    @given(rows=st.lists(st.integers(0, len(pool) - 1), min_size=1, max_size=40))
    def prop(rows):
        base = pool.iloc[rows].reset_index(drop=True)
        base["patient_id"] = np.arange(1, len(base) + 1)
        base["sx_exertional"] = False
        after = base.copy()
        after["sx_exertional"] = True
        assert (model.risk(model.validate(after)) >= model.risk(model.validate(base)) - 1e-12).all()

    prop()


def _train(frame, repo_root, tmp_path_factory, config, overrides=()):
    cfg = load_train_config(repo_root / f"configs/train/{config}.yaml", ["tracking.enabled=false", *overrides])
    return train(prepare(frame, cfg), cfg, tmp_path_factory.mktemp(config) / "model").model


@pytest.fixture(scope="module")
def pool(small_cohort) -> pd.DataFrame:
    return small_cohort.tail(5_000).reset_index(drop=True)


@pytest.mark.parametrize("config", COHORT_CONFIGS)
def test_shipped_cohort_configs_are_monotone(config, small_cohort, pool, repo_root, tmp_path_factory):
    model = _train(small_cohort.head(30_000), repo_root, tmp_path_factory, config)
    assert model.manifest["monotone_features"], "the shipped config must constrain the model"
    check_monotone_cohort(model, pool)


def test_the_property_test_fails_on_an_unconstrained_model(small_cohort, pool, repo_root, tmp_path_factory):
    # Same data, same test, constraints off: the property test must find a patient whose risk falls.
    overrides = ("model.monotone=false", "threshold.rule=calibration_split")
    model = _train(small_cohort.head(30_000), repo_root, tmp_path_factory, "xgboost", overrides)
    assert model.manifest["monotone_features"] == []
    with pytest.raises(AssertionError, match="risk fell"):
        check_monotone_cohort(model, pool)


def test_unconstrained_logistic_has_wrong_signs_that_the_constraint_removes(small_cohort, repo_root, tmp_path_factory):
    # The unconstrained logistic fit gives the correlated troponin features (0 h, the multiples) negative weights.
    # Along the perturbations above the positive weights of the 1 h and higher sample dominate, so the property
    # test does not catch it, but its explanations do ("troponin 0 h 70 ng/L lowers risk": see
    # test_explanations.py); the constrained fit has none.
    def signs(monotone: str) -> dict[str, float]:
        overrides = (f"model.monotone={monotone}", "threshold.rule=calibration_split")
        model = _train(small_cohort.head(30_000), repo_root, tmp_path_factory, "logistic", overrides)
        coef = model.estimator.linear.named_steps["logistic"].coef_[0]
        names = model.estimator.feature_names
        constrained = set(monotone_features(names))
        return {name: value for name, value in zip(names, coef, strict=True) if name in constrained}

    assert min(signs("false").values()) < -0.1
    assert min(signs("true").values()) >= 0.0


@pytest.mark.parametrize("config", UCI_CONFIGS)
def test_shipped_uci_configs_are_monotone_in_exertional_angina(config, uci, repo_root, tmp_path_factory):
    model = _train(uci, repo_root, tmp_path_factory, config)
    assert model.manifest["monotone_features"] == ["sx_exertional"]
    check_monotone_uci(model, uci)


def test_sign_constrained_fit_reproduces_sklearn_when_no_bound_is_active(seed):
    # The hand-written L-BFGS-B fit against scikit-learn on small data: with no bound (or none active) the
    # two optima coincide; tolerance 1e-4 covers both solvers' stopping rules.
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(2_000, 5))
    y = rng.random(2_000) < 1 / (1 + np.exp(-(x @ np.array([1.0, 0.5, -0.7, 0.0, 2.0]) - 0.3)))
    reference = LogisticRegression(C=0.5, tol=1e-10, max_iter=10_000).fit(x, y)
    for nonnegative in (np.zeros(5, bool), np.array([True, True, False, False, True])):
        coef, intercept, _ = fit_sign_constrained_logistic(x, y, nonnegative=nonnegative, C=0.5, tol=1e-10)
        np.testing.assert_allclose(coef, reference.coef_[0], atol=1e-4)
        assert intercept == pytest.approx(reference.intercept_[0], abs=1e-4)


def test_sign_constraint_binds_where_the_data_disagree(seed):
    # Feature 2 truly lowers the log-odds: constrained to >= 0 its coefficient sits exactly at the bound while
    # the free-signed truth of the others is still found.
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(2_000, 3))
    y = rng.random(2_000) < 1 / (1 + np.exp(-(x @ np.array([1.0, 0.5, -0.7]))))
    coef, _, _ = fit_sign_constrained_logistic(x, y, nonnegative=np.array([True, True, True]), C=1.0, tol=1e-10)
    assert coef[2] == 0.0 and coef[0] > 0.5 and coef[1] > 0.2
