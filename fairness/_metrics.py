"""Metric formulas on counts, vectorised over resamples and groups.

A positive prediction is ``flag = true`` ("not safe to discharge"). Definitions follow fairlearn /
scikit-learn, except that a rate whose denominator is zero is ``nan`` (undefined), where scikit-learn's
``confusion_matrix`` normalisation reports 0: an FNR of 0 for a group without a single MI would read as "never
missed".
"""

from __future__ import annotations

import numpy as np
from scipy.stats import rankdata

# Metrics reported for every group, in report order. FNR first: a missed MI is the harm the audit is about.
CONFUSION_METRICS = ("fnr", "fpr", "ppv", "npv", "selection_rate")
SCORE_METRICS = ("auroc", "ece")
GROUP_METRICS = CONFUSION_METRICS + SCORE_METRICS

METRIC_TITLES = {
    "fnr": "FNR (missed MI)",
    "fpr": "FPR (false alarm)",
    "ppv": "PPV",
    "npv": "NPV",
    "selection_rate": "Selection rate (flagged)",
    "auroc": "AUROC",
    "ece": "ECE",
    "rule_out": "Rule-out fraction",
}


def safe_divide(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(denominator > 0, numerator / np.where(denominator > 0, denominator, 1.0), np.nan)


def confusion_metrics(confusion: np.ndarray) -> dict[str, np.ndarray]:
    """FNR, FPR, PPV, NPV and selection rate from counts indexed ``[..., label, flag]``.

    Parameters
    ----------
    confusion : numpy.ndarray, shape (..., 2, 2)
        ``confusion[..., y, f]`` counts rows with true label ``y`` and flag ``f``.
    """
    tn, fp = confusion[..., 0, 0], confusion[..., 0, 1]
    fn, tp = confusion[..., 1, 0], confusion[..., 1, 1]
    return {
        "fnr": safe_divide(fn, fn + tp),
        "fpr": safe_divide(fp, fp + tn),
        "ppv": safe_divide(tp, tp + fp),
        "npv": safe_divide(tn, tn + fn),
        "selection_rate": safe_divide(tp + fp, tn + fp + fn + tp),
    }


def auroc_from_histogram(histogram: np.ndarray) -> np.ndarray:
    """AUROC from score-bin counts indexed ``[..., label, bin]`` with bins in increasing score order.

    A positive outranks every negative in a lower bin and ties (counts one half) with negatives in its own
    bin: the Mann-Whitney form of the area under the ROC curve, exact when each bin holds one distinct score.
    """
    negatives, positives = histogram[..., 0, :], histogram[..., 1, :]
    below = np.cumsum(negatives, axis=-1) - negatives
    wins = np.sum(positives * (below + 0.5 * negatives), axis=-1)
    return safe_divide(wins, positives.sum(axis=-1) * negatives.sum(axis=-1))


def auroc_exact(y_true: np.ndarray, score: np.ndarray) -> float:
    """AUROC of ``score`` for boolean labels ``y_true`` via average ranks (equals sklearn's roc_auc_score)."""
    n_pos = int(np.count_nonzero(y_true))
    n_neg = len(y_true) - n_pos
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = rankdata(score)
    return float((ranks[y_true].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def calibration_metrics(counts: np.ndarray, predicted_sum: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Expected calibration error and observed event rate per bin.

    Parameters
    ----------
    counts : numpy.ndarray, shape (..., n_bins, 2)
        Rows per calibration bin and true label.
    predicted_sum : numpy.ndarray, shape (..., n_bins)
        Sum of predicted risks per bin.

    Returns
    -------
    ece : numpy.ndarray, shape (...)
        ``sum_b n_b / n * |observed_b - predicted_b|`` (Naeini et al., AAAI 2015), which simplifies to
        ``sum_b |events_b - predicted_sum_b| / n``.
    observed : numpy.ndarray, shape (..., n_bins)
        Event rate per bin (``nan`` for an empty bin).
    """
    n_bin = counts.sum(axis=-1)
    events = counts[..., 1]
    ece = safe_divide(np.abs(events - predicted_sum).sum(axis=-1), n_bin.sum(axis=-1))
    return ece, safe_divide(events, n_bin)
