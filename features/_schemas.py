"""Column rules and one pandera schema per input kind: cohort table, ED visit batch, harmonised UCI table.

The rules (type, unit, plausible range and its source, categories) are declared once in ``COLUMN_RULES``
(in ``features._rules``, plain data without pandas, re-exported here); the pandera schemas, the coercion of CSV
text and the wording of error messages are all derived from them, so a range cannot be checked with one value and
reported with another.

Ranges are *plausibility* limits for catching data-entry and unit errors, not reference ranges: a value
outside them is almost certainly a typo (1200 for 120) or a wrong unit, never a rare but real patient.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pandera.pandas as pa

from chestpain.features._rules import (  # noqa: F401  (re-exported: the rules' old home)
    _BASE_RULES,
    _UCI_RULES,
    COLUMN_RULES,
    UCI_CHEST_PAIN_TYPES,
    UCI_SITES,
    UCI_ST_SLOPES,
    UCI_THALLIUM,
    Kind,
    Rule,
)
from chestpain.features.columns import (
    COHORT_COLUMNS,
    OPTIONAL_VISIT_COLUMNS,
    SERIAL_TROPONIN_COLUMNS,
    model_visible_columns,
)

#: pandas dtype of each kind while validating (nullable, so a bad cell can be blanked and reported).
VALIDATION_DTYPES: Mapping[str, object] = {
    "id": "Int64",
    "int": "Int64",
    "float": "float64",
    "bool": "boolean",
    "category": pd.StringDtype(na_value=np.nan),
}
#: dtype of each kind in a validated table when the column has no missing values (the cohort-table contract).
COMPLETE_DTYPES: Mapping[str, object] = {
    "id": "int64",
    "int": "int64",
    "float": "float64",
    "bool": "bool",
    "category": pd.StringDtype(na_value=np.nan),
}

#: Troponin values above 0 and below this are reported as "looks like ng/mL" (0 means undetectable).
TROPONIN_NG_ML_BELOW = 1.0


@dataclass(frozen=True)
class TableSpec:
    """One input kind: its columns' rules (in output order), which may be absent, and table-level rules.

    ``optional`` columns are added, all missing, when the input lacks them; ``absent_when_missing`` (booleans)
    are added as false, and a blank value in them reads as false.
    """

    name: str
    rules: Mapping[str, Rule]
    optional: frozenset[str] = frozenset()
    absent_when_missing: frozenset[str] = frozenset()
    unique: tuple[str, ...] = ("patient_id",)
    missed_mi_consistent: bool = False
    #: Every row needs a value in at least one of these (the hs-cTnI samples after 0 h), reported at the first.
    one_of: tuple[str, ...] = ()

    @property
    def columns(self) -> tuple[str, ...]:
        """Column names in output order."""
        return tuple(self.rules)


def cohort_spec() -> TableSpec:
    """The cohort table of DESIGN.md: every column present, none missing, ``missed_mi`` consistent."""
    return TableSpec("cohort", {name: _BASE_RULES[name] for name in COHORT_COLUMNS}, missed_mi_consistent=True)


#: The 1 h sample, and what a model trained before it became optional says when it is missing.
ONE_HOUR = SERIAL_TROPONIN_COLUMNS[0]
_ONE_HOUR_REQUIRED = "hs-cTnI 1 h after presentation in ng/L (this model was trained before 1 h became optional)"


def visit_spec(symptom_source: str = "sx", *, needs_1h: bool = False) -> TableSpec:
    """An ED visit batch (``chestpain predict``, ``chestpain score``, the app): id plus model-visible columns.

    ``race`` is optional and may be missing: it is not needed to score a patient, and a model that uses it
    must cope with its absence. The low-risk pain features (``OPTIONAL_VISIT_COLUMNS``), added after the first
    contract, may be missing or blank too: not recorded reads as absent, as an uncharted symptom does, which
    is the cautious reading (a reassuring feature that nobody recorded never lowers the risk). The later
    troponin samples (1 h, 2 h, 3 h) may be missing or blank: not drawn (a 0/2 h or 0/3 h site has no 1 h
    sample), but every row needs at least one of them: a single 0 h value is not a serial troponin.
    ``needs_1h``: the 1 h sample is required (a model trained before it became optional cannot read a record
    without it).
    """
    names = ("patient_id", *model_visible_columns(symptom_source))
    rules = {name: _BASE_RULES[name] for name in names}
    rules["race"] = dataclasses.replace(rules["race"], nullable=True)
    optional = {"race", *SERIAL_TROPONIN_COLUMNS}
    if needs_1h:
        rules[ONE_HOUR] = dataclasses.replace(rules[ONE_HOUR], nullable=False, meaning=_ONE_HOUR_REQUIRED)
        optional.remove(ONE_HOUR)
    absent = frozenset(name for name in OPTIONAL_VISIT_COLUMNS if name in rules)
    return TableSpec(
        f"visits ({symptom_source}_* symptoms{', 1 h required' if needs_1h else ''})",
        rules,
        optional=frozenset(optional),
        absent_when_missing=absent,
        one_of=SERIAL_TROPONIN_COLUMNS,
    )


def uci_spec() -> TableSpec:
    """The harmonised UCI Heart Disease table written by ``chestpain data uci``."""
    return TableSpec("uci", dict(_UCI_RULES))


def _checks(rule: Rule) -> list[pa.Check]:
    """Pandera checks for one rule, in the order that ``check_number`` refers to."""
    checks: list[pa.Check] = []
    if rule.categories:
        checks.append(pa.Check.isin(list(rule.categories)))
    if rule.troponin:
        checks.append(pa.Check(lambda values: ~((values > 0) & (values < TROPONIN_NG_ML_BELOW)), name="troponin_ng_ml"))
    if rule.low is not None or rule.high is not None:
        low = -np.inf if rule.low is None else rule.low
        high = np.inf if rule.high is None else rule.high
        checks.append(pa.Check.in_range(low, high))
    return checks


def check_names(rule: Rule) -> tuple[str, ...]:
    """Names of ``_checks(rule)`` in order, so a pandera ``check_number`` maps back to a message."""
    names = []
    if rule.categories:
        names.append("category")
    if rule.troponin:
        names.append("troponin_ng_ml")
    if rule.low is not None or rule.high is not None:
        names.append("range")
    return tuple(names)


def _missed_mi_consistent(frame: pd.DataFrame) -> pd.Series:
    consistent = frame["missed_mi"] == (frame["mi"] & frame["discharged"] & ~frame["diagnosed_mi"])
    return consistent.fillna(True).astype(bool)  # a missing flag is reported as missing, not as inconsistent


_SCHEMAS: dict[str, pa.DataFrameSchema] = {}


def _build_schema(spec: TableSpec) -> pa.DataFrameSchema:
    columns = {
        name: pa.Column(
            VALIDATION_DTYPES[rule.kind],
            _checks(rule),
            nullable=rule.nullable,
            unique=name in spec.unique,
            description=f"{rule.meaning}; {rule.source}" if rule.source else rule.meaning,
        )
        for name, rule in spec.rules.items()
    }
    checks = [pa.Check(_missed_mi_consistent, name="missed_mi_consistent")] if spec.missed_mi_consistent else []
    return pa.DataFrameSchema(columns, checks=checks, strict=False, name=spec.name)


def schema_for(spec: TableSpec) -> pa.DataFrameSchema:
    """The pandera schema of a table spec (cached by name); dtypes are the nullable validation dtypes."""
    if spec.name not in _SCHEMAS:
        _SCHEMAS[spec.name] = _build_schema(spec)
    return _SCHEMAS[spec.name]


def cohort_schema() -> pa.DataFrameSchema:
    """Pandera schema of the cohort table."""
    return schema_for(cohort_spec())


def visit_schema(symptom_source: str = "sx") -> pa.DataFrameSchema:
    """Pandera schema of an ED visit batch whose symptoms come from ``sx_*`` or ``doc_*`` columns."""
    return schema_for(visit_spec(symptom_source))


def uci_schema() -> pa.DataFrameSchema:
    """Pandera schema of the harmonised UCI table."""
    return schema_for(uci_spec())
