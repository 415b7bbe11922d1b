"""The audit: every metric for every group, with bootstrap intervals, disparities and trade-off curves.

Order of work in :func:`audit_predictions`:
validate inputs -> atoms of the sensitive attributes -> calibration and score bins -> collapse rows to cells
(atom, label, flag, calibration bin, score bin) -> one sparse matrix that sums cells into every group's
confusion counts, score histogram and calibration table -> metrics at the observed counts (point estimates)
and at each multinomial resample of the counts (replicates) -> intervals: from counts for proportions (Wilson
by default), DeLong for AUROC, debiased ECE with a bootstrap SD (``_calibration_error.py``), percentile bootstrap
for the curves -> disparities, with a multiplicity rule over each pre-specified family (primary: missed MI) and a
reason for every comparison withheld.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse

from chestpain.kernel.errors import TriageError
from chestpain.kernel.seeding import named_stream

from ._auroc import auroc_interval
from ._bootstrap import CellTable, collapse, multinomial_resamples, percentile_interval
from ._calibration_error import ECE_DETAILS, debiased_ece, ece_intervals
from ._disparities import (
    BAD_MIN_EVENTS,
    DISPARITY_METRICS,
    MIN_EVENTS,
    choose_references,
    compute_disparities,
    compute_equalized_odds,
    expected_reliable,
    proportion_counts,
)
from ._groups import DEFAULT_ATTRIBUTES, OVERALL, GroupIndex, as_frame, build_groups, group_labels
from ._intervals import DEFAULT_INTERVAL_METHOD, IntervalMethod, check_interval_method, proportion_interval
from ._metrics import (
    CONFUSION_METRICS,
    GROUP_METRICS,
    SCORE_METRICS,
    auroc_from_histogram,
    calibration_metrics,
    confusion_metrics,
)
from ._multiplicity import DEFAULT_MULTIPLICITY, Multiplicity, check_multiplicity
from ._results import AuditResult, CalibrationBin, Estimate, GroupResult, TradeoffCurves
from ._validation import (
    as_binary,
    as_risk,
    check_band,
    check_confidence,
    check_min_positives,
    check_n_boot,
)

# A group with fewer true MIs than this is marked "small" in tables and plots (one missed MI moves its FNR by
# more than 3 points). Disparity flags are gated by the per-metric expected-event rule instead
# (``fairness/_disparities.py``, MIN_EVENTS), which counts events, not positives.
MIN_POSITIVES = 30
DEFAULT_BAND = (0.8, 1.25)  # the "four-fifths rule" band, symmetric on the log scale
DEFAULT_SCORE_BINS = 512
MAX_CURVE_POINTS = 200

NEED_FLAG_OR_THRESHOLD = "give either flag or threshold: the audit needs to know which rows the model flags"
THRESHOLD_GROUP_MISSING = "threshold has no entry for {attribute} group {group!r} (given for: {given})"
BAD_THRESHOLD = "threshold must be a number in [0, 1] or a mapping of group to such numbers, got {value!r}"
BAD_CALIBRATION_BINS = "calibration_bins must be an integer >= 1 or increasing edges within [0, 1], got {value!r}"
BAD_SCORE_BINS = "score_bins must be an integer >= 2, got {value!r}"
BAD_SEED = "seed must be a non-negative integer, got {value!r}"

BOOTSTRAP_STREAM = "fairness.audit.bootstrap"
CALIBRATION_STREAM = "fairness.audit.calibration_test"


def _check_threshold(value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise TriageError(BAD_THRESHOLD.format(value=value)) from None
    if not 0.0 <= number <= 1.0:
        raise TriageError(BAD_THRESHOLD.format(value=value))
    return number


def _check_options(
    threshold: float | Mapping[str, float] | None,
    n_boot: int,
    confidence: float,
    band: tuple[float, float],
    min_positives: int,
    score_bins: int,
    seed: int,
) -> tuple[float | dict[str, float] | None, int, float, tuple[float, float], int, int, int]:
    """The options both audits check, in one order, so both raise the same error for the same bad input.

    Returns them normalised: a threshold as a float or a ``{group: float}`` dict, the rest as the checks return.
    """
    if isinstance(threshold, Mapping):
        threshold = {str(key): _check_threshold(value) for key, value in threshold.items()}
    elif threshold is not None:
        threshold = _check_threshold(threshold)
    checked = (
        threshold,
        check_n_boot(n_boot),
        check_confidence(confidence),
        check_band(band),
        check_min_positives(min_positives),
    )
    if isinstance(score_bins, bool) or not isinstance(score_bins, int | np.integer) or score_bins < 2:
        raise TriageError(BAD_SCORE_BINS.format(value=score_bins))
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise TriageError(BAD_SEED.format(value=seed))
    return (*checked, int(score_bins), int(seed))


def _check_v2_options(
    interval_method: str, multiplicity: str, min_events: int
) -> tuple[IntervalMethod, Multiplicity, int]:
    """The interval, multiplicity and reliability options, checked the same way by both audits."""
    if isinstance(min_events, bool) or not isinstance(min_events, int | np.integer) or min_events < 0:
        raise TriageError(BAD_MIN_EVENTS.format(value=min_events))
    return check_interval_method(interval_method), check_multiplicity(multiplicity), int(min_events)


def flags_from_threshold(
    risk: np.ndarray,
    threshold: float | Mapping[str, float],
    *,
    attributes: Any = None,
    threshold_attribute: str = "sex",
) -> np.ndarray:
    """Flag ``risk >= threshold``; a mapping gives one threshold per group of ``threshold_attribute``."""
    if not isinstance(threshold, Mapping):
        return risk >= _check_threshold(threshold)
    groups = group_labels(as_frame(attributes), threshold_attribute)
    flag = np.zeros(len(risk), dtype=bool)
    for group in map(str, pd.unique(groups)):
        if group not in threshold:
            given = ", ".join(map(str, threshold)) or "none"
            raise TriageError(THRESHOLD_GROUP_MISSING.format(attribute=threshold_attribute, group=group, given=given))
        rows = groups == group
        flag[rows] = risk[rows] >= _check_threshold(threshold[group])
    return flag


def calibration_edges(risk: np.ndarray, bins: int | Sequence[float]) -> np.ndarray:
    """Calibration bin edges ``[0, e_1, ..., 1]``; bins are ``[e_i, e_i+1)``.

    An integer asks for that many equal-count bins over the whole audited cohort, shared by every group so
    groups are compared bin for bin. Equal-width bins would put almost every visit in the first bin: with a
    prevalence near 10% most predicted risks are a few percent.
    """
    if isinstance(bins, int | np.integer) and not isinstance(bins, bool):
        if bins < 1:
            raise TriageError(BAD_CALIBRATION_BINS.format(value=bins))
        inner = np.quantile(risk, np.linspace(0.0, 1.0, int(bins) + 1)[1:-1])
    else:
        try:
            edges = np.asarray(bins, dtype=np.float64)
        except (TypeError, ValueError):
            raise TriageError(BAD_CALIBRATION_BINS.format(value=bins)) from None
        if edges.ndim != 1 or edges.size < 2 or np.any(np.diff(edges) <= 0) or edges[0] < 0 or edges[-1] > 1:
            raise TriageError(BAD_CALIBRATION_BINS.format(value=bins))
        inner = edges[(edges > 0) & (edges < 1)]
    inner = np.unique(inner[(inner > 0) & (inner < 1)])
    return np.concatenate([[0.0], inner, [1.0]])


@dataclass(frozen=True)
class _ScoreBins:
    """Fine score bins: ``lower[k]`` is the smallest score in bin ``k``; ``exact`` means one score per bin."""

    of_row: np.ndarray
    lower: np.ndarray
    exact: bool


def _score_bins(risk: np.ndarray, max_bins: int, calibration_inner: np.ndarray) -> _ScoreBins:
    distinct = np.unique(risk)
    if len(distinct) <= max_bins:
        return _ScoreBins(of_row=np.searchsorted(distinct, risk), lower=distinct, exact=True)
    # Equal-count edges plus the calibration edges, so every calibration bin is a union of score bins.
    quantiles = np.quantile(risk, np.linspace(0.0, 1.0, max_bins + 1)[1:-1])
    inner = np.unique(np.concatenate([quantiles, calibration_inner]))
    inner = inner[inner > distinct[0]]
    return _ScoreBins(
        of_row=np.searchsorted(inner, risk, side="right"),
        lower=np.concatenate([[distinct[0]], inner]),
        exact=False,
    )


class _Aggregator:
    """Sums cell counts into every group's confusion counts, score histogram and calibration table."""

    def __init__(self, keys: np.ndarray, mean_risk: np.ndarray, membership: np.ndarray, n_cal: int, n_score: int):
        n_groups = membership.shape[0]
        self.n_groups, self.n_cal, self.n_score = n_groups, n_cal, n_score
        atom, label, flag, cal, score = keys.T
        group, cell = np.nonzero(membership[:, atom])
        y, f, c, s = label[cell], flag[cell], cal[cell], score[cell]
        self._conf_rows = n_groups * 4
        self._hist_rows = n_groups * 2 * n_score
        self._cal_rows = n_groups * n_cal * 2
        offsets = np.cumsum([0, self._conf_rows, self._hist_rows, self._cal_rows])
        rows = np.concatenate(
            [
                offsets[0] + group * 4 + y * 2 + f,
                offsets[1] + (group * 2 + y) * n_score + s,
                offsets[2] + (group * n_cal + c) * 2 + y,
                offsets[3] + group * n_cal + c,
            ]
        )
        columns = np.tile(cell, 4)
        values = np.concatenate([np.ones(3 * len(cell)), mean_risk[cell]])
        self._offsets = offsets
        self._matrix = sparse.csr_array(
            (values, (rows, columns)), shape=(int(offsets[3]) + n_groups * n_cal, keys.shape[0])
        )

    def __call__(self, weights: np.ndarray) -> dict[str, np.ndarray]:
        """Metrics for each row of ``weights`` (cell counts, shape (b, cells)), shaped (b, groups, ...)."""
        totals = np.asarray(self._matrix @ weights.T).T
        b, g = weights.shape[0], self.n_groups
        o = self._offsets
        confusion = totals[:, o[0] : o[1]].reshape(b, g, 2, 2)
        histogram = totals[:, o[1] : o[2]].reshape(b, g, 2, self.n_score)
        cal_counts = totals[:, o[2] : o[3]].reshape(b, g, self.n_cal, 2)
        cal_predicted = totals[:, o[3] :].reshape(b, g, self.n_cal)
        metrics = confusion_metrics(confusion)
        metrics["confusion"] = confusion
        metrics["auroc"] = auroc_from_histogram(histogram)
        metrics["observed"] = calibration_metrics(cal_counts, cal_predicted)[1]
        metrics["ece"] = debiased_ece(cal_counts, cal_predicted)  # bootstrapped for its SD
        metrics["n"] = confusion.sum(axis=(-2, -1))
        metrics["histogram"] = histogram
        metrics["cal_counts"] = cal_counts
        metrics["cal_predicted"] = cal_predicted
        return metrics


