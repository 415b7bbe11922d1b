"""The audit from weighted cells: what :func:`fairness.audit_predictions` computes, without the rows.

A partitioned data set (``chestpain audit --engine dask``) is reduced, partition by partition, to counts of rows per
distinct ``(sensitive attributes, label, flag, risk)``. Every quantity :func:`audit_predictions` computes is a
function of that multiset, so this module recomputes it from the counts:

* calibration and score-bin edges: ``numpy.quantile``'s default (linear) rule evaluated on the sorted distinct
  risks and their cumulative counts, which is the quantile of the expanded rows, bit for bit;
* cells (atom, label, flag, calibration bin, score bin): the same integer codes, so the same cells in the same
  order, with counts summed from the weights;
* the bootstrap (AUROC, ECE, curves): the same multinomial over those cells, same named stream and seed;
* proportion intervals, disparities and flags: from the same confusion counts (Wilson, Newcombe, MOVER-R),
  which the weighted cells reproduce exactly.

Hence the point estimates equal the in-memory audit's (confusion metrics and AUROC exactly; the mean predicted
risk of a calibration bin up to floating-point summation order) and the intervals come from the same resampling
scheme with the same draws. The reduction only compresses when ``risk`` takes a bounded number of distinct
values, which isotonic calibration guarantees (one value per step of the fitted step function).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from chestpain.kernel.errors import TriageError

from ._audit import (
    DEFAULT_BAND,
    DEFAULT_SCORE_BINS,
    MIN_POSITIVES,
    _check_options,
    _check_v2_options,
    _finish_audit,
    _ScoreBins,
    calibration_edges,
)
from ._bootstrap import CellTable, collapse
from ._disparities import DISPARITY_METRICS, MIN_EVENTS
from ._groups import DEFAULT_ATTRIBUTES, build_groups
from ._intervals import DEFAULT_INTERVAL_METHOD
from ._multiplicity import DEFAULT_MULTIPLICITY
from ._results import AuditResult

BAD_WEIGHTS = "cell counts must be positive integers"


def _lerp(a: np.ndarray, b: np.ndarray, t: np.ndarray) -> np.ndarray:
    """``numpy.quantile``'s interpolation, including its switch to ``b - (b - a)(1 - t)`` for ``t >= 0.5``."""
    diff = b - a
    return np.where(t >= 0.5, b - diff * (1 - t), a + diff * t)


def weighted_quantile(values: np.ndarray, counts: np.ndarray, q: np.ndarray) -> np.ndarray:
    """``numpy.quantile(np.repeat(values, counts), q)`` (linear method) without expanding the rows."""
    order = np.argsort(values, kind="stable")
    values, cumulative = values[order], np.cumsum(counts[order])
    n = int(cumulative[-1])
    virtual = (n - 1) * np.asarray(q, dtype=np.float64)
    previous = np.floor(virtual)
    nxt = np.minimum(previous + 1, n - 1)
    gamma = virtual - previous
    a = values[np.searchsorted(cumulative, previous.astype(np.int64), side="right")]
    b = values[np.searchsorted(cumulative, nxt.astype(np.int64), side="right")]
    return _lerp(a, b, gamma)


def _weighted_edges(risk: np.ndarray, counts: np.ndarray, bins: int | Sequence[float]) -> np.ndarray:
    if isinstance(bins, int | np.integer) and not isinstance(bins, bool):
        if bins < 1:
            return calibration_edges(risk, bins)  # raises the in-memory audit's error
        inner = weighted_quantile(risk, counts, np.linspace(0.0, 1.0, int(bins) + 1)[1:-1])
        inner = np.unique(inner[(inner > 0) & (inner < 1)])
        return np.concatenate([[0.0], inner, [1.0]])
    return calibration_edges(risk, bins)


def _weighted_score_bins(
    risk: np.ndarray, counts: np.ndarray, max_bins: int, calibration_inner: np.ndarray
) -> _ScoreBins:
    distinct = np.unique(risk)
    if len(distinct) <= max_bins:
        return _ScoreBins(of_row=np.searchsorted(distinct, risk), lower=distinct, exact=True)
    quantiles = weighted_quantile(risk, counts, np.linspace(0.0, 1.0, max_bins + 1)[1:-1])
    inner = np.unique(np.concatenate([quantiles, calibration_inner]))
    inner = inner[inner > distinct[0]]
    return _ScoreBins(
        of_row=np.searchsorted(inner, risk, side="right"), lower=np.concatenate([[distinct[0]], inner]), exact=False
    )


