"""Training, calibration, thresholds, persistence, MLflow logging, batch prediction and explanations.

Public surface::

    TrainConfig, load_train_config(path, overrides)     configs/train/*.yaml
    prepare(frame, config) -> TrainingData              validated features, label, audit attributes
    train(data, config, out_dir) -> TrainResult         split, fit, calibrate, threshold, evaluate, save
    TriageModel.load(model_dir)                          hash-checked, pickle-free loading
    load_model(reference)                                a directory or models:/NAME@ALIAS
    log_training_run(...)                                MLflow run + registry alias
"""

from pathlib import Path

from models._config import TrainConfig
from models._data import TrainingData, prepare
from models._predictor import FLAG_TEXT, LOW_RISK_TEXT, Explanation, TriageModel
from models._tracking import log_training_run, resolve_model_dir, tracking_uri
from models._training import TrainResult, train
from triage.config import load_config


def load_train_config(path: str | Path, overrides: list[str] | None = None) -> TrainConfig:
    """Load and validate a training config (``extends`` and ``--set`` overrides supported)."""
    return load_config(TrainConfig, path, overrides)


def load_model(reference: str | Path) -> TriageModel:
    """Load a model from a directory or an MLflow registry URI such as ``models:/chest-pain-triage@champion``."""
    return TriageModel.load(resolve_model_dir(str(reference)))


__all__ = [
    "FLAG_TEXT",
    "LOW_RISK_TEXT",
    "Explanation",
    "TrainConfig",
    "TrainResult",
    "TrainingData",
    "TriageModel",
    "load_model",
    "load_train_config",
    "log_training_run",
    "prepare",
    "resolve_model_dir",
    "tracking_uri",
    "train",
]
