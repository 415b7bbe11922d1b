"""Coerce an input table to its declared types and validate it, reporting every problem in one message.

Validation runs in two passes over the whole table, never stopping at the first problem:

1. coercion: CSV text becomes numbers, whole numbers, booleans (true/false, 1/0, yes/no, any case) and
   lower-cased categories; a cell that cannot be parsed is blanked and reported;
2. the table's pandera schema (``features._schemas``): missing values, categories, plausible ranges,
   troponin typed in ng/mL, unique ``patient_id`` and table-level rules.

Problems are reported as ``row R, column C: what is wrong; how to fix it`` where R counts data rows from 1 in
input order (the header of a CSV file is not a row), at most ``MAX_PROBLEMS`` of them in one
:class:`~chestpain.kernel.errors.TriageError`. Nothing is returned unless the whole table is valid, so a bad batch can
never produce a partial output.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import numpy as np
import pandas as pd
import pandera.pandas as pandera
import pyarrow as pa

from chestpain.features import messages as msg
from chestpain.features._schemas import (
    COMPLETE_DTYPES,
    VALIDATION_DTYPES,
    Rule,
    TableSpec,
    check_names,
    cohort_spec,
    schema_for,
    uci_spec,
    visit_spec,
)
from chestpain.kernel.errors import TriageError

_STRING = pd.StringDtype(na_value=np.nan)
_TRUE_WORDS = ("true", "1", "1.0", "yes")
_FALSE_WORDS = ("false", "0", "0.0", "no")


class Problems:
    """Every problem found so far: a mask of bad cells per column, and messages for the first few of them.

    Counting uses the masks (vectorised, so a batch with a million bad cells is reported as fast as one with a
    handful); only the first ``MAX_PROBLEMS`` bad rows of each column get a message, which is enough to show
    the first ``MAX_PROBLEMS`` of the whole table in (row, column) order. A cell is reported once: the first
    problem found for it wins (a cell that cannot be parsed is not then reported as missing too).
    """

    def __init__(self, n_rows: int, first_row: int = 1) -> None:
        self.n_rows = n_rows
        self.first_row = first_row  # the row number of position 0 (a chunk of a file starts further down)
        self.columns: dict[int, str] = {}
        self.masks: dict[int, np.ndarray] = {}
        self.messages: dict[tuple[int, int], str] = {}

    def __bool__(self) -> bool:
        return bool(self.columns) or any(mask.any() for mask in self.masks.values())

    def row(self, position: int) -> int:
        """The 1-based data row of the file at 0-based ``position`` of this table."""
        return position + self.first_row

    @property
    def total(self) -> int:
        """Problems found: one per bad column, one per bad cell."""
        return len(self.columns) + sum(int(mask.sum()) for mask in self.masks.values())

    def items(self) -> list[tuple[int, int, str]]:
        """``(row, column order, message)`` of the problems with a message, column problems first (row 0)."""
        return [(0, key, self.columns[key]) for key in sorted(self.columns)] + [
            (row, order, self.messages[(row, order)]) for row, order in sorted(self.messages)
        ]

    def column(self, order: int, message: str) -> None:
        """A problem with a whole column (e.g. it is missing)."""
        self.columns.setdefault(order, message)

    def cells(self, order: int, bad: np.ndarray, render: Callable[[int], str]) -> None:
        """Bad cells of column ``order``; ``render(position)`` words the problem at a 0-based position."""
        mask = self.masks.setdefault(order, np.zeros(self.n_rows, dtype=bool))
        new = np.asarray(bad, dtype=bool) & ~mask
        mask |= new
        for position in np.flatnonzero(new)[: msg.MAX_PROBLEMS]:
            self.messages[(self.row(int(position)), order)] = render(int(position))

    def summary(self, source: str) -> str:
        """One line: how many problems, then the first ``MAX_PROBLEMS`` in (row, column) order."""
        return problem_summary(source, self.total, [text for _, _, text in self.items()])


def problem_summary(source: str, total: int, messages: list[str]) -> str:
    """``source: N problems (...): first | second | ... | and K more`` (at most ``MAX_PROBLEMS`` shown)."""
    shown = messages[: msg.MAX_PROBLEMS]
    if total > msg.MAX_PROBLEMS:
        shown.append(msg.MORE_PROBLEMS.format(n=total - msg.MAX_PROBLEMS))
    head = msg.PROBLEMS_FOUND.format(source=source, n=total, s="" if total == 1 else "s")
    return head + msg.PROBLEM_SEPARATOR.join(shown)


class ProblemTally:
    """Problems of a table validated chunk by chunk (``chestpain predict`` streaming a file).

    Keeps the total and the first ``MAX_PROBLEMS`` in (row, column) order, as one :class:`Problems` over the whole
    file would.
    """

    def __init__(self) -> None:
        self.total = 0
        self._items: list[tuple[int, int, str]] = []

    def __bool__(self) -> bool:
        return self.total > 0

    def add(self, total: int, items: list[tuple[int, int, str]]) -> None:
        """Problems of one chunk (or of a check across chunks); rows are rows of the whole file."""
        self.total += total
        # Column problems (row 0) repeat in every chunk: keep each once.
        known = {(row, order) for row, order, _ in self._items if row == 0}
        fresh = [item for item in items if not (item[0] == 0 and (0, item[1]) in known)]
        self.total -= len(items) - len(fresh)
        self._items = sorted(self._items + fresh)[: msg.MAX_PROBLEMS]

    def summary(self, source: str) -> str:
        return problem_summary(source, self.total, [text for _, _, text in self._items])


def validate_visits(frame: pd.DataFrame, *, symptom_source: str = "sx", source: str = "input") -> pd.DataFrame:
    """Validate an ED visit batch (what ``chestpain predict``, ``chestpain score`` and the app accept).

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per visit with ``patient_id`` and the model-visible columns of
        :func:`features.columns.model_visible_columns`; CSV text is accepted for every column. ``race`` may be
        absent or missing. Other columns are ignored.
    symptom_source : {"sx", "doc"}, default="sx"
        Which symptom columns are required: elicited (``sx_*``) or documented in the chart (``doc_*``).
    source : str, default="input"
        Name of the input (e.g. the file name) used at the start of the error message.

    Returns
    -------
    pandas.DataFrame
        ``patient_id`` and the model-visible columns in contract order and types (``int64``, ``bool``,
        ``float64``, strings), same row order and index as ``frame``.

    Raises
    ------
    TriageError
        Listing up to ten problems, each naming the row (1-based data row), the column and the fix.
    """
    return validate_table(frame, visit_spec(symptom_source), source=source)


def validate_cohort(frame: pd.DataFrame, *, source: str = "input") -> pd.DataFrame:
    """Validate a cohort table (the output of ``chestpain simulate``) against the DESIGN.md contract.

    Same rules and messages as :func:`validate_visits`, for every cohort column, plus
    ``missed_mi == mi & discharged & ~diagnosed_mi``.
    """
    return validate_table(frame, cohort_spec(), source=source)


def validate_uci(frame: pd.DataFrame, *, source: str = "input") -> pd.DataFrame:
    """Validate a harmonised UCI Heart Disease table (the output of ``chestpain data uci``)."""
    return validate_table(frame, uci_spec(), source=source)


def validate_table(frame: pd.DataFrame, spec: TableSpec, *, source: str = "input") -> pd.DataFrame:
    """Coerce and validate ``frame`` against ``spec``; see the module docstring for the rules."""
    table, problems = check_table(frame, spec)
    if problems:
        raise TriageError(problems.summary(source))
    return complete_table(table, spec, frame.index)


def complete_table(table: pd.DataFrame, spec: TableSpec, index: pd.Index) -> pd.DataFrame:
    """A checked table without problems in its contract dtypes (non-nullable columns lose their mask)."""
    for name, rule in spec.rules.items():
        if not rule.nullable:
            table[name] = table[name].astype(COMPLETE_DTYPES[rule.kind])
    table.index = index
    return table


def check_table(
    frame: pd.DataFrame, spec: TableSpec, *, first_row: int = 1, unique: bool = True
) -> tuple[pd.DataFrame, Problems]:
    """Coerce ``frame`` and collect its problems without raising.

    ``first_row`` is the file's row number of the frame's first row, so that a chunk of a file reports the
    file's rows; ``unique=False`` leaves uniqueness to the caller (it spans chunks).
    """
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"expected a pandas DataFrame, got {type(frame).__name__}")
    data = frame.reset_index(drop=True)
    data.columns = [str(name).strip() for name in data.columns]
    problems = Problems(len(data), first_row)
    coerced: dict[str, pd.Series] = {}
    for order, (name, rule) in enumerate(spec.rules.items()):
        if name in spec.absent_when_missing:
            present = data[name] if name in data.columns else pd.Series(False, index=data.index)
            coerced[name] = _coerce(present.astype(object).where(present.notna(), False), name, rule, order, problems)
        elif name in data.columns:
            coerced[name] = _coerce(data[name], name, rule, order, problems)
        elif name in spec.optional:
            dtype = VALIDATION_DTYPES[rule.kind]
            missing = np.nan if dtype == "float64" else pd.NA  # a plain float column holds NaN, not pd.NA
            coerced[name] = pd.Series(missing, index=data.index, dtype=dtype)
        else:
            problems.column(order, msg.MISSING_COLUMN.format(column=name, meaning=rule.meaning))
    table = pd.DataFrame(coerced, index=data.index)
    _check_schema(table, data, spec, problems)
    if unique:
        _check_unique(table, spec, problems)
    _check_one_of(table, data.columns, spec, problems)
    return table, problems


def allowed_text(categories: tuple[str, ...]) -> str:
    """``female or male``; ``normal, nonspecific or ischemic``."""
    return categories[0] if len(categories) == 1 else f"{', '.join(categories[:-1])} or {categories[-1]}"


def format_number(value: float) -> str:
    """Numbers as people write them: ``1200``, ``0.5``, ``100000``."""
    value = float(value)
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.6g}"


def _range_text(rule: Rule) -> str:
    low = "-inf" if rule.low is None else format_number(rule.low)
    high = "inf" if rule.high is None else format_number(rule.high)
    return f"{low}-{high} {rule.unit}".rstrip()


def _text(values: pd.Series) -> pd.Series:
    """Stripped text with blank cells as missing."""
    text = values.astype(_STRING).str.strip()
    return text.mask(text == "")


def _report(problems: Problems, bad: np.ndarray, template: str, raw: pd.Series, **fields: object) -> None:
    """Cells that could not be converted, quoting the text the user gave."""
    order = int(fields["order"])
    problems.cells(
        order,
        bad,
        lambda position: template.format(row=problems.row(position), value=msg.echo(raw.iloc[position]), **fields),
    )


def _coerce(raw: pd.Series, name: str, rule: Rule, order: int, problems: Problems) -> pd.Series:
    """Convert one column to its validation dtype; cells that cannot be converted are blanked and reported."""
    fields = {"column": name, "meaning": rule.meaning, "order": order}
    if rule.kind == "category":
        return _text(raw).str.lower()
    if rule.kind == "bool":
        return _coerce_bool(raw, fields, problems)
    if rule.kind == "id":
        return _coerce_id(raw, fields, problems)
    if pd.api.types.is_bool_dtype(raw):
        numbers = pd.Series(np.nan, index=raw.index)
        bad = raw.notna().to_numpy()
    elif pd.api.types.is_numeric_dtype(raw):
        numbers = raw.astype("float64")
        bad = np.zeros(len(raw), dtype=bool)
    else:
        text = _text(raw)
        numbers = pd.to_numeric(text, errors="coerce").astype("float64")
        bad = (text.notna() & numbers.isna()).to_numpy()
    _report(problems, bad, msg.NOT_A_NUMBER, raw, **fields)
    if rule.kind == "float":
        return numbers
    fractional = (numbers.notna() & (numbers % 1 != 0)).to_numpy()
    _report(problems, fractional, msg.NOT_A_WHOLE_NUMBER, raw, **fields)
    return numbers.mask(fractional).astype("Int64")


def _coerce_id(raw: pd.Series, fields: dict[str, object], problems: Problems) -> pd.Series:
    """An identifier kept exactly as a 64-bit integer, never through float (which rounds above 2^53).

    Text must be whole-number digits (a trailing ``.0`` is tolerated); exponents (``1.23E+15``, how spreadsheets
    show long numbers) are refused because their digits are already gone. Integer columns are kept as they are;
    float columns (parquet) only up to 2^53, where every whole number is still exact.
    """
    order = int(fields["order"])
    if pd.api.types.is_bool_dtype(raw):
        _report(problems, raw.notna().to_numpy(), msg.NOT_A_NUMBER, raw, **fields)
        return pd.Series(pd.NA, index=raw.index, dtype="Int64")
    if pd.api.types.is_integer_dtype(raw):
        if pd.api.types.is_unsigned_integer_dtype(raw):
            too_large = (raw.astype("UInt64") > np.iinfo(np.int64).max).fillna(False).to_numpy(bool)
            _report(problems, too_large, msg.ID_TOO_LARGE, raw, **fields)
            return raw.astype("UInt64").mask(too_large).astype("Int64")
        return raw.astype("Int64")
    if pd.api.types.is_float_dtype(raw):
        numbers = raw.astype("float64")
        fractional = (numbers.notna() & (numbers % 1 != 0)).to_numpy()
        _report(problems, fractional, msg.NOT_A_WHOLE_NUMBER, raw, **fields)
        inexact = (numbers.abs() > 2.0**53).fillna(False).to_numpy(bool) & ~fractional
        problems.cells(
            order,
            inexact,
            lambda position: msg.ID_FLOAT_INEXACT.format(
                row=problems.row(position), column=fields["column"], value=format_number(numbers.iloc[position])
            ),
        )
        return numbers.mask(fractional | inexact).astype("Int64")
    text = _text(raw)
    digits = text.str.replace(r"\.0*$", "", regex=True)
    plain_digits = digits.str.fullmatch(r"[+-]?\d+").fillna(False).to_numpy(bool)
    numbers = pd.to_numeric(text.mask(plain_digits), errors="coerce")
    given = text.notna().to_numpy()
    not_number = given & ~plain_digits & numbers.isna().to_numpy()
    fractional = given & ~plain_digits & (numbers.notna() & (numbers % 1 != 0)).to_numpy()
    _report(problems, not_number, msg.NOT_A_NUMBER, raw, **fields)
    _report(problems, fractional, msg.NOT_A_WHOLE_NUMBER, raw, **fields)
    _report(problems, given & ~plain_digits & ~not_number & ~fractional, msg.ID_NOT_DIGITS, raw, **fields)
    # Range by the digits themselves (19 digits and above are compared as text): no float ever sees the value.
    magnitude = digits.where(plain_digits).str.lstrip("+-").str.lstrip("0")
    negative = digits.str.startswith("-").fillna(False).to_numpy(bool)
    width = magnitude.str.len().fillna(0).to_numpy(int)
    limit = np.where(negative, str(2**63), str(2**63 - 1))
    too_large = plain_digits & ((width > 19) | ((width == 19) & (magnitude.fillna("").to_numpy(str) > limit)))
    _report(problems, too_large, msg.ID_TOO_LARGE, raw, **fields)
    ok = plain_digits & ~too_large
    values = pa.array(digits.where(ok).to_numpy(dtype=object, na_value=None), type=pa.string()).cast(pa.int64())
    exact = pd.arrays.IntegerArray(values.fill_null(0).to_numpy(), values.is_null().to_numpy(zero_copy_only=False))
    return pd.Series(exact, index=raw.index)


def _coerce_bool(raw: pd.Series, fields: dict[str, object], problems: Problems) -> pd.Series:
    if pd.api.types.is_bool_dtype(raw):
        return raw.astype("boolean")
    if pd.api.types.is_numeric_dtype(raw):
        is_true, is_false = (raw == 1).to_numpy(bool), (raw == 0).to_numpy(bool)
    else:
        text = _text(raw).str.lower()
        is_true = text.isin(_TRUE_WORDS).to_numpy(bool)
        is_false = text.isin(_FALSE_WORDS).to_numpy(bool)
    known = is_true | is_false
    _report(problems, ~known & raw.notna().to_numpy(), msg.NOT_A_BOOLEAN, raw, **fields)
    return pd.Series(pd.arrays.BooleanArray(is_true, ~known), index=raw.index)


def _check_schema(table: pd.DataFrame, raw: pd.DataFrame, spec: TableSpec, problems: Problems) -> None:
    """Run the pandera schema lazily and turn its failure cases into messages, one group of cases at a time."""
    schema = schema_for(spec)
    absent = [name for name in schema.columns if name not in table.columns]
    if absent:  # check what is there; table-level rules need every column, so they wait for a complete table
        schema = pandera.DataFrameSchema(
            {name: column for name, column in schema.columns.items() if name not in absent}, name=schema.name
        )
    try:
        schema.validate(table, lazy=True)
    except pandera.errors.SchemaErrors as error:
        failures = error.failure_cases
    else:
        return
    failures = failures[failures["index"].notna() & (failures["check"] != "field_uniqueness")]
    order = {name: position for position, name in enumerate(spec.rules)}
    for (column, check), group in failures.groupby(["column", "check"], dropna=False, sort=False):
        positions = group["index"].astype(np.int64).to_numpy()
        bad = np.zeros(len(table), dtype=bool)
        bad[positions] = True
        if check == "missed_mi_consistent":
            problems.cells(
                order["missed_mi"], bad, lambda position: msg.INCONSISTENT_MISSED_MI.format(row=problems.row(position))
            )
            continue
        name = str(column)
        rule = spec.rules[name]
        number = group["check_number"].iloc[0]
        kind = "missing" if check == "not_nullable" else check_names(rule)[int(number)]
        cases = pd.Series(group["failure_case"].to_numpy(), index=positions)
        problems.cells(
            order[name], bad, partial(_failure_message, kind, name, rule, raw[name], cases, problems.first_row)
        )


def _failure_message(
    kind: str, name: str, rule: Rule, raw: pd.Series, cases: pd.Series, first_row: int, position: int
) -> str:
    row = position + first_row
    if kind == "missing":
        return msg.MISSING_VALUE.format(row=row, column=name, meaning=rule.meaning)
    if kind == "category":
        value = msg.plain(raw.iloc[position])
        value = msg.echo(value.strip() if isinstance(value, str) else value)
        return msg.UNKNOWN_CATEGORY.format(row=row, column=name, value=value, allowed=allowed_text(rule.categories))
    value = format_number(cases.loc[position])
    if kind == "troponin_ng_ml":
        return msg.TROPONIN_NG_ML.format(row=row, column=name, value=value)
    return msg.OUT_OF_RANGE.format(row=row, column=name, value=value, range=_range_text(rule))


def _check_one_of(table: pd.DataFrame, given: pd.Index, spec: TableSpec, problems: Problems) -> None:
    """Report each row with none of ``spec.one_of`` (a blank that was already reported as bad is not repeated).

    An input without any of those columns gets one column problem instead of one per row.
    """
    if not spec.one_of or not set(spec.one_of) <= set(table.columns):
        return
    order = {name: position for position, name in enumerate(spec.rules)}
    if not set(spec.one_of) & set(given):
        problems.column(order[spec.one_of[0]], msg.NO_SECOND_SAMPLE_COLUMN.format(columns=allowed_text(spec.one_of)))
        return
    none = table[list(spec.one_of)].isna().all(axis=1).to_numpy().copy()
    for name in spec.one_of:  # a row whose value in one of them was unreadable already has its problem
        none &= ~problems.masks.get(order[name], np.zeros(len(table), dtype=bool))
    first = spec.one_of[0]
    problems.cells(
        order[first], none, lambda position: msg.NO_SECOND_SAMPLE.format(row=problems.row(position), column=first)
    )


def _check_unique(table: pd.DataFrame, spec: TableSpec, problems: Problems) -> None:
    """Report each repeated id, pointing at the row where it first appeared."""
    order = {name: position for position, name in enumerate(spec.rules)}
    for name in spec.unique:
        if name not in table.columns:
            continue
        values = table[name]
        repeated = (values.notna() & values.duplicated(keep="first")).to_numpy()
        if not repeated.any():
            continue
        first = ~values.duplicated(keep="first")
        first_row = pd.Series(np.flatnonzero(first.to_numpy()) + problems.first_row, index=values[first].to_numpy())

        def render(
            position: int, name: str = name, values: pd.Series = values, first_row: pd.Series = first_row
        ) -> str:
            value = msg.plain(values.iloc[position])
            return msg.DUPLICATE_ID.format(
                row=problems.row(position), column=name, value=value, first=msg.plain(first_row[value])
            )

        problems.cells(order[name], repeated, render)
