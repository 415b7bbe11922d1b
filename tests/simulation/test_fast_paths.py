"""The simulator's fast paths give the same numbers as the plain formulas they replace (issue 18).

The oracle sums over 15 troponin states per visit; to make ``chestpain simulate`` fast it evaluates the kinetic
curves once per distinct recorded onset and the weights once per distinct age, sums in linear space with one
normal CDF per state, and works in cache-sized blocks. Each trick is checked here against the direct formula.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import log_ndtr, logsumexp

from chestpain.features.columns import ECG_FINDINGS, SYMPTOMS
from chestpain.kernel.errors import TriageError
from chestpain.simulation import SCENARIO_DIR, load_scenario, simulate_frame, write_cohort
from chestpain.simulation._distributions import PresentationModel
from chestpain.simulation._mixture_math import _logsumexp_rows, _split_by_adjudication, log_normal_interval
from chestpain.simulation._streams import BLOCK_ROWS


def test_logsumexp_rows_matches_scipy_including_minus_infinity():
    rng = np.random.default_rng(0)
    a = rng.normal(scale=300.0, size=(50, 7))
    a[3, :2] = -np.inf
    a[4] = -np.inf  # a state set with no mass at all
    np.testing.assert_allclose(_logsumexp_rows(a), logsumexp(a, axis=1), rtol=1e-13)


def _reference_split(log_joint, margin, above, risk, margin_1h=None, later=None):
    """The log-space formula the fast path replaces: two log_ndtr per element.

    For records without the 1 h sample (``margin_1h``) and/or with later ones (``later``, issue 25) too.

    ``later`` = (flag per row, log P(a later sample high | recorded ones), log of its complement), full arrays.
    MI unless neither the unrecorded 1 h sample nor a later one is high.
    """
    later_mi, later_not = log_ndtr(margin), log_ndtr(-margin)
    if later is not None:
        flagged, log_mi, log_not = later
        later_mi = np.where(flagged[:, None], log_mi, later_mi)
        later_not = np.where(flagged[:, None], log_not, later_not)
    log_mi, log_not = later_mi, later_not
    if margin_1h is not None:
        # P(MI) = P(1 h high) + P(1 h not high) P(a later one high), a sum of positive terms.
        log_mi = np.logaddexp(log_ndtr(margin_1h), log_ndtr(-margin_1h) + later_mi)
        log_not = log_ndtr(-margin_1h) + later_not
    log_mi = np.where(above[:, None], 0.0, log_mi)
    log_not = np.where(above[:, None], -np.inf, log_not)
    with np.errstate(divide="ignore"):
        log_risk = np.log(risk)
    return (
        logsumexp(log_joint + log_mi, axis=1),
        logsumexp(log_joint + log_not, axis=1),
        logsumexp(log_joint + log_not + log_risk, axis=1),
    )


def test_normal_interval_mass_matches_scipy_in_the_tails_and_at_infinity():
    from scipy import stats

    lo = np.array([-np.inf, -3.0, 0.5, 8.0, 20.0, -np.inf, 5.0, -25.0, 1.0])
    hi = np.array([0.0, 3.0, 0.5000001, 8.5, np.inf, -30.0, np.inf, -24.0, 1.0 + 1e-9])
    got = log_normal_interval(lo, hi)
    # Reference: the smaller-tail form in scipy's log survival / log CDF (accurate far into the tails).
    with np.errstate(divide="ignore"):  # each branch is computed for every element; np.where keeps the valid one
        want = np.where(
            lo > 0,
            stats.norm.logsf(lo) + np.log1p(-np.exp(stats.norm.logsf(hi) - stats.norm.logsf(lo))),
            stats.norm.logcdf(hi) + np.log1p(-np.exp(stats.norm.logcdf(lo) - stats.norm.logcdf(hi))),
        )
    # Narrow intervals lose a few digits to cancellation in both forms (about 1e-16 / width relative).
    np.testing.assert_allclose(got, want, rtol=1e-6)


def test_split_by_adjudication_matches_log_space_even_where_linear_sums_underflow():
    rng = np.random.default_rng(1)
    n, k = 400, 15
    log_joint = rng.normal(scale=50.0, size=(n, k))
    margin = rng.normal(scale=6.0, size=(n, k))
    # Rows where every MI term is ~1e-300 or smaller relative to the largest state: the linear sum underflows
    # and must fall back to log space; and rows where a tiny-weight state carries all the MI probability.
    margin[:20] = -40.0
    margin[20:40, 0] = 30.0
    margin[20:40, 1:] = -45.0
    log_joint[20:40, 0] = -700.0
    log_joint[40:45] = -np.inf  # no acute state is possible
    above = rng.random(n) < 0.2
    risk = rng.uniform(0.0, 0.4, size=k)
    risk[2] = 0.0  # a state with no 30-day risk
    got_mi, got_not, got_risk = _split_by_adjudication(log_joint, margin, above, risk)
    want_mi, want_not, want_risk = _reference_split(log_joint, margin, above, risk)
    finite = np.isfinite(want_mi)
    assert np.array_equal(finite, np.isfinite(got_mi)) and np.array_equal(np.isfinite(want_not), np.isfinite(got_not))
    # Linear sums of exact terms: agreement to a few ulps of the log (1e-12 relative, 1e-10 absolute near 0).
    np.testing.assert_allclose(got_mi[finite], want_mi[finite], rtol=1e-12, atol=1e-10)
    both = np.isfinite(want_not)
    np.testing.assert_allclose(got_not[both], want_not[both], rtol=1e-12, atol=1e-10)
    both = np.isfinite(want_risk)
    assert np.array_equal(both, np.isfinite(got_risk))
    np.testing.assert_allclose(got_risk[both], want_risk[both], rtol=1e-12, atol=1e-10)
    assert np.all(got_not[above] == -np.inf)


@pytest.fixture(scope="module")
def continuous_onset_cohort():
    # Onset recorded exactly (no quarter-hour rounding): every row has its own onset, the tables have one row
    # per visit, and the blocks of terms() cut through the chunk.
    # Every record keeps its 1 h sample: the direct formula below is the 0 h + 1 h likelihood.
    overrides = ["presentation.onset.recorded_step_hours=null", 'sampling.pathway_shares={"0/1h": 1.0}']
    cfg = load_scenario(SCENARIO_DIR / "default.yaml", overrides)
    return cfg, simulate_frame(cfg, 20_000, 5)


def _history(cfg, frame):
    symptoms = PresentationModel.from_params(cfg.presentation).symptoms
    columns = [f"sx_{name}" for name in SYMPTOMS]
    return symptoms.log_typical_ratio(frame[columns].to_numpy(), (frame.sex == "male").to_numpy())


def _terms(cfg, frame):
    model = PresentationModel.from_params(cfg.presentation).troponin
    ecg = frame.ecg.map({name: k for k, name in enumerate(ECG_FINDINGS)}).to_numpy()
    return model, model.terms(
        frame.troponin_0h_ng_l.to_numpy(),
        frame.troponin_1h_ng_l.to_numpy(),
        frame.symptom_onset_hours.to_numpy(),
        frame.age.to_numpy(),
        (frame.sex == "male").to_numpy(),
        ecg,
        _history(cfg, frame),
    )


def _direct_terms(cfg, model, frame):
    """terms() written with per-row curves and weights and log-space sums, as before the fast paths."""
    t0, t1 = frame.troponin_0h_ng_l.to_numpy(), frame.troponin_1h_ng_l.to_numpy()
    onset, age, male = frame.symptom_onset_hours.to_numpy(), frame.age.to_numpy(), (frame.sex == "male").to_numpy()
    ecg = frame.ecg.map({name: k for k, name in enumerate(ECG_FINDINGS)}).to_numpy()
    g0 = model.curve(onset)
    mu0 = model.mu0[:, male.astype(int)].T + g0
    mud = model.curve(onset, 1.0) - g0 + model.log_ratio
    mua = np.max([model.curve(onset, h) - g0 for h in (2.0, 3.0, model.adjudication_hours)], axis=0) + model.log_ratio
    log_dens = model.component_log_likelihood(t0, t1, mu0, mud) + model.log_ecg.T[ecg]
    h = model.history_like_event
    with np.errstate(divide="ignore"):
        log_dens = np.where(
            model.is_acute, log_dens, log_dens + np.logaddexp(np.log(h) + _history(cfg, frame)[:, None], np.log1p(-h))
        )
    limit = model.adjudication_limit_for(male)
    z0 = model.reported_log_excess(t0)
    margin = (z0[:, None] + mua - np.log(limit + 0.5 - model.floor)[:, None]) / model.s_adj
    above = np.maximum(t0, t1) > limit
    acute = model.log_weights(age, np.ones(len(age), bool)) + log_dens
    log_mi, log_not, log_not_mace = _reference_split(
        acute[:, model.is_acute], margin[:, model.is_acute], above, model.mace_risk[model.is_acute]
    )
    stable = model.log_weights(age, np.zeros(len(age), bool)) + log_dens
    with np.errstate(divide="ignore"):
        log_non_mace = logsumexp(stable + np.log(model.mace_risk), axis=1)
    return log_mi, log_not, logsumexp(stable, axis=1), log_not_mace, log_non_mace


def test_terms_match_the_direct_formula_with_continuous_onsets(continuous_onset_cohort):
    cfg, frame = continuous_onset_cohort
    assert frame.symptom_onset_hours.nunique() > 19_000
    model, got = _terms(cfg, frame)
    for fast, direct in zip(vars(got).values(), _direct_terms(cfg, model, frame), strict=True):
        # Logs of probabilities: relative agreement to rounding, and a few ulps of 1 where the log is near 0.
        np.testing.assert_allclose(fast, direct, rtol=1e-12, atol=1e-14)


def test_terms_do_not_depend_on_where_blocks_are_cut(continuous_onset_cohort):
    cfg, frame = continuous_onset_cohort
    _, whole = _terms(cfg, frame)
    _, head = _terms(cfg, frame.iloc[:5_001])
    _, tail = _terms(cfg, frame.iloc[5_001:])
    for all_rows, first, rest in zip(vars(whole).values(), vars(head).values(), vars(tail).values(), strict=True):
        np.testing.assert_array_equal(all_rows, np.concatenate([first, rest]))


def test_onset_is_recorded_to_the_quarter_hour_within_its_range():
    cfg = load_scenario(SCENARIO_DIR / "default.yaml")
    onset = simulate_frame(cfg, 5_000, 3).symptom_onset_hours.to_numpy()
    assert np.all(onset * 4 == np.round(onset * 4))
    assert onset.min() >= cfg.presentation.onset.min_hours and onset.max() <= cfg.presentation.onset.max_hours


def test_a_step_that_does_not_divide_the_minimum_is_refused():
    with pytest.raises(TriageError, match="recorded_step_hours"):
        load_scenario(SCENARIO_DIR / "default.yaml", ["presentation.onset.recorded_step_hours=0.2"])


def test_a_failure_while_writing_in_the_background_keeps_the_old_file(tmp_path):
    out = tmp_path / "cohort.parquet"
    out.write_bytes(b"the user's earlier cohort")
    written = []

    def fail_on_second(table):
        written.append(table.num_rows)
        if len(written) == 2:
            raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        write_cohort(load_scenario(SCENARIO_DIR / "default.yaml"), 4 * BLOCK_ROWS, 1, str(out), on_chunk=fail_on_second)
    assert out.read_bytes() == b"the user's earlier cohort"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cohort.parquet"]  # no partial file left


@pytest.mark.parametrize("offset", [0.0, 0.5])
def test_unique_rows_rebuild_every_row_on_both_paths(offset):
    # Whole ng/L take the packed int64 path, other values the general one; both must map every row to its key.
    from chestpain.simulation._mixture_math import _unique_rows

    rng = np.random.default_rng(4)
    n = 5_000
    t0 = rng.integers(1, 8, n).astype(float) + offset
    t1 = rng.integers(1, 8, n).astype(float)
    t0[:3] = [1.0 + offset, 50_000.0, 1.0 + offset]
    male, onset = rng.random(n) < 0.5, rng.integers(0, 5, n)
    rows, inverse = _unique_rows(t0, t1, male, onset)
    assert len(rows) < n
    np.testing.assert_array_equal(rows[inverse], np.column_stack([t0, t1, male, onset]).astype(float))
