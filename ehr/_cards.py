"""From a mapped visit to one CDS Hooks 2.0 card: both questions' risks, the flag, HEART, ESC 0/1 h, the reasons.

Indicator rule: ``critical`` when ESC 0/1 h rules in or a later hs-cTnI reaches the ESC rule-in level (64 ng/L),
whatever the model says; ``warning`` when the model flags the visit (either question) or a later hs-cTnI (after
the 1 h sample) is above the sex-specific 99th percentile or has risen by the 0/1 h algorithm's change (6 ng/L)
or more since 0 h (issue 25: such a value is never an "info" card); ``info`` otherwise. Insufficient data gives
a ``warning`` that says no assessment was made; the model is not called for it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from chestpain.ehr._fhir import VisitMapping
from chestpain.kernel.errors import TriageError

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
    esc_pathway: str = "0/1 h"  # the ESC 2020 pathway the record holds (0/2 h or 0/3 h without a 1 h sample)
    risk_mace: float | None = None
    flag_reason: str = ""
    next_step: str | None = None
    later_alarm: tuple[str, bool] | None = None  # (what, reaches the rule-in level)

    @property
    def indicator(self) -> str:
        if self.risk is None:
            return "warning"
        if self.esc == "rule-in" or (self.later_alarm is not None and self.later_alarm[1]):
            return "critical"
        return "warning" if self.flag or self.later_alarm is not None else "info"


def later_sample_alarm(row: dict[str, Any], later: tuple[tuple[float, float], ...]) -> tuple[str, bool] | None:
    """The first hs-cTnI after the 1 h window above the patient's 99th percentile or risen by the ESC 2020 0/1 h change.

    The change and the rule-in level are ESC 2020's for ARCHITECT hs-cTnI (``features.ESC_CUTOFFS``: 6 and 64 ng/L).
    """
    from chestpain.ehr._codes import code_table
    from chestpain.features import ESC_CUTOFFS, TROPONIN_99TH_NG_L, EscEdition

    esc = ESC_CUTOFFS[EscEdition.esc2020]
    one_hour_ends = code_table().one_hour_window_minutes[1] / 60.0
    upper, t0 = TROPONIN_99TH_NG_L[row["sex"]], float(row["troponin_0h_ng_l"])
    for hours, value in later:
        if hours <= one_hour_ends:  # the 1 h sample: read by ESC 0/1 h and the model
            continue
        if value > upper or value - t0 >= esc.change:
            what = (
                f"hs-cTnI {_troponin(value)} at {hours:.1f} h after the first sample "
                f"({'above the 99th percentile for ' + row['sex'] + ' patients' if value > upper else ''}"
                f"{'; ' if value > upper and value - t0 >= esc.change else ''}"
                f"{f'rose {value - t0:g} ng/L since 0 h' if value - t0 >= esc.change else ''})"
            )
            return what, value >= esc.high
    return None


def _samples_text(row: dict[str, Any]) -> str:
    """'0 h 3 ng/L, 2 h 5 ng/L (change 2)': every sample the record holds, and each one's change from 0 h."""
    t0 = float(row["troponin_0h_ng_l"])
    parts = [f"0 h {_troponin(t0)}"]
    for hours in (1, 2, 3):
        value = row.get(f"troponin_{hours}h_ng_l")
        if value is not None and not pd.isna(value):
            parts.append(f"{hours} h {_troponin(float(value))} (change {abs(float(value) - t0):g})")
    return ", ".join(parts)


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
    return assess_many(model, [mapping])[0]


def assess_many(model: Any, mappings: list[VisitMapping]) -> list[Assessment]:
    """``assess`` for every mapping, the model run once over all sufficient rows.

    The service answers calls that arrive together this way: the pipeline, TreeSHAP and the reasons cost about
    the same for twenty rows as for one. Each row's result equals its lone ``assess`` (tested).
    """
    from chestpain.features import clinical_scores, esc_of_record
    from chestpain.features.columns import DOCUMENTED_SYMPTOM_COLUMNS, TRUE_SYMPTOM_COLUMNS

    assessments = [Assessment(mapping) for mapping in mappings]
    ready = [i for i, mapping in enumerate(mappings) if mapping.sufficient]
    if not ready:
        return assessments
    reuse = getattr(model, "dataset", None) == "cohort" and getattr(model, "symptom_source", None) == "sx"
    checked = [_checked_features(mappings[i]) for i in ready]
    own_rows = checked if reuse else [model.validate(mappings[i].frame(), source="FHIR data") for i in ready]
    features = pd.concat(own_rows, ignore_index=True)
    prediction = model.predict_features(features)
    # HEART reads the charted (doc_*) symptoms; in a FHIR row they are the same values as sx_*.
    charted = pd.concat(checked, ignore_index=True).rename(
        columns=dict(zip(TRUE_SYMPTOM_COLUMNS, DOCUMENTED_SYMPTOM_COLUMNS, strict=True))
    )
    scores = clinical_scores(charted)
    pathway, reading = esc_of_record(scores)
    thresholds = model.thresholds
    for position, i in enumerate(ready):
        mapping = mappings[i]
        sex = mapping.row["sex"]
        risk_mace = prediction["risk_mace_30d"].iloc[position]
        next_step = prediction["next_step"].iloc[position]
        assessments[i] = Assessment(
            mapping,
            risk=float(prediction["risk"].iloc[position]),
            flag=bool(prediction["flag"].iloc[position]),
            reasons=str(prediction["reasons"].iloc[position]),
            threshold=float(thresholds.get(sex, thresholds.get("all", np.nan))),
            heart=int(scores["heart_score"].iloc[position]),
            esc=str(reading[position]),
            esc_pathway=str(pathway[position]),
            risk_mace=None if pd.isna(risk_mace) else float(risk_mace),
            flag_reason=str(prediction["flag_reason"].iloc[position]),
            next_step=None if next_step is None or pd.isna(next_step) else str(next_step),
            later_alarm=later_sample_alarm(mapping.row, mapping.later_samples),
        )
    return assessments


