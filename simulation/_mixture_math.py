"""Numerical helpers of the oracle's mixture sums: exact, vectorised, and independent of how rows are blocked.

Each is checked against the plain scipy formula it replaces in tests/simulation/test_fast_paths.py.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from functools import cache

import numpy as np
from scipy.special import log_ndtr, ndtr


def _logsumexp_rows(a: np.ndarray) -> np.ndarray:
    """log(sum(exp(a), axis=1)) for finite or -inf entries.

    Plain numpy instead of scipy.special.logsumexp, whose array-API wrapper costs more than the sum on the
    simulator's (rows x states) arrays; tests/simulation/test_fast_paths.py checks it against scipy.
    """
    shift = a.max(axis=1)
    shift = np.where(np.isfinite(shift), shift, 0.0)
    with np.errstate(divide="ignore"):
        return np.log(np.exp(a - shift[:, None]).sum(axis=1)) + shift


_SAFE_SUM_FOR_INTERVALS = 1e-280


def log_normal_interval(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """log(Phi(hi) - Phi(lo)) for standardised bounds lo < hi (either may be infinite), vectorised.

    An interval above the mean is reflected below it, where ``ndtr`` keeps full relative precision, so the
    difference never cancels two numbers near 1; where even that underflows (beyond about 37 SD) the difference
    is taken in log space with ``log_ndtr``. tests/simulation/test_fast_paths.py checks it against mpmath-free
    scipy arithmetic on extreme bounds.
    """
    upper = lo > 0
    a = np.where(upper, -hi, lo)
    b = np.where(upper, -lo, hi)
    p = ndtr(b) - ndtr(a)
    with np.errstate(divide="ignore"):
        out = np.log(p)
    tiny = p < _SAFE_SUM_FOR_INTERVALS
    if tiny.any():
        log_b, log_a = log_ndtr(b[tiny]), log_ndtr(a[tiny])
        with np.errstate(divide="ignore"):
            out[tiny] = log_b + np.log1p(-np.exp(log_a - log_b))
    return out


@cache
def _terms_pool() -> ThreadPoolExecutor:
    """Threads for the oracle's blocks, which run side by side on two cores.

    numpy and scipy release the GIL in their loops (benchmarks/bench_simulate.py); a block's numbers do not
    depend on the thread that computes it.
    """
    return ThreadPoolExecutor(max_workers=min(2, os.cpu_count() or 1), thread_name_prefix="oracle")


def _unique_rows(
    t0: np.ndarray, t1: np.ndarray, male: np.ndarray, onset_index: np.ndarray, later: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Distinct (t0, t1, male, onset index) rows and each row's index into them; t1 may be NaN (not recorded).

    ``later`` (n, 2): the reported 2 h and 3 h values, NaN where not recorded; they are then two more key
    columns, appended to each distinct row (six columns instead of four).

    Reported values are whole ng/L up to 50,000, so the four (with the flag below) pack exactly into one int64
    and a 1-D ``np.unique`` does it in a few milliseconds; other values (hand-made visits) take the general 2-D
    path. A missing value is keyed as 0 plus a "missing" flag (NaN never equals itself, so it cannot be a key)
    and comes back as NaN. With ``later`` the packed key has no room for two more values: the distinct
    four-column rows are ranked first and the rank packed with the two later values into a second key.
    """
    missing = np.isnan(t1)
    t1 = np.where(missing, 0.0, t1)
    columns = [t0, t1]
    if later is not None:
        missing_later = np.isnan(later)
        later = np.where(missing_later, 0.0, later)
        columns += [later[:, 0], later[:, 1]]
    whole = (
        all(np.all(v == np.floor(v)) and v.max(initial=0) < 65536 and v.min(initial=0) >= 0 for v in columns)
        and onset_index.max(initial=0) < 65536
        and (later is None or len(t0) < 2**29)  # the rank below, times 2**34, stays within int64
    )
    if whole:
        key = (((t0.astype(np.int64) * 65536 + t1.astype(np.int64)) * 2 + missing) * 2 + male) * 65536 + onset_index
        if later is not None:
            _, key = np.unique(key, return_inverse=True)
            for j in range(2):
                key = (key.reshape(-1) * 65536 + later[:, j].astype(np.int64)) * 2 + missing_later[:, j]
        values, first, inverse = np.unique(key, return_index=True, return_inverse=True)
        rows = np.column_stack([t0[first], t1[first], male[first], onset_index[first]]).astype(float)
        rows[missing[first], 1] = np.nan
        if later is not None:
            rows = np.column_stack([rows, np.where(missing_later[first], np.nan, later[first])])
        return rows, inverse.reshape(-1)
    if later is None:
        keys = np.column_stack([t0, t1, missing, male, onset_index]).astype(float)
        rows, inverse = np.unique(keys, axis=0, return_inverse=True)
        rows[rows[:, 2] == 1.0, 1] = np.nan
        return rows[:, [0, 1, 3, 4]], inverse.reshape(-1)
    keys = np.column_stack([t0, t1, missing, male, onset_index, later, missing_later]).astype(float)
    rows, inverse = np.unique(keys, axis=0, return_inverse=True)
    rows[rows[:, 2] == 1.0, 1] = np.nan
    rows[:, 5:7][rows[:, 7:9] == 1.0] = np.nan
    return rows[:, [0, 1, 3, 4, 5, 6]], inverse.reshape(-1)


