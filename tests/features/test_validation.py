"""validate_visits / validate_cohort / validate_uci: coercion, one message per problem, row numbers."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from chestpain.features import messages as msg
from chestpain.features import validate_cohort, validate_uci, validate_visits
from chestpain.features.columns import COHORT_COLUMNS, model_visible_columns
from chestpain.kernel.errors import TriageError
from tests.features.helpers import as_text, visit_frame


def _problem(template: str, **fields: object) -> str:
    return re.escape(template.format(**fields))


def test_valid_text_is_coerced_to_contract_types():
    frame = visit_frame(6, seed=3)
    out = validate_visits(as_text(frame))
    assert list(out.columns) == ["patient_id", *model_visible_columns("sx")]
    assert out["patient_id"].dtype == np.int64 and out["age"].dtype == np.int64
    assert out["diabetes"].dtype == bool and out["heart_rate"].dtype == np.float64
    pd.testing.assert_frame_equal(out, frame, check_dtype=False)


def test_typed_frame_passes_unchanged_and_keeps_its_index():
    frame = visit_frame(4, seed=4).set_axis([10, 11, 12, 13])
    out = validate_visits(frame)
    assert list(out.index) == [10, 11, 12, 13]
    pd.testing.assert_frame_equal(out, frame, check_dtype=False)


@pytest.mark.parametrize(
    ("text", "value"),
    [("true", True), ("FALSE", False), (" Yes ", True), ("no", False), ("1", True), ("0", False)],
)
def test_boolean_words(text, value):
    frame = as_text(visit_frame(1))
    frame["diabetes"] = text
    assert validate_visits(frame)["diabetes"].iloc[0] is np.bool_(value)


def test_numeric_booleans_and_category_case_are_accepted():
    frame = visit_frame(2)
    frame["diabetes"] = [1, 0]
    frame["sex"] = [" Female", "MALE"]
    out = validate_visits(frame)
    assert out["diabetes"].tolist() == [True, False]
    assert out["sex"].tolist() == ["female", "male"]


def test_race_is_optional_and_may_be_missing():
    frame = visit_frame(3)
    out = validate_visits(frame.drop(columns="race"))
    assert out["race"].isna().all()
    frame.loc[1, "race"] = np.nan
    assert validate_visits(frame)["race"].isna().tolist() == [False, True, False]


def test_extra_columns_are_ignored_and_dropped():
    frame = visit_frame(2).assign(mi=[True, False], note=["=cmd()", "x"])
    assert "mi" not in validate_visits(frame).columns


def test_doc_source_requires_doc_columns():
    frame = visit_frame(2, symptom_source="sx")
    expected = msg.MISSING_COLUMN.format(column="doc_chest_pain", meaning="documented symptom chest pain (true/false)")
    with pytest.raises(TriageError, match=re.escape(expected)):
        validate_visits(frame, symptom_source="doc")


def test_unknown_category_names_row_column_and_fix():
    frame = as_text(visit_frame(4))
    frame.loc[2, "sex"] = "F"
    with pytest.raises(TriageError) as caught:
        validate_visits(frame, source="visits.csv")
    assert str(caught.value) == (
        msg.PROBLEMS_FOUND.format(source="visits.csv", n=1, s="")
        + msg.UNKNOWN_CATEGORY.format(row=3, column="sex", value="F", allowed="female or male")
    )
    assert "row 3, column sex: 'F' is not a known category; use female or male" in str(caught.value)


def test_out_of_range_reports_plausible_range_and_unit():
    frame = visit_frame(2)
    frame.loc[1, "systolic_bp"] = 1300.0
    with pytest.raises(
        TriageError,
        match=_problem(msg.OUT_OF_RANGE, row=2, column="systolic_bp", value=1300, range="50-300 mmHg"),
    ):
        validate_visits(frame)


@pytest.mark.parametrize("value", [0.004, 0.5, 0.999])
def test_troponin_in_ng_ml_says_multiply_by_1000(value):
    frame = visit_frame(3)
    frame.loc[0, "troponin_1h_ng_l"] = value
    with pytest.raises(TriageError, match=_problem(msg.TROPONIN_NG_ML, row=1, column="troponin_1h_ng_l", value=value)):
        validate_visits(frame)


def test_undetectable_troponin_zero_is_accepted():
    frame = visit_frame(2)
    frame["troponin_0h_ng_l"] = 0.0
    assert (validate_visits(frame)["troponin_0h_ng_l"] == 0).all()


def test_duplicate_patient_id_points_at_first_row():
    frame = visit_frame(4)
    frame.loc[3, "patient_id"] = 2
    with pytest.raises(TriageError, match=_problem(msg.DUPLICATE_ID, row=4, column="patient_id", value=2, first=2)):
        validate_visits(frame)


def test_missing_value_and_unparseable_cell_are_reported_once_each():
    frame = as_text(visit_frame(3))
    frame.loc[0, "age"] = np.nan
    frame.loc[1, "heart_rate"] = "fast"
    with pytest.raises(TriageError) as caught:
        validate_visits(frame)
    text = str(caught.value)
    assert text.startswith(msg.PROBLEMS_FOUND.format(source="input", n=2, s="s"))
    assert msg.MISSING_VALUE.format(row=1, column="age", meaning="age in years") in text
    assert (
        msg.NOT_A_NUMBER.format(row=2, column="heart_rate", value="fast", meaning="heart rate at triage (beats/min)")
        in text
    )


def test_problems_are_collected_in_row_order_and_capped():
    frame = as_text(visit_frame(15))
    frame["ecg"] = "st elevation"
    frame.loc[4, "age"] = "200"
    with pytest.raises(TriageError) as caught:
        validate_visits(frame)
    text = str(caught.value)
    head = msg.PROBLEMS_FOUND.format(source="input", n=16, s="s")
    assert text.startswith(head)
    shown = text[len(head) :].split(msg.PROBLEM_SEPARATOR)
    assert len(shown) == msg.MAX_PROBLEMS + 1
    assert shown[-1] == msg.MORE_PROBLEMS.format(n=6)
    rows = [int(re.match(r"row (\d+),", item).group(1)) for item in shown[:-1]]
    assert rows == sorted(rows)
    assert "row 5, column age: 200 is outside" in text


def test_missing_columns_are_listed_with_row_problems():
    frame = as_text(visit_frame(2)).drop(columns=["age", "ecg"])
    frame.loc[0, "sex"] = "x"
    with pytest.raises(TriageError) as caught:
        validate_visits(frame)
    text = str(caught.value)
    assert "column age is missing" in text and "column ecg is missing" in text and "row 1, column sex" in text


def test_not_a_dataframe_is_a_type_error():
    with pytest.raises(TypeError):
        validate_visits([{"age": 1}])


def _cohort(n: int = 4) -> pd.DataFrame:
    frame = visit_frame(n)
    for name in COHORT_COLUMNS:
        if name.startswith("doc_"):
            frame[name] = frame["sx" + name[3:]]
    frame = frame.assign(
        interrupt_seconds=11.0,
        clinician_risk=0.1,
        oracle_mi_probability=0.05,
        oracle_mace_probability=0.06,
        troponin_2h_ng_l=np.nan,
        troponin_3h_ng_l=[12.0, np.nan] * (n // 2),
    )
    frame = frame.assign(
        mi=[True, False] * (n // 2), diagnosed_mi=False, discharged=True, analgesia_given=False, outcome_30d=False
    )
    frame = frame.assign(unstable_angina=False, acs=frame["mi"], mace_30d=frame["mi"])
    frame["missed_mi"] = frame["mi"] & frame["discharged"] & ~frame["diagnosed_mi"]
    return frame[list(COHORT_COLUMNS)]


def test_cohort_table_validates_and_checks_missed_mi():
    cohort = _cohort()
    assert list(validate_cohort(cohort).columns) == list(COHORT_COLUMNS)
    cohort.loc[1, "missed_mi"] = True
    with pytest.raises(TriageError, match=_problem(msg.INCONSISTENT_MISSED_MI, row=2)):
        validate_cohort(cohort)


def test_cohort_probability_range():
    cohort = _cohort()
    cohort.loc[0, "clinician_risk"] = 1.5
    with pytest.raises(TriageError, match="row 1, column clinician_risk: 1.5 is outside the plausible range 0-1;"):
        validate_cohort(cohort)


def test_uci_table_allows_missing_values(uci_dir):
    from chestpain.features import load_uci

    table = load_uci(uci_dir)
    again = validate_uci(table)
    assert again["cholesterol_mg_dl"].isna().sum() == table["cholesterol_mg_dl"].isna().sum() > 0
    broken = table.copy()
    broken.loc[0, "sex"] = "1"
    with pytest.raises(TriageError, match="row 1, column sex: '1' is not a known category; use female or male"):
        validate_uci(broken)


def test_low_risk_pain_features_are_optional_and_read_as_absent_when_missing():
    visits = visit_frame(4).drop(columns=["sx_pleuritic", "sx_positional"])
    visits["sx_reproducible_by_palpation"] = [True, None, False, None]
    table = validate_visits(visits)
    assert not table["sx_pleuritic"].any() and not table["sx_positional"].any()
    assert table["sx_reproducible_by_palpation"].tolist() == [True, False, False, False]
    # The first contract's columns stay required.
    with pytest.raises(TriageError, match="sx_nausea"):
        validate_visits(visit_frame(4).drop(columns=["sx_nausea"]))


def test_one_sample_after_0h_is_enough_and_none_is_refused_by_row():
    # Issue 25: a 0/2 h or 0/3 h site has no 1 h sample (blank = not drawn), but a visit needs one sample after 0 h.
    frame = visit_frame(4, seed=3)
    frame["troponin_2h_ng_l"] = [np.nan, 8.0, np.nan, np.nan]
    frame["troponin_3h_ng_l"] = [np.nan, np.nan, 9.0, np.nan]
    frame.loc[1:2, "troponin_1h_ng_l"] = np.nan
    valid = validate_visits(frame.iloc[:3])
    assert valid["troponin_1h_ng_l"].isna().tolist() == [False, True, True]
    frame.loc[3, "troponin_1h_ng_l"] = np.nan
    with pytest.raises(TriageError) as caught:
        validate_visits(frame)
    assert str(caught.value).count("no hs-cTnI after 0 h") == 1
    assert _matches(_problem(msg.NO_SECOND_SAMPLE, row=4, column="troponin_1h_ng_l"), caught)


def test_a_model_that_needs_1h_refuses_a_record_without_it():
    from chestpain.features import validate_table, visit_spec

    frame = visit_frame(3, seed=4)
    frame["troponin_2h_ng_l"] = 5.0
    frame.loc[2, "troponin_1h_ng_l"] = np.nan
    with pytest.raises(
        TriageError, match=r"row 3, column troponin_1h_ng_l: value is missing; every row needs hs-cTnI 1 h"
    ):
        validate_table(frame, visit_spec(needs_1h=True))
    assert len(validate_table(frame, visit_spec())) == 3


def _matches(pattern: str, caught: pytest.ExceptionInfo) -> bool:
    return re.search(pattern, str(caught.value)) is not None
