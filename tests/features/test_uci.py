"""UCI Heart Disease loader: counts, harmonisation, missing values, md5 checks, loading over http."""

from __future__ import annotations

import http.server
import re
import shutil
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path

import pandas as pd
import pytest

from chestpain.features import UCI_MAPPING, UCI_MD5, load_uci, uci_mapping_markdown
from chestpain.features import messages as msg
from chestpain.features._uci import UCI_URL, default_uci_source
from chestpain.kernel.errors import TriageError

SITES = ("cleveland", "hungarian", "switzerland", "va")


@pytest.fixture(scope="module")
def uci(uci_dir) -> pd.DataFrame:
    return load_uci(uci_dir)


def test_rows_per_site(uci):
    assert uci.groupby("site").size().to_dict() == {"cleveland": 303, "hungarian": 294, "switzerland": 123, "va": 200}
    assert uci["patient_id"].tolist() == list(range(1, 921))


def test_women_per_site(uci):
    women = uci[uci["sex"] == "female"].groupby("site").size().to_dict()
    assert women == {"cleveland": 97, "hungarian": 81, "switzerland": 10, "va": 6}
    assert set(uci["sex"]) == {"female", "male"}


def test_placeholders_and_question_marks_become_missing(uci):
    missing = uci.groupby("site")[["cholesterol_mg_dl", "systolic_bp", "fluoroscopy_vessels", "thallium"]].agg(
        lambda column: int(column.isna().sum())
    )
    # chol: '?' in 23 Hungarian and 7 VA rows, the 0 placeholder in all 123 Swiss and 49 VA rows.
    assert missing["cholesterol_mg_dl"].to_dict() == {"cleveland": 0, "hungarian": 23, "switzerland": 123, "va": 56}
    # trestbps: '?' (1 Hungarian, 2 Swiss, 56 VA) and one VA row recorded as 0 mmHg.
    assert missing["systolic_bp"].to_dict() == {"cleveland": 0, "hungarian": 1, "switzerland": 2, "va": 57}
    assert missing["fluoroscopy_vessels"].to_dict() == {"cleveland": 4, "hungarian": 291, "switzerland": 118, "va": 198}
    assert missing["thallium"].to_dict() == {"cleveland": 2, "hungarian": 266, "switzerland": 52, "va": 166}
    assert uci["cholesterol_mg_dl"].dropna().gt(0).all()
    assert uci["systolic_bp"].dropna().min() >= 50


def test_label_is_cad_not_mi(uci):
    assert "cad" in uci.columns
    assert not {"mi", "diagnosed_mi", "num"} & set(uci.columns)
    assert uci.groupby("site")["cad"].sum().to_dict() == {
        "cleveland": 139,
        "hungarian": 106,
        "switzerland": 115,
        "va": 149,
    }


def test_harmonised_values_of_the_first_cleveland_row(uci):
    # 63.0,1.0,1.0,145.0,233.0,1.0,2.0,150.0,0.0,2.3,3.0,0.0,6.0,0
    first = uci.iloc[0]
    assert (first["site"], first["site_row"], first["age"], first["sex"]) == ("cleveland", 1, 63, "male")
    assert (first["chest_pain_type"], first["sx_chest_pain"]) == ("typical_angina", True)
    assert (first["systolic_bp"], first["cholesterol_mg_dl"], first["ecg"]) == (145.0, 233.0, "nonspecific")
    assert (first["max_heart_rate_exercise"], first["sx_exertional"], first["thallium"]) == (
        150.0,
        False,
        "fixed_defect",
    )
    assert not first["cad"]
    assert "heart_rate" not in uci.columns  # thalach is exercise heart rate, not triage heart rate


def test_mapping_table_documents_every_column(uci):
    assert [column for column, _, _ in UCI_MAPPING] == list(uci.columns)
    table = uci_mapping_markdown()
    assert table.count("\n") == len(UCI_MAPPING) + 1 and "NOT myocardial infarction" in table


def test_md5_constants_match_sources_md(uci_dir):
    published = dict(re.findall(r"([0-9a-f]{32})\s+processed\.(\w+)\.data", (uci_dir / "SOURCES.md").read_text()))
    assert {site: md5 for md5, site in published.items()} == dict(UCI_MD5)


def test_default_source_is_the_shared_folder(uci_dir):
    assert Path(default_uci_source()) == uci_dir


def _copy(uci_dir: Path, target: Path) -> Path:
    target.mkdir()
    for site in SITES:
        shutil.copy(uci_dir / f"processed.{site}.data", target / f"processed.{site}.data")
    return target


def test_md5_mismatch_is_refused(uci_dir, tmp_path):
    folder = _copy(uci_dir, tmp_path / "uci")
    path = folder / "processed.va.data"
    path.chmod(0o644)
    path.write_bytes(path.read_bytes().replace(b"63,1,4,140", b"64,1,4,140", 1))
    expected = (
        re.escape("processed.va.data: md5 ")
        + r"[0-9a-f]{32}"
        + re.escape(f" differs from the published {UCI_MD5['va']} (SOURCES.md)")
    )
    with pytest.raises(TriageError, match=expected):
        load_uci(folder)


def test_missing_site_file_and_bad_source(uci_dir, tmp_path):
    folder = _copy(uci_dir, tmp_path / "uci")
    (folder / "processed.hungarian.data").unlink()
    with pytest.raises(TriageError, match=re.escape("processed.hungarian.data not found")):
        load_uci(folder)
    with pytest.raises(TriageError, match=re.escape(msg.UCI_BAD_SOURCE.format(source="ftp://example.org/"))):
        load_uci("ftp://example.org/")


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (signature of the base class)
        pass


class _SlowHandler(_QuietHandler):
    """Never answers: waits until the test releases it, then closes the connection."""

    release = threading.Event()

    def do_GET(self) -> None:  # noqa: N802 (name fixed by http.server)
        self.release.wait(timeout=10)


@contextmanager
def _serve(folder: Path, handler: type = _QuietHandler) -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), partial(handler, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_load_by_url_from_a_local_http_server(uci_dir, uci):
    with _serve(uci_dir) as url:
        table = load_uci(url, timeout=5)
    pd.testing.assert_frame_equal(table, uci)


def test_http_error_is_reported(tmp_path):
    with _serve(tmp_path) as url, pytest.raises(TriageError, match=re.escape("HTTP 404")) as caught:
        load_uci(url, timeout=5)
    assert f"could not download {url}processed.cleveland.data" in str(caught.value)


def test_unreachable_url_is_a_clear_error():
    with socket.socket() as probe:  # a port that nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/heart-disease/"
    with pytest.raises(TriageError, match=re.escape(f"could not download {url}processed.cleveland.data: ")) as caught:
        load_uci(url, timeout=2)
    assert "check the network connection" in str(caught.value)


def test_slow_server_times_out(uci_dir):
    try:
        with (
            _serve(uci_dir, _SlowHandler) as url,
            pytest.raises(TriageError, match=re.escape("no answer within 0.2 s")),
        ):
            load_uci(url, timeout=0.2)
    finally:
        _SlowHandler.release.set()


def test_canonical_url_is_the_uci_archive():
    assert UCI_URL == "https://archive.ics.uci.edu/ml/machine-learning-databases/heart-disease/"
