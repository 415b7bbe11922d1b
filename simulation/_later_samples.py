"""The recorded 2 h and 3 h samples in the oracle: what they say about the later samples' shared deviation.

The generator draws the 2 h, 3 h and hidden adjudication samples as ``z0 + mu_j + sa e`` with one standard normal
``e`` per visit (``TroponinMixture.sample``; ``z0`` the reported 0 h log excess, ``mu_j`` the state's mean log
ratio at that hour, ``sa`` its SD). A recorded value is an interval of its latent log excess, so it confines
``e`` to an interval, and two recorded values to the intersection of theirs. Given the state, that interval's
normal mass is the values' likelihood, and P(some later sample is reported above the limit) is the part of the
interval from ``tau`` up, over its whole: the exact terms ``TroponinMixture.terms`` needs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from chestpain.simulation._mixture_math import log_normal_interval

if TYPE_CHECKING:
    from chestpain.simulation._distributions import TroponinMixture


def later_sample_log_terms(
    mixture: TroponinMixture, mu_later: np.ndarray, mua_acute: np.ndarray, keys: np.ndarray, onset_index: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`later_sample_terms` for distinct keys (t0, t1, male, onset index, t2, t3) with a 2 h or 3 h value.

    ``mu_later`` (onsets, K, 2): the 2 h and 3 h samples' mean log ratios to the 0 h one; ``mua_acute`` (onsets,
    acute states): the highest of the three later samples'. Each recorded value's interval of ``e`` is
    standardised by the state's ``sa``, and ``tau`` is the ``e`` from which a later sample exceeds the limit L,
    ``(c - z0 - max_j mu_j) / sa`` with ``c = log(L + 0.5 - floor)``.
    """
    acute = np.flatnonzero(mixture.is_acute)
    z0 = mixture.reported_log_excess(keys[:, 0])
    lo = np.full((len(keys), len(mixture.names)), -np.inf)
    hi = np.full_like(lo, np.inf)
    for j in range(2):
        recorded = ~np.isnan(keys[:, 4 + j])
        low, high = mixture.reported_interval(keys[recorded, 4 + j])
        mu = mu_later[onset_index[recorded], :, j]
        lo[recorded] = np.maximum(lo[recorded], ((low - z0[recorded])[:, None] - mu) / mixture.s_adj)
        hi[recorded] = np.minimum(hi[recorded], ((high - z0[recorded])[:, None] - mu) / mixture.s_adj)
    # The same expression as the bounds: a recorded value of L in the sample with the highest mean gives
    # hi == tau to the bit (then P(MI) from the later samples is exactly 0, not a rounding error's worth).
    threshold = np.log(mixture.adjudication_limit_for(keys[:, 2].astype(bool)) + 0.5 - mixture.floor)
    tau = ((threshold - z0)[:, None] - mua_acute[onset_index]) / mixture.s_adj[acute]
    return later_sample_terms(lo, hi, tau, acute)


def later_sample_terms(
    lo: np.ndarray, hi: np.ndarray, tau: np.ndarray, acute: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """What the recorded later samples say about their shared standard normal deviation ``e``, per state.

    ``lo``, ``hi`` (n, K): the interval of ``e`` that every recorded later value allows (their intersection; -inf
    and inf where none is recorded); ``tau`` (n, A): for the acute states ``acute`` (indices into K), the ``e``
    from which a later sample (2 h, 3 h or the hidden one) is reported above the limit.

    Returns log P(lo <= e < hi) (n, K), the recorded values' likelihood (-inf where the interval is empty: the
    values are impossible in that state), and for the acute states log P(e >= tau | lo <= e < hi) and log
    P(e < tau | lo <= e < hi) (n, A). Each is a ratio of two interval masses, both to relative precision
    (:func:`log_normal_interval`), so neither the tail that is nearly 1 nor the one that is tiny cancels. Where
    the interval has no mass both are 0: the state's weight is 0 and any finite factor leaves it so.
    """
    empty = lo >= hi
    with np.errstate(divide="ignore", invalid="ignore"):
        log_mass = log_normal_interval(lo, np.maximum(lo, hi))
    log_mass[empty | np.isnan(log_mass)] = -np.inf  # as below: an interval a few ulps wide has mass 0
    a, b, mass = lo[:, acute], hi[:, acute], log_mass[:, acute]
    # Where tau is outside the interval one part is all of it: log 0 and log 1, no arithmetic. A recorded value
    # pins e to a short interval, so that is nearly every (row, state); the two parts' masses are computed only
    # where tau cuts the interval.
    log_mi = np.where(tau < b, 0.0, -np.inf)
    log_not = np.where(tau > a, 0.0, -np.inf)
    cut = (tau > a) & (tau < b) & np.isfinite(mass)
    if cut.any():
        a_cut, tau_cut, b_cut, mass_cut = a[cut], tau[cut], b[cut], mass[cut]
        # ndtr is monotone only to rounding: a part a few ulps wide may come out as a tiny negative difference
        # (NaN in log). Its mass is 0 to rounding.
        with np.errstate(invalid="ignore"):
            part_mi = log_normal_interval(tau_cut, b_cut)
            part_not = log_normal_interval(a_cut, tau_cut)
        # Capped at log 1 for the same reason (a part of an interval a few ulps wide may exceed the whole).
        log_mi[cut] = np.minimum(np.where(np.isnan(part_mi), -np.inf, part_mi) - mass_cut, 0.0)
        log_not[cut] = np.minimum(np.where(np.isnan(part_not), -np.inf, part_not) - mass_cut, 0.0)
    impossible = np.isneginf(mass)  # an empty interval, or one too narrow to hold a double's worth of mass
    log_mi[impossible] = 0.0
    log_not[impossible] = 0.0
    return log_mass, log_mi, log_not
