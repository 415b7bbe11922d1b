"""The Streamlit app (top layer): routing in :func:`run`, one file per page beside it.

``chestpain app`` serves ``entry.py`` of this package (also from an installed wheel); in a checkout,
``streamlit run app.py`` runs the same :func:`run`. Pages are given by absolute path, so routing does not depend
on where the entry script sits. The model comes from ``$TRIAGE_MODEL`` (a model directory or
``models:/NAME@ALIAS``), by default ``models:/chest-pain-triage@champion`` in ``$MLFLOW_TRACKING_URI``.
"""

from __future__ import annotations

from pathlib import Path

#: The folder of the page files (``app_pages/`` in a checkout, ``chestpain/app/`` in an installed wheel); it also
#: holds ``entry.py``, the script ``chestpain app`` serves, and the app's ``.streamlit/config.toml``.
PAGES_DIR = Path(__file__).resolve().parent

#: (file, title, icon, default) of each page, in menu order.
PAGE_SPECS = (
    ("patient_account.py", "Tell us in your own words", ":material/record_voice_over:", False),
    ("clinician_summary.py", "Clinician summary", ":material/summarize:", False),
    ("discharge_check.py", "Discharge check", ":material/stethoscope:", True),
    ("decision_aid.py", "Decision aid", ":material/diversity_1:", False),
    ("batch_discharges.py", "Batch discharges", ":material/table_view:", False),
    ("fairness_audit.py", "Fairness audit", ":material/balance:", False),
    ("monitoring.py", "Monitoring", ":material/monitoring:", False),
    ("runs.py", "Runs", ":material/experiment:", False),
)


def run() -> None:
    """Route to the chosen page; afterwards, load the model and the pages' libraries in the background."""
    import streamlit as st

    from chestpain.app._common import warm_up

    pages = [
        st.Page(PAGES_DIR / name, title=title, icon=icon, default=default) for name, title, icon, default in PAGE_SPECS
    ]
    # An emoji page icon: Streamlit's page draws it as an inline SVG, nothing is fetched. A ":material/...:" icon
    # (also each page's own, used when none is set here) made the browser fetch it from fonts.gstatic.com, and
    # nothing may leave the machine (tests/app/test_browser.py checks every page); an image file would make the
    # first view import numpy and PIL (tests/app/test_first_page_imports.py).
    st.set_page_config(page_title="Chest-pain triage", page_icon="\u2764\ufe0f", layout="wide")
    try:
        st.navigation(pages).run()
    finally:
        # After the page has drawn (also when it stopped early): the model and the pages' libraries load in the
        # background, so the first view is not slowed by them and the first answer need not wait for them.
        warm_up()


__all__ = ["PAGES_DIR", "PAGE_SPECS", "run"]
