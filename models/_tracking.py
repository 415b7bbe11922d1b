"""MLflow tracking and registry: runs, metrics by sex, plots, the model (from code, no pickle) and aliases.

The store defaults to ``sqlite:///mlflow.db`` in the working directory; ``MLFLOW_TRACKING_URI`` points a team
at a shared server. Only aggregate metrics, parameters, plots and the model files are logged: never patient rows.
Reading the registry never creates a store, and says whether a model is missing or the store cannot be read.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import tempfile
import warnings
from pathlib import Path
from typing import Any

from chestpain.kernel.errors import TriageError

DEFAULT_TRACKING_URI = "sqlite:///mlflow.db"
MODEL_URI_PREFIX = "models:/"
PIP_REQUIREMENTS = [
    "numpy>=2.0,<3",
    "pandas>=2.2,<4",
    "pyarrow>=15",
    "scipy>=1.11,<2",
    "scikit-learn>=1.6,<2",
    "xgboost-cpu>=3.0,<4",
    "skops>=0.11",
    "pandera>=0.24,<0.36",
    "pydantic>=2.6,<3",
    "PyYAML>=6",
    "matplotlib>=3.8,<4",
]
#: The parts of the ``chestpain`` namespace the logged model imports (the kernel, features and models layers);
#: logged with it as MLflow ``code_paths`` in a ``chestpain/`` tree of their own (:func:`code_tree`).
CODE_PACKAGES = ("kernel", "features", "models")
#: An unreachable tracking server fails within seconds, not after MLflow's default 7 retries with exponential
#: backoff (about 4 minutes). Set these variables yourself to wait longer for a slow server.
HTTP_DEFAULTS = {
    "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "2",
    "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "1",
    "MLFLOW_HTTP_REQUEST_TIMEOUT": "15",
}
MANIFEST_TAG = "manifest_sha256"
PID_TAG, HOST_TAG = "triage.pid", "triage.host"

NO_STORE = (
    "{reference}: no MLflow store at {path} (nothing was created); train and register a model with `chestpain train`"
)
NOT_FOUND = "{reference}: not found in the MLflow registry at {uri}; train and register one with `chestpain train`"
UNREADABLE = "{reference}: cannot reach or read the MLflow store at {uri} ({reason}); check MLFLOW_TRACKING_URI"
CHANGED = "{path}: the model directory changed since this run wrote it (manifest sha256 {found}, expected {expected})"
REGISTRY_MISMATCH = (
    "{reference}: the downloaded manifest's sha256 does not match the one recorded in the registry; refusing to load"
)


def tracking_uri() -> str:
    return os.environ.get("MLFLOW_TRACKING_URI", DEFAULT_TRACKING_URI)


def _mlflow() -> Any:
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    for name, value in HTTP_DEFAULTS.items():
        os.environ.setdefault(name, value)
    import mlflow

    mlflow.set_tracking_uri(tracking_uri())
    return mlflow


def local_store_path(uri: str | None = None) -> Path | None:
    """The file or folder of a local tracking store (SQLite file or ``mlruns`` folder); None for a server."""
    uri = uri or tracking_uri()
    if uri.startswith("sqlite:///"):
        return Path(uri[len("sqlite:///") :])
    if uri.startswith("file:"):
        return Path(uri.removeprefix("file://").removeprefix("file:"))
    if "://" in uri:
        return None
    return Path(uri)


def _reason(error: BaseException) -> str:
    """A short, plain cause: the first line of the error, capped (the full text can be pages of SQL or HTML)."""
    first = (str(error).strip().splitlines() or [error.__class__.__name__])[0]
    return first if len(first) <= 120 else first[:117] + "..."


def _read_store(reference: str, call: Any, *, missing_ok: bool = False) -> Any:
    """Run a registry read, telling "no such model" from "cannot reach or read the store"; never create a store.

    ``missing_ok``: no store, or no such model, alias or version, is None instead of an error (an unreadable
    store is still an error).
    """
    path = local_store_path()
    if path is not None and not path.exists():
        if missing_ok:
            return None
        raise TriageError(NO_STORE.format(reference=reference, path=path))
    mlflow = _mlflow()
    from mlflow.exceptions import MlflowException

    try:
        return call(mlflow)
    except MlflowException as error:
        if error.error_code in {"RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE"}:
            if missing_ok:
                return None
            raise TriageError(NOT_FOUND.format(reference=reference, uri=tracking_uri())) from None
        raise TriageError(UNREADABLE.format(reference=reference, uri=tracking_uri(), reason=_reason(error))) from None
    except Exception as error:  # sqlalchemy (corrupt file), requests, OSError: the store itself is the problem
        raise TriageError(UNREADABLE.format(reference=reference, uri=tracking_uri(), reason=_reason(error))) from None


def registry_version(reference: str) -> Any:
    """The ``ModelVersion`` a ``models:/NAME@ALIAS`` or ``models:/NAME/VERSION`` reference points at."""
    name_part = reference[len(MODEL_URI_PREFIX) :]
    if "@" in name_part:
        name, alias = name_part.split("@", 1)
        return _read_store(reference, lambda m: m.MlflowClient().get_model_version_by_alias(name, alias))
    name, _, version = name_part.rpartition("/")
    if not name or not version.isdigit():
        raise TriageError(f"{reference}: expected models:/NAME@ALIAS or models:/NAME/VERSION")
    return _read_store(reference, lambda m: m.MlflowClient().get_model_version(name, version))


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


def fail_orphaned_runs(experiment: str) -> list[str]:
    """Mark FAILED the runs of ``experiment`` left RUNNING by a ``chestpain train`` on this host that was killed.

    Each run records its pid and host (tags); a RUNNING run whose process no longer exists cannot finish. A pid
    reused by an unrelated process keeps its run RUNNING (the safe mistake).
    """
    mlflow = _mlflow()
    client = mlflow.MlflowClient()
    found = client.get_experiment_by_name(experiment)
    if found is None:
        return []
    host = socket.gethostname()
    runs = client.search_runs(
        [found.experiment_id], filter_string=f"attributes.status = 'RUNNING' and tags.`{HOST_TAG}` = '{host}'"
    )
    failed = []
    for run in runs:
        pid = run.data.tags.get(PID_TAG, "")
        if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            client.set_terminated(run.info.run_id, status="FAILED")
            failed.append(run.info.run_id)
    return failed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def snapshot(model_dir: Path, expected_sha256: str | None, into: Path) -> tuple[Path, str]:
    """Copy the model directory and check the copy; returns the copy and its manifest's sha256.

    What gets logged is then what this run wrote, even if the directory is replaced while logging.
    """
    from chestpain.models._manifest import MANIFEST, check_manifest_hash
    from chestpain.models._persistence import read_manifest

    copy = into / "model_dir"
    shutil.copytree(model_dir, copy, ignore=shutil.ignore_patterns(RUN_RECORD))
    read_manifest(copy)
    digest = check_manifest_hash(copy, (copy / MANIFEST).read_bytes())
    if expected_sha256 is not None and digest != expected_sha256:
        raise TriageError(CHANGED.format(path=model_dir, found=digest[:12], expected=expected_sha256[:12]))
    return copy, digest


def log_training_run(
    model_dir: Path,
    manifest: dict[str, Any],
    params: dict[str, Any],
    plots: list[Path],
    *,
    experiment: str,
    registered_model: str | None,
    alias: str,
    manifest_sha256: str | None = None,
    run_name: str | None = None,
    tags: dict[str, str] | None = None,
    extra_metrics: dict[str, float] | None = None,
    artifacts: dict[str, str] | None = None,
    dataset: Any = None,
) -> dict[str, str | None]:
    """Log a run (params, metrics, plots, pyfunc model) and register it under ``alias``.

    ``manifest_sha256`` is the hash of the manifest the calling run wrote: a directory whose manifest differs
    (another run replaced it) is refused, and the version is registered from a checked copy, tagged with the hash.
    ``tags`` go on the run and on the registered version (e.g. the promotion decision); ``artifacts`` are small
    text files (name -> content) such as the promotion record; ``dataset`` an ``mlflow.data`` dataset logged as
    the run's training input (its digest, schema and source; never its rows).
    """
    mlflow = _mlflow()
    from chestpain.models._serving import model_signature

    fail_orphaned_runs(experiment)
    mlflow.set_experiment(experiment)
    with tempfile.TemporaryDirectory(prefix="triage-log-") as tmp:
        copy, digest = snapshot(Path(model_dir), manifest_sha256, Path(tmp))
        run_tags = {PID_TAG: str(os.getpid()), HOST_TAG: socket.gethostname(), MANIFEST_TAG: digest, **(tags or {})}
        with mlflow.start_run(run_name=run_name or manifest.get("name"), tags=run_tags) as run:
            mlflow.log_params({k: str(v)[:500] for k, v in params.items()})
            mlflow.log_param("training_data_sha256", manifest["training_data_sha256"])
            mlflow.log_param(MANIFEST_TAG, digest)
            metrics = flatten_metrics({"test": manifest["metrics"]["test"]})
            metrics.update({f"threshold.{k}": float(v) for k, v in manifest["thresholds"].items()})
            baselines = manifest.get("baselines") or {}
            metrics.update(flatten_metrics({"baseline": baselines}))
            metrics.update(extra_metrics or {})
            mlflow.log_metrics(metrics)
            if dataset is not None:
                mlflow.log_input(dataset, context="training")
            for name, content in (artifacts or {}).items():
                mlflow.log_text(content, name)
            for plot in plots:
                mlflow.log_artifact(str(copy / "plots" / plot.name), artifact_path="plots")
            mlflow.log_artifact(str(copy / "manifest.json"))
            for card in ("MODEL_CARD.md", "MODEL_CARD.html"):  # the card beside the run, not only inside the model
                if (copy / card).is_file():
                    mlflow.log_artifact(str(copy / card))
            with warnings.catch_warnings():
                # MLflow asks for an input example; we deliberately store none (no patient rows in MLflow).
                warnings.filterwarnings("ignore", message=".*input example was not provided.*")
                # The signature is given explicitly; MLflow's inference from the (unannotated) predict is moot.
                warnings.filterwarnings("ignore", message=".*type hint is inferred as AnyType.*")
                warnings.filterwarnings("ignore", message=".*Add type hints to the `predict` method.*")
                info = mlflow.pyfunc.log_model(
                    name="model",
                    python_model=str(Path(__file__).with_name("_mlflow_pyfunc.py")),
                    artifacts={"model_dir": str(copy)},
                    code_paths=[str(code_tree(Path(tmp) / "code"))],
                    signature=model_signature(manifest["feature_config"]),
                    pip_requirements=PIP_REQUIREMENTS,
                )
            version = None
            if registered_model:
                registered = mlflow.register_model(
                    info.model_uri, registered_model, tags={MANIFEST_TAG: digest, **(tags or {})}
                )
                version = str(registered.version)
                mlflow.MlflowClient().set_registered_model_alias(registered_model, alias, version)
    return {"run_id": run.info.run_id, "model_uri": info.model_uri, "version": version, "manifest_sha256": digest}


def alias_version(registered_model: str, alias: str) -> Any | None:
    """The version ``alias`` points at, or None when there is no store, no such model or no such alias yet.

    A store that exists but cannot be read is an error (never "no champion": that would promote blindly).
    """
    return _read_store(
        registered_model,
        lambda m: m.MlflowClient().get_model_version_by_alias(registered_model, alias),
        missing_ok=True,
    )


def code_tree(folder: Path) -> Path:
    """Copy the namespace's root ``__init__`` and :data:`CODE_PACKAGES` into ``folder/chestpain``; return that.

    In a checkout the packages live in separate folders (``features/`` is ``chestpain.features``); the logged model
    needs them as one ``chestpain`` package, which MLflow puts on ``sys.path`` when it loads the model.
    """
    import importlib.util

    import chestpain

    target = folder / "chestpain"
    target.mkdir(parents=True)
    shutil.copy2(chestpain.__file__, target / "__init__.py")
    for name in CODE_PACKAGES:
        source = importlib.util.find_spec(f"chestpain.{name}").submodule_search_locations[0]
        shutil.copytree(source, target / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return target


def resolve_model_dir(reference: str) -> Path:
    """A model directory path, or ``models:/NAME@ALIAS`` / ``models:/NAME/VERSION`` downloaded from the registry.

    A registry read never creates a store; "no such model" and "cannot reach or read the store" are different
    messages; the downloaded manifest must match the sha256 recorded on the version when it was registered.
    """
    if not reference.startswith(MODEL_URI_PREFIX):
        return Path(reference)
    from chestpain.models._manifest import manifest_digest

    version = registry_version(reference)
    local = _read_store(
        reference,
        lambda m: Path(m.artifacts.download_artifacts(artifact_uri=reference, dst_path=tempfile.mkdtemp())),
    )
    candidates = [p.parent for p in local.rglob("manifest.json") if p.parent.name == "model_dir"] or [
        p.parent for p in local.rglob("manifest.json")
    ]
    if not candidates:
        raise TriageError(f"{reference}: the registered model has no model directory artifact")
    recorded = (version.tags or {}).get(MANIFEST_TAG)
    if recorded is None:
        raise TriageError(f"{reference}: the registered version has no {MANIFEST_TAG} tag; re-register it")
    if manifest_digest((candidates[0] / "manifest.json").read_bytes()) != recorded:
        raise TriageError(REGISTRY_MISMATCH.format(reference=reference))
    return candidates[0]


RUN_RECORD = "mlflow_run.json"


def record_run(model_dir: Path, run_id: str) -> None:
    """Remember which MLflow run a model directory was logged in (outside the hashed files), for later audits.

    Written last, atomically: a directory without it was not (completely) logged.
    """
    tmp = model_dir / f".{RUN_RECORD}.{os.getpid()}.tmp"
    tmp.write_text(json.dumps({"run_id": run_id, "tracking_uri": tracking_uri()}) + "\n")
    os.replace(tmp, model_dir / RUN_RECORD)


def training_run_id(reference: str, model_dir: Path) -> str | None:
    """The MLflow run that logged this model: from the registry for ``models:/`` URIs, else the run record."""
    if reference.startswith(MODEL_URI_PREFIX):
        return registry_version(reference).run_id
    record = model_dir / RUN_RECORD
    if not record.is_file():
        return None
    data = json.loads(record.read_text())
    return data["run_id"] if data.get("tracking_uri") == tracking_uri() else None


def log_audit(run_id: str, report_dir: Path) -> None:
    """Attach an audit report (aggregate metrics and plots only) and its headline numbers to the model's run.

    The numbers are metrics (:func:`audit_metrics`), so runs can be compared on fairness in MLflow's own tables.
    """
    import time

    from mlflow.entities import Metric

    client = _mlflow().MlflowClient()
    client.log_artifacts(run_id, str(report_dir), artifact_path=f"audit/{report_dir.name}")
    document = json.loads((report_dir / "metrics.json").read_text(encoding="utf-8"))
    now = int(time.time() * 1000)
    metrics = [Metric(key, value, now, 0) for key, value in audit_metrics(document, report_dir.name).items()]
    for start in range(0, len(metrics), 900):  # MLflow's batch limit is 1,000 metrics
        client.log_batch(run_id, metrics=metrics[start : start + 900])


def _metric_name(text: str) -> str:
    """MLflow metric names allow letters, digits, ``_ - . / space``: ``female&<55`` -> ``female_and_lt55``."""
    for old, new in (("&", "_and_"), (">=", "ge"), ("<", "lt"), (">", "gt")):
        text = text.replace(old, new)
    return "".join(ch if ch.isalnum() or ch in "_-./ " else "_" for ch in text)


def audit_metrics(document: dict[str, Any], name: str) -> dict[str, float]:
    """The audit's headline numbers, named ``audit.<report folder>.<what>.<attribute>.<group>``.

    Missed-MI rate (FNR) by group with its interval; for each missed-MI comparison its ratio, whether it was
    flagged, and the smallest ratio it could have detected.
    """
    out: dict[str, float] = {}
    prefix = f"audit.{_metric_name(name)}"
    for group in document.get("groups", []):
        fnr = group.get("fnr") or {}
        key = f"{prefix}.fnr.{_metric_name(group['attribute'])}.{_metric_name(str(group['group']))}"
        for part, suffix in (("value", ""), ("ci_low", ".ci_low"), ("ci_high", ".ci_high")):
            if isinstance(fnr.get(part), (int, float)):
                out[key + suffix] = float(fnr[part])
    for row in document.get("disparities", []):
        if row.get("metric") != "fnr":
            continue
        key = f"{prefix}.fnr_ratio.{_metric_name(row['attribute'])}.{_metric_name(str(row['group']))}"
        if isinstance(row.get("ratio"), (int, float)):
            out[key] = float(row["ratio"])
        out[key + ".flagged"] = float(bool(row.get("flagged")))
        if isinstance(row.get("detectable_ratio"), (int, float)):
            out[key + ".detectable_ratio"] = float(row["detectable_ratio"])
    return {key: value for key, value in out.items() if value == value and abs(value) != float("inf")}