def _exact_auroc(
    y: np.ndarray,
    distinct_of_row: np.ndarray,
    n_distinct: int,
    rows: np.ndarray | None,
    weights: np.ndarray | None = None,
) -> float:
    """AUROC of one group over its distinct scores (ties count one half), with no binning.

    ``weights`` (rows each record stands for) lets the partitioned audit count its distinct records as the rows
    they replace; integer counts summed as floats are exact, so the AUROC equals the one of the expanded rows.
    """
    codes = distinct_of_row * 2 + y if rows is None else distinct_of_row[rows] * 2 + y[rows]
    if weights is not None and rows is not None:
        weights = weights[rows]
    histogram = np.bincount(codes, weights=weights, minlength=2 * n_distinct).reshape(n_distinct, 2).T
    return float(auroc_from_histogram(histogram.astype(np.float64)))


def _curve_picks(n_bins: int) -> np.ndarray:
    """Score bins whose lower edges serve as thresholds on the trade-off curves (at most MAX_CURVE_POINTS)."""
    return np.unique(np.round(np.linspace(0, n_bins - 1, min(n_bins, MAX_CURVE_POINTS))).astype(np.int64))


def _curves(histogram: np.ndarray, positions: list[int], picks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sensitivity and rule-out fraction at each picked threshold; ``histogram`` is (b, groups, 2, bins).

    Flagging ``score bin >= k`` catches the positives in bins ``k..`` and rules out everyone in bins
    ``..k-1``.
    """
    counts = histogram[:, positions]
    positives = counts[:, :, 1, :]
    everyone = counts.sum(axis=2)
    caught = np.cumsum(positives[..., ::-1], axis=-1)[..., ::-1]
    ruled_out = np.cumsum(everyone, axis=-1) - everyone
    with np.errstate(divide="ignore", invalid="ignore"):
        sensitivity = caught[..., picks] / positives.sum(axis=-1, keepdims=True)
        rule_out = ruled_out[..., picks] / everyone.sum(axis=-1, keepdims=True)
    return sensitivity, rule_out


def _finish_audit(
    *,
    y: np.ndarray,
    risk: np.ndarray,
    weights: np.ndarray | None,
    index: GroupIndex,
    edges: np.ndarray,
    bins: _ScoreBins,
    cells: CellTable,
    mean_risk: np.ndarray,
    label_name: str,
    threshold: float | Mapping[str, float] | None,
    n_boot: int,
    confidence: float,
    seed: int,
    reference: Mapping[str, str] | None,
    band: tuple[float, float],
    min_positives: int,
    score_bins: int,
    disparity_metrics: Sequence[str],
    curve_attribute: str,
    interval_method: IntervalMethod = DEFAULT_INTERVAL_METHOD,
    multiplicity: Multiplicity = DEFAULT_MULTIPLICITY,
    min_events: int = MIN_EVENTS,
    source: str = "",
) -> AuditResult:
    """Everything after the cells: point estimates, bootstrap, intervals, disparities, curves and the result.

    The in-memory audit (one record per row, ``weights=None``) and the partitioned audit (distinct records with a
    row count each) differ only in how they build the cells; sharing this tail is what keeps their documents
    equal. Options arrive already validated. ``y``, ``risk`` and ``weights`` are per record; ``mean_risk`` is
    per cell.
    """
    n_cal = len(edges) - 1
    aggregate = _Aggregator(cells.keys, mean_risk, index.membership, n_cal, len(bins.lower))

    observed = aggregate(cells.counts[np.newaxis].astype(np.float64))
    point = {name: observed[name][0] for name in (*GROUP_METRICS, "observed", "n")}
    # Exact AUROC per group; the binned one differs only when scores were grouped into bins.
    distinct, distinct_of_row = np.unique(risk, return_inverse=True)
    exact_auroc = np.array(
        [
            _exact_auroc(
                y,
                distinct_of_row,
                len(distinct),
                None if g == 0 else index.membership[g][index.atom_of_row],
                weights,
            )
            for g in range(len(index.groups))
        ]
    )
    auroc_shift = np.nan_to_num(exact_auroc - point["auroc"])
    point["auroc"] = exact_auroc

    curve_attribute = curve_attribute if curve_attribute in index.attributes else OVERALL
    curve_positions = index.positions(curve_attribute)
    curve_names = [index.groups[i][1] for i in curve_positions]
    picks = _curve_picks(len(bins.lower))
    curve_sens, curve_rule = _curves(observed["histogram"], curve_positions, picks)

    # Only what has no closed form is bootstrapped; proportions get intervals from their counts below.
    collected: dict[str, list[np.ndarray]] = {name: [] for name in (*SCORE_METRICS, "sens", "rule")}
    rng = named_stream(seed, BOOTSTRAP_STREAM)
    for resample in multinomial_resamples(cells.counts, n_boot, rng):
        resampled = aggregate(resample)
        resampled["auroc"] = resampled["auroc"] + auroc_shift
        for name in SCORE_METRICS:
            collected[name].append(resampled[name])
        sens, rule = _curves(resampled["histogram"], curve_positions, picks)
        collected["sens"].append(sens)
        collected["rule"].append(rule)
    replicates = {name: np.concatenate(chunks) for name, chunks in collected.items()}

    sizes = point["n"].astype(np.int64)
    positives = observed["cal_counts"][0, :, :, 1].sum(axis=-1).round().astype(np.int64)
    reliable = positives >= min_positives
    confusion = observed["confusion"][0]
    alpha = 1.0 - confidence
    stream = named_stream(seed, CALIBRATION_STREAM)
    ece = ece_intervals(observed["cal_counts"][0], observed["cal_predicted"][0], replicates["ece"], alpha, stream)
    point["ece"] = ece.value
    intervals = {"auroc": auroc_interval(observed["histogram"][0], point["auroc"], alpha), "ece": (ece.low, ece.high)}
    counts = proportion_counts(confusion)
    metric_reliable = {}
    for name in CONFUSION_METRICS:
        events, trials = counts[name]
        intervals[name] = proportion_interval(events, trials, alpha, interval_method)
        metric_reliable[name] = expected_reliable(events, trials, 0, min_events)[1]
    cal_all = observed["cal_counts"][0]
    intervals["observed"] = proportion_interval(cal_all[..., 1], cal_all.sum(axis=-1), alpha, interval_method)

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
                counts={name: (float(counts[name][0][g]), float(counts[name][1][g])) for name in CONFUSION_METRICS},
                metric_reliable={name: bool(metric_reliable[name][g]) for name in CONFUSION_METRICS},
                interval_method=interval_method.value,
                details={"ece": {name: float(getattr(ece, name)[g]) for name in ECE_DETAILS}},
            )
        )

    references = choose_references(index, sizes, reference)
    label_counts = {"n_positive": positives.astype(np.float64), "n_negative": (sizes - positives).astype(np.float64)}
    disparities, family_sizes = compute_disparities(
        index,
        confusion,
        replicates,
        {**point, **label_counts},
        references=references,
        metrics=list(disparity_metrics),
        band=band,
        confidence=confidence,
        method=interval_method,
        rule=multiplicity,
        min_events=min_events,
    )
    equalized_odds, equalized_pairs = compute_equalized_odds(index, confusion, confidence, interval_method)
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
        n=len(y) if weights is None else int(weights.sum()),
        n_positive=int(np.count_nonzero(y)) if weights is None else int(weights[y].sum()),
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
        score_bins=score_bins,
        curves=curves,
        interval_method=interval_method.value,
        multiplicity=multiplicity.value,
        min_events=min_events,
        n_comparisons=sum(family_sizes.values()),
        family_sizes=family_sizes,
        equalized_odds_pairs=equalized_pairs,
        source=source,
    )


def audit_predictions(
    y_true: Any,
    risk: Any,
    flag: Any = None,
    *,
    attributes: Any,
    by: Sequence[str] = DEFAULT_ATTRIBUTES,
    label_name: str = "mi",
    threshold: float | Mapping[str, float] | None = None,
    threshold_attribute: str = "sex",
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
    """Audit a model's predictions by group: error rates, discrimination, calibration and disparities.

    Parameters
    ----------
    y_true : array-like of bool or 0/1
        True label per row (``mi``, ``diagnosed_mi`` or, for UCI, ``cad``).
    risk : array-like of float
        Predicted probability in [0, 1]; used for AUROC, calibration and the trade-off curves.
    flag : array-like of bool, optional
        The model's decision (true = possible MI, not safe to discharge). Derived from ``threshold`` if
        omitted.
    attributes : pandas.DataFrame or mapping
        Sensitive attributes, one row per prediction: the base columns named in ``by`` (``age_band`` may be
        derived from ``age``).
    by : sequence of str, default=("sex", "race", "age_band", "sex&age_band")
        Attributes to audit; ``a&b`` is an intersection. The whole cohort (``overall``/``all``) is always
        added. For UCI use e.g. ``("site", "sex")``.
    label_name : str, default="mi"
        Name of the label, reported in ``metrics.json``.
    threshold : float or mapping of str to float, optional
        The operating threshold (``risk >= threshold`` is flagged), or one per group of
        ``threshold_attribute``. Recorded in the result; used to derive ``flag`` when ``flag`` is not given.
    threshold_attribute : str, default="sex"
        Column of ``attributes`` that a per-group ``threshold`` mapping is keyed by.
    n_boot : int, default=1000
        Bootstrap resamples (AUROC, ECE, AUROC disparities, threshold curves).
    confidence : float, default=0.95
        Coverage of every interval; ``1 - confidence`` is also the multiplicity rule's level.
    seed : int, default=0
        Seed of the bootstrap stream; same inputs and seed give identical results.
    reference : mapping of str to str, optional
        Reference group per attribute, e.g. ``{"sex": "male", "race": "white"}``; default: the largest group.
    band : (float, float), default=(0.8, 1.25)
        Parity band for ratios. A disparity is flagged when the multiplicity rule rejects "ratio within the
        band" (its interval at the adjusted level lies wholly outside the band).
    min_positives : int, default=30
        Groups with fewer true positives are marked small (``reliable = False``) in tables and plots.
    calibration_bins : int or sequence of float, default=10
        Number of equal-count calibration bins over the whole cohort, or explicit edges in [0, 1].
    score_bins : int, default=512
        Resolution of the bootstrap for AUROC and calibration; scores with at most this many distinct values
        are used exactly, otherwise they are grouped into this many equal-count bins (see Notes).
    disparity_metrics : sequence of str, default=("fnr", "fpr", "ppv", "npv", "selection_rate", "auroc")
        Metrics compared against the reference group.
    curve_attribute : str, default="sex"
        Attribute whose groups get sensitivity / rule-out curves (``overall`` if not audited).
    interval_method : {"wilson", "clopper-pearson", "jeffreys"}, default="wilson"
        Interval for every proportion (FNR, FPR, PPV, NPV, selection rate, calibration bins), from counts;
        differences use Newcombe's construction and ratios MOVER-R from the same limits.
    multiplicity : {"bh", "holm", "none"}, default="bh"
        Benjamini-Hochberg (false discovery rate) or Holm (family-wise error), applied within each
        pre-specified family: the missed-MI (FNR) comparisons (primary) and all others (secondary).
    min_events : int, default=10
        Reliability rule: a comparison is tested only if both groups expect at least this many events and
        non-events of the metric at the cohort's rate; otherwise it is withheld with the reason.
    source : str, default=""
        What was audited (e.g. a model name or ``clinician discharges``), stated in ``metrics.json``.

    Returns
    -------
    AuditResult
        ``.to_dict()`` is the ``metrics.json`` document.

    Notes
    -----
    Point estimates are exact. Proportion intervals come from counts (module ``fairness._intervals``). The
    bootstrap intervals come from a multinomial bootstrap over cells
    (``fairness/_bootstrap.py`` explains why that equals row resampling). When scores are binned, the binned
    AUROC of every resample is shifted by the difference between the exact and the binned AUROC of the
    observed data, so the interval sits around the exact estimate; the discretisation error is nearly constant
    across resamples.
    """
    y = as_binary(y_true, "y_true")
    n = len(y)
    risk = as_risk(risk, expected=n)
    if flag is None:
        if threshold is None:
            raise TriageError(NEED_FLAG_OR_THRESHOLD)
        flag = flags_from_threshold(risk, threshold, attributes=attributes, threshold_attribute=threshold_attribute)
    else:
        flag = as_binary(flag, "flag", expected=n)
    threshold, n_boot, confidence, band, min_positives, score_bins, seed = _check_options(
        threshold, n_boot, confidence, band, min_positives, score_bins, seed
    )
    method, rule, min_events = _check_v2_options(interval_method, multiplicity, min_events)

    index = build_groups(attributes, by, n)
    edges = calibration_edges(risk, calibration_bins)
    cal_of_row = np.searchsorted(edges[1:-1], risk, side="right")
    bins = _score_bins(risk, score_bins, edges[1:-1])
    n_atoms = index.membership.shape[1]
    n_cal = len(edges) - 1
    cells = collapse(
        [index.atom_of_row, y, flag, cal_of_row, bins.of_row],
        [n_atoms, 2, 2, n_cal, len(bins.lower)],
    )
    mean_risk = cells.sum(risk) / cells.counts
    return _finish_audit(
        y=y,
        risk=risk,
        weights=None,
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
