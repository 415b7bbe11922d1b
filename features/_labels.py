"""Plain words for every column and model feature (``feature_label``), for explanations and forms shown to clinicians.

Split from ``features._pipeline`` (the scikit-learn pipeline, which re-exports these names) so that the app's
discharge form can label its fields without importing scikit-learn, pandas or pandera: the form draws before they
load (issue 18).
"""

from __future__ import annotations

import math

from chestpain.features._rules import COLUMN_RULES

#: Category used for a missing value in a nullable categorical column.
NOT_RECORDED = "not_recorded"

_LABELS = {
    "age": "age",
    "sex": "sex",
    "race": "race",
    "diabetes": "diabetes",
    "hypertension": "high blood pressure",
    "hyperlipidemia": "high cholesterol",
    "current_smoker": "current smoker",
    "family_history_cad": "family history of heart disease",
    "prior_cad": "known coronary disease",
    "pain_score": "pain score",
    "heart_rate": "heart rate at triage",
    "systolic_bp": "systolic blood pressure",
    "ecg": "ECG",
    "symptom_onset_hours": "hours since the pain began",
    "troponin_0h_ng_l": "troponin 0 h",
    "troponin_1h_ng_l": "troponin 1 h",
    "troponin_0h_x99th": "troponin 0 h (x 99th percentile)",
    "troponin_1h_x99th": "troponin 1 h (x 99th percentile)",
    "troponin_max": "higher troponin",
    "troponin_max_ng_l": "higher troponin",
    "troponin_max_x99th": "higher troponin (x 99th percentile)",
    "troponin_change": "troponin 1 h change",
    "troponin_change_abs_ng_l": "troponin 1 h change (absolute)",
    "troponin_rise_ng_l": "troponin 1 h rise",
    "troponin_relative_change": "troponin 1 h change (relative)",
    "troponin_relative_rise": "troponin 1 h rise (relative)",
    "ecg_severity": "ECG severity (normal < nonspecific < ischemic)",
    "troponin_2h_ng_l": "troponin 2 h",
    "troponin_3h_ng_l": "troponin 3 h",
    "troponin_1h_drawn": "troponin 1 h drawn",
    "troponin_2h_x99th": "troponin 2 h (x 99th percentile)",
    "troponin_3h_x99th": "troponin 3 h (x 99th percentile)",
    "troponin_2h_drawn": "troponin 2 h drawn",
    "troponin_3h_drawn": "troponin 3 h drawn",
    "troponin_rise_0_2h_ng_l": "troponin rise 0 h to 2 h",
    "troponin_rise_0_3h_ng_l": "troponin rise 0 h to 3 h",
    "troponin_relative_rise_0_2h": "troponin rise 0 h to 2 h (relative)",
    "troponin_relative_rise_0_3h": "troponin rise 0 h to 3 h (relative)",
    "troponin_course": "troponin course",
    "troponin_course_peak_x99th": "highest troponin of all samples (x 99th percentile)",
    "troponin_course_change_ng_l": "largest troponin change between samples",
    "troponin_course_relative_change": "largest troponin change between samples (relative)",
    "chest_pain_type": "chest pain type",
    "cholesterol_mg_dl": "cholesterol",
    "fasting_glucose_over_120": "fasting glucose over 120 mg/dL",
    "max_heart_rate_exercise": "maximum heart rate on exercise",
    "st_depression_exercise_mm": "ST depression on exercise",
    "st_slope": "ST slope on exercise",
    "thallium": "thallium scan",
    "site": "UCI site",
}
_SYMPTOM_WORDS = {
    "chest_pain": "chest pain",
    "radiation": "radiating pain",
    "diaphoresis": "sweating",
    "nausea": "nausea",
    "dyspnea": "shortness of breath",
    "back_or_jaw_pain": "back or jaw pain",
    "fatigue": "fatigue",
    "exertional": "pain on exertion",
    "pleuritic": "pleuritic pain",
    "positional": "positional pain",
    "reproducible_by_palpation": "pain reproduced by palpation",
}
_LABELS.update({f"sx_{key}": f"{words} (asked)" for key, words in _SYMPTOM_WORDS.items()})
_LABELS.update({f"doc_{key}": f"{words} (charted)" for key, words in _SYMPTOM_WORDS.items()})
_LABELS["sx_exertional"] = "pain on exertion (asked)"


def feature_label(feature: str) -> str:
    """Plain words for a transformed feature name, for explanations shown to clinicians.

    Examples
    --------
    >>> feature_label("troponin_1h_ng_l")
    'troponin 1 h'
    >>> feature_label("sex_female")
    'sex: female'
    >>> feature_label("missingindicator_cholesterol_mg_dl")
    'cholesterol not recorded'
    """
    if feature in _LABELS:
        return _LABELS[feature]
    prefix = "missingindicator_"
    if feature.startswith(prefix):
        return f"{feature_label(feature[len(prefix) :])} not recorded"
    for column, rule in COLUMN_RULES.items():
        if rule.kind == "category" and feature.startswith(f"{column}_"):
            category = feature[len(column) + 1 :]
            if category in rule.categories or category == NOT_RECORDED:
                return f"{_LABELS.get(column, column)}: {category.replace('_', ' ')}"
    return feature.replace("_", " ")


#: The lowest risk shown as a number (issue 25). The calibration is fitted on about 100,000-300,000 out-of-fold
#: visits; among those it scores below 0.1% there is about one MI per thousand, so a group of 50,000 holds ~50
#: events, whose Wilson 95% interval spans roughly +-30% of the rate, and any finer split of it has fewer. 0.1% is
#: therefore the lowest risk the calibration can tell apart from its neighbours: anything below it reads "<0.1%"
#: (never "0.0%", which reads as "impossible").
RISK_DISPLAY_FLOOR = 0.001


def risk_text(value: float | None) -> str:
    """A calibrated risk as a clinician reads it: '12.3%', '0.4%', '<0.1%', or 'n/a' when there is none.

    Examples
    --------
    >>> risk_text(0.0004), risk_text(0.0123), risk_text(None)
    ('<0.1%', '1.2%', 'n/a')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if value < RISK_DISPLAY_FLOOR:
        return f"<{RISK_DISPLAY_FLOOR:.1%}"
    return f"{value:.1%}"
