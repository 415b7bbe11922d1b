"""Confidence intervals from counts: proportions, differences and ratios of proportions, and their p-values.

Why not the bootstrap for proportions
-------------------------------------
Missed MI is rare (FNR 1-3%). A percentile bootstrap of a proportion with 0 events in a group is exactly
``[0, 0]``, and with a handful of events it under-covers (issue 15 measured 50-60% coverage for groups with
under one expected miss). Score intervals computed from the counts the audit already holds cover at their
nominal level down to zero events and cost nothing. AUROC and ECE have no such closed form and keep the
bootstrap.

Why hand-written
----------------
statsmodels' ``proportion_confint`` has the same formulas but is not a dependency of this project and is not
in the team's package list; scipy's ``binomtest(...).proportion_ci`` is scalar (one call per group and
resample). The functions here are vectorised over any array shape (groups, metrics, simulated audits), use
``scipy.stats.beta`` for the exact and Jeffreys limits and are tested against scipy's scalar versions in
``tests/fairness/test_fairness_intervals.py``.

References
----------
Wilson EB. Probable inference, the law of succession, and statistical inference. J Am Stat Assoc
1927;22:209-212.

Clopper CJ, Pearson ES. The use of confidence or fiducial limits illustrated in the case of the binomial.
Biometrika 1934;26:404-413.

Brown LD, Cai TT, DasGupta A. Interval estimation for a binomial proportion. Stat Sci 2001;16:101-133 (the
Jeffreys interval, with its lower limit set to 0 at zero events and upper limit to 1 at all events).

Newcombe RG. Interval estimation for the difference between independent proportions: comparison of eleven
methods. Stat Med 1998;17:873-890 (method 10, the hybrid score interval).

Donner A, Zou GY. Closed-form confidence intervals for functions of the normal mean and standard deviation.
Stat Methods Med Res 2012;21:347-359 (MOVER-R, the ratio of two independent parameters).
"""

from __future__ import annotations

from enum import StrEnum

import numpy as np
from scipy.special import ndtr, ndtri
from scipy.stats import beta

from chestpain.kernel.errors import TriageError


class IntervalMethod(StrEnum):
    """Interval for one proportion; its limits also feed the Newcombe difference and MOVER-R ratio."""

    wilson = "wilson"
    clopper_pearson = "clopper-pearson"
    jeffreys = "jeffreys"


DEFAULT_INTERVAL_METHOD = IntervalMethod.wilson
BAD_INTERVAL_METHOD = "interval_method must be one of {choices}, got {value!r}"
# Largest normal quantile the p-value search tries: 2 * (1 - Phi(30)) is about 5e-198, far below any level an
# audit uses, and still a positive float.
MAX_Z = 30.0
SEARCH_STEPS = 60


def check_interval_method(value: object) -> IntervalMethod:
    """The method as an :class:`IntervalMethod`, or a one-line error naming the choices."""
    try:
        return IntervalMethod(str(value))
    except ValueError:
        choices = ", ".join(method.value for method in IntervalMethod)
        raise TriageError(BAD_INTERVAL_METHOD.format(choices=choices, value=value)) from None


def difference_method_name(method: IntervalMethod | str) -> str:
    """Name of the difference interval built from ``method``'s limits (Newcombe's is the Wilson case)."""
    method = IntervalMethod(method)
    if method is IntervalMethod.wilson:
        return "newcombe hybrid score (Newcombe 1998, method 10)"
    return f"MOVER-D with {method.value} limits (Newcombe 1998 construction)"


def ratio_method_name(method: IntervalMethod | str) -> str:
    """Name of the ratio interval built from ``method``'s limits."""
    return f"MOVER-R with {IntervalMethod(method).value} limits (Donner & Zou 2012)"


def _z(alpha: np.ndarray) -> np.ndarray:
    return ndtri(1.0 - np.asarray(alpha, dtype=np.float64) / 2.0)


