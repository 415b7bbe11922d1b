"""Fairness audit: missed-MI rate and false alarms by sex, race, age band and their intersections.

What is audited: a model, a table's own score/flag columns (any model), the clinicians' discharges, or the
HEART / ESC 0/1 h pathway decisions, as ``chestpain audit`` offers. The audit is the library's
(``models._audit.audit_model``, ``models._decision_audit``); the report files are written by the same writer as
``chestpain audit``, so the downloads here are what the command line produces. Results are cached per request.
Every string that comes from a file, a column or a model is shown escaped (``escape_markdown``) or in a
dataframe, never rendered as Markdown.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import streamlit as st

from chestpain.app._common import get_model, page_frame
from chestpain.fairness import default_label_note
from chestpain.features import read_table, read_table_bytes
from chestpain.kernel.errors import TriageError
from chestpain.models import (
    ModelAudit,
    TriageModel,
    audit_decision,
    audit_model,
    audit_table,
    default_audit_data,
    detection_lines,
    disparity_table,
    escape_markdown,
    flagged_disparities,
    group_table,
    model_reference,
    report_files,
    rule_text,
    small_groups,
)

LABELS = {"default (mi; cad for UCI models)": None, "mi": "mi", "diagnosed_mi": "diagnosed_mi", "cad": "cad"}
SUBJECTS = {
    "a model": "model",
    "a table's own score / flag columns (any model)": "predictions",
    "the clinicians' discharges (flag = not discharged)": "clinician",
    "the HEART pathway (flag = HEART 4-10)": "heart",
    "the ESC 0/1 h algorithm, or 0/2 h / 0/3 h without a 1 h sample (flag = not ruled out)": "esc",
}
INTERVALS = ["wilson", "clopper-pearson", "jeffreys"]
RULES = {"Benjamini-Hochberg (false discovery rate)": "bh", "Holm (family-wise error)": "holm", "none": "none"}
REQUEST = "audit_request"

page_frame(
    "Fairness audit",
    "For the fairness auditor: missed MI (FNR) first, then false alarms, by group with confidence intervals, "
    "flags protected against the number of comparisons, what each comparison could detect, the threshold "
    "trade-off by sex and what each mitigation costs. Audit a model, any model's scores, or the clinicians' "
    "and pathways' decisions.",
)


@st.cache_data(max_entries=4, show_spinner="Auditing: every group, interval and comparison...")
def _audit(
    reference: str,
    data_key: str,
    settings: tuple,
    _model: TriageModel | None,
    _data: bytes | str,
) -> tuple[ModelAudit, dict[str, bytes]]:
    """Audit once per (subject, data, settings); ``data_key`` identifies the file's content."""
    subject, label, n_boot, interval_method, multiplicity, score, flag, threshold = settings
    if isinstance(_data, bytes):
        name = data_key.split(":", 1)[1]
        frame, source = read_table_bytes(_data, name), name
    else:
        frame, source = read_table(_data), Path(_data).name
    options = {"n_boot": n_boot, "interval_method": interval_method, "multiplicity": multiplicity}
    if subject == "model":
        audit = audit_model(_model, frame, label=label, source=source, **options)
        return audit, report_files(audit, model_name=_model.manifest.get("name", reference))
    if subject == "predictions":
        audit = audit_table(
            frame, label=label or "mi", score=score, flag=flag, threshold=threshold, source=source, **options
        )
    else:
        audit = audit_decision(frame, subject, label=label or "mi", source=source, **options)
    return audit, report_files(audit)


