"""Card feedback (accepted / overridden) by sex, race and age band, in a local SQLite file.

When a card is issued its random ``uuid`` is stored with the patient's sex, race and age band and the card's
indicator, nothing else (no id, no age, no date of birth, no encounter). CDS Hooks feedback names the card by
that uuid, so an outcome can be counted by group without ever storing who the patient was. The audit reads
:func:`override_rates`.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import pandas as pd

OUTCOMES = ("accepted", "overridden")
GROUP_ATTRIBUTES = ("sex", "race", "age_band")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS cards (
    uuid TEXT PRIMARY KEY, service TEXT NOT NULL, indicator TEXT NOT NULL,
    sex TEXT, race TEXT, age_band TEXT, issued REAL NOT NULL);
CREATE TABLE IF NOT EXISTS feedback (
    card TEXT PRIMARY KEY REFERENCES cards(uuid), outcome TEXT NOT NULL, reason TEXT, received REAL NOT NULL);
"""


class FeedbackStore:
    """Cards issued and their outcomes; safe to share between the server's threads."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def card_issued(self, card_uuid: str, service: str, indicator: str, group: dict[str, str | None]) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR IGNORE INTO cards VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    card_uuid,
                    service,
                    indicator,
                    group.get("sex"),
                    group.get("race"),
                    group.get("age_band"),
                    time.time(),
                ),
            )

    def record(self, card_uuid: str, outcome: str, reason: str | None = None) -> bool:
        """Store one outcome (the latest wins); False when the card is unknown to this store."""
        if outcome not in OUTCOMES:
            raise ValueError(f"outcome must be one of {OUTCOMES}")
        with self._lock:
            known = self._db.execute("SELECT 1 FROM cards WHERE uuid = ?", (card_uuid,)).fetchone()
            if not known:
                return False
            self._db.execute(
                "INSERT OR REPLACE INTO feedback VALUES (?, ?, ?, ?)", (card_uuid, outcome, reason, time.time())
            )
            return True

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
