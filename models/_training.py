"""``train``: split, fit, calibrate, threshold, evaluate against baselines and save the model directory.

Steps (each a function of its own module)::

    prepare (validate, label)  ->  stratified_split (label x sex)
      ->  threshold.rule = cross_fit (default): K folds over every non-test row, each scored by a model fitted
          (with early stopping) on the others; calibration and thresholds on those out-of-fold predictions;
          the shipped model refitted on all non-test rows with the folds' mean number of rounds scaled by the
          rows ratio (final_rounds)
          (as scikit-learn's CalibratedClassifierCV(ensemble=False): cross_val_predict, one calibrator, refit)
        | threshold.rule = calibration_split: fit_estimator (train, early stopping), then calibration and
          thresholds on the calibration split alone
      ->  evaluate + evaluate_baselines (test split)  ->  save_model_dir (+ plots)
"""

from __future__ import annotations

import json
import os
import platform
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedKFold, train_test_split

from chestpain.features import LATER_SAMPLE_FEATURES, ONE_HOUR_DRAWN, build_preprocessor, feature_columns
from chestpain.models._calibration import Calibration, fit_calibration
from chestpain.models._config import TrainConfig
from chestpain.models._data import Split, TrainingData, stratified_split
from chestpain.models._estimators import FittedEstimator, fit_estimator, fit_final_estimator, xgb_params
from chestpain.models._evaluation import (
    evaluate,
    evaluate_baselines,
    group_metrics,
    guarantee_metrics,
    rule_out_cost,
)
from chestpain.models._guarantees import DecisionRules, choose_group_thresholds, group_masks
from chestpain.models._model_card import write_model_card
from chestpain.models._output_dir import output_lock
from chestpain.models._persistence import MaceModel, save_model_dir
from chestpain.models._plots import calibration_plot, threshold_plot
from chestpain.models._predictor import TriageModel
from chestpain.models._thresholds import apply_thresholds, choose_thresholds

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


def training_data_description(config: TrainConfig, provenance: dict[str, Any] | None) -> dict[str, Any]:
    """What the model card says about the data: the file's provenance, or at least simulated/UCI/unknown."""
    if config.features.dataset == "uci":
        return {"source": "uci", **(provenance or {})}
    return dict(provenance) if provenance else {"source": "unknown"}


def build_manifest(
    config: TrainConfig,
    data_hash: str,
    metrics: dict[str, Any],
    baselines: dict[str, Any],
    *,
    training_engine: dict[str, Any] | None = None,
    models_v2: dict[str, Any] | None = None,
    provenance: dict[str, Any] | None = None,
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
        "training_data": training_data_description(config, provenance),
        **engine,
        "threshold_target_sensitivity": config.threshold.target_sensitivity,
        "threshold_rule": "flag = calibrated risk >= threshold of the patient's sex",
        "metrics": metrics,
        "baselines": baselines,
        "package_versions": package_versions(),
        **(models_v2 or {}),
    }


# --- models-v2 manifest fields (issue 14) -------------------------------------------------------------------
# The one place that adds them; the manifest's pydantic model (models/_persistence.py) should declare:
#   threshold_selection: {rule: "cross_fit"|"calibration_split", folds: int|None, target_sensitivity: float,
#                         confidence: float, per_sex: bool, n_rows: int, n_positive: {female: int, male: int},
#                         final_model_rounds: int|None}
#   monotone_features: list[str]         output features along which the score never falls
#   explanation: {method: "baseline_shapley", reference: list[float]}   one value per output feature
def models_v2_manifest(
    config: TrainConfig,
    estimator: FittedEstimator,
    reference: np.ndarray,
    selection: dict[str, Any],
    *,
    rule: str | None = None,
) -> dict[str, Any]:
    """The manifest fields issue 14 adds: how the threshold was chosen, the constraints, the explanation reference.

    ``rule`` is the threshold rule actually used (the dask engine has only the calibration split).
    """
    from chestpain.features import monotone_features

    rule = rule or config.threshold.rule
    return {
        "threshold_selection": {
            "rule": rule,
            "folds": config.threshold.folds if rule == "cross_fit" else None,
            "target_sensitivity": config.threshold.target_sensitivity,
            "confidence": config.threshold.confidence,
            "per_sex": config.threshold.per_sex,
            **selection,
        },
        "monotone_features": list(monotone_features(estimator.feature_names)) if config.model.monotone else [],
        "explanation": {"method": "baseline_shapley", "reference": [float(v) for v in reference]},
    }


