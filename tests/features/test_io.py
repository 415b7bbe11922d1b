"""read_table file-level checks and write_table's atomic, formula-safe output."""

from __future__ import annotations

import re

import pandas as pd
import pyarrow as pa
import pytest

from chestpain.features import messages as msg
from chestpain.features import read_table, read_visits, write_table
from chestpain.kernel.errors import TriageError
from tests.features.helpers import visit_frame


def test_csv_round_trip_reads_text_and_validates(tmp_path):
    frame = visit_frame(5)
    path = tmp_path / "visits.csv"
    frame.to_csv(path, index=False)
    raw = read_table(path)
    assert pd.api.types.is_string_dtype(raw["age"])
    pd.testing.assert_frame_equal(read_visits(path), frame, check_dtype=False)


def test_parquet_round_trip_keeps_types(tmp_path):
    frame = visit_frame(5)
    path = tmp_path / "visits.parquet"
    frame.to_parquet(path, index=False)
    pd.testing.assert_frame_equal(read_visits(path), frame, check_dtype=False)


def test_utf8_bom_and_spaces_in_header_are_tolerated(tmp_path):
    frame = visit_frame(2)
    text = frame.to_csv(index=False).replace("age,", " age ,", 1)
    path = tmp_path / "excel.csv"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    assert read_visits(path)["age"].tolist() == frame["age"].tolist()


@pytest.mark.parametrize(
    ("name", "template"),
    [("absent.csv", msg.FILE_NOT_FOUND), ("folder.csv", msg.NOT_A_FILE)],
)
def test_missing_file_or_folder(tmp_path, name, template):
    (tmp_path / "folder.csv").mkdir()
    path = tmp_path / name
    with pytest.raises(TriageError, match=re.escape(template.format(path=path))):
        read_table(path)


def test_whitespace_only_file_is_empty(tmp_path):
    path = tmp_path / "blank.csv"
    path.write_text("\n \n")
    with pytest.raises(TriageError, match=re.escape(msg.EMPTY_FILE.format(path=path))):
        read_table(path)


def test_non_utf8_reports_the_line(tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes("a,b\n1,2\n3,caf\u00e9\n".encode("latin-1"))
    with pytest.raises(TriageError, match=re.escape(msg.NOT_UTF8.format(path=path, line=3))):
        read_table(path)


def test_parquet_with_zero_rows(tmp_path):
    path = tmp_path / "empty.parquet"
    visit_frame(2).head(0).to_parquet(path)
    with pytest.raises(TriageError, match=re.escape(msg.NO_ROWS.format(path=path))):
        read_table(path)


def test_truncated_parquet(tmp_path):
    path = tmp_path / "cut.parquet"
    visit_frame(50).to_parquet(path)
    data = path.read_bytes()
    path.write_bytes(data[:20] + data[-8:])
    with pytest.raises(TriageError, match=re.escape(f"{path}: not a readable parquet file (")):
        read_table(path)


def test_write_csv_neutralises_formulas(tmp_path):
    path = write_table(pd.DataFrame({"patient_id": [1, 2], "note": ["=HYPERLINK(1)", "ok"]}), tmp_path / "o.csv")
    assert path.read_text().splitlines()[1] == "1,'=HYPERLINK(1)"


def test_write_parquet_and_unsupported_suffix(tmp_path):
    frame = visit_frame(3)
    write_table(frame, tmp_path / "o.parquet")
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "o.parquet"), frame, check_dtype=False)
    with pytest.raises(
        TriageError, match=re.escape(msg.UNSUPPORTED_OUTPUT.format(path=tmp_path / "o.xlsx", suffix=".xlsx"))
    ):
        write_table(frame, tmp_path / "o.xlsx")
    assert not (tmp_path / "o.xlsx").exists()


def test_failed_write_leaves_existing_file_and_no_temporary(tmp_path):
    path = tmp_path / "o.parquet"
    path.write_bytes(b"previous")
    unwritable = pd.DataFrame({"x": [object()]})
    with pytest.raises(pa.ArrowException):
        write_table(unwritable, path)
    assert path.read_bytes() == b"previous"
    assert [p.name for p in tmp_path.iterdir()] == ["o.parquet"]
