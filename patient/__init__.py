"""The patient's side of the visit: their own account, the clinician's summary of it, and a shared decision aid.

Library code only (never imports streamlit): the app's patient pages call it, and so can a test or a notebook.
Patient-facing text comes from one gettext catalogue per language (``locale/``).
"""

from chestpain.features import more_common_in_women  # one definition, shared with the discharge form
from chestpain.patient._account import (
    ANSWERS,
    HEAR_PREFERENCES,
    QUESTIONS,
    PatientAccount,
    prefill_answers,
)
from chestpain.patient._catalogue import LANGUAGES, Catalogue, catalogue, placeholders
from chestpain.patient._decision import (
    NOT_A_VISIT_MODEL,
    ThirtyDayRisk,
    decision_aid,
    icon_count,
    pathway_flags,
    percent_text,
    simulated_thirty_day_table,
    thirty_day_from_table,
    thirty_day_source,
    thirty_day_table,
)
from chestpain.patient._documents import Document, IconArray, Section, icon_svg, to_html
from chestpain.patient._pdf import to_pdf
from chestpain.patient._summary import account_document, clinician_summary

__all__ = [
    "NOT_A_VISIT_MODEL",
    "ANSWERS",
    "HEAR_PREFERENCES",
    "LANGUAGES",
    "QUESTIONS",
    "Catalogue",
    "Document",
    "IconArray",
    "PatientAccount",
    "Section",
    "ThirtyDayRisk",
    "account_document",
    "catalogue",
    "clinician_summary",
    "decision_aid",
    "icon_count",
    "icon_svg",
    "more_common_in_women",
    "pathway_flags",
    "percent_text",
    "placeholders",
    "prefill_answers",
    "simulated_thirty_day_table",
    "thirty_day_from_table",
    "thirty_day_source",
    "thirty_day_table",
    "to_html",
    "to_pdf",
]