# -------------------------------------------------------------------------------------------------------------


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
    *,
    mace: MaceModel | None = None,
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
        write_model_card(directory, json.loads((directory / "manifest.json").read_text(encoding="utf-8")))

    out_dir = Path(out_dir)
    with output_lock(out_dir):
        digest = save_model_dir(estimator, calibration, thresholds, manifest, out_dir, add=plots, mace=mace)
        model = TriageModel.load(out_dir)
    return model, [out_dir / "plots" / name for name in names], digest


@dataclass
class Fitted:
    """What either threshold rule produces for one question: the shipped estimator and its calibration."""

    estimator: FittedEstimator
    calibration: Calibration
    selection_index: np.ndarray  # rows whose (out-of-fold) risk chose the thresholds
    selection_risk: np.ndarray
    reference: np.ndarray  # the explanation's reference patient: median of each transformed feature
    selection: dict[str, Any]  # manifest details of the threshold selection


def _strata(data: TrainingData, y: np.ndarray) -> np.ndarray:
    return y.astype(int) * 2 + (data.attributes["sex"].astype("string") == "female").to_numpy().astype(int)


def decision_rules(
    config: TrainConfig, data: TrainingData, mi: Fitted, mace: Fitted | None
) -> tuple[DecisionRules, dict[str, Any]]:
    """Thresholds from each question's (out-of-fold) risk: MI by sex and by guaranteed group, MACE by sex.

    Also returns the manifest's ``threshold_groups``. Each rule is the one-sided ``confidence`` Wilson bound of
    ``models._thresholds`` on the rows that chose it.
    """
    spec = config.threshold
    rows = mi.selection_index
    sex = data.attributes["sex"].iloc[rows]
    y = data.label[rows]
    thresholds = choose_thresholds(
        mi.selection_risk, y, sex, target=spec.target_sensitivity, per_sex=spec.per_sex, confidence=spec.confidence
    )
    groups = choose_group_thresholds(
        mi.selection_risk,
        y,
        group_masks(data.features.iloc[rows], spec.groups),
        target=spec.target_sensitivity,
        confidence=spec.confidence,
    )
    mace_thresholds = None
    if mace is not None:
        mace_thresholds = choose_thresholds(
            mace.selection_risk,
            data.mace_label[mace.selection_index],
            data.attributes["sex"].iloc[mace.selection_index],
            target=config.mace.target_sensitivity,
            per_sex=spec.per_sex,
            confidence=spec.confidence,
        )
    return DecisionRules(thresholds, tuple(groups), mace_thresholds), {"threshold_groups": groups}


def _selection_counts(data: TrainingData, rows: np.ndarray, y: np.ndarray) -> dict[str, Any]:
    sex = data.attributes["sex"].astype("string").to_numpy()[rows]
    y = y[rows]
    return {"n_rows": int(len(rows)), "n_positive": {g: int((y & (sex == g)).sum()) for g in ("female", "male")}}


#: Features the reference patient holds at zero: "no 1 h change" (0 in ng/L, in log1p and as a log ratio), the
#: clinical reference, so any change reads as raising risk under the monotone constraints and none as "unchanged".
CHANGE_FEATURES = (
    "troponin_change_abs_ng_l",
    "troponin_rise_ng_l",
    "troponin_relative_change",
    "troponin_relative_rise",
)
#: The course's changes: no change between any two samples.
COURSE_CHANGE_FEATURES = ("troponin_course_change_ng_l", "troponin_course_relative_change")
#: ... and "no later sample drawn" (issue 25), so a later sample is explained by what it adds to 0 h and 1 h.
ZERO_IN_REFERENCE = (*CHANGE_FEATURES, *LATER_SAMPLE_FEATURES, *COURSE_CHANGE_FEATURES)


