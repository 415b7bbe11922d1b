"""Training data: validated features, the label, the attributes an audit needs, and the stratified split."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from chestpain.features import feature_columns, validate_uci, validate_visits
from chestpain.kernel.errors import TriageError
from chestpain.models._config import SplitSpec, TrainConfig

TRUE_TEXT = {"true", "1", "yes", "t", "y"}
FALSE_TEXT = {"false", "0", "no", "f", "n"}
ATTRIBUTE_COLUMNS = ("sex", "age", "race", "site")


@dataclass
class TrainingData:
    """Everything training needs, aligned row for row."""

    features: pd.DataFrame  # validated model-visible columns (+ patient_id)
    label: np.ndarray  # bool, the training label
    evaluation_label: np.ndarray  # bool, the label metrics are reported against
    attributes: pd.DataFrame  # sex, age (+ race, site when present) for subgroup reporting
    oracle: np.ndarray | None  # simulator's oracle probability, when present
    raw: pd.DataFrame  # the input frame (for clinical-score baselines)
    data_hash: str
    mace_label: np.ndarray | None = None  # bool, the 30-day MACE label when the config asks the second question
    mace_oracle: np.ndarray | None = None  # the simulator's exact P(30-day MACE), when present
    #: where the file came from (``chestpain.features.read_provenance``): scenario, seed, rows; None if unknown
    provenance: dict[str, Any] | None = None


def parse_label(values: pd.Series, name: str) -> np.ndarray:
    """A boolean label from bool, 0/1 or true/false text; any other value is an error naming the row."""
    if values.dtype == bool:
        return values.to_numpy()
    text = values.astype("string").str.strip().str.lower()
    good = text.isin(TRUE_TEXT | FALSE_TEXT).fillna(False).to_numpy()
    if not good.all():
        rows = np.flatnonzero(~good)[:5] + 1
        shown = ", ".join(f"row {r}: {values.iloc[r - 1]!r}" for r in rows)
        raise TriageError(f"label column {name}: expected true/false (or 1/0); {shown}")
    return text.isin(TRUE_TEXT).to_numpy()


def frame_hash(frame: pd.DataFrame) -> str:
    """sha256 of the frame's values and column names: identifies the training data in the manifest."""
    digest = hashlib.sha256(",".join(map(str, frame.columns)).encode())
    digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return digest.hexdigest()


def prepare(
    frame: pd.DataFrame, config: TrainConfig, source: str = "input", provenance: dict[str, Any] | None = None
) -> TrainingData:
    """Validate features with the features schema and extract the label and audit attributes.

    ``provenance`` (the file's own record of where it came from) goes to the manifest and the model card.
    """
    if config.label not in frame.columns:
        raise TriageError(f"{source}: the label column {config.label!r} is missing (training config label)")
    if config.features.dataset == "uci":
        features = validate_uci(frame, source=source)
    else:
        features = validate_visits(frame, symptom_source=config.features.symptom_source, source=source)
    missing = [name for name in feature_columns(config.features) if name not in features.columns]
    if missing:
        raise TriageError(f"{source}: missing feature columns {', '.join(missing)}")
    label = parse_label(frame[config.label], config.label)
    evaluation_name = config.evaluation_label or ("mi" if "mi" in frame.columns else config.label)
    evaluation = parse_label(frame[evaluation_name], evaluation_name)
    if label.all() or not label.any():
        raise TriageError(f"{source}: the label {config.label!r} has only one class; a model needs both")
    attributes = pd.DataFrame(
        {
            name: (features[name] if name in features.columns else frame[name])
            for name in ATTRIBUTE_COLUMNS
            if name in features.columns or name in frame.columns
        }
    ).reset_index(drop=True)
    oracle = frame["oracle_mi_probability"].to_numpy(float) if "oracle_mi_probability" in frame.columns else None
    mace_label = mace_oracle = None
    if config.mace is not None:
        name = config.mace.label
        if name not in frame.columns:
            raise TriageError(
                f"{source}: the column {name!r} is missing (training config mace.label); "
                "set mace: null (--set mace=null) to train the MI question alone"
            )
        mace_label = parse_label(frame[name], name)
        if mace_label.all() or not mace_label.any():
            raise TriageError(f"{source}: the label {name!r} has only one class; a model needs both")
        if "oracle_mace_probability" in frame.columns:
            mace_oracle = frame["oracle_mace_probability"].to_numpy(float)
    return TrainingData(
        features=features.reset_index(drop=True),
        label=label,
        evaluation_label=evaluation,
        attributes=attributes,
        oracle=oracle,
        raw=frame.reset_index(drop=True),
        data_hash=frame_hash(frame),
        mace_label=mace_label,
        mace_oracle=mace_oracle,
        provenance=provenance,
    )


@dataclass(frozen=True)
class Split:
    """Row indices of each part."""

    train: np.ndarray
    early_stopping: np.ndarray
    calibration: np.ndarray
    test: np.ndarray


def stratified_split(label: np.ndarray, sex: pd.Series, spec: SplitSpec) -> Split:
    """Split stratified on label x sex so every part has MI in both sexes in proportion."""
    strata = label.astype(int) * 2 + (sex.astype("string") == "female").to_numpy().astype(int)
    index = np.arange(len(label))
    rest, test = train_test_split(index, test_size=spec.test_fraction, stratify=strata, random_state=spec.seed)
    calibration_share = spec.calibration_fraction / (1 - spec.test_fraction)
    train, calibration = train_test_split(
        rest, test_size=calibration_share, stratify=strata[rest], random_state=spec.seed + 1
    )
    fit, early = train_test_split(
        train, test_size=spec.early_stopping_fraction, stratify=strata[train], random_state=spec.seed + 2
    )
    return Split(
        train=np.sort(fit), early_stopping=np.sort(early), calibration=np.sort(calibration), test=np.sort(test)
    )
