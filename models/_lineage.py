"""What a training run records so runs can be told apart and compared: name, whole config, code, data.

Runs were all named "xgboost" with seven params (issue 27). Now the run name says what differs from the
packaged config (``xgboost label=diagnosed_mi on cohort.parquet``), every config value is a param under its
dotted name (``threshold.target_sensitivity``), the git commit and whether the tree had uncommitted changes are
tags, and the training table is the run's MLflow dataset input: its name, sha256 (the manifest's) and schema,
never its rows.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any


def run_name(config_name: str, overrides: list[str], data: Path) -> str:
    """``xgboost label=diagnosed_mi model.params.max_depth=4 on cohort.parquet`` (MLflow shows 250 characters)."""
    changed = " ".join(overrides)
    return " ".join(part for part in (config_name, changed, f"on {data.name}") if part)[:250]


def flat_params(config: dict[str, Any], prefix: str = "") -> dict[str, str]:
    """Every value of a nested config under its dotted name; lists joined (MLflow params are strings, <= 6,000)."""
    flat: dict[str, str] = {}
    for key, value in config.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flat_params(value, f"{name}."))
        elif isinstance(value, (list, tuple)):
            flat[name] = ",".join(str(item) for item in value)
        else:
            flat[name] = str(value)
    return {name: value[:6000] for name, value in flat.items()}


def git_state(folder: Path | None = None) -> dict[str, str]:
    """``git.commit`` and ``git.dirty`` of the checkout holding the code (empty when it is not a git checkout).

    An installed wheel has no checkout; its package version is in the manifest already.
    """
    folder = folder or Path(__file__).resolve().parent
    try:
        commit = subprocess.run(
            ["git", "-C", str(folder), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()
        status = subprocess.run(
            ["git", "-C", str(folder), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return {}
    return {"git.commit": commit, "git.dirty": str(bool(status.strip())).lower()}


def training_dataset(data: Path, sha256: str) -> Any:
    """The training table as an MLflow dataset (source path, sha256 digest, column types); no rows are logged."""
    import warnings

    from mlflow.data.dataset_source_registry import resolve_dataset_source
    from mlflow.data.meta_dataset import MetaDataset
    from mlflow.types.schema import ColSpec, Schema

    schema = Schema([ColSpec(kind, name) for name, kind in column_types(Path(data)).items()])
    with warnings.catch_warnings():  # "can be interpreted in multiple ways": both candidates are the local source
        warnings.simplefilter("ignore", UserWarning)
        source = resolve_dataset_source(str(Path(data).resolve()))
    return MetaDataset(source, name=Path(data).name, digest=sha256[:36], schema=schema)


def column_types(data: Path) -> dict[str, str]:
    """Column -> MLflow type from the file's own schema (Parquet file or directory; a CSV's header as strings)."""
    if data.suffix.lower() == ".csv":
        import csv

        with data.open(newline="", encoding="utf-8") as handle:
            return {name: "string" for name in next(csv.reader(handle), [])}
    import pyarrow as pa
    import pyarrow.dataset as ds

    kinds = {pa.bool_(): "boolean", pa.int64(): "long", pa.int32(): "integer", pa.float64(): "double"}
    return {f.name: kinds.get(f.type, "float" if f.type == pa.float32() else "string") for f in ds.dataset(data).schema}
