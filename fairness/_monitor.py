"""Fairness of a deployed discharge check, period by period, with alarms that stay honest over repeated looks.

Input is one row per card the CDS Hooks service issued (``card``, ``indicator``, ``sex``, ``race``, ``age_band``,
``issued`` day, ``outcome`` of the clinician's feedback, ``received`` day) and, optionally, 30-day follow-up keyed
by card (``card``, ``mi``, ``mace_30d``). Two rates are followed per group (sex, race, age band, sex x age band):

* ``override``: share of warning/critical cards that were overridden (cards with feedback only);
* ``missed_event``: share of patients discharged after an info card or an overridden warning who had a
  ``mace_30d`` event (death, MI or urgent revascularisation within 30 days), among those with follow-up.

Each group's rate gets an anytime-valid confidence sequence (:mod:`._sequential`), and each group-vs-reference
ratio the bounds those imply. An alarm is raised when the ratio's bounds leave the parity band (the audit's
four-fifths band, 0.8-1.25). Error control, over every look, group, metric and window: alpha is split equally
over the groups' sequences (Bonferroni) and, within a group, over windows restarting every ``restart_every``
periods with weights 6 / (pi^2 j^2) that sum to 1. If every sequence covers its rate (probability >= 1 - alpha)
no ratio inside the band can ever be declared outside it, so the chance of any false alarm, ever, is <= alpha.
Restarted windows let a gap that appears mid-year show without being diluted by the months before it, and say
since when it holds. A comparison is withheld, as in the audit, until both groups expect at least ``min_events``
events and non-events at the pooled rate of the window; withholding only removes alarms.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from chestpain.features.columns import RACES, SEXES
from chestpain.kernel.errors import TriageError

from ._audit import DEFAULT_BAND
from ._disparities import MIN_EVENTS
from ._groups import AGE_BANDS
from ._intervals import proportion_interval
from ._sequential import DEFAULT_CONCENTRATION, confidence_sequence, ratio_bounds, start_weight

INDICATORS = ("info", "warning", "critical")
ACTION_INDICATORS = ("warning", "critical")
METRICS = ("override", "missed_event")
METRIC_TITLES = {"override": "override rate of warning/critical cards", "missed_event": "30-day MACE after discharge"}
ATTRIBUTES = ("sex", "race", "age_band", "sex&age_band")
CARD_COLUMNS = ("card", "indicator", "sex", "race", "age_band", "issued", "outcome")
OUTCOME_COLUMNS = ("card", "mi", "mace_30d")
EVERY = ("day", "week", "month")
MONITOR_BAND = DEFAULT_BAND  # the audit's parity band: the "four-fifths rule", symmetric on the log scale
MONITOR_MIN_EVENTS = MIN_EVENTS  # the audit's expected-count rule for testing a comparison
MISSING = "missing"

MISSING_CARD_COLUMNS = "the feedback table lacks column(s) {columns}"
MISSING_OUTCOME_COLUMNS = "the outcomes file lacks column(s) {columns} (it needs card, mi and mace_30d)"
UNKNOWN_CARDS = "{count} outcome row(s) name cards the feedback store never issued (first at row {row})"
DUPLICATE_OUTCOMES = "the outcomes file names one card twice (rows {first} and {second})"
BAD_DATE = "column {column!r} must hold dates (YYYY-MM-DD); row {row} holds {value!r}"
DATES_OUT_OF_ORDER = (
    "dates out of order: {count} feedback item(s) received before their card was issued (first: issued {issued}, "
    "received {received})"
)
BAD_FLAG = "outcomes column {column!r} must be true/false or 0/1; row {row} holds {value!r}"
UNKNOWN_INDICATOR = "unknown card indicator {value!r} at row {row} (expected info, warning or critical)"
NO_CARDS = "no cards to monitor{since}"
BAD_EVERY = "--every must be one of {choices}, got {value!r}"
BAD_ALPHA = "alpha must lie strictly between 0 and 1, got {value!r}"


@dataclass(frozen=True)
class Alarm:
    """One alarm: which group, which metric, since when, raised at which look, and the evidence."""

    metric: str
    attribute: str
    group: str
    reference: str
    direction: str  # "higher" or "lower" than the reference, beyond the band
    raised: str  # first day of the period whose look raised it
    since: str  # first day of the window whose data show it
    ratio: float
    ratio_low: float
    ratio_high: float
    events: int
    trials: int
    reference_events: int
    reference_trials: int

    def text(self) -> str:
        """One line for a log or a terminal."""
        high = "inf" if not np.isfinite(self.ratio_high) else f"{self.ratio_high:.2f}"
        return (
            f"{METRIC_TITLES[self.metric]}: {self.attribute}={self.group} {self.direction} than {self.reference} "
            f"since {self.since} (raised {self.raised}): ratio {self.ratio:.2f}, anytime-valid bounds "
            f"[{self.ratio_low:.2f}, {high}] outside the band; {self.events}/{self.trials} vs "
            f"{self.reference_events}/{self.reference_trials}"
        )


@dataclass(frozen=True)
class ScanResult:
    """Arrays of one sequential scan (``T`` looks, ``G`` groups, ``P`` comparisons)."""

    rate_low: np.ndarray  # (T, G) cumulative window (from the first look)
    rate_high: np.ndarray
    ratio_low: np.ndarray  # (T, P) cumulative window
    ratio_high: np.ndarray
    tested: np.ndarray  # (T, P) both groups reliable in the cumulative window
    first_alarm: np.ndarray  # (P,) look index of the first alarm, -1 if none
    direction: np.ndarray  # (P,) +1 higher, -1 lower, 0 none
    since: np.ndarray  # (P,) look index where the alarming window starts
    window_counts: np.ndarray  # (P, 4) events, trials, reference events, reference trials in that window
    window_bounds: np.ndarray  # (P, 2) ratio bounds of that window at the first alarm


def scan(
    events: np.ndarray,
    trials: np.ndarray,
    pairs: list[tuple[int, int]],
    *,
    overall: int,
    alpha: float,
    band: tuple[float, float] = MONITOR_BAND,
    restart_every: int = 4,
    min_events: int = MONITOR_MIN_EVENTS,
    concentration: float = DEFAULT_CONCENTRATION,
) -> ScanResult:
    """Confidence sequences and first alarms from counts per look and group (``events``, ``trials``: (T, G)).

    ``alpha`` is the budget of one group's sequence (already divided over groups and metrics); window ``j``
    (starting at look ``j * restart_every``) gets ``alpha * 6 / (pi^2 (j + 1)^2)``.
    """
    n_looks = events.shape[0]
    zero = np.zeros((1, events.shape[1]))
    cum_events = np.vstack([zero, np.cumsum(events, axis=0)])
    cum_trials = np.vstack([zero, np.cumsum(trials, axis=0)])
    starts = np.arange(0, n_looks, restart_every)
    looks = np.arange(n_looks)
    # Window counts (S, T, G): data from look starts[s] to look t; zero before the window opens.
    valid = looks[None, :] >= starts[:, None]
    win_events = np.where(valid[..., None], cum_events[None, 1:] - cum_events[starts][:, None], 0.0)
    win_trials = np.where(valid[..., None], cum_trials[None, 1:] - cum_trials[starts][:, None], 0.0)
    budget = alpha * start_weight(np.arange(starts.size))[:, None, None]
    low, high = confidence_sequence(win_events, win_trials, budget, concentration)
    low, high = np.maximum.accumulate(low, axis=1), np.minimum.accumulate(high, axis=1)  # running intersection
    g_idx = np.array([g for g, _ in pairs], dtype=int)
    r_idx = np.array([r for _, r in pairs], dtype=int)
    r_low, r_high = ratio_bounds((low[..., g_idx], high[..., g_idx]), (low[..., r_idx], high[..., r_idx]))
    with np.errstate(divide="ignore", invalid="ignore"):
        pooled = win_events[..., [overall]] / win_trials[..., [overall]]
    expected = np.nan_to_num(win_trials * pooled)
    reliable = (expected >= min_events) & (win_trials - expected >= min_events)
    tested = reliable[..., g_idx] & reliable[..., r_idx]
    higher = tested & (r_low > band[1])
    lower = tested & (r_high < band[0])
    with np.errstate(divide="ignore", invalid="ignore"):
        margin = np.where(higher, np.log(r_low / band[1]), np.where(lower, np.log(band[0] / r_high), -np.inf))
    alarmed = (higher | lower).any(axis=0)  # (T, P)
    first = np.where(alarmed.any(axis=0), alarmed.argmax(axis=0), -1)
    n_pairs = len(pairs)
    direction, since = np.zeros(n_pairs, dtype=int), np.full(n_pairs, -1)
    counts, bounds = np.zeros((n_pairs, 4)), np.full((n_pairs, 2), np.nan)
    for p in np.flatnonzero(first >= 0):  # a loop over comparisons, not patients
        t = first[p]
        s = int(np.argmax(margin[:, t, p]))
        direction[p] = 1 if higher[s, t, p] else -1
        since[p] = starts[s]
        counts[p] = [
            win_events[s, t, g_idx[p]],
            win_trials[s, t, g_idx[p]],
            win_events[s, t, r_idx[p]],
            win_trials[s, t, r_idx[p]],
        ]
        bounds[p] = r_low[s, t, p], r_high[s, t, p]
    return ScanResult(low[0], high[0], r_low[0], r_high[0], tested[0], first, direction, since, counts, bounds)


@dataclass
class MonitorResult:
    """Everything the report, the app page and ``metrics.json`` show."""

    periods: list[str]
    every: str
    table: pd.DataFrame  # one row per period and group
    sequences: pd.DataFrame  # one row per period, metric and group (cumulative window)
    comparisons: pd.DataFrame  # one row per period, metric and comparison (cumulative window)
    alarms: list[Alarm]
    settings: dict[str, Any]
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready document (no rows below group level)."""

        def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
            clean = frame.astype(object).where(frame.notna(), None)
            clean = clean.replace([np.inf, -np.inf], None)
            return clean.to_dict(orient="records")

        return {
            "every": self.every,
            "periods": self.periods,
            "settings": self.settings,
            "alarms": [asdict(alarm) | {"text": alarm.text()} for alarm in self.alarms],
            "notes": self.notes,
            "table": records(self.table),
            "sequences": records(self.sequences),
            "comparisons": records(self.comparisons),
        }


