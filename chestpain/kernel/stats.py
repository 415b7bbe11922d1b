"""Small analytic confidence intervals shared by the simulator's calibration table and model evaluation."""

from __future__ import annotations

import math
from dataclasses import dataclass

Z95 = 1.959963984540054


@dataclass(frozen=True)
class Estimate:
    """A value with a 95% confidence interval."""

    value: float
    ci_low: float
    ci_high: float

    def as_dict(self) -> dict[str, float]:
        """The JSON shape used in manifests and metrics files."""
        return {"value": self.value, "ci_low": self.ci_low, "ci_high": self.ci_high}


NAN_ESTIMATE = Estimate(math.nan, math.nan, math.nan)


def wilson(successes: float, n: float) -> Estimate:
    """Wilson score interval for a proportion (well behaved near 0 and 1, unlike the Wald interval)."""
    if n == 0:
        return NAN_ESTIMATE
    p = successes / n
    centre = (p + Z95**2 / (2 * n)) / (1 + Z95**2 / n)
    half = Z95 * math.sqrt(p * (1 - p) / n + Z95**2 / (4 * n * n)) / (1 + Z95**2 / n)
    return Estimate(p, max(0.0, centre - half), min(1.0, centre + half))


def newcombe(a: float, n1: float, b: float, n0: float) -> Estimate:
    """``a/n1 - b/n0`` with Newcombe's hybrid score interval (Stat Med 1998, method 10) from the two Wilson limits.

    The scalar twin of ``fairness._intervals.difference_interval`` (vectorised, several methods), kept here so the
    simulator's calibration table does not import the fairness package.
    """
    if min(n1, n0) == 0:
        return NAN_ESTIMATE
    p1, p0 = wilson(a, n1), wilson(b, n0)
    d = p1.value - p0.value
    low = d - math.sqrt((p1.value - p1.ci_low) ** 2 + (p0.ci_high - p0.value) ** 2)
    high = d + math.sqrt((p1.ci_high - p1.value) ** 2 + (p0.value - p0.ci_low) ** 2)
    return Estimate(d, low, high)


def hanley_mcneil(auc: float, n_pos: float, n_neg: float) -> Estimate:
    """AUROC interval of Hanley & McNeil, Radiology 1982 (normal approximation)."""
    if n_pos == 0 or n_neg == 0 or math.isnan(auc):
        return NAN_ESTIMATE
    q1, q2 = auc / (2 - auc), 2 * auc * auc / (1 + auc)
    var = (auc * (1 - auc) + (n_pos - 1) * (q1 - auc**2) + (n_neg - 1) * (q2 - auc**2)) / (n_pos * n_neg)
    se = math.sqrt(max(var, 0.0))
    return Estimate(auc, max(0.0, auc - Z95 * se), min(1.0, auc + Z95 * se))


def observed_to_expected(observed: int, expected: float) -> Estimate:
    """Calibration-in-the-large: observed events / the sum of predicted risks, with an exact Poisson interval.

    The interval treats the expected count as fixed and the observed count as Poisson (Garwood 1936; the usual
    standardised-ratio interval, e.g. Breslow & Day 1987): a ratio whose interval lies wholly outside a band
    around 1 says the risks are too high or too low overall.
    """
    from scipy.stats import chi2

    if expected <= 0:
        return NAN_ESTIMATE
    low = 0.0 if observed == 0 else chi2.ppf(0.025, 2 * observed) / 2
    high = chi2.ppf(0.975, 2 * (observed + 1)) / 2
    return Estimate(observed / expected, float(low / expected), float(high / expected))
