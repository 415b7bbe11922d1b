"""Clinician summary: the patient's own account on one page, before the first question is asked.

It shows what the patient wrote on "Tell us in your own words" (same session, same device) and says that the
discharge check is pre-filled from it, each answer marked "patient-reported" until the clinician confirms it.
"""

from __future__ import annotations

import streamlit as st

from chestpain.app._common import page_frame
from chestpain.app._patient import ACCOUNT, downloads, show_document
from chestpain.patient import PatientAccount, catalogue, clinician_summary

page_frame(
    "Clinician summary",
    "For the ED clinician: the patient's own account, read before the first question. The seed's point: "
    "clinicians interrupt after about 11 seconds; here the patient has had their say first.",
)
account: PatientAccount | None = st.session_state.get(ACCOUNT)
if account is None:
    st.info(
        "No patient account in this session yet. Hand the device to the patient on **Tell us in your own words**; "
        "their answers appear here (they are kept in this browser session only)."
    )
    st.stop()

document = clinician_summary(account)
st.success(
    "The **Discharge check** is pre-filled from this account: each answer is marked *patient-reported* and nothing "
    "is scored until you confirm or correct it."
)
downloads(document, "clinician_summary", catalogue("en"), key="summary_download")
show_document(document, skip_title=True)
