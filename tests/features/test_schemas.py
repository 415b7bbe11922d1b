"""One pandera schema per input kind, derived from declared column rules that cover the whole contract."""

from __future__ import annotations

import pandera.pandas as pa
import pytest

from chestpain.features import COLUMN_RULES, cohort_schema, uci_schema, visit_schema
from chestpain.features._schemas import VALIDATION_DTYPES, uci_spec
from chestpain.features.columns import COHORT_COLUMNS, COHORT_SCHEMA, model_visible_columns
from tests.features.helpers import visit_frame


def test_every_contract_and_uci_column_has_a_rule():
    assert set(COHORT_COLUMNS) <= set(COLUMN_RULES)
    assert set(uci_spec().columns) <= set(COLUMN_RULES)


def test_rule_kinds_match_the_arrow_contract():
    kind_of_arrow = {"bool": "bool", "int64": {"int", "id"}, "double": "float", "string": "category"}
    for field in COHORT_SCHEMA:
        expected = kind_of_arrow[str(field.type)]
        assert COLUMN_RULES[field.name].kind in (expected if isinstance(expected, set) else {expected}), field.name


def test_every_range_states_its_source_and_unit_context():
    for name, rule in COLUMN_RULES.items():
        if rule.low is not None or rule.high is not None:
            assert rule.source, f"{name}: a range needs a stated source"


@pytest.mark.parametrize(
    ("schema", "columns"),
    [
        (cohort_schema(), COHORT_COLUMNS),
        (visit_schema("sx"), ("patient_id", *model_visible_columns("sx"))),
        (visit_schema("doc"), ("patient_id", *model_visible_columns("doc"))),
        (uci_schema(), uci_spec().columns),
    ],
)
def test_one_schema_per_input_kind(schema, columns):
    assert isinstance(schema, pa.DataFrameSchema)
    assert tuple(schema.columns) == tuple(columns)
    assert schema.columns["patient_id"].unique


def test_visit_schema_accepts_a_coerced_batch_and_allows_missing_race():
    frame = visit_frame(4)
    frame.loc[0, "race"] = None
    typed = frame.astype({name: VALIDATION_DTYPES[COLUMN_RULES[name].kind] for name in frame.columns})
    visit_schema().validate(typed)
    assert visit_schema().columns["race"].nullable and not visit_schema().columns["sex"].nullable
    with pytest.raises(pa.errors.SchemaError):
        visit_schema().validate(typed.assign(heart_rate=400.0))
