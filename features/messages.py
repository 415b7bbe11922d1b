"""Every user-facing error message of the ``features`` package, in one place.

Messages are ``str.format`` templates so that code and tests share one wording: tests match them with
``pytest.raises(TriageError, match=re.escape(TEMPLATE.format(...)))``. Each message names what is wrong
and how to fix it. Row numbers are 1-based data rows: the header line of a CSV file is not a row, so
``row 1`` is the first line after the header (line 2 of the file).
"""

from __future__ import annotations

from typing import Any

import numpy as np

#: Longest text of a user's cell, column name or parser detail quoted in a message (a 5 MB cell is cut here).
MAX_ECHO = 60

# ----------------------------------------------------------------------------------------------- whole files
FILE_NOT_FOUND = "{path}: file not found"
NOT_A_FILE = "{path}: is a folder, not a file"
WRONG_FILE_TYPE = "{path}: unsupported file type {suffix!r}; use a .csv or .parquet file"
EMPTY_FILE = "{path}: the file is empty; expected a header line and one row per visit"
NO_ROWS = "{path}: the file has column names but no data rows"
NOT_UTF8 = "{path}: line {line} is not UTF-8 text; save the file as CSV UTF-8 and try again"
CSV_UNREADABLE = "{path}: not a readable CSV file ({reason})"
NOT_PARQUET = "{path}: not a readable parquet file ({reason}); if it is CSV text, name it .csv"
DUPLICATE_COLUMN = "{path}: column {column} appears more than once in the header; keep one"
OTHER_DELIMITER = (
    "{path}: the header is separated by {name} ({char!r}), not commas; save the file as comma-separated CSV "
    "(e.g. Excel: CSV UTF-8 (Comma delimited)) or replace the {name}"
)
RAGGED_ROW = "row {row} has {got} field{s} but the header has {expected}"
HINT_TRAILING_COMMA = (
    "; the row ends with an extra comma (an unnamed, empty column): remove the trailing commas, or name that "
    "column in the header"
)
HINT_DELIMITER = "; that row seems separated by {name} ({char!r}), not commas"
HINT_RAGGED = "; quote a value that contains a comma, and keep one comma per column even for an empty cell"

# ---------------------------------------------------------------------------------------------- one table
#: Prefix of every validation error: ``{n}`` problems in ``{source}``, then up to ``MAX_PROBLEMS`` problems.
PROBLEMS_FOUND = "{source}: {n} problem{s} (rows are data rows counted from 1, header excluded): "
PROBLEM_SEPARATOR = " | "
MORE_PROBLEMS = "and {n} more"
MAX_PROBLEMS = 10

MISSING_COLUMN = "column {column} is missing; add it ({meaning})"
MISSING_VALUE = "row {row}, column {column}: value is missing; every row needs {meaning}"
UNKNOWN_CATEGORY = "row {row}, column {column}: {value!r} is not a known category; use {allowed}"
NOT_A_NUMBER = "row {row}, column {column}: {value!r} is not a number; give {meaning}"
NOT_A_WHOLE_NUMBER = "row {row}, column {column}: {value!r} is not a whole number; give {meaning}"
NOT_A_BOOLEAN = "row {row}, column {column}: {value!r} is not true or false; use true/false, 1/0 or yes/no"
OUT_OF_RANGE = (
    "row {row}, column {column}: {value} is outside the plausible range {range}; check the value and its unit"
)
TROPONIN_NG_ML = (
    "row {row}, column {column}: {value} looks like ng/mL, but ng/L is expected; multiply by 1000 "
    "(e.g. 0.034 ng/mL = 34 ng/L)"
)
ID_NOT_DIGITS = (
    "row {row}, column {column}: {value!r} is not written as whole-number digits; give the patient_id exactly "
    "(a spreadsheet's 1.23E+15 has already lost digits: format the column as text or number without exponent)"
)
ID_TOO_LARGE = (
    "row {row}, column {column}: {value!r} does not fit in a 64-bit integer; patient_id must be a whole number "
    "from -9223372036854775808 to 9223372036854775807"
)
ID_FLOAT_INEXACT = (
    "row {row}, column {column}: {value} is stored as a floating-point number above 2^53, so its last digits "
    "may already be lost; store patient_id as a 64-bit integer or as text"
)
NO_SECOND_SAMPLE_COLUMN = (
    "no hs-cTnI column after 0 h; add {columns} (missing where not drawn, but every row needs one of them)"
)
NO_SECOND_SAMPLE = (
    "row {row}, column {column}: no hs-cTnI after 0 h; give the 1 h, 2 h or 3 h sample (each may be blank where not "
    "drawn, but one is needed: a single 0 h value is not a serial troponin)"
)
DUPLICATE_ID = "row {row}, column {column}: {value} repeats row {first}; patient_id must be unique within a file"
INCONSISTENT_MISSED_MI = "row {row}, column missed_mi: must equal mi and discharged and not diagnosed_mi; recompute it"

# ----------------------------------------------------------------------------------------------------- UCI
UCI_BAD_SOURCE = "UCI source {source!r} is neither an existing folder nor an http(s) URL"
UCI_FILE_MISSING = "{source}: {file} not found; the folder must hold processed.<site>.data for sites {sites}"
UCI_MD5_MISMATCH = (
    "{file}: md5 {actual} differs from the published {expected} (SOURCES.md); the file is damaged or a "
    "different version: download it again from {url}"
)
UCI_DOWNLOAD_FAILED = (
    "could not download {url}: {reason}; check the network connection, or pass a local folder "
    "holding the four processed.<site>.data files"
)
UCI_TOO_LARGE = "{url}: more than {limit} bytes; this is not a UCI processed.<site>.data file"

# -------------------------------------------------------------------------------------- features and scores
FORBIDDEN_FEATURE = "column {column} cannot be a model feature: {why}; remove it from the feature list"
UNDECLARED_FEATURE = "column {column} has no declared type; use one of the columns in features.columns"
UNKNOWN_EXCLUDE = "exclude: {column} is not one of the features {features}"
UNSUPPORTED_OUTPUT = "{path}: unsupported output type {suffix!r}; use .csv or .parquet"


#: Delimiters recognised when a CSV file does not split on commas, with their names in messages.
DELIMITER_NAMES = {";": "semicolons", "\t": "tabs", "|": "pipes"}


def plain(value: Any) -> Any:
    """A numpy scalar as the Python value it holds (``np.True_`` -> ``True``, ``np.int64(3)`` -> ``3``)."""
    return value.item() if isinstance(value, np.generic) else value


def echo(value: Any, limit: int = MAX_ECHO) -> Any:
    """A value fit to quote in a message: a plain Python value, text cut to ``limit`` characters.

    Longer text is cut to ``limit`` characters in all, ending in ``... (N characters)`` so the reader knows.
    """
    value = plain(value)
    if isinstance(value, str) and len(value) > limit:
        note = f"... ({len(value):,} characters)"
        return value[: max(limit - len(note), 0)] + note
    return value
