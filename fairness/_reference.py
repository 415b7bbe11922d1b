"""The audit's metrics through fairlearn's ``MetricFrame``: the reference the fast audit is tested against.

Slow (a pandas ``groupby`` per resample) but independent of ``fairness/_bootstrap.py``: the tests compare
both, and ``benchmarks/bench_audit.py`` times both. Auditors can also use it to cross-check a result on a
subsample.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from fairlearn.metrics import MetricFrame, false_negative_rate, false_positive_rate, selection_rate
from sklearn.metrics import precision_score, roc_auc_score


def expected_calibration_error(y_true: Any, risk: Any, edges: Any) -> float:
    """ECE over fixed bins ``[edges[i], edges[i+1])``: ``sum_b n_b / n * |mean(y)_b - mean(risk)_b|``.

    References
    ----------
    Naeini, Cooper and Hauskrecht, "Obtaining well calibrated probabilities using Bayesian binning", AAAI
    2015.
    """
    y = np.asarray(y_true, dtype=np.float64)
    p = np.asarray(risk, dtype=np.float64)
    edges = np.asarray(edges, dtype=np.float64)
    if y.size == 0:
        return float("nan")
    bins = np.searchsorted(edges[1:-1], p, side="right")
    n_bins = len(edges) - 1
    events = np.bincount(bins, weights=y, minlength=n_bins)
    predicted = np.bincount(bins, weights=p, minlength=n_bins)
    return float(np.abs(events - predicted).sum() / y.size)


def _fnr(y_true: Any, y_pred: Any, flag: Any) -> float:
    return float(false_negative_rate(y_true, flag))


def _fpr(y_true: Any, y_pred: Any, flag: Any) -> float:
    return float(false_positive_rate(y_true, flag))


def _ppv(y_true: Any, y_pred: Any, flag: Any) -> float:
    return float(precision_score(y_true, flag, zero_division=np.nan))


def _npv(y_true: Any, y_pred: Any, flag: Any) -> float:
    # NPV is the precision of the "not flagged" decision for the negative class.
    return float(precision_score(~np.asarray(y_true, bool), ~np.asarray(flag, bool), zero_division=np.nan))


def _selection_rate(y_true: Any, y_pred: Any, flag: Any) -> float:
    return float(selection_rate(y_true, flag))


def _auroc(y_true: Any, y_pred: Any) -> float:
    return float(roc_auc_score(y_true, y_pred))


def reference_metric_frame(
    y_true: Any,
    risk: Any,
    flag: Any,
    *,
    sensitive_features: pd.Series | pd.DataFrame,
    calibration_edges: Any = None,
    n_boot: int | None = None,
    confidence: float = 0.95,
    random_state: int | None = None,
) -> MetricFrame:
    """A fairlearn ``MetricFrame`` with the audit's metrics: fnr, fpr, ppv, npv, selection_rate, auroc, ece.

    Parameters
    ----------
    y_true, risk, flag : array-like
        Labels, predicted risks and flags, as for :func:`audit_predictions`.
    sensitive_features : pandas.Series or pandas.DataFrame
        One column per attribute; several columns give their intersection.
    calibration_edges : array-like, optional
        ECE bin edges (``AuditResult.calibration_edges``); ECE is left out when not given.
    n_boot : int, optional
        Resamples for fairlearn's own (row-resampling) bootstrap; ``None`` for point estimates only.
    confidence : float, default=0.95
        Interval coverage, passed as ``ci_quantiles``.
    random_state : int, optional
        Seed of fairlearn's bootstrap.

    Notes
    -----
    scikit-learn reports an FNR of 0 for a group without positives, where the audit reports ``nan``.
    """
    flag = np.asarray(flag, dtype=bool)
    metrics: dict[str, Any] = {
        "fnr": _fnr,
        "fpr": _fpr,
        "ppv": _ppv,
        "npv": _npv,
        "selection_rate": _selection_rate,
        "auroc": _auroc,
    }
    params: dict[str, dict[str, Any]] = {
        name: {"flag": flag} for name in ("fnr", "fpr", "ppv", "npv", "selection_rate")
    }
    if calibration_edges is not None:
        edges = np.asarray(calibration_edges, dtype=np.float64)
        metrics["ece"] = lambda y_true, y_pred: expected_calibration_error(y_true, y_pred, edges)
    alpha = (1.0 - confidence) / 2.0
    return MetricFrame(
        metrics=metrics,
        y_true=np.asarray(y_true, dtype=bool),
        y_pred=np.asarray(risk, dtype=np.float64),
        sensitive_features=sensitive_features,
        sample_params=params,
        n_boot=n_boot,
        ci_quantiles=[alpha, 1.0 - alpha] if n_boot is not None else None,
        random_state=random_state,
    )
