"""``oracle_mi_probability`` is the exact posterior: an independent re-implementation agrees, and it is calibrated."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, stats
from sklearn.metrics import roc_auc_score

from features.columns import ECG_FINDINGS, SYMPTOMS
from simulation import SCENARIO_DIR, load_scenario, simulate_frame
from tests.simulation.conftest import scenario


def _reference_posterior(cfg, row: pd.Series) -> float:
    """Bayes' rule written out with scipy.stats, one patient at a time (slow, independent of the vectorised code)."""
    male = row.sex == "male"
    decade = (row.age - 55) / 10
    logit = cfg.mi.intercept + cfg.mi.per_decade * decade + cfg.mi.male * male
    logit += sum(coef * row[name] for name, coef in cfg.mi.risk_factors.items())
    like = {}
    for mi in (0, 1):
        p = cfg.presentation
        log_l = 0.0
        for name in SYMPTOMS:
            rates = p.symptoms[name]
            prob = (
                (rates.mi_men if male else rates.mi_women) if mi else (rates.no_mi_men if male else rates.no_mi_women)
            )
            log_l += np.log(prob if row[f"sx_{name}"] else 1 - prob)
        log_l += stats.binom.logpmf(row.pain_score, 10, p.pain.mi_mean_fraction if mi else p.pain.no_mi_mean_fraction)
        for vital in ("heart_rate", "systolic_bp"):
            v = getattr(p, vital)
            mean = v.mi_mean if mi else v.no_mi_mean
            a, b = (v.low - mean) / v.sd, (v.high - mean) / v.sd
            log_l += stats.truncnorm.logpdf(row[vital], a, b, loc=mean, scale=v.sd)
        ecg = p.ecg_mi if mi else p.ecg_no_mi
        log_l += np.log(getattr(ecg, row.ecg))
        components = [c for c in p.troponin.components if (c.outcome == "mi") == bool(mi)]
        weights = np.array(
            [np.exp(c.weight_logit_at_65 + c.weight_logit_per_decade * (row.age - 65) / 10) for c in components]
        )
        weights /= weights.sum()
        density = 0.0
        for w, c in zip(weights, components, strict=True):
            density += w * _troponin_likelihood(p.troponin, c, male, row.troponin_0h_ng_l, row.troponin_1h_ng_l)
        log_l += np.log(density)
        like[mi] = log_l
    return float(1 / (1 + np.exp(-(logit + like[1] - like[0]))))


def _troponin_likelihood(troponin, component, male: bool, t0: float, t1: float) -> float:
    """Likelihood of (t0, t1) in log coordinates from the bivariate normal of (z0, z1 = z0 + d), by quadrature.

    Written from the joint distribution (not the conditional formulas the library uses): a censored coordinate is
    integrated over [c, inf) numerically.
    """
    median = component.median_excess_men_ng_l if male else component.median_excess_women_ng_l
    mu0, s0 = np.log(median), component.log_sd_0h
    mu1 = mu0 + np.log(component.median_rise_ratio_1h)
    cov = [[s0**2, s0**2], [s0**2, s0**2 + component.log_sd_rise_1h**2]]
    joint = stats.multivariate_normal([mu0, mu1], cov)
    upper = troponin.reportable_max_ng_l or np.inf
    c = np.log(upper - troponin.floor_ng_l)
    z0 = np.log(t0 - troponin.floor_ng_l)
    z1 = np.log(t1 - troponin.floor_ng_l)
    tol = {"epsabs": 0.0, "epsrel": 1e-11, "limit": 200}
    if t0 < upper and t1 < upper:
        return float(joint.pdf([z0, z1]))
    if t1 < upper:
        return integrate.quad(lambda a: joint.pdf([a, z1]), c, np.inf, **tol)[0]
    if t0 < upper:
        return integrate.quad(lambda b: joint.pdf([z0, b]), c, np.inf, **tol)[0]
    # Both censored: the orthant probability from scipy's bivariate normal CDF (Genz), tight tolerances.
    orthant = stats.multivariate_normal([mu0, mu1], cov, abseps=1e-14, releps=1e-12)
    return float(orthant.cdf(np.array([np.inf, np.inf]), lower_limit=np.array([c, c])))


