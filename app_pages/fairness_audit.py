"""Fairness audit: a model's missed-MI rate and false alarms by sex, race, age band and their intersections.

The audit is the library's (``models._audit.audit_model``); the report files are written by the same writer as
``triage audit``, so the downloads here are what the command line produces. Results are cached per model,
data file, label and bootstrap size, so moving around the page does not recompute them.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import streamlit as st

from app_pages._common import get_model, page_frame
from fairness import default_label_note
from features import read_table
from features._upload import read_table_bytes
from models import TriageModel
from models._audit import ModelAudit, audit_model
from models._audit_view import default_audit_data, flagged_disparities, group_table, report_files, small_groups
from models._registry import model_reference
from triage.errors import TriageError

LABELS = {"default (mi; cad for UCI models)": None, "mi": "mi", "diagnosed_mi": "diagnosed_mi", "cad": "cad"}
REQUEST = "audit_request"

page_frame(
    "Fairness audit",
    "For the fairness auditor: missed MI (FNR) first, then false alarms, by group with bootstrap confidence "
    "intervals, the threshold trade-off by sex and what each mitigation costs.",
)


@st.cache_data(max_entries=4, show_spinner="Auditing: scoring every row and bootstrapping the intervals...")
def _audit(
    reference: str, data_key: str, label: str | None, n_boot: int, _model: TriageModel, _data: bytes | str
) -> tuple[ModelAudit, dict[str, bytes]]:
    """Audit once per (model, data, label, n_boot); ``data_key`` identifies the file's content."""
    if isinstance(_data, bytes):
        name = data_key.split(":", 1)[1]
        frame, source = read_table_bytes(_data, name), name
    else:
        frame, source = read_table(_data), Path(_data).name
    audit = audit_model(_model, frame, label=label, n_boot=n_boot, source=source)
    return audit, report_files(audit, model_name=_model.manifest.get("name", reference))


with st.form("audit_setup", enter_to_submit=False):
    reference = st.text_input("Model (registry alias or directory)", value=model_reference(), key="audit_model").strip()
    source = st.radio("Data", ["a file on this machine", "an upload"], horizontal=True, key="audit_source")
    default = default_audit_data()
    path_text = st.text_input(
        "Labelled table (.parquet or .csv) with the true outcome",
        value=str(default) if default else "",
        placeholder="e.g. demo/audit_cohort.parquet (written by make demo)",
        key="audit_path",
    )
    upload = st.file_uploader("or upload it", type=["parquet", "csv"], key="audit_upload")
    left, right = st.columns(2)
    label_name = left.selectbox("Label", list(LABELS), key="audit_label")
    n_boot = right.number_input(
        "Bootstrap resamples",
        min_value=10,
        max_value=5000,
        value=200,
        step=50,
        key="audit_n_boot",
        help="200 is quick; `triage audit` uses 1000 by default.",
    )
    if st.form_submit_button("Run audit", type="primary", key="run_audit"):
        st.session_state[REQUEST] = {
            "reference": reference,
            "source": source,
            "path": path_text.strip(),
            "upload": (upload.name, upload.getvalue()) if upload is not None else None,
            "label": LABELS[label_name],
            "n_boot": int(n_boot),
        }

request = st.session_state.get(REQUEST)
if request is None:
    st.info("Choose a model and a labelled table, then press **Run audit**.")
    st.stop()
model = get_model(request["reference"])
if model is None:
    st.stop()
if request["source"] == "an upload":
    if request["upload"] is None:
        st.error("Upload a labelled table first.")
        st.stop()
    name, content = request["upload"]
    data: bytes | str = content
    data_key = f"{hashlib.sha256(content).hexdigest()}:{name}"
else:
    path = Path(request["path"])
    if not request["path"] or not path.is_file():
        st.error(f"{request['path'] or 'No path given'}: not a file. Give a labelled .parquet or .csv table.")
        st.stop()
    stat = path.stat()
    data, data_key = str(path.resolve()), f"{path.resolve()}:{stat.st_size}:{stat.st_mtime_ns}"
try:
    audit, files = _audit(request["reference"], data_key, request["label"], request["n_boot"], _model=model, _data=data)
except TriageError as error:
    st.error(f"The audit did not run: {error}")
    st.stop()

result = audit.result
st.caption(default_label_note(result.label))
rows, positives, boot = st.columns(3)
rows.metric("Rows audited", f"{result.n:,}", border=True)
positives.metric(f"True positives ({result.label})", f"{result.n_positive:,}", border=True)
boot.metric("Bootstrap resamples", f"{result.n_boot:,}", border=True)
for line, worse in flagged_disparities(result):
    if worse:
        st.warning(f"Missed-MI disparity: {line}")
    else:
        st.info(f"Missed-MI rate outside the parity band, in the group's favour: {line}")
small = small_groups(result)
if small:
    st.warning(
        f"Small groups (fewer than {result.min_positives} true positives; their rates are unreliable): "
        + "; ".join(small)
    )

st.subheader(f"Subgroups: value ({result.confidence:.0%} CI)")
st.dataframe(group_table(result), hide_index=True)
st.subheader("Missed MI (FNR) and false alarms (FPR) by group")
st.image(files["fnr_fpr_by_group.png"])
tradeoff = [name for name in files if name.startswith("threshold_tradeoff_by_")]
if tradeoff:
    st.subheader("Threshold trade-off by sex: sensitivity against rule-out")
    st.image(files[tradeoff[0]])
if audit.mitigations is not None:
    st.subheader("Mitigations: what each policy costs")
    st.image(files["mitigation.png"])
    st.dataframe(audit.mitigations.to_frame(), hide_index=True)
calibration = [name for name in files if name.startswith("calibration_by_")]
if calibration:
    with st.expander("Calibration by group"):
        st.image(files[calibration[0]])

left, right = st.columns(2)
left.download_button(
    "Download metrics.json",
    files["metrics.json"],
    file_name="metrics.json",
    mime="application/json",
    key="download_metrics",
)
right.download_button(
    "Download report.html", files["report.html"], file_name="report.html", mime="text/html", key="download_report"
)
with st.expander("metrics.json (the DESIGN.md contract)"):
    st.json(json.loads(files["metrics.json"]), expanded=1)
