"""Discharge check: one patient's calibrated risk and flag, explained, beside HEART and ESC 0/1 h, with a what-if.

The form is a question prompt list: every symptom gets its own yes/no question and none is pre-answered, so a
symptom that was never asked about is reported as missing instead of silently counting as absent.
"""

from __future__ import annotations

from typing import Any

import streamlit as st
from streamlit.errors import StreamlitAPIException

# Only light modules here (words and column names; tests/app/test_first_page_imports.py checks it): the form is drawn
# before pandas, scikit-learn, xgboost and the model load, which the answer below imports when it needs them.
from chestpain.app import PAGES_DIR
from chestpain.app import _patient_prefill as prefill
from chestpain.app._common import get_model, md, model_if_ready, page_frame, show_error
from chestpain.features import PROMPT_LIST, feature_label, field_hint, more_common_in_women
from chestpain.features.columns import ECG_FINDINGS, RACES, RISK_FACTORS, SEXES, SYMPTOMS
from chestpain.kernel.errors import TriageError

ANSWERS = "discharge_answers"
NUMBER_LABELS = {
    "age": "Age (years)",
    "pain_score": "Pain score (0-10, as the patient rates it)",
    "heart_rate": "Heart rate at triage (beats/min)",
    "systolic_bp": "Systolic blood pressure (mmHg)",
    "symptom_onset_hours": "Hours since the pain began",
    "troponin_0h_ng_l": "hs-cTnI at presentation, 0 h (ng/L)",
    "troponin_1h_ng_l": "hs-cTnI at 1 h (ng/L), if drawn",
    "troponin_2h_ng_l": "hs-cTnI at 2 h (ng/L), if drawn",
    "troponin_3h_ng_l": "hs-cTnI at 3 h (ng/L), if drawn",
}
#: Samples after 0 h: each optional, blank means not drawn (a 0/2 h or 0/3 h site has no 1 h sample), but one
#: of them is needed (the model reads every one present; issue 25).
OPTIONAL_NUMBERS = ("troponin_1h_ng_l", "troponin_2h_ng_l", "troponin_3h_ng_l")
WHOLE_NUMBERS = ("age", "pain_score")
HELP = {
    "symptom_onset_hours": "Required. From the onset of the worst pain to the 0 h troponin sample, as the patient "
    "recalls it (0-720). Early presenters (< 3 h) can have a low but rising troponin; ESC 0/1 h uses its very-low "
    "rule-out only after 3 h. Model input: ",
}

page_frame(
    "Discharge check",
    "For the ED physician: is it safe, on this model, to send this chest-pain patient home? Every answer comes "
    "with the reasons, to check against the patient's own account.",
)


def stop_unless_cohort_model(model: Any) -> None:
    """The form needs a model trained on ED visits; say so and stop for a UCI model."""
    if model.dataset != "cohort":
        st.warning(
            f"Model '{md(model.manifest.get('name'))}' was trained on the UCI table (label {md(model.label)}), not "
            "on ED visits: the discharge form needs an ED-cohort model. Set TRIAGE_MODEL to one."
        )
        st.stop()


slots: dict[str, Any] = {}
answers: dict[str, Any] = {}
prefill.apply()  # the patient's own account, if any: marked "patient-reported" until confirmed


def number(name: str) -> None:
    """A numeric answer without limits in the widget: the schema checks ranges and units, with its own words."""
    whole = name in WHOLE_NUMBERS
    answers[name] = st.number_input(
        NUMBER_LABELS[name] + prefill.mark(name),
        value=None,
        step=1 if whole else 1.0,
        format="%d" if whole else "%.2f",
        key=name,
        help=HELP.get(name, "")
        + ("Optional: leave blank if this sample was not drawn. " if name in OPTIONAL_NUMBERS else "")
        + field_hint(name),
    )
    slots[name] = st.empty()


