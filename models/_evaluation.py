"""Test-split metrics with 95% CIs, overall and by sex, and the clinical-score baselines on the same rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import brier_score_loss, roc_auc_score

from features import HEART_LOW_RISK_MAX, clinical_scores, validate_visits
from triage.errors import TriageError
from triage.stats import hanley_mcneil, wilson


def flag_metrics(flag: np.ndarray, y: np.ndarray) -> dict[str, dict[str, float] | int]:
    """Sensitivity, NPV, rule-out fraction and specificity of a flag (flag = not safe to discharge)."""
    flag, y = np.asarray(flag, bool), np.asarray(y, bool)
    tp, fn = np.count_nonzero(flag & y), np.count_nonzero(~flag & y)
    tn, fp = np.count_nonzero(~flag & ~y), np.count_nonzero(flag & ~y)
    return {
        "n": int(len(y)),
        "positives": int(tp + fn),
        "sensitivity": wilson(tp, tp + fn).as_dict(),
        "npv": wilson(tn, tn + fn).as_dict(),
        "rule_out_fraction": wilson(tn + fn, len(y)).as_dict(),
        "specificity": wilson(tn, tn + fp).as_dict(),
        "missed": int(fn),
    }


def score_metrics(risk: np.ndarray, y: np.ndarray) -> dict[str, object]:
    """AUROC (Hanley-McNeil CI) and Brier score of a probability."""
    y = np.asarray(y, bool)
    if y.all() or not y.any():
        return {"auroc": None, "brier": None}
    auc = roc_auc_score(y, risk)
    return {
        "auroc": hanley_mcneil(auc, y.sum(), (~y).sum()).as_dict(),
        "brier": float(brier_score_loss(y, np.clip(risk, 0, 1))),
    }


def evaluate(
    risk: np.ndarray, flag: np.ndarray, y: np.ndarray, sex: pd.Series, *, oracle: np.ndarray | None = None
) -> dict[str, dict[str, object]]:
    """Metrics for ``overall``, ``female`` and ``male``."""
    sex = sex.astype("string").to_numpy()
    out = {}
    for group, rows in (("overall", np.ones(len(y), bool)), ("female", sex == "female"), ("male", sex == "male")):
        metrics: dict[str, object] = {**flag_metrics(flag[rows], y[rows]), **score_metrics(risk[rows], y[rows])}
        if oracle is not None:
            metrics["oracle_auroc"] = score_metrics(oracle[rows], y[rows])["auroc"]
        out[group] = metrics
    return out


def baseline_flags(raw: pd.DataFrame) -> dict[str, np.ndarray]:
    """Each clinical score as a discharge flag: HEART > 3, ESC 0/1 h not rule-out, troponin >= 2 ng/L."""
    try:
        visits = validate_visits(raw, symptom_source="doc", source="baselines")
    except TriageError:
        return {}
    scores = clinical_scores(visits)
    return {
        "HEART (low risk 0-3)": (scores["heart_score"] > HEART_LOW_RISK_MAX).to_numpy(),
        "ESC 0/1 h": (scores["esc_0_1h"] != "rule-out").to_numpy(),
        "single-sample rule-out": ~scores["single_sample_rule_out"].to_numpy(bool),
    }


def evaluate_baselines(raw: pd.DataFrame, y: np.ndarray, sex: pd.Series) -> dict[str, dict[str, object]]:
    """Flag metrics of every clinical score, overall and by sex, on the given rows."""
    sex = sex.astype("string").to_numpy()
    results = {}
    for name, flag in baseline_flags(raw).items():
        results[name] = {
            group: flag_metrics(flag[rows], y[rows])
            for group, rows in (
                ("overall", np.ones(len(y), bool)),
                ("female", sex == "female"),
                ("male", sex == "male"),
            )
        }
    return results
