"""Reading user tables (CSV or parquet) with file-level checks, and writing outputs safely.

``read_table`` only answers "is this a readable table?": a missing or empty file, an unsupported type,
text that is not UTF-8, a CSV that does not parse or a file that is not parquet becomes a one-line
:class:`~triage.errors.TriageError`. What the columns hold is checked afterwards by ``validate_visits``.
CSV cells are read as text (nothing is guessed), so that validation can report ``'abc' is not a number``
against the row it came from.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterable
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from features import _messages as msg
from features._validation import validate_visits
from triage.errors import TriageError
from triage.io import atomic_output, check_writable_output, neutralise_formulas

TABLE_SUFFIXES = (".csv", ".parquet")
#: Cell texts read as missing in a CSV file (an empty cell is the usual one).
CSV_MISSING = ("", "NA", "N/A", "NaN", "nan", "null", "NULL", "None")
_PARQUET_MAGIC = b"PAR1"


def read_table(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a ``.csv`` (UTF-8, header line, text cells) or ``.parquet`` file into a DataFrame.

    Parameters
    ----------
    path : str or path-like
        The file to read; the suffix decides the format.

    Returns
    -------
    pandas.DataFrame
        Raw columns: strings for CSV (missing cells as NaN), stored types for parquet.

    Raises
    ------
    TriageError
        File missing, a folder, empty, without rows, of another type, not UTF-8, or not parseable.
    """
    path = Path(path)
    if not path.exists():
        raise TriageError(msg.FILE_NOT_FOUND.format(path=path))
    if path.is_dir():
        raise TriageError(msg.NOT_A_FILE.format(path=path))
    suffix = path.suffix.lower()
    if suffix not in TABLE_SUFFIXES:
        raise TriageError(msg.WRONG_FILE_TYPE.format(path=path, suffix=path.suffix))
    data = path.read_bytes()
    if not data.strip():
        raise TriageError(msg.EMPTY_FILE.format(path=path))
    frame = _read_csv(path, data) if suffix == ".csv" else _read_parquet(path, data)
    if frame.empty and len(frame.columns) > 0:
        raise TriageError(msg.NO_ROWS.format(path=path))
    return frame


def _read_csv(path: Path, data: bytes) -> pd.DataFrame:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise TriageError(msg.NOT_UTF8.format(path=path, line=line)) from None
    header = next(csv.reader(io.StringIO(text)), [])
    names = [name.strip() for name in header]
    for name in names:
        if name and names.count(name) > 1:
            raise TriageError(msg.DUPLICATE_COLUMN.format(path=path, column=name))
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            dtype=str,
            keep_default_na=False,
            na_values=list(CSV_MISSING),
            skipinitialspace=True,
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as error:
        reason = " ".join(str(error).split())
        raise TriageError(msg.CSV_UNREADABLE.format(path=path, reason=reason)) from None
    frame.columns = [str(name).strip() for name in frame.columns]
    return frame


def _read_parquet(path: Path, data: bytes) -> pd.DataFrame:
    if not (data.startswith(_PARQUET_MAGIC) and data.endswith(_PARQUET_MAGIC)):
        raise TriageError(msg.NOT_PARQUET.format(path=path, reason="no parquet signature"))
    try:
        table = pq.read_table(pa.BufferReader(data))
    except (pa.ArrowException, OSError) as error:
        raise TriageError(msg.NOT_PARQUET.format(path=path, reason=" ".join(str(error).split()))) from None
    return table.to_pandas()


def read_visits(path: str | os.PathLike[str], *, symptom_source: str = "sx") -> pd.DataFrame:
    """``validate_visits(read_table(path))``, with the file name in every message."""
    return validate_visits(read_table(path), symptom_source=symptom_source, source=Path(path).name)


def check_output_path(
    path: str | os.PathLike[str], *, inputs: Iterable[str | os.PathLike[str]] = (), probe: bool = False
) -> Path:
    """Refuse an output we cannot or must not write, before any work is done.

    Always: a type other than .csv/.parquet, or a folder. With ``inputs``: the same file as an input (after
    following links; the input would be lost). With ``probe=True`` (the command line): a missing or unwritable
    folder (see :func:`triage.io.check_writable_output`).
    """
    path = Path(path)
    if path.suffix.lower() not in TABLE_SUFFIXES:
        raise TriageError(msg.UNSUPPORTED_OUTPUT.format(path=path, suffix=path.suffix))
    if path.is_dir():
        raise TriageError(msg.NOT_A_FILE.format(path=path))
    if probe or inputs:
        check_writable_output(path, inputs)
    return path


def write_table(frame: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write ``frame`` as CSV or parquet by suffix, atomically; CSV text cannot run as a spreadsheet formula.

    The file appears complete or not at all (``triage.io.atomic_output``); an existing file is replaced only
    when the new one is fully written.
    """
    path = check_output_path(path)
    with atomic_output(path) as tmp:
        if path.suffix.lower() == ".csv":
            neutralise_formulas(frame).to_csv(tmp, index=False)
        else:
            frame.to_parquet(tmp, index=False)
    return path