def audit_weighted(
    y_true: np.ndarray,
    risk: np.ndarray,
    flag: np.ndarray,
    counts: np.ndarray,
    *,
    attributes: pd.DataFrame,
    by: Sequence[str] = DEFAULT_ATTRIBUTES,
    label_name: str = "mi",
    threshold: float | Mapping[str, float] | None = None,
    n_boot: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
    reference: Mapping[str, str] | None = None,
    band: tuple[float, float] = DEFAULT_BAND,
    min_positives: int = MIN_POSITIVES,
    calibration_bins: int | Sequence[float] = 10,
    score_bins: int = DEFAULT_SCORE_BINS,
    disparity_metrics: Sequence[str] = DISPARITY_METRICS,
    curve_attribute: str = "sex",
    interval_method: str = DEFAULT_INTERVAL_METHOD,
    multiplicity: str = DEFAULT_MULTIPLICITY,
    min_events: int = MIN_EVENTS,
    source: str = "",
) -> AuditResult:
    """:func:`fairness.audit_predictions` on rows given as distinct records with a count each.

    Parameters
    ----------
    y_true, risk, flag : numpy.ndarray
        Label (bool), predicted risk and flag (bool) of each distinct record.
    counts : numpy.ndarray of int
        How many rows each record stands for (all >= 1).
    attributes : pandas.DataFrame
        Sensitive attributes of each record (``sex``, ``race``, ``age_band`` ...).
    by, label_name, threshold, n_boot, confidence, seed, reference, band, min_positives, calibration_bins, \
score_bins, disparity_metrics, curve_attribute, interval_method, multiplicity, min_events, source
        As in :func:`fairness.audit_predictions`.

    Returns
    -------
    AuditResult
        Equal to ``audit_predictions`` on the expanded rows (see the module docstring for the one floating-point
        caveat).
    """
    y = np.asarray(y_true, dtype=bool)
    flag = np.asarray(flag, dtype=bool)
    risk = np.asarray(risk, dtype=np.float64)
    counts = np.asarray(counts)
    if counts.ndim != 1 or len(counts) != len(y) or np.any(counts < 1) or counts.dtype.kind not in "iu":
        raise TriageError(BAD_WEIGHTS)
    counts = counts.astype(np.int64)
    threshold, n_boot, confidence, band, min_positives, score_bins, seed = _check_options(
        threshold, n_boot, confidence, band, min_positives, score_bins, seed
    )
    method, rule, min_events = _check_v2_options(interval_method, multiplicity, min_events)

    index = build_groups(attributes, by, len(y))
    edges = _weighted_edges(risk, counts, calibration_bins)
    cal_of_row = np.searchsorted(edges[1:-1], risk, side="right")
    bins = _weighted_score_bins(risk, counts, score_bins, edges[1:-1])
    n_atoms = index.membership.shape[1]
    n_cal = len(edges) - 1
    records = collapse(
        [index.atom_of_row, y.astype(np.int64), flag.astype(np.int64), cal_of_row, bins.of_row],
        [n_atoms, 2, 2, n_cal, len(bins.lower)],
    )
    cell_counts = np.bincount(records.row_cell, weights=counts, minlength=len(records.counts)).astype(np.int64)
    cells = CellTable(keys=records.keys, counts=cell_counts, row_cell=records.row_cell)
    mean_risk = cells.sum(risk * counts) / cells.counts
    return _finish_audit(
        y=y,
        risk=risk,
        weights=counts,
        index=index,
        edges=edges,
        bins=bins,
        cells=cells,
        mean_risk=mean_risk,
        label_name=label_name,
        threshold=threshold,
        n_boot=n_boot,
        confidence=confidence,
        seed=seed,
        reference=reference,
        band=band,
        min_positives=min_positives,
        score_bins=score_bins,
        disparity_metrics=disparity_metrics,
        curve_attribute=curve_attribute,
        interval_method=method,
        multiplicity=rule,
        min_events=min_events,
        source=source,
    )
