"""Card feedback (accepted / overridden) by sex, race and age band, in a local SQLite file.

When a card is issued its random ``uuid`` is stored with the patient's sex, race and age band, the card's
indicator and the day (no id, no age, no date of birth, no encounter, no time of day). CDS Hooks feedback names
the card by that uuid, so an outcome can be counted by group without ever storing who the patient was; its
override reason is one of the card's own codes (``ehr._requests`` refuses any other) and its day. A batch of
feedback is stored in one transaction, and cards older than the retention are deleted with their feedback. The
audit reads :func:`override_rates`; the monitor (``chestpain monitor``) reads :func:`read_feedback`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from chestpain.kernel.errors import TriageError

OUTCOMES = ("accepted", "overridden")
NOT_A_STORE = "{path} is not a feedback store (no cards/feedback tables): {reason}"
NO_STORE = "feedback store {path} does not exist"
GROUP_ATTRIBUTES = ("sex", "race", "age_band")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS cards (
    uuid TEXT PRIMARY KEY, service TEXT NOT NULL, indicator TEXT NOT NULL,
    sex TEXT, race TEXT, age_band TEXT, issued REAL NOT NULL);
CREATE TABLE IF NOT EXISTS feedback (
    card TEXT PRIMARY KEY REFERENCES cards(uuid), outcome TEXT NOT NULL, reason TEXT, received REAL NOT NULL);
"""


#: Stores written before dates were coarsened kept seconds since the epoch: they become the day on opening.
_COARSEN = """
UPDATE cards SET issued = date(issued, 'unixepoch') WHERE typeof(issued) IN ('real', 'integer');
UPDATE feedback SET received = date(received, 'unixepoch') WHERE typeof(received) IN ('real', 'integer');
"""


@dataclass(frozen=True)
class Feedback:
    """One checked feedback item: the card's uuid, its outcome and at most one of the card's override codes."""

    card: str
    outcome: str
    reason: str | None = None


def _today() -> str:
    return dt.datetime.now(dt.UTC).date().isoformat()


