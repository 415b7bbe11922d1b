"""Reading user tables (CSV or parquet) with file-level checks, and writing outputs safely.

``read_table`` only answers "is this a readable table?": a missing or empty file, an unsupported type,
text that is not UTF-8, a CSV that does not parse or a file that is not parquet becomes a one-line
:class:`~chestpain.kernel.errors.TriageError`. What the columns hold is checked afterwards by ``validate_visits``.
CSV cells are read as text (nothing is guessed), so that validation can report ``'abc' is not a number``
against the row it came from.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from chestpain.features import messages as msg
from chestpain.features._schemas import TableSpec
from chestpain.features._validation import ProblemTally, check_table, complete_table, validate_visits
from chestpain.kernel.errors import TriageError
from chestpain.kernel.io import atomic_output, check_writable_output, neutralise_formulas

TABLE_SUFFIXES = (".csv", ".parquet")
#: Cell texts read as missing in a CSV file (an empty cell is the usual one).
CSV_MISSING = ("", "NA", "N/A", "NaN", "nan", "null", "NULL", "None")
_MISSING_SET = pa.array(CSV_MISSING, pa.string())
_PARQUET_MAGIC = b"PAR1"
#: Rows per chunk when a table is streamed: ~50,000 visits is a few tens of MB as text, whatever the file's size.
CHUNK_ROWS = 50_000
_HEAD_BYTES = 1 << 20
_CSV_BLOCK_BYTES = 4 << 20


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
    chunks = list(iter_table(path))
    return chunks[0] if len(chunks) == 1 else pd.concat(chunks, ignore_index=True)


def iter_table(path: str | os.PathLike[str], chunk_rows: int = CHUNK_ROWS) -> Iterator[pd.DataFrame]:
    """:func:`read_table` in chunks of at most ``chunk_rows`` rows, in file order, in bounded memory.

    CSV is read with pyarrow's streaming reader, parquet one batch at a time; the same file-level checks and
    messages as :func:`read_table` (a problem found late in the file is raised when that part is read).
    """
    path = Path(path)
    if not path.exists():
        raise TriageError(msg.FILE_NOT_FOUND.format(path=path))
    if path.is_dir():
        raise TriageError(msg.NOT_A_FILE.format(path=path))
    suffix = path.suffix.lower()
    if suffix not in TABLE_SUFFIXES:
        raise TriageError(msg.WRONG_FILE_TYPE.format(path=path, suffix=path.suffix))
    with path.open("rb") as file:
        head = file.read(_HEAD_BYTES)
    if not head.strip() and path.stat().st_size <= len(head):
        raise TriageError(msg.EMPTY_FILE.format(path=path))
    chunks = _iter_csv(path, head, chunk_rows) if suffix == ".csv" else _iter_parquet(path, chunk_rows)
    rows = 0
    for chunk in chunks:
        rows += len(chunk)
        yield chunk
    if rows == 0:
        raise TriageError(msg.NO_ROWS.format(path=path))


def _csv_header(path: Path, head: bytes) -> list[str]:
    """Column names from the header line; refuses duplicates and a file split by another delimiter."""
    text = codecs.getincrementaldecoder("utf-8-sig")("strict")
    try:
        decoded = text.decode(head, final=len(head) < _HEAD_BYTES)
    except UnicodeDecodeError:
        raise TriageError(msg.NOT_UTF8.format(path=path, line=_first_bad_utf8_line(path))) from None
    first_line = decoded.split("\n", 1)[0]
    counts = {char: first_line.count(char) for char in msg.DELIMITER_NAMES}
    char = max(counts, key=counts.__getitem__)
    if counts[char] > first_line.count(","):
        raise TriageError(msg.OTHER_DELIMITER.format(path=path, name=msg.DELIMITER_NAMES[char], char=char))
    header = next(csv.reader(io.StringIO(decoded)), [])
    names = [name.strip() for name in header]
    for name in names:
        if name and names.count(name) > 1:
            raise TriageError(msg.DUPLICATE_COLUMN.format(path=path, column=msg.echo(name)))
    # An empty name (a header ending in a comma) gets a placeholder: it is an extra column, ignored like others.
    return [name or f"unnamed: {position + 1}" for position, name in enumerate(names)]


def _iter_csv(path: Path, head: bytes, chunk_rows: int) -> Iterator[pd.DataFrame]:
    names = _csv_header(path, head)
    ragged: list[Any] = []

    def on_invalid_row(row: Any) -> str:
        ragged.append(row)
        return "error"

    # One thread: pyarrow then knows the row number of a row that does not split (None with threads).
    reader_options = pacsv.ReadOptions(column_names=names, skip_rows=1, block_size=_CSV_BLOCK_BYTES, use_threads=False)
    parse_options = pacsv.ParseOptions(newlines_in_values=True, invalid_row_handler=on_invalid_row)
    convert_options = pacsv.ConvertOptions(
        column_types=dict.fromkeys(names, pa.string()), strings_can_be_null=False, quoted_strings_can_be_null=False
    )
    try:
        reader = pacsv.open_csv(path, reader_options, parse_options, convert_options)
        for table in _rebatch(reader, chunk_rows):
            yield _csv_frame(table)
    except pa.ArrowInvalid as error:
        if ragged:
            raise TriageError(msg.CSV_UNREADABLE.format(path=path, reason=_ragged_reason(ragged[0]))) from None
        if "UTF8" in str(error) or "UTF-8" in str(error):
            raise TriageError(msg.NOT_UTF8.format(path=path, line=_first_bad_utf8_line(path))) from None
        reason = msg.echo(" ".join(str(error).split()), limit=160)
        raise TriageError(msg.CSV_UNREADABLE.format(path=path, reason=reason)) from None


def _ragged_reason(row: Any) -> str:
    """Which data row does not split into the header's columns, and the likeliest cause."""
    text = row.text or ""
    got, expected = row.actual_columns, row.expected_columns
    if got == expected + 1 and text.rstrip().endswith(","):
        hint = msg.HINT_TRAILING_COMMA
    elif any(text.count(char) > text.count(",") for char in msg.DELIMITER_NAMES):
        char = max(msg.DELIMITER_NAMES, key=text.count)
        hint = msg.HINT_DELIMITER.format(name=msg.DELIMITER_NAMES[char], char=char)
    else:
        hint = msg.HINT_RAGGED
    row_number = "?" if row.number is None else row.number - 1  # pyarrow counts the header as row 1
    return msg.RAGGED_ROW.format(row=row_number, got=got, s="" if got == 1 else "s", expected=expected) + hint


