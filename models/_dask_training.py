"""``chestpain train --engine dask``: XGBoost trained with ``xgboost.dask`` on a partitioned cohort.

Same model directory, manifest and MLflow logging as :func:`models.train`; what changes with scale:

* **Split.** Rows are assigned to train / early-stopping / calibration / test by a hash of ``patient_id`` and
  the split seed (not a stratified shuffle, which needs every row in one place), so the assignment does not
  depend on partitioning. The fractions are the config's.
* **Preprocessor.** The feature pipeline (imputation, one-hot) is fitted on at most ``PREPROCESSOR_ROWS``
  training rows taken from the first partitions, then applied to every partition on the workers.
* **Booster.** ``xgboost.dask.DaskXGBClassifier`` with the config's parameters and early stopping on the
  early-stopping rows; the result is an ordinary booster, saved as UBJ like the local trainer's.
* **Calibration, thresholds, evaluation.** Isotonic calibration, thresholds and test metrics are fitted on the
  client from the calibration and test rows; each is subsampled (by a second hash) to at most
  ``EVAL_ROWS`` rows so the client's memory does not grow with the data.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import xgboost as xgb
import xgboost.dask as dxgb

from chestpain.features import build_preprocessor, read_provenance, read_table, validate_uci, validate_visits
from chestpain.kernel.errors import TriageError
from chestpain.models._calibration import fit_calibration
from chestpain.models._config import TrainConfig
from chestpain.models._data import frame_hash, parse_label
from chestpain.models._estimators import FittedEstimator, xgb_params
from chestpain.models._evaluation import evaluate, evaluate_baselines
from chestpain.models._guarantees import DecisionRules, choose_group_thresholds, group_masks
from chestpain.models._thresholds import choose_thresholds
from chestpain.models._training import (
    TrainResult,
    build_manifest,
    explanation_reference,
    models_v2_manifest,
    save_with_plots,
)
from chestpain.simulation import cohort_files

PREPROCESSOR_ROWS = 200_000
EVAL_ROWS = 2_000_000
TRAIN, EARLY, CALIBRATION, TEST = 0, 1, 2, 3
NEED_XGBOOST = "the dask engine trains XGBoost only (model.kind: xgboost); train logistic models with --engine local"
NEED_ID = "{source}: the dask engine splits rows by patient_id; the column is missing"


def _uniform(ids: np.ndarray, salt: int) -> np.ndarray:
    """A stable pseudo-random number in [0, 1) per id (splitmix64 finaliser; no Python ``hash()``)."""
    z = ids.astype(np.uint64) + np.uint64((0x9E3779B97F4A7C15 * (salt + 1)) % 2**64)
    with np.errstate(over="ignore"):
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(11)).astype(np.float64) / float(2**53)


def split_of(ids: np.ndarray, config: TrainConfig) -> np.ndarray:
    """Part of each row (TRAIN, EARLY, CALIBRATION, TEST) from its ``patient_id`` and the split seed."""
    spec = config.split
    u = _uniform(ids, spec.seed)
    rest = spec.test_fraction + spec.calibration_fraction
    early_end = rest + (1 - rest) * spec.early_stopping_fraction
    part = np.full(len(ids), TRAIN, dtype=np.int8)
    part[u < early_end] = EARLY
    part[u < rest] = CALIBRATION
    part[u < spec.test_fraction] = TEST
    return part


def _validated(frame: pd.DataFrame, config: TrainConfig, source: str) -> tuple[pd.DataFrame, np.ndarray]:
    if config.label not in frame.columns:
        raise TriageError(f"{source}: the label column {config.label!r} is missing (training config label)")
    if "patient_id" not in frame.columns:
        raise TriageError(NEED_ID.format(source=source))
    if config.features.dataset == "uci":
        features = validate_uci(frame, source=source)
    else:
        features = validate_visits(frame, symptom_source=config.features.symptom_source, source=source)
    return features.reset_index(drop=True), parse_label(frame[config.label], config.label)


def _matrix(path: str, config: TrainConfig, preprocessor: Any, names: list[str]) -> pd.DataFrame:
    """Transformed features (float32), label and part of every row of one partition (runs on a worker)."""
    frame = read_table(path)
    features, label = _validated(frame, config, Path(path).name)
    x = np.asarray(preprocessor.transform(features), dtype=np.float32)
    out = pd.DataFrame(x, columns=names)
    out["__label"] = label.astype(np.int8)
    out["__part"] = split_of(frame["patient_id"].to_numpy(np.int64), config)
    return out


def _held_out(path: str, config: TrainConfig, keep: dict[int, float]) -> tuple[str, int, pd.DataFrame]:
    """One partition's hash, row count and its (subsampled) calibration and test rows (runs on a worker)."""
    frame = read_table(path)
    digest = frame_hash(frame)
    _validated(frame, config, Path(path).name)
    ids = frame["patient_id"].to_numpy(np.int64)
    part = split_of(ids, config)
    second = _uniform(ids, config.split.seed + 7919)
    mask = np.zeros(len(frame), dtype=bool)
    for which, share in keep.items():
        mask |= (part == which) & (second < share)
    rows = frame.loc[mask].copy()
    rows["__part"] = part[mask]
    return digest, len(frame), rows.reset_index(drop=True)


