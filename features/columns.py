"""The cohort-table contract (DESIGN.md): column names, types, categories and which columns a model may see.

Every package reads column names from here so the contract lives in one place.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pyarrow as pa

SEXES = ("female", "male")
RACES = ("white", "black", "hispanic", "asian", "other")
ECG_FINDINGS = ("normal", "nonspecific", "ischemic")

RISK_FACTORS = (
    "diabetes",
    "hypertension",
    "hyperlipidemia",
    "current_smoker",
    "family_history_cad",
    "prior_cad",
)

# Symptom suffixes. "Typical" is the textbook (male) pattern; the others are the presentations that are more
# common in women (van Oosterhout et al., JAHA 2020) and historically labelled "atypical".
TYPICAL_SYMPTOMS = ("chest_pain", "radiation", "diaphoresis", "exertional")
ATYPICAL_SYMPTOMS = ("nausea", "dyspnea", "back_or_jaw_pain", "fatigue")
# Pain features that lower the odds of an acute coronary syndrome (likelihood ratios about 0.2-0.3: Swap &
# Nagurney, JAMA 2005; Panju et al., JAMA 1998). They are what a dismissive reading of "atypical" pain seizes on.
LOW_RISK_SYMPTOMS = ("pleuritic", "positional", "reproducible_by_palpation")
SYMPTOMS = (
    "chest_pain",
    "radiation",
    "diaphoresis",
    "nausea",
    "dyspnea",
    "back_or_jaw_pain",
    "fatigue",
    "exertional",
    *LOW_RISK_SYMPTOMS,
)
TRUE_SYMPTOM_COLUMNS = tuple(f"sx_{name}" for name in SYMPTOMS)
DOCUMENTED_SYMPTOM_COLUMNS = tuple(f"doc_{name}" for name in SYMPTOMS)
#: Columns added after the first cohort contract: optional in a user's batch (missing = not recorded).
OPTIONAL_VISIT_COLUMNS = tuple(f"{prefix}_{name}" for prefix in ("sx", "doc") for name in LOW_RISK_SYMPTOMS)

VITALS = ("heart_rate", "systolic_bp")
#: Hours from onset of the worst pain to the 0 h sample, as the clinician records it (the ESC 0/1 h very-low arm
#: applies only after 3 h; early presenters can have a low but rising hs-cTnI).
ONSET_COLUMN = "symptom_onset_hours"
TROPONIN_COLUMNS = ("troponin_0h_ng_l", "troponin_1h_ng_l")
#: Later samples: recorded only where drawn (missing = not drawn). Model inputs since issue 25 (optional in a
#: batch); models trained before it ignore them.
LATER_TROPONIN_COLUMNS = ("troponin_2h_ng_l", "troponin_3h_ng_l")
#: Every sample after 0 h; each may be missing (not drawn: a 0/2 h or 0/3 h site has no 1 h sample), but an ED
#: visit needs at least one of them.
SERIAL_TROPONIN_COLUMNS = ("troponin_1h_ng_l", *LATER_TROPONIN_COLUMNS)

# Columns produced by the encounter and the decision: never model inputs (they encode the outcome or the
# clinician's judgement, or the simulator's own answer key).
OUTCOME_AND_PROCESS_COLUMNS = (
    "interrupt_seconds",
    "clinician_risk",
    "mi",
    "diagnosed_mi",
    "discharged",
    "missed_mi",
    "outcome_30d",
    "unstable_angina",
    "acs",
    "mace_30d",
    "analgesia_given",
    "oracle_mi_probability",
    "oracle_mace_probability",
)

#: The cohort table's columns and Arrow types (``pyarrow.type_for_alias`` names), in file order.
_COHORT_TYPES: tuple[tuple[str, str], ...] = (
    ("patient_id", "int64"),
    ("age", "int64"),
    ("sex", "string"),
    ("race", "string"),
    *[(name, "bool") for name in RISK_FACTORS],
    *[(name, "bool") for name in TRUE_SYMPTOM_COLUMNS],
    *[(name, "bool") for name in DOCUMENTED_SYMPTOM_COLUMNS],
    ("pain_score", "int64"),
    ("heart_rate", "float64"),
    ("systolic_bp", "float64"),
    ("ecg", "string"),
    ("symptom_onset_hours", "float64"),
    ("troponin_0h_ng_l", "float64"),
    ("troponin_1h_ng_l", "float64"),
    ("troponin_2h_ng_l", "float64"),
    ("troponin_3h_ng_l", "float64"),
    ("interrupt_seconds", "float64"),
    ("clinician_risk", "float64"),
    ("mi", "bool"),
    ("diagnosed_mi", "bool"),
    ("discharged", "bool"),
    ("missed_mi", "bool"),
    ("outcome_30d", "bool"),
    ("unstable_angina", "bool"),
    ("acs", "bool"),
    ("mace_30d", "bool"),
    ("analgesia_given", "bool"),
    ("oracle_mi_probability", "float64"),
    ("oracle_mace_probability", "float64"),
)
COHORT_COLUMNS = tuple(name for name, _ in _COHORT_TYPES)


def __getattr__(name: str) -> object:
    """``COHORT_SCHEMA`` (the Arrow schema of the cohort table), built on first use (PEP 562).

    Lazy so that importing the column names does not import pyarrow and numpy (a quarter of a second on a small
    machine): the app's discharge form, which needs only the names, draws before they load (issue 18).
    """
    if name == "COHORT_SCHEMA":
        import pyarrow as pa

        schema = pa.schema([(column, pa.type_for_alias(kind)) for column, kind in _COHORT_TYPES])
        globals()[name] = schema
        return schema
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


if TYPE_CHECKING:
    COHORT_SCHEMA: pa.Schema


def model_visible_columns(symptom_source: str = "sx") -> tuple[str, ...]:
    """Columns a model may learn from; ``symptom_source`` picks elicited (``sx``) or charted (``doc``) symptoms.

    The choice is the question-prompt-list experiment: ``sx_*`` is what a full prompt list elicits,
    ``doc_*`` is what an interrupted encounter put in the chart.
    """
    if symptom_source not in ("sx", "doc"):
        raise ValueError(f"symptom_source must be 'sx' or 'doc', got {symptom_source!r}")
    symptoms = TRUE_SYMPTOM_COLUMNS if symptom_source == "sx" else DOCUMENTED_SYMPTOM_COLUMNS
    return (
        "age",
        "sex",
        "race",
        *RISK_FACTORS,
        *symptoms,
        "pain_score",
        *VITALS,
        "ecg",
        ONSET_COLUMN,
        *TROPONIN_COLUMNS,
        *LATER_TROPONIN_COLUMNS,
    )
