"""The audit from weighted cells: what :func:`fairness.audit_predictions` computes, without the rows.

A partitioned data set (``triage audit --engine dask``) is reduced, partition by partition, to counts of rows per
distinct ``(sensitive attributes, label, flag, risk)``. Every quantity :func:`audit_predictions` computes is a
function of that multiset, so this module recomputes it from the counts:

* calibration and score-bin edges: ``numpy.quantile``'s default (linear) rule evaluated on the sorted distinct
  risks and their cumulative counts, which is the quantile of the expanded rows, bit for bit;
* cells (atom, label, flag, calibration bin, score bin): the same integer codes, so the same cells in the same
  order, with counts summed from the weights;
* the bootstrap: the same multinomial over those cells, drawn from the same named stream and seed.

Hence the point estimates equal the in-memory audit's (confusion metrics and AUROC exactly; the mean predicted
risk of a calibration bin up to floating-point summation order) and the intervals come from the same resampling
scheme with the same draws. The reduction only compresses when ``risk`` takes a bounded number of distinct
values, which isotonic calibration guarantees (one value per step of the fitted step function).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from triage.errors import TriageError
from triage.seeding import named_stream

from ._audit import (
    BOOTSTRAP_STREAM,
    DEFAULT_BAND,
    DEFAULT_SCORE_BINS,
    MIN_POSITIVES,
    _Aggregator,
    _check_threshold,
    _curve_picks,
    _curves,
    _ScoreBins,
    calibration_edges,
)
from ._bootstrap import CellTable, collapse, multinomial_resamples, percentile_interval
from ._disparities import DISPARITY_METRICS, choose_references, compute_disparities, compute_equalized_odds
from ._groups import DEFAULT_ATTRIBUTES, OVERALL, build_groups
from ._metrics import GROUP_METRICS, auroc_from_histogram
from ._results import AuditResult, CalibrationBin, Estimate, GroupResult, TradeoffCurves
from ._validation import check_band, check_confidence, check_min_positives, check_n_boot

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
score_bins, disparity_metrics, curve_attribute
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
    if isinstance(threshold, Mapping):
        threshold = {str(key): _check_threshold(value) for key, value in threshold.items()}
    elif threshold is not None:
        threshold = _check_threshold(threshold)
    n_boot = check_n_boot(n_boot)
    confidence = check_confidence(confidence)
    band = check_band(band)
    min_positives = check_min_positives(min_positives)
    n = int(counts.sum())

    index = build_groups(attributes, by, len(y))
    edges = _weighted_edges(risk, counts, calibration_bins)
    cal_of_row = np.searchsorted(edges[1:-1], risk, side="right")
    bins = _weighted_score_bins(risk, counts, int(score_bins), edges[1:-1])
    n_atoms = index.membership.shape[1]
    n_cal = len(edges) - 1
    records = collapse(
        [index.atom_of_row, y.astype(np.int64), flag.astype(np.int64), cal_of_row, bins.of_row],
        [n_atoms, 2, 2, n_cal, len(bins.lower)],
    )
    cell_counts = np.bincount(records.row_cell, weights=counts, minlength=len(records.counts)).astype(np.int64)
    cells = CellTable(keys=records.keys, counts=cell_counts, row_cell=records.row_cell)
    mean_risk = cells.sum(risk * counts) / cells.counts
    aggregate = _Aggregator(cells.keys, mean_risk, index.membership, n_cal, len(bins.lower))

    observed = aggregate(cells.counts[np.newaxis].astype(np.float64))
    point = {name: observed[name][0] for name in (*GROUP_METRICS, "observed", "n")}
    distinct, distinct_of_row = np.unique(risk, return_inverse=True)

    def exact_auroc(rows: np.ndarray | None) -> float:
        codes = distinct_of_row * 2 + y if rows is None else distinct_of_row[rows] * 2 + y[rows]
        weights = counts if rows is None else counts[rows]
        histogram = np.bincount(codes, weights=weights, minlength=2 * len(distinct)).reshape(len(distinct), 2).T
        return float(auroc_from_histogram(histogram.astype(np.float64)))

    exact = np.array(
        [exact_auroc(None if g == 0 else index.membership[g][index.atom_of_row]) for g in range(len(index.groups))]
    )
    auroc_shift = np.nan_to_num(exact - point["auroc"])
    point["auroc"] = exact

    curve_attribute = curve_attribute if curve_attribute in index.attributes else OVERALL
    curve_positions = index.positions(curve_attribute)
    curve_names = [index.groups[i][1] for i in curve_positions]
    picks = _curve_picks(len(bins.lower))
    curve_sens, curve_rule = _curves(observed["histogram"], curve_positions, picks)

    collected: dict[str, list[np.ndarray]] = {name: [] for name in (*GROUP_METRICS, "observed", "sens", "rule")}
    rng = named_stream(seed, BOOTSTRAP_STREAM)
    for weights in multinomial_resamples(cells.counts, n_boot, rng):
        resampled = aggregate(weights)
        resampled["auroc"] = resampled["auroc"] + auroc_shift
        for name in (*GROUP_METRICS, "observed"):
            collected[name].append(resampled[name])
        sens, rule = _curves(resampled["histogram"], curve_positions, picks)
        collected["sens"].append(sens)
        collected["rule"].append(rule)
    replicates = {name: np.concatenate(chunks) for name, chunks in collected.items()}

    sizes = point["n"].astype(np.int64)
    positives = observed["cal_counts"][0, :, :, 1].sum(axis=-1).round().astype(np.int64)
    reliable = positives >= min_positives
    intervals = {name: percentile_interval(replicates[name], confidence) for name in (*GROUP_METRICS, "observed")}

    groups = []
    for g, (attribute, group) in enumerate(index.groups):
        metrics = {
            name: Estimate(float(point[name][g]), float(intervals[name][0][g]), float(intervals[name][1][g]))
            for name in GROUP_METRICS
        }
        cal_counts = observed["cal_counts"][0, g]
        calibration = tuple(
            CalibrationBin(
                low=float(edges[b]),
                high=float(edges[b + 1]),
                n=int(round(cal_counts[b].sum())),
                n_positive=int(round(cal_counts[b, 1])),
                predicted=float(observed["cal_predicted"][0, g, b] / cal_counts[b].sum())
                if cal_counts[b].sum() > 0
                else float("nan"),
                observed=Estimate(
                    float(point["observed"][g, b]),
                    float(intervals["observed"][0][g, b]),
                    float(intervals["observed"][1][g, b]),
                ),
            )
            for b in range(n_cal)
        )
        groups.append(
            GroupResult(
                attribute=attribute,
                group=group,
                n=int(sizes[g]),
                n_positive=int(positives[g]),
                reliable=bool(reliable[g]),
                metrics=metrics,
                calibration=calibration,
            )
        )

    references = choose_references(index, sizes, reference)
    disparities = compute_disparities(
        index,
        point,
        replicates,
        references=references,
        reliable=reliable,
        metrics=list(disparity_metrics),
        band=band,
        confidence=confidence,
    )
    equalized_odds = compute_equalized_odds(index, point, replicates, confidence)
    sens_low, sens_high = percentile_interval(replicates["sens"], confidence)
    rule_low, rule_high = percentile_interval(replicates["rule"], confidence)
    curves = TradeoffCurves(
        attribute=curve_attribute,
        groups=tuple(curve_names),
        thresholds=bins.lower[picks],
        sensitivity=np.stack([curve_sens[0], sens_low, sens_high]),
        rule_out=np.stack([curve_rule[0], rule_low, rule_high]),
    )
    return AuditResult(
        label=label_name,
        threshold=threshold,
        n=n,
        n_positive=int(counts[y].sum()),
        n_boot=n_boot,
        confidence=confidence,
        seed=seed,
        band=band,
        min_positives=min_positives,
        references=references,
        groups=tuple(groups),
        disparities=disparities,
        equalized_odds=equalized_odds,
        calibration_edges=tuple(float(edge) for edge in edges),
        score_bins=int(score_bins),
        curves=curves,
    )
