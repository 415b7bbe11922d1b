"""One patient at the bedside: form answers as a visit row, the model's answer beside HEART and ESC 0/1 h, what-if.

The discharge form is a question prompt list: it asks about every symptom, so each answer is at once what the
patient has (``sx_*``) and what the chart records (``doc_*``). :func:`visit_row` writes both, which lets a model
trained on either column set, and HEART (scored from the chart), read the same answers.

Nothing here imports streamlit: the app's pages call these functions, and so can a notebook or a test.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from chestpain.features import clinical_scores, esc_of_record, validate_visits
from chestpain.features import messages as msg
from chestpain.features.columns import RISK_FACTORS, SYMPTOMS
from chestpain.kernel.errors import TriageError
from chestpain.models._guarantees import patient_thresholds
from chestpain.models._next_step import next_steps
from chestpain.models._predictor import FLAG_MACE_TEXT, FLAG_TEXT, LOW_RISK_TEXT, TriageModel
from chestpain.models._reasons import _value_text, group_text, reasons_text

#: Answers the form collects that are not symptoms, in the order the form asks for them (cohort-table names).
NON_SYMPTOM_FIELDS = (
    "age",
    "sex",
    "race",
    *RISK_FACTORS,
    "pain_score",
    "heart_rate",
    "systolic_bp",
    "ecg",
    "symptom_onset_hours",
    "troponin_0h_ng_l",
    "troponin_1h_ng_l",
    "troponin_2h_ng_l",
    "troponin_3h_ng_l",
)
#: Every answer of the form: the non-symptom fields plus one answer per symptom suffix (``nausea``, ...).
FORM_FIELDS = (*NON_SYMPTOM_FIELDS, *SYMPTOMS)
_CELL_PROBLEM = re.compile(r"^row \d+, column (?P<column>\w+): (?P<text>.*)$")
_COLUMN_PROBLEM = re.compile(r"^column (?P<column>\w+) (?P<text>is missing.*)$")
_PROBLEMS_HEAD = re.compile(
    "^"
    + re.escape(msg.PROBLEMS_FOUND)
    .replace(re.escape("{source}"), ".*?")
    .replace(re.escape("{n}"), r"\d+")
    .replace(re.escape("{s}"), "s?")
)


def visit_row(answers: Mapping[str, Any], *, patient_id: int = 1) -> pd.DataFrame:
    """A one-row visit table from the form's answers; each symptom answer fills ``sx_<name>`` and ``doc_<name>``.

    Unanswered fields stay missing (``None``), so validation, not the form, says what is wrong.
    """
    row: dict[str, Any] = {"patient_id": patient_id}
    for name in NON_SYMPTOM_FIELDS:
        row[name] = answers.get(name)
    for name in SYMPTOMS:
        value = answers.get(name)
        row[f"sx_{name}"] = value
        row[f"doc_{name}"] = value
    return pd.DataFrame({key: [value] for key, value in row.items()}, dtype=object)


def field_of(column: str) -> str:
    """The form field a table column comes from (``sx_nausea`` and ``doc_nausea`` both come from ``nausea``)."""
    for prefix in ("sx_", "doc_"):
        if column.startswith(prefix) and column[len(prefix) :] in SYMPTOMS:
            return column[len(prefix) :]
    return column


def field_problems(error: TriageError | str) -> dict[str, list[str]]:
    """Split a validation error into messages per form field, without the row number (a form has one row).

    Problems that name no column are filed under ``""``.
    """
    text = _PROBLEMS_HEAD.sub("", str(error), count=1)
    problems: dict[str, list[str]] = {}
    for part in text.split(msg.PROBLEM_SEPARATOR):
        part = part.strip()
        match = _CELL_PROBLEM.match(part) or _COLUMN_PROBLEM.match(part)
        if match:
            problems.setdefault(field_of(match["column"]), []).append(match["text"])
        elif part:
            problems.setdefault("", []).append(part)
    return problems


@dataclass(frozen=True)
class Contribution:
    """One clinical input's share of the model's log-odds score for this patient (its features summed)."""

    column: str  # the clinical input (a column, or a derived group such as ``troponin_change``)
    text: str  # the input as it reads in a sentence, e.g. "troponin rose 25 ng/L in 1 h"
    log_odds: float


@dataclass(frozen=True)
class PatientAssessment:
    """The model's answer for one patient, its explanation, and the clinical scores beside it."""

    features: pd.DataFrame
    risk: float
    flag: bool
    threshold: float
    bias: float
    score: float
    contributions: tuple[Contribution, ...]  # largest absolute contribution first
    reasons: tuple[str, ...]
    heart: Mapping[str, int]
    esc: str
    esc_pathway: str = "0/1 h"  # the ESC 2020 pathway of the record's samples (0/2 h or 0/3 h without 1 h)
    risk_mace: float | None = None  # P(death, MI or urgent revascularisation in 30 days); None without it
    flag_reason: str = ""  # "mi", "mace", "mi+mace" or "" (chestpain predict's flag_reason)
    next_step: str = ""
    reasons_mace: tuple[str, ...] = ()

    @property
    def flag_text(self) -> str:
        """``FLAG_TEXT``, ``FLAG_MACE_TEXT`` or ``LOW_RISK_TEXT``: which question says "not safe"."""
        if "mi" in self.flag_reason.split("+"):
            return FLAG_TEXT
        return FLAG_MACE_TEXT if self.flag else LOW_RISK_TEXT

    @property
    def heart_low_risk(self) -> bool:
        """HEART 0-3 is low risk (Backus 2013)."""
        return self.heart["heart_score"] <= 3


