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

Clinical features (cohort data): troponin and ECG enter as the features a clinician reads, each group made by one
:class:`ClinicalFeature` transformer named after its clinical input, so the explanation of a group is the sum of
its features' contributions (SHAP stays additive):

- ``troponin_0h_ng_l`` / ``troponin_1h_ng_l``: each sample in ng/L and as a multiple of the sex-specific 99th
  percentile (women 16, men 34 ng/L; High-STEACS, Shah et al., BMJ 2015, and the Architect hs-cTnI label);
  The 1 h sample may be missing (a 0/2 h or 0/3 h site draws none): its features are then 0 and
  ``troponin_1h_drawn`` is 0, the higher value is the 0 h one and the 1 h change 0;
- ``troponin_max``: the higher of the two samples (ng/L and multiple);
- ``troponin_change``: the absolute 1 h change and the rise (its positive part). Together they are the signed
  change (signed = 2 x rise - absolute) but, unlike a signed feature, both may be constrained to raise risk:
  scaling a falling pattern up makes a signed change more negative while every clinical reading of it worsens.
  Also the relative change, as the size and the rise of ``log((1 + t1) / (1 + t0))`` (relative deltas: Reichlin
  et al., Circulation 2011;124:136-45; the ESC 2011 NSTE-ACS guideline's >20% change): a change of 5 ng/L means
  little at 300 ng/L and much at 5 ng/L, which monotone trees cannot build from the two absolute features. The
  ``1 +`` keeps it non-decreasing when both samples scale up (and finite at 0 ng/L), so it can be constrained;
- ``ecg``: the ordered finding normal (0) < nonspecific (1) < ischemic (2);
- ``symptom_onset_hours``: passed through (time since onset changes what a troponin means; not constrained).
- ``troponin_2h_ng_l`` / ``troponin_3h_ng_l`` (issue 25): a later sample where drawn, as five features: whether it
  was drawn, its value, its rise from 0 h, its relative rise (``log((1 + t) / (1 + t0))``, positive part) and its
  multiple of the sex-specific 99th percentile; all but the first are 0 when it was not drawn, so the matrix
  holds no missing values (both estimators read it) and the value, multiple and rises can be constrained to raise
  risk (ESC 2020 0/2 h and 0/3 h read a later rise as MI; a value above the 99th adjudicates one).

:func:`monotone_features` lists the output features along which risk may never fall (unambiguous medicine:
higher troponin, larger change, worse ECG, a typical symptom present).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
from pydantic import model_validator
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder

from chestpain.features import messages as msg
from chestpain.features._labels import NOT_RECORDED, feature_label  # noqa: F401  (re-exported: their old home)
from chestpain.features._rules import COLUMN_RULES, Rule
from chestpain.features._schemas import uci_spec, visit_spec
from chestpain.features._scores import (
    TROPONIN_URL_FEMALE_NG_L,
    TROPONIN_URL_MALE_NG_L,
    TroponinPolicy,
    troponin_upper_limit,
)
from chestpain.features.columns import (
    ECG_FINDINGS,
    LATER_TROPONIN_COLUMNS,
    OUTCOME_AND_PROCESS_COLUMNS,
    TROPONIN_COLUMNS,
    TYPICAL_SYMPTOMS,
    model_visible_columns,
)
from chestpain.kernel.config import StrictModel
from chestpain.kernel.errors import TriageError

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


#: Sex-specific 99th percentile upper reference limit of the Architect hs-cTnI, ng/L: women 16, men 34 (High-STEACS,
#: Shah et al., BMJ 2015;350:g7873; Abbott ARCHITECT STAT hs-cTnI package insert), the constants of ``_scores``.
TROPONIN_99TH_NG_L = {"female": TROPONIN_URL_FEMALE_NG_L, "male": TROPONIN_URL_MALE_NG_L}
#: The ECG finding as an ordered severity (STEMI is out of scope).
ECG_SEVERITY = {finding: float(rank) for rank, finding in enumerate(ECG_FINDINGS)}

_T0, _T1 = TROPONIN_COLUMNS
#: Whether the 1 h sample was drawn (a 0/2 h or 0/3 h site has none); pipelines built before it lack the feature.
ONE_HOUR_DRAWN = "troponin_1h_drawn"
_T2, _T3 = LATER_TROPONIN_COLUMNS


def _later_outputs(hours: int) -> tuple[str, ...]:
    return (
        f"troponin_{hours}h_drawn",
        f"troponin_{hours}h_ng_l",
        f"troponin_rise_0_{hours}h_ng_l",
        f"troponin_relative_rise_0_{hours}h",
    )


#: Each clinical group: its input columns (``sex`` only for the multiples of the 99th percentile) and outputs.
_CLINICAL_GROUPS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "troponin_0h_ng_l": ((_T0, "sex"), (_T0, "troponin_0h_x99th")),
    "troponin_1h_ng_l": ((_T1, "sex"), (_T1, "troponin_1h_x99th", ONE_HOUR_DRAWN)),
    "troponin_max": ((_T0, _T1, "sex"), ("troponin_max_ng_l", "troponin_max_x99th")),
    "troponin_change": (
        (_T0, _T1),
        ("troponin_change_abs_ng_l", "troponin_rise_ng_l", "troponin_relative_change", "troponin_relative_rise"),
    ),
    "ecg": (("ecg",), ("ecg_severity",)),
    _T2: ((_T0, _T2, "sex"), (*_later_outputs(2), "troponin_2h_x99th")),
    _T3: ((_T0, _T3, "sex"), (*_later_outputs(3), "troponin_3h_x99th")),
    "troponin_course": (
        (_T0, _T1, _T2, _T3, "sex"),
        ("troponin_course_peak_x99th", "troponin_course_change_ng_l", "troponin_course_relative_change"),
    ),
}
#: Every drawn sample read together (0 h, 1 h, 2 h, 3 h): the highest as a multiple of the 99th percentile and the
#: largest change between any two. The 4th Universal Definition reads the course, not one pair: a rise and/or fall
#: with at least one value above the 99th. Built only when the later samples are model inputs.
COURSE_GROUP = "troponin_course"
#: The clinical groups (transformer names) that come from the troponin samples.
TROPONIN_GROUPS = ("troponin_0h_ng_l", "troponin_1h_ng_l", "troponin_max", "troponin_change", _T2, _T3, COURSE_GROUP)
#: Later-sample groups: a sample that may not have been drawn.
LATER_GROUPS = (_T2, _T3)
#: Their output features, all 0 for a patient whose later samples were not drawn.
LATER_SAMPLE_FEATURES = (*_CLINICAL_GROUPS[_T2][1], *_CLINICAL_GROUPS[_T3][1])