form_column, result_column = st.columns([4, 6], gap="large")
with form_column, st.form("patient", enter_to_submit=False):
    st.subheader("Patient")
    left, right = st.columns(2)
    with left:
        number("age")
    with right:
        answers["sex"] = st.radio("Sex", SEXES, index=None, horizontal=True, key="sex")
        slots["sex"] = st.empty()
    answers["race"] = st.selectbox(
        "Race (optional; not used to score unless the model was trained with it)",
        [None, *RACES],
        format_func=lambda value: "not recorded" if value is None else value,
        key="race",
    )
    slots["race"] = st.empty()

    st.subheader("Risk factors")
    present = st.pills(
        "Select every risk factor the patient has (none selected means none)",
        RISK_FACTORS,
        selection_mode="multi",
        format_func=lambda name: feature_label(name).capitalize(),
        key="risk_factors",
    )
    answers.update({name: name in present for name in RISK_FACTORS})

    st.subheader("Symptoms: ask every question")
    st.caption(
        "Ask every one, even after the patient names a main complaint. Those marked ♀ are more common in women "
        "and are the ones most often never asked about; the last three (pleuritic, positional, reproduced by "
        "pressing) lower the odds of a heart attack but do not exclude one."
    )
    for name in SYMPTOMS:
        mark = " ♀" if more_common_in_women(name) else ""
        answers[name] = st.radio(
            PROMPT_LIST[name] + mark + prefill.mark(name),
            [True, False],
            index=None,
            format_func=lambda value: "yes" if value else "no",
            horizontal=True,
            key=f"q_{name}",
        )
        slots[name] = st.empty()
    number("pain_score")
    number("symptom_onset_hours")

    st.subheader("Vitals, ECG and troponin")
    left, right = st.columns(2)
    with left:
        number("heart_rate")
    with right:
        number("systolic_bp")
    answers["ecg"] = st.radio(
        "ECG", ECG_FINDINGS, index=None, horizontal=True, key="ecg", help="STEMI is out of scope (cath lab)."
    )
    slots["ecg"] = st.empty()
    left, right = st.columns(2)
    with left:
        number("troponin_0h_ng_l")
    with right:
        number("troponin_1h_ng_l")
    left, right = st.columns(2)
    with left:
        number("troponin_2h_ng_l")
    with right:
        number("troponin_3h_ng_l")
    prefill.confirm_box()
    if st.form_submit_button("Check discharge", type="primary", key="check") and prefill.confirmed():
        st.session_state[ANSWERS] = dict(answers)

