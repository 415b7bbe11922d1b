"""Auditing a trained model on a labelled table: predictions in, ``fairness`` metrics and mitigations out.

The fairness package only sees predictions; this module is the bridge that scores a table with a model,
chooses the audit attributes for the data source (sex, race, age band and sex x age band for ED cohorts; site
and sex for UCI) and splits the rows in two for the mitigation comparison (thresholds are chosen on one half and
priced on the other).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from chestpain.fairness import (
    AuditResult,
    MitigationComparison,
    OracleAtThreshold,
    audit_predictions,
    compare_mitigations,
    oracle_at_threshold,
    write_report,
)
from chestpain.kernel.errors import TriageError
from chestpain.models._data import parse_label
from chestpain.models._predictor import TriageModel

COHORT_ATTRIBUTES = ("sex", "race", "age_band", "sex&age_band")
UCI_ATTRIBUTES = ("site", "sex", "site&sex")
DEFAULT_MISSED_MI_COST = 50.0  # false alarms one missed MI is worth: a value judgement, shown in the report
NOT_RECORDED = "not recorded"  # the race group of rows (or whole tables) without a race
LABEL_MISSING = "{source}: the label column {label!r} is missing; an audit needs the true outcome"


@dataclass
class ModelAudit:
    """An audit of one model on one table."""

    result: AuditResult
    mitigations: MitigationComparison | None
    label: str
    n: int
    oracle: OracleAtThreshold | None = None  # the simulator oracle flagged with the model's own rule


class Scored(NamedTuple):
    """One table scored for an audit: true label, validated features, calibrated risk and the model's flag."""

    y: np.ndarray
    features: pd.DataFrame
    risk: np.ndarray
    flag: np.ndarray


def score_labelled(model: TriageModel, frame: pd.DataFrame, label: str, source: str) -> Scored:
    """Score ``frame`` for an audit, refusing a table without the outcome before any scoring work.

    Shared by the in-memory audit (one table) and the dask audit (one partition per task), so both engines
    validate and flag rows the same way.
    """
    if label not in frame.columns:
        raise TriageError(LABEL_MISSING.format(source=source, label=label))
    y = parse_label(frame[label], label)
    features = model.validate(frame, source=source)
    risk = model.risk(features)
    return Scored(y, features, risk, model.flag(features, risk))


def race_groups(frame: pd.DataFrame) -> pd.Series:
    """Race as audited: missing values, or a table without the column, form the group ``not recorded``."""
    race = frame["race"] if "race" in frame.columns else pd.Series(NOT_RECORDED, index=frame.index)
    return race.astype("string").fillna(NOT_RECORDED)


def audit_model(
    model: TriageModel,
    frame: pd.DataFrame,
    *,
    label: str | None = None,
    n_boot: int = 1000,
    seed: int = 0,
    missed_mi_cost: float = DEFAULT_MISSED_MI_COST,
    mitigations: bool = True,
    source: str = "input",
    interval_method: str = "wilson",
    multiplicity: str = "bh",
) -> ModelAudit:
    """Score ``frame`` with ``model`` and audit its flags against ``label`` (default: ``mi`` if present)."""
    label = label or ("cad" if model.dataset == "uci" else ("mi" if "mi" in frame.columns else model.label))
    y, features, risk, flag = score_labelled(model, frame, label, source)
    if model.dataset == "uci":
        attributes = pd.DataFrame(
            {"site": frame["site"].astype("string").to_numpy(), "sex": features["sex"].to_numpy()}
        )
        by = UCI_ATTRIBUTES
    else:
        attributes = pd.DataFrame({"sex": features["sex"].to_numpy(), "age": features["age"].to_numpy()})
        attributes["race"] = race_groups(frame).to_numpy()
        by = COHORT_ATTRIBUTES
    result = audit_predictions(
        y,
        risk,
        flag,
        attributes=attributes,
        by=by,
        label_name=label,
        threshold=model.thresholds,
        n_boot=n_boot,
        seed=seed,
        interval_method=interval_method,
        multiplicity=multiplicity,
        source=f"{source}: model '{model.manifest.get('name', 'model')}'",
    )
    comparison = None
    if mitigations:
        rng = np.random.default_rng(seed)
        half = rng.random(len(y)) < 0.5
        sex = attributes["sex"].to_numpy()
        comparison = compare_mitigations(
            y[half],
            risk[half],
            y[~half],
            risk[~half],
            sensitive_features_cal=sex[half],
            sensitive_features_test=sex[~half],
            missed_mi_cost=missed_mi_cost,
            n_boot=n_boot,
            seed=seed,
        )
    oracle = None
    oracle_flag = oracle_decision(model, frame, features) if label == "mi" else None
    if oracle_flag is not None:
        oracle = oracle_at_threshold(y, oracle_flag, attributes=attributes, by=by)
    return ModelAudit(result, comparison, label, len(y), oracle)


def oracle_decision(model: TriageModel, frame: pd.DataFrame, features: pd.DataFrame) -> np.ndarray | None:
    """The model's own decision rule applied to the simulator's exact probabilities (None without them).

    Both questions need their oracle: a model that also answers 30-day MACE is compared only when the table
    holds ``oracle_mace_probability`` too (mixing the oracle's MI with the model's MACE would be neither).
    """
    if "oracle_mi_probability" not in frame.columns:
        return None
    oracle_mace = None
    if model.mace is not None:
        if "oracle_mace_probability" not in frame.columns:
            return None
        oracle_mace = frame["oracle_mace_probability"].to_numpy(float)
    return model.flag(features, frame["oracle_mi_probability"].to_numpy(float), oracle_mace)


def write_model_audit(audit: ModelAudit, out_dir: str | os.PathLike[str], *, model_name: str) -> Path:
    """``metrics.json``, ``report.html`` and PNG plots for a model audit."""
    return write_report(
        audit.result,
        out_dir,
        mitigations=audit.mitigations,
        title=f"Fairness audit of model '{model_name}'",
        oracle=audit.oracle,
    )