class ClinicalFeature(TransformerMixin, BaseEstimator):
    """One clinical input as the features a clinician reads (see the module docstring); stateless.

    Written here rather than as a ``FunctionTransformer`` so that the saved pipeline holds one class from this
    package on the skops allow-list instead of arbitrary callables.

    Parameters
    ----------
    group : str, default="troponin_0h_ng_l"
        One of ``troponin_0h_ng_l``, ``troponin_1h_ng_l``, ``troponin_max``, ``troponin_change``, ``ecg``,
        ``troponin_2h_ng_l``, ``troponin_3h_ng_l``, ``troponin_course``.
    log : bool, default=True
        ``log1p`` of every troponin-derived value (monotone, so constraints keep their direction).
    multiple : bool, default=True
        Include the multiple of the sex-specific 99th percentile (left out when sex is excluded: it encodes sex).
    relative : bool, default=True
        ``troponin_change`` only: add the relative change (size and rise of ``log((1 + t1) / (1 + t0))``, never
        ``log1p``-ed again). Pipelines saved before it existed lack the attribute and keep their two features.
    later_multiple : bool, default=True
        Later samples (2 h, 3 h) also as a multiple of the sex-specific 99th percentile, as 0 h and 1 h are
        (whether a sample exceeds it is what adjudicates an MI). Pipelines saved before it lack the attribute.
    optional_1h : bool, default=True
        The 1 h sample may be missing (not drawn): the 1 h group adds ``troponin_1h_drawn`` and its values are 0
        without it; the higher value is then the 0 h one and the 1 h change 0 ("no change seen"; the drawn flag
        tells the model it was not looked for). Pipelines saved before it lack the attribute and need 1 h.
    """

    def __init__(
        self,
        *,
        group: str = "troponin_0h_ng_l",
        log: bool = True,
        multiple: bool = True,
        relative: bool = True,
        later_multiple: bool = True,
        optional_1h: bool = True,
    ) -> None:
        self.group = group
        self.log = log
        self.multiple = multiple
        self.relative = relative
        self.later_multiple = later_multiple
        self.optional_1h = optional_1h

    def _optional_1h(self) -> bool:
        return getattr(self, "optional_1h", False)  # False: a pipeline saved before 1 h became optional

    def _later_multiple(self) -> bool:
        # getattr: False for a pipeline saved before later samples had their multiple of the 99th percentile.
        return self.group in LATER_GROUPS and self.multiple and getattr(self, "later_multiple", False)

    def _relative(self) -> bool:
        # getattr: a ClinicalFeature loaded from a model directory written before ``relative`` has no attribute.
        return self.group == "troponin_change" and getattr(self, "relative", False)

    def fit(self, x: object, y: object = None) -> ClinicalFeature:
        if self.group not in _CLINICAL_GROUPS:
            raise ValueError(f"unknown clinical group {self.group!r}; use one of {', '.join(_CLINICAL_GROUPS)}")
        self.n_features_in_ = len(self.input_columns())
        return self

    def input_columns(self) -> tuple[str, ...]:
        """The cohort columns this group reads, in order."""
        columns = _CLINICAL_GROUPS[self.group][0]
        with_sex = self._later_multiple() if self.group in LATER_GROUPS else self.multiple
        return columns if with_sex else tuple(name for name in columns if name != "sex")

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        names = _CLINICAL_GROUPS[self.group][1]
        if self.group == "troponin_change":
            names = names if self._relative() else names[:2]
        elif self.group in LATER_GROUPS:
            names = names if self._later_multiple() else names[:-1]
        else:
            names = tuple(
                name
                for name in names
                if (self.multiple or not name.endswith("_x99th")) and (self._optional_1h() or name != ONE_HOUR_DRAWN)
            )
        return np.asarray(names, dtype=object)

    def transform(self, x: object) -> np.ndarray:
        frame = x if hasattr(x, "columns") else None
        values = {
            name: (frame[name] if frame is not None else np.asarray(x)[:, i])
            for i, name in enumerate(self.input_columns())
        }
        if self.group == "ecg":
            ecg = np.asarray(values["ecg"], dtype=object)
            known = np.isin(ecg, ECG_FINDINGS)
            if not known.all():
                raise ValueError(f"ecg: unknown category {ecg[~known][0]!r}; expected one of {', '.join(ECG_FINDINGS)}")
            severity = np.select([ecg == name for name in ECG_FINDINGS], list(ECG_SEVERITY.values()))
            return severity.astype(np.float64).reshape(-1, 1)
        t0 = np.asarray(values.get(_T0, 0.0), dtype=np.float64)
        if self.group == COURSE_GROUP:
            return self._course(values, t0)
        if self.group in LATER_GROUPS:
            later = np.asarray(values[self.group], dtype=np.float64)
            out = _later_sample(t0, later, self.log)
            if not self._later_multiple():
                return out
            multiple = later / troponin_upper_limit(values["sex"], TroponinPolicy.sex_specific)
            multiple = np.log1p(multiple) if self.log else multiple
            return np.column_stack([out, np.where(np.isnan(later), 0.0, multiple)])
        t1 = np.asarray(values.get(_T1, 0.0), dtype=np.float64)
        drawn_1h = ~np.isnan(t1)
        if self._optional_1h():
            t1 = np.where(drawn_1h, t1, t0)  # no 1 h sample: the higher value is 0 h's, no change was seen
        if self.group == "troponin_change":
            change = t1 - t0
            absolute = np.column_stack([np.abs(change), np.maximum(change, 0.0)])
            absolute = np.log1p(absolute) if self.log else absolute
            if not self._relative():
                return absolute
            ratio = np.log1p(t1) - np.log1p(t0)
            return np.column_stack([absolute, np.abs(ratio), np.maximum(ratio, 0.0)])
        level = {"troponin_0h_ng_l": t0, "troponin_1h_ng_l": t1, "troponin_max": np.maximum(t0, t1)}[self.group]
        out = [level]
        if self.multiple:
            out.append(level / troponin_upper_limit(values["sex"], TroponinPolicy.sex_specific))
        stacked = np.column_stack(out)
        stacked = np.log1p(stacked) if self.log else stacked
        if self.group == _T1 and self._optional_1h():
            return np.column_stack([np.where(drawn_1h[:, None], stacked, 0.0), drawn_1h.astype(np.float64)])
        return stacked

    def _course(self, values: dict[str, object], t0: np.ndarray) -> np.ndarray:
        drawn = np.column_stack([t0, *(np.asarray(values[name], dtype=np.float64) for name in (_T1, _T2, _T3))])
        high, low = np.nanmax(drawn, axis=1), np.nanmin(drawn, axis=1)  # 0 h is always drawn: never all-NaN
        change = np.log1p(high - low) if self.log else high - low
        out = [change, np.log1p(high) - np.log1p(low)]  # the relative change: as troponin_change's, never log1p-ed
        if self.multiple:
            peak = high / troponin_upper_limit(values["sex"], TroponinPolicy.sex_specific)
            out.insert(0, np.log1p(peak) if self.log else peak)
        return np.column_stack(out)