submitted: dict[str, Any] | None = st.session_state.get(ANSWERS)
with result_column:
    # The form above does not wait for the model: it loads in the background, and only an answer waits for it.
    if submitted is None:
        model = model_if_ready()  # never waits; says in the sidebar while the model is still loading
        if model is not None:
            stop_unless_cohort_model(model)
        st.info("Answer every question and press **Check discharge**.")
        st.stop()
    # An answer waits here, under a spinner if the model is still loading (no "still loading" note beside it).
    model = get_model()
    if model is None:
        st.stop()
    stop_unless_cohort_model(model)
    # Imported here, once an answer is asked for (the loader thread has usually imported them already).
    from chestpain.features import risk_text
    from chestpain.models import assess, field_problems, risk_curve, visit_row, waterfall_png, what_if

    try:
        assessment = assess(model, visit_row(submitted))
    except TriageError as error:
        problems = field_problems(error)
        for field, texts in problems.items():
            if field in slots:
                slots[field].error(md("; ".join(texts)))
        # In the form's own words: each problem under the question's label (no file rows or column names).
        listed = "\n".join(
            f"- **{md(NUMBER_LABELS.get(field, PROMPT_LIST.get(field, feature_label(field) if field else 'Form')))}**"
            f": {md('; '.join(texts))}"
            for field, texts in problems.items()
        )
        st.error("Nothing was scored. Please correct the form:\n\n" + listed)
        st.stop()

    if assessment.flag:
        st.error(f"**{assessment.flag_text}**")
    else:
        st.success(f"**{assessment.flag_text}**")
    st.info(f"**Next step:** {md(assessment.next_step)}", icon=":material/arrow_forward:")
    try:  # the same session, so the aid reads these answers (a plain URL would start a new session)
        st.page_link(
            st.Page(PAGES_DIR / "decision_aid.py"),
            label="Open the decision aid for the patient, with these answers",
            icon=":material/diversity_1:",
        )
    except StreamlitAPIException:  # the page run on its own (no navigation, e.g. a test harness)
        st.caption("Open **Decision aid** in the menu: it uses these answers.")
    # Two metrics a row: four in one row truncate the numbers on a laptop screen.
    model_col, mace_col = st.columns(2)
    heart_col, esc_col = st.columns(2)
    model_col.metric(
        "Risk of MI now",
        risk_text(assessment.risk),
        help="The model's calibrated probability of MI at this visit (below 0.1% is shown as '<0.1%': the "
        "calibration cannot tell smaller risks apart).",
        border=True,
    )
    model_col.caption(
        f"flag at >= {risk_text(assessment.threshold)} for this patient (the lowest threshold of their sex, age "
        "band, onset and sampling group: each keeps 99% sensitivity)"
    )
    mace_col.metric(
        "Risk of 30-day MACE",
        risk_text(assessment.risk_mace),
        help="The second question: the model's calibrated risk of death, MI or urgent revascularisation within 30 "
        "days (MACE; 'n/a' for a model trained without it).",
        border=True,
    )
    if assessment.risk_mace is not None:
        mace_col.caption("flag keeps 98% sensitivity for 30-day events in each sex")
    heart = assessment.heart
    heart_col.metric(
        "HEART score",
        f"{heart['heart_score']} / 10",
        help="History (charted symptoms), ECG, Age, Risk factors, Troponin; 0-3 is low risk (Backus 2013).",
        border=True,
    )
    heart_col.caption(
        ("low risk (0-3)" if assessment.heart_low_risk else "not low risk (4 or more)")
        + f": H{heart['heart_history']} E{heart['heart_ecg']} A{heart['heart_age']} "
        f"R{heart['heart_risk']} T{heart['heart_troponin']}. T uses the universal 99th percentile (26 ng/L), as "
        "HEART was validated; the model and its reasons use the sex-specific one (women 16, men 34 ng/L)."
    )
    esc_col.metric(
        f"ESC {assessment.esc_pathway}",
        assessment.esc,
        help="hs-cTnI ARCHITECT cut-offs: rule-out, observe or rule-in (ESC 2015/2020).",
        border=True,
    )

    st.subheader("Why: the top reasons")
    st.caption(
        "Check each reason against what the patient told you; if an answer is wrong, correct the form. Each reason "
        "is one clinical input: a troponin sample, in ng/L and as a multiple of the 99th percentile for the "
        "patient's sex (the higher sample also carries the model's peak), the 1 h change, the time since onset, the "
        "ECG. Each is measured from a reference patient (the training medians, no 1 h change); a higher troponin, "
        "a larger change, a worse ECG or a typical symptom never lowers the risk on this model."
    )
    st.markdown("**MI now**")
    st.markdown("\n".join(f"- {md(reason)}" for reason in assessment.reasons))
    if assessment.reasons_mace:
        st.markdown("**Death, MI or urgent revascularisation in 30 days**")
        st.markdown("\n".join(f"- {md(reason)}" for reason in assessment.reasons_mace))
    st.image(
        waterfall_png(assessment),
        width="stretch",
        alt="SHAP waterfall: each clinical input's share of this patient's log-odds, from the reference patient's",
    )

    st.subheader("What if...")
    st.caption("Change an answer here (the form stays as it is) to see how the model's answer moves.")
    left, right = st.columns(2)
    # The what-if moves the first sample after 0 h the patient has (1 h, else 2 h, else 3 h).
    later = next(name for name in OPTIONAL_NUMBERS if submitted.get(name) is not None)
    later_label = feature_label(later)
    with left:
        new_troponin = st.number_input(
            f"If {later_label} were (ng/L)",
            value=None,
            step=1.0,
            placeholder=f"as entered: {submitted[later]:g} ng/L",
            key="whatif_troponin_1h",
        )
        new_ecg = st.selectbox(
            "If the ECG were",
            [ecg for ecg in ECG_FINDINGS if ecg != submitted["ecg"]],
            index=None,
            placeholder=f"as entered: {submitted['ecg']}",
            key="whatif_ecg",
        )
    with right:
        extra = st.multiselect(
            "If the patient also reports",
            [name for name in SYMPTOMS if not submitted[name]],
            format_func=lambda name: PROMPT_LIST[name].rstrip("?").lower(),
            key="whatif_symptoms",
        )
    changes: dict[str, Any] = {name: True for name in extra}
    if new_troponin is not None:
        changes[later] = new_troponin
    if new_ecg is not None:
        changes["ecg"] = new_ecg
    if changes:
        try:
            moved = what_if(model, submitted, changes, before=assessment)
        except TriageError as error:
            show_error("", error)
        else:
            st.metric(
                "Risk of MI if " + md("; ".join(moved.changes)),
                risk_text(moved.after.risk),
                delta=f"{moved.risk_change * 100:+.1f} percentage points",
                delta_color="inverse",
                border=True,
            )
            verdict = f"flag: **{moved.after.flag_text}**" + (" (changes)" if moved.flag_changed else " (same)")
            st.markdown(
                verdict + f"; HEART {moved.after.heart['heart_score']}, ESC {moved.after.esc_pathway} {moved.after.esc}"
            )
    if st.toggle(f"Show the risk as {later_label} varies, all else as entered", key="whatif_curve"):
        grid = [0, 2, 4, 6, 8, 10, 15, 20, 30, 40, 60, 80, 120, 200]
        curve = risk_curve(model, submitted, later, grid)
        curve["flag threshold"] = assessment.threshold
        st.line_chart(curve.set_index(later)[["risk", "flag threshold"]], x_label=f"{later_label} (ng/L)")
