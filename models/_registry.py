"""Read-only views of the MLflow store for the app: which model to load, the runs side by side, the aliases.

Opening a SQLite tracking URI creates the database file and its tables. The app only reads, so before touching
MLflow it checks that a local store exists: a fresh checkout gets a message saying which command trains a model,
not an empty ``mlflow.db`` in the working directory.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from chestpain.kernel.errors import TriageError
from chestpain.models._predictor import TriageModel
from chestpain.models._tracking import (
    MODEL_URI_PREFIX,
    _mlflow,
    _reason,
    local_store_path,
    resolve_model_dir,
    tracking_uri,
)

DEFAULT_MODEL = "models:/chest-pain-triage@champion"
MODEL_ENV = "TRIAGE_MODEL"
#: Run in the demo folder, where `chestpain demo` wrote cohort.parquet and serves the app from.
RETRAIN_COMMAND = "chestpain train --config xgboost --data cohort.parquet --out model"
TRAIN_HINT = (
    "Train and register one with `make demo` (simulates a cohort, trains, registers `champion`), or with "
    f"`{RETRAIN_COMMAND}` after `chestpain simulate`; or set {MODEL_ENV} to a model directory or registry URI."
)
#: Metrics of a run that the runs table shows, overall and by sex (names as ``chestpain train`` logs them).
RUN_METRICS = (
    "test.overall.auroc",
    "test.overall.sensitivity",
    "test.female.sensitivity",
    "test.male.sensitivity",
    "test.overall.rule_out_fraction",
    "test.female.rule_out_fraction",
    "test.male.rule_out_fraction",
    "test.female.npv",
    "test.male.npv",
    "threshold.female",
    "threshold.male",
)


def model_reference() -> str:
    """The model the app serves: ``$TRIAGE_MODEL`` (a directory or ``models:/NAME@ALIAS``) or the champion."""
    return os.environ.get(MODEL_ENV, "").strip() or DEFAULT_MODEL


def local_store_missing(uri: str | None = None) -> Path | None:
    """The path of a local tracking store that does not exist yet (SQLite file or ``mlruns`` folder), else None."""
    path = local_store_path(uri)
    return None if path is None or path.exists() else path


def _read(what: str, call: Callable[[], pd.DataFrame]) -> pd.DataFrame:
    """Run a read of the store; a corrupt file or an unreachable server is one clear :class:`TriageError`."""
    try:
        return call()
    except TriageError:
        raise
    except Exception as error:  # sqlalchemy (corrupt file), requests (server down), MlflowException
        raise TriageError(f"cannot read {what} from the MLflow store at {tracking_uri()} ({_reason(error)})") from None


def load_app_model(reference: str) -> TriageModel:
    """Load a model directory or registry URI, refusing to create an empty local store on the way.

    Raises
    ------
    TriageError
        No such directory, no store, or no such registered model; the message says how to train one.
    """
    if reference.startswith(MODEL_URI_PREFIX):
        return TriageModel.load(resolve_model_dir(reference))  # never creates a store; says which problem it is
    path = Path(reference)
    if not path.is_dir():
        raise TriageError(f"{reference}: no model directory there")
    return TriageModel.load(path)


def _time(milliseconds: int | None) -> pd.Timestamp | None:
    """UTC time without a zone attached (the column names say UTC): tables show it as it is, in every viewer."""
    if milliseconds is None:
        return None
    return pd.Timestamp(datetime.fromtimestamp(milliseconds / 1000, tz=UTC).replace(tzinfo=None))


def runs_table() -> pd.DataFrame:
    """Every run of every experiment, newest first: name, time, label, model kind and every logged metric.

    Metric columns keep MLflow's names (``test.female.sensitivity``); :data:`RUN_METRICS` come first.

    Raises
    ------
    TriageError
        The store exists but cannot be read (corrupt file, server down).
    """
    if local_store_missing() is not None:
        return pd.DataFrame()
    return _read("the runs", _runs_table)


def _runs_table() -> pd.DataFrame:
    mlflow = _mlflow()
    client = mlflow.MlflowClient()
    experiments = {e.experiment_id: e.name for e in client.search_experiments()}
    runs = mlflow.search_runs(
        experiment_ids=list(experiments), output_format="list", order_by=["attributes.start_time DESC"]
    )
    rows = []
    for run in runs:
        row: dict[str, object] = {
            "run": run.info.run_name,
            "run_id": run.info.run_id,
            "experiment": experiments.get(run.info.experiment_id, run.info.experiment_id),
            "started (UTC)": _time(run.info.start_time),
            "status": run.info.status,
            "label": run.data.params.get("label"),
            "model": run.data.params.get("model.kind", run.data.params.get("model")),
        }
        row.update(run.data.metrics)
        rows.append(row)
    table = pd.DataFrame(rows)
    if table.empty:
        return table
    metrics = [c for c in RUN_METRICS if c in table.columns]
    others = sorted(c for c in table.columns if c not in metrics and "." in c)
    meta = [c for c in table.columns if c not in metrics and c not in others]
    return table[meta + metrics + others]


def compare_runs(
    runs: pd.DataFrame, run_ids: list[str], *, prefixes: tuple[str, ...] = ("test.", "threshold.")
) -> pd.DataFrame:
    """Runs side by side: one column per run, one row per metric whose name starts with ``prefixes``."""
    chosen = runs[runs["run_id"].isin(run_ids)]
    metrics = [c for c in runs.columns if c.startswith(prefixes) and not c.endswith((".ci_low", ".ci_high"))]
    first = [c for c in RUN_METRICS if c in metrics]
    ordered = first + [c for c in metrics if c not in first]
    side = chosen.set_index(chosen["run"].astype(str) + " (" + chosen["run_id"].str[:8] + ")")[ordered].T
    side.index.name = "metric"
    return side


def registered_models() -> pd.DataFrame:
    """Every registered model version with its aliases (``champion``, ...) and the run it came from."""
    if local_store_missing() is not None:
        return pd.DataFrame()
    return _read("the registered models", _registered_models)


def _registered_models() -> pd.DataFrame:
    mlflow = _mlflow()
    client = mlflow.MlflowClient()
    rows = []
    for model in client.search_registered_models():
        aliases: dict[str, list[str]] = {}
        for alias, version in (model.aliases or {}).items():
            aliases.setdefault(str(version), []).append(alias)
        for version in client.search_model_versions(f"name = '{model.name}'"):
            rows.append(
                {
                    "model": version.name,
                    "version": int(version.version),
                    "aliases": ", ".join(sorted(aliases.get(str(version.version), []))),
                    "uri": f"{MODEL_URI_PREFIX}{version.name}/{version.version}",
                    "run_id": version.run_id,
                    "registered (UTC)": _time(version.creation_timestamp),
                }
            )
    table = pd.DataFrame(rows)
    return table.sort_values(["model", "version"], ascending=[True, False]).reset_index(drop=True) if rows else table
