"""Audit any decision: a table's own scores or yes/no flags, the clinicians' discharges, HEART or ESC 2020.

An auditor most often needs to audit decisions that are not this project's model (issue 15): a vendor model's
risk scores, the clinicians' own discharges (are women sent home mid-MI more often?), or a pathway. These
functions turn such a table into ``(label, score, flag, attributes)`` with the batch schema's one-line errors
(file, row counted from 1, column) and hand it to :func:`fairness.audit_predictions`.

What is a positive decision: ``flag = true`` means "not sent home / not ruled out" (possible MI), so FNR is
the share of true MI sent home (clinician), scored low risk (HEART 0-3) or ruled out (ESC 2020 on the record's own
pathway: 0/1 h, else 0/2 h or 0/3 h).
"""

from __future__ import annotations

from enum import StrEnum

import numpy as np
import pandas as pd

from chestpain import features
from chestpain.fairness import audit_predictions
from chestpain.features import messages as msg
from chestpain.features.columns import SEXES
from chestpain.kernel.errors import TriageError
from chestpain.models._audit import COHORT_ATTRIBUTES, LABEL_MISSING, ModelAudit, race_groups
from chestpain.models._data import parse_label

TRUE_TEXT = {"true", "1", "yes", "y", "t", "1.0"}
FALSE_TEXT = {"false", "0", "no", "n", "f", "0.0"}

NEED_SCORE_OR_FLAG = "give --score COLUMN, --flag COLUMN or both: the audit needs the decision to audit"
NEED_THRESHOLD = "--score without --flag needs --threshold: which scores count as flagged (score >= threshold)"
SCORE_OUT_OF_RANGE = "row {row}, column {column}: {value} is outside [0, 1]; give a probability"


class Decision(StrEnum):
    """Human or pathway decisions the cohort table holds or implies."""

    clinician = "clinician"  # flag = not discharged
    heart = "heart"  # flag = HEART score above 3 (not low risk; Backus 2013)
    esc = "esc"  # flag = not ruled out by the ESC 2020 pathway of the record (0/1 h, else 0/2 h or 0/3 h; Collet 2021)


DECISION_TITLES = {
    Decision.clinician: "the clinicians' discharges (flag = not discharged)",
    Decision.heart: "the HEART pathway (flag = HEART score 4-10, not low risk)",
    Decision.esc: "the ESC 0/1 h algorithm, or 0/2 h / 0/3 h without a 1 h sample (flag = not ruled out)",
}
SCORE_NOTES = {
    Decision.clinician: "score: the clinician's own estimate of P(MI) (clinician_risk)",
    Decision.heart: "score: HEART score / 10 (a ranking, not a probability: ignore calibration)",
    Decision.esc: "score: ESC category (rule-out 0, observe 0.5, rule-in 1; a ranking, not a probability)",
}


def _fail(source: str, text: str) -> TriageError:
    return TriageError(f"{source}: {text}")


def _column(frame: pd.DataFrame, column: str, meaning: str, source: str) -> pd.Series:
    if column not in frame.columns:
        raise _fail(source, msg.MISSING_COLUMN.format(column=column, meaning=meaning))
    return frame[column]


def _missing(values: pd.Series, column: str, meaning: str, source: str) -> None:
    missing = values.isna().to_numpy()
    if missing.any():
        row = int(np.argmax(missing)) + 1
        raise _fail(source, msg.MISSING_VALUE.format(row=row, column=column, meaning=meaning))


def binary_column(frame: pd.DataFrame, column: str, source: str, meaning: str = "a yes/no decision") -> np.ndarray:
    """A yes/no column as bool; a missing or non-binary value is an error naming its row."""
    values = _column(frame, column, meaning, source)
    _missing(values, column, meaning, source)
    if values.dtype == bool:
        return values.to_numpy()
    text = values.astype("string").str.strip().str.lower()
    known = text.isin(TRUE_TEXT | FALSE_TEXT).to_numpy(dtype=bool)
    if not known.all():
        row = int(np.argmax(~known))
        raise _fail(source, msg.NOT_A_BOOLEAN.format(row=row + 1, column=column, value=values.iloc[row]))
    return text.isin(TRUE_TEXT).to_numpy(dtype=bool)


def score_column(frame: pd.DataFrame, column: str, source: str) -> np.ndarray:
    """A probability column as float64; missing, non-numeric or outside [0, 1] is an error naming its row."""
    meaning = "a score in [0, 1]"
    values = _column(frame, column, meaning, source)
    _missing(values, column, meaning, source)
    numbers = pd.to_numeric(values, errors="coerce")
    bad = numbers.isna().to_numpy()
    if bad.any():
        row = int(np.argmax(bad))
        raise _fail(
            source, msg.NOT_A_NUMBER.format(row=row + 1, column=column, value=values.iloc[row], meaning=meaning)
        )
    score = numbers.to_numpy(dtype=np.float64)
    outside = (score < 0) | (score > 1)
    if outside.any():
        row = int(np.argmax(outside))
        raise _fail(source, SCORE_OUT_OF_RANGE.format(row=row + 1, column=column, value=score[row]))
    return score


def label_column(frame: pd.DataFrame, label: str, source: str) -> np.ndarray:
    """The true outcome; a table without it cannot be audited."""
    if label not in frame.columns:
        raise TriageError(LABEL_MISSING.format(source=source, label=label))
    _missing(frame[label], label, "the true outcome", source)
    return parse_label(frame[label], label)


