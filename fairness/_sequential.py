"""Anytime-valid confidence sequences for proportions, and the error budget that spreads alpha over many of them.

A monitor that looks every week at a dozen groups must not raise more false alarms than it promises, however
often it looks. Each proportion gets a *confidence sequence*: a sequence of intervals that all cover the true
rate at once, at every look, with probability at least ``1 - alpha`` (Ville's inequality). The one used here is
the conjugate beta-binomial mixture martingale (Robbins, Ann Math Stat 1970; Lai, Ann Stat 1976), in the form of
the sequential sample-ratio test of Lindon & Malek ("Anytime-valid inference for multinomial count data",
NeurIPS 2022) that the ``savvi`` package implements: for a candidate rate ``p0`` the e-value

    E_t(p0) = B(k p0 + S_t, k (1 - p0) + n_t - S_t) / B(k p0, k (1 - p0)) / (p0^S_t (1 - p0)^(n_t - S_t))

is the likelihood ratio of a Beta(k p0, k (1 - p0)) mixture against ``p0``, a nonnegative martingale with mean 1
when ``p0`` is the truth, so ``{p0 : E_t(p0) < 1 / alpha}`` is a confidence sequence. Batches (a week of cards)
enter as their counts: the Bernoulli likelihood does not depend on the order.

Why our own code rather than a library: ``savvi`` (0.3.1, installs here) gives the same e-value
(``savvi.Multinomial`` with two cells; ``tests/fairness/test_monitor_sequential.py`` checks they agree) but its
intervals solve one cvxpy problem per look and per bound, far too slow for 200 simulated years of 13 groups;
``confseq`` 0.0.11 does not build on this machine (it needs Boost headers) and ``expectation`` is not on the
package index. The intervals here are found by vectorised bisection in numpy.

Assumption: within a window the cards of one group are exchangeable draws with one rate. A rate that drifts
for everyone alike mostly cancels in a group-vs-reference ratio but is not covered by this guarantee.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import betaln

#: Prior concentration ``k`` of the Beta(k p0, k (1 - p0)) mixture: savvi's default. Larger ``k`` favours small
#: departures from ``p0`` (more power late), smaller favours large ones (faster for a gross gap).
DEFAULT_CONCENTRATION = 100.0
_BISECTION_STEPS = 40  # interval width 2^-40 of [0, 1]: far below any displayed digit
_EDGE = 1e-12


def log_e_value(events: np.ndarray, trials: np.ndarray, p0: np.ndarray, concentration: float = DEFAULT_CONCENTRATION):
    """Log of the beta-binomial mixture e-value against rate ``p0`` after ``events`` of ``trials`` (elementwise)."""
    x, n, p = np.broadcast_arrays(
        np.asarray(events, dtype=float), np.asarray(trials, dtype=float), np.asarray(p0, dtype=float)
    )
    p = np.clip(p, _EDGE, 1.0 - _EDGE)
    a, b = concentration * p, concentration * (1.0 - p)
    return betaln(a + x, b + n - x) - betaln(a, b) - x * np.log(p) - (n - x) * np.log1p(-p)


def _crossing(events: np.ndarray, trials: np.ndarray, threshold: np.ndarray, lo, hi, concentration: float):
    """Bisect for ``log_e_value == threshold`` between ``lo`` (rejected) and ``hi`` (accepted), elementwise."""
    lo, hi = np.array(lo, dtype=float), np.array(hi, dtype=float)
    for _ in range(_BISECTION_STEPS):
        mid = (lo + hi) / 2.0
        rejected = log_e_value(events, trials, mid, concentration) >= threshold
        lo, hi = np.where(rejected, mid, lo), np.where(rejected, hi, mid)
    return lo, hi


def confidence_sequence(
    events: np.ndarray,
    trials: np.ndarray,
    alpha: float | np.ndarray,
    concentration: float = DEFAULT_CONCENTRATION,
) -> tuple[np.ndarray, np.ndarray]:
    """Anytime-valid ``1 - alpha`` interval for a rate after ``events`` of ``trials`` (elementwise, any shape).

    Returns ``(low, high)``; ``[0, 1]`` where ``trials == 0``. Bounds are rounded outwards to the bisection's
    bracket, so the interval can only be slightly wider than the exact set, never narrower.
    """
    x, n, alpha = np.broadcast_arrays(
        np.asarray(events, dtype=float), np.asarray(trials, dtype=float), np.asarray(alpha, dtype=float)
    )
    threshold = -np.log(alpha)
    rate = np.where(n > 0, x / np.where(n > 0, n, 1.0), 0.5)  # the e-value is <= 1 at the observed rate
    below = log_e_value(x, n, np.full(x.shape, _EDGE), concentration) >= threshold
    above = log_e_value(x, n, np.full(x.shape, 1.0 - _EDGE), concentration) >= threshold
    low_reject, _ = _crossing(x, n, threshold, np.zeros(x.shape), rate, concentration)
    _, high_reject = _crossing(x, n, threshold, np.ones(x.shape), rate, concentration)
    low = np.where(below & (n > 0), low_reject, 0.0)
    high = np.where(above & (n > 0), high_reject, 1.0)
    return low, high


def start_weight(index: np.ndarray | int) -> np.ndarray:
    """Share of alpha given to the window starting at the ``index``-th restart (0-based): 6 / (pi^2 (j + 1)^2).

    The shares sum to 1 over infinitely many restarts, so the guarantee holds however long the monitor runs;
    early windows get most of the budget.
    """
    j = np.asarray(index, dtype=float) + 1.0
    return 6.0 / (math.pi**2 * j * j)


def ratio_bounds(
    group: tuple[np.ndarray, np.ndarray], reference: tuple[np.ndarray, np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """Bounds on ``rate_group / rate_reference`` implied by the two rates' simultaneous intervals.

    If both confidence sequences hold, the ratio lies in ``[low_g / high_r, high_g / low_r]`` at every look; a
    zero lower reference bound gives an infinite upper ratio.
    """
    (g_low, g_high), (r_low, r_high) = group, reference
    with np.errstate(divide="ignore", invalid="ignore"):
        low = np.where(r_high > 0, g_low / np.where(r_high > 0, r_high, 1.0), 0.0)
        high = np.where(r_low > 0, g_high / np.where(r_low > 0, r_low, 1.0), np.inf)
    return low, high
