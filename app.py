"""Streamlit entry point of the chest-pain triage app: it only routes; each page is one file in ``app_pages/``.

Run it with ``triage app`` (or ``streamlit run app.py``). The model comes from ``$TRIAGE_MODEL`` (a model directory
or ``models:/NAME@ALIAS``), by default ``models:/chest-pain-triage@champion`` in ``$MLFLOW_TRACKING_URI``.
"""

import streamlit as st

from app_pages._common import warm_up

PAGES = [
    st.Page("app_pages/patient_account.py", title="Tell us in your own words", icon=":material/record_voice_over:"),
    st.Page("app_pages/clinician_summary.py", title="Clinician summary", icon=":material/summarize:"),
    st.Page("app_pages/discharge_check.py", title="Discharge check", icon=":material/stethoscope:", default=True),
    st.Page("app_pages/decision_aid.py", title="Decision aid", icon=":material/diversity_1:"),
    st.Page("app_pages/batch_discharges.py", title="Batch discharges", icon=":material/table_view:"),
    st.Page("app_pages/fairness_audit.py", title="Fairness audit", icon=":material/balance:"),
    st.Page("app_pages/runs.py", title="Runs", icon=":material/experiment:"),
]

st.set_page_config(page_title="Chest-pain triage", page_icon=":material/cardiology:", layout="wide")
try:
    st.navigation(PAGES).run()
finally:
    # After the page has drawn (also when it stopped early): the model and the pages' libraries load in the
    # background, so the first view is not slowed by them and the first answer need not wait for them.
    warm_up()
