"""The Monitoring page: a simulated year with a gap raises the female alarm; a missing or foreign store is explained."""

from __future__ import annotations

from tests.app.helpers import run_page


def _run(at, source, store=None):
    at.radio(key="monitor_source").set_value(source)
    if store is not None:
        at.text_input(key="monitor_store").set_value(str(store))
    at.button(key="run_monitor").click()
    return at.run()


def test_first_view_says_what_to_do_and_runs_nothing():
    at = run_page("monitoring.py")
    assert not at.exception, at.exception
    assert "chestpain monitor --feedback" in at.info[0].value


def test_a_simulated_year_with_a_gap_names_women():
    at = _run(run_page("monitoring.py"), "a simulated year, women's warnings overridden 2x from week 20")
    assert not at.exception, at.exception
    assert at.subheader[0].value.startswith("Alarms: ") and at.subheader[0].value != "Alarms: 0"
    alarms = at.dataframe[0].value["alarm"].tolist()
    assert any("sex=female higher than male" in alarm for alarm in alarms)
    assert all("female" in alarm.split(":")[1] for alarm in alarms)
    headings = [element.value for element in at.subheader]
    assert "Override rate of warning/critical cards" in headings and "30-day MACE after discharge" in headings


def test_a_missing_store_is_an_info_and_a_foreign_file_a_one_line_error(tmp_path):
    at = _run(run_page("monitoring.py"), "the service's feedback store", tmp_path / "absent.sqlite")
    assert not at.exception and "No feedback store at" in at.info[0].value
    foreign = tmp_path / "notes.sqlite"
    foreign.write_text("not a database")
    at = _run(run_page("monitoring.py"), "the service's feedback store", foreign)
    assert not at.exception and "is not a feedback store" in at.error[0].value
