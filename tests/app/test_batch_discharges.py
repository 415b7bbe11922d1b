"""Batch discharges: a good file gives flagged rows with reasons and a safe CSV; a bad file gives the schema's words."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from chestpain.kernel.errors import TriageError
from chestpain.models import FLAG_TEXT, PREDICT_COLUMNS, load_model
from chestpain.models._batch_review import review_upload
from tests.app.helpers import run_page, unescape


@pytest.fixture(scope="module")
def batch(app_cohort) -> pd.DataFrame:
    """Two hundred discharged patients as a hospital would export them (extra columns, CSV text)."""
    return app_cohort[app_cohort["discharged"]].head(200).reset_index(drop=True)


@pytest.fixture(scope="module")
def model(app_model_dir):
    return load_model(app_model_dir)


def _csv(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode()


def test_review_scores_every_row_and_lists_the_flagged_ones_with_reasons(model, batch):
    review = review_upload(model, _csv(batch), "discharges.csv")
    assert review.n == len(batch)
    assert review.scored["patient_id"].tolist() == batch["patient_id"].tolist()
    flagged = review.flagged()
    assert len(flagged) == review.n_flagged > 0
    assert flagged["risk"].is_monotonic_decreasing
    assert (flagged["flag_text"] == FLAG_TEXT).all()
    assert flagged["reasons"].str.contains("risk").all()
    out = pd.read_csv(io.BytesIO(review.download()))
    assert list(out.columns) == [*PREDICT_COLUMNS, "flag_text"]
    assert len(pd.read_csv(io.BytesIO(review.download(flagged_only=True)))) == review.n_flagged


def test_downloaded_csv_cannot_run_a_formula(model, batch):
    evil = batch.head(3).copy()
    evil["patient_id"] = evil["patient_id"].astype(int)
    review = review_upload(model, _csv(evil), "discharges.csv")
    review.scored.loc[0, "reasons"] = '=HYPERLINK("http://x")'  # as if a reason ever started with '='
    text = review.download().decode()
    assert "'=HYPERLINK" in text


def test_bad_rows_are_named_by_row_and_column(model, batch):
    bad = batch.head(5).astype(str)
    bad.loc[1, "troponin_1h_ng_l"] = "0.03"
    bad.loc[3, "age"] = "abc"
    with pytest.raises(TriageError) as error:
        review_upload(model, bad.to_csv(index=False).encode(), "bad.csv")
    text = str(error.value)
    assert text.startswith("bad.csv: 2 problems")
    assert "row 2, column troponin_1h_ng_l: 0.03 looks like ng/mL" in text
    assert "row 4, column age: 'abc' is not a number" in text


def test_a_file_that_is_not_a_table_names_the_upload_not_a_temporary_path(model):
    with pytest.raises(TriageError, match=r"^notes\.txt: unsupported file type '\.txt'"):
        review_upload(model, b"hello", "notes.txt")
    with pytest.raises(TriageError, match=r"^empty\.csv: the file is empty"):
        review_upload(model, b"", "empty.csv")


def test_page_upload_of_a_good_file_shows_flagged_rows_and_downloads(batch):
    at = run_page("batch_discharges.py")
    at.file_uploader(key="batch_file").set_value(("discharges.csv", _csv(batch), "text/csv"))
    at.run()
    assert not at.exception, at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Patients scored"] == "200"
    table = at.dataframe[0].value
    assert {"patient_id", "risk", "reasons", "flag_text"} <= set(table.columns)
    assert {button.label for button in at.get("download_button")} >= {
        "Download all rows (CSV)",
        "Download flagged rows (CSV)",
    }


def test_page_upload_of_a_bad_file_shows_the_schema_messages(batch):
    at = run_page("batch_discharges.py")
    bad = batch.drop(columns=["troponin_0h_ng_l"]).head(10)
    at.file_uploader(key="batch_file").set_value(("bad.csv", _csv(bad), "text/csv"))
    at.run()
    assert not at.exception, at.exception
    assert "column troponin_0h_ng_l is missing" in unescape(at.error[0].value)
    assert not at.metric