class FeedbackStore:
    """Cards issued and their outcomes; safe to share between the server's threads.

    ``retention_days``: cards issued longer ago are deleted with their feedback (checked at most daily).
    """

    def __init__(self, path: str | Path, *, retention_days: int = 365) -> None:
        self.path = Path(path)
        self.retention_days = retention_days
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.executescript(_SCHEMA + _COARSEN)
        self._pruned_on: str | None = None

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def card_issued(self, card_uuid: str, service: str, indicator: str, group: dict[str, str | None]) -> None:
        self.cards_issued([(card_uuid, service, indicator, group)])

    def cards_issued(self, cards: list[tuple[str, str, str, dict[str, str | None]]], *, day: str | None = None) -> None:
        """(uuid, service, indicator, group) of every card of a batch, in one transaction (one disk sync).

        ``day`` (ISO date) replaces today only when replaying a past or simulated stream (experiments).
        """
        today = day or _today()
        rows = [
            (card_uuid, service, indicator, group.get("sex"), group.get("race"), group.get("age_band"), today)
            for card_uuid, service, indicator, group in cards
        ]
        with self._lock:
            self._db.execute("BEGIN")
            try:
                self._db.executemany("INSERT OR IGNORE INTO cards VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
            self._prune()

    def _prune(self) -> None:
        """Delete cards (and their feedback) issued before the retention window; once a day. Holds the lock."""
        today = _today()
        if self._pruned_on == today:
            return
        cutoff = (dt.date.fromisoformat(today) - dt.timedelta(days=self.retention_days)).isoformat()
        self._db.execute("BEGIN")
        self._db.execute("DELETE FROM feedback WHERE card IN (SELECT uuid FROM cards WHERE issued < ?)", (cutoff,))
        self._db.execute("DELETE FROM cards WHERE issued < ?", (cutoff,))
        self._db.execute("COMMIT")
        self._pruned_on = today

    def record(self, card_uuid: str, outcome: str, reason: str | None = None) -> bool:
        """Store one outcome (the latest wins); False when the card is unknown to this store."""
        return self.record_many([Feedback(card_uuid, outcome, reason)]) == 1

    def record_many(self, items: list[Feedback], *, day: str | None = None) -> int:
        """Store every outcome in one transaction (all or none); returns how many named a known card.

        ``day`` (ISO date) replaces today only when replaying a past or simulated stream (experiments).
        """
        if any(item.outcome not in OUTCOMES for item in items):
            raise ValueError(f"outcome must be one of {OUTCOMES}")
        today = day or _today()
        with self._lock:
            self._db.execute("BEGIN")
            try:
                stored = 0
                for item in items:  # a feedback batch is a handful of cards, not patients at scale
                    if self._db.execute("SELECT 1 FROM cards WHERE uuid = ?", (item.card,)).fetchone():
                        self._db.execute(
                            "INSERT OR REPLACE INTO feedback VALUES (?, ?, ?, ?)",
                            (item.card, item.outcome, item.reason, today),
                        )
                        stored += 1
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
            return stored

    def outcomes(self) -> pd.DataFrame:
        """One row per card with feedback: service, indicator, group columns, outcome, reason."""
        with self._lock:
            cursor = self._db.execute(
                "SELECT c.service, c.indicator, c.sex, c.race, c.age_band, f.outcome, f.reason "
                "FROM feedback f JOIN cards c ON c.uuid = f.card"
            )
            rows: list[Any] = cursor.fetchall()
        return pd.DataFrame(rows, columns=["service", "indicator", "sex", "race", "age_band", "outcome", "reason"])


def override_rates(outcomes: pd.DataFrame, *, indicators: tuple[str, ...] = ("warning", "critical")) -> pd.DataFrame:
    """Override rate of flagged cards by sex, race and age band: ``attribute, group, n, n_overridden, rate``.

    Only cards that asked for action (``warning``/``critical`` by default) count: overriding an ``info`` card
    means nothing. Groups with no feedback are absent rather than shown as 0%.
    """
    flagged = outcomes[outcomes["indicator"].isin(indicators)]
    parts = []
    for attribute in GROUP_ATTRIBUTES:
        counts = (
            flagged.assign(overridden=flagged["outcome"].eq("overridden"))
            .groupby(attribute, dropna=False)["overridden"]
            .agg(["size", "sum"])
            .reset_index()
        )
        parts.append(
            pd.DataFrame(
                {
                    "attribute": attribute,
                    "group": counts[attribute].fillna("missing").astype(str),
                    "n": counts["size"].astype(int),
                    "n_overridden": counts["sum"].astype(int),
                }
            )
        )
    table = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    table["rate"] = table["n_overridden"] / table["n"]
    return table


_READ = """
SELECT c.uuid, c.service, c.indicator, c.sex, c.race, c.age_band,
       CASE WHEN typeof(c.issued) IN ('real', 'integer') THEN date(c.issued, 'unixepoch') ELSE c.issued END,
       f.outcome, f.reason,
       CASE WHEN typeof(f.received) IN ('real', 'integer') THEN date(f.received, 'unixepoch') ELSE f.received END
FROM cards c LEFT JOIN feedback f ON f.card = c.uuid ORDER BY c.issued, c.rowid
"""
FEEDBACK_COLUMNS = (
    "card",
    "service",
    "indicator",
    "sex",
    "race",
    "age_band",
    "issued",
    "outcome",
    "reason",
    "received",
)


def read_feedback(path: str | Path) -> pd.DataFrame:
    """Every card issued, with its feedback if any, from a store file opened read-only (the service may be running).

    Columns :data:`FEEDBACK_COLUMNS`: the card's uuid, service, indicator, group, issue day, and the outcome,
    override code and day of its feedback (missing when none came). Opening read-only never prunes or migrates.
    """
    path = Path(path)
    if not path.is_file():
        raise TriageError(NO_STORE.format(path=path))
    try:
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
            rows = db.execute(_READ).fetchall()
    except sqlite3.DatabaseError as error:
        raise TriageError(NOT_A_STORE.format(path=path, reason=error)) from None
    return pd.DataFrame(rows, columns=list(FEEDBACK_COLUMNS))
