"""Turning additive log-odds contributions into the three plain-language reasons a clinician can check.

Contributions of the output features of one clinical input are summed, which keeps SHAP's additivity, so each
reason speaks of one thing the clinician entered or reads: a troponin sample in ng/L and as a multiple of the
sex-specific 99th percentile ("troponin 0 h 70 ng/L (4.4x the 99th percentile for women)"; the higher sample
also carries the model's peak features), the 1 h change ("troponin rose 25 ng/L in 1 h"), the time since onset
("pain began 2 h before the first sample"), the ECG. Strings are built per input and rank with vectorised
pandas operations, never in a Python loop over patients.

A contribution is measured from the reference patient (the training medians, see ``FittedEstimator.
contributions``); with the monotone constraints, a troponin, change or ECG above the reference's never reads
"lowers risk" (``tests/models/test_explanations.py`` checks thousands of simulated visits).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer

from chestpain.features import COURSE_GROUP, LIMIT_OF_DETECTION_NG_L, TROPONIN_99TH_NG_L, feature_label
from chestpain.features.columns import LATER_TROPONIN_COLUMNS, ONSET_COLUMN, TROPONIN_COLUMNS

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
#: The clinical group of the higher of the two troponin samples (features._pipeline).
PEAK_GROUP = "troponin_max"
#: Contributions smaller than this (log-odds) read "does not change risk": float rounding, not the model.
NEUTRAL = 1e-9


#: How a sample below the limit of detection reads (the data code it as 1 ng/L; the laboratory says "< 2").
_BELOW_LOD = f"< {LIMIT_OF_DETECTION_NG_L:g} ng/L (below the limit of detection)"


def column_matrix(preprocessor: ColumnTransformer) -> tuple[list[str], np.ndarray]:
    """Clinical inputs (transformer names) and the (output feature x input) 0/1 matrix that sums contributions."""
    columns = [name for name, _, _ in preprocessor.transformers_ if name != "remainder"]
    n_out = len(preprocessor.get_feature_names_out())
    matrix = np.zeros((n_out, len(columns)))
    for j, name in enumerate(columns):
        matrix[preprocessor.output_indices_[name], j] = 1.0
    return columns, matrix


def first_sample_is_higher(features: pd.DataFrame) -> np.ndarray:
    """Whether the 0 h sample is the higher of 0 h / 1 h (ties: the 1 h sample; no 1 h sample: the 0 h one)."""
    t0_name, t1_name = TROPONIN_COLUMNS
    return ~(features[t1_name].to_numpy(float) >= features[t0_name].to_numpy(float))


def no_later_sample(features: pd.DataFrame) -> np.ndarray:
    """Visits with neither a 2 h nor a 3 h sample: their course is the 0 h / 1 h pair again."""
    drawn = [features[name].notna().to_numpy() for name in LATER_TROPONIN_COLUMNS if name in features.columns]
    return ~np.logical_or.reduce(drawn) if drawn else np.ones(len(features), dtype=bool)


def fold_peak_into_higher_sample(
    features: pd.DataFrame, columns: list[str], contributions: np.ndarray
) -> tuple[list[str], np.ndarray]:
    """Add the higher-sample group's contribution to the sample that is the higher (ties: the 1 h sample).

    The model uses the higher of the two samples as features of their own, but read beside the samples that group
    repeats one of their values ("higher troponin 95 ng/L"; "troponin 1 h 95 ng/L"). Summed into the sample it
    came from, each value is named once and the contributions still add up to the score. The course of every
    sample is folded the same way where no later sample was drawn (it then repeats the 0 h / 1 h pair: "troponin
    course 18, 31 ng/L" beside "troponin 1 h 31 ng/L" would name one value twice and crowd out the ECG); with a
    later sample it is a reason of its own.
    """
    t0_name, t1_name = TROPONIN_COLUMNS
    if not {PEAK_GROUP, t0_name, t1_name} <= set(columns):
        return columns, contributions
    peak, first, second = (columns.index(name) for name in (PEAK_GROUP, t0_name, t1_name))
    first_is_higher = first_sample_is_higher(features)
    folded = contributions.copy()
    moved = [(peak, np.ones(len(features), dtype=bool))]
    if COURSE_GROUP in columns:
        moved.append((columns.index(COURSE_GROUP), no_later_sample(features)))
    for j, rows in moved:
        amount = np.where(rows, contributions[:, j], 0.0)
        folded[:, first] += np.where(first_is_higher, amount, 0.0)
        folded[:, second] += np.where(first_is_higher, 0.0, amount)
        folded[:, j] -= amount
    keep = [j for j in range(len(columns)) if j != peak]
    return [columns[j] for j in keep], folded[:, keep]


def _number(values: pd.Series, decimals: int = 0) -> pd.Series:
    numbers = pd.to_numeric(values, errors="coerce").astype("float64")
    return numbers.round(decimals).astype("string").str.replace(r"\.0$", "", regex=True)


def _value_text(values: pd.Series, column: str) -> pd.Series:
    """How a column's value reads in a sentence ('troponin 1 h 31 ng/L', 'no nausea (asked)', 'ECG: normal')."""
    label = feature_label(column)
    missing = values.isna()
    if values.dtype == bool or pd.api.types.is_bool_dtype(values):
        filled = values.fillna(False).astype(bool)
        text = pd.Series(np.where(filled, label, "no " + label), index=values.index)
    elif column == ONSET_COLUMN:
        text = "pain began " + _number(values, 1) + " h before the first sample"
    elif pd.api.types.is_numeric_dtype(values):
        decimals = 1 if column.startswith("st_depression") else 0
        text = label + " " + _number(values, decimals) + UNITS.get(column, "")
    else:
        text = label + ": " + values.astype("string").str.replace("_", " ")
    return text.where(~missing, label + " not recorded").astype(object)


def _multiple_text(level: pd.Series, features: pd.DataFrame) -> pd.Series:
    """' (4.4x the 99th percentile for women)', from the sex-specific 99th percentile."""
    if "sex" not in features.columns:
        return pd.Series("", index=features.index, dtype=object)
    sex = features["sex"].astype("string")
    upper = sex.map(TROPONIN_99TH_NG_L).astype("float64")
    words = sex.map({"female": "women", "male": "men"})
    return (" (" + _number(level / upper, 1) + "x the 99th percentile for " + words + ")").fillna("").astype(object)


def group_text(features: pd.DataFrame, group: str) -> pd.Series:
    """How one clinical input reads for each row (the troponin groups combine both samples and sex)."""
    t0_name, t1_name = TROPONIN_COLUMNS
    no_1h = features[t1_name].isna() if t1_name in features.columns else pd.Series(False, index=features.index)
    if group in (t0_name, t1_name, PEAK_GROUP):
        if group == PEAK_GROUP:  # without a 1 h sample the higher value is the 0 h one: say which
            level = np.fmax(features[t0_name].astype("float64"), features[t1_name].astype("float64"))
            name = pd.Series(np.where(no_1h, "troponin 0 h ", "higher troponin "), index=features.index)
            text = name + _number(level) + " ng/L"
            below = name + _BELOW_LOD
        else:
            level = features[group].astype("float64")
            text = _value_text(features[group], group)
            below = feature_label(group) + " " + _BELOW_LOD
        # Below the limit of detection the laboratory reports "< 2", which the data code as 1 ng/L: say so.
        text = (text + _multiple_text(level, features)).where(~(level < LIMIT_OF_DETECTION_NG_L), below)
        if group == t1_name:
            text = text.where(~no_1h, feature_label(group) + " not drawn")
        return text.astype(object)
    if group in LATER_TROPONIN_COLUMNS:  # "troponin 3 h 40 ng/L (rose 31 ng/L from 0 h)"
        later, t0 = features[group].astype("float64"), features[t0_name].astype("float64")
        rise = later - t0
        text = feature_label(group) + " " + _number(later) + " ng/L"
        text = text.where(~(later < LIMIT_OF_DETECTION_NG_L), feature_label(group) + " " + _BELOW_LOD)
        change = pd.Series(
            np.where(rise >= 1, " (rose " + _number(rise) + " ng/L from 0 h)", ""), index=features.index, dtype=object
        )
        change = change.where(~(rise <= -1), " (fell " + _number(-rise) + " ng/L from 0 h)")
        return (text + change).where(later.notna(), feature_label(group) + " not drawn").astype(object)
    if group == "troponin_change":
        t0, t1 = features[t0_name].astype("float64"), features[t1_name].astype("float64")
        change = t1 - t0
        amount = _number(change.abs())
        verb = pd.Series(np.where(change > 0, "rose ", np.where(change < 0, "fell ", "")), index=features.index)
        text = ("troponin " + verb + amount + " ng/L in 1 h").where(
            _number(change.abs()) != "0", "troponin unchanged in 1 h"
        )
        lod = f"< {LIMIT_OF_DETECTION_NG_L:g}"
        low0, low1 = t0 < LIMIT_OF_DETECTION_NG_L, t1 < LIMIT_OF_DETECTION_NG_L
        text = text.where(~(low0 & low1), f"troponin {lod} ng/L at 0 h and 1 h")
        text = text.where(~(low0 & ~low1), "troponin rose from " + lod + " to " + _number(t1) + " ng/L in 1 h")
        text = text.where(~(~low0 & low1), "troponin fell from " + _number(t0) + " to " + lod + " ng/L in 1 h")
        return text.where(~no_1h, "troponin 1 h change not measured (no 1 h sample)").astype(object)
    if group == COURSE_GROUP:
        return _course_text(features)
    return _value_text(features[group], group)


def _course_text(features: pd.DataFrame) -> pd.Series:
    """'troponin course 12, 13, 15 ng/L at 0 h, 1 h, 3 h (highest 0.9x the 99th percentile for women)'."""
    columns = [name for name in (*TROPONIN_COLUMNS, *LATER_TROPONIN_COLUMNS) if name in features.columns]
    values = features[columns].astype("float64")
    numbers = pd.Series("", index=features.index, dtype=object)
    hours = pd.Series("", index=features.index, dtype=object)
    for name in columns:
        drawn = values[name].notna()
        comma = np.where(drawn & (hours != ""), ", ", "")
        value = _number(values[name]).where(values[name] >= LIMIT_OF_DETECTION_NG_L, f"< {LIMIT_OF_DETECTION_NG_L:g}")
        numbers = numbers + np.where(drawn, comma + value.astype(object), "")
        hours = hours + np.where(drawn, comma + feature_label(name).removeprefix("troponin "), "")
    highest = _multiple_text(values.max(axis=1), features).str.replace(" (", " (highest ", n=1, regex=False)
    return ("troponin course " + numbers + " ng/L at " + hours + highest).astype(object)


#: What a patient reads when no input moves their risk on its own (every candidate failed its what-if check).
NO_SINGLE_REASON = "no single input changes this patient's risk on its own"


def reasons_text(
    features: pd.DataFrame,
    column_contributions: np.ndarray,
    columns: list[str],
    allowed: np.ndarray | None = None,
) -> pd.Series:
    """The top three contributions per row, e.g. 'troponin rose 25 ng/L in 1 h raises risk; age 71 years ...'.

    ``allowed`` (rows x inputs, from ``models._confirmed``): only inputs whose own what-if agrees may be shown;
    a row may then have fewer than three reasons, or :data:`NO_SINGLE_REASON`.
    """
    n = len(features)
    if allowed is None:
        allowed = np.abs(column_contributions) > NEUTRAL
    ranked = np.where(allowed, np.abs(column_contributions), -1.0)
    order = np.argsort(-ranked, axis=1, kind="stable")[:, :TOP_REASONS]
    index = features.index
    joined = pd.Series("", index=index, dtype=object)
    for rank in range(min(TOP_REASONS, len(columns))):
        chosen = order[:, rank]
        shown = allowed[np.arange(n), chosen]
        signed = column_contributions[np.arange(n), chosen]
        text = pd.Series("", index=index, dtype=object)
        for j, column in enumerate(columns):
            rows = (chosen == j) & shown
            if rows.any():
                text[rows] = group_text(features.loc[rows], column)
        verb = np.where(signed > 0, " raises risk", " lowers risk")
        part = (text + verb).where(shown, "")
        separator = np.where((joined != "") & shown, "; ", "")
        joined = joined + separator + part
    return joined.where(joined != "", NO_SINGLE_REASON).astype("string")
