"""Property tests: plausible rows pass (typed or as CSV text); every bad cell is named by row and column."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chestpain.features import validate_visits
from chestpain.features._schemas import visit_spec
from chestpain.kernel.errors import TriageError

SPEC = visit_spec("sx")
COLUMNS = SPEC.columns
SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _good_value(name: str) -> st.SearchStrategy:
    rule = SPEC.rules[name]
    if rule.kind == "category":
        return st.sampled_from(rule.categories)
    if rule.kind == "bool":
        return st.booleans()
    if rule.kind in ("int", "id"):
        return st.integers(int(rule.low or 0), int(rule.high or 10**9))
    low = 1.0 if rule.troponin else rule.low
    return st.floats(low, rule.high, allow_nan=False).map(lambda x: round(x, 3))


@st.composite
def good_frames(draw: st.DrawFn) -> pd.DataFrame:
    n = draw(st.integers(1, 4))
    rows = [{name: draw(_good_value(name)) for name in COLUMNS} for _ in range(n)]
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    frame["patient_id"] = np.arange(1, n + 1)
    return frame


_BOOL_SPELLINGS = {True: ["true", "TRUE", "yes", "Yes", "1"], False: ["false", "False", "no", "NO", "0"]}


@st.composite
def as_csv_text(draw: st.DrawFn, frame: pd.DataFrame) -> pd.DataFrame:
    """The frame as a user might type it: varied boolean spellings, case and surrounding spaces."""
    text = {}
    for name in frame.columns:
        kind = SPEC.rules[name].kind
        cells = []
        for value in frame[name]:
            if kind == "bool":
                cell = draw(st.sampled_from(_BOOL_SPELLINGS[bool(value)]))
            elif kind == "category":
                cell = draw(st.sampled_from([value, value.upper(), value.title()]))
            else:
                cell = repr(value)
            cells.append(draw(st.sampled_from(["", " "])) + cell)
        text[name] = cells
    return pd.DataFrame(text)


@SETTINGS
@given(frame=good_frames())
def test_plausible_rows_pass_unchanged(frame):
    out = validate_visits(frame)
    pd.testing.assert_frame_equal(out, frame, check_dtype=False)


@SETTINGS
@given(data=st.data(), frame=good_frames())
def test_plausible_rows_written_as_text_pass(data, frame):
    out = validate_visits(data.draw(as_csv_text(frame)))
    pd.testing.assert_frame_equal(out, frame, check_dtype=False, check_exact=False)


def _bad_value(name: str) -> st.SearchStrategy:
    rule = SPEC.rules[name]
    if rule.kind == "category":
        return st.text(min_size=1, max_size=6).filter(lambda t: t.strip().lower() not in rule.categories)
    if rule.kind == "bool":
        return st.sampled_from(["maybe", "2", "y", "ja", "unknown"])
    if rule.kind == "id":
        return st.sampled_from(["abc", "1.5", "#1"])
    above = st.floats(rule.high + 1, rule.high * 10 + 10, allow_nan=False)
    below = st.floats(-1000, (rule.low or 0) - 0.5, allow_nan=False) if not rule.troponin else st.floats(0.001, 0.999)
    return st.one_of(above, below, st.just("n/a?"))


@SETTINGS
@given(data=st.data(), frame=good_frames())
def test_one_bad_cell_is_named_by_row_and_column(data, frame):
    name = data.draw(st.sampled_from([c for c in COLUMNS if c != "race"]), label="column")
    row = data.draw(st.integers(0, len(frame) - 1), label="row")
    bad = frame.astype(object)
    bad.loc[row, name] = data.draw(_bad_value(name), label="value")
    try:
        validate_visits(bad)
    except TriageError as error:
        message = str(error)
    else:
        raise AssertionError(f"bad value in row {row + 1}, column {name} was accepted")
    assert f"row {row + 1}, column {name}:" in message
    assert message.startswith("input: 1 problem ")


@SETTINGS
@given(data=st.data(), frame=good_frames())
def test_every_bad_cell_is_counted(data, frame):
    cells = data.draw(
        st.sets(
            st.tuples(st.integers(0, len(frame) - 1), st.sampled_from(["sex", "ecg", "age", "diabetes"])),
            min_size=1,
        )
    )
    bad = frame.astype(object)
    for row, name in cells:
        bad.loc[row, name] = data.draw(_bad_value(name))
    try:
        validate_visits(bad)
    except TriageError as error:
        message = str(error)
    else:
        raise AssertionError("bad cells were accepted")
    n = len(cells)
    assert message.startswith(f"input: {n} problem{'s' if n > 1 else ''} ")
    first = sorted(cells, key=lambda cell: (cell[0], COLUMNS.index(cell[1])))[:10]  # rows, then column order
    for row, name in first:
        assert f"row {row + 1}, column {name}:" in message
