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

import numpy as np
import pandas as pd

from fairness import AuditResult, MitigationComparison, audit_predictions, compare_mitigations, write_report
from models._data import parse_label
from models._predictor import TriageModel
from triage.errors import TriageError

COHORT_ATTRIBUTES = ("sex", "race", "age_band", "sex&age_band")
UCI_ATTRIBUTES = ("site", "sex", "site&sex")
DEFAULT_MISSED_MI_COST = 50.0  # false alarms one missed MI is worth: a value judgement, shown in the report


@dataclass
class ModelAudit:
    """An audit of one model on one table."""

    result: AuditResult
    mitigations: MitigationComparison | None
    label: str
    n: int


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
) -> ModelAudit:
    """Score ``frame`` with ``model`` and audit its flags against ``label`` (default: ``mi`` if present)."""
    label = label or ("cad" if model.dataset == "uci" else ("mi" if "mi" in frame.columns else model.label))
    if label not in frame.columns:
        raise TriageError(f"{source}: the label column {label!r} is missing; an audit needs the true outcome")
    y = parse_label(frame[label], label)
    features = model.validate(frame, source=source)
    risk = model.risk(features)
    flag = model.flag(features, risk)
    if model.dataset == "uci":
        attributes = pd.DataFrame(
            {"site": frame["site"].astype("string").to_numpy(), "sex": features["sex"].to_numpy()}
        )
        by = UCI_ATTRIBUTES
    else:
        attributes = pd.DataFrame({"sex": features["sex"].to_numpy(), "age": features["age"].to_numpy()})
        race = frame["race"] if "race" in frame.columns else pd.Series("not recorded", index=frame.index)
        attributes["race"] = race.astype("string").fillna("not recorded").to_numpy()
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
    return ModelAudit(result, comparison, label, len(y))


def write_model_audit(audit: ModelAudit, out_dir: str | os.PathLike[str], *, model_name: str) -> Path:
    """``metrics.json``, ``report.html`` and PNG plots for a model audit."""
    return write_report(
        audit.result, out_dir, mitigations=audit.mitigations, title=f"Fairness audit of model '{model_name}'"
    )