def cohort_attributes(frame: pd.DataFrame, source: str) -> pd.DataFrame:
    """Sex, age and race (``not recorded`` when absent) for the cohort's audit attributes."""
    sex = _column(frame, "sex", "female or male", source)
    _missing(sex, "sex", "female or male", source)
    age = _column(frame, "age", "age in years", source)
    _missing(age, "age", "age in years", source)
    numbers = pd.to_numeric(age, errors="coerce")
    if numbers.isna().any():
        row = int(np.argmax(numbers.isna().to_numpy()))
        raise _fail(source, msg.NOT_A_NUMBER.format(row=row + 1, column="age", value=age.iloc[row], meaning="age"))
    sex = sex.astype("string").str.strip().str.lower()
    unknown = ~sex.isin(SEXES).to_numpy(dtype=bool)
    if unknown.any():
        # Anything else (unknown, F) would silently become a third group of the audit by sex.
        row = int(np.argmax(unknown))
        allowed = " or ".join(SEXES)
        raise _fail(
            source, msg.UNKNOWN_CATEGORY.format(row=row + 1, column="sex", value=sex.iloc[row], allowed=allowed)
        )
    return pd.DataFrame(
        {
            "sex": sex.to_numpy(dtype=object),
            "age": numbers.to_numpy(dtype=np.float64),
            "race": race_groups(frame).to_numpy(dtype=object),
        }
    )


def _audit(
    y: np.ndarray,
    score: np.ndarray,
    flag: np.ndarray,
    frame: pd.DataFrame,
    *,
    label: str,
    source: str,
    described: str,
    **options,
) -> ModelAudit:
    result = audit_predictions(
        y,
        score,
        flag,
        attributes=cohort_attributes(frame, source),
        by=COHORT_ATTRIBUTES,
        label_name=label,
        source=described,
        **options,
    )
    return ModelAudit(result, None, label, len(y))


def audit_table(
    frame: pd.DataFrame,
    *,
    label: str = "mi",
    score: str | None = None,
    flag: str | None = None,
    threshold: float | None = None,
    source: str = "input",
    **options,
) -> ModelAudit:
    """Audit a table that already holds a score and/or a yes/no decision (any model's output).

    Without ``flag``, rows with ``score >= threshold`` are flagged; without ``score``, the flag itself is the
    score (AUROC is then the decision's balanced accuracy and calibration is not meaningful).
    """
    if score is None and flag is None:
        raise TriageError(NEED_SCORE_OR_FLAG)
    if flag is None and threshold is None:
        raise TriageError(NEED_THRESHOLD)
    y = label_column(frame, label, source)
    scores = score_column(frame, score, source) if score is not None else None
    flags = binary_column(frame, flag, source) if flag is not None else scores >= float(threshold)
    if scores is None:
        scores = flags.astype(np.float64)
    described = f"{source}: " + ", ".join(
        part
        for part in (
            f"score column {score}" if score else "no score (AUROC = balanced accuracy of the flag)",
            f"flag column {flag}" if flag else f"flag = {score} >= {threshold:g}",
        )
    )
    return _audit(
        y, scores, flags, frame, label=label, source=source, described=described, threshold=threshold, **options
    )


def _esc_categories(frame: pd.DataFrame) -> np.ndarray:
    """The ESC 2020 reading of each record's own pathway (0/1 h where the 1 h sample was drawn, else 0/2 h, 0/3 h)."""
    return np.asarray(features.esc_of_record(features.esc_readings(frame))[1]).astype(str)


def decision_scores(frame: pd.DataFrame, decision: Decision | str, source: str) -> tuple[np.ndarray, np.ndarray]:
    """``(score, flag)`` of a human or pathway decision on a cohort table."""
    decision = Decision(decision)
    if decision is Decision.clinician:
        flag = ~binary_column(frame, "discharged", source, meaning="whether the patient was sent home")
        if "clinician_risk" in frame.columns:
            return score_column(frame, "clinician_risk", source), flag
        return flag.astype(np.float64), flag
    visits = features.validate_visits(frame, symptom_source="doc", source=source)
    if decision is Decision.heart:
        total = features.heart_score(visits)["heart_score"].to_numpy(dtype=np.float64)
        return total / 10.0, total > features.HEART_LOW_RISK_MAX
    categories = _esc_categories(visits)
    rank = {category: i for i, category in enumerate(features.ESC_CATEGORIES)}  # rule-out, observe, rule-in
    score = pd.Series(categories).map(rank).to_numpy(dtype=np.float64) / (len(rank) - 1)
    return score, categories != "rule-out"


def audit_decision(
    frame: pd.DataFrame, decision: Decision | str, *, label: str = "mi", source: str = "input", **options
) -> ModelAudit:
    """Audit the clinicians' discharges or the HEART / ESC 2020 decisions recorded in or implied by a cohort."""
    decision = Decision(decision)
    y = label_column(frame, label, source)
    score, flag = decision_scores(frame, decision, source)
    described = f"{source}: {DECISION_TITLES[decision]}; {SCORE_NOTES[decision]}"
    if decision is Decision.clinician and "clinician_risk" not in frame.columns:
        described = f"{source}: {DECISION_TITLES[decision]}; no score (AUROC = balanced accuracy of the decision)"
    return _audit(y, score, flag, frame, label=label, source=source, described=described, **options)
