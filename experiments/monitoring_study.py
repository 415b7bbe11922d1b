"""Null and delayed-gap study of the fairness monitor, on simulated deployments of the discharge check.

Run::

    nice python -m chestpain.experiments.monitoring_study --streams 200 --seed 28 --out experiments/results

A *stream* is one year (52 weekly looks) of a deployed model-assisted discharge check: every ED chest-pain visit
gets one CDS Hooks card (info, warning or critical); clinicians override a warning with a probability that can
depend on the patient's sex, race and age band (the seed's mechanism, discounting, acting on the tool's advice);
patients sent home after an info card or an override have 30-day events. Streams come out in the service's own
formats: the card/feedback table that :func:`chestpain.ehr.read_feedback` reads from the ``FeedbackStore``
(:func:`write_store` writes one), CDS Hooks feedback bodies (:func:`feedback_bodies`, posted to the live
service's feedback endpoint in ``tests/experiments/test_monitoring_study.py``) and a follow-up table keyed by
card (``card, mi, mace_30d``). Each stream is monitored by :func:`chestpain.fairness.monitor_feedback`, the
function ``chestpain monitor`` calls. Two arms:

* ``null``: every group overridden at the same rate all year; reported: share of streams with any alarm
  (issue 28: <= 5%);
* ``gap``: from week 20 on, warnings for women are overridden twice as often; reported: median delay from week
  20 to the first female alarm, with its quartiles, and whether the alarms name the right group.

``--write-stream DIR`` writes one stream of the gap arm instead, as ``DIR/feedback.sqlite`` (the service's store)
and ``DIR/followup.csv``, for ``chestpain monitor`` to read.

Rows are drawn as numpy arrays (no loop over patients); the loop is over streams. Each stream draws from its own
generator derived from the seed, the arm and the stream number (``named_stream``).
Simulated evidence about the monitor's error control, not clinical evidence.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from chestpain.ehr import Feedback, FeedbackStore
from chestpain.fairness import monitor_feedback
from chestpain.kernel.seeding import named_stream

WEEKS = 52
FIRST_DAY = dt.date(2026, 1, 5)  # a Monday; fixed so a stream's bytes do not depend on the day it is run
# ASSUMPTION: a regional system of about 20 EDs. About 6.5 million US ED visits a year are for chest pain
# (Gulati et al., AHA/ACC chest pain guideline, Circulation 2021), some 25 a week in an average ED.
VISITS_PER_WEEK = 500
SEX_SHARES = {"female": 0.46, "male": 0.54}  # hs-troponin cohorts (DESIGN.md: Anand 2023)
RACE_SHARES = {"white": 0.58, "black": 0.22, "hispanic": 0.13, "asian": 0.04, "other": 0.03}  # simulator's default
UNDER_55 = 0.35  # the audit power study's mix
# Info = the check's "safe to discharge" card: the ESC 2020 0/1 h rule-out share is 40-65% of visits (Chiang,
# Ann Intern Med 2022); ASSUMPTION: 50% info, 40% warning, 10% critical.
INDICATOR_SHARES = {"info": 0.50, "warning": 0.40, "critical": 0.10}
# ASSUMPTION: 30% of warnings overridden. Medication-safety alerts are overridden 49-96% of the time (van der Sijs
# et al., J Am Med Inform Assoc 2006); a discharge warning backed by troponin values is taken more seriously.
BASE_OVERRIDE = 0.30
GAP_RATIO, GAP_WEEK = 2.0, 20  # issue 28: a 2x override gap for women appearing at week 20
# ASSUMPTION: 30-day MACE 0.5% after an info card (the ESC 0/1 h rule-out's NPV for MI is 99.8%: Chiang 2022;
# later events add to it) and 5% after an overridden warning; 60% of those events are MI.
MACE_AFTER_INFO, MACE_AFTER_OVERRIDE, MI_SHARE_OF_MACE = 0.005, 0.05, 0.6
# Drift arm: every group's override rate rises alike from 20% to 40% over the year (no gap): the confidence
# sequences assume one rate per window, so this checks that a shared drift does not raise false alarms.
DRIFT = 0.2
#: arm -> (women's override ratio from week 20, shared drift of the override rate over the year)
ARMS = {"null": (1.0, 0.0), "gap": (GAP_RATIO, 0.0), "drift": (1.0, DRIFT)}


def simulate_stream(
    rng: np.random.Generator,
    *,
    weeks: int = WEEKS,
    visits_per_week: float = VISITS_PER_WEEK,
    female_ratio: float = 1.0,
    drift: float = 0.0,
    gap_week: int = GAP_WEEK,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One deployment year: (cards with feedback, as :func:`chestpain.ehr.read_feedback` returns; follow-up).

    From ``gap_week`` on, a woman's warning is overridden with probability ``female_ratio * BASE_OVERRIDE``;
    ``drift`` moves everyone's rate linearly from ``BASE_OVERRIDE - drift / 2`` to ``BASE_OVERRIDE + drift / 2``.
    """
    per_week = rng.poisson(visits_per_week, size=weeks)
    n = int(per_week.sum())
    week = np.repeat(np.arange(weeks), per_week)
    day_offset = 7 * week + rng.integers(0, 7, size=n)
    issued = np.datetime64(FIRST_DAY) + day_offset.astype("timedelta64[D]")
    sex = np.where(rng.random(n) < SEX_SHARES["female"], "female", "male")
    race = rng.choice(list(RACE_SHARES), size=n, p=list(RACE_SHARES.values()))
    age_band = np.where(rng.random(n) < UNDER_55, "<55", ">=55")
    indicator = rng.choice(list(INDICATOR_SHARES), size=n, p=list(INDICATOR_SHARES.values()))
    base = BASE_OVERRIDE + drift * (week / max(weeks - 1, 1) - 0.5)
    p_override = np.where((sex == "female") & (week >= gap_week), female_ratio * base, base)
    card = np.char.add("sim-", np.arange(n).astype(str))
    cards, discharged = feedback_cards(rng, card, indicator, sex, race, age_band, issued, p_override)
    action = indicator != "info"
    mace = discharged & (rng.random(n) < np.where(action, MACE_AFTER_OVERRIDE, MACE_AFTER_INFO))
    mi = mace & (rng.random(n) < MI_SHARE_OF_MACE)
    follow = pd.DataFrame({"card": card[discharged], "mi": mi[discharged], "mace_30d": mace[discharged]})
    return cards, follow


