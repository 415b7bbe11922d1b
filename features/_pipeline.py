"""The one feature pipeline every model shares: a scikit-learn ColumnTransformer over declared columns.

Columns come from a declared list (``feature_columns``), never from whatever a frame happens to hold, and
each column's treatment follows from its rule in ``features._schemas``:

- categories (sex, race, ECG, UCI codes): one-hot over the validated category list with
  ``handle_unknown="error"``, so an unseen category fails loudly instead of encoding as all zeros;
- booleans: passed through as 0/1;
- numbers: passed through; troponin optionally as ``log1p(ng/L)`` (its distribution spans four orders of
  magnitude, which linear models handle badly);
- columns that may be missing (race in ED batches, most UCI columns): imputed, with a missing-indicator
  feature so a model can learn from missingness itself.

Outcome and process columns (``OUTCOME_AND_PROCESS_COLUMNS``), identifiers and the UCI label are refused:
a model that sees them learns the answer or the clinician's decision, not the patient.

Output feature names are plain column names (``troponin_1h_ng_l``, ``sex_female``) so explanations can be
turned into words with :func:`feature_label`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
from pydantic import model_validator
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder

from features import _messages as msg
from features._schemas import COLUMN_RULES, Rule, uci_spec, visit_spec
from features.columns import OUTCOME_AND_PROCESS_COLUMNS, TROPONIN_COLUMNS, model_visible_columns
from triage.config import StrictModel
from triage.errors import TriageError

#: Category used for a missing value in a nullable categorical column.
NOT_RECORDED = "not_recorded"

#: UCI columns a model may learn from. Left out: ``fluoroscopy_vessels`` (measured at the angiography that
#: defines the label), ``sx_chest_pain`` (a coarsening of ``chest_pain_type``), ``site``/``site_row``/
#: ``patient_id`` (bookkeeping; site mostly encodes its CAD prevalence).
UCI_FEATURE_COLUMNS = (
    "age",
    "sex",
    "chest_pain_type",
    "systolic_bp",
    "cholesterol_mg_dl",
    "fasting_glucose_over_120",
    "ecg",
    "max_heart_rate_exercise",
    "sx_exertional",
    "st_depression_exercise_mm",
    "st_slope",
    "thallium",
)

#: Why each refused column may never be a feature.
FORBIDDEN_FEATURES: dict[str, str] = {
    **{name: "it is an outcome or a product of the encounter" for name in OUTCOME_AND_PROCESS_COLUMNS},
    "patient_id": "it is an identifier",
    "cad": "it is the UCI label",
    "fluoroscopy_vessels": "it is measured at the angiography that defines the UCI label",
}

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
}
_LABELS.update({f"sx_{key}": f"{words} (asked)" for key, words in _SYMPTOM_WORDS.items()})
_LABELS.update({f"doc_{key}": f"{words} (charted)" for key, words in _SYMPTOM_WORDS.items()})
_LABELS["sx_exertional"] = "pain on exertion (asked)"


class FeatureConfig(StrictModel):
    """Which columns a model sees; part of every training config.

    Parameters
    ----------
    dataset : {"cohort", "uci"}, default="cohort"
        Simulated cohort / ED visit columns, or the harmonised UCI table (``UCI_FEATURE_COLUMNS``).
    symptom_source : {"sx", "doc"}, default="sx"
        Cohort only. ``sx``: the symptoms a full question prompt list elicits; ``doc``: the symptoms
        charted after interruption and discounting, which is all an EHR-trained model sees. Comparing the two
        is the question-prompt-list experiment.
    include_race : bool, default=False
        Cohort only. Race is left out by default: it is not a cause of MI, and a model that uses it can
        reproduce the biased care recorded in its training data.
    log_troponin : bool, default=True
        Feed troponin to the model as ``log1p(ng/L)``.
    exclude : tuple of str, default=()
        Further columns to leave out (ablations, e.g. ``("sex",)``).
    """

    dataset: Literal["cohort", "uci"] = "cohort"
    symptom_source: Literal["sx", "doc"] = "sx"
    include_race: bool = False
    log_troponin: bool = True
    exclude: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _consistent(self) -> FeatureConfig:
        if self.dataset == "uci" and self.symptom_source == "doc":
            raise ValueError("the UCI table has no documented (doc_*) symptoms; use symptom_source: sx")
        if self.dataset == "uci" and self.include_race:
            raise ValueError("the UCI table does not record race; use include_race: false")
        return self


def _declared_columns(config: FeatureConfig) -> tuple[str, ...]:
    if config.dataset == "uci":
        return UCI_FEATURE_COLUMNS
    columns = model_visible_columns(config.symptom_source)
    return tuple(name for name in columns if name != "race" or config.include_race)


def feature_columns(config: FeatureConfig | None = None) -> tuple[str, ...]:
    """The declared input columns of the pipeline for ``config``, in order."""
    config = config or FeatureConfig()
    declared = _declared_columns(config)
    for name in config.exclude:
        if name not in declared:
            raise TriageError(msg.UNKNOWN_EXCLUDE.format(column=name, features=", ".join(declared)))
    return tuple(name for name in declared if name not in config.exclude)


def check_feature_columns(columns: Sequence[str]) -> None:
    """Refuse outcome, process, identifier and label columns, and columns without a declared rule."""
    for name in columns:
        if name in FORBIDDEN_FEATURES:
            raise TriageError(msg.FORBIDDEN_FEATURE.format(column=name, why=FORBIDDEN_FEATURES[name]))
        if name not in COLUMN_RULES:
            raise TriageError(msg.UNDECLARED_FEATURE.format(column=name))


def _rules(config: FeatureConfig) -> dict[str, Rule]:
    """Column rules as the pipeline meets them: ED-batch nullability for the cohort, UCI's for UCI."""
    spec = uci_spec() if config.dataset == "uci" else visit_spec(config.symptom_source)
    return {**COLUMN_RULES, **spec.rules}


