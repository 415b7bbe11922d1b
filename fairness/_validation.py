"""Input checks shared by the audit and the mitigation comparison.

Every check raises :class:`~chestpain.kernel.errors.TriageError` with one of the messages below, so the command line can
print it as one line and tests can match on it.
"""

from __future__ import annotations

from numbers import Integral, Real
from typing import Any

import numpy as np
import pandas as pd

from chestpain.kernel.errors import TriageError

EMPTY_INPUT = "{name} is empty: there are no rows to audit"
NOT_ONE_DIMENSIONAL = "{name} must be one-dimensional, got shape {shape}"
LENGTH_MISMATCH = "{name} has {got} rows but y_true has {expected}"
MISSING_VALUES = "{name} has a missing value at row {row}"
NOT_BINARY = "{name} must be binary (0/1 or true/false); found {values}"
NOT_NUMERIC = "{name} must be numeric, got dtype {dtype}"
RISK_OUT_OF_RANGE = "{name} must lie in [0, 1]; row {row} has {value}"
BAD_N_BOOT = "n_boot must be a positive integer, got {value!r}"
BAD_CONFIDENCE = "confidence must lie strictly between 0 and 1, got {value!r}"
BAD_BAND = "band must be (low, high) with 0 < low <= 1 <= high, got {value!r}"
BAD_MIN_POSITIVES = "min_positives must be a non-negative integer, got {value!r}"
UNKNOWN_SEX = (
    "attribute 'sex' must be female or male in every row; row {row} has {value!r} (recode the column or audit "
    "without sex: another value would silently become a third group)"
)


def _one_dimensional(values: Any, name: str) -> np.ndarray:
    array = np.asarray(values)
    if array.ndim != 1:
        raise TriageError(NOT_ONE_DIMENSIONAL.format(name=name, shape=array.shape))
    if array.size == 0:
        raise TriageError(EMPTY_INPUT.format(name=name))
    return array


def _missing_mask(values: Any, array: np.ndarray) -> np.ndarray:
    if array.dtype.kind == "f":
        return np.isnan(array)
    if array.dtype.kind in "biu":
        return np.zeros(array.shape, dtype=bool)
    # object / string / pandas nullable arrays: pd.isna understands None, NaN and pd.NA alike.
    return np.asarray(pd.isna(values if isinstance(values, pd.Series | pd.Index) else array), dtype=bool)


def check_length(array: np.ndarray, name: str, expected: int) -> None:
    """Raise unless ``array`` has one entry per row of ``y_true``."""
    if len(array) != expected:
        raise TriageError(LENGTH_MISMATCH.format(name=name, got=len(array), expected=expected))


def as_binary(values: Any, name: str, expected: int | None = None) -> np.ndarray:
    """Return ``values`` as a boolean array, or raise if it has missing or non-0/1 entries.

    Labels arrive as bool (cohort parquet), 0/1 ints (UCI) or floats; all mean the same thing, but anything
    else (a 2 from an unmapped UCI severity grade, a string) would silently corrupt every rate.
    """
    array = _one_dimensional(values, name)
    if expected is not None:
        check_length(array, name, expected)
    missing = _missing_mask(values, array)
    if missing.any():
        raise TriageError(MISSING_VALUES.format(name=name, row=int(np.argmax(missing))))
    if array.dtype == bool:
        return array
    if array.dtype.kind in "iuf":
        is_one = array == 1
        bad = ~(is_one | (array == 0))
        if bad.any():
            raise TriageError(NOT_BINARY.format(name=name, values=sorted(set(array[bad].tolist()))[:5]))
        return is_one
    values_set = set(array.tolist())
    if not values_set <= {0, 1}:
        shown = sorted(map(repr, values_set - {0, 1}))[:5]
        raise TriageError(NOT_BINARY.format(name=name, values=", ".join(shown)))
    return np.asarray(array == 1, dtype=bool)


def as_risk(values: Any, name: str = "risk", expected: int | None = None) -> np.ndarray:
    """Return ``values`` as float64 probabilities, or raise on missing or out-of-range entries.

    Risks are cast to float64 here once: float32 scores crash fairlearn's ThresholdOptimizer under pandas 3,
    and sums over a million float32 values lose precision.
    """
    array = _one_dimensional(values, name)
    if expected is not None:
        check_length(array, name, expected)
    if array.dtype.kind not in "iufb":
        missing = _missing_mask(values, array)
        if missing.any():
            raise TriageError(MISSING_VALUES.format(name=name, row=int(np.argmax(missing))))
        raise TriageError(NOT_NUMERIC.format(name=name, dtype=array.dtype))
    risk = array.astype(np.float64)
    missing = np.isnan(risk)
    if missing.any():
        raise TriageError(MISSING_VALUES.format(name=name, row=int(np.argmax(missing))))
    outside = (risk < 0.0) | (risk > 1.0)
    if outside.any():
        row = int(np.argmax(outside))
        raise TriageError(RISK_OUT_OF_RANGE.format(name=name, row=row, value=risk[row]))
    return risk


def check_sex(values: Any, allowed: tuple[str, ...]) -> None:
    """Raise unless every value of the ``sex`` column is one of ``allowed`` (``female``, ``male``).

    The audit compares women with men; ``unknown`` or ``F`` would otherwise form a group of its own, with its
    own comparisons, while every message says a row needs female or male (issue 27).
    """
    text = np.asarray(values).astype(str)
    unknown = ~np.isin(text, allowed)
    if unknown.any():
        row = int(np.argmax(unknown))
        raise TriageError(UNKNOWN_SEX.format(row=row, value=str(text[row])))


def check_n_boot(n_boot: Any) -> int:
    """Return ``n_boot`` as an int, or raise unless it is a positive integer."""
    if isinstance(n_boot, bool) or not isinstance(n_boot, Integral) or n_boot < 1:
        raise TriageError(BAD_N_BOOT.format(value=n_boot))
    return int(n_boot)


def check_confidence(confidence: Any) -> float:
    """Return ``confidence`` as a float, or raise unless it lies in (0, 1)."""
    if isinstance(confidence, bool) or not isinstance(confidence, Real) or not 0.0 < confidence < 1.0:
        raise TriageError(BAD_CONFIDENCE.format(value=confidence))
    return float(confidence)


def check_band(band: Any) -> tuple[float, float]:
    """Return ``band`` as ``(low, high)``, or raise unless ``0 < low <= 1 <= high``."""
    try:
        low, high = (float(edge) for edge in band)
    except (TypeError, ValueError):
        raise TriageError(BAD_BAND.format(value=band)) from None
    if not (0.0 < low <= 1.0 <= high and np.isfinite(high)):
        raise TriageError(BAD_BAND.format(value=band))
    return low, high


def check_min_positives(value: Any) -> int:
    """Return ``min_positives`` as an int, or raise unless it is a non-negative integer."""
    if isinstance(value, bool) or not isinstance(value, Integral) or value < 0:
        raise TriageError(BAD_MIN_POSITIVES.format(value=value))
    return int(value)