def feedback_cards(
    rng: np.random.Generator,
    card: np.ndarray,
    indicator: np.ndarray,
    sex: np.ndarray,
    race: np.ndarray,
    age_band: np.ndarray,
    issued: np.ndarray,
    p_override: np.ndarray,
) -> tuple[pd.DataFrame, np.ndarray]:
    """The cards with their feedback (the table ``read_feedback`` returns) and who was sent home.

    A warning or critical card is overridden with probability ``p_override``; info cards are accepted; feedback
    arrives the day the card was issued or the next. Sent home: an info card, or an overridden one.
    """
    action = indicator != "info"
    overridden = action & (rng.random(len(card)) < p_override)
    received = issued + rng.integers(0, 2, size=len(card)).astype("timedelta64[D]")
    cards = pd.DataFrame(
        {
            "card": card,
            "service": "chest-pain-discharge",
            "indicator": indicator,
            "sex": sex,
            "race": race,
            "age_band": age_band,
            "issued": pd.to_datetime(issued).strftime("%Y-%m-%d"),
            "outcome": np.where(overridden, "overridden", "accepted"),
            "reason": None,
            "received": pd.to_datetime(received).strftime("%Y-%m-%d"),
        }
    )
    return cards, ~action | overridden


def write_store(cards: pd.DataFrame, path: str | Path, *, feedback: bool = True) -> Path:
    """Write a stream into a :class:`chestpain.ehr.FeedbackStore` file as the service would, day by day.

    ``feedback=False`` registers the cards only (their feedback then comes through the HTTP endpoint).
    """
    store = FeedbackStore(path, retention_days=100 * 365)  # a past year must not be pruned by today's date
    try:
        for day, rows in cards.groupby("issued", sort=True):  # a loop over days
            groups = rows[["sex", "race", "age_band"]].to_dict(orient="records")
            store.cards_issued(
                list(zip(rows["card"], rows["service"], rows["indicator"], groups, strict=True)), day=str(day)
            )
        if feedback:
            for day, rows in cards.groupby("received", sort=True):
                items = [Feedback(c, o) for c, o in zip(rows["card"], rows["outcome"], strict=True)]
                store.record_many(items, day=str(day))
    finally:
        store.close()
    return Path(path)


def feedback_bodies(cards: pd.DataFrame) -> list[dict[str, Any]]:
    """CDS Hooks 2.0 feedback request bodies, one per day the feedback was received, in day order."""
    bodies = []
    for day, rows in cards.groupby("received", sort=True):
        items = []
        for card_uuid, outcome in zip(rows["card"], rows["outcome"], strict=True):
            item: dict[str, Any] = {"card": card_uuid, "outcome": outcome, "outcomeTimestamp": f"{day}T12:00:00Z"}
            if outcome == "overridden":
                item["overrideReason"] = {"reason": {"code": "clinical-judgement"}}
            items.append(item)
        bodies.append({"feedback": items})
    return bodies


