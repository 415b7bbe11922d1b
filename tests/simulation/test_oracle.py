"""``oracle_mi_probability`` is the exact posterior: an independent re-implementation agrees, and it is calibrated."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.metrics import roc_auc_score

from features.columns import ECG_FINDINGS, SYMPTOMS
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
        z0 = np.log(row.troponin_0h_ng_l - p.troponin.floor_ng_l)
        z1 = np.log(row.troponin_1h_ng_l - p.troponin.floor_ng_l)
        density = 0.0
        for w, c in zip(weights, components, strict=True):
            median = c.median_excess_men_ng_l if male else c.median_excess_women_ng_l
            density += (
                w
                * stats.norm.pdf(z0, np.log(median), c.log_sd_0h)
                * stats.norm.pdf(z1 - z0, np.log(c.median_rise_ratio_1h), c.log_sd_rise_1h)
            )
        log_l += np.log(density)
        like[mi] = log_l
    return float(1 / (1 + np.exp(-(logit + like[1] - like[0]))))


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
