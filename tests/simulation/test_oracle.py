"""``oracle_mi_probability`` is the exact posterior: an independent re-implementation agrees, and it is calibrated."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.metrics import roc_auc_score

from chestpain.features.columns import ECG_FINDINGS, SYMPTOMS
from chestpain.simulation import SCENARIO_DIR, load_scenario, simulate_frame
from tests.simulation.conftest import scenario


def _reference_posterior(cfg, row: pd.Series) -> float:
    """P(MI | V) from :func:`_reference_posteriors`."""
    return _reference_posteriors(cfg, row)[0]


def _reference_posteriors(cfg, row: pd.Series) -> tuple[float, float]:
    """Bayes' rule written out with scipy, one patient at a time (slow, independent of the vectorised code).

    P(MI | V) = e^{prior + O} A1 / (e^{prior + O} (A1 + A0) + N): O from the symptoms, pain and vitals of an
    acute coronary event vs none (an event's history is a two-class mixture: silent like no event, or typical);
    A1 / A0 the acute states' troponin-and-ECG likelihood times P(adjudicated MI) / its complement; N the
    non-coronary states' likelihood. A kinetic state's likelihood is the sum over the model's three recall-error
    values (Gauss-Hermite points and weights of N(0, recall_log_sd^2), the model's definition).
    P(MACE | V) replaces A0 and N by the same sums with each state's 30-day MACE risk (an index MI always counts).
    """
    male = row.sex == "male"
    decade = (row.age - 55) / 10
    prior = cfg.mi.intercept + cfg.mi.per_decade * decade + cfg.mi.male * male
    prior += sum(coef * row[name] for name, coef in cfg.mi.risk_factors.items())
    p = cfg.presentation
    silent = p.silent_presentation_share
    history = {0: 1.0, 1: 1.0}  # P(symptoms | no event) and P(symptoms | typical event)
    for name in SYMPTOMS:
        rates = p.symptoms[name]
        without = rates.no_mi_men if male else rates.no_mi_women
        marginal = rates.mi_men if male else rates.mi_women
        typical = (marginal - silent * without) / (1 - silent)
        for event, prob in ((0, without), (1, typical)):
            history[event] *= prob if row[f"sx_{name}"] else 1 - prob
    other = np.log((1 - silent) * history[1] + silent * history[0]) - np.log(history[0])
    for event in (0, 1):
        sign = 1 if event else -1
        other += sign * stats.binom.logpmf(
            row.pain_score, 10, p.pain.mi_mean_fraction if event else p.pain.no_mi_mean_fraction
        )
        for vital in ("heart_rate", "systolic_bp"):
            v = getattr(p, vital)
            mean = v.mi_mean if event else v.no_mi_mean
            a, b = (v.low - mean) / v.sd, (v.high - mean) / v.sd
            other += sign * stats.truncnorm.logpdf(row[vital], a, b, loc=mean, scale=v.sd)
    trop = p.troponin
    sums = {"mi": 0.0, "not": 0.0, "non": 0.0, "not_mace": 0.0, "non_mace": 0.0}
    for outcome in ("acute_coronary", "non_coronary"):
        components = [c for c in trop.components if c.outcome == outcome]
        logits = np.array([c.weight_logit_at_65 + c.weight_logit_per_decade * (row.age - 65) / 10 for c in components])
        weights = np.exp(logits - logits.max())
        weights /= weights.sum()
        for w, c in zip(weights, components, strict=True):
            like_mi, like_not = _troponin_terms(cfg, c, male, row)
            ecg = c.ecg or (p.ecg_mi if outcome == "acute_coronary" else p.ecg_no_mi)
            w = w * getattr(ecg, row.ecg)  # the first ECG depends on the state
            mace = c.outcome_30d_risk if c.mace_30d_risk is None else c.mace_30d_risk
            if outcome == "acute_coronary":
                sums["mi"] += w * like_mi
                sums["not"] += w * like_not
                sums["not_mace"] += w * like_not * mace
            else:  # the state's history: like an event's (typical) with probability h, else like none
                w = w * (c.history_like_event * history[1] / history[0] + 1 - c.history_like_event)
                sums["non"] += w * (like_mi + like_not)
                sums["non_mace"] += w * (like_mi + like_not) * mace
    event_odds = np.exp(prior + other)
    total = event_odds * (sums["mi"] + sums["not"]) + sums["non"]
    p_mi = event_odds * sums["mi"] / total
    p_mace = (event_odds * (sums["mi"] + sums["not_mace"]) + sums["non_mace"]) / total
    return float(p_mi), float(p_mace)


def _curve(kinetics, hours: float) -> float:
    """The kinetic log level, written from the config's formula (smooth lag, Hill rise, linear decline)."""
    if kinetics is None:
        return 0.0
    s = 0.1 * np.logaddexp(0.0, (hours - kinetics.lag_hours) / 0.1)
    h, tau, b = kinetics.hill, kinetics.half_rise_hours, kinetics.baseline_fraction
    return np.log(b + (1 - b) * s**h / (tau**h + s**h)) - kinetics.decline_per_hour * s


def _troponin_terms(cfg, component, male: bool, row: pd.Series) -> tuple[float, float]:
    """p(t0, t1, MI | state) and p(t0, t1, no MI | state), summing a kinetic state over recall errors.

    Without a recorded t1 (NaN), p(t0, MI | state) and p(t0, no MI | state).
    """
    trop = cfg.presentation.troponin
    recall = cfg.presentation.onset.recall_log_sd
    if component.kinetics is None or recall == 0:
        return _terms_at(trop, component, male, row, row.symptom_onset_hours)
    nodes, weights = np.polynomial.hermite.hermgauss(3)
    parts = [
        _terms_at(trop, component, male, row, row.symptom_onset_hours * np.exp(np.sqrt(2) * recall * x)) for x in nodes
    ]
    probabilities = weights / np.sqrt(np.pi)
    return (
        float(sum(p * part[0] for p, part in zip(probabilities, parts, strict=True))),
        float(sum(p * part[1] for p, part in zip(probabilities, parts, strict=True))),
    )


def _mass(lo: float, hi: float, mean: float, sd: float) -> float:
    """P(lo <= N(mean, sd^2) < hi), from the upper tail above the mean (no cancellation there)."""
    if lo > mean:
        return float(stats.norm.sf(lo, mean, sd) - stats.norm.sf(hi, mean, sd))
    return float(stats.norm.cdf(hi, mean, sd) - stats.norm.cdf(lo, mean, sd))


def _later_value(row: pd.Series, column: str) -> float:
    """A recorded 2 h or 3 h value, NaN where the record (or the frame) has none."""
    value = row.get(column, np.nan)
    return np.nan if pd.isna(value) else float(value)


def _terms_at(trop, component, male: bool, row: pd.Series, onset: float) -> tuple[float, float]:
    """Probability of the reported samples at a given true onset, split by adjudication.

    Reported values are whole ng/L (below the limit of detection as one code), so each is an interval of the
    latent log excess; the 1 h sample is centred on the reported 0 h value. A t1 that was not recorded (NaN) is
    summed out: no factor for it, and it is one more sample that may exceed the limit, independent of the later
    ones given the reported t0 (its own normal draw). The later samples (2 h, 3 h, hidden) are centred on the
    reported t0 plus their own mean ratio and share one standard normal deviation e: each recorded 2 h or 3 h
    value confines e to an interval, and one of the three exceeds the limit when e reaches the lowest of their
    thresholds.
    """
    plateau = component.median_excess_men_ng_l if male else component.median_excess_women_ng_l
    g0 = _curve(component.kinetics, onset)
    mu0 = np.log(plateau) + g0
    ratio = np.log(component.median_rise_ratio_1h)
    mud = _curve(component.kinetics, onset + 1) - g0 + ratio
    later = max(_curve(component.kinetics, onset + h) - g0 for h in (2.0, 3.0, trop.adjudication_sample_hours))
    floor, lod, upper = trop.floor_ng_l, trop.limit_of_detection_ng_l, trop.reportable_max_ng_l or np.inf
    sa = component.log_sd_rise_adjudication

    def interval(reported: float) -> tuple[float, float]:
        if reported < lod:
            return -np.inf, np.log(lod - floor)
        top = np.inf if reported >= upper else np.log(reported + 0.5 - floor)
        return np.log(max(reported - 0.5, lod) - floor), top

    t0, t1 = row.troponin_0h_ng_l, row.troponin_1h_ng_l
    t2, t3 = _later_value(row, "troponin_2h_ng_l"), _later_value(row, "troponin_3h_ng_l")
    z0 = np.log((floor + lod) / 2 - floor) if t0 < lod else np.log(t0 - floor)
    change_sd = np.sqrt(component.log_sd_rise_1h**2 + 2 * trop.analytical_sd_ng_l**2 / (np.exp(2 * z0) + 1))
    recorded = not np.isnan(t1)
    probability = _mass(*interval(t0), mu0, component.log_sd_0h)
    if recorded:
        probability *= _mass(*interval(t1), z0 + mud, change_sd)
    # e's interval from the recorded later values: z_h = z0 + mu_h + sa e is reported as t_h.
    a, b = -np.inf, np.inf
    for hours, value in ((2.0, t2), (3.0, t3)):
        if not np.isnan(value):
            mu = _curve(component.kinetics, onset + hours) - g0 + ratio
            lo, hi = interval(value)
            a, b = max(a, (lo - z0 - mu) / sa), min(b, (hi - z0 - mu) / sa)
    pinned = np.isfinite(a) or np.isfinite(b)  # (scipy is slow: no interval arithmetic without a later value)
    later_mass = (_mass(a, b, 0.0, 1.0) if a < b else 0.0) if pinned else 1.0
    limit = trop.adjudication_limit_men_ng_l if male else trop.adjudication_limit_women_ng_l
    # A reported value exceeds the limit when the latent one reaches limit + 0.5 ng/L (whole ng/L, half up).
    c = np.log(limit + 0.5 - floor)
    if max([t0, *(t for t in (t1, t2, t3) if not np.isnan(t))]) > limit:
        return probability * later_mass, 0.0
    # The later samples share one deviation: the highest of their means decides.
    tau = (c - z0 - later - ratio) / sa
    if pinned:
        later_mi = _mass(max(a, tau), b, 0.0, 1.0) if max(a, tau) < b else 0.0
        later_not = _mass(a, min(b, tau), 0.0, 1.0) if a < min(b, tau) else 0.0
    else:
        later_mi, later_not = stats.norm.sf(tau), stats.norm.cdf(tau)
    if recorded:
        return probability * later_mi, probability * later_not
    # Not recorded: MI if the 1 h sample or a later one is above; P(neither) is the product of the two.
    sf_1h, cdf_1h = stats.norm.sf(c, z0 + mud, change_sd), stats.norm.cdf(c, z0 + mud, change_sd)
    return probability * (sf_1h * later_mass + cdf_1h * later_mi), probability * cdf_1h * later_not


def test_oracle_matches_independent_bayes_rule(default_cohort):
    cfg = scenario("default")
    cohort = default_cohort
    sample = cohort.sample(150, random_state=1)
    t1, t2, t3 = (cohort[f"troponin_{h}_ng_l"].notna() for h in ("1h", "2h", "3h"))
    # Oversample MI, early presenters and high-troponin rows so the comparison covers every state, and each
    # record pattern with a later sample (0/1 h observe zone: 1 h and 3 h; 0/2 h: 2 h, and 3 h in its observe
    # zone; 0/3 h: 3 h), with 0 h values near the men's limit where the later samples decide adjudication.
    sample = pd.concat(
        [
            sample,
            cohort[cohort.mi].head(40),
            cohort[cohort.symptom_onset_hours < 1].head(30),
            cohort[cohort.troponin_0h_ng_l > 64].head(30),
            *(cohort[pattern].head(25) for pattern in (t1 & t3, t2 & ~t3, t2 & t3, ~t1 & ~t2 & t3)),
            cohort[(t2 | t3) & (cohort.sex == "male") & cohort.troponin_0h_ng_l.between(20, 34)].head(40),
        ]
    )
    expected = np.array([_reference_posteriors(cfg, row) for _, row in sample.iterrows()])
    # Same arithmetic in closed form, written independently: agreement to rounding (1e-9 relative).
    np.testing.assert_allclose(sample.oracle_mi_probability.to_numpy(), expected[:, 0], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(sample.oracle_mace_probability.to_numpy(), expected[:, 1], rtol=1e-9, atol=1e-12)


def test_mace_oracle_is_calibrated_in_deciles(default_cohort):
    # As for MI: observed 30-day MACE vs the mean oracle in each decile on 1,000,000 rows, 4 standard errors.
    deciles = pd.qcut(default_cohort.oracle_mace_probability, 10, labels=False, duplicates="drop")
    grouped = default_cohort.groupby(deciles).agg(
        predicted=("oracle_mace_probability", "mean"), observed=("mace_30d", "mean"), n=("mace_30d", "size")
    )
    se = np.sqrt(grouped.predicted * (1 - grouped.predicted) / grouped.n)
    assert (np.abs(grouped.observed - grouped.predicted) <= 4 * se + 1e-6).all(), grouped


def test_mace_includes_every_mi_and_every_non_mi_death_or_mi(default_cohort):
    assert default_cohort.mace_30d[default_cohort.mi].all()
    assert default_cohort.mace_30d[~default_cohort.mi & default_cohort.outcome_30d].all()
    assert (default_cohort.oracle_mace_probability >= default_cohort.oracle_mi_probability - 1e-12).all()
    assert (default_cohort.acs == default_cohort.mi | default_cohort.unstable_angina).all()
    assert not (default_cohort.mi & default_cohort.unstable_angina).any()


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
    # The oracle of the record: 0 h, and 1 h at 0/1 h sites (0.982 with that alone) and, for about 57% of
    # visits, a 2 h or 3 h value that pins the later samples' shared deviation (0.986).
    auroc = roc_auc_score(default_cohort.mi, default_cohort.oracle_mi_probability)
    assert 0.95 <= auroc <= 0.99


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


def test_reported_values_are_whole_with_a_censored_code_and_the_oracle_stays_exact(seed):
    # A reportable limit of 150 ng/L (instead of 50,000) censors enough rows at the top in every pattern (0 h
    # only, 1 h only, both) to compare the oracle with the independent reference on each, and "< 2 ng/L"
    # (coded 1) occurs in every pattern at the bottom.
    cfg = load_scenario(SCENARIO_DIR / "default.yaml", ["presentation.troponin.reportable_max_ng_l=150"])
    cohort = simulate_frame(cfg, 200_000, seed)
    t0, t1 = cohort.troponin_0h_ng_l, cohort.troponin_1h_ng_l
    assert t0.max() == 150 and t1.max() == 150
    for values in (t0, t1.dropna(), cohort.troponin_3h_ng_l.dropna()):
        assert (values == np.round(values)).all() and values.min() == 1
        assert not ((values > 1) & (values < 2)).any()
    later = cohort[["troponin_2h_ng_l", "troponin_3h_ng_l"]]
    patterns = {
        "2h or 3h top": (later == 150).any(axis=1) & (t0 < 150),
        "2h or 3h below LoD": (later == 1).any(axis=1) & (t0 > 1),
        "0h top": (t0 == 150) & (t1 < 150),
        "1h top": (t0 < 150) & (t1 == 150),
        "both top": (t0 == 150) & (t1 == 150),
        "0h below LoD": (t0 == 1) & (t1 > 1),
        "1h below LoD": (t0 > 1) & (t1 == 1),
        "both below LoD": (t0 == 1) & (t1 == 1),
    }
    assert all(mask.sum() >= 25 for mask in patterns.values()), {k: int(m.sum()) for k, m in patterns.items()}
    sample = pd.concat([cohort[mask].head(25) for mask in patterns.values()])
    expected = np.array([_reference_posteriors(cfg, row) for _, row in sample.iterrows()])
    np.testing.assert_allclose(sample.oracle_mi_probability.to_numpy(), expected[:, 0], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(sample.oracle_mace_probability.to_numpy(), expected[:, 1], rtol=1e-9, atol=1e-12)


def test_a_reportable_limit_below_the_floor_is_refused():
    with pytest.raises(Exception, match="reportable_max_ng_l must be above troponin.floor_ng_l"):
        load_scenario(SCENARIO_DIR / "default.yaml", ["presentation.troponin.reportable_max_ng_l=0.5"])


def _patient(**changes) -> pd.DataFrame:
    from chestpain.features.columns import RISK_FACTORS

    row = {
        "age": 62,
        "sex": "male",
        "race": "white",
        "pain_score": 5,
        "heart_rate": 84.0,
        "systolic_bp": 140.0,
        "ecg": "ischemic",
        "symptom_onset_hours": 5.0,
        # Troponin 1.5 -> 1.6 ng/L as the laboratory reports it: "< 2" (coded 1), then 2.
        "troponin_0h_ng_l": 1.0,
        "troponin_1h_ng_l": 2.0,
        **dict.fromkeys(RISK_FACTORS, False),
        **{f"sx_{name}": False for name in SYMPTOMS},
        "diabetes": True,
        "sx_chest_pain": True,
        "sx_exertional": True,
    }
    row.update(changes)
    return pd.DataFrame([row])


def test_flat_troponin_with_ischaemia_is_not_safe_for_mace_though_mi_is_unlikely():
    # Issue 24's example: diabetic man, exertional pain, ischaemic ECG, flat hs-cTnI, onset 5 h. MI is ruled out
    # by troponin, but unstable angina is not: his 30-day MACE (death, MI, urgent revascularisation) is far above
    # the 1% that safe-discharge pathways accept (HEART 6: 12-17% in Backus 2013), so no oracle calls it safe.
    from chestpain.simulation import oracle_for_visits

    cfg = scenario("default")
    man = oracle_for_visits(cfg, _patient()).iloc[0]
    assert man.oracle_mi_probability < 0.01
    assert man.oracle_mace_probability > 0.05
    # A 40-year-old without risk factors, exertional pain or ECG changes and the same troponin is low risk.
    young = oracle_for_visits(
        cfg, _patient(age=40, diabetes=False, sx_exertional=False, ecg="normal", troponin_1h_ng_l=1.0)
    ).iloc[0]
    assert young.oracle_mace_probability < 0.01


def test_oracle_for_visits_agrees_with_the_simulated_oracle(default_cohort):
    from chestpain.simulation import oracle_for_visits

    sample = default_cohort.sample(500, random_state=3)
    got = oracle_for_visits(scenario("default"), sample)
    np.testing.assert_allclose(got.oracle_mi_probability, sample.oracle_mi_probability, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(got.oracle_mace_probability, sample.oracle_mace_probability, rtol=1e-12, atol=1e-15)


# Records without the 1 h sample: t1 is NaN and the oracle is P(MI | everything else in V), the unrecorded 1 h
# value summed out. Here the records keep the 0 h sample alone (the 0/2 h and 0/3 h sites' later samples are
# tested below).