@dataclass(frozen=True)
class ArmResult:
    """What one arm found; shares come with their binomial Monte Carlo standard error."""

    arm: str
    streams: int
    visits_per_week: float
    female_ratio: float
    drift: float
    any_alarm: float
    female_alarm: float
    only_female_groups: float
    delay_median: float | None
    delay_q1: float | None
    delay_q3: float | None
    delays: list[int]
    alarm_groups: dict[str, int]

    def se(self, share: float) -> float:
        """Monte Carlo standard error of a share estimated from this arm's streams."""
        return math.sqrt(share * (1.0 - share) / self.streams)


def _contains_women(alarm: Any) -> bool:
    return alarm.group.split("&")[0] == "female" and alarm.direction == "higher"


def run_arm(arm: str, streams: int, seed: int, *, visits_per_week: float = VISITS_PER_WEEK) -> ArmResult:
    """``streams`` simulated years of one arm, each monitored weekly with follow-up."""
    ratio, drift = ARMS[arm]
    any_alarm, female, only_female, delays = [], [], [], []
    groups: dict[str, int] = {}
    for k in range(streams):  # a loop over streams, not patients
        cards, follow = simulate_stream(
            named_stream(seed, f"monitoring_study.{arm}.{k}"),
            visits_per_week=visits_per_week,
            female_ratio=ratio,
            drift=drift,
        )
        result = monitor_feedback(cards, follow, every="week")
        alarms = result.alarms
        any_alarm.append(bool(alarms))
        for alarm in alarms:
            key = f"{alarm.metric}:{alarm.attribute}={alarm.group} {alarm.direction}"
            groups[key] = groups.get(key, 0) + 1
        sex_alarm = [a for a in alarms if a.metric == "override" and a.attribute == "sex" and _contains_women(a)]
        female.append(bool(sex_alarm))
        only_female.append(bool(alarms) and all(_contains_women(a) for a in alarms))
        if sex_alarm:
            delays.append(result.periods.index(sex_alarm[0].raised) - GAP_WEEK)
    # A stream without an alarm by week 52 is censored (its delay is longer than the year), not dropped: the
    # quartiles are over all streams, and one that falls among the censored is "not within the year" (None).
    censored = np.array(delays + [np.inf] * (streams - len(delays)), dtype=float)
    q1, median, q3 = (
        (float(v) if np.isfinite(v) else None) for v in np.percentile(censored, [25, 50, 75], method="lower")
    )
    return ArmResult(
        arm=arm,
        streams=streams,
        visits_per_week=visits_per_week,
        female_ratio=ratio,
        drift=drift,
        any_alarm=float(np.mean(any_alarm)),
        female_alarm=float(np.mean(female)),
        only_female_groups=float(np.mean(only_female)),
        delay_median=median,
        delay_q1=q1,
        delay_q3=q3,
        delays=[int(d) for d in delays],
        alarm_groups=dict(sorted(groups.items(), key=lambda item: -item[1])),
    )


def _weeks(value: float | None) -> str:
    return "not within the year" if value is None else f"{value:g} weeks"


def describe(result: ArmResult) -> str:
    """One paragraph per arm: the headline with its Monte Carlo SE."""
    head = (
        f"{result.arm}: {result.streams} streams of {WEEKS} weekly looks, about {result.visits_per_week:g} cards "
        f"a week, women's override ratio {result.female_ratio:g}, shared drift {result.drift:g}: any alarm in "
        f"{result.any_alarm:.1%} (SE {result.se(result.any_alarm):.1%})"
    )
    if result.arm != "gap":
        return head
    delay = (
        f"median delay {_weeks(result.delay_median)} after week {GAP_WEEK} (quartiles {_weeks(result.delay_q1)} to "
        f"{_weeks(result.delay_q3)}, streams without an alarm counted as later than the year; "
        f"{len(result.delays)} of {result.streams} alarmed within the year)"
        if result.delays
        else "no female alarm within the year"
    )
    return (
        f"{head}; female vs male override alarm in {result.female_alarm:.1%}; {delay}; every alarm on a group of "
        f"women (female, female&<55, female&>=55; higher) in {result.only_female_groups:.1%} of streams"
    )