def _checked_features(mapping: VisitMapping) -> pd.DataFrame:
    """The mapping's schema-checked row (checked now if it was mapped with ``validate=False``)."""
    if mapping.features is not None:
        return mapping.features
    from chestpain.ehr._fhir_validation import validated_row

    problems: list[str] = []
    features = validated_row(mapping.row, problems)
    if features is None:
        raise TriageError("; ".join(problems))
    return features


def _percent(value: float) -> str:
    from chestpain.features import risk_text

    return risk_text(value)


def summary(assessment: Assessment) -> str:
    """One line under 140 characters."""
    if assessment.risk is None:
        reason = assessment.mapping.problems[0].removeprefix("insufficient data: ")
        text = f"No MI risk assessment made, insufficient data: {reason}"
        return text if len(text) <= SUMMARY_MAX else "No MI risk assessment made, insufficient data (see the details)"
    risk = _percent(assessment.risk)
    mace = f", 30-day MACE {_percent(assessment.risk_mace)}" if assessment.risk_mace is not None else ""
    if assessment.esc == "rule-in":
        return f"Possible MI: ESC {assessment.esc_pathway} rules in (model MI risk {risk}{mace}); not safe to discharge"
    if assessment.later_alarm is not None:
        return f"Later hs-troponin raised: not safe to discharge (MI risk {risk}{mace}); see details"
    if assessment.flag and "mi" not in assessment.flag_reason.split("+"):
        return f"High 30-day risk: not safe to discharge on this model (MI {risk}{mace})"
    if assessment.flag:
        return f"Possible MI: not safe to discharge on this model (MI risk {risk}{mace}); repeat hs-troponin"
    return (
        f"Low risk on this model (MI {risk}{mace}); HEART {assessment.heart}, ESC {assessment.esc_pathway} "
        f"{assessment.esc}"
    )


def detail(assessment: Assessment) -> str:
    """Markdown: risk and threshold, HEART, ESC 0/1 h, the top reasons, notes on the data, the disclaimer."""
    mapping = assessment.mapping
    lines: list[str] = []
    if assessment.risk is None:
        lines.append("**No assessment was made** (the model was not run) because:")
        lines += [f"- {problem}" for problem in mapping.problems]
    else:
        row = mapping.row
        flag_text = {
            "mi": "possible MI, not safe to discharge",
            "mace": "high 30-day risk, not safe to discharge",
            "mi+mace": "possible MI and high 30-day risk, not safe to discharge",
        }.get(assessment.flag_reason, "no")
        lines += [
            f"**MI now (calibrated risk):** {_percent(assessment.risk)}; flag threshold for {row['sex']} patients "
            f"{_percent(assessment.threshold)} (lower for the model's guaranteed groups, e.g. women and men under "
            "55, early presenters, records without a 1 h sample).",
        ]
        if assessment.risk_mace is not None:
            lines.append(
                f"**Death, MI or urgent revascularisation within 30 days (calibrated risk):** "
                f"{_percent(assessment.risk_mace)}."
            )
        lines += [
            f"**Flag:** {flag_text}.",
            *([f"**Next step:** {assessment.next_step}."] if assessment.next_step else []),
            *(
                [f"**Later hs-troponin:** {assessment.later_alarm[0]}: not safe to discharge whatever the model says."]
                if assessment.later_alarm is not None
                else []
            ),
            f"**HEART score:** {assessment.heart} ({'low risk 0-3' if assessment.heart <= 3 else 'not low risk'}).",
            f"**ESC 2020 {assessment.esc_pathway} (hs-cTnI):** {assessment.esc} ({_samples_text(row)}; onset "
            f"{row['symptom_onset_hours']:g} h before 0 h).",
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
    repeat = assessment.next_step is not None and assessment.next_step.startswith("repeat hs-cTnI")
    if assessment.risk is not None and (assessment.indicator != "info" or repeat):
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
