"""The patient's side in the app: own account -> clinician summary -> discharge check pre-filled -> decision aid."""

from __future__ import annotations

from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from chestpain.app._patient import ACCOUNT
from chestpain.app._patient_prefill import CONFIRM_KEY, MARK
from chestpain.features.columns import SYMPTOMS
from chestpain.models import LOW_RISK_TEXT
from chestpain.models._whatif import NON_SYMPTOM_FIELDS
from tests.app.helpers import APP_FILE, HIGH_RISK, LOW_RISK, TIMEOUT, fill_form, run_page, unescape

#: What the LOW_RISK patient tells the patient page: chest pain yes, nausea "not sure", the rest no or skipped.
PATIENT_SAYS = {"chest_pain": "yes", "radiation": "no", "diaphoresis": "no", "nausea": "unsure", "dyspnea": "no"}

#: The models need the onset column; until the discharge form asks for it (the models-v2 branch adds the field)
#: nothing can be scored there, so the tests that score wait for it instead of failing for another branch's reason.
needs_onset_field = pytest.mark.skipif(
    "symptom_onset_hours" not in NON_SYMPTOM_FIELDS,
    reason="the discharge form has no symptom_onset_hours field yet (models-v2 adds it); the model needs it",
)


def _fill_patient_page(at: AppTest, *, lang: str = "en") -> AppTest:
    at.radio(key="patient_language_picker").set_value(lang).run()
    at.text_area(key="pa_story").set_value("It felt like a weight on my chest\nwhile I carried the shopping.")
    for name, answer in PATIENT_SAYS.items():
        at.radio(key=f"pa_sx_{name}").set_value(answer)
    at.number_input(key="pa_onset").set_value(6.0)
    at.checkbox(key="pa_q_home").check()
    at.text_area(key="pa_own_questions").set_value("Can I fly on Friday?")
    at.checkbox(key="pa_hear_numbers").check()
    at.text_input(key="pa_who").set_value("my wife")
    at.checkbox(key="pa_interpreter").check()
    at.text_input(key="pa_interpreter_language").set_value("Portuguese")
    return at.button(key="pa_submit").click().run()


def _app() -> AppTest:
    at = AppTest.from_file(APP_FILE, default_timeout=TIMEOUT).run()
    return at.switch_page("app_pages/patient_account.py").run()


def _rest_of_form(at: AppTest, answers: dict[str, Any]) -> AppTest:
    """The clinician's part: everything the patient did not pre-fill, then Check discharge."""
    reported = {name for name, answer in PATIENT_SAYS.items() if answer != "unsure"}
    return fill_form(at, {k: v for k, v in answers.items() if k not in reported})


def test_patient_page_collects_an_account_and_offers_both_downloads():
    at = _fill_patient_page(_app())
    assert not at.exception, at.exception
    account = at.session_state[ACCOUNT]
    assert account.answer("nausea") == "unsure" and account.onset_hours == 6.0
    assert account.questions == ("home",) and account.interpreter_language == "Portuguese"
    assert at.success[0].value.startswith("Thank you")
    labels = [button.label for button in at.get("download_button")]
    assert labels == ["Save as a web page", "Save as a PDF"]


def test_the_patient_page_speaks_spanish():
    at = _app()
    at.radio(key="patient_language_picker").set_value("es").run()
    assert unescape(at.title[0].value) == "Cuéntenos con sus propias palabras"
    assert at.radio(key="pa_sx_nausea").label.startswith("Náuseas o vómitos ★")


@needs_onset_field
def test_summary_then_discharge_check_prefilled_marked_and_scored_only_when_confirmed():
    at = _fill_patient_page(_app())
    at.switch_page("app_pages/clinician_summary.py").run()
    assert not at.exception, at.exception
    shown = " ".join(unescape(m.value) for m in at.markdown)
    assert "weight on my chest" in shown and "Interpreter needed: Portuguese" in shown
    assert "Can I fly on Friday?" in shown and "**Nausea or vomiting? (F)**: not sure (ask)" in shown

    at.switch_page("app_pages/discharge_check.py").run()
    assert not at.exception, at.exception
    assert at.radio(key="q_chest_pain").value is True and at.radio(key="q_radiation").value is False
    assert at.radio(key="q_nausea").value is None  # "not sure": the clinician must ask
    marked = {name for name in SYMPTOMS if at.radio(key=f"q_{name}").label.endswith(MARK)}
    assert marked == {"chest_pain", "radiation", "diaphoresis", "dyspnea"}

    at = _rest_of_form(at, LOW_RISK)
    assert not at.exception, at.exception
    assert any("Nothing was scored" in e.value for e in at.error) and not at.metric  # not confirmed yet
    at.checkbox(key=CONFIRM_KEY).check()
    at = at.button(key="check").click().run()
    assert not at.exception, at.exception
    assert at.success[-1].value == f"**{LOW_RISK_TEXT}**" and at.metric

    at.switch_page("app_pages/decision_aid.py").run()
    assert not at.exception, at.exception
    shown = " ".join(unescape(m.value) for m in [*at.subheader, *at.markdown])
    assert "Going home with follow-up" in shown and "Staying for more tests" in shown
    assert "Think of 100 people like you" in shown and "30 days" in shown


def test_a_corrected_answer_is_listed():
    at = _fill_patient_page(_app())
    at.switch_page("app_pages/discharge_check.py").run()
    at.radio(key="q_chest_pain").set_value(False)
    at = _rest_of_form(at, LOW_RISK)
    assert any("Chest pain, pressure or tightness? patient: yes, now: no" in unescape(c.value) for c in at.caption)


@needs_onset_field
def test_decision_aid_for_a_flagged_patient_explains_why_to_stay():
    at = AppTest.from_file(APP_FILE, default_timeout=TIMEOUT).run()
    at = fill_form(at, {**HIGH_RISK, "symptom_onset_hours": 4.0})
    at.switch_page("app_pages/decision_aid.py").run()
    assert not at.exception, at.exception
    headers = [unescape(h.value) for h in at.subheader]
    assert "Why your doctor wants you to stay" in headers and "Going home with follow-up" not in headers


def test_decision_aid_before_any_check_says_so():
    at = run_page("decision_aid.py")
    assert not at.exception and "has not run the check yet" in unescape(at.info[0].value)
