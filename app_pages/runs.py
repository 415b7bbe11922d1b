"""Runs: the MLflow runs of the local store side by side, by sex, and the registered models with their aliases.

Read-only: retraining is a command (shown here), so that every model in the registry has a config and a logged run.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from chestpain.app._common import code, page_frame
from chestpain.kernel.errors import TriageError
from chestpain.models import (
    RETRAIN_COMMAND,
    RUN_METRICS,
    compare_runs,
    local_store_missing,
    registered_models,
    runs_table,
    tracking_uri,
)

page_frame(
    "Runs",
    "For the data scientist: every training run in the MLflow store, metrics overall and by sex side by side, "
    "and which model version each alias (champion, ...) points at.",
)


@st.cache_data(ttl=30, show_spinner="Reading the MLflow store...")
def _store(uri: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Runs and registered versions of the store at ``uri`` (re-read at most every 30 s)."""
    return runs_table(), registered_models()


uri = tracking_uri()
st.markdown(f"Tracking store: {code(uri)} (set `MLFLOW_TRACKING_URI` to use another).")
missing = local_store_missing(uri)
if missing is not None:
    st.info(f"No MLflow store at {code(missing)} yet: no run has been logged. Train one:")
    st.code(RETRAIN_COMMAND, language=None, wrap_lines=True)
    st.stop()

try:
    runs, versions = _store(uri)
except TriageError as error:
    # A corrupt store or a server that does not answer: say so (as plain text: the reason comes from the store).
    st.error("Cannot read the MLflow store.")
    st.code(str(error), language=None)
    st.stop()
if runs.empty:
    st.info("The store has no runs yet. Train one:")
    st.code(RETRAIN_COMMAND, language=None, wrap_lines=True)
    st.stop()

st.subheader(f"{len(runs)} run{'' if len(runs) == 1 else 's'}, newest first")
shown = [c for c in ("run", "experiment", "started (UTC)", "label", "model", *RUN_METRICS) if c in runs.columns]
st.dataframe(runs[shown], hide_index=True)

st.subheader("Side by side")
labels = dict(zip(runs["run_id"], runs["run"].astype(str) + " (" + runs["run_id"].str[:8] + ")", strict=True))
chosen = st.multiselect(
    "Runs to compare", list(labels), default=list(labels)[:3], format_func=labels.__getitem__, key="compare_runs"
)
if chosen:
    st.dataframe(compare_runs(runs, chosen))

st.subheader("Registered models and aliases")
if versions.empty:
    st.info("No model is registered yet (`chestpain train` registers the `champion` alias).")
else:
    st.dataframe(versions, hide_index=True)
    st.caption(
        "Serve another version with `TRIAGE_MODEL=models:/NAME@ALIAS chestpain app` (or `models:/NAME/VERSION`)."
    )

st.subheader("Retrain")
st.code(RETRAIN_COMMAND, language=None, wrap_lines=True)
st.caption("`chestpain train` logs the run here and moves the `champion` alias to the new version.")
