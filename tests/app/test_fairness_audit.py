"""The audit page: the subgroup table with intervals, small-group warnings, plots and the report downloads."""

from __future__ import annotations

import json

import pandas as pd

from tests.app.helpers import run_page


def _run_audit(at, path, n_boot=20):
    at.text_input(key="audit_path").set_value(str(path))
    at.number_input(key="audit_n_boot").set_value(n_boot)
    return at.button(key="run_audit").click().run()


def test_audit_table_by_group_with_intervals_and_downloads(audit_table):
    at = _run_audit(run_page("fairness_audit.py"), audit_table)
    assert not at.exception, at.exception
    table = at.dataframe[0].value
    assert {"overall", "sex", "race", "age_band", "sex&age_band"} <= set(table["attribute"])
    female = table[(table["attribute"] == "sex") & (table["group"] == "female")].iloc[0]
    assert female["n"] > 0 and female["true MI"] > 0
    assert "(" in female["missed MI (FNR)"]  # value with its interval
    assert {m.label: m.value for m in at.metric}["Rows audited"] == "8,000"
    assert len(at.image) >= 3  # FNR/FPR by group, trade-off by sex, mitigations
    downloads = {button.label for button in at.get("download_button")}
    assert downloads == {"Download metrics.json", "Download report.html"}


def test_small_groups_are_warned_about(audit_table):
    at = _run_audit(run_page("fairness_audit.py"), audit_table)
    table = at.dataframe[0].value
    unreliable = table[table["warning"] != ""]
    assert not unreliable.empty  # 8,000 visits leave some race groups with a handful of MIs
    assert any("Small groups" in w.value for w in at.warning)


def test_metrics_json_follows_the_contract(audit_table, app_model_dir):
    from chestpain.models import load_model
    from chestpain.models._audit import audit_model
    from chestpain.models._audit_view import report_files

    audit = audit_model(load_model(app_model_dir), pd.read_parquet(audit_table), n_boot=20)
    files = report_files(audit, model_name="test")
    metrics = json.loads(files["metrics.json"])
    assert {"label", "threshold", "n", "n_boot", "confidence", "groups", "disparities"} <= set(metrics)
    assert metrics["n_boot"] == 20
    assert files["report.html"].startswith(b"<!DOCTYPE html>")


def test_a_missing_file_is_a_message(tmp_path):
    at = _run_audit(run_page("fairness_audit.py"), tmp_path / "nope.parquet")
    assert not at.exception
    assert "not a file" in at.error[0].value


def test_an_unlabelled_table_is_a_message(app_cohort, tmp_path):
    path = tmp_path / "unlabelled.csv"
    app_cohort.drop(columns=["mi"]).head(500).to_csv(path, index=False)
    at = _run_audit(run_page("fairness_audit.py"), path)
    assert not at.exception
    assert "the label column" in at.error[0].value


def test_the_clinicians_discharges_are_audited_without_a_model(audit_table):
    at = run_page("fairness_audit.py")
    at.radio(key="audit_subject").set_value("the clinicians' discharges (flag = not discharged)")
    at = _run_audit(at, audit_table)
    assert not at.exception, at.exception
    assert any("clinicians' discharges" in t.value for t in at.text)
    flags = at.dataframe[1].value  # FNR comparisons: decision and why for each
    assert {"decision", "why", "smallest ratio detectable (80% power)"} <= set(flags.columns)
    assert (flags["why"] != "").all()
    assert any("Benjamini" in c.value and "Hochberg" in c.value for c in at.caption)


def test_strings_from_the_file_are_escaped(app_cohort, tmp_path):
    # A race value and a file name with Markdown in them: shown as typed, never rendered as a link.
    table = app_cohort.head(3000).assign(
        vendor_flag=lambda t: ~t["discharged"],
        race=lambda t: t["race"].where(t["race"] != "asian", "[click](https://example.org)"),
    )
    path = tmp_path / "**bold**.csv"
    table.to_csv(path, index=False)
    at = run_page("fairness_audit.py")
    at.radio(key="audit_subject").set_value("a table's own score / flag columns (any model)")
    at.text_input(key="audit_flag").set_value("vendor_flag")
    at = _run_audit(at, path)
    assert not at.exception, at.exception
    rendered = " ".join(str(getattr(e, "value", "")) for e in (*at.warning, *at.info, *at.caption, *at.error))
    assert "](https://example.org)" not in rendered.replace("\\]\\(", "")
    assert "[click](https://example.org)" not in rendered
    # A bad flag column: the file name in the error is escaped.
    at.text_input(key="audit_flag").set_value("no_such_column")
    at = at.button(key="run_audit").click().run()
    assert "\\*\\*bold\\*\\*" in at.error[0].value


def test_the_demo_audit_cohort_is_found_in_the_demo_folder_or_a_checkouts_demo(tmp_path):
    from chestpain.models import default_audit_data

    assert default_audit_data(tmp_path) is None
    (tmp_path / "demo").mkdir()
    (tmp_path / "demo" / "audit_cohort.parquet").write_bytes(b"x")
    assert default_audit_data(tmp_path) == tmp_path / "demo" / "audit_cohort.parquet"
    (tmp_path / "audit_cohort.parquet").write_bytes(b"x")  # the app served from the demo folder itself
    assert default_audit_data(tmp_path) == tmp_path / "audit_cohort.parquet"
