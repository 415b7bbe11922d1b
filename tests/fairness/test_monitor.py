"""The fairness monitor on plain tables: counts per period and group, alarms, bad streams, the report directory."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from chestpain.experiments.monitoring_study import GAP_WEEK, simulate_stream
from chestpain.fairness import check_stream, monitor_feedback, write_monitor_report
from chestpain.fairness._monitor import (
    BAD_DATE,
    DATES_OUT_OF_ORDER,
    DUPLICATE_OUTCOMES,
    MISSING_CARD_COLUMNS,
    MISSING_OUTCOME_COLUMNS,
    UNKNOWN_CARDS,
    UNKNOWN_INDICATOR,
)
from chestpain.fairness._monitor_report import NOT_A_MONITOR_DIRECTORY
from chestpain.kernel.errors import TriageError
from chestpain.kernel.seeding import named_stream


def card(i, indicator, sex, issued, outcome, race="white", age_band=">=55", received=None):
    return {
        "card": f"c{i}",
        "indicator": indicator,
        "sex": sex,
        "race": race,
        "age_band": age_band,
        "issued": issued,
        "outcome": outcome,
        "received": received or issued,
    }


@pytest.fixture
def small():
    rows = [
        card(0, "warning", "female", "2026-03-02", "overridden"),  # Monday of week 1
        card(1, "critical", "female", "2026-03-08", "accepted"),  # Sunday: still week 1
        card(2, "warning", "male", "2026-03-03", "accepted"),
        card(3, "info", "male", "2026-03-04", "accepted"),
        card(4, "warning", "male", "2026-03-10", None),  # week 2, no feedback yet
        card(5, "info", "female", "2026-03-16", None, age_band="<55"),  # week 3
        card(6, "warning", "female", "2026-03-17", "overridden", age_band="<55"),
    ]
    follow = pd.DataFrame(
        {"card": ["c3", "c5", "c6", "c0"], "mi": [False, False, True, True], "mace_30d": [False, True, True, True]}
    )
    return pd.DataFrame(rows), follow


def test_counts_by_period_and_group(small):
    cards, follow = small
    result = monitor_feedback(cards, follow)
    assert result.periods == ["2026-03-02", "2026-03-09", "2026-03-16"]
    table = result.table.set_index(["period", "attribute", "group"])
    women = table.loc[("2026-03-02", "sex", "female")]
    assert (women["cards_warning"], women["cards_critical"], women["cards_info"]) == (1, 1, 0)
    assert (women["override_events"], women["override_trials"]) == (1, 2)
    assert women["override_rate"] == 0.5 and 0 < women["override_ci_low"] < 0.5 < women["override_ci_high"] < 1
    # Discharged: info not overridden, or a warning overridden; with follow-up only.
    assert (women["missed_event_events"], women["missed_event_trials"], women["missed_mi_events"]) == (1, 1, 1)
    men = table.loc[("2026-03-09", "sex", "male")]
    assert (men["cards_warning"], men["override_trials"]) == (1, 0)  # no feedback: not counted
    assert np.isnan(men["override_rate"]) and np.isnan(men["override_ci_low"])
    young = table.loc[("2026-03-16", "sex&age_band", "female&<55")]
    assert (young["override_events"], young["missed_event_events"], young["missed_event_trials"]) == (1, 2, 2)
    assert result.alarms == []  # a handful of cards: every comparison is withheld
    assert not result.comparisons["tested"].any()
    assert "1 of 5 warning/critical cards have no feedback yet" in result.notes[0]


def test_without_follow_up_only_override_rates_are_monitored(small):
    cards, _ = small
    result = monitor_feedback(cards)
    assert set(result.sequences["metric"]) == {"override"}
    assert "missed_event_rate" not in result.table
    # The budget is split over every known group (2 + 5 + 2 + 4) and both metrics, present in the data or not.
    assert result.settings["n_sequences"] == 26 and result.settings["alpha_per_sequence"] == pytest.approx(0.05 / 26)


def test_since_and_monthly_looks(small):
    cards, follow = small
    assert monitor_feedback(cards, follow, since="2026-03-09").periods == ["2026-03-09", "2026-03-16"]
    assert monitor_feedback(cards, follow, every="month").periods == ["2026-03-01"]
    with pytest.raises(TriageError, match="no cards to monitor issued on or after"):
        monitor_feedback(cards, follow, since="2027-01-01")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda c, f: (c.drop(columns="indicator"), f), MISSING_CARD_COLUMNS.format(columns="indicator")),
        (lambda c, f: (c, f.drop(columns="mace_30d")), MISSING_OUTCOME_COLUMNS.format(columns="mace_30d")[:40]),
        (lambda c, f: (c, pd.concat([f, f.iloc[[0]]])), DUPLICATE_OUTCOMES.format(first=0, second=4)),
        (
            lambda c, f: (c, pd.concat([f, pd.DataFrame({"card": ["zz"], "mi": [0], "mace_30d": [0]})])),
            UNKNOWN_CARDS.format(count=1, row=4),
        ),
        (
            lambda c, f: (c.assign(received=c["received"].where(c.index != 2, "2026-03-01")), f),
            DATES_OUT_OF_ORDER.format(count=1, issued="2026-03-03", received="2026-03-01"),
        ),
        (
            lambda c, f: (c.assign(issued=c["issued"].where(c.index != 1, "08/03/2026")), f),
            BAD_DATE.format(column="issued", row=1, value="08/03/2026"),
        ),
        (
            lambda c, f: (c.assign(indicator=c["indicator"].where(c.index != 3, "hint")), f),
            UNKNOWN_INDICATOR.format(value="hint", row=3),
        ),
    ],
)
def test_bad_streams_are_one_line_errors(small, change, message):
    cards, follow = change(*small)
    with pytest.raises(TriageError) as raised:
        check_stream(cards, follow)
    assert str(raised.value).startswith(message) and "\n" not in str(raised.value)


def test_a_null_stream_raises_no_alarm_and_a_gap_names_women_since_the_gap():
    """Seeded streams of the study's deployment (about 500 cards a week, 52 weeks)."""
    null_cards, null_follow = simulate_stream(named_stream(5, "test_monitor.null"))
    assert monitor_feedback(null_cards, null_follow).alarms == []
    cards, follow = simulate_stream(named_stream(5, "test_monitor.gap"), female_ratio=2.0)
    result = monitor_feedback(cards, follow)
    sex = [a for a in result.alarms if a.attribute == "sex"]
    assert [(a.metric, a.group, a.reference, a.direction) for a in sex] == [("override", "female", "male", "higher")]
    assert all(a.group.startswith("female") and a.direction == "higher" for a in result.alarms)
    # The alarming window starts at or after the gap (restarts every 4 weeks: week 20 is a start) ...
    assert result.periods.index(sex[0].since) >= GAP_WEEK - 4
    # ... and the alarm comes after it, with bounds outside the band and the window's counts behind it.
    assert result.periods.index(sex[0].raised) > GAP_WEEK
    assert sex[0].ratio_low > 1.25 and sex[0].events <= sex[0].trials
    assert "higher than male since" in sex[0].text()


