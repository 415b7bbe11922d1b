"""``write_report``: metrics.json, a self-contained report.html and the PNG plots, written all or nothing."""

from __future__ import annotations

import html
import json
import re

import numpy as np
import pandas as pd
import pytest

import chestpain.fairness._report as report_module
from chestpain.fairness import (
    DISCLAIMER,
    UCI_LABEL_NOTE,
    audit_predictions,
    compare_mitigations,
    write_report,
)
from chestpain.kernel.errors import TriageError

PLOTS = {"fnr_fpr_by_group.png", "calibration_by_sex.png", "threshold_tradeoff_by_sex.png", "mitigation.png"}


@pytest.fixture(scope="module")
def audit(predictions):
    y, risk, _, attributes = predictions(4000, seed=61)
    half = len(y) // 2
    result = audit_predictions(
        y[half:], risk[half:], attributes=attributes.iloc[half:], threshold=0.05, n_boot=100, seed=1
    )
    comparison = compare_mitigations(
        y[:half],
        risk[:half],
        y[half:],
        risk[half:],
        sensitive_features_cal=attributes["sex"].iloc[:half],
        sensitive_features_test=attributes["sex"].iloc[half:],
        missed_mi_cost=30,
        n_boot=100,
    )
    return result, comparison


def test_writes_every_output(audit, tmp_path):
    result, comparison = audit
    out = write_report(result, tmp_path / "report", mitigations=comparison)
    assert {path.name for path in out.iterdir()} == {"metrics.json", "report.html", *PLOTS}
    for name in PLOTS:
        assert (out / name).read_bytes().startswith(b"\x89PNG")
    document = json.loads((out / "metrics.json").read_text())
    assert document["groups"] == result.to_dict()["groups"]
    assert [option["name"] for option in document["mitigation"]["options"]] == [
        "global",
        "per_group_sensitivity",
        "threshold_optimizer",
        "cost_global",
        "cost_per_group",
    ]
    assert list(tmp_path.iterdir()) == [out]  # no temporary directory left behind


def test_html_is_self_contained(audit, tmp_path):
    result, comparison = audit
    page = (write_report(result, tmp_path / "r", mitigations=comparison) / "report.html").read_text()
    assert "href=" not in page
    sources = re.findall(r'src="([^"]*)"', page)
    assert len(sources) == len(PLOTS)
    assert all(source.startswith("data:image/png;base64,") for source in sources)
    text = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", page)
    assert not re.search(r"https?:|//|<script|<link|<iframe|@import|url\(", text)
    assert html.escape(DISCLAIMER) in page
    assert "research" in page.lower() and "not a medical device" in page


def test_uci_report_states_the_label_is_not_mi(tmp_path):
    rng = np.random.default_rng(62)
    n = 600
    frame = pd.DataFrame({"site": rng.choice(["cleveland", "va"], n), "sex": rng.choice(["female", "male"], n)})
    cad = rng.random(n) < 0.5
    risk = np.clip(0.5 + 0.3 * (cad - 0.5) + 0.2 * rng.standard_normal(n), 0, 1)
    result = audit_predictions(
        cad, risk, attributes=frame, by=("site", "sex"), label_name="cad", threshold=0.5, n_boot=50
    )
    page = (write_report(result, tmp_path / "uci") / "report.html").read_text()
    assert html.escape(UCI_LABEL_NOTE) in page
    assert "It is not myocardial infarction" in UCI_LABEL_NOTE


def test_failure_leaves_previous_report_untouched(audit, tmp_path, monkeypatch):
    result, _ = audit
    out = write_report(result, tmp_path / "report")
    before = {path.name: path.read_bytes() for path in out.iterdir()}

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(report_module, "render_html", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        write_report(result, out)
    assert {path.name: path.read_bytes() for path in out.iterdir()} == before
    assert list(tmp_path.iterdir()) == [out]
    with pytest.raises(RuntimeError):
        write_report(result, tmp_path / "new")
    assert not (tmp_path / "new").exists()


def test_refuses_to_replace_a_directory_with_other_files(audit, tmp_path):
    result, _ = audit
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(TriageError, match="not audit outputs"):
        write_report(result, tmp_path)
    assert (tmp_path / "notes.txt").read_text() == "mine"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["notes.txt"]


def test_same_inputs_same_bytes(audit, tmp_path):
    result, comparison = audit
    first = write_report(result, tmp_path / "a", mitigations=comparison)
    second = write_report(result, tmp_path / "b", mitigations=comparison)
    for path in first.iterdir():
        assert path.read_bytes() == (second / path.name).read_bytes(), path.name