def _csv_frame(table: pa.Table) -> pd.DataFrame:
    """Text cells as the user typed them, less leading blanks; the usual spellings of "missing" become NaN."""
    columns = []
    for column in table.columns:
        text = pc.utf8_ltrim_whitespace(column)
        columns.append(pc.if_else(pc.is_in(text, value_set=_MISSING_SET), pa.scalar(None, pa.string()), text))
    frame = pa.table(columns, names=table.column_names).to_pandas()
    frame.columns = table.column_names
    return frame


def _rebatch(reader: Iterable[pa.RecordBatch], rows: int) -> Iterator[pa.Table]:
    """Record batches of any size regrouped into tables of ``rows`` rows (the last may be shorter)."""
    pending: list[pa.RecordBatch] = []
    count = 0
    produced = False
    for batch in reader:
        while batch.num_rows:
            take = batch.slice(0, rows - count)
            pending.append(take)
            count += take.num_rows
            batch = batch.slice(take.num_rows)
            if count == rows:
                yield pa.Table.from_batches(pending)
                pending, count, produced = [], 0, True
    if pending or not produced:  # the rest; or one empty table (with the columns) for a file without rows
        yield pa.Table.from_batches(pending, schema=getattr(reader, "schema", None))


def _first_bad_utf8_line(path: Path) -> int:
    """1-based line of the first byte that is not UTF-8, found by decoding the file a block at a time."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")("strict")
    line = 1
    with path.open("rb") as file:
        while block := file.read(_HEAD_BYTES):
            try:
                decoder.decode(block)
            except UnicodeDecodeError as error:
                return line + block[: error.start].count(b"\n")
            line += block.count(b"\n")
    return line


def _iter_parquet(path: Path, chunk_rows: int) -> Iterator[pd.DataFrame]:
    with path.open("rb") as file:
        start = file.read(4)
        file.seek(max(path.stat().st_size - 4, 0))
        end = file.read(4)
    if not (start == _PARQUET_MAGIC and end == _PARQUET_MAGIC):
        raise TriageError(msg.NOT_PARQUET.format(path=path, reason="no parquet signature"))
    try:
        parquet = pq.ParquetFile(path)
        batches = parquet.iter_batches(batch_size=chunk_rows)
        schema = parquet.schema_arrow
        produced = False
        for batch in batches:
            produced = True
            yield pa.Table.from_batches([batch], schema=schema).to_pandas()
        if not produced:
            yield schema.empty_table().to_pandas()
    except (pa.ArrowException, OSError) as error:
        reason = msg.echo(" ".join(str(error).split()), limit=160)
        raise TriageError(msg.NOT_PARQUET.format(path=path, reason=reason)) from None


def validate_file(
    path: str | os.PathLike[str], spec: TableSpec, *, source: str | None = None, chunk_rows: int = CHUNK_ROWS
) -> int:
    """Validate a whole file chunk by chunk, in bounded memory; return its row count or raise every problem.

    The message is the one :func:`features.validate_table` gives for the whole table read at once: the total
    count and the first ``MAX_PROBLEMS`` problems in (row, column) order, rows counted in the file. Only the
    unique columns' values (8 bytes a row) are kept, to find repeats across chunks.
    """
    source = source or Path(path).name
    tally = ProblemTally()
    order = {name: position for position, name in enumerate(spec.rules)}
    seen: dict[str, list[pd.Series]] = {name: [] for name in spec.unique if name in spec.rules}
    first_row = 1
    for chunk in iter_table(path, chunk_rows):
        table, problems = check_table(chunk, spec, first_row=first_row, unique=False)
        tally.add(problems.total, problems.items())
        for name, parts in seen.items():
            parts.append(table[name].reset_index(drop=True))
        first_row += len(chunk)
    for name, parts in seen.items():
        tally.add(*_repeats(pd.concat(parts, ignore_index=True), name, order[name]))
    if tally:
        raise TriageError(tally.summary(source))
    return first_row - 1


def _repeats(values: pd.Series, name: str, order: int) -> tuple[int, list[tuple[int, int, str]]]:
    """Repeated values of a unique column across the whole file: the count and the first few messages."""
    repeated = (values.notna() & values.duplicated(keep="first")).to_numpy()
    if not repeated.any():
        return 0, []
    first = ~values.duplicated(keep="first") & values.notna()
    first_row = pd.Series(np.flatnonzero(first.to_numpy()) + 1, index=values[first].to_numpy())
    items = []
    for position in np.flatnonzero(repeated)[: msg.MAX_PROBLEMS]:
        value = msg.plain(values.iloc[position])
        text = msg.DUPLICATE_ID.format(row=position + 1, column=name, value=value, first=int(first_row[value]))
        items.append((int(position) + 1, order, text))
    return int(repeated.sum()), items


def iter_valid_chunks(
    path: str | os.PathLike[str], spec: TableSpec, *, source: str | None = None, chunk_rows: int = CHUNK_ROWS
) -> Iterator[pd.DataFrame]:
    """The file's chunks coerced to the contract types, for a file that :func:`validate_file` accepted.

    Each chunk is checked again (the types come from that check); a problem now means the file changed since it
    was validated, and is raised with the file's row numbers like any other.
    """
    source = source or Path(path).name
    first_row = 1
    for chunk in iter_table(path, chunk_rows):
        table, problems = check_table(chunk, spec, first_row=first_row, unique=False)
        if problems:
            raise TriageError(problems.summary(source))
        first_row += len(chunk)
        yield complete_table(table, spec, chunk.index)


def read_visits(path: str | os.PathLike[str], *, symptom_source: str = "sx") -> pd.DataFrame:
    """``validate_visits(read_table(path))``, with the file name in every message."""
    return validate_visits(read_table(path), symptom_source=symptom_source, source=Path(path).name)


def check_output_path(
    path: str | os.PathLike[str], *, inputs: Iterable[str | os.PathLike[str]] = (), probe: bool = False
) -> Path:
    """Refuse an output we cannot or must not write, before any work is done.

    Always: a type other than .csv/.parquet, or a folder. With ``inputs``: the same file as an input (after
    following links; the input would be lost). With ``probe=True`` (the command line): a missing or unwritable
    folder (see :func:`chestpain.kernel.io.check_writable_output`).
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

    The file appears complete or not at all (``chestpain.kernel.io.atomic_output``); an existing file is replaced only
    when the new one is fully written.
    """
    path = check_output_path(path)
    with atomic_output(path) as tmp:
        if path.suffix.lower() == ".csv":
            neutralise_formulas(frame).to_csv(tmp, index=False)
        else:
            frame.to_parquet(tmp, index=False)
    return path