def _blocks(n: int) -> list[slice]:
    """Consecutive row slices of :data:`_TERMS_BLOCK_ROWS` (one empty slice for no rows)."""
    return [slice(i, i + _TERMS_BLOCK_ROWS) for i in range(0, max(n, 1), _TERMS_BLOCK_ROWS)]


#: Rows per block in :meth:`TroponinMixture.terms` (8,192 x 22 float64 = 1.4 MB, an L2-sized working set).
_TERMS_BLOCK_ROWS = 8192
#: Below this a linear-space sum may have lost terms to underflow; such rows are redone in log space.
_SAFE_SUM = 1e-280


def _split_by_adjudication(
    log_joint: np.ndarray,
    margin: np.ndarray,
    above: np.ndarray,
    not_mi_risk: np.ndarray,
    unreported_1h: np.ndarray | None = None,
    margin_1h: np.ndarray | None = None,
    recorded_later: np.ndarray | None = None,
    log_later: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Log sum_k exp(log_joint_k) Phi(margin_k) and the same with Phi(-margin_k); rows ``above`` are MI for sure.

    The third result is the second with each term times ``not_mi_risk[k]`` (the state's 30-day MACE risk when it
    is not an MI), for the MACE oracle.

    Rows flagged ``unreported_1h`` (the 1 h sample was taken but not recorded) are MI when the 1 h sample or a
    later one reaches the limit, two independent events given the state: with ``margin_1h`` (one row per flagged
    row, in order) the terms are ``Phi(m1) + Phi(-m1) Phi(margin)`` and ``Phi(-m1) Phi(-margin)`` (sums and
    products of tails: no cancellation). Other rows are computed exactly as without the flag.

    Rows flagged ``recorded_later`` (a 2 h and/or 3 h value in the record) replace the later samples' tails
    ``Phi(margin)`` and ``Phi(-margin)`` by the log probabilities ``log_later`` (one row per flagged row, in
    order): P(a later sample reaches the limit | the recorded ones, t0, state) and its complement, from
    :func:`simulation._later_samples.later_sample_terms`. They combine with an unrecorded 1 h sample as above.

    Summed in linear space after a per-row shift, with one normal CDF per element: the smaller tail
    Phi(-|margin|) is exact to relative precision and the larger is 1 minus it (no cancellation, since the
    smaller is at most 1/2). That is a quarter of the cost of two log_ndtr passes. Rows where a sum is so small
    that terms may have underflowed are recomputed with log_ndtr, so the result stays exact to rounding
    (tests/simulation/test_fast_paths.py compares both paths with scipy; tests/simulation/test_oracle.py does it
    for rows without the 1 h sample).
    """
    shift = log_joint.max(axis=1)
    shift = np.where(np.isfinite(shift), shift, 0.0)
    weight = np.exp(log_joint - shift[:, None])
    small_tail = ndtr(-np.abs(margin))
    positive = margin >= 0
    p_mi = np.where(positive, 1.0 - small_tail, small_tail)
    p_mi[above] = 1.0
    p_not = 1.0 - p_mi
    np.copyto(p_not, small_tail, where=positive & ~above[:, None])
    later_rows = recorded_later is not None and log_later is not None and recorded_later.any()
    if later_rows:
        unsure_later = recorded_later & ~above
        p_mi[unsure_later] = np.exp(log_later[0][~above[recorded_later]])
        p_not[unsure_later] = np.exp(log_later[1][~above[recorded_later]])
    unsure_1h = None
    if unreported_1h is not None and margin_1h is not None and unreported_1h.any():
        unsure_1h = unreported_1h & ~above
        m1 = margin_1h[~above[unreported_1h]]
        # As for margin: one CDF per element, the larger tail 1 minus the smaller; the later samples' tails are
        # the p_mi and p_not just computed.
        small_1h = ndtr(-np.abs(m1))
        positive_1h = m1 >= 0
        below_1h = np.where(positive_1h, small_1h, 1.0 - small_1h)  # P(1 h <= limit | t0, state)
        p_mi[unsure_1h] = np.where(positive_1h, 1.0 - small_1h, small_1h) + below_1h * p_mi[unsure_1h]
        p_not[unsure_1h] = below_1h * p_not[unsure_1h]
    weight_not = weight * p_not
    sum_mi, sum_not = (weight * p_mi).sum(axis=1), weight_not.sum(axis=1)
    # A row-wise sum, not a matrix product: BLAS may round differently with the number of rows, and each row's
    # result must not depend on which block it is in (same seed, same bytes, whatever the chunking).
    sum_not_risk = (weight_not * not_mi_risk).sum(axis=1)
    with np.errstate(divide="ignore"):
        log_mi, log_not = np.log(sum_mi) + shift, np.log(sum_not) + shift
        log_not_risk = np.log(sum_not_risk) + shift
    redo = (sum_mi < _SAFE_SUM) | ((sum_not < _SAFE_SUM) & ~above) | ((sum_not_risk < _SAFE_SUM) & ~above)
    if redo.any():
        later_mi, later_not = log_ndtr(margin[redo]), log_ndtr(-margin[redo])
        if later_rows and recorded_later[redo].any():
            # Position of each flagged row among the flagged rows, to find its log_later row (likewise below).
            position = (np.cumsum(recorded_later) - 1)[redo & recorded_later]
            later_mi[recorded_later[redo]] = log_later[0][position]
            later_not[recorded_later[redo]] = log_later[1][position]
        exact_mi = np.where(above[redo][:, None], 0.0, later_mi)
        exact_not = np.where(above[redo][:, None], -np.inf, later_not)
        if unsure_1h is not None and unsure_1h[redo].any():
            m1 = margin_1h[(np.cumsum(unreported_1h) - 1)[redo & unsure_1h]]
            log_below_1h = log_ndtr(-m1)
            flagged = unsure_1h[redo]
            exact_mi[flagged] = np.logaddexp(log_ndtr(m1), log_below_1h + later_mi[flagged])
            exact_not[flagged] = log_below_1h + later_not[flagged]
        log_mi[redo] = _logsumexp_rows(log_joint[redo] + exact_mi)
        log_not[redo] = _logsumexp_rows(log_joint[redo] + exact_not)
        with np.errstate(divide="ignore"):
            log_not_risk[redo] = _logsumexp_rows(log_joint[redo] + exact_not + np.log(not_mi_risk))
    return log_mi, log_not, log_not_risk
