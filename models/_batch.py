"""Batch prediction in chunks: bounded memory for the explanation matrices, one validation pass up front."""

from __future__ import annotations

import pandas as pd

from models._predictor import TriageModel

CHUNK_ROWS = 50_000


def predict_file(
    model: TriageModel,
    frame: pd.DataFrame,
    *,
    source: str = "input",
    with_reasons: bool = True,
    chunk_rows: int = CHUNK_ROWS,
) -> pd.DataFrame:
    """Validate the whole batch first (a bad batch produces nothing), then score it chunk by chunk."""
    features = model.validate(frame, source=source)
    parts = [
        model.predict_features(features.iloc[start : start + chunk_rows], with_reasons=with_reasons)
        for start in range(0, len(features), chunk_rows)
    ]
    return pd.concat(parts, ignore_index=True)
