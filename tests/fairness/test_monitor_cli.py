"""``chestpain monitor`` on a feedback store written as the service writes it: report, alarms, one-line errors."""

from __future__ import annotations

import sqlite3

import pandas as pd
import pytest
from typer.testing import CliRunner

from chestpain.cli.main import app
from chestpain.experiments.monitoring_study import simulate_stream, write_store
from chestpain.kernel.seeding import named_stream

runner = CliRunner()


@pytest.fixture(scope="module")
def stream(tmp_path_factory):
    """30 weeks of about 500 cards, women's warnings overridden twice as often from week 20."""
    folder = tmp_path_factory.mktemp("stream")
    cards, follow = simulate_stream(named_stream(7, "test_monitor_cli"), weeks=30, female_ratio=2.0)
    write_store(cards, folder / "feedback.sqlite")
    follow.to_csv(folder / "outcomes.csv", index=False)
    return folder


def monitor(*options):
    return runner.invoke(app, ["monitor", *map(str, options)])


def test_monitor_writes_the_report_and_prints_the_alarms(stream, tmp_path):
    out = tmp_path / "monitor"
    result = monitor("--feedback", stream / "feedback.sqlite", "--outcomes", stream / "outcomes.csv", "--out", out)
    assert result.exit_code == 0, result.output
    assert "ALARM override rate of warning/critical cards: sex=female higher than male" in result.output
    assert "P(any false alarm" in result.output
    assert {"report.html", "monitoring.json", "monitor_override_rates.png"} <= {p.name for p in out.iterdir()}


def test_since_and_every(stream, tmp_path):
    out = tmp_path / "monitor"
    result = monitor(
        "--feedback", stream / "feedback.sqlite", "--out", out, "--since", "2026-06-01", "--every", "month"
    )
    assert result.exit_code == 0, result.output
    assert "month(s) from 2026-06-01" in result.output


def bad_outcomes(stream, tmp_path, change):
    frame = change(pd.read_csv(stream / "outcomes.csv"))
    path = tmp_path / "bad.csv"
    frame.to_csv(path, index=False)
    return path


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda f: f.drop(columns="mi"), "the outcomes file lacks column(s) mi"),
        (lambda f: pd.concat([f, f.assign(card="not-a-card").iloc[[0]]]), "name cards the feedback store never"),
        (lambda f: f.assign(mace_30d="maybe"), "outcomes column 'mace_30d' must be true/false"),
    ],
)
def test_bad_follow_up_is_one_line_and_writes_nothing(stream, tmp_path, change, message):
    out = tmp_path / "monitor"
    result = monitor(
        "--feedback", stream / "feedback.sqlite", "--outcomes", bad_outcomes(stream, tmp_path, change), "--out", out
    )
    assert result.exit_code == 1
    assert message in result.output and result.output.strip().count("\n") <= 1  # one line (may wrap once)
    assert "Traceback" not in result.output
    assert not out.exists() and not list(tmp_path.glob(".monitor*"))


def test_feedback_dated_before_its_card_is_refused(stream, tmp_path):
    store = tmp_path / "feedback.sqlite"
    store.write_bytes((stream / "feedback.sqlite").read_bytes())
    with sqlite3.connect(store) as db:
        db.execute("UPDATE feedback SET received = '2025-12-01' WHERE rowid = 5")
    out = tmp_path / "monitor"
    result = monitor("--feedback", store, "--out", out)
    assert result.exit_code == 1 and "dates out of order" in result.output
    assert not out.exists()


@pytest.mark.parametrize("content", [None, b"not a database at all, just text"])
def test_missing_or_foreign_store(tmp_path, content):
    store = tmp_path / "feedback.sqlite"
    if content is not None:
        store.write_bytes(content)
    result = monitor("--feedback", store, "--out", tmp_path / "monitor")
    assert result.exit_code == 1
    assert ("does not exist" if content is None else "is not a feedback store") in result.output