def explanation_reference(estimator: FittedEstimator, features: pd.DataFrame) -> np.ndarray:
    """The reference patient of the explanations: the median of each feature (from up to 100,000 rows), no change.

    The reference has a 1 h sample (the medians come from the visits with one, when some lack it), so that a
    missing 1 h sample is explained by what its absence does, and a present one by its value.
    """
    rows = features.iloc[:: max(1, len(features) // 100_000)]
    transformed = estimator.transform(rows)
    names = list(estimator.feature_names)
    if ONE_HOUR_DRAWN in names and (drawn := transformed[:, names.index(ONE_HOUR_DRAWN)] == 1).any():
        transformed = transformed[drawn]
    reference = np.median(transformed, axis=0)
    for j, name in enumerate(estimator.feature_names):
        if name in ZERO_IN_REFERENCE:
            reference[j] = 0.0
    return reference


def fit_on_calibration_split(
    data: TrainingData,
    config: TrainConfig,
    split: Split,
    on_round: Callable[[], None] | None = None,
    y: np.ndarray | None = None,
    on_stage: Callable[[str, int], None] | None = None,
) -> Fitted:
    """The earlier rule: fit on the training split, calibrate and threshold on the calibration split.

    ``y``: the question's label (default the training label; the 30-day MACE label for the second question).
    """
    features = data.features
    y = data.label if y is None else y
    if on_stage is not None:
        on_stage("model", _round_cap(config))
    estimator = fit_estimator(
        config.model,
        build_preprocessor(config.features),
        features.iloc[split.train],
        y[split.train],
        features.iloc[split.early_stopping],
        y[split.early_stopping],
        seed=config.split.seed,
        on_round=on_round,
    )
    cal_raw = estimator.raw_score(features.iloc[split.calibration])
    calibration, _ = fit_calibration(cal_raw, y[split.calibration], config.calibration.method)
    cal_risk = calibration.apply(cal_raw)
    selection = {**_selection_counts(data, split.calibration, y), "final_model_rounds": None}
    reference = explanation_reference(estimator, features.iloc[split.train])
    return Fitted(estimator, calibration, split.calibration, cal_risk, reference, selection)


def final_rounds(fold_rounds: list[int], fold_fit_rows: list[int], n_rows: int, cap: int) -> int:
    """Boosting rounds of the model refitted on all ``n_rows``: the folds' early-stopped rounds x the rows ratio.

    Never more than ``cap``, the config's ``n_estimators`` (the most rounds the user allows any fit).

    Each fold's model was early-stopped on log-loss with about 57% of the rows (3 folds, 15% of the rest held out
    for stopping); the refit sees all of them, and with more rows each round overfits less, so it supports more
    rounds. Scaling by the rows ratio is the simple proportional rule; the folds' plain mean stopped too early
    for the 99%-sensitivity tail: on five seeded 200,000-visit training/test cohort pairs (shipped xgboost
    config, simulator of commit 28b181d) the ranking at equal sensitivity rose from 0.968 to 0.975 of the oracle's
    on average, AUROC from 0.9973 to 0.9977 of the oracle's (README, model section). Calibration and thresholds
    come from the folds' scores; on an independent cohort the refit stays calibrated (deciles within 0.2 points,
    expected calibration error 0.0012, seeds 424242/424243) and keeps 99% sensitivity in each sex.
    """
    scale = n_rows / float(np.mean(fold_fit_rows))
    return min(int(cap), max(1, int(round(float(np.mean(fold_rounds)) * scale))))


def _round_cap(config: TrainConfig) -> int:
    """Boosting rounds a fit may run (xgboost's ``n_estimators``); one step for a logistic model."""
    return int(config.model.params.get("n_estimators", 500)) if config.model.kind == "xgboost" else 1


def fit_cross_fitted(
    data: TrainingData,
    config: TrainConfig,
    split: Split,
    on_round: Callable[[], None] | None = None,
    y: np.ndarray | None = None,
    on_stage: Callable[[str, int], None] | None = None,
) -> Fitted:
    """Cross-fitting: thresholds from out-of-fold risk of every non-test row; the shipped model refitted on all.

    Each fold is scored by a model that never saw it, so the out-of-fold risk of a patient is what a model
    would give a new patient; the one-sided Wilson bound then counts every MI of the non-test rows (e.g. about
    2.5 times the calibration split's) and its margin above 99% shrinks accordingly. The shipped model is
    refitted on all non-test rows with the folds' mean number of boosting rounds times the rows ratio
    (:func:`final_rounds`) and calibrated by the out-of-fold calibration; the independent-cohort tests check
    that its flag keeps the guarantee.
    """
    spec, seed = config.model, config.split.seed
    features, y = data.features, (data.label if y is None else y)
    pool = np.sort(np.concatenate([split.train, split.early_stopping, split.calibration]))
    strata = _strata(data, y)
    folds = StratifiedKFold(n_splits=config.threshold.folds, shuffle=True, random_state=seed + 3)
    oof_raw = np.empty(len(pool))
    rounds, fit_sizes = [], []
    for k, (inner, held) in enumerate(folds.split(pool, strata[pool])):
        if on_stage is not None:  # a fold stops early when its validation loss stops improving
            on_stage(f"fold {k + 1} of {config.threshold.folds}", _round_cap(config))
        inner_rows = pool[inner]
        fit_rows, early_rows = train_test_split(
            inner_rows,
            test_size=config.split.early_stopping_fraction,
            stratify=strata[inner_rows],
            random_state=seed + 10 + k,
        )
        fold_model = fit_estimator(
            spec,
            build_preprocessor(config.features),
            features.iloc[fit_rows],
            y[fit_rows],
            features.iloc[early_rows],
            y[early_rows],
            seed=seed,
            on_round=on_round,
        )
        oof_raw[held] = fold_model.raw_score(features.iloc[pool[held]])
        if fold_model.kind == "xgboost":
            rounds.append(int(fold_model.xgb_model.best_iteration) + 1)
            fit_sizes.append(len(fit_rows))
    calibration, _ = fit_calibration(oof_raw, y[pool], config.calibration.method)
    oof_risk = calibration.apply(oof_raw)
    cap = int(xgb_params(spec, []).get("n_estimators", 500)) if rounds else 0
    n_rounds = final_rounds(rounds, fit_sizes, len(pool), cap) if rounds else None
    if on_stage is not None:
        on_stage("final model on every non-test row", n_rounds or 1)
    estimator = fit_final_estimator(
        spec,
        build_preprocessor(config.features),
        features.iloc[pool],
        y[pool],
        n_rounds=n_rounds or 1,
        seed=seed,
        on_round=on_round,
    )
    selection = {**_selection_counts(data, pool, y), "final_model_rounds": n_rounds}
    return Fitted(
        estimator,
        calibration,
        pool,
        oof_risk,
        explanation_reference(estimator, features.iloc[pool]),
        selection,
    )


def train(
    data: TrainingData,
    config: TrainConfig,
    out_dir: str | os.PathLike[str],
    *,
    on_round: Callable[[], None] | None = None,
    on_stage: Callable[[str, int], None] | None = None,
) -> TrainResult:
    """Train, calibrate, threshold and evaluate both questions; write the model directory atomically.

    ``on_stage(description, total_rounds)`` is called as each stage starts (``MI question: fold 2 of 3``, ...,
    ``thresholds and evaluation``), ``on_round`` after each boosting round: the CLI's progress bar.
    """

    def staged(question: str) -> Callable[[str, int], None] | None:
        return None if on_stage is None else lambda what, total: on_stage(f"{question}: {what}", total)

    split = stratified_split(data.label, data.attributes["sex"], config.split)
    features = data.features
    fit = fit_cross_fitted if config.threshold.rule == "cross_fit" else fit_on_calibration_split
    fitted = fit(data, config, split, on_round, None, staged("MI question"))
    mace_fitted = (
        fit(data, config, split, on_round, data.mace_label, staged("30-day MACE question"))
        if data.mace_label is not None
        else None
    )
    if on_stage is not None:
        on_stage("thresholds, evaluation and the model directory", 0)
    rules, group_manifest = decision_rules(config, data, fitted, mace_fitted)
    estimator, calibration = fitted.estimator, fitted.calibration
    test_features = features.iloc[split.test]
    test_sex = data.attributes["sex"].iloc[split.test]
    test_risk = calibration.apply(estimator.raw_score(test_features))
    test_risk_mace = (
        mace_fitted.calibration.apply(mace_fitted.estimator.raw_score(test_features)) if mace_fitted else None
    )
    test_mi_flag = rules.mi_flag(test_features, test_risk)
    test_flag = test_mi_flag | rules.mace_flag(test_features, test_risk_mace)
    y_eval = data.evaluation_label[split.test]
    oracle = data.oracle[split.test] if data.oracle is not None else None
    target = config.threshold.target_sensitivity
    metrics = {
        "evaluation_label": config.evaluation_label or ("mi" if config.label != "cad" else "cad"),
        "test": evaluate(test_risk, test_flag, y_eval, test_sex, oracle=oracle, target=target),
        "test_against_training_label": evaluate(test_risk, test_flag, data.label[split.test], test_sex),
        "by_group": group_metrics(data.attributes.iloc[split.test], test_risk, test_flag, y_eval),
        "split_sizes": {
            name: int(len(getattr(split, name))) for name in ("train", "early_stopping", "calibration", "test")
        },
    }
    if config.features.dataset == "cohort":
        metrics["guarantees"] = guarantee_metrics(test_features, test_flag, y_eval, config.threshold.groups)
        per_sex_only = apply_thresholds(test_risk, test_sex, rules.thresholds)
        metrics["rule_out_cost"] = rule_out_cost(per_sex_only, test_mi_flag, test_flag)
    if mace_fitted is not None:
        metrics["test_mi_question"] = evaluate(test_risk, test_mi_flag, y_eval, test_sex, oracle=oracle, target=target)
        y_mace = data.mace_label[split.test]
        mace_oracle = data.mace_oracle[split.test] if data.mace_oracle is not None else None
        metrics["test_mace_30d"] = evaluate(
            test_risk_mace, test_flag, y_mace, test_sex, oracle=mace_oracle, target=config.mace.target_sensitivity
        )
    if estimator.kind == "xgboost":
        metrics["best_iteration"] = (
            int(estimator.xgb_model.best_iteration)
            if config.threshold.rule == "calibration_split"
            else int(fitted.selection["final_model_rounds"]) - 1
        )
    baselines = (
        evaluate_baselines(data.raw.iloc[split.test], y_eval, test_sex) if config.features.dataset == "cohort" else {}
    )
    manifest = build_manifest(
        config,
        data.data_hash,
        metrics,
        baselines,
        provenance=data.provenance,
        models_v2={
            **models_v2_manifest(config, estimator, fitted.reference, fitted.selection),
            **group_manifest,
        },
    )
    mace = (
        MaceModel(mace_fitted.estimator, mace_fitted.calibration, rules.mace_thresholds, config.mace.target_sensitivity)
        if mace_fitted is not None
        else None
    )
    model, plots, digest = save_with_plots(
        estimator,
        calibration,
        rules.thresholds,
        manifest,
        out_dir,
        test_risk,
        y_eval,
        test_sex,
        metrics["evaluation_label"],
        mace=mace,
    )
    return TrainResult(
        model,
        metrics,
        baselines,
        plots,
        split.test,
        test_risk,
        test_flag,
        fitted.selection_index,
        fitted.selection_risk,
        digest,
    )