def _fit_preprocessor(files: list[Path], config: TrainConfig) -> Any:
    """The feature pipeline fitted on up to PREPROCESSOR_ROWS training rows from the first partitions."""
    preprocessor = build_preprocessor(config.features)
    taken: list[pd.DataFrame] = []
    rows = 0
    for path in files:
        frame = read_table(path)
        features, _ = _validated(frame, config, path.name)
        train_rows = features[split_of(frame["patient_id"].to_numpy(np.int64), config) == TRAIN]
        taken.append(train_rows)
        rows += len(train_rows)
        if rows >= PREPROCESSOR_ROWS:
            break
    preprocessor.fit(pd.concat(taken, ignore_index=True).head(PREPROCESSOR_ROWS))
    return preprocessor


def train_dask(
    data: str | os.PathLike[str], config: TrainConfig, out_dir: str | os.PathLike[str], *, client: Any
) -> TrainResult:
    """Train on a partitioned cohort with ``xgboost.dask``; write the same model directory as ``models.train``."""
    import dask.dataframe as dd

    if config.model.kind != "xgboost":
        raise TriageError(NEED_XGBOOST)
    files = cohort_files(data)
    n_rows = sum(pq.ParquetFile(path).metadata.num_rows for path in files)
    preprocessor = _fit_preprocessor(files, config)
    names = [f"f{i}" for i in range(len(preprocessor.get_feature_names_out()))]
    meta = pd.DataFrame({**{name: pd.Series(dtype=np.float32) for name in names}})
    meta["__label"] = pd.Series(dtype=np.int8)
    meta["__part"] = pd.Series(dtype=np.int8)
    table = dd.from_map(
        _matrix, [str(path) for path in files], config=config, preprocessor=preprocessor, names=names, meta=meta
    )
    train_rows = table[table["__part"] == TRAIN].persist()
    early_rows = table[table["__part"] == EARLY].persist()

    spec = config.model
    params = xgb_params(spec, list(preprocessor.get_feature_names_out()))  # monotone constraints (issue 14)
    try:
        model = dxgb.DaskXGBClassifier(
            **params,
            early_stopping_rounds=spec.early_stopping_rounds,
            eval_metric="logloss",
            random_state=config.split.seed,
        )
    except TypeError as error:
        raise TriageError(f"model.params: {error}") from None
    model.client = client
    model.fit(
        train_rows[names],
        train_rows["__label"],
        eval_set=[(early_rows[names], early_rows["__label"])],
        verbose=False,
    )
    booster = model.get_booster()
    best_iteration = int(model.best_iteration)
    # The local trainer's booster sees plain matrices; drop the placeholder column names so both load alike.
    booster.feature_names = None
    booster.feature_types = None
    classifier = xgb.XGBClassifier()
    classifier.load_model(bytearray(booster.save_raw("ubj")))
    estimator = FittedEstimator("xgboost", preprocessor, xgb_model=classifier)
    del train_rows, early_rows

    shares = {
        CALIBRATION: min(1.0, EVAL_ROWS / max(1.0, n_rows * config.split.calibration_fraction)),
        TEST: min(1.0, EVAL_ROWS / max(1.0, n_rows * config.split.test_fraction)),
    }
    futures = client.map(_held_out, [str(path) for path in files], config=config, keep=shares, pure=False)
    results = client.gather(futures)
    digest = hashlib.sha256(b"partitioned:" + ",".join(d for d, _, _ in results).encode()).hexdigest()
    held = pd.concat([rows for _, _, rows in results], ignore_index=True)
    held_features, held_label = _validated(held, config, "held-out rows")
    part = held["__part"].to_numpy()
    sex = held_features["sex"]
    evaluation_name = config.evaluation_label or ("mi" if "mi" in held.columns else config.label)
    held_eval = parse_label(held[evaluation_name], evaluation_name)
    cal, test = part == CALIBRATION, part == TEST
    if held_label[cal].all() or not held_label[cal].any():
        raise TriageError(f"{data}: the calibration rows hold only one class of {config.label!r}; need more data")

    cal_raw = estimator.raw_score(held_features[cal])
    calibration, _ = fit_calibration(cal_raw, held_label[cal], config.calibration.method)
    cal_risk = calibration.apply(cal_raw)
    thresholds = choose_thresholds(
        cal_risk,
        held_label[cal],
        sex[cal],
        target=config.threshold.target_sensitivity,
        per_sex=config.threshold.per_sex,
        confidence=config.threshold.confidence,
    )
    # Issue 25's group guarantees on the same calibration rows (the 30-day MACE question is local-engine only).
    groups = choose_group_thresholds(
        cal_risk,
        held_label[cal],
        group_masks(held_features[cal], config.threshold.groups),
        target=config.threshold.target_sensitivity,
        confidence=config.threshold.confidence,
    )
    test_sex = sex[test]
    test_risk = calibration.apply(estimator.raw_score(held_features[test]))
    test_flag = DecisionRules(thresholds, tuple(groups)).mi_flag(held_features[test], test_risk)
    y_eval = held_eval[test]
    oracle = held["oracle_mi_probability"].to_numpy(float)[test] if "oracle_mi_probability" in held.columns else None
    counts = {
        name: int(np.count_nonzero(part == code)) for name, code in (("calibration", CALIBRATION), ("test", TEST))
    }
    metrics = {
        "evaluation_label": config.evaluation_label or ("mi" if config.label != "cad" else "cad"),
        "test": evaluate(test_risk, test_flag, y_eval, test_sex, oracle=oracle),
        "test_against_training_label": evaluate(test_risk, test_flag, held_label[test], test_sex),
        "split_sizes": {"rows": n_rows, **counts},
        "best_iteration": best_iteration,
    }
    raw_test = held.loc[test].drop(columns="__part").reset_index(drop=True)
    baselines = evaluate_baselines(raw_test, y_eval, test_sex) if config.features.dataset == "cohort" else {}
    engine = {
        "engine": "dask",
        "partitions": len(files),
        "split_rule": "hash of patient_id and split.seed",
        "preprocessor_rows": PREPROCESSOR_ROWS,
        "eval_rows_cap": EVAL_ROWS,
        "data_hash_rule": "sha256 over the per-partition frame hashes, in file order",
        "mace_30d": "not trained: the 30-day MACE question needs the local engine",
    }
    # Issue 14 fields; this engine always thresholds on the calibration split (no cross-fitting).
    selection = {"n_rows": int(cal.sum()), "final_model_rounds": None}
    reference = explanation_reference(estimator, held_features[cal])
    v2 = {
        **models_v2_manifest(config, estimator, reference, selection, rule="calibration_split"),
        "threshold_groups": groups,
    }
    manifest = build_manifest(
        config, digest, metrics, baselines, training_engine=engine, models_v2=v2, provenance=read_provenance(data)
    )
    loaded, plots, manifest_sha256 = save_with_plots(
        estimator, calibration, thresholds, manifest, out_dir, test_risk, y_eval, test_sex, metrics["evaluation_label"]
    )
    index = np.arange(len(held))
    return TrainResult(
        loaded, metrics, baselines, plots, index[test], test_risk, test_flag, index[cal], cal_risk, manifest_sha256
    )
