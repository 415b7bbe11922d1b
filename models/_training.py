"""``train``: split, fit, calibrate, threshold, evaluate against baselines and save the model directory.

Steps (each a function of its own module)::

    prepare (validate, label)  ->  stratified_split (label x sex)  ->  fit_estimator (train, early stopping)
      ->  fit_calibration (calibration split)  ->  choose_thresholds (calibration split, per sex)
      ->  evaluate + evaluate_baselines (test split)  ->  save_model_dir (+ plots)
"""

from __future__ import annotations

import os
import platform
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from features import build_preprocessor, feature_columns
from models._calibration import Calibration, fit_calibration
from models._config import TrainConfig
from models._data import TrainingData, stratified_split
from models._estimators import FittedEstimator, fit_estimator
from models._evaluation import evaluate, evaluate_baselines
from models._output_dir import output_lock
from models._persistence import save_model_dir
from models._plots import calibration_plot, threshold_plot
from models._predictor import TriageModel
from models._thresholds import apply_thresholds, choose_thresholds

PACKAGES = ("numpy", "pandas", "scikit-learn", "xgboost-cpu", "skops", "mlflow", "fairlearn", "shap")


def package_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


@dataclass
class TrainResult:
    """What a training run produced."""

    model: TriageModel
    metrics: dict[str, Any]
    baselines: dict[str, Any]
    plots: list[Path]
    test_index: np.ndarray
    test_risk: np.ndarray
    test_flag: np.ndarray
    calibration_index: np.ndarray
    calibration_risk: np.ndarray
    #: sha256 of the manifest this run wrote; MLflow logging refuses a directory whose manifest differs.
    manifest_sha256: str = ""


def build_manifest(
    config: TrainConfig,
    data_hash: str,
    metrics: dict[str, Any],
    baselines: dict[str, Any],
    *,
    training_engine: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The manifest a trainer hands to :func:`save_model_dir`.

    One builder for the local and the dask trainer, so both model directories carry the same keys and nothing
    that reads ``manifest.json`` needs to know which engine trained the model. ``training_engine`` records how a
    non-local engine split, sampled and hashed the data.
    """
    engine = {} if training_engine is None else {"training_engine": training_engine}
    return {
        "name": config.name,
        "label": config.label,
        "features": list(feature_columns(config.features)),
        "feature_config": config.features.model_dump(),
        "train_config": config.model_dump(mode="json"),
        "training_data_sha256": data_hash,
        **engine,
        "threshold_target_sensitivity": config.threshold.target_sensitivity,
        "threshold_rule": "flag = calibrated risk >= threshold of the patient's sex",
        "metrics": metrics,
        "baselines": baselines,
        "package_versions": package_versions(),
    }


def save_with_plots(
    estimator: FittedEstimator,
    calibration: Calibration,
    thresholds: dict[str, float],
    manifest: dict[str, Any],
    out_dir: str | os.PathLike[str],
    test_risk: np.ndarray,
    y_eval: np.ndarray,
    test_sex: pd.Series,
    label_name: str,
) -> tuple[TriageModel, list[Path], str]:
    """Write the model directory with its test-split plots in one switch, and load it back.

    The plots are drawn into the new directory before it replaces the old one, so a killed run never leaves a
    model without them. The model is loaded from disk rather than wrapped in memory so a run returns exactly
    what a later ``load_model`` gives (hash checks included), whichever engine trained it. Also returns the
    manifest's sha256.
    """
    names = ("calibration_by_sex.png", "threshold_tradeoff_by_sex.png")

    def plots(directory: Path) -> None:
        (directory / "plots").mkdir()
        calibration_plot(test_risk, y_eval, test_sex, directory / "plots" / names[0], label_name)
        threshold_plot(test_risk, y_eval, test_sex, thresholds, directory / "plots" / names[1])

    out_dir = Path(out_dir)
    with output_lock(out_dir):
        digest = save_model_dir(estimator, calibration, thresholds, manifest, out_dir, add=plots)
        model = TriageModel.load(out_dir)
    return model, [out_dir / "plots" / name for name in names], digest


def train(
    data: TrainingData,
    config: TrainConfig,
    out_dir: str | os.PathLike[str],
    *,
    on_round: Callable[[], None] | None = None,
) -> TrainResult:
    """Train, calibrate, threshold and evaluate; write the model directory atomically."""
    split = stratified_split(data.label, data.attributes["sex"], config.split)
    features = data.features
    preprocessor = build_preprocessor(config.features)
    estimator = fit_estimator(
        config.model,
        preprocessor,
        features.iloc[split.train],
        data.label[split.train],
        features.iloc[split.early_stopping],
        data.label[split.early_stopping],
        seed=config.split.seed,
        on_round=on_round,
    )
    cal_raw = estimator.raw_score(features.iloc[split.calibration])
    calibration, _ = fit_calibration(cal_raw, data.label[split.calibration], config.calibration.method)
    cal_risk = calibration.apply(cal_raw)
    cal_sex = data.attributes["sex"].iloc[split.calibration]
    thresholds = choose_thresholds(
        cal_risk,
        data.label[split.calibration],
        cal_sex,
        target=config.threshold.target_sensitivity,
        per_sex=config.threshold.per_sex,
        confidence=config.threshold.confidence,
    )
    test_features = features.iloc[split.test]
    test_sex = data.attributes["sex"].iloc[split.test]
    test_risk = calibration.apply(estimator.raw_score(test_features))
    test_flag = apply_thresholds(test_risk, test_sex, thresholds)
    y_eval = data.evaluation_label[split.test]
    oracle = data.oracle[split.test] if data.oracle is not None else None
    metrics = {
        "evaluation_label": config.evaluation_label or ("mi" if config.label != "cad" else "cad"),
        "test": evaluate(test_risk, test_flag, y_eval, test_sex, oracle=oracle),
        "test_against_training_label": evaluate(test_risk, test_flag, data.label[split.test], test_sex),
        "split_sizes": {
            name: int(len(getattr(split, name))) for name in ("train", "early_stopping", "calibration", "test")
        },
    }
    if estimator.kind == "xgboost":
        metrics["best_iteration"] = int(estimator.xgb_model.best_iteration)
    baselines = (
        evaluate_baselines(data.raw.iloc[split.test], y_eval, test_sex) if config.features.dataset == "cohort" else {}
    )
    manifest = build_manifest(config, data.data_hash, metrics, baselines)
    model, plots, digest = save_with_plots(
        estimator, calibration, thresholds, manifest, out_dir, test_risk, y_eval, test_sex, metrics["evaluation_label"]
    )
    return TrainResult(
        model, metrics, baselines, plots, split.test, test_risk, test_flag, split.calibration, cal_risk, digest
    )
