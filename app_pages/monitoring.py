"""Monitoring: how a deployed discharge check's warnings are followed, and how patients fare, by group over time.

The page calls the library ``chestpain monitor`` calls (:func:`chestpain.ehr.read_feedback`,
:func:`chestpain.fairness.monitor_feedback`) on the CDS Hooks service's feedback store, or on a simulated year
from the monitoring study (a 2x override gap for women from week 20, or none). Strings from the store or a file
are shown in dataframes or escaped, never rendered as Markdown.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import streamlit as st

from chestpain.app._common import code, md, page_frame, show_error
from chestpain.fairness import next_steps
from chestpain.kernel.errors import TriageError

STORE_ENV = "TRIAGE_FEEDBACK_DB"
DEFAULT_STORE = "hooks-feedback.sqlite"  # configs/ehr/hooks.example.yaml's feedback_db
SOURCES = {
    "the service's feedback store": "store",
    "a simulated year, no gap (study's null arm)": "null",
    "a simulated year, women's warnings overridden 2x from week 20": "gap",
}

page_frame(
    "Monitoring",
    "For the team running the discharge check: week by week, how often warnings are overridden and how often "
    "patients sent home come back with an event, by sex, race and age band, with alarms that stay honest however "
    "often you look.",
)


@st.cache_data(max_entries=4, show_spinner="Monitoring: every group, look and window...")
def _monitor(source: str, store: str, outcomes: bytes | None, outcomes_name: str, every: str):
    """The monitor's result and report plots, once per input."""
    from chestpain.ehr import read_feedback
    from chestpain.experiments.monitoring_study import simulate_stream
    from chestpain.fairness import figure_png, monitor_feedback, plot_rates, plot_ratios
    from chestpain.features import read_table_bytes
    from chestpain.kernel.seeding import named_stream

    if source == "store":
        cards = read_feedback(store)
        follow = read_table_bytes(outcomes, outcomes_name) if outcomes is not None else None
    else:
        cards, follow = simulate_stream(
            named_stream(28, f"app.monitoring.{source}"), female_ratio=2.0 if source == "gap" else 1.0
        )
    result = monitor_feedback(cards, follow, every=every)
    metrics = sorted(set(result.sequences["metric"]), key=["override", "missed_event"].index)
    plots = {m: (figure_png(plot_ratios(result, m)), figure_png(plot_rates(result, m))) for m in metrics}
    return result, plots


with st.form("monitor_form"):
    chosen = st.radio("Data", list(SOURCES), key="monitor_source")
    store = st.text_input(
        "Feedback store (the service's feedback_db)", os.environ.get(STORE_ENV, DEFAULT_STORE), key="monitor_store"
    )
    upload = st.file_uploader(
        "30-day follow-up (optional): .csv or .parquet with card, mi, mace_30d",
        type=["csv", "parquet"],
        key="monitor_outcomes",
    )
    every = st.selectbox("One look is a", ["week", "day", "month"], key="monitor_every")
    submitted = st.form_submit_button("Run the monitor", key="run_monitor")

source = SOURCES[chosen]
if not submitted and "monitor_ran" not in st.session_state:
    st.info(
        "Choose the data and run the monitor. The command line does the same: "
        + code("chestpain monitor --feedback hooks-feedback.sqlite --outcomes followup.csv --out monitoring/")
    )
    st.stop()
st.session_state["monitor_ran"] = True
if source == "store" and not Path(store).is_file():
    st.info(
        f"No feedback store at {code(store)}: start the service (`chestpain serve-hooks`) or pick a simulated year."
    )
    st.stop()
try:
    result, plots = _monitor(source, store, upload.getvalue() if upload else None, upload.name if upload else "", every)
except TriageError as error:
    show_error("Cannot monitor this stream: ", error)
    st.stop()

st.subheader(f"Alarms: {len(result.alarms)}")
if result.alarms:
    st.dataframe(
        pd.DataFrame(
            [{"alarm": alarm.text(), "raised": alarm.raised, "since": alarm.since} for alarm in result.alarms]
        ),
        hide_index=True,
    )
else:
    st.success("No alarm: no group's rate is shown to lie outside the parity band at the stated error rate.")
st.caption(md(result.settings["error_control"]))

st.subheader("What to check next")
for step in next_steps(result):
    st.markdown(f"- {md(step)}")

for metric, (ratios, rates) in plots.items():
    title = "Override rate of warning/critical cards" if metric == "override" else "30-day MACE after discharge"
    st.subheader(title)
    ratio_text = f"{title}: ratio to the reference with anytime-valid bounds and the parity band, by {result.every}"
    rate_text = f"{title}: each group's cumulative rate with its anytime-valid sequence, by {result.every}"
    st.image(ratios, caption=ratio_text, alt=ratio_text)
    st.image(rates, caption=rate_text, alt=rate_text)

st.subheader(f"Latest {result.every} ({result.periods[-1]}) by group")
last = result.table[result.table["period"] == result.periods[-1]]
st.dataframe(last.drop(columns="period"), hide_index=True)
for note in result.notes:
    st.caption(md(note))