def _figure(results: dict[str, ArmResult], path: Path) -> None:
    """Delay histogram of the gap arm, with the null arm's false-alarm share in the title."""
    from matplotlib.figure import Figure  # no pyplot: no global state

    figure = Figure(figsize=(7, 3.6), dpi=110)
    axes = figure.subplots()
    gap, null = results["gap"], results["null"]
    if gap.delays:
        axes.hist(gap.delays, bins=range(0, max(gap.delays) + 2), color="#1b6ca8", edgecolor="white")
        if gap.delay_median is not None:
            axes.axvline(gap.delay_median, color="#d1495b", linestyle="--", label=f"median {gap.delay_median:g} weeks")
            axes.legend()
    axes.set_xlabel(f"weeks from the gap's start (week {GAP_WEEK}) to the female vs male override alarm")
    axes.set_ylabel("streams")
    axes.set_title(
        f"2x override gap for women: alarmed in {gap.female_alarm:.0%} of {gap.streams} years; "
        f"no gap: any alarm in {null.any_alarm:.1%}; shared drift: {results['drift'].any_alarm:.1%}",
        fontsize=9,
    )
    figure.tight_layout()
    figure.savefig(path, format="png", metadata={"Software": None})


def _markdown(results: dict[str, ArmResult], command: str, name: str) -> str:
    lines = [
        f"# Fairness monitor: null, delayed-gap and drift study (issue 28), about "
        f"{results['null'].visits_per_week:g} cards a week",
        "",
        f"Simulated evidence about the monitor's error control, not clinical evidence. Command: `{command}`.",
        "",
        *[f"- {describe(result)}" for result in results.values()],
        "",
        "Alarms by metric, group and direction (count over streams):",
        "",
    ]
    for arm, result in results.items():
        listed = ", ".join(f"{k}: {v}" for k, v in result.alarm_groups.items()) or "none"
        lines.append(f"- {arm}: {listed}")
    lines += [
        "",
        f"Assumptions (module docstring): about {results['null'].visits_per_week:g} cards a week, 50% info / 40% "
        "warning / 10% critical, 30% of warnings overridden, 30-day MACE 0.5% after info and 5% after an "
        "override; every card gets feedback and follow-up; the drift arm moves every group's override rate from "
        "20% to 40% over the year. The monitor runs with its defaults (alpha 0.05, band 0.8-1.25, windows "
        "restarting every 4 weeks).",
        "",
        f"![delays]({name}_delays.png)",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict[str, dict]:
    """Run every arm, print what they found and write ``NAME.{json,md}`` and ``NAME_delays.png``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--streams", type=int, default=200, help="simulated years per arm")
    parser.add_argument("--seed", type=int, default=28)
    parser.add_argument("--visits-per-week", type=float, default=VISITS_PER_WEEK)
    parser.add_argument("--out", default=None, help="directory for NAME.json, NAME.md and NAME_delays.png")
    parser.add_argument("--name", default="monitoring", help="file name stem of the results")
    parser.add_argument("--write-stream", default=None, help="write one gap-arm stream into this directory and stop")
    args = parser.parse_args(argv)
    if args.write_stream:
        folder = Path(args.write_stream)
        folder.mkdir(parents=True, exist_ok=True)
        rng = named_stream(args.seed, "monitoring_study.example")
        cards, follow = simulate_stream(rng, visits_per_week=args.visits_per_week, female_ratio=GAP_RATIO)
        if (folder / "feedback.sqlite").exists():
            (folder / "feedback.sqlite").unlink()  # a fresh store: the same seed gives the same stream
        write_store(cards, folder / "feedback.sqlite")
        follow.to_csv(folder / "followup.csv", index=False)
        print(f"{len(cards):,} cards over {WEEKS} weeks in {folder / 'feedback.sqlite'}; follow-up in followup.csv")
        return {}
    start = time.perf_counter()
    results = {}
    for arm in ARMS:
        results[arm] = run_arm(arm, args.streams, args.seed, visits_per_week=args.visits_per_week)
        print(describe(results[arm]), flush=True)
    print(f"[{time.perf_counter() - start:.0f} s]", flush=True)
    found = {arm: asdict(result) for arm, result in results.items()}
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        document = {"seed": args.seed, "weeks": WEEKS, "visits_per_week": args.visits_per_week, "arms": found}
        command = (
            f"nice python -m chestpain.experiments.monitoring_study --streams {args.streams} --seed {args.seed} "
            + (f"--visits-per-week {args.visits_per_week:g} " if args.visits_per_week != VISITS_PER_WEEK else "")
            + "--out experiments/results"
            + (f" --name {args.name}" if args.name != "monitoring" else "")
        )
        (out / f"{args.name}.json").write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
        (out / f"{args.name}.md").write_text(_markdown(results, command, args.name), encoding="utf-8")
        _figure(results, out / f"{args.name}_delays.png")
    return found


if __name__ == "__main__":
    main()