def _later_sample(t0: np.ndarray, later: np.ndarray, log: bool) -> np.ndarray:
    """Drawn (0/1), value, rise from 0 h and relative rise of one later sample; 0 where it was not drawn."""
    drawn = ~np.isnan(later)
    filled = np.where(drawn, later, t0)  # not drawn: no value, no rise (every feature below is then 0)
    rise = np.maximum(filled - t0, 0.0)
    value, rise = (np.log1p(filled), np.log1p(rise)) if log else (filled, rise)
    relative = np.maximum(np.log1p(filled) - np.log1p(t0), 0.0)
    return np.column_stack([drawn.astype(np.float64), np.where(drawn, value, 0.0), rise, relative])


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
    later_samples : bool, default=True
        Cohort only. Read the 2 h and 3 h samples where drawn (issue 25); ``false`` is the 0/1 h model.
    exclude : tuple of str, default=()
        Further columns to leave out (ablations, e.g. ``("sex",)``).
    """

    dataset: Literal["cohort", "uci"] = "cohort"
    symptom_source: Literal["sx", "doc"] = "sx"
    include_race: bool = False
    log_troponin: bool = True
    later_samples: bool = True
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
    left_out = {"race"} if not config.include_race else set()
    left_out |= set(LATER_TROPONIN_COLUMNS) if not config.later_samples else set()
    return tuple(name for name in columns if name not in left_out)


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
    clinical = config.dataset == "cohort" and set(TROPONIN_COLUMNS) <= set(names)
    transformers = []
    for name in names:
        if clinical and name in _CLINICAL_GROUPS:
            transformers.append(_clinical(name, config, "sex" in names))
            if name == _T1:  # both samples are in: the higher one and the 1 h change follow the 1 h sample
                transformers.append(_clinical("troponin_max", config, "sex" in names))
                transformers.append(_clinical("troponin_change", config, "sex" in names))
            if name == _T3 and _T2 in names:  # every sample is in: their course follows the last one
                transformers.append(_clinical(COURSE_GROUP, config, "sex" in names))
        else:
            transformers.append((name, _transformer(name, rules[name], config.log_troponin), [name]))
    return ColumnTransformer(transformers, remainder="drop", verbose_feature_names_out=False)


def _clinical(group: str, config: FeatureConfig, with_sex: bool) -> tuple[str, ClinicalFeature, list[str]]:
    step = ClinicalFeature(group=group, log=config.log_troponin, multiple=with_sex)
    return (group, step, list(step.input_columns()))


def monotone_features(feature_names: Sequence[str]) -> tuple[str, ...]:
    """Output features along which risk may never fall: troponin values, the change, ECG severity, typical symptoms.

    The direction is medicine, not data (ESC 0/1 h and the 4th Universal Definition read a higher value and a
    larger change as more likely MI; a worse ECG and a typical symptom raise the pre-test probability). Atypical
    symptoms, onset time, age and vitals are left free.
    """
    increasing = {
        name
        for outputs in (_CLINICAL_GROUPS[g][1] for g in (*TROPONIN_GROUPS, "ecg"))
        for name in outputs
        if not name.endswith("_drawn")  # whether a later sample was drawn says nothing about its direction
    }
    increasing |= {f"{prefix}_{name}" for prefix in ("sx", "doc") for name in TYPICAL_SYMPTOMS}
    return tuple(name for name in feature_names if name in increasing)


def feature_labels(preprocessor: ColumnTransformer) -> dict[str, str]:
    """Map every output feature of a *fitted* preprocessor to its plain-English label."""
    return {name: feature_label(name) for name in preprocessor.get_feature_names_out()}
