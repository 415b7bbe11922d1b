"""Every column's rule as plain data: type, unit, plausible range and its source, categories.

Split from ``features._schemas`` (which builds the pandera schemas from these rules) so that code which only needs
a column's words or range (the app's discharge form, feature labels, the patient account) imports neither pandas
nor pandera: the app's first page draws before they load (issue 18). ``features._schemas`` re-exports every name.

Ranges are *plausibility* limits for catching data-entry and unit errors, not reference ranges: a value
outside them is almost certainly a typo (1200 for 120) or a wrong unit, never a rare but real patient.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from chestpain.features.columns import ECG_FINDINGS, RACES, RISK_FACTORS, SEXES, SYMPTOMS

Kind = Literal["id", "int", "float", "bool", "category"]


@dataclass(frozen=True)
class Rule:
    """What one column holds: kind, unit, plausible range (with its source) and allowed categories.

    ``meaning`` completes the sentence "every row needs ..." in error messages.
    """

    kind: Kind
    meaning: str
    unit: str = ""
    low: float | None = None
    high: float | None = None
    source: str = ""
    categories: tuple[str, ...] = ()
    nullable: bool = False
    troponin: bool = False


_TROPONIN_SOURCE = (
    "hs-cTnI in ng/L; 0 = undetectable; values in (0, 1) are ng/mL typed into an ng/L field (the 99th "
    "percentile is 16-34 ng/L, i.e. 0.016-0.034 ng/mL); the upper limit is above any hs-cTnI assay's "
    "measuring range"
)

_BASE_RULES: dict[str, Rule] = {
    "patient_id": Rule("id", "a patient_id (whole number, unique within the file)"),
    "age": Rule("int", "age in years", "years", 18, 100, "adult ED chest-pain cohorts (DESIGN.md: 18-100)"),
    "sex": Rule("category", "sex (female or male)", categories=SEXES),
    "race": Rule("category", "race", categories=RACES),
    **{name: Rule("bool", f"{name.replace('_', ' ')} (true/false)") for name in RISK_FACTORS},
    **{f"sx_{name}": Rule("bool", f"elicited symptom {name.replace('_', ' ')} (true/false)") for name in SYMPTOMS},
    **{f"doc_{name}": Rule("bool", f"documented symptom {name.replace('_', ' ')} (true/false)") for name in SYMPTOMS},
    "pain_score": Rule("int", "pain score 0-10", "points", 0, 10, "the 11-point numeric rating scale (NRS)"),
    "heart_rate": Rule(
        "float",
        "heart rate at triage (beats/min)",
        "beats/min",
        20,
        250,
        "plausibility limits, not reference ranges: under 20/min is agonal, over 250/min is beyond the fastest "
        "tachyarrhythmias seen at triage; outside them the value is a typo (e.g. 1200 for 120) or another unit",
    ),
    "systolic_bp": Rule(
        "float",
        "systolic blood pressure at triage (mmHg)",
        "mmHg",
        50,
        300,
        "plausibility limits: under 50 mmHg is profound shock (not a triaged chest-pain visit), over 300 mmHg "
        "is beyond what a cuff reading reports; outside them the value is a typo or in kPa",
    ),
    "ecg": Rule("category", "ECG finding", categories=ECG_FINDINGS),
    "symptom_onset_hours": Rule(
        "float",
        "hours from onset of the worst pain to the 0 h troponin sample",
        "hours",
        0,
        720,
        "cannot be negative; a month bounds an acute chest-pain presentation (most present within a day)",
    ),
    "troponin_0h_ng_l": Rule(
        "float", "hs-cTnI at presentation in ng/L", "ng/L", 0, 100_000, _TROPONIN_SOURCE, troponin=True
    ),
    "troponin_1h_ng_l": Rule(
        "float",
        "hs-cTnI 1 h after presentation in ng/L (missing where not drawn)",
        "ng/L",
        0,
        100_000,
        _TROPONIN_SOURCE,
        nullable=True,
        troponin=True,
    ),
    "troponin_2h_ng_l": Rule(
        "float",
        "hs-cTnI 2 h after presentation in ng/L (missing where not drawn)",
        "ng/L",
        0,
        100_000,
        _TROPONIN_SOURCE,
        nullable=True,
        troponin=True,
    ),
    "troponin_3h_ng_l": Rule(
        "float",
        "hs-cTnI 3 h after presentation in ng/L (missing where not drawn)",
        "ng/L",
        0,
        100_000,
        _TROPONIN_SOURCE,
        nullable=True,
        troponin=True,
    ),
    "interrupt_seconds": Rule(
        "float", "seconds before interruption", "s", 0, 86_400, "cannot be negative; a day is an upper bound"
    ),
    "clinician_risk": Rule("float", "clinician's P(MI)", "", 0, 1, "a probability"),
    "mi": Rule("bool", "adjudicated MI (true/false)"),
    "diagnosed_mi": Rule("bool", "charted MI diagnosis (true/false)"),
    "discharged": Rule("bool", "discharged from the ED (true/false)"),
    "missed_mi": Rule("bool", "missed MI (true/false)"),
    "outcome_30d": Rule("bool", "death or MI within 30 days (true/false)"),
    "unstable_angina": Rule("bool", "unstable angina: acute coronary event without MI (true/false)"),
    "acs": Rule("bool", "acute coronary syndrome: type 1 MI or unstable angina (true/false)"),
    "mace_30d": Rule("bool", "death, MI or urgent revascularisation within 30 days (true/false)"),
    "analgesia_given": Rule("bool", "analgesia given (true/false)"),
    "oracle_mi_probability": Rule("float", "oracle P(MI)", "", 0, 1, "a probability"),
    "oracle_mace_probability": Rule("float", "oracle P(30-day MACE)", "", 0, 1, "a probability"),
}

UCI_SITES = ("cleveland", "hungarian", "switzerland", "va")
UCI_CHEST_PAIN_TYPES = ("typical_angina", "atypical_angina", "non_anginal_pain", "asymptomatic")
UCI_ST_SLOPES = ("upsloping", "flat", "downsloping")
UCI_THALLIUM = ("normal", "fixed_defect", "reversible_defect")

_UCI_RULES: dict[str, Rule] = {
    "patient_id": _BASE_RULES["patient_id"],
    "site": Rule("category", "UCI site", categories=UCI_SITES),
    "site_row": Rule("int", "line number in the site's file", "", 1, 10_000, "file line"),
    "age": _BASE_RULES["age"],
    "sex": _BASE_RULES["sex"],
    "chest_pain_type": Rule("category", "chest pain type", categories=UCI_CHEST_PAIN_TYPES),
    "sx_chest_pain": Rule("bool", "any chest pain (true/false)"),
    "systolic_bp": dataclasses.replace(_BASE_RULES["systolic_bp"], nullable=True),
    "cholesterol_mg_dl": Rule(
        "float", "serum cholesterol (mg/dL)", "mg/dL", 50, 1000, "plausibility limits", nullable=True
    ),
    "fasting_glucose_over_120": Rule("bool", "fasting blood sugar > 120 mg/dL", nullable=True),
    "ecg": dataclasses.replace(_BASE_RULES["ecg"], nullable=True),
    "max_heart_rate_exercise": Rule(
        "float", "maximum heart rate on exercise", "beats/min", 40, 250, "plausibility limits", nullable=True
    ),
    "sx_exertional": Rule("bool", "angina induced by the exercise test", nullable=True),
    "st_depression_exercise_mm": Rule(
        "float", "exercise ST depression (mm)", "mm", -5, 10, "plausibility limits", nullable=True
    ),
    "st_slope": Rule("category", "peak-exercise ST slope", categories=UCI_ST_SLOPES, nullable=True),
    "fluoroscopy_vessels": Rule("int", "vessels coloured by fluoroscopy", "", 0, 3, "0-3 vessels", nullable=True),
    "thallium": Rule("category", "thallium scan result", categories=UCI_THALLIUM, nullable=True),
    "cad": Rule("bool", "angiographic CAD, > 50% narrowing (true/false)"),
}

#: Every column rule known to the package (cohort columns and UCI columns), by column name.
COLUMN_RULES: Mapping[str, Rule] = {**_UCI_RULES, **_BASE_RULES}
