"""MLflow tracking and registry: runs, metrics by sex, plots, the model (from code, no pickle) and aliases.

The store defaults to ``sqlite:///mlflow.db`` in the working directory; ``MLFLOW_TRACKING_URI`` points a team
at a shared server. Only aggregate metrics, parameters, plots and the model files are logged: never patient rows.
"""

from __future__ import annotations

import json
import os
import tempfile
import warnings
from pathlib import Path
from typing import Any

from triage.errors import TriageError

DEFAULT_TRACKING_URI = "sqlite:///mlflow.db"
MODEL_URI_PREFIX = "models:/"
PIP_REQUIREMENTS = [
    "numpy>=2.0,<3",
    "pandas>=2.2,<4",
    "scikit-learn>=1.6,<2",
    "xgboost-cpu>=3.0,<4",
    "skops>=0.11",
    "pandera>=0.24,<0.36",
]


def tracking_uri() -> str:
    return os.environ.get("MLFLOW_TRACKING_URI", DEFAULT_TRACKING_URI)


def _mlflow() -> Any:
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    import mlflow

    mlflow.set_tracking_uri(tracking_uri())
    return mlflow


def flatten_metrics(metrics: dict[str, Any], prefix: str = "") -> dict[str, float]:
    """``{"test": {"female": {"sensitivity": {"value": .99}}}}`` -> ``{"test.female.sensitivity": .99}``."""
    flat: dict[str, float] = {}
    for key, value in metrics.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            if set(value) >= {"value", "ci_low", "ci_high"}:
                for part in ("value", "ci_low", "ci_high"):
                    flat[f"{name}{'' if part == 'value' else '.' + part}"] = float(value[part])
            else:
                flat.update(flatten_metrics(value, f"{name}."))
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            flat[name] = float(value)
    return {k.replace(" ", "_").replace("(", "").replace(")", "").replace("/", "_"): v for k, v in flat.items()}


def log_training_run(
    model_dir: Path,
    manifest: dict[str, Any],
    params: dict[str, Any],
    plots: list[Path],
    *,
    experiment: str,
    registered_model: str | None,
    alias: str,
    input_example: Any = None,
) -> dict[str, str | None]:
    """Log a run (params, metrics, plots, pyfunc model) and register it under ``alias``."""
    mlflow = _mlflow()
    from mlflow.models import infer_signature

    mlflow.set_experiment(experiment)
    with mlflow.start_run(run_name=manifest.get("name")) as run:
        mlflow.log_params({k: str(v)[:500] for k, v in params.items()})
        mlflow.log_param("training_data_sha256", manifest["training_data_sha256"])
        metrics = flatten_metrics({"test": manifest["metrics"]["test"]})
        metrics.update({f"threshold.{k}": float(v) for k, v in manifest["thresholds"].items()})
        baselines = manifest.get("baselines") or {}
        metrics.update(flatten_metrics({"baseline": baselines}))
        mlflow.log_metrics(metrics)
        for plot in plots:
            mlflow.log_artifact(str(plot), artifact_path="plots")
        mlflow.log_artifact(str(model_dir / "manifest.json"))
        signature = None
        if input_example is not None:
            from models._predictor import TriageModel

            output = TriageModel.load(model_dir).predict(input_example)
            signature = infer_signature(input_example.astype(object).astype(str), output.astype(str))
        with warnings.catch_warnings():
            # MLflow asks for an input example; we deliberately store none (no patient rows in MLflow).
            warnings.filterwarnings("ignore", message=".*input example was not provided.*")
            # The signature is given explicitly; MLflow's inference from the (unannotated) predict is moot.
            warnings.filterwarnings("ignore", message=".*type hint is inferred as AnyType.*")
            warnings.filterwarnings("ignore", message=".*Add type hints to the `predict` method.*")
            info = mlflow.pyfunc.log_model(
                name="model",
                python_model=str(Path(__file__).with_name("_mlflow_pyfunc.py")),
                artifacts={"model_dir": str(model_dir)},
                signature=signature,
                pip_requirements=PIP_REQUIREMENTS,
            )
        version = None
        if registered_model:
            registered = mlflow.register_model(info.model_uri, registered_model)
            version = str(registered.version)
            mlflow.MlflowClient().set_registered_model_alias(registered_model, alias, version)
    return {"run_id": run.info.run_id, "model_uri": info.model_uri, "version": version}


def resolve_model_dir(reference: str) -> Path:
    """A model directory path, or ``models:/NAME@ALIAS`` / ``models:/NAME/VERSION`` downloaded from the registry."""
    if not reference.startswith(MODEL_URI_PREFIX):
        return Path(reference)
    mlflow = _mlflow()
    try:
        local = Path(mlflow.artifacts.download_artifacts(artifact_uri=reference, dst_path=tempfile.mkdtemp()))
    except Exception as error:  # MLflow raises several types for an unknown name or alias
        raise TriageError(
            f"{reference}: not found in the MLflow registry at {tracking_uri()} ({error.__class__.__name__}); "
            "train and register one with `triage train`"
        ) from None
    candidates = [p.parent for p in local.rglob("manifest.json")]
    if not candidates:
        raise TriageError(f"{reference}: the registered model has no model directory artifact")
    return candidates[0]


RUN_RECORD = "mlflow_run.json"


def record_run(model_dir: Path, run_id: str) -> None:
    """Remember which MLflow run a model directory was logged in (outside the hashed files), for later audits."""
    (model_dir / RUN_RECORD).write_text(json.dumps({"run_id": run_id, "tracking_uri": tracking_uri()}) + "\n")


def training_run_id(reference: str, model_dir: Path) -> str | None:
    """The MLflow run that logged this model: from the registry for ``models:/`` URIs, else the run record."""
    if reference.startswith(MODEL_URI_PREFIX):
        name_part = reference[len(MODEL_URI_PREFIX) :]
        client = _mlflow().MlflowClient()
        if "@" in name_part:
            name, alias = name_part.split("@", 1)
            return client.get_model_version_by_alias(name, alias).run_id
        name, version = name_part.rsplit("/", 1)
        return client.get_model_version(name, version).run_id
    record = model_dir / RUN_RECORD
    if not record.is_file():
        return None
    data = json.loads(record.read_text())
    return data["run_id"] if data.get("tracking_uri") == tracking_uri() else None


def log_audit(run_id: str, report_dir: Path) -> None:
    """Attach an audit report (aggregate metrics and plots only) to the model's training run."""
    _mlflow().MlflowClient().log_artifacts(run_id, str(report_dir), artifact_path=f"audit/{report_dir.name}")