def test_report_is_written_whole_and_refuses_a_foreign_directory(small, tmp_path):
    cards, follow = simulate_stream(named_stream(5, "test_monitor.gap"), female_ratio=2.0, weeks=30)
    result = monitor_feedback(cards, follow)
    out = write_monitor_report(result, tmp_path / "report")
    names = sorted(p.name for p in out.iterdir())
    assert names == [
        "monitor_missed_event_rates.png",
        "monitor_missed_event_ratios.png",
        "monitor_override_rates.png",
        "monitor_override_ratios.png",
        "monitoring.json",
        "report.html",
    ]
    document = json.loads((out / "monitoring.json").read_text())
    assert document["alarms"][0]["group"].startswith("female") and "card" not in document["table"][0]
    page = (out / "report.html").read_text()
    assert "Alarm log" in page and "What to check next" in page and "override reasons" in page
    assert "http" not in page.replace("http-equiv", "")  # self-contained
    write_monitor_report(monitor_feedback(*small), out)  # a previous report is replaced
    assert json.loads((out / "monitoring.json").read_text())["alarms"] == []
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep")
    with pytest.raises(TriageError, match=NOT_A_MONITOR_DIRECTORY.split("(")[0].format(path=foreign)[:20]):
        write_monitor_report(result, foreign)
    assert [p.name for p in foreign.iterdir()] == ["notes.txt"]