def proportion_interval(
    events: np.ndarray, trials: np.ndarray, alpha: float | np.ndarray, method: IntervalMethod | str = "wilson"
) -> tuple[np.ndarray, np.ndarray]:
    """Two-sided ``1 - alpha`` interval for ``events / trials``, elementwise; ``nan`` where ``trials == 0``.

    Parameters
    ----------
    events, trials : array-like of float
        Counts (broadcast together). Non-integer counts are accepted (weighted audits sum integers as floats).
    alpha : float or array-like
        One minus the confidence level (broadcast with the counts).
    method : {"wilson", "clopper-pearson", "jeffreys"}, default="wilson"

    Returns
    -------
    (low, high) : tuple of numpy.ndarray
        Zero events give a lower limit of exactly 0 and a positive upper limit, never ``[0, 0]``.

    Examples
    --------
    >>> low, high = proportion_interval(np.array([0.0]), np.array([40.0]), 0.05)
    >>> float(low[0]), round(float(high[0]), 4)
    (0.0, 0.0876)
    """
    method = IntervalMethod(method)
    x, n, alpha = np.broadcast_arrays(
        np.asarray(events, dtype=np.float64), np.asarray(trials, dtype=np.float64), np.asarray(alpha, dtype=float)
    )
    valid = n > 0
    n_safe = np.where(valid, n, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        if method is IntervalMethod.wilson:
            z = _z(alpha)
            p = x / n_safe
            scale = 1.0 + z * z / n_safe
            centre = (p + z * z / (2.0 * n_safe)) / scale
            half = z * np.sqrt(p * (1.0 - p) / n_safe + z * z / (4.0 * n_safe * n_safe)) / scale
            low, high = centre - half, centre + half
        else:
            shift = 0.0 if method is IntervalMethod.clopper_pearson else 0.5
            if method is IntervalMethod.clopper_pearson:
                low = beta.ppf(alpha / 2.0, np.maximum(x, 1e-300), n_safe - x + 1.0)
                high = beta.ppf(1.0 - alpha / 2.0, x + 1.0, np.maximum(n_safe - x, 1e-300))
            else:
                low = beta.ppf(alpha / 2.0, x + shift, n_safe - x + shift)
                high = beta.ppf(1.0 - alpha / 2.0, x + shift, n_safe - x + shift)
    low = np.where(x <= 0, 0.0, np.clip(low, 0.0, 1.0))
    high = np.where(x >= n, 1.0, np.clip(high, 0.0, 1.0))
    return np.where(valid, low, np.nan), np.where(valid, high, np.nan)


def _rates(events: np.ndarray, trials: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(trials > 0, events / np.where(trials > 0, trials, 1.0), np.nan)


def _both_groups(
    events: np.ndarray,
    trials: np.ndarray,
    ref_events: np.ndarray,
    ref_trials: np.ndarray,
    alpha: float | np.ndarray,
    method: IntervalMethod | str,
) -> tuple[tuple[np.ndarray, np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Each group's rate with its own interval limits: what every MOVER combination starts from."""
    return (
        (_rates(events, trials), *proportion_interval(events, trials, alpha, method)),
        (_rates(ref_events, ref_trials), *proportion_interval(ref_events, ref_trials, alpha, method)),
    )


def difference_interval(
    events: np.ndarray,
    trials: np.ndarray,
    ref_events: np.ndarray,
    ref_trials: np.ndarray,
    alpha: float | np.ndarray,
    method: IntervalMethod | str = "wilson",
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``p1 - p0`` with Newcombe's hybrid score interval (MOVER-D with other limits); returns value, low, high."""
    (p1, l1, u1), (p0, l0, u0) = _both_groups(events, trials, ref_events, ref_trials, alpha, method)
    d = p1 - p0
    return d, d - np.sqrt((p1 - l1) ** 2 + (u0 - p0) ** 2), d + np.sqrt((u1 - p1) ** 2 + (p0 - l0) ** 2)


def _mover_ratio(
    p1: np.ndarray, l1: np.ndarray, u1: np.ndarray, p0: np.ndarray, l0: np.ndarray, u0: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Donner & Zou's MOVER-R limits for ``p1 / p0`` from each proportion's own limits.

    A zero reference lower limit leaves the ratio unbounded above (``inf``); a zero numerator gives a lower limit
    of 0 and a finite upper limit, so a group without a single event never gets a zero-width interval.
    """
    product = p1 * p0
    with np.errstate(divide="ignore", invalid="ignore"):
        low_den = u0 * (2.0 * p0 - u0)
        low_disc = np.maximum(product * product - l1 * u0 * (2.0 * p1 - l1) * (2.0 * p0 - u0), 0.0)
        low = (product - np.sqrt(low_disc)) / low_den
        high_den = l0 * (2.0 * p0 - l0)
        high_disc = np.maximum(product * product - u1 * l0 * (2.0 * p1 - u1) * (2.0 * p0 - l0), 0.0)
        high = np.where(high_den > 0, (product + np.sqrt(high_disc)) / np.where(high_den > 0, high_den, 1.0), np.inf)
    # p0 = 0: the point is infinite (or undefined); the lower limit follows from the numerator's lower limit.
    with np.errstate(divide="ignore", invalid="ignore"):
        low_at_zero = np.where(u0 > 0, np.sqrt(np.maximum(l1 * (2.0 * p1 - l1), 0.0)) / u0, 0.0)
    low = np.where(p0 > 0, low, low_at_zero)
    low = np.where(np.isnan(low) & np.isfinite(p1) & np.isfinite(p0), 0.0, np.maximum(low, 0.0))
    undefined = np.isnan(p1) | np.isnan(p0)
    return np.where(undefined, np.nan, low), np.where(undefined, np.nan, high)


def ratio_interval(
    events: np.ndarray,
    trials: np.ndarray,
    ref_events: np.ndarray,
    ref_trials: np.ndarray,
    alpha: float | np.ndarray,
    method: IntervalMethod | str = "wilson",
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``p1 / p0`` with the MOVER-R interval (Donner & Zou 2012); returns value, low, high.

    The value is ``inf`` when only the reference rate is 0, ``nan`` when either rate is undefined or both are 0.
    """
    (p1, l1, u1), (p0, l0, u0) = _both_groups(events, trials, ref_events, ref_trials, alpha, method)
    with np.errstate(divide="ignore", invalid="ignore"):
        value = np.where(p0 > 0, p1 / np.where(p0 > 0, p0, 1.0), np.where(p1 > 0, np.inf, np.nan))
    low, high = _mover_ratio(p1, l1, u1, p0, l0, u0)
    return value, low, high


def band_p_value(
    events: np.ndarray,
    trials: np.ndarray,
    ref_events: np.ndarray,
    ref_trials: np.ndarray,
    band: tuple[float, float],
    method: IntervalMethod | str = "wilson",
) -> np.ndarray:
    """The smallest ``alpha`` at which the ``1 - alpha`` MOVER-R ratio interval lies wholly outside ``band``.

    This inverts the audit's flag rule ("the ratio interval lies outside the band"), so a multiplicity
    procedure applied to these p-values flags exactly the comparisons whose interval at the adjusted level
    clears the band. Intervals shrink monotonically as ``alpha`` grows, so a bisection on the normal quantile
    finds it; 1 when the point estimate itself lies inside the band, ``nan`` when the ratio is undefined.
    """
    low_band, high_band = band
    events, trials, ref_events, ref_trials = np.broadcast_arrays(
        *(np.asarray(a, dtype=np.float64) for a in (events, trials, ref_events, ref_trials))
    )
    value, _, _ = ratio_interval(events, trials, ref_events, ref_trials, 0.5, method)
    outside = (value > high_band) | (value < low_band)
    z_low = np.zeros(events.shape)  # excluded at z -> 0 when the point is outside the band
    z_high = np.full(events.shape, MAX_Z)
    for _ in range(SEARCH_STEPS):
        z_mid = (z_low + z_high) / 2.0
        alpha = 2.0 * ndtr(-z_mid)
        _, low, high = ratio_interval(events, trials, ref_events, ref_trials, alpha, method)
        excluded = (low > high_band) | (high < low_band)
        z_low = np.where(excluded, z_mid, z_low)
        z_high = np.where(excluded, z_high, z_mid)
    p = np.where(outside, 2.0 * ndtr(-z_low), 1.0)
    return np.where(np.isnan(value), np.nan, p)


def detectable_ratio(
    ref_rate: np.ndarray,
    trials: np.ndarray,
    ref_trials: np.ndarray,
    alpha: float | np.ndarray,
    band_high: float,
    power: float = 0.8,
) -> np.ndarray:
    """Smallest ratio ``R`` of a group's rate to its reference's that the flag rule detects with ``power``.

    Normal approximation on the log ratio: the interval clears the band's upper edge with probability
    ``Phi((log R - log band_high) / se(R) - z_{1 - alpha/2})``, ``se(R)^2 = (1 - R p0) / (n1 R p0) +
    (1 - p0) / (n0 p0)``, with ``p0`` the reference group's observed rate. ``nan`` when no ratio up to
    ``1 / p0`` (a rate of 100%) reaches ``power``, or when ``p0`` is 0 or undefined.

    Examples
    --------
    With 40 MI in a group and an FNR of 2% in a reference group of 2,000 MI, only a 5x gap is detectable:

    >>> round(float(detectable_ratio(np.array(0.02), np.array(40.0), np.array(2000.0), 0.05, 1.25)), 1)
    5.0
    """
    p0, n1, n0 = np.broadcast_arrays(*(np.asarray(a, dtype=np.float64) for a in (ref_rate, trials, ref_trials)))
    z_alpha, z_power = _z(np.asarray(alpha, dtype=float)), ndtri(power)
    usable = (p0 > 0) & (p0 < 1) & (n1 > 0) & (n0 > 0)
    p0s = np.where(usable, p0, 0.5)
    n1s, n0s = np.where(usable, n1, 1.0), np.where(usable, n0, 1.0)

    def margin(ratio: np.ndarray) -> np.ndarray:
        rate = np.minimum(ratio * p0s, 1.0)
        se = np.sqrt(np.maximum(1.0 - rate, 0.0) / (n1s * rate) + (1.0 - p0s) / (n0s * p0s))
        return (np.log(ratio) - np.log(band_high)) / se - z_alpha - z_power

    top = 1.0 / p0s
    reachable = usable & (margin(top) >= 0)
    low, high = np.full(p0.shape, float(band_high)), top.copy()
    for _ in range(SEARCH_STEPS):
        mid = np.sqrt(low * high)  # geometric: ratios span orders of magnitude
        enough = margin(mid) >= 0
        high = np.where(enough, mid, high)
        low = np.where(enough, low, mid)
    return np.where(reachable, high, np.nan)


def detection_power(
    ratio: float, ref_rate: np.ndarray, trials: np.ndarray, ref_trials: np.ndarray, alpha: float, band_high: float
) -> np.ndarray:
    """Approximate probability that a true ``ratio`` is flagged (same approximation as :func:`detectable_ratio`)."""
    p0, n1, n0 = (np.asarray(a, dtype=np.float64) for a in (ref_rate, trials, ref_trials))
    rate = ratio * p0
    se = np.sqrt((1.0 - rate) / (n1 * rate) + (1.0 - p0) / (n0 * p0))
    return ndtr((np.log(ratio) - np.log(band_high)) / se - _z(np.asarray(alpha)))