def _dates(values: pd.Series, column: str) -> pd.Series:
    parsed = pd.to_datetime(values, format="%Y-%m-%d", errors="coerce")
    bad = parsed.isna() & values.notna()
    if bad.any():
        row = int(np.argmax(bad.to_numpy()))
        raise TriageError(BAD_DATE.format(column=column, row=row, value=str(values.iloc[row])[:20]))
    return parsed


def _flags(values: pd.Series, column: str) -> np.ndarray:
    text = values.astype(str).str.strip().str.lower()
    known = {"true": True, "1": True, "1.0": True, "false": False, "0": False, "0.0": False}
    mapped = text.map(known)
    if mapped.isna().any():
        row = int(np.argmax(mapped.isna().to_numpy()))
        raise TriageError(BAD_FLAG.format(column=column, row=row, value=str(values.iloc[row])[:20]))
    return mapped.to_numpy(dtype=bool)


def check_stream(cards: pd.DataFrame, outcomes: pd.DataFrame | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Validate a feedback table and its follow-up; one-line :class:`TriageError` naming the first fault."""
    missing = [column for column in CARD_COLUMNS if column not in cards.columns]
    if missing:
        raise TriageError(MISSING_CARD_COLUMNS.format(columns=", ".join(missing)))
    cards = cards.reset_index(drop=True).copy()
    unknown = ~cards["indicator"].isin(INDICATORS)
    if unknown.any():
        row = int(np.argmax(unknown.to_numpy()))
        raise TriageError(UNKNOWN_INDICATOR.format(value=str(cards["indicator"].iloc[row])[:20], row=row))
    cards["issued"] = _dates(cards["issued"].astype(object), "issued")
    if "received" in cards.columns:
        received = _dates(cards["received"].astype(object), "received")
        early = (received < cards["issued"]).to_numpy()
        if early.any():
            row = int(np.argmax(early))
            raise TriageError(
                DATES_OUT_OF_ORDER.format(
                    count=int(early.sum()),
                    issued=cards["issued"].iloc[row].date().isoformat(),
                    received=received.iloc[row].date().isoformat(),
                )
            )
    if outcomes is None:
        return cards, pd.DataFrame(columns=list(OUTCOME_COLUMNS))
    missing = [column for column in OUTCOME_COLUMNS if column not in outcomes.columns]
    if missing:
        raise TriageError(MISSING_OUTCOME_COLUMNS.format(columns=", ".join(missing)))
    outcomes = outcomes.reset_index(drop=True)
    keys = outcomes["card"].astype(str)
    duplicated = keys.duplicated(keep=False).to_numpy()
    if duplicated.any():
        first, second = np.flatnonzero(duplicated)[:2]
        raise TriageError(DUPLICATE_OUTCOMES.format(first=int(first), second=int(second)))
    stray = ~keys.isin(set(cards["card"].astype(str)))
    if stray.any():
        raise TriageError(UNKNOWN_CARDS.format(count=int(stray.sum()), row=int(np.argmax(stray.to_numpy()))))
    clean = pd.DataFrame(
        {"card": keys, "mi": _flags(outcomes["mi"], "mi"), "mace_30d": _flags(outcomes["mace_30d"], "mace_30d")}
    )
    return cards, clean


def period_starts(days: pd.Series, every: str) -> pd.Series:
    """First day of each row's period: the day itself, the Monday of its ISO week, or the first of its month."""
    if every not in EVERY:
        raise TriageError(BAD_EVERY.format(choices=", ".join(EVERY), value=every))
    days = days.dt.normalize()
    if every == "day":
        return days
    if every == "week":
        return days - pd.to_timedelta(days.dt.day_of_week, unit="D")
    return days - pd.to_timedelta(days.dt.day - 1, unit="D")


def _period_range(first: pd.Timestamp, last: pd.Timestamp, every: str) -> list[pd.Timestamp]:
    step = {"day": pd.DateOffset(days=1), "week": pd.DateOffset(weeks=1), "month": pd.DateOffset(months=1)}[every]
    out, current = [], first
    while current <= last:  # a loop over periods (52 a year), not rows
        out.append(current)
        current = current + step
    return out


_ORDER = {
    "sex": SEXES,
    "race": RACES,
    "age_band": AGE_BANDS,
    "sex&age_band": tuple(f"{s}&{a}" for s in SEXES for a in AGE_BANDS),
}


def _groups(cards: pd.DataFrame) -> list[tuple[str, str, np.ndarray]]:
    """(attribute, group, row mask) of the overall group and every group of every monitored attribute."""
    columns = {name: cards[name].fillna(MISSING).astype(str).to_numpy() for name in ("sex", "race", "age_band")}
    columns["sex&age_band"] = np.char.add(np.char.add(columns["sex"].astype(str), "&"), columns["age_band"])
    groups = [("overall", "all", np.ones(len(cards), dtype=bool))]
    for attribute in ATTRIBUTES:
        values = columns[attribute]
        present = set(values.tolist())
        names = [name for name in _ORDER[attribute] if name in present]
        names += sorted(present - set(names))
        groups += [(attribute, name, values == name) for name in names]
    return groups


def _comparable(attribute: str, name: str) -> bool:
    return attribute != "overall" and MISSING not in name.split("&")


def monitor_feedback(
    cards: pd.DataFrame,
    outcomes: pd.DataFrame | None = None,
    *,
    every: str = "week",
    since: dt.date | str | None = None,
    alpha: float = 0.05,
    band: tuple[float, float] = MONITOR_BAND,
    restart_every: int = 4,
    min_events: int = MONITOR_MIN_EVENTS,
    concentration: float = DEFAULT_CONCENTRATION,
    confidence: float = 0.95,
) -> MonitorResult:
    """Per-period table, confidence sequences and alarms for a feedback stream (see the module docstring).

    The reference of each attribute is its largest group by cards issued (the audit's rule); group sizes carry
    no information about override or outcome rates, so choosing it from the data does not spend alpha.
    """
    if not 0 < alpha < 1:
        raise TriageError(BAD_ALPHA.format(value=alpha))
    cards, follow = check_stream(cards, outcomes)
    if since is not None:
        cards = cards[cards["issued"] >= pd.Timestamp(since)].reset_index(drop=True)
    if cards.empty:
        raise TriageError(NO_CARDS.format(since=f" issued on or after {since}" if since is not None else ""))
    start = period_starts(cards["issued"], every)
    periods = _period_range(start.min(), start.max(), every)
    look = np.searchsorted(np.array(periods, dtype="datetime64[ns]"), start.to_numpy())
    n_looks = len(periods)
    indicator = cards["indicator"].to_numpy()
    outcome = cards["outcome"].astype(object).to_numpy()
    action = np.isin(indicator, ACTION_INDICATORS)
    overridden = outcome == "overridden"
    with_feedback = pd.notna(cards["outcome"]).to_numpy()
    discharged = ((indicator == "info") & ~overridden) | (action & overridden)
    joined = cards[["card"]].astype(str).merge(follow, on="card", how="left")
    followed = joined["mace_30d"].notna().to_numpy()
    mace = joined["mace_30d"].fillna(False).to_numpy(dtype=bool)
    mi = joined["mi"].fillna(False).to_numpy(dtype=bool)
    metric_rows = {
        "override": (action & with_feedback & overridden, action & with_feedback),
        "missed_event": (discharged & followed & mace, discharged & followed),
    }
    metrics = [m for m in METRICS if m == "override" or outcomes is not None]
    groups = _groups(cards)

    def per_look(mask: np.ndarray) -> np.ndarray:
        return np.stack([np.bincount(look[mask & g], minlength=n_looks) for _, _, g in groups], axis=1).astype(float)

    counts = {m: (per_look(metric_rows[m][0]), per_look(metric_rows[m][1])) for m in metrics}
    comparable = [i for i, (a, n, _) in enumerate(groups) if _comparable(a, n)]
    references: dict[str, int] = {}
    for attribute in ATTRIBUTES:
        members = [i for i in comparable if groups[i][0] == attribute]
        if members:
            references[attribute] = max(members, key=lambda i: int(groups[i][2].sum()))
    pairs = [(i, references[groups[i][0]]) for i in comparable if references[groups[i][0]] != i]
    # The split is fixed in advance, whatever this run's data hold: every known group of every attribute and
    # both metrics (follow-up usually arrives a month after the cards), so re-running the monitor as data accrue
    # keeps one budget. Unknown categories present in the data add to it.
    known = sum(len(names) for names in _ORDER.values())
    extra = sum(1 for i in comparable if groups[i][1] not in _ORDER[groups[i][0]])
    n_sequences = len(METRICS) * (known + extra)
    per_sequence = alpha / max(n_sequences, 1)
    scans = {
        m: scan(
            counts[m][0],
            counts[m][1],
            pairs,
            overall=0,
            alpha=per_sequence,
            band=band,
            restart_every=restart_every,
            min_events=min_events,
            concentration=concentration,
        )
        for m in metrics
    }
    labels = [p.date().isoformat() for p in periods]
    alarms = []
    for m in metrics:
        result = scans[m]
        for p in np.flatnonzero(result.first_alarm >= 0):
            g, r = pairs[p]
            ev, tr, rev, rtr = result.window_counts[p]
            ratio = (ev / tr) / (rev / rtr) if tr and rtr and rev else float("inf")
            alarms.append(
                Alarm(
                    metric=m,
                    attribute=groups[g][0],
                    group=groups[g][1],
                    reference=groups[r][1],
                    direction="higher" if result.direction[p] > 0 else "lower",
                    raised=labels[result.first_alarm[p]],
                    since=labels[result.since[p]],
                    ratio=float(ratio),
                    ratio_low=float(result.window_bounds[p, 0]),
                    ratio_high=float(result.window_bounds[p, 1]),
                    events=int(ev),
                    trials=int(tr),
                    reference_events=int(rev),
                    reference_trials=int(rtr),
                )
            )
    alarms.sort(key=lambda a: (a.raised, a.metric, a.attribute, a.group))
    table = _period_table(labels, groups, look, indicator, counts, metrics, mi & discharged & followed, confidence)
    sequences, comparisons = _sequence_frames(labels, groups, pairs, counts, scans, metrics)
    settings = {
        "alpha": alpha,
        "band": list(band),
        "restart_every": restart_every,
        "min_events": min_events,
        "concentration": concentration,
        "n_sequences": n_sequences,
        "alpha_per_sequence": per_sequence,
        "error_control": (
            f"P(any false alarm, at any look, in any of {len(pairs) * len(metrics)} comparisons) <= {alpha:g}: "
            f"alpha split equally over {n_sequences} group sequences ({len(METRICS)} metrics x {n_sequences // 2} "
            f"groups, {per_sequence:.2g} each; Bonferroni), and within each over windows restarting every "
            f"{restart_every} {every}s with weights 6/(pi^2 j^2)"
        ),
        "method": "beta-binomial mixture confidence sequences (Robbins 1970; Lindon & Malek 2022)",
        "references": {attribute: groups[i][1] for attribute, i in references.items()},
    }
    notes = _notes(cards, discharged, followed, outcomes is not None, action, with_feedback)
    return MonitorResult(labels, every, table, sequences, comparisons, alarms, settings, notes)


def _period_table(
    labels: list[str],
    groups: list[tuple[str, str, np.ndarray]],
    look: np.ndarray,
    indicator: np.ndarray,
    counts: dict[str, tuple[np.ndarray, np.ndarray]],
    metrics: list[str],
    missed_mi: np.ndarray,
    confidence: float,
) -> pd.DataFrame:
    """Per period and group: cards by indicator, and each metric's events, trials, rate and Wilson interval."""
    n_looks, frames = len(labels), []
    for i, (attribute, name, mask) in enumerate(groups):  # a loop over groups
        frame = pd.DataFrame({"period": labels, "attribute": attribute, "group": name})
        for kind in INDICATORS:
            frame[f"cards_{kind}"] = np.bincount(look[mask & (indicator == kind)], minlength=n_looks)
        for m in metrics:
            events, trials = counts[m][0][:, i], counts[m][1][:, i]
            low, high = proportion_interval(events, trials, 1 - confidence, "wilson")
            with np.errstate(divide="ignore", invalid="ignore"):
                rate = np.where(trials > 0, events / np.where(trials > 0, trials, 1), np.nan)
            frame[f"{m}_events"], frame[f"{m}_trials"] = events.astype(int), trials.astype(int)
            frame[f"{m}_rate"], frame[f"{m}_ci_low"], frame[f"{m}_ci_high"] = rate, low, high
        if "missed_event" in metrics:
            frame["missed_mi_events"] = np.bincount(look[mask & missed_mi], minlength=n_looks)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def _sequence_frames(
    labels: list[str],
    groups: list[tuple[str, str, np.ndarray]],
    pairs: list[tuple[int, int]],
    counts: dict[str, tuple[np.ndarray, np.ndarray]],
    scans: dict[str, ScanResult],
    metrics: list[str],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Cumulative-window sequences per group and ratio bounds per comparison, one row per period."""
    rates, ratios = [], []
    for m in metrics:
        events, trials = (np.cumsum(a, axis=0) for a in counts[m])
        result = scans[m]
        for i, (attribute, name, _) in enumerate(groups):
            with np.errstate(divide="ignore", invalid="ignore"):
                rate = np.where(trials[:, i] > 0, events[:, i] / np.where(trials[:, i] > 0, trials[:, i], 1), np.nan)
            rates.append(
                pd.DataFrame(
                    {
                        "period": labels,
                        "metric": m,
                        "attribute": attribute,
                        "group": name,
                        "events": events[:, i].astype(int),
                        "trials": trials[:, i].astype(int),
                        "rate": rate,
                        "cs_low": result.rate_low[:, i],
                        "cs_high": result.rate_high[:, i],
                    }
                )
            )
        for p, (g, r) in enumerate(pairs):
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = (events[:, g] / trials[:, g]) / (events[:, r] / trials[:, r])
            ratios.append(
                pd.DataFrame(
                    {
                        "period": labels,
                        "metric": m,
                        "attribute": groups[g][0],
                        "group": groups[g][1],
                        "reference": groups[r][1],
                        "ratio": ratio,
                        "ratio_low": result.ratio_low[:, p],
                        "ratio_high": result.ratio_high[:, p],
                        "tested": result.tested[:, p],
                    }
                )
            )
    columns = ["period", "metric", "attribute", "group", "reference", "ratio", "ratio_low", "ratio_high", "tested"]
    empty = pd.DataFrame({name: pd.Series(dtype=bool if name == "tested" else object) for name in columns})
    return pd.concat(rates, ignore_index=True), pd.concat(ratios, ignore_index=True) if ratios else empty


def _notes(
    cards: pd.DataFrame,
    discharged: np.ndarray,
    followed: np.ndarray,
    has_outcomes: bool,
    action: np.ndarray,
    with_feedback: np.ndarray,
) -> list[str]:
    """Counts a reader needs to judge the picture: cards without feedback, discharges without follow-up."""
    notes = [
        f"{int((action & ~with_feedback).sum())} of {int(action.sum())} warning/critical cards have no feedback "
        "yet and are not counted in override rates"
    ]
    if has_outcomes:
        notes.append(
            f"{int((discharged & ~followed).sum())} of {int(discharged.sum())} discharges have no 30-day follow-up "
            "yet and are not counted in missed-event rates"
        )
    else:
        notes.append("no 30-day follow-up given (--outcomes): missed-event rates are not monitored")
    return notes
