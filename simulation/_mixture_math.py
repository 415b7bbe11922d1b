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
    t0: np.ndarray, t1: np.ndarray, male: np.ndarray, onset_index: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Distinct (t0, t1, male, onset index) rows and each row's index into them.

    Reported values are whole ng/L up to 50,000, so the four pack exactly into one int64 (below 2**53) and a 1-D
    ``np.unique`` does it in a few milliseconds; other values (hand-made visits) take the general 2-D path.
    """
    whole = (
        np.all(t0 == np.floor(t0))
        and np.all(t1 == np.floor(t1))
        and t0.max(initial=0) < 65536
        and t1.max(initial=0) < 65536
        and t0.min(initial=0) >= 0
        and t1.min(initial=0) >= 0
        and onset_index.max(initial=0) < 65536
    )
    if whole:
        key = ((t0.astype(np.int64) * 65536 + t1.astype(np.int64)) * 2 + male) * 65536 + onset_index
        values, first, inverse = np.unique(key, return_index=True, return_inverse=True)
        rows = np.column_stack([t0[first], t1[first], male[first], onset_index[first]]).astype(float)
        return rows, inverse.reshape(-1)
    keys = np.column_stack([t0, t1, male, onset_index]).astype(float)
    rows, inverse = np.unique(keys, axis=0, return_inverse=True)
    return rows, inverse.reshape(-1)


def _blocks(n: int) -> list[slice]:
    """Consecutive row slices of :data:`_TERMS_BLOCK_ROWS` (one empty slice for no rows)."""
    return [slice(i, i + _TERMS_BLOCK_ROWS) for i in range(0, max(n, 1), _TERMS_BLOCK_ROWS)]


#: Rows per block in :meth:`TroponinMixture.terms` (8,192 x 22 float64 = 1.4 MB, an L2-sized working set).
_TERMS_BLOCK_ROWS = 8192
#: Below this a linear-space sum may have lost terms to underflow; such rows are redone in log space.
_SAFE_SUM = 1e-280


def _split_by_adjudication(
    log_joint: np.ndarray, margin: np.ndarray, above: np.ndarray, not_mi_risk: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Log sum_k exp(log_joint_k) Phi(margin_k) and the same with Phi(-margin_k); rows ``above`` are MI for sure.

    The third result is the second with each term times ``not_mi_risk[k]`` (the state's 30-day MACE risk when it
    is not an MI), for the MACE oracle.

    Summed in linear space after a per-row shift, with one normal CDF per element: the smaller tail
    Phi(-|margin|) is exact to relative precision and the larger is 1 minus it (no cancellation, since the
    smaller is at most 1/2). That is a quarter of the cost of two log_ndtr passes. Rows where a sum is so small
    that terms may have underflowed are recomputed with log_ndtr, so the result stays exact to rounding
    (tests/simulation/test_fast_paths.py compares both paths with scipy).
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
        exact_mi = np.where(above[redo][:, None], 0.0, log_ndtr(margin[redo]))
        exact_not = np.where(above[redo][:, None], -np.inf, log_ndtr(-margin[redo]))
        log_mi[redo] = _logsumexp_rows(log_joint[redo] + exact_mi)
        log_not[redo] = _logsumexp_rows(log_joint[redo] + exact_not)
        with np.errstate(divide="ignore"):
            log_not_risk[redo] = _logsumexp_rows(log_joint[redo] + exact_not + np.log(not_mi_risk))
    return log_mi, log_not, log_not_risk