with st.form("audit_setup", enter_to_submit=False):
    subject_name = st.radio("What to audit", list(SUBJECTS), key="audit_subject")
    reference = st.text_input(
        "Model (registry alias or directory; for 'a model')", value=model_reference(), key="audit_model"
    ).strip()
    score_col, flag_col, threshold_col = st.columns(3)
    score_name = score_col.text_input("Score column (0-1; for a table's own columns)", key="audit_score").strip()
    flag_name = flag_col.text_input("Flag column (yes/no: not safe to discharge)", key="audit_flag").strip()
    threshold_value = threshold_col.number_input(
        "Threshold (score only: flag score >= threshold)",
        min_value=0.0,
        max_value=1.0,
        value=0.05,
        key="audit_threshold",
    )
    source = st.radio("Data", ["a file on this machine", "an upload"], horizontal=True, key="audit_source")
    default = default_audit_data()
    path_text = st.text_input(
        "Labelled table (.parquet or .csv) with the true outcome",
        value=str(default) if default else "",
        placeholder="e.g. audit_cohort.parquet (written by chestpain demo in its folder)",
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
        help="For AUROC, ECE and curves; rates get intervals from counts. 200 is quick; `chestpain audit` uses 1000.",
    )
    method_col, rule_col = st.columns(2)
    interval_method = method_col.selectbox("Rate intervals", INTERVALS, key="audit_interval_method")
    rule_name = rule_col.selectbox("Flag rule across comparisons", list(RULES), key="audit_multiplicity")
    if st.form_submit_button("Run audit", type="primary", key="run_audit"):
        st.session_state[REQUEST] = {
            "subject": SUBJECTS[subject_name],
            "interval_method": interval_method,
            "multiplicity": RULES[rule_name],
            "score": score_name or None,
            "flag": flag_name or None,
            "threshold": float(threshold_value),
            "reference": reference,
            "source": source,
            "path": path_text.strip(),
            "upload": (upload.name, upload.getvalue()) if upload is not None else None,
            "label": LABELS[label_name],
            "n_boot": int(n_boot),
        }

request = st.session_state.get(REQUEST)
if request is None:
    st.info("Choose what to audit and a labelled table, then press **Run audit**.")
    st.stop()
model = None
if request["subject"] == "model":
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
        shown = escape_markdown(request["path"]) if request["path"] else "No path given"
        st.error(f"{shown}: not a file. Give a labelled .parquet or .csv table.")
        st.stop()
    stat = path.stat()
    data, data_key = str(path.resolve()), f"{path.resolve()}:{stat.st_size}:{stat.st_mtime_ns}"
settings = (
    request["subject"],
    request["label"],
    request["n_boot"],
    request["interval_method"],
    request["multiplicity"],
    request["score"] if request["subject"] == "predictions" else None,
    request["flag"] if request["subject"] == "predictions" else None,
    request["threshold"] if request["subject"] == "predictions" and not request["flag"] else None,
)
try:
    audit, files = _audit(request["reference"], data_key, settings, _model=model, _data=data)
except TriageError as error:
    st.error(f"The audit did not run: {escape_markdown(error)}")
    st.stop()

result = audit.result
st.caption(escape_markdown(default_label_note(result.label)))
st.text(f"Audited: {result.source}")
rows, positives, boot = st.columns(3)
rows.metric("Rows audited", f"{result.n:,}", border=True)
positives.metric(f"True positives ({escape_markdown(result.label)})", f"{result.n_positive:,}", border=True)
boot.metric("Bootstrap resamples", f"{result.n_boot:,}", border=True)
st.caption(escape_markdown(rule_text(result)))
for line, worse in flagged_disparities(result):
    if worse:
        st.warning(f"Missed-MI disparity: {escape_markdown(line)}")
    else:
        st.info(f"Missed-MI rate outside the parity band, in the group's favour: {escape_markdown(line)}")
small = small_groups(result)
if small:
    st.warning(
        f"Small groups (fewer than {result.min_positives} true positives; their rates are imprecise): "
        + escape_markdown("; ".join(small))
    )

st.subheader(f"Subgroups: value ({result.confidence:.0%} CI)")
st.dataframe(group_table(result), hide_index=True)
st.subheader("Missed MI (FNR) against the reference group: flags, withheld comparisons, detectable gaps")
st.dataframe(disparity_table(result, "fnr", audit.oracle), hide_index=True)
if audit.oracle is not None:
    st.caption(
        "The oracle's ratio: the simulator's exact probability of MI flagged with the model's own thresholds. "
        "A gap it shares comes from the groups' MI rates or records, not from the model."
    )
detectable = detection_lines(result, "fnr")
if detectable:
    with st.expander("What this audit could detect (missed MI)"):
        st.text("\n".join(detectable))
st.subheader("Missed MI (FNR) and false alarms (FPR) by group")
st.image(files["fnr_fpr_by_group.png"])
tradeoff = [name for name in files if name.startswith("threshold_tradeoff_by_")]
if tradeoff:
    st.subheader("Threshold trade-off by sex: sensitivity against rule-out")
    st.image(files[tradeoff[0]])
if audit.mitigations is not None and "mitigation.png" in files:
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
