"""From a mapped visit to one CDS Hooks 2.0 card: the model's risk and flag, HEART, ESC 0/1 h, the reasons.

Indicator rule: ``critical`` when ESC 0/1 h rules in (whatever the model says: a guideline rule-in is never shown
as "info"), ``warning`` when the model flags the visit, ``info`` otherwise. Insufficient data gives a
``warning`` that says no assessment was made; the model is not called for it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from chestpain.ehr._fhir import VisitMapping

SOURCE = {"label": "Chest-pain triage (research tool, not a medical device)"}
OVERRIDE_SYSTEM = "urn:chest-pain-triage:override-reason"
OVERRIDE_REASONS = [
    {"system": OVERRIDE_SYSTEM, "code": "clinical-judgement", "display": "Assessed as low risk on clinical judgement"},
    {"system": OVERRIDE_SYSTEM, "code": "already-planned", "display": "Repeat troponin or admission already planned"},
    {"system": OVERRIDE_SYSTEM, "code": "data-wrong", "display": "The data the card used are wrong or incomplete"},
    {"system": OVERRIDE_SYSTEM, "code": "patient-declined", "display": "Patient declined further testing"},
]
DISCLAIMER = "Research and audit tool, not a medical device: simulated training data are not clinical evidence."
SUMMARY_MAX = 139  # CDS Hooks 2.0: summary "<140 characters"


@dataclass(frozen=True)
class Assessment:
    """What the card shows; ``risk`` is None when the data were insufficient (the model was not called)."""

    mapping: VisitMapping
    risk: float | None = None
    flag: bool | None = None
    reasons: str | None = None
    threshold: float | None = None
    heart: int | None = None
    esc: str | None = None

    @property
    def indicator(self) -> str:
        if self.risk is None:
            return "warning"
        if self.esc == "rule-in":
            return "critical"
        return "warning" if self.flag else "info"


def _troponin(value: float) -> str:
    """A sample as the laboratory reports it: '12 ng/L', or '< 2 ng/L' for the below-LoD code."""
    from chestpain.features import LIMIT_OF_DETECTION_NG_L

    return f"< {LIMIT_OF_DETECTION_NG_L:g} ng/L" if value < LIMIT_OF_DETECTION_NG_L else f"{value:g} ng/L"


def assess(model: Any, mapping: VisitMapping) -> Assessment:
    """Run the model, HEART and ESC 0/1 h on a sufficient mapping; an insufficient one is returned untouched.

    The row goes through the batch schema (``validate_visits``) and ``TriageModel.predict_features``: the path
    of a CSV row in ``chestpain predict``, so the same patient gets the same risk and reasons either way. The
    mapping already validated the ``sx`` form; a model trained on it reuses that (validation is most of a
    call's time), any other model validates the row itself.
    """
    if not mapping.sufficient:
        return Assessment(mapping)
    from chestpain.features import clinical_scores
    from chestpain.features.columns import DOCUMENTED_SYMPTOM_COLUMNS, TRUE_SYMPTOM_COLUMNS

    reuse = getattr(model, "dataset", None) == "cohort" and getattr(model, "symptom_source", None) == "sx"
    features = (
        mapping.features
        if reuse and mapping.features is not None
        else model.validate(mapping.frame(), source="FHIR data")
    )
    prediction = model.predict_features(features)
    # HEART reads the charted (doc_*) symptoms; in a FHIR row they are the same values as sx_*.
    charted = mapping.features.rename(columns=dict(zip(TRUE_SYMPTOM_COLUMNS, DOCUMENTED_SYMPTOM_COLUMNS, strict=True)))
    scores = clinical_scores(charted)
    sex = mapping.row["sex"]
    thresholds = model.thresholds
    return Assessment(
        mapping,
        risk=float(prediction["risk"].iloc[0]),
        flag=bool(prediction["flag"].iloc[0]),
        reasons=str(prediction["reasons"].iloc[0]),
        threshold=float(thresholds.get(sex, thresholds.get("all", np.nan))),
        heart=int(scores["heart_score"].iloc[0]),
        esc=str(scores["esc_0_1h"].iloc[0]),
    )


def _percent(value: float) -> str:
    return f"{value:.1%}" if value >= 0.001 else "<0.1%"


def summary(assessment: Assessment) -> str:
    """One line under 140 characters."""
    if assessment.risk is None:
        reason = assessment.mapping.problems[0].removeprefix("insufficient data: ")
        text = f"No MI risk assessment made, insufficient data: {reason}"
        return text if len(text) <= SUMMARY_MAX else "No MI risk assessment made, insufficient data (see the details)"
    risk = _percent(assessment.risk)
    if assessment.indicator == "critical":
        return f"Possible MI: ESC 0/1 h rules in (model risk {risk}); not safe to discharge"
    if assessment.flag:
        return f"Possible MI: not safe to discharge on this model (risk {risk}); repeat hs-troponin"
    return f"Low MI risk on this model ({risk}); HEART {assessment.heart}, ESC 0/1 h {assessment.esc}"


def detail(assessment: Assessment) -> str:
    """Markdown: risk and threshold, HEART, ESC 0/1 h, the top reasons, notes on the data, the disclaimer."""
    mapping = assessment.mapping
    lines: list[str] = []
    if assessment.risk is None:
        lines.append("**No assessment was made** (the model was not run) because:")
        lines += [f"- {problem}" for problem in mapping.problems]
    else:
        row = mapping.row
        change = abs(row["troponin_1h_ng_l"] - row["troponin_0h_ng_l"])
        flag_text = "possible MI, not safe to discharge" if assessment.flag else "no"
        lines += [
            f"**Risk of MI (calibrated):** {_percent(assessment.risk)}; flag threshold for {row['sex']} patients "
            f"{_percent(assessment.threshold)}. **Flag:** {flag_text}.",
            f"**HEART score:** {assessment.heart} ({'low risk 0-3' if assessment.heart <= 3 else 'not low risk'}).",
            f"**ESC 2020 0/1 h (hs-cTnI):** {assessment.esc} (0 h {_troponin(row['troponin_0h_ng_l'])}, 1 h "
            f"{_troponin(row['troponin_1h_ng_l'])}, change {change:g}; onset {row['symptom_onset_hours']:g} h before "
            "0 h).",
            f"**Top reasons:** {assessment.reasons}.",
        ]
    if mapping.notes:
        lines.append("**Data notes:** " + "; ".join(mapping.notes) + ".")
    lines.append(f"_{DISCLAIMER} Code table v{mapping.code_table_version}._")
    return "\n\n".join(lines)


def card(assessment: Assessment, patient_id: str | None) -> dict[str, Any]:
    """The CDS Hooks 2.0 card for one assessment (its ``uuid`` is what feedback refers to)."""
    out: dict[str, Any] = {
        "uuid": str(uuid.uuid4()),
        "summary": summary(assessment),
        "detail": detail(assessment),
        "indicator": assessment.indicator,
        "source": SOURCE,
    }
    if assessment.risk is not None and assessment.indicator != "info":
        order = {
            "resourceType": "ServiceRequest",
            "status": "draft",
            "intent": "proposal",
            "code": {
                "coding": [
                    {
                        "system": "http://loinc.org",
                        "code": "89579-7",
                        "display": "Troponin I.cardiac [Mass/volume] in Serum or Plasma by High sensitivity method",
                    }
                ]
            },
        }
        if patient_id:
            order["subject"] = {"reference": f"Patient/{patient_id}"}
        out["suggestions"] = [
            {
                "label": "Repeat hs-troponin (3 h sample) before any discharge decision",
                "uuid": str(uuid.uuid4()),
                "isRecommended": True,
                "actions": [{"type": "create", "description": "Order hs-cTnI (LOINC 89579-7)", "resource": order}],
            }
        ]
        out["selectionBehavior"] = "at-most-one"
    out["overrideReasons"] = OVERRIDE_REASONS
    return out


def group_of(mapping: VisitMapping) -> dict[str, str | None]:
    """Sex, race and age band of a visit (the only patient facts the feedback store keeps)."""
    row = mapping.row or {}
    age = row.get("age")
    band = None if age is None or pd.isna(age) else ("<55" if age < 55 else ">=55")
    return {"sex": row.get("sex"), "race": row.get("race"), "age_band": band}
