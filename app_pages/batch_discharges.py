"""Batch discharges: upload the day's discharged chest-pain patients and see which ones the model flags, and why.

The page only moves bytes: reading, validation, scoring and the formula-safe CSV come from
``models._batch_review``, which the tests call directly.
"""

from __future__ import annotations

import streamlit as st

from chestpain.app._common import get_model, page_frame, show_error
from chestpain.features.columns import model_visible_columns
from chestpain.kernel.errors import TriageError
from chestpain.models import BatchReview, TriageModel, model_reference, review_upload

page_frame(
    "Batch discharges",
    "For the ED physician or a quality lead: which discharged patients does the model flag as possible MI? "
    "Each flagged row comes with its reasons; the result downloads as CSV.",
)
model = get_model()
if model is None:
    st.stop()


@st.cache_data(max_entries=8, show_spinner="Scoring the batch...")
def _review(reference: str, data: bytes, name: str, _model: TriageModel) -> BatchReview:
    """Score an upload once per (model, file); a rerun of the page reuses it."""
    return review_upload(_model, data, name)


columns = ["patient_id", *model_visible_columns(model.symptom_source)]
with st.expander("Which columns the file needs"):
    st.markdown(
        "One row per visit, a header line, UTF-8. Required: "
        + ", ".join(f"`{c}`" for c in columns if c != "race")
        + ". `race` is optional; other columns are ignored. Troponin in **ng/L**; yes/no columns as true/false, "
        "1/0 or yes/no."
    )
    st.download_button(
        "Template (header only)",
        (",".join(columns) + "\n").encode(),
        file_name="discharges_template.csv",
        mime="text/csv",
        key="template",
    )

upload = st.file_uploader("CSV (or parquet) of discharged patients", type=["csv", "parquet"], key="batch_file")
if upload is None:
    st.info("Upload a file to score it. Nothing leaves this machine.")
    st.stop()

try:
    review = _review(model_reference(), upload.getvalue(), upload.name, _model=model)
except TriageError as error:
    show_error("Nothing was scored: ", error)
    st.stop()

flagged_col, total_col, share_col = st.columns(3)
total_col.metric("Patients scored", f"{review.n:,}", border=True)
flagged_col.metric("Flagged: possible MI", f"{review.n_flagged:,}", border=True)
share_col.metric("Share flagged", f"{review.n_flagged / max(review.n, 1):.1%}", border=True)
if review.n_flagged:
    st.subheader("Flagged patients, highest risk first")
    st.dataframe(
        review.flagged(),
        hide_index=True,
        column_config={
            "risk": st.column_config.NumberColumn("risk", format="percent"),
            "reasons": st.column_config.TextColumn("reasons", width="large"),
        },
    )
else:
    st.success("No patient in this file is flagged by the model.")
stem = upload.name.rsplit(".", 1)[0]
left, right = st.columns(2)
left.download_button(
    "Download all rows (CSV)",
    review.download(),
    file_name=f"{stem}_scored.csv",
    mime="text/csv",
    key="download_all",
)
right.download_button(
    "Download flagged rows (CSV)",
    review.download(flagged_only=True),
    file_name=f"{stem}_flagged.csv",
    mime="text/csv",
    key="download_flagged",
)
