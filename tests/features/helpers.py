"""Small synthetic visit tables built from the cohort contract (never from the simulator)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from chestpain.features.columns import ECG_FINDINGS, RACES, SEXES, model_visible_columns


def visit_frame(n: int = 5, *, seed: int = 0, symptom_source: str = "sx") -> pd.DataFrame:
    """``n`` valid ED visits with typed columns: ``patient_id`` plus the model-visible columns."""
    rng = np.random.default_rng(seed)
    data: dict[str, object] = {"patient_id": np.arange(1, n + 1, dtype=np.int64)}
    for name in model_visible_columns(symptom_source):
        if name == "age":
            data[name] = rng.integers(18, 101, n)
        elif name == "sex":
            data[name] = rng.choice(SEXES, n)
        elif name == "race":
            data[name] = rng.choice(RACES, n)
        elif name == "ecg":
            data[name] = rng.choice(ECG_FINDINGS, n)
        elif name == "pain_score":
            data[name] = rng.integers(0, 11, n)
        elif name == "heart_rate":
            data[name] = np.round(rng.uniform(40, 160, n), 1)
        elif name == "systolic_bp":
            data[name] = np.round(rng.uniform(80, 220, n), 1)
        elif name.startswith("troponin"):
            data[name] = np.round(1 + rng.lognormal(1.5, 1.5, n), 2)
        elif name == "symptom_onset_hours":
            data[name] = np.round(rng.lognormal(1.5, 1.0, n), 1)
        else:
            data[name] = rng.random(n) < 0.3
    return pd.DataFrame(data)


def as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame as CSV cells: every value a string, booleans written true/false."""
    text = {}
    for name, values in frame.items():
        if values.dtype == bool:
            text[name] = values.map({True: "true", False: "false"}).astype(str)
        else:
            text[name] = values.astype(str)
    return pd.DataFrame(text)
