"""Tell us in your own words: the patient's page, for a phone, in plain language (English or Spanish).

The patient writes their account, answers every symptom of the question prompt list, says when the pain began,
ticks the questions they want to ask and how they want to be told. The answers go to the clinician summary and
pre-fill the discharge check, marked "patient-reported" (app_pages/_patient_prefill.py). Nothing is stored.
"""

from __future__ import annotations

import streamlit as st

from chestpain.app._common import md, show_error
from chestpain.app._patient import ACCOUNT, downloads, language_picker, show_document
from chestpain.features.columns import SYMPTOMS
from chestpain.kernel.errors import TriageError
from chestpain.patient import (
    ANSWERS,
    HEAR_PREFERENCES,
    QUESTIONS,
    PatientAccount,
    account_document,
    more_common_in_women,
)

st.set_page_config(layout="centered")
t = language_picker()
st.title(md(t("account.title")))
st.caption(md(t("privacy")))
st.sidebar.warning(md(t("notice")))

with st.form("patient_account_form", enter_to_submit=False, border=False):
    st.write(md(t("account.intro")))
    story = st.text_area(t("account.story.label"), help=t("account.story.help"), key="pa_story", max_chars=4000)

    st.subheader(md(t("account.symptoms.heading")))
    st.write(md(t("account.symptoms.intro")) + "  \n" + md("★ " + t("account.symptoms.women")))
    symptoms = {}
    for name in SYMPTOMS:
        star = f" ★ {t('account.symptoms.star')}" if more_common_in_women(name) else ""
        symptoms[name] = st.radio(
            t(f"symptom.{name}") + star,
            ANSWERS,
            index=None,
            format_func=lambda answer: t(f"answer.{answer}"),
            horizontal=True,
            key=f"pa_sx_{name}",
        )
    onset = st.number_input(
        t("account.onset.label"),
        value=None,
        min_value=0.0,
        max_value=720.0,
        step=1.0,
        format="%g",
        help=t("account.onset.help"),
        key="pa_onset",
    )

    st.subheader(md(t("account.questions.heading")))
    st.write(md(t("account.questions.intro")))
    questions = tuple(name for name in QUESTIONS if st.checkbox(t(f"question.{name}"), key=f"pa_q_{name}"))
    own_questions = st.text_area(t("account.own_questions.label"), key="pa_own_questions", max_chars=4000)

    st.subheader(md(t("account.prefs.heading")))
    st.write(md(t("account.prefs.hear.label")))
    hear = tuple(name for name in HEAR_PREFERENCES if st.checkbox(t(f"hear.{name}"), key=f"pa_hear_{name}"))
    who = st.text_input(t("account.prefs.who.label"), key="pa_who", max_chars=400)
    matters = st.text_area(
        t("account.prefs.matters.label"), help=t("account.prefs.matters.help"), key="pa_matters", max_chars=4000
    )
    interpreter = st.checkbox(t("account.prefs.interpreter.label"), key="pa_interpreter")
    interpreter_language = st.text_input(t("account.prefs.language.label"), key="pa_interpreter_language")
    if st.form_submit_button(t("account.submit"), type="primary", key="pa_submit", width="stretch"):
        try:
            st.session_state[ACCOUNT] = PatientAccount(
                language=t.lang,
                story=story,
                symptoms=symptoms,
                onset_hours=onset,
                questions=questions,
                own_questions=own_questions,
                hear=hear,
                who_present=who,
                matters_most=matters,
                interpreter=interpreter,
                interpreter_language=interpreter_language,
            )
        except TriageError as error:
            show_error("", error)

account: PatientAccount | None = st.session_state.get(ACCOUNT)
if account is not None:
    st.success(md(t("account.done")))
    st.write(md(t("account.saved_here")))
    document = account_document(account)
    downloads(document, "my_account", t, key="account_download")
    with st.expander(md(document.title)):
        show_document(document, skip_title=True)
