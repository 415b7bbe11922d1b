"""AUROC intervals from DeLong's variance, on the logit scale, computed from the audit's score histogram.

Why not the percentile bootstrap
--------------------------------
Issue 27's coverage study found the percentile bootstrap of AUROC covering 90.7-92.8% in 5 of 14 cells (small
groups, AUROC near 1: the bootstrap distribution of an AUROC is skewed and its percentile interval too short).
DeLong's structural-component variance is the exact-for-large-samples variance of the Mann-Whitney statistic
and needs no resampling; a Wald interval on the logit scale keeps the limits inside (0, 1) and follows the
skew near 1 (one of the intervals Qin & Hotilovac 2008 compare); the study below measures its coverage here.

Where it cannot hold, no interval is given (``nan``), as issue 27 asks: in a seeded study (2,000 samples per
cell, binormal scores; ``tests/fairness/test_fairness_auroc_interval.py``) the logit DeLong interval covered
93.2-95.6% with at least 100 positives and 100 negatives, but only 89-93% with 20-50 positives at AUROC
0.94-0.98 (the percentile bootstrap: 85-88% there, 92% at 100 positives). So a group needs ``MIN_CLASS`` of
each class for an AUROC interval; with AUROC 0 or 1 the variance is 0 and a Wald interval would be a point, so
none is given either.

References
----------
DeLong ER, DeLong DM, Clarke-Pearson DL. Comparing the areas under two or more correlated receiver operating
characteristic curves: a nonparametric approach. Biometrics 1988;44:837-845.

Qin G, Hotilovac L. Comparison of non-parametric confidence intervals for the area under the ROC curve of a
continuous-scale diagnostic test. Stat Methods Med Res 2008;17:207-221.
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtri


def delong_variance(histogram: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """AUROC and DeLong's variance from score-bin counts indexed ``[..., label, bin]`` (bins in score order).

    Each positive's placement is the share of negatives it outranks (ties count one half), each negative's the
    share of positives that outrank it; the variance is ``var(positive placements) / n_pos + var(negative
    placements) / n_neg`` (DeLong et al. 1988, with the unbiased ``n - 1`` denominators).
    """
    histogram = np.asarray(histogram, dtype=np.float64)
    negatives, positives = histogram[..., 0, :], histogram[..., 1, :]
    n_neg = negatives.sum(axis=-1, keepdims=True)
    n_pos = positives.sum(axis=-1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        below = np.cumsum(negatives, axis=-1) - negatives
        above = n_pos - np.cumsum(positives, axis=-1)
        v10 = (below + 0.5 * negatives) / n_neg  # per positive in the bin
        v01 = (above + 0.5 * positives) / n_pos  # per negative in the bin
        auc = (positives * v10).sum(axis=-1, keepdims=True) / n_pos
        s10 = (positives * (v10 - auc) ** 2).sum(axis=-1, keepdims=True) / (n_pos - 1)
        s01 = (negatives * (v01 - auc) ** 2).sum(axis=-1, keepdims=True) / (n_neg - 1)
        variance = s10 / n_pos + s01 / n_neg
    defined = (n_pos >= 2) & (n_neg >= 2)
    return np.where(defined, auc, np.nan)[..., 0], np.where(defined, variance, np.nan)[..., 0]


# Positives and negatives a group needs for an AUROC interval (see the module docstring for the study).
MIN_CLASS = 100


def auroc_interval(histogram: np.ndarray, value: np.ndarray, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """Logit-scale Wald interval around ``value`` (the exact AUROC) with DeLong's variance from ``histogram``.

    ``nan`` where the interval is not given: fewer than ``MIN_CLASS`` positives or negatives, or AUROC 0 or 1.
    """
    counts = np.asarray(histogram, dtype=np.float64).sum(axis=-1)
    enough = (counts[..., 0] >= MIN_CLASS) & (counts[..., 1] >= MIN_CLASS)
    _, variance = delong_variance(histogram)
    value = np.asarray(value, dtype=np.float64)
    z = ndtri(1.0 - alpha / 2.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        logit = np.log(value / (1.0 - value))
        half = z * np.sqrt(variance) / (value * (1.0 - value))
        low = 1.0 / (1.0 + np.exp(-(logit - half)))
        high = 1.0 / (1.0 + np.exp(-(logit + half)))
    usable = enough & np.isfinite(logit) & np.isfinite(half) & (variance > 0)
    return np.where(usable, low, np.nan), np.where(usable, high, np.nan)