def test_oracle_matches_independent_bayes_rule(default_cohort):
    cfg = scenario("default")
    sample = default_cohort.sample(300, random_state=1)
    # Oversample MI and high-troponin rows so the comparison covers every mixture component.
    sample = pd.concat([sample, default_cohort[default_cohort.mi].head(100)])
    expected = np.array([_reference_posterior(cfg, row) for _, row in sample.iterrows()])
    np.testing.assert_allclose(sample.oracle_mi_probability.to_numpy(), expected, rtol=1e-9, atol=1e-12)


def test_oracle_is_calibrated_in_deciles(default_cohort):
    # Observed MI rate vs mean oracle probability in each decile of the oracle on 1,000,000 rows. Tolerance:
    # 4 binomial standard errors per decile (10 comparisons: a false alarm has probability < 1e-3), which still
    # catches a miscalibration of a few percent relative in the upper deciles.
    deciles = pd.qcut(default_cohort.oracle_mi_probability, 10, labels=False)
    grouped = default_cohort.groupby(deciles).agg(
        predicted=("oracle_mi_probability", "mean"), observed=("mi", "mean"), n=("mi", "size")
    )
    se = np.sqrt(grouped.predicted * (1 - grouped.predicted) / grouped.n)
    assert (np.abs(grouped.observed - grouped.predicted) <= 4 * se + 1e-6).all(), grouped


def test_oracle_auroc_in_realistic_range(default_cohort):
    auroc = roc_auc_score(default_cohort.mi, default_cohort.oracle_mi_probability)
    assert 0.95 <= auroc <= 0.985


def test_oracle_ignores_encounter_columns(default_cohort):
    # The encounter never sees MI, so given the oracle, documented symptoms carry no further information: within
    # an oracle bin, MI rates with and without a documented atypical symptom agree (z < 4).
    frame = default_cohort[(default_cohort.oracle_mi_probability > 0.05) & (default_cohort.oracle_mi_probability < 0.5)]
    frame = frame[frame.sx_nausea]
    residual = frame.mi - frame.oracle_mi_probability
    documented = frame.doc_nausea
    diff = residual[documented].mean() - residual[~documented].mean()
    se = np.sqrt(residual[documented].var() / documented.sum() + residual[~documented].var() / (~documented).sum())
    assert abs(diff / se) < 4


@pytest.mark.parametrize("finding", ECG_FINDINGS)
def test_every_ecg_category_occurs(default_cohort, finding):
    assert (default_cohort.ecg == finding).any()


def test_troponin_is_censored_at_the_reportable_limit_and_the_oracle_stays_exact(seed):
    # A limit of 150 ng/L (instead of 50,000) censors enough rows in every pattern (0 h only, 1 h only, both) to
    # compare the oracle with the independent quadrature on each; the default limit censors ~1 row in 4 million.
    cfg = load_scenario(SCENARIO_DIR / "default.yaml", ["presentation.troponin.reportable_max_ng_l=150"])
    cohort = simulate_frame(cfg, 200_000, seed)
    t0, t1 = cohort.troponin_0h_ng_l, cohort.troponin_1h_ng_l
    assert t0.max() == 150 and t1.max() == 150
    patterns = {"0h": (t0 == 150) & (t1 < 150), "1h": (t0 < 150) & (t1 == 150), "both": (t0 == 150) & (t1 == 150)}
    sample = pd.concat([cohort[mask].head(25) for mask in patterns.values()])
    assert all(mask.sum() >= 25 for mask in patterns.values()), {k: int(m.sum()) for k, m in patterns.items()}
    expected = np.array([_reference_posterior(cfg, row) for _, row in sample.iterrows()])
    # Quadrature agrees to ~1e-10 relative in each likelihood; 1e-7 leaves room for its error in the posterior.
    np.testing.assert_allclose(sample.oracle_mi_probability.to_numpy(), expected, rtol=1e-7, atol=1e-10)


def test_a_reportable_limit_below_the_floor_is_refused():
    with pytest.raises(Exception, match="reportable_max_ng_l must be above troponin.floor_ng_l"):
        load_scenario(SCENARIO_DIR / "default.yaml", ["presentation.troponin.reportable_max_ng_l=0.5"])
