"""Shared decision aid after the discharge check, for the patient, in their language (Chest Pain Choice, Hess 2012).

For a patient that neither the model nor the ESC 0/1 h pathway flags: a 100-person icon array of the risk of MI
now and of death or MI within 30 days, what going home with follow-up and staying for more tests each mean, and
when to come back at once. For a flagged patient: why the doctor recommends staying. The 30-day number is an
approximation from a simulated cohort scored by the same model (patient/_decision.py), shown with its
source, or "not available".
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from chestpain.app._common import get_model, md, show_error
from chestpain.app._patient import downloads, language_picker, show_document
from chestpain.features import risk_text
from chestpain.kernel.errors import TriageError
from chestpain.models import TriageModel, assess, model_reference, visit_row
from chestpain.patient import (
    NOT_A_VISIT_MODEL,
    ThirtyDayRisk,
    decision_aid,
    pathway_flags,
    simulated_thirty_day_table,
    thirty_day_from_table,
    thirty_day_source,
)

ANSWERS = "discharge_answers"  # what app_pages/discharge_check.py stores after "Check discharge"

st.set_page_config(layout="centered")
t = language_picker()
st.title(md(t("aid.title")))
st.caption(md(t("privacy")))
st.sidebar.warning(md(t("notice")))
model = get_model()
if model is None:
    st.stop()
submitted = st.session_state.get(ANSWERS)
if submitted is None:
    st.info(md(t("aid.none")))
    st.stop()


@st.cache_resource(show_spinner="Simulating patients for the 30-day numbers...", max_entries=4)
def _thirty_day_table(reference: str, _model: TriageModel) -> pd.DataFrame:
    """One simulated table per model (about 2 s); patient data never enters it."""
    return simulated_thirty_day_table(_model)


try:
    assessment = assess(model, visit_row(submitted))
except TriageError as error:
    show_error("", error)
    st.stop()
flags = pathway_flags(model_flag=assessment.flag, esc=assessment.esc)
if flags:
    thirty_day = ThirtyDayRisk(None)
elif model.dataset != "cohort":
    thirty_day = ThirtyDayRisk(None, source=NOT_A_VISIT_MODEL)
elif assessment.risk_mace is not None:  # the model's own 30-day answer (issue 25)
    thirty_day = ThirtyDayRisk(
        assessment.risk_mace,
        source="the model's calibrated P(death, MI or urgent revascularisation within 30 days)",
        from_model=True,
    )
else:
    table = _thirty_day_table(model_reference() + str(model.manifest.get("name")), model)
    thirty_day = thirty_day_from_table(table, assessment.risk, source=thirty_day_source())

document = decision_aid(t.lang, risk=assessment.risk, flags=flags, thirty_day=thirty_day)
show_document(document, skip_title=True)
downloads(document, "decision_aid", t, key="aid_download")
with st.sidebar.expander("For the clinician: where the numbers come from"):
    st.markdown(
        md(
            f"Risk of MI: the model's calibrated P(MI) {risk_text(assessment.risk)}; flag {assessment.flag}; "
            f"ESC {assessment.esc_pathway} {assessment.esc}. "
            f"30-day: {thirty_day.source or 'not shown (the patient is flagged)'}"
        )
    )
