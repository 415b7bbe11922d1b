"""Reviewing a batch of discharged patients: every row scored, the flagged ones with reasons, a safe download.

This is ``chestpain predict`` for a file that arrives as bytes (the app's upload): the same validation (a bad file
produces the schema's row and column messages and nothing else) and the same output columns.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from chestpain.features import csv_bytes, read_table_bytes
from chestpain.models._batch import CHUNK_ROWS
from chestpain.models._predictor import FLAG_TEXT, LOW_RISK_TEXT, TriageModel

#: Input columns shown next to a flagged row, so the reviewer sees what the reasons refer to.
CONTEXT_COLUMNS = ("age", "sex", "ecg", "troponin_0h_ng_l", "troponin_1h_ng_l")


@dataclass(frozen=True)
class BatchReview:
    """The scored batch: ``patient_id, risk, flag, reasons`` per input row, in input order."""

    scored: pd.DataFrame
    context: pd.DataFrame  # CONTEXT_COLUMNS of the validated input, same order

    @property
    def n(self) -> int:
        """Rows scored."""
        return len(self.scored)

    @property
    def n_flagged(self) -> int:
        """Rows flagged as not safe to discharge."""
        return int(self.scored["flag"].sum())

    def flagged(self) -> pd.DataFrame:
        """Flagged rows, highest risk first, with the flag in words and the inputs the reasons refer to."""
        table = pd.concat([self.scored, self.context], axis=1)
        table = table[table["flag"]].sort_values("risk", ascending=False, kind="stable")
        table.insert(3, "flag_text", FLAG_TEXT)
        return table.drop(columns="flag").reset_index(drop=True)

    def download(self, *, flagged_only: bool = False) -> bytes:
        """CSV of the ``chestpain predict`` columns (plus the flag in words), safe against formula injection."""
        table = self.scored.copy()
        table["flag_text"] = table["flag"].map({True: FLAG_TEXT, False: LOW_RISK_TEXT})
        if flagged_only:
            table = table[table["flag"]]
        return csv_bytes(table)


def review_batch(model: TriageModel, frame: pd.DataFrame, *, source: str = "input") -> BatchReview:
    """Validate the whole batch (nothing is scored if any row is bad), then score and explain it in chunks.

    Same steps as :func:`models._batch.predict_file`, keeping the validated inputs for the review table.
    """
    features = model.validate(frame, source=source)
    scored = pd.concat(
        [
            model.predict_features(features.iloc[start : start + CHUNK_ROWS])
            for start in range(0, len(features), CHUNK_ROWS)
        ],
        ignore_index=True,
    )
    context = features[[c for c in CONTEXT_COLUMNS if c in features.columns]].reset_index(drop=True)
    return BatchReview(scored, context)


def review_upload(model: TriageModel, data: bytes, name: str) -> BatchReview:
    """:func:`review_batch` for an uploaded ``.csv`` or ``.parquet`` file's bytes; errors name the file."""
    return review_batch(model, read_table_bytes(data, name), source=name)
