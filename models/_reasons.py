"""Turning additive log-odds contributions into the three plain-language reasons a clinician can check.

Contributions of the output features of one input column (e.g. the one-hot ``ecg_*`` features) are summed,
which keeps SHAP's additivity, so each reason speaks of one thing the clinician entered. Strings are built per
column and rank with vectorised pandas operations, never in a Python loop over patients.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer

from features import feature_label

UNITS = {
    "troponin_0h_ng_l": " ng/L",
    "troponin_1h_ng_l": " ng/L",
    "heart_rate": "/min",
    "systolic_bp": " mmHg",
    "max_heart_rate_exercise": "/min",
    "cholesterol_mg_dl": " mg/dL",
    "pain_score": "/10",
    "age": " years",
    "st_depression_exercise_mm": " mm",
}
TOP_REASONS = 3


def column_matrix(preprocessor: ColumnTransformer) -> tuple[list[str], np.ndarray]:
    """Input columns and the (output feature x input column) 0/1 matrix that sums contributions per column."""
    columns = [name for name, _, _ in preprocessor.transformers_ if name != "remainder"]
    n_out = len(preprocessor.get_feature_names_out())
    matrix = np.zeros((n_out, len(columns)))
    for j, name in enumerate(columns):
        matrix[preprocessor.output_indices_[name], j] = 1.0
    return columns, matrix


def _value_text(values: pd.Series, column: str) -> pd.Series:
    """How a column's value reads in a sentence ('troponin 1 h 31 ng/L', 'no nausea (asked)', 'ECG: normal')."""
    label = feature_label(column)
    missing = values.isna()
    if values.dtype == bool or pd.api.types.is_bool_dtype(values):
        filled = values.fillna(False).astype(bool)
        text = pd.Series(np.where(filled, label, "no " + label), index=values.index)
    elif pd.api.types.is_numeric_dtype(values):
        numbers = pd.to_numeric(values, errors="coerce")
        decimals = 1 if column.startswith("st_depression") else 0
        text = label + " " + numbers.round(decimals).astype("string").str.replace(r"\.0$", "", regex=True)
        text = text + UNITS.get(column, "")
    else:
        text = label + ": " + values.astype("string").str.replace("_", " ")
    return text.where(~missing, label + " not recorded").astype(object)


def reasons_text(features: pd.DataFrame, column_contributions: np.ndarray, columns: list[str]) -> pd.Series:
    """The top three contributions per row, e.g. 'troponin 1 h 31 ng/L raises risk; age 71 years raises risk'."""
    n = len(features)
    order = np.argsort(-np.abs(column_contributions), axis=1, kind="stable")[:, :TOP_REASONS]
    parts = []
    index = features.index
    for rank in range(min(TOP_REASONS, len(columns))):
        chosen = order[:, rank]
        signed = column_contributions[np.arange(n), chosen]
        text = pd.Series("", index=index, dtype=object)
        for j, column in enumerate(columns):
            rows = chosen == j
            if rows.any():
                text[rows] = _value_text(features.loc[rows, column], column)
        verb = np.where(signed > 0, " raises risk", np.where(signed < 0, " lowers risk", " does not change risk"))
        parts.append(text + verb)
    joined = parts[0]
    for part in parts[1:]:
        joined = joined + "; " + part
    return joined.astype("string")
