"""Loading a training config or a trained model by name, path or registry URI (the two entry points users call)."""

from __future__ import annotations

from pathlib import Path

from chestpain.kernel.config import load_config
from chestpain.models._config import TrainConfig
from chestpain.models._predictor import TriageModel
from chestpain.models._tracking import resolve_model_dir


def load_train_config(path: str | Path, overrides: list[str] | None = None) -> TrainConfig:
    """Load and validate a training config, by packaged name (``xgboost``, ``logistic``) or YAML path.

    ``extends`` and ``--set`` overrides are supported.
    """
    return load_config(TrainConfig, path, overrides, kind="train")


def load_model(reference: str | Path) -> TriageModel:
    """Load a model from a directory or an MLflow registry URI such as ``models:/chest-pain-triage@champion``."""
    return TriageModel.load(resolve_model_dir(str(reference)))
