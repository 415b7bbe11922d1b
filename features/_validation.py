"""Coerce an input table to its declared types and validate it, reporting every problem in one message.

Validation runs in two passes over the whole table, never stopping at the first problem:

1. coercion: CSV text becomes numbers, whole numbers, booleans (true/false, 1/0, yes/no, any case) and
   lower-cased categories; a cell that cannot be parsed is blanked and reported;
2. the table's pandera schema (``features._schemas``): missing values, categories, plausible ranges,
   troponin typed in ng/mL, unique ``patient_id`` and table-level rules.

Problems are reported as ``row R, column C: what is wrong; how to fix it`` where R counts data rows from 1 in
input order (the header of a CSV file is not a row), at most ``MAX_PROBLEMS`` of them in one
:class:`~triage.errors.TriageError`. Nothing is returned unless the whole table is valid, so a bad batch can
never produce a partial output.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pandera.pandas as pa

from features import _messages as msg
from features._schemas import (
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
from triage.errors import TriageError

_STRING = pd.StringDtype(na_value=np.nan)
_TRUE_WORDS = ("true", "1", "1.0", "yes")
_FALSE_WORDS = ("false", "0", "0.0", "no")

Problems = dict[tuple[int, int], str]


def validate_visits(frame: pd.DataFrame, *, symptom_source: str = "sx", source: str = "input") -> pd.DataFrame:
    """Validate an ED visit batch (what ``triage predict``, ``triage score`` and the app accept).

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
    """Validate a cohort table (the output of ``triage simulate``) against the DESIGN.md contract.

    Same rules and messages as :func:`validate_visits`, for every cohort column, plus
    ``missed_mi == mi & discharged & ~diagnosed_mi``.
    """
    return validate_table(frame, cohort_spec(), source=source)


def validate_uci(frame: pd.DataFrame, *, source: str = "input") -> pd.DataFrame:
    """Validate a harmonised UCI Heart Disease table (the output of ``triage data uci``)."""
    return validate_table(frame, uci_spec(), source=source)


def validate_table(frame: pd.DataFrame, spec: TableSpec, *, source: str = "input") -> pd.DataFrame:
    """Coerce and validate ``frame`` against ``spec``; see the module docstring for the rules."""
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"expected a pandas DataFrame, got {type(frame).__name__}")
    data = frame.reset_index(drop=True)
    data.columns = [str(name).strip() for name in data.columns]
    problems: Problems = {}
    coerced: dict[str, pd.Series] = {}
    for order, (name, rule) in enumerate(spec.rules.items()):
        if name in data.columns:
            coerced[name] = _coerce(data[name], name, rule, order, problems)
        elif name in spec.optional:
            coerced[name] = pd.Series(pd.NA, index=data.index, dtype=VALIDATION_DTYPES[rule.kind])
        else:
            problems[(0, order)] = msg.MISSING_COLUMN.format(column=name, meaning=rule.meaning)
    table = pd.DataFrame(coerced, index=data.index)
    _check_schema(table, data, spec, problems)
    _check_unique(table, spec, problems)
    if problems:
        raise TriageError(summarise(source, problems))
    for name, rule in spec.rules.items():
        if not rule.nullable:
            table[name] = table[name].astype(COMPLETE_DTYPES[rule.kind])
    table.index = frame.index
    return table


def summarise(source: str, problems: Problems) -> str:
    """One line: how many problems, then the first ``MAX_PROBLEMS`` in (row, column) order."""
    items = [problems[key] for key in sorted(problems)]
    shown = items[: msg.MAX_PROBLEMS]
    if len(items) > msg.MAX_PROBLEMS:
        shown.append(msg.MORE_PROBLEMS.format(n=len(items) - msg.MAX_PROBLEMS))
    head = msg.PROBLEMS_FOUND.format(source=source, n=len(items), s="" if len(items) == 1 else "s")
    return head + msg.PROBLEM_SEPARATOR.join(shown)


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
    for position in np.flatnonzero(bad):
        key = (int(position) + 1, int(fields["order"]))
        if key not in problems:
            problems[key] = template.format(row=key[0], value=raw.iloc[position], **fields)


def _coerce(raw: pd.Series, name: str, rule: Rule, order: int, problems: Problems) -> pd.Series:
    """Convert one column to its validation dtype; cells that cannot be converted are blanked and reported."""
    fields = {"column": name, "meaning": rule.meaning, "order": order}
    if rule.kind == "category":
        text = _text(raw) if not pd.api.types.is_bool_dtype(raw) else raw.astype(_STRING)
        return text.str.lower()
    if rule.kind == "bool":
        return _coerce_bool(raw, fields, problems)
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
    """Run the pandera schema lazily and turn each failure case into a message."""
    schema = schema_for(spec)
    absent = [name for name in schema.columns if name not in table.columns]
    if absent:  # check what is there; table-level rules need every column, so they wait for a complete table
        schema = pa.DataFrameSchema(
            {name: column for name, column in schema.columns.items() if name not in absent}, name=schema.name
        )
    try:
        schema.validate(table, lazy=True)
    except pa.errors.SchemaErrors as error:
        failures = error.failure_cases
    else:
        return
    order = {name: position for position, name in enumerate(spec.rules)}
    for case in failures.itertuples(index=False):
        if case.index is None or pd.isna(case.index) or case.check == "field_uniqueness":
            continue
        position = int(case.index)
        if case.check == "missed_mi_consistent":
            key = (position + 1, order["missed_mi"])
            problems.setdefault(key, msg.INCONSISTENT_MISSED_MI.format(row=key[0]))
            continue
        name = str(case.column)
        rule = spec.rules[name]
        key = (position + 1, order[name])
        if key in problems:
            continue
        problems[key] = _failure_message(case, name, rule, key[0], raw)


def _failure_message(case: object, name: str, rule: Rule, row: int, raw: pd.DataFrame) -> str:
    check = str(case.check)
    if check == "not_nullable":
        return msg.MISSING_VALUE.format(row=row, column=name, meaning=rule.meaning)
    kind = check_names(rule)[int(case.check_number)]
    if kind == "category":
        value = raw[name].iloc[row - 1]
        value = value.strip() if isinstance(value, str) else value
        return msg.UNKNOWN_CATEGORY.format(row=row, column=name, value=value, allowed=allowed_text(rule.categories))
    value = format_number(case.failure_case)
    if kind == "troponin_ng_ml":
        return msg.TROPONIN_NG_ML.format(row=row, column=name, value=value)
    return msg.OUT_OF_RANGE.format(row=row, column=name, value=value, range=_range_text(rule))


def _check_unique(table: pd.DataFrame, spec: TableSpec, problems: Problems) -> None:
    """Report each repeated id once, pointing at the row where it first appeared."""
    order = {name: position for position, name in enumerate(spec.rules)}
    for name in spec.unique:
        if name not in table.columns:
            continue
        values = table[name]
        repeated = values.notna() & values.duplicated(keep="first")
        if not repeated.any():
            continue
        first_row = pd.Series(np.arange(1, len(values) + 1), index=values.index)[~values.duplicated()]
        first_by_value = pd.Series(first_row.to_numpy(), index=values[~values.duplicated()].to_numpy())
        for position in np.flatnonzero(repeated.to_numpy()):
            key = (int(position) + 1, order[name])
            value = values.iloc[position]
            problems.setdefault(
                key,
                msg.DUPLICATE_ID.format(row=key[0], column=name, value=value, first=first_by_value[value]),
            )
