"""The discharge form's words: the question prompt list, each numeric field's unit and range, the ♀ marks.

Plain text and data only (no pandas, pandera, scikit-learn or the model), so the app's discharge page draws its
form before those libraries have loaded (issue 18). Others use these names through ``chestpain.features``.
"""

from __future__ import annotations

from chestpain.features._rules import COLUMN_RULES
from chestpain.features.columns import ATYPICAL_SYMPTOMS

#: The question prompt list: one question per symptom, in the order they are asked. The symptoms that are more
#: common in women (``ATYPICAL_SYMPTOMS``) are asked like the others, not only when the patient volunteers them.
PROMPT_LIST = {
    "chest_pain": "Chest pain, pressure or tightness?",
    "radiation": "Pain spreading to the arm, shoulder, neck or jaw?",
    "diaphoresis": "Sweating (diaphoresis)?",
    "exertional": "Brought on or made worse by exertion?",
    "nausea": "Nausea or vomiting?",
    "dyspnea": "Shortness of breath?",
    "back_or_jaw_pain": "Pain in the back, neck or jaw?",
    "fatigue": "Unusual tiredness or weakness?",
    "pleuritic": "Pain that is worse when breathing in deeply?",
    "positional": "Pain that changes with position (lying down, leaning forward)?",
    "reproducible_by_palpation": "Pain reproduced by pressing on the chest wall (on examination)?",
}


def field_hint(name: str) -> str:
    """Unit and plausible range of a numeric field, from the schema's own rule (e.g. 'ng/L, plausible 0-100000')."""
    rule = COLUMN_RULES[name]
    text = rule.meaning
    if rule.low is not None and rule.high is not None:
        text += f"; plausible range {rule.low:g}-{rule.high:g} {rule.unit}".rstrip()
    if rule.troponin:
        text += "; enter ng/L, not ng/mL (0.034 ng/mL = 34 ng/L); a result reported as '< 2' (below the limit of "
        text += "detection): enter 1"
    return text


def more_common_in_women(symptom: str) -> bool:
    """Whether a symptom is one of those more common in women (van Oosterhout et al., JAHA 2020)."""
    return symptom in ATYPICAL_SYMPTOMS
