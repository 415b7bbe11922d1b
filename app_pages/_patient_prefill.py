"""The discharge check pre-filled from the patient's own account, each answer marked until the clinician confirms.

The discharge check calls three functions: :func:`apply` before the form (puts the patient's answers into the
form's widgets, once, without overwriting anything the clinician has entered), :func:`mark` in each question's
label, and :func:`confirm_box` / :func:`confirmed` at the submit button. Nothing is scored until the clinician
ticks that they have confirmed or corrected every patient-reported answer.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

# Light modules only: the discharge form imports this module before anything heavy has loaded (issue 18).
from chestpain.app._common import ACCOUNT, md
from chestpain.features import PROMPT_LIST, feature_label
from chestpain.features.columns import SYMPTOMS

MARK = "patient-reported"
CONFIRM_KEY = "patient_prefill_confirmed"
CONFIRM_LABEL = "I have asked the patient and confirmed or corrected every answer marked patient-reported"
NOT_CONFIRMED = (
    "Nothing was scored: some answers are marked **patient-reported**. Check each one with the patient, correct "
    "it if needed, then tick the confirmation box."
)


def widget_key(name: str) -> str:
    """The discharge form's widget key of a field (``q_<symptom>`` for symptoms, else the field name)."""
    return f"q_{name}" if name in SYMPTOMS else name


def reported() -> dict[str, Any]:
    """The patient-reported answers of this session's account, under the form's field names."""
    account = st.session_state.get(ACCOUNT)
    if account is None:
        return {}
    # Only with an account, which the patient page made (so chestpain.patient, with fpdf and pandas, is loaded).
    from chestpain.patient import prefill_answers

    return prefill_answers(account)


def apply() -> dict[str, Any]:
    """Put each patient-reported answer into its form widget unless the widget already has a value."""
    answers = reported()
    for name, value in answers.items():
        key = widget_key(name)
        if st.session_state.get(key) is None:
            st.session_state[key] = value
    if answers:
        st.info(
            f"**Pre-filled from the patient's own account** ({len(answers)} answers marked *{MARK}*; see "
            "**Clinician summary**). Ask about each one; correct it if it is wrong, then confirm below."
        )
    return answers


def mark(name: str) -> str:
    """`` · patient-reported`` after the label of a field the patient answered, else nothing."""
    return f" · {MARK}" if name in reported() else ""


def _text(name: str, value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return f"{value:g}" if isinstance(value, float) else str(value)


def confirm_box() -> None:
    """Inside the form, above the submit button: the answers the clinician changed, and the confirmation box."""
    answers = reported()
    if not answers:
        return
    changed = [
        f"{md(PROMPT_LIST.get(name, feature_label(name)))} patient: {_text(name, value)}, now: "
        f"{_text(name, st.session_state.get(widget_key(name)))}"
        for name, value in answers.items()
        if st.session_state.get(widget_key(name)) != value
    ]
    if changed:
        st.caption("Corrected from the patient's account: " + "; ".join(changed))
    st.checkbox(CONFIRM_LABEL, key=CONFIRM_KEY)


def confirmed() -> bool:
    """True when there is nothing patient-reported, or the clinician has ticked the confirmation box."""
    if reported() and not st.session_state.get(CONFIRM_KEY, False):
        st.error(NOT_CONFIRMED)
        return False
    return True