def assess(model: TriageModel, row: pd.DataFrame, *, source: str = "form") -> PatientAssessment:
    """Validate one visit row, then score and explain it, with HEART (from charted symptoms) and ESC 0/1 h.

    Raises
    ------
    TriageError
        The schema's message when a value is missing, out of range, or troponin looks like ng/mL.
    """
    if len(row) != 1:
        raise TriageError(f"{source}: expected one patient, got {len(row)} rows")
    if model.dataset != "cohort":
        raise TriageError(
            f"{source}: model '{model.manifest.get('name')}' was trained on the UCI table, not on ED visits; "
            "the discharge form needs an ED-cohort model"
        )
    features = model.validate(row, source=source)
    transformed = model.estimator.transform(features)  # once: both questions share the preprocessor
    explanation = model.explain(features, transformed=transformed)
    risk = float(explanation.risk[0])
    contributions = explanation.contributions[0]
    order = np.argsort(-np.abs(contributions), kind="stable")
    parts = tuple(
        Contribution(
            explanation.columns[j],
            str(group_text(features, explanation.columns[j]).iloc[0]),
            float(contributions[j]),
        )
        for j in order
    )
    reasons = str(
        reasons_text(features, explanation.contributions, explanation.columns, explanation.confirmed).iloc[0]
    ).split("; ")
    charted = validate_visits(row, symptom_source="doc", source=source)
    all_scores = clinical_scores(charted)
    esc_pathway, esc_reading = esc_of_record(all_scores)
    scores = all_scores.iloc[0]
    heart = {name: int(scores[name]) for name in scores.index if name.startswith("heart_")}
    risk_mace, reasons_mace = None, ()
    if model.mace is not None:
        explained = model.explain(features, question=model.mace.label, transformed=transformed)
        risk_mace = float(explained.risk[0])
        reasons_mace = tuple(
            str(reasons_text(features, explained.contributions, explained.columns, explained.confirmed).iloc[0]).split(
                "; "
            )
        )
    mi_flag, mace_flag = model.flags(features, explanation.risk, None if risk_mace is None else np.array([risk_mace]))
    reason = "+".join(name for name, on in (("mi", mi_flag[0]), ("mace", mace_flag[0])) if on)
    return PatientAssessment(
        features=features,
        risk=risk,
        flag=bool(mi_flag[0] or mace_flag[0]),
        # This patient's MI threshold: the lowest of their sex's and their guaranteed groups' (issue 25).
        threshold=float(patient_thresholds(features, model.thresholds, model.rules.groups)[0]),
        bias=float(np.ravel(explanation.bias)[0]),
        score=float(explanation.raw[0]),
        contributions=parts,
        reasons=tuple(reasons),
        heart=heart,
        esc=str(esc_reading[0]),
        esc_pathway=str(esc_pathway[0]),
        risk_mace=risk_mace,
        flag_reason=reason,
        next_step=str(next_steps(features, mi_flag, mace_flag)[0]),
        reasons_mace=reasons_mace,
    )


@dataclass(frozen=True)
class WhatIf:
    """The same patient before and after changing some answers."""

    changes: tuple[str, ...]  # each change in words, e.g. "troponin 1 h 31 ng/L → troponin 1 h 80 ng/L"
    before: PatientAssessment
    after: PatientAssessment

    @property
    def risk_change(self) -> float:
        """After minus before, in probability (0-1)."""
        return self.after.risk - self.before.risk

    @property
    def flag_changed(self) -> bool:
        """Whether the discharge flag flips."""
        return self.after.flag != self.before.flag


def _answer_text(name: str, value: Any) -> str:
    """An answer as it reads in a sentence, with the same words as the reasons ('troponin 1 h 80 ng/L')."""
    column = f"sx_{name}" if name in SYMPTOMS else name
    if isinstance(value, bool):
        series = pd.Series([value], dtype=bool)
    elif isinstance(value, int | float):
        series = pd.Series([float(value)])
    else:
        series = pd.Series([value], dtype=object)
    return str(_value_text(series, column).iloc[0])


def what_if(
    model: TriageModel,
    answers: Mapping[str, Any],
    changes: Mapping[str, Any],
    *,
    before: PatientAssessment | None = None,
) -> WhatIf:
    """How the answer moves if some answers were different (e.g. ``{"troponin_1h_ng_l": 80, "nausea": True}``).

    Raises
    ------
    TriageError
        If a changed value is itself invalid; the message names the field.
    """
    unknown = sorted(set(changes) - set(FORM_FIELDS))
    if unknown:
        raise TriageError(f"what-if: unknown field(s) {', '.join(unknown)}; use one of {', '.join(FORM_FIELDS)}")
    before = before if before is not None else assess(model, visit_row(answers))
    after = assess(model, visit_row({**answers, **changes}), source="what-if")
    words = tuple(
        f"{_answer_text(name, answers.get(name))} → {_answer_text(name, value)}"
        for name, value in changes.items()
        if answers.get(name) != value
    )
    return WhatIf(words, before, after)


def risk_curve(model: TriageModel, answers: Mapping[str, Any], field: str, values: Sequence[float]) -> pd.DataFrame:
    """Risk and flag of this patient as one numeric answer runs over ``values`` (one validated batch)."""
    if field not in NON_SYMPTOM_FIELDS:
        raise TriageError(f"what-if: {field} is not a numeric form field")
    rows = pd.concat(
        [visit_row({**answers, field: float(value)}, patient_id=i + 1) for i, value in enumerate(values)],
        ignore_index=True,
    )
    features = model.validate(rows, source="what-if")
    risk = model.risk(features)
    return pd.DataFrame({field: np.asarray(values, dtype=float), "risk": risk, "flag": model.flag(features, risk)})