def _transformer(name: str, rule: Rule, log_troponin: bool) -> object:
    if rule.kind == "category":
        categories = list(rule.categories) + ([NOT_RECORDED] if rule.nullable else [])
        encoder = OneHotEncoder(categories=[categories], handle_unknown="error", sparse_output=False)
        if not rule.nullable:
            return encoder
        imputer = SimpleImputer(strategy="constant", fill_value=NOT_RECORDED, keep_empty_features=True)
        return Pipeline([("impute", imputer), ("onehot", encoder)])
    if rule.nullable:
        strategy = "most_frequent" if rule.kind == "bool" else "median"
        # keep_empty_features: a column missing throughout training still yields its features (filled with 0),
        # so the output names never depend on the data.
        return SimpleImputer(strategy=strategy, add_indicator=True, keep_empty_features=True)
    if log_troponin and name in TROPONIN_COLUMNS:
        return FunctionTransformer(np.log1p, feature_names_out="one-to-one")
    return "passthrough"


def build_preprocessor(
    config: FeatureConfig | None = None, *, columns: Sequence[str] | None = None
) -> ColumnTransformer:
    """The shared, unfitted feature ColumnTransformer.

    Parameters
    ----------
    config : FeatureConfig, optional
        Which columns and how; default ``FeatureConfig()``.
    columns : sequence of str, optional
        Override the declared list (must still be declared columns; outcome and process columns are refused).

    Returns
    -------
    sklearn.compose.ColumnTransformer
        One transformer per column, named after it; other columns of the input are dropped. Output feature
        names (``get_feature_names_out``) are column names, ``<column>_<category>`` for one-hot features and
        ``missingindicator_<column>`` for missingness; :func:`feature_label` turns them into words.

    Raises
    ------
    TriageError
        A column is forbidden (``FORBIDDEN_FEATURES``) or has no declared rule.

    Examples
    --------
    >>> pre = build_preprocessor(FeatureConfig(symptom_source="doc"))
    >>> [name for name, _, _ in pre.transformers][:3]
    ['age', 'sex', 'diabetes']
    """
    config = config or FeatureConfig()
    names = tuple(columns) if columns is not None else feature_columns(config)
    check_feature_columns(names)
    rules = _rules(config)
    transformers = [(name, _transformer(name, rules[name], config.log_troponin), [name]) for name in names]
    return ColumnTransformer(transformers, remainder="drop", verbose_feature_names_out=False)


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


def feature_labels(preprocessor: ColumnTransformer) -> dict[str, str]:
    """Map every output feature of a *fitted* preprocessor to its plain-English label."""
    return {name: feature_label(name) for name in preprocessor.get_feature_names_out()}
