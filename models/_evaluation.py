"""Test-split metrics with 95% CIs, overall and by sex, and the clinical-score baselines on the same rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import brier_score_loss, roc_auc_score

from chestpain.features import HEART_LOW_RISK_MAX, clinical_scores, esc_of_record, validate_visits
from chestpain.kernel.errors import TriageError
from chestpain.kernel.stats import hanley_mcneil, observed_to_expected, wilson
from chestpain.models._guarantees import group_masks


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
    """AUROC (Hanley-McNeil CI), Brier score and observed / expected events (calibration-in-the-large)."""
    y = np.asarray(y, bool)
    if y.all() or not y.any():
        return {"auroc": None, "brier": None, "observed_to_expected": None}
    auc = roc_auc_score(y, risk)
    risk = np.clip(np.asarray(risk, dtype=np.float64), 0, 1)
    return {
        "auroc": hanley_mcneil(auc, y.sum(), (~y).sum()).as_dict(),
        "brier": float(brier_score_loss(y, risk)),
        "observed_to_expected": observed_to_expected(int(y.sum()), float(risk.sum())).as_dict(),
    }


def rule_out_at_sensitivity(score: np.ndarray, y: np.ndarray, target: float) -> float:
    """Share of visits ruled out (score below the cut-off) at the highest cut-off keeping sensitivity >= target.

    The cut-off is the ``floor((1 - target) x positives)``-th lowest positive score, so at most that many
    positives fall below it: "rule-out at exactly ``target`` sensitivity", the same for a model and the oracle.
    """
    score, y = np.asarray(score, dtype=np.float64), np.asarray(y, bool)
    positives = np.sort(score[y])
    if positives.size == 0:
        return float("nan")
    # A sensitivity measured on these rows, k / n, comes back through (1 - k / n) x n a rounding error below the
    # n - k misses it allows in about half of cases; without the allowance the floor would give one fewer.
    allowed_misses = int(np.floor((1.0 - target) * positives.size + 1e-6))
    cut = positives[min(allowed_misses, positives.size - 1)]
    return float(np.mean(score < cut))


def oracle_comparison(
    risk: np.ndarray, flag: np.ndarray, y: np.ndarray, oracle: np.ndarray, target: float
) -> dict[str, float]:
    """The two numbers every model comparison reports (issue 14), against the oracle's rule-out at ``target``.

    ``ranking_vs_oracle``: the model's rule-out at exactly ``target`` sensitivity / the oracle's (how well it
    ranks, whatever the threshold); ``flag_rule_out_vs_oracle``: the shipped flag's rule-out / the oracle's at
    ``target`` (what the threshold rule then gives away to keep its guarantee); ``flag_vs_oracle_at_own_sensitivity``:
    the flag's rule-out / the oracle's at the sensitivity the flag reached on these rows (``flag_sensitivity``),
    issue 25's comparison at equal sensitivity (the guarantees' margin puts the flag above ``target``).
    """
    flag = np.asarray(flag, bool)
    oracle_rule_out = rule_out_at_sensitivity(oracle, y, target)
    model_rule_out = rule_out_at_sensitivity(risk, y, target)
    flag_rule_out = float(np.mean(~flag))
    positive = np.asarray(y, bool)
    flag_sensitivity = float(flag[positive].mean()) if positive.any() else float("nan")
    oracle_at_flag = rule_out_at_sensitivity(oracle, y, flag_sensitivity) if positive.any() else float("nan")

    def ratio(value: float) -> float:
        return value / oracle_rule_out if oracle_rule_out > 0 else float("nan")

    return {
        "target_sensitivity": float(target),
        "rule_out_at_target": model_rule_out,
        "oracle_rule_out_at_target": oracle_rule_out,
        "ranking_vs_oracle": ratio(model_rule_out),
        "flag_rule_out_vs_oracle": ratio(flag_rule_out),
        "flag_sensitivity": flag_sensitivity,
        "flag_vs_oracle_at_own_sensitivity": flag_rule_out / oracle_at_flag if oracle_at_flag > 0 else float("nan"),
    }


def evaluate(
    risk: np.ndarray,
    flag: np.ndarray,
    y: np.ndarray,
    sex: pd.Series,
    *,
    oracle: np.ndarray | None = None,
    target: float = 0.99,
) -> dict[str, dict[str, object]]:
    """Metrics for ``overall``, ``female`` and ``male`` (with the oracle: :func:`oracle_comparison` too)."""
    sex = sex.astype("string").to_numpy()
    out = {}
    for group, rows in (("overall", np.ones(len(y), bool)), ("female", sex == "female"), ("male", sex == "male")):
        metrics: dict[str, object] = {**flag_metrics(flag[rows], y[rows]), **score_metrics(risk[rows], y[rows])}
        if oracle is not None:
            metrics["oracle_auroc"] = score_metrics(oracle[rows], y[rows])["auroc"]
            metrics["vs_oracle"] = oracle_comparison(risk[rows], flag[rows], y[rows], oracle[rows], target)
        out[group] = metrics
    return out


def guarantee_metrics(
    features: pd.DataFrame, flag: np.ndarray, y: np.ndarray, kinds: tuple[str, ...]
) -> list[dict[str, object]]:
    """Sensitivity (Wilson 95% CI) of the discharge flag in each sex and each guaranteed group (issue 25)."""
    sex = features["sex"].astype("string").to_numpy()
    masks = {"female": sex == "female", "male": sex == "male", **group_masks(features, kinds)}
    flag, y = np.asarray(flag, bool), np.asarray(y, bool)
    out = []
    for group, mask in masks.items():
        tp, fn = int((flag & y & mask).sum()), int((~flag & y & mask).sum())
        out.append(
            {
                "group": group,
                "n": int(mask.sum()),
                "positives": tp + fn,
                "missed": fn,
                "sensitivity": wilson(tp, tp + fn).as_dict(),
                "rule_out_fraction": wilson(int((~flag & mask).sum()), int(mask.sum())).as_dict(),
            }
        )
    return out


def rule_out_cost(per_sex: np.ndarray, mi_flag: np.ndarray, flag: np.ndarray) -> dict[str, float]:
    """Rule-out share under per-sex MI thresholds alone, with the group guarantees, and with the MACE question."""
    return {
        "per_sex_thresholds": float(np.mean(~np.asarray(per_sex, bool))),
        "with_group_guarantees": float(np.mean(~np.asarray(mi_flag, bool))),
        "with_mace_question": float(np.mean(~np.asarray(flag, bool))),
    }


def oracle_summary(metrics: dict[str, object]) -> str | None:
    """One line for the training summary: ranking at equal sensitivity and the flag, each vs the oracle."""
    overall = metrics.get("overall", {})
    comparison = overall.get("vs_oracle") if isinstance(overall, dict) else None
    if not comparison:
        return None
    target = comparison["target_sensitivity"]
    return (
        f"vs the oracle at {target:.0%} sensitivity: ranking (rule-out at exactly {target:.0%}) "
        f"{comparison['rule_out_at_target']:.1%} vs {comparison['oracle_rule_out_at_target']:.1%} = "
        f"{comparison['ranking_vs_oracle']:.3f}; shipped flag rules out {comparison['flag_rule_out_vs_oracle']:.3f} "
        f"of the oracle's{flag_at_own_sensitivity_text(comparison)}"
    )


def flag_at_own_sensitivity_text(comparison: dict[str, float]) -> str:
    """The flag vs the oracle at equal sensitivity, as a clause; empty for manifests written before it was kept."""
    if "flag_vs_oracle_at_own_sensitivity" not in comparison:
        return ""
    return (
        f", {comparison['flag_vs_oracle_at_own_sensitivity']:.3f} at its own sensitivity "
        f"({comparison['flag_sensitivity']:.2%})"
    )


#: The ESC baseline's name: ESC 2020 on each record's own pathway.
ESC_BASELINE = "ESC 2020"


def baseline_flags(raw: pd.DataFrame) -> dict[str, np.ndarray]:
    """Each clinical score as a discharge flag: HEART > 3, ESC not rule-out, troponin >= 2 ng/L.

    ESC reads each record on its own pathway (0/1 h, else 0/2 h or 0/3 h: ``features.esc_of_record``), as the
    site would; a record without a 1 h sample is never counted as an ESC 0/1 h failure.
    """
    try:
        visits = validate_visits(raw, symptom_source="doc", source="baselines")
    except TriageError:
        return {}
    scores = clinical_scores(visits)
    return {
        "HEART (low risk 0-3)": (scores["heart_score"] > HEART_LOW_RISK_MAX).to_numpy(),
        ESC_BASELINE: esc_of_record(scores)[1] != "rule-out",
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


def group_metrics(
    attributes: pd.DataFrame, risk: np.ndarray, flag: np.ndarray, y: np.ndarray
) -> list[dict[str, object]]:
    """The shipped flag and the risk by sex, race, age band and sex x age band (the audit's groups), with CIs.

    For the model card (Mitchell et al., FAT* 2019: evaluation disaggregated by the groups the model may fail):
    missed-MI share, false alarms, rule-out, AUROC and observed / expected events in each group.
    """
    from chestpain.models._guarantees import AGE_BAND_YEARS

    flag, y = np.asarray(flag, bool), np.asarray(y, bool)
    columns: dict[str, np.ndarray] = {}
    if "sex" in attributes:
        columns["sex"] = attributes["sex"].astype("string").to_numpy(dtype=object)
    if "race" in attributes:
        columns["race"] = attributes["race"].astype("string").fillna("missing").to_numpy(dtype=object)
    if "age" in attributes:
        young = attributes["age"].to_numpy(dtype=np.float64) < AGE_BAND_YEARS
        columns["age_band"] = np.where(young, f"<{AGE_BAND_YEARS}", f">={AGE_BAND_YEARS}").astype(object)
        if "sex" in columns:
            columns["sex&age_band"] = columns["sex"] + "&" + columns["age_band"]
    out = []
    for attribute, values in columns.items():
        for group in sorted({str(v) for v in values}):
            rows = values == group
            tp, fn = int((flag & y & rows).sum()), int((~flag & y & rows).sum())
            fp, tn = int((flag & ~y & rows).sum()), int((~flag & ~y & rows).sum())
            out.append(
                {
                    "attribute": attribute,
                    "group": group,
                    "n": int(rows.sum()),
                    "positives": tp + fn,
                    "missed_mi": wilson(fn, tp + fn).as_dict(),
                    "false_alarms": wilson(fp, fp + tn).as_dict(),
                    "rule_out_fraction": wilson(tn + fn, int(rows.sum())).as_dict(),
                    **score_metrics(np.asarray(risk)[rows], y[rows]),
                }
            )
    return out
