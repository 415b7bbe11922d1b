"""Issue 16, items 6 and 8: patient_id kept exactly (never through float), CSV split problems named, echoed
values capped and shown as plain Python values; and the chunked reader agreeing with the whole-file reader."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from chestpain.features import messages as msg
from chestpain.features import read_table, read_visits, validate_visits
from chestpain.features._io import iter_table
from chestpain.kernel.errors import TriageError
from tests.features.helpers import visit_frame

MEANING = "a patient_id (whole number, unique within the file)"
BIG = 2**53 + 1  # the first integer a float64 cannot hold: a float round trip turns it into 2**53


def _csv(tmp_path, frame: pd.DataFrame, name: str = "visits.csv", **kwargs) -> object:
    path = tmp_path / name
    frame.to_csv(path, index=False, **kwargs)
    return path


# ----------------------------------------------------------------------------------------------- identifiers
def test_patient_id_above_2_53_is_kept_exactly_from_csv(tmp_path):
    frame = visit_frame(3)
    frame["patient_id"] = [BIG, 2**63 - 1, -(2**63)]
    out = read_visits(_csv(tmp_path, frame))
    assert out["patient_id"].dtype == np.int64
    assert out["patient_id"].tolist() == [BIG, 2**63 - 1, -(2**63)]


def test_patient_id_that_differs_only_beyond_float_precision_is_not_a_duplicate(tmp_path):
    frame = visit_frame(2)
    frame["patient_id"] = [BIG, BIG + 1]  # equal once rounded to float64
    assert read_visits(_csv(tmp_path, frame))["patient_id"].tolist() == [BIG, BIG + 1]


def test_patient_id_above_int64_is_refused_with_a_clear_message(tmp_path):
    frame = visit_frame(2).astype({"patient_id": object})
    frame.loc[1, "patient_id"] = str(2**63)
    with pytest.raises(TriageError) as caught:
        read_visits(_csv(tmp_path, frame))
    expected = msg.ID_TOO_LARGE.format(row=2, column="patient_id", value=str(2**63))
    assert expected in str(caught.value) and "Traceback" not in str(caught.value)


@pytest.mark.parametrize(
    ("text", "template"),
    [
        ("1.23457E+15", msg.ID_NOT_DIGITS),
        ("1e3", msg.ID_NOT_DIGITS),
        ("4.5", msg.NOT_A_WHOLE_NUMBER),
        ("abc", msg.NOT_A_NUMBER),
    ],
)
def test_patient_id_text_that_is_not_exact_digits_is_refused(tmp_path, text, template):
    frame = visit_frame(2).astype({"patient_id": object})
    frame.loc[0, "patient_id"] = text
    with pytest.raises(
        TriageError, match=re.escape(template.format(row=1, column="patient_id", value=text, meaning=MEANING))
    ):
        read_visits(_csv(tmp_path, frame))


def test_patient_id_written_with_a_trailing_point_zero_is_accepted(tmp_path):
    frame = visit_frame(2).astype({"patient_id": object})
    frame["patient_id"] = ["12.0", " 7 "]
    assert read_visits(_csv(tmp_path, frame))["patient_id"].tolist() == [12, 7]


def test_parquet_ids_integer_kept_float_only_while_exact_unsigned_only_within_int64(tmp_path):
    frame = visit_frame(2)
    frame["patient_id"] = np.array([BIG, 5], dtype=np.int64)
    frame.to_parquet(tmp_path / "int.parquet")
    assert read_visits(tmp_path / "int.parquet")["patient_id"].tolist() == [BIG, 5]

    frame["patient_id"] = np.array([2.0**53 + 2, 5.0])
    frame.to_parquet(tmp_path / "float.parquet")
    with pytest.raises(
        TriageError, match=re.escape(msg.ID_FLOAT_INEXACT.format(row=1, column="patient_id", value="9.0072e+15"))
    ):
        read_visits(tmp_path / "float.parquet")

    frame["patient_id"] = np.array([2**63, 5], dtype=np.uint64)
    frame.to_parquet(tmp_path / "uint.parquet")
    with pytest.raises(TriageError, match="does not fit in a 64-bit integer"):
        read_visits(tmp_path / "uint.parquet")


# ---------------------------------------------------------------------------------------- CSV that does not split
@pytest.mark.parametrize(("sep", "name"), [(";", "semicolons"), ("\t", "tabs"), ("|", "pipes")])
def test_other_delimiter_is_named(tmp_path, sep, name):
    path = _csv(tmp_path, visit_frame(3), sep=sep)
    with pytest.raises(TriageError) as caught:
        read_visits(path)
    text = str(caught.value)
    assert f"the header is separated by {name} ({sep!r}), not commas" in text
    assert "is missing" not in text and "problems" not in text


def test_trailing_comma_on_data_rows_is_named_not_hundreds_of_problems(tmp_path):
    lines = visit_frame(30).to_csv(index=False).splitlines()
    path = tmp_path / "trailing.csv"
    path.write_text("\n".join([lines[0], *(line + "," for line in lines[1:])]) + "\n")
    with pytest.raises(TriageError) as caught:
        read_visits(path)
    text = str(caught.value)
    assert "row 1 has" in text and "ends with an extra comma" in text
    assert "problems" not in text


def test_trailing_comma_on_every_line_is_an_ignored_unnamed_column(tmp_path):
    frame = visit_frame(4)
    lines = frame.to_csv(index=False).splitlines()
    path = tmp_path / "trailing_all.csv"
    path.write_text("\n".join(line + "," for line in lines) + "\n")
    pd.testing.assert_frame_equal(read_visits(path), frame, check_dtype=False)


def test_data_row_split_by_semicolons_is_named(tmp_path):
    frame = visit_frame(3)
    lines = frame.to_csv(index=False).splitlines()
    lines[2] = lines[2].replace(",", ";")
    path = tmp_path / "mixed.csv"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(TriageError, match=re.escape("row 2 has 1 field but the header has")) as caught:
        read_visits(path)
    assert "separated by semicolons" in str(caught.value)


# -------------------------------------------------------------------------------------------- echoed values
def test_a_5_mb_cell_is_not_echoed_whole(tmp_path):
    frame = visit_frame(2).astype({"sex": object})
    frame.loc[0, "sex"] = "x" * 5_000_000
    with pytest.raises(TriageError) as caught:
        read_visits(_csv(tmp_path, frame))
    text = str(caught.value)
    assert len(text) < 400 and "(5,000,000 characters)" in text


def test_a_long_duplicate_column_name_is_capped(tmp_path):
    name = "y" * 10_000
    path = tmp_path / "dup.csv"
    path.write_text(f"patient_id,{name},{name}\n1,2,3\n")
    with pytest.raises(TriageError, match="appears more than once") as caught:
        read_table(path)
    assert len(str(caught.value)) < 250


def test_messages_show_plain_python_values_not_numpy_reprs():
    frame = visit_frame(3)
    frame["age"] = [True, False, True]  # a boolean column where a number belongs (e.g. from parquet)
    frame["ecg"] = pd.Series([np.str_("STEMI"), "normal", "normal"], dtype=object)
    with pytest.raises(TriageError) as caught:
        validate_visits(frame)
    text = str(caught.value)
    assert "row 1, column age: True is not a number" in text
    assert "'STEMI' is not a known category" in text
    assert "np." not in text


def test_echo_cuts_text_and_unwraps_numpy():
    assert msg.echo(np.int64(3)) == 3 and type(msg.echo(np.int64(3))) is int
    assert msg.echo(np.True_) is True
    long = msg.echo("z" * 1000)
    assert len(long) == msg.MAX_ECHO and long.endswith("... (1,000 characters)")
    assert msg.echo("short") == "short"


# ---------------------------------------------------------------------------------------------- chunked reading
@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
@pytest.mark.parametrize(("n", "sizes"), [(103, [10] * 10 + [3]), (100, [10] * 10)])
def test_chunks_add_up_to_the_whole_file(tmp_path, suffix, n, sizes):
    frame = visit_frame(n)
    path = tmp_path / f"v{suffix}"
    frame.to_csv(path, index=False) if suffix == ".csv" else frame.to_parquet(path, index=False)
    chunks = list(iter_table(path, chunk_rows=10))
    assert [len(chunk) for chunk in chunks] == sizes  # no empty chunk after an exact multiple
    pd.testing.assert_frame_equal(pd.concat(chunks, ignore_index=True), read_table(path))


def test_quoted_newline_and_missing_spellings_in_csv(tmp_path):
    path = tmp_path / "q.csv"
    path.write_text('patient_id,note,x\n1,"two\nlines", NA\n2,ok,null\n')
    table = read_table(path)
    assert table["note"].tolist() == ["two\nlines", "ok"]
    assert table["x"].isna().all()


def test_non_utf8_late_in_a_large_file_names_its_line(tmp_path):
    frame = visit_frame(30_000)
    path = tmp_path / "late.csv"
    data = frame.to_csv(index=False).encode()
    cut = data.rfind(b"\n", 0, len(data) - 100)
    path.write_bytes(data[: cut + 1] + b"caf\xe9" + data[cut + 1 :])
    line = data[: cut + 1].count(b"\n") + 1
    with pytest.raises(TriageError, match=re.escape(msg.NOT_UTF8.format(path=path, line=line))):
        read_table(path)


def test_parquet_without_rows_and_arrow_schema(tmp_path):
    path = tmp_path / "none.parquet"
    pq.write_table(pa.table({"patient_id": pa.array([], pa.int64())}), path)
    with pytest.raises(TriageError, match=re.escape(msg.NO_ROWS.format(path=path))):
        read_table(path)
