"""The oracle of a record that lacks samples or holds later ones (issue 25): the 1 h sample missing (a 0/2 h or
0/3 h site), the 2 h and 3 h samples recorded; against Monte Carlo, Bayes' rule and itself."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.metrics import roc_auc_score

from chestpain.features.columns import ECG_FINDINGS, SYMPTOMS
from chestpain.simulation import SCENARIO_DIR, load_scenario, simulate_frame
from tests.simulation.conftest import scenario
from tests.simulation.test_fast_paths import _reference_split
from tests.simulation.test_oracle import _patient, _reference_posteriors


def _without_1h(frame: pd.DataFrame) -> pd.DataFrame:
    """The records as if only the 0 h sample were kept (the later samples too are dropped: which of them a record
    holds depends on the 1 h value at 0/1 h sites, so masking t1 alone would make their absence informative)."""
    return frame.assign(troponin_1h_ng_l=np.nan, troponin_2h_ng_l=np.nan, troponin_3h_ng_l=np.nan)


def test_oracle_without_1h_matches_independent_bayes_rule(default_cohort):
    from chestpain.simulation import oracle_for_visits

    cfg = scenario("default")
    cohort = default_cohort
    # As in the test with t1: every state, plus rows just below the men's limit (34 ng/L) at 0 h, where the
    # unrecorded 1 h sample most often decides adjudication, and rows above it (MI for sure in acute states).
    sample = _without_1h(
        pd.concat(
            [
                cohort.sample(150, random_state=2),
                cohort[cohort.mi].head(40),
                cohort[cohort.symptom_onset_hours < 1].head(30),
                cohort[(cohort.sex == "male") & cohort.troponin_0h_ng_l.between(25, 34)].head(30),
                cohort[cohort.troponin_0h_ng_l > 64].head(30),
            ]
        )
    )
    # A nullable column with NA (as a parquet reader may return) is read as missing too.
    sample["troponin_1h_ng_l"] = sample.troponin_1h_ng_l.astype("Float64")
    got = oracle_for_visits(cfg, sample)
    expected = np.array([_reference_posteriors(cfg, row) for _, row in _without_1h(sample).iterrows()])
    np.testing.assert_allclose(got.oracle_mi_probability, expected[:, 0], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(got.oracle_mace_probability, expected[:, 1], rtol=1e-9, atol=1e-12)


def _vitals_likelihood(cfg, event: bool, pain: int, heart_rate: float, systolic_bp: float) -> float:
    """p(pain, heart rate, systolic BP | acute coronary event or not), from the config with scipy."""
    p = cfg.presentation
    out = stats.binom.pmf(pain, 10, p.pain.mi_mean_fraction if event else p.pain.no_mi_mean_fraction)
    for v, x in ((p.heart_rate, heart_rate), (p.systolic_bp, systolic_bp)):
        mean = v.mi_mean if event else v.no_mi_mean
        out *= stats.truncnorm.pdf(x, (v.low - mean) / v.sd, (v.high - mean) / v.sd, loc=mean, scale=v.sd)
    return float(out)


#: One patient pattern: diabetic man of 64, chest pain only, non-specific ECG, onset 2 h, pain 6, HR 90, SBP 135.
_PATTERN = {
    "age": 64,
    "pain_score": 6,
    "heart_rate": 90.0,
    "systolic_bp": 135.0,
    "ecg": "nonspecific",
    "symptom_onset_hours": 2.0,
    "sx_exertional": False,
}


def _pattern_draws(seed: int, draws: int, keep) -> pd.DataFrame:
    """Visits of the :data:`_PATTERN` patient drawn with the generator's own sampling functions.

    Troponin state and samples, history, ECG by state, MI = event and any of the five samples above the limit,
    MACE = MI or the state's risk; visits whose 0 h value passes ``keep`` and whose ECG and symptoms match the
    pattern are returned with every sample (t0 ... t3), mi, mace and a weight. Stratified by the event (equal
    draws with and without), each stratum weighted by P(E) p(pain, vitals | E) / draws: pain and vitals depend
    on E alone, so they enter as a weight instead of being matched.
    """
    from chestpain.simulation._distributions import PresentationModel

    cfg = scenario("default")
    model = PresentationModel.from_params(cfg.presentation)
    trop = model.troponin
    p = _PATTERN
    age, onset, ecg = p["age"], p["symptom_onset_hours"], ECG_FINDINGS.index(p["ecg"])
    symptoms = np.array([name == "chest_pain" for name in SYMPTOMS])
    prior = cfg.mi.intercept + cfg.mi.per_decade * (age - 55) / 10 + cfg.mi.male + cfg.mi.risk_factors["diabetes"]
    p_event = 1 / (1 + np.exp(-prior))
    rng = np.random.default_rng(seed)
    chunk = 1_000_000
    kept = []
    for event in (False, True):
        weight = (p_event if event else 1 - p_event) * _vitals_likelihood(
            cfg, event, p["pain_score"], p["heart_rate"], p["systolic_bp"]
        )
        for _ in range(draws // chunk):
            s = trop.sample(
                np.full(chunk, age),
                np.ones(chunk, bool),
                np.full(chunk, onset),
                np.full(chunk, event),
                rng.random(chunk),
                rng.standard_normal((chunk, 3)),
            )
            near = np.flatnonzero(keep(s.t0))  # the rest of the visit only where t0 can match
            state = s.component[near]
            cumulative = np.cumsum(np.exp(trop.log_ecg[state]), axis=1)
            ecg_drawn = np.minimum((rng.random(len(near))[:, None] >= cumulative).sum(axis=1), 2)
            history = model.symptoms.sample(
                np.full(len(near), event),
                np.ones(len(near), bool),
                trop.history_like_event[state],
                rng.random((len(near), len(SYMPTOMS))),
                rng.random(len(near)),
            )
            peak = np.maximum.reduce([s.t0, s.t1, s.t2, s.t3, s.t_adjudication])[near]
            mi = event & (peak > cfg.presentation.troponin.adjudication_limit_men_ng_l)
            mace = mi | (rng.random(len(near)) < trop.mace_risk[state])
            match = (ecg_drawn == ecg) & (history == symptoms).all(axis=1)
            samples = {name: getattr(s, name)[near][match] for name in ("t0", "t1", "t2", "t3")}
            kept.append(pd.DataFrame({**samples, "mi": mi[match], "mace": mace[match], "weight": weight / draws}))
    return pd.concat(kept, ignore_index=True)


def test_oracle_without_1h_agrees_with_monte_carlo_for_a_fixed_pattern():
    # The pattern with 0 h values just below his limit (34 ng/L), where the unrecorded 1 h sample can still
    # decide adjudication; visits whose t0 matches are kept, whatever their other samples (none recorded).
    from chestpain.simulation import oracle_for_visits

    cfg = scenario("default")
    t0_values = np.arange(26.0, 34.0)
    pattern = pd.concat([_patient(**_PATTERN, troponin_0h_ng_l=t0, troponin_1h_ng_l=np.nan) for t0 in t0_values])
    oracle = oracle_for_visits(cfg, pattern)
    visits = _pattern_draws(20_240_611, 4_000_000, lambda t0: np.isin(t0, t0_values))
    t0, mi, mace, weight = (visits[name].to_numpy() for name in ("t0", "mi", "mace", "weight"))
    which = np.searchsorted(t0_values, t0)
    assert np.bincount(which).min() > 1_000  # about 1,450-2,100 matching visits per 0 h value
    for outcome, column in ((mi, "oracle_mi_probability"), (mace, "oracle_mace_probability")):
        predicted = oracle[column].to_numpy()[which]
        residual = weight * (outcome - predicted)
        # Per 0 h value: the weighted rate (a ratio estimator) and its delta-method SE, sqrt(sum w^2 (y - p)^2) /
        # sum w, the binomial SE with weights (about 0.005-0.01 here); 4 SE for 16 comparisons (false alarm
        # < 1e-3).
        for j in range(len(t0_values)):
            rows = which == j
            rate = np.sum(weight[rows] * outcome[rows]) / weight[rows].sum()
            se = np.sqrt(np.sum((weight[rows] * (outcome[rows] - rate)) ** 2)) / weight[rows].sum()
            assert abs(rate - predicted[rows][0]) <= 4 * se, (column, t0_values[j], rate, predicted[rows][0], se)
        # Pooled over the eight values: every residual y - oracle has mean 0 given the pattern, so their weighted
        # sum over its SE is about N(0, 1). Power: leaving the 1 h sample out of adjudication lowers P(MI) by
        # 0.01-0.03 here, which gives z = 10 on these draws (and fails the per-value check at 30 ng/L).
        z = residual.sum() / np.sqrt(np.sum(residual**2))
        assert abs(z) < 4, (column, z)


@pytest.fixture(scope="module")
def pattern_visits() -> pd.DataFrame:
    """About 54,000 visits of the pattern with 0 h values of 10-34 ng/L (below his limit), every sample kept."""
    return _pattern_draws(20_240_612, 3_000_000, lambda t0: (t0 >= 10) & (t0 <= 34))


def _group_z(weight, outcome, predicted, groups: dict) -> dict:
    """Weighted residual sum over its SE under the oracle, sqrt(sum w^2 p (1 - p)), per group of each grouping.

    If the oracle is P(outcome | record), y - p has mean 0 given the record, so for any function of the record
    (here: groups) the sum is about N(0, 1). The SE is the model's, not the empirical one, so a group whose
    outcomes are all 0 at small p gets a small z, as it should.
    """
    residual, variance = weight * (outcome - predicted), weight**2 * predicted * (1 - predicted)
    z = {}
    for name, labels in groups.items():
        for label in np.unique(labels):
            rows = labels == label
            if rows.sum() >= 50:
                z[name, label] = residual[rows].sum() / np.sqrt(variance[rows].sum())
    return z


@pytest.mark.parametrize("record", ["1h and 3h", "2h without 1h"])
def test_oracle_with_later_samples_agrees_with_monte_carlo_for_a_fixed_pattern(pattern_visits, record):
    # The pattern's visits as a 0/1 h site's observe zone records them (0 h, 1 h, 3 h) or as a 0/2 h site does
    # (0 h, 2 h): each visit's oracle from its own record, compared with its drawn MI and MACE by group.
    from chestpain.simulation import oracle_for_visits

    cfg = scenario("default")
    visits = pattern_visits
    missing = np.full(len(visits), np.nan)
    t1, t2, t3 = (visits.t1, missing, visits.t3) if record == "1h and 3h" else (missing, visits.t2, missing)
    later = visits.t3 if record == "1h and 3h" else visits.t2

    def oracle(t2: np.ndarray, t3: np.ndarray) -> pd.DataFrame:
        base = _patient(**_PATTERN)
        frame = base.loc[base.index.repeat(len(visits))].reset_index(drop=True)
        columns = {"troponin_0h_ng_l": visits.t0, "troponin_1h_ng_l": t1, "troponin_2h_ng_l": t2}
        return oracle_for_visits(cfg, frame.assign(**columns, troponin_3h_ng_l=t3))

    right = oracle(t2, t3)
    # Alternatives the test must reject: the later value ignored (the 0 h + 1 h oracle), or read as the other
    # later sample (its kinetic mean ratio taken for the wrong hour).
    wrong = {"ignored": oracle(missing, missing), "2h and 3h swapped": oracle(t3, t2)}
    weight = visits.weight.to_numpy()
    for outcome, column in ((visits.mi, "oracle_mi_probability"), (visits.mace, "oracle_mace_probability")):
        predicted = right[column].to_numpy()
        groups = {
            "oracle decile": pd.qcut(predicted, 10, labels=False, duplicates="drop"),
            "later value": np.digitize(later, [10, 20, 30, 34, 40, 60, 100]),
            "0 h value": np.digitize(visits.t0, [15, 20, 25, 30]),
        }
        # 23 groups x 2 outcomes per record: 4 SE gives a false alarm with probability < 3e-3. On these draws
        # the largest |z| is 1.4-2.1, and each wrong oracle reaches 8-47 somewhere (swapped: 8-12).
        z = _group_z(weight, outcome.to_numpy(), predicted, groups)
        assert max(map(abs, z.values())) < 4, (record, column, z)
        for name, alternative in wrong.items():
            z_wrong = _group_z(weight, outcome.to_numpy(), alternative[column].to_numpy(), groups)
            assert max(map(abs, z_wrong.values())) > 6, (record, column, name)


def test_oracle_without_1h_is_calibrated_in_deciles(default_cohort):
    # The 1,000,000-row cohort with only its 0 h values kept: observed MI and 30-day MACE vs the mean oracle in
    # each decile, 4 binomial SE as in the tests with t1 (20 comparisons: a false alarm has probability < 2e-3).
    from chestpain.simulation import oracle_for_visits

    masked = oracle_for_visits(scenario("default"), _without_1h(default_cohort))
    frame = pd.concat([masked, default_cohort[["mi", "mace_30d"]].reset_index(drop=True)], axis=1)
    for column, outcome in (("oracle_mi_probability", "mi"), ("oracle_mace_probability", "mace_30d")):
        deciles = pd.qcut(frame[column], 10, labels=False, duplicates="drop")
        grouped = frame.groupby(deciles).agg(
            predicted=(column, "mean"), observed=(outcome, "mean"), n=(outcome, "size")
        )
        se = np.sqrt(grouped.predicted * (1 - grouped.predicted) / grouped.n)
        assert (np.abs(grouped.observed - grouped.predicted) <= 4 * se + 1e-6).all(), (column, grouped)
    # Not vacuous: without the 1 h value the oracle knows less, so it ranks MI a little worse.
    assert roc_auc_score(frame.mi, frame.oracle_mi_probability) < roc_auc_score(
        default_cohort.mi, default_cohort.oracle_mi_probability
    )


def test_rows_with_1h_are_unchanged_by_rows_without_it_in_the_same_batch(default_cohort):
    # 30,000 visits with their 1 h value, alone and interleaved with a masked copy of each: every row with t1
    # gets the same bytes (the batch spans several of terms()'s 8,192-row blocks, cut in different places).
    from chestpain.simulation import oracle_for_visits

    cfg = scenario("default")
    rows = default_cohort.dropna(subset=["troponin_1h_ng_l"]).sample(30_000, random_state=4).reset_index(drop=True)
    alone = oracle_for_visits(cfg, rows)
    mixed = oracle_for_visits(cfg, pd.concat([rows, _without_1h(rows)]).sort_index(kind="stable"))
    pd.testing.assert_frame_equal(mixed.iloc[::2].reset_index(drop=True), alone, check_exact=True)
    masked = mixed.iloc[1::2].reset_index(drop=True)
    pd.testing.assert_frame_equal(masked, oracle_for_visits(cfg, _without_1h(rows)), check_exact=True)
    assert (masked.oracle_mi_probability != alone.oracle_mi_probability).mean() > 0.5


def test_split_by_adjudication_without_1h_matches_log_space_even_where_linear_sums_underflow():
    from chestpain.simulation._mixture_math import _split_by_adjudication

    rng = np.random.default_rng(7)
    n, k = 600, 15
    log_joint = rng.normal(scale=50.0, size=(n, k))
    margin, margin_all_1h = rng.normal(scale=6.0, size=(n, k)), rng.normal(scale=6.0, size=(n, k))
    # Rows whose MI sum underflows in linear space (log space then), and rows where only the unrecorded 1 h
    # sample (or only a later one) makes a tiny-weight state an MI.
    margin[:40], margin_all_1h[:40] = -40.0, -45.0
    margin[40:60, 0], margin[40:60, 1:], margin_all_1h[40:60] = -50.0, -45.0, -40.0
    margin_all_1h[40:60, 0] = 30.0
    log_joint[40:60, 0] = -700.0
    margin[60:70], margin_all_1h[60:70] = 40.0, 35.0  # MI for sure: the no-MI sum underflows
    log_joint[70:75] = -np.inf
    above = rng.random(n) < 0.2
    above[:70] = False
    unreported = rng.random(n) < 0.5
    unreported[:75] = True
    risk = rng.uniform(0.0, 0.4, size=k)
    risk[2] = 0.0
    got = _split_by_adjudication(log_joint, margin, above, risk, unreported, margin_all_1h[unreported])
    alone = _split_by_adjudication(log_joint, margin, above, risk)
    want = _reference_split(log_joint, margin, above, risk, margin_all_1h)
    for fast, with_1h, exact in zip(got, alone, want, strict=True):
        # Rows with t1 recorded: untouched by the others. Rows without: the log-space formula to rounding.
        np.testing.assert_array_equal(fast[~unreported], with_1h[~unreported])
        finite = np.isfinite(exact[unreported])
        assert np.array_equal(finite, np.isfinite(fast[unreported]))
        np.testing.assert_allclose(fast[unreported][finite], exact[unreported][finite], rtol=1e-12, atol=1e-10)


@pytest.mark.parametrize("offset", [0.0, 0.5])
def test_unique_rows_key_missing_samples_apart_on_both_paths(offset):
    from chestpain.simulation._mixture_math import _unique_rows

    rng = np.random.default_rng(5)
    n = 5_000
    t0 = rng.integers(1, 8, n).astype(float) + offset
    t1 = rng.integers(0, 8, n).astype(float)  # 0 as a value too: a missing t1 must not be keyed like it
    t1[rng.random(n) < 0.3] = np.nan
    male, onset = rng.random(n) < 0.5, rng.integers(0, 5, n)
    rows, inverse = _unique_rows(t0, t1, male, onset)
    assert len(rows) < n
    np.testing.assert_array_equal(rows[inverse], np.column_stack([t0, t1, male, onset]).astype(float))
    # With 2 h and 3 h values (0 and missing apart again): six columns, every row rebuilt.
    later = rng.integers(0, 4, (n, 2)).astype(float)
    later[rng.random((n, 2)) < 0.5] = np.nan
    rows, inverse = _unique_rows(t0, t1, male, onset, later)
    assert len(rows) < n
    np.testing.assert_array_equal(rows[inverse], np.column_stack([t0, t1, male, onset, later]).astype(float))


# Records with a 2 h and/or 3 h value: the later samples share one deviation, which the recorded ones pin to an
# interval; the oracle is P(MI | everything the record holds).


def test_split_by_adjudication_with_later_samples_matches_log_space_even_where_linear_sums_underflow():
    from chestpain.simulation._mixture_math import _split_by_adjudication

    rng = np.random.default_rng(8)
    n, k = 600, 15
    log_joint = rng.normal(scale=50.0, size=(n, k))
    margin, margin_all_1h = rng.normal(scale=6.0, size=(n, k)), rng.normal(scale=6.0, size=(n, k))
    # The later samples' conditional P(MI): exactly 0 or 1 (tau outside e's interval, most states), or a
    # fraction, in log space down to -800 (where linear space underflows and the row is redone in log space).
    log_mi = np.log(rng.uniform(size=(n, k)))
    log_mi[rng.random((n, k)) < 0.3] = -np.inf
    log_mi[rng.random((n, k)) < 0.3] = 0.0
    log_mi[:40] = -800.0
    log_mi[40:50] = -np.inf  # MI impossible from the later samples: only an unrecorded 1 h one can make it
    log_mi[50:60, 1:], log_joint[50:60, 0] = -np.inf, -700.0  # only a tiny-weight state is an MI
    with np.errstate(divide="ignore"):
        log_not = np.log1p(-np.exp(log_mi))
    log_not[60:70] = -790.0  # MI nearly sure: the no-MI sums underflow
    log_joint[70:75] = -np.inf
    above = rng.random(n) < 0.2
    above[:75] = False
    flagged = rng.random(n) < 0.6
    flagged[:75] = True
    unreported = rng.random(n) < 0.5
    unreported[:75:2] = True  # the special rows with and without the 1 h sample
    unreported[1:75:2] = False
    risk = rng.uniform(0.0, 0.4, size=k)
    risk[2] = 0.0
    m1 = margin_all_1h[unreported]
    got = _split_by_adjudication(
        log_joint, margin, above, risk, unreported, m1, flagged, (log_mi[flagged], log_not[flagged])
    )
    alone = _split_by_adjudication(log_joint, margin, above, risk, unreported, m1)
    with_1h = _reference_split(log_joint, margin, above, risk, None, (flagged, log_mi, log_not))
    without = _reference_split(log_joint, margin, above, risk, margin_all_1h, (flagged, log_mi, log_not))
    for j, (fast, before) in enumerate(zip(got, alone, strict=True)):
        # Rows without a later sample: the same bytes as without the argument. The others: the log-space formula
        # to rounding (relative 1e-12 on sums of terms each exact to a few ulps).
        np.testing.assert_array_equal(fast[~flagged], before[~flagged])
        exact = np.where(unreported, without[j], with_1h[j])[flagged]
        finite = np.isfinite(exact)
        assert np.array_equal(finite, np.isfinite(fast[flagged]))
        np.testing.assert_allclose(fast[flagged][finite], exact[finite], rtol=1e-12, atol=1e-10)


def test_later_sample_terms_match_scipy_in_the_tails_and_at_the_edges():
    from chestpain.simulation._later_samples import later_sample_terms

    # Intervals of the shared deviation e: unbounded on one side (below the LoD, the reportable maximum, or one
    # end set by one recorded value), far in the tails, and empty (two values that the state cannot produce
    # together); tau inside, outside and on each end.
    lo = np.array([-np.inf, -1.0, 2.0, 38.0, -40.0, 0.3, 1.0, 0.5, -np.inf, 1.0, 1.0])
    hi = np.array([np.inf, 1.5, 2.5, 38.5, -39.0, 0.3, 0.5, np.inf, -2.0, 2.0, 2.0])
    tau = np.array([0.2, 0.7, 2.49, 38.2, -39.5, 0.3, 0.8, 9.0, -3.0, 1.0, 2.0])
    log_mass, log_mi, log_not = later_sample_terms(lo[:, None], hi[:, None], tau[:, None], np.array([0]))

    def reference(a, b):  # log P(a <= e < b) from the smaller tails in scipy
        if a >= b:
            return -np.inf
        if a > 0:
            return stats.norm.logsf(a) + np.log1p(-np.exp(stats.norm.logsf(b) - stats.norm.logsf(a)))
        return stats.norm.logcdf(b) + np.log1p(-np.exp(stats.norm.logcdf(a) - stats.norm.logcdf(b)))

    with np.errstate(divide="ignore", invalid="ignore"):  # -inf - -inf where there is no mass: checked apart
        mass = np.array([reference(a, b) for a, b in zip(lo, hi, strict=True)])
        mi = np.array([reference(max(a, t), b) for a, b, t in zip(lo, hi, tau, strict=True)]) - mass
        not_mi = np.array([reference(a, min(b, t)) for a, b, t in zip(lo, hi, tau, strict=True)]) - mass
    empty = ~np.isfinite(mass)
    assert empty.tolist() == [False] * 5 + [True, True] + [False] * 4
    np.testing.assert_allclose(log_mass[:, 0], mass, rtol=1e-12)
    # No mass: both parts 0 (any finite factor of a state whose weight is 0).
    assert (log_mi[empty] == 0).all() and (log_not[empty] == 0).all()
    for got, want in ((log_mi[~empty, 0], mi[~empty]), (log_not[~empty, 0], not_mi[~empty])):
        # Tau on or outside an end: one part is all of the interval (log 0 exactly), the other none.
        np.testing.assert_array_equal(np.isfinite(got), np.isfinite(want))
        np.testing.assert_array_equal(got[want == 0], 0.0)
        np.testing.assert_allclose(got[np.isfinite(want)], want[np.isfinite(want)], rtol=1e-9, atol=1e-15)
    # Intervals a few ulps wide (values the state can hardly produce together), tau inside: ndtr is monotone
    # only to rounding, so the parts may come out as nothing or as more than the whole, but never NaN and never
    # a probability above 1.
    narrow = np.array([0.3, 1.2735, 38.0, -5.0])[:, None]
    ulp = np.spacing(np.abs(narrow))
    terms = later_sample_terms(narrow, narrow + 3 * ulp, narrow + ulp, np.array([0]))
    assert not any(np.isnan(x).any() for x in terms)
    assert (terms[1] <= 0).all() and (terms[2] <= 0).all()


@pytest.fixture(scope="module")
def serial_cohort(seed) -> pd.DataFrame:
    """400,000 visits whose records hold the 2 h and 3 h samples too (as in research cohorts, by protocol)."""
    overrides = ["sampling.draw_2h=all", "sampling.draw_3h=all"]
    return simulate_frame(load_scenario(SCENARIO_DIR / "default.yaml", overrides), 400_000, seed)


def test_oracle_with_later_samples_is_calibrated_in_deciles_and_ranks_better(serial_cohort):
    from chestpain.simulation import oracle_for_visits

    cohort = serial_cohort
    assert cohort.troponin_2h_ng_l.notna().all() and cohort.troponin_3h_ng_l.notna().all()
    # Observed MI and 30-day MACE vs the mean oracle in each decile, 4 binomial SE (20 comparisons: a false
    # alarm has probability < 2e-3). 40,000 rows per decile: SE 0.002 at P = 0.5, so a 1% relative error in
    # the top deciles would show.
    for column, outcome in (("oracle_mi_probability", "mi"), ("oracle_mace_probability", "mace_30d")):
        deciles = pd.qcut(cohort[column].rank(method="first"), 10, labels=False)
        grouped = cohort.groupby(deciles).agg(
            predicted=(column, "mean"), observed=(outcome, "mean"), n=(outcome, "size")
        )
        se = np.sqrt(grouped.predicted * (1 - grouped.predicted) / grouped.n)
        assert (np.abs(grouped.observed - grouped.predicted) <= 4 * se + 1e-6).all(), (column, grouped)
    # Not vacuous: the same records without their later samples (the 0 h + 1 h oracle where the site kept the
    # 1 h value, else 0 h alone) rank MI worse: 0.982 vs 0.994 AUROC on these rows.
    cfg = scenario("default")  # the presentation model is the same, whatever the record keeps
    without = oracle_for_visits(cfg, cohort.assign(troponin_2h_ng_l=np.nan, troponin_3h_ng_l=np.nan))
    with_later = roc_auc_score(cohort.mi, cohort.oracle_mi_probability)
    assert with_later > roc_auc_score(cohort.mi, without.oracle_mi_probability) + 0.005
    # And it is the oracle of those records: the independent Bayes rule agrees on a sample.
    sample = cohort.sample(60, random_state=6)
    expected = np.array([_reference_posteriors(cfg, row) for _, row in sample.iterrows()])
    np.testing.assert_allclose(sample.oracle_mi_probability, expected[:, 0], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(sample.oracle_mace_probability, expected[:, 1], rtol=1e-9, atol=1e-12)


def test_records_without_later_samples_are_unchanged(default_cohort):
    # Records holding exactly 0 h + 1 h keep the clinician's oracle (the cohort column is oracle_probabilities
    # without the later samples, the same bytes oracle_for_visits gives). And a batch mixing rows with and
    # without later samples gives the rows without them the same bytes as a batch of them alone (several of
    # terms()'s 8,192-row blocks, cut in different places).
    from chestpain.simulation import oracle_for_visits

    cfg = scenario("default")
    later = ["troponin_2h_ng_l", "troponin_3h_ng_l"]
    plain = default_cohort[default_cohort.troponin_1h_ng_l.notna() & default_cohort[later].isna().all(axis=1)]
    plain = plain.sample(20_000, random_state=5).reset_index(drop=True)
    alone = oracle_for_visits(cfg, plain)
    columns = ["oracle_mi_probability", "oracle_mace_probability"]
    pd.testing.assert_frame_equal(alone, plain[columns], check_exact=True)
    serial = default_cohort[default_cohort[later].notna().any(axis=1)].sample(20_000, random_state=6)
    # Nullable columns with NA (as a parquet reader may return) are read as "not recorded" too.
    nullable = serial.reset_index(drop=True).astype(dict.fromkeys(later, "Float64"))
    mixed = oracle_for_visits(cfg, pd.concat([plain, nullable]).sort_index(kind="stable"))
    pd.testing.assert_frame_equal(mixed.iloc[::2].reset_index(drop=True), alone, check_exact=True)
    # The rows with later samples get their own record's oracle (the cohort's column) in the mixed batch too.
    got = mixed.iloc[1::2].reset_index(drop=True)
    np.testing.assert_array_equal(got.oracle_mi_probability, serial.oracle_mi_probability)
