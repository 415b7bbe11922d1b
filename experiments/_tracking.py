"""MLflow: one run per experiment with its parameters, headline metrics and result files, never patient rows.

The store is the project's (``models.tracking_uri()``: ``sqlite:///mlflow.db`` unless ``MLFLOW_TRACKING_URI``
says otherwise), so experiment runs sit next to training runs in the same UI.
"""

from __future__ import annotations

import math
import os
import re
from pathlib import Path
from typing import Any

from chestpain.models import tracking_uri

_UNSAFE = re.compile(r"[^0-9A-Za-z_\-. /]")


def flatten(data: Any, prefix: str = "") -> dict[str, str]:
    """``{"train": {"config": "xgboost"}}`` -> ``{"train.config": "xgboost"}``; lists stay whole."""
    if isinstance(data, dict):
        out: dict[str, str] = {}
        for key, value in data.items():
            out.update(flatten(value, f"{prefix}{key}."))
        return out
    return {prefix.rstrip("."): str(data)[:500]}


def metric_name(name: str) -> str:
    """A name MLflow accepts (letters, digits, ``_-. /``); other characters become ``_``."""
    return _UNSAFE.sub("_", name)


def log_experiment_run(
    *,
    experiment: str,
    run_name: str,
    kind: str,
    params: dict[str, Any],
    metrics: dict[str, float],
    files: list[Path],
) -> str:
    """Log one run and return its id. Non-finite metrics are left out (MLflow stores them poorly)."""
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    import mlflow

    mlflow.set_tracking_uri(tracking_uri())
    mlflow.set_experiment(experiment)
    with mlflow.start_run(run_name=run_name) as run:
        mlflow.set_tags({"kind": kind, "evidence": "public data" if kind == "uci_sites" else "simulated"})
        mlflow.log_params(flatten(params))
        finite = {metric_name(k): float(v) for k, v in metrics.items() if v is not None and math.isfinite(v)}
        mlflow.log_metrics(finite)
        for path in files:
            mlflow.log_artifact(str(path), artifact_path="results")
    return run.info.run_id
