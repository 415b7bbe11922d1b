"""The shared feature ColumnTransformer: declared columns, refusals, names, labels, UCI support, config."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from chestpain.features import (
    FORBIDDEN_FEATURES,
    UCI_FEATURE_COLUMNS,
    FeatureConfig,
    build_preprocessor,
    feature_columns,
    feature_label,
    feature_labels,
    monotone_features,
    validate_visits,
)
from chestpain.features import messages as msg
from chestpain.features._pipeline import ClinicalFeature
from chestpain.features.columns import OUTCOME_AND_PROCESS_COLUMNS, model_visible_columns
from chestpain.kernel.config import StrictModel
from chestpain.kernel.errors import TriageError
from tests.features.helpers import visit_frame


def test_default_columns_are_model_visible_without_race():
    assert feature_columns() == tuple(c for c in model_visible_columns("sx") if c != "race")
    assert feature_columns(FeatureConfig(symptom_source="doc", include_race=True)) == model_visible_columns("doc")
    assert "sex" not in feature_columns(FeatureConfig(exclude=("sex",)))


@pytest.mark.parametrize("column", [*OUTCOME_AND_PROCESS_COLUMNS, "patient_id", "cad", "fluoroscopy_vessels"])
def test_outcome_process_and_label_columns_are_refused(column):
    expected = msg.FORBIDDEN_FEATURE.format(column=column, why=FORBIDDEN_FEATURES[column])
    with pytest.raises(TriageError, match=re.escape(expected)):
        build_preprocessor(columns=["age", column])


def test_undeclared_column_and_bad_exclude_are_refused():
    with pytest.raises(TriageError, match=re.escape(msg.UNDECLARED_FEATURE.format(column="bmi"))):
        build_preprocessor(columns=["age", "bmi"])
    with pytest.raises(TriageError, match=re.escape("exclude: mi is not one of the features")):
        feature_columns(FeatureConfig(exclude=("mi",)))


def test_output_features_are_named_and_encoded():
    visits = validate_visits(visit_frame(300, seed=11))
    pre = build_preprocessor(FeatureConfig(include_race=True))
    matrix = pre.fit_transform(visits)
    names = list(pre.get_feature_names_out())
    assert matrix.shape == (300, len(names)) and matrix.dtype == np.float64
    assert names[:3] == ["age", "sex_female", "sex_male"]
    assert {"race_white", "race_not_recorded", "ecg_severity", "diabetes", "troponin_1h_ng_l"} <= set(names)
    column = dict(zip(names, matrix.T, strict=True))
    np.testing.assert_array_equal(column["diabetes"], visits["diabetes"].astype(float))
    t0, t1 = visits["troponin_0h_ng_l"], visits["troponin_1h_ng_l"]
    np.testing.assert_allclose(column["troponin_1h_ng_l"], np.log1p(t1))
    # Issue 14's clinical features: multiples of the sex-specific 99th percentile (16 / 34 ng/L), the higher
    # sample, the 1 h change (absolute and rise) and the ECG as an ordered finding.
    upper = np.where(visits["sex"] == "female", 16.0, 34.0)
    np.testing.assert_allclose(column["troponin_0h_x99th"], np.log1p(t0 / upper))
    np.testing.assert_allclose(column["troponin_max_ng_l"], np.log1p(np.maximum(t0, t1)))
    np.testing.assert_allclose(column["troponin_change_abs_ng_l"], np.log1p(np.abs(t1 - t0)))
    np.testing.assert_allclose(column["troponin_rise_ng_l"], np.log1p(np.maximum(t1 - t0, 0)))
    severity = visits["ecg"].map({"normal": 0.0, "nonspecific": 1.0, "ischemic": 2.0})
    np.testing.assert_array_equal(column["ecg_severity"], severity)
    np.testing.assert_array_equal(column["sex_female"], (visits["sex"] == "female").astype(float))


def test_raw_troponin_when_log_is_off():
    visits = validate_visits(visit_frame(20))
    pre = build_preprocessor(FeatureConfig(log_troponin=False)).fit(visits)
    out = pd.DataFrame(pre.transform(visits), columns=pre.get_feature_names_out())
    np.testing.assert_allclose(out["troponin_0h_ng_l"], visits["troponin_0h_ng_l"])


def test_unknown_category_at_transform_is_an_error_not_zeros():
    visits = validate_visits(visit_frame(50))
    pre = build_preprocessor().fit(visits)
    with pytest.raises(ValueError, match="unknown categor"):
        pre.transform(visits.assign(ecg="stemi"))


def test_missing_race_becomes_not_recorded():
    visits = validate_visits(visit_frame(40).drop(columns="race"))
    pre = build_preprocessor(FeatureConfig(include_race=True))
    out = pd.DataFrame(pre.fit_transform(visits), columns=pre.get_feature_names_out())
    assert (out["race_not_recorded"] == 1).all()


def test_outcome_columns_in_the_frame_do_not_change_features():
    visits = validate_visits(visit_frame(80, seed=2))
    pre = build_preprocessor().fit(visits)
    leaky = visits.assign(mi=np.arange(80) % 2 == 0, clinician_risk=np.linspace(0, 1, 80))
    np.testing.assert_array_equal(pre.transform(leaky), pre.transform(visits))
    assert not {"mi", "clinician_risk"} & set(pre.get_feature_names_out())


def test_symptom_source_selects_doc_or_sx_columns():
    visits = visit_frame(30, symptom_source="doc")
    names = build_preprocessor(FeatureConfig(symptom_source="doc")).fit(visits).get_feature_names_out()
    assert "doc_nausea" in names and "sx_nausea" not in names


def test_uci_table_with_missing_values(uci_dir):
    from chestpain.features import load_uci

    table = load_uci(uci_dir)
    pre = build_preprocessor(FeatureConfig(dataset="uci"))
    matrix = pre.fit_transform(table)
    names = list(pre.get_feature_names_out())
    assert not np.isnan(matrix).any()
    assert {"cholesterol_mg_dl", "missingindicator_cholesterol_mg_dl", "thallium_not_recorded"} <= set(names)
    column = dict(zip(names, matrix.T, strict=True))
    np.testing.assert_array_equal(column["missingindicator_cholesterol_mg_dl"], table["cholesterol_mg_dl"].isna())
    assert feature_columns(FeatureConfig(dataset="uci")) == UCI_FEATURE_COLUMNS
    assert "max_heart_rate_exercise" in names and "heart_rate" not in names


def test_feature_config_is_strict_and_consistent():
    assert issubclass(FeatureConfig, StrictModel)
    with pytest.raises(ValidationError, match="extra"):
        FeatureConfig(symptoms="sx")
    with pytest.raises(ValidationError, match="symptom_source"):
        FeatureConfig(symptom_source="chart")
    with pytest.raises(ValidationError, match="no documented"):
        FeatureConfig(dataset="uci", symptom_source="doc")
    with pytest.raises(ValidationError, match="does not record race"):
        FeatureConfig(dataset="uci", include_race=True)


@pytest.mark.parametrize(
    ("feature", "label"),
    [
        ("troponin_1h_ng_l", "troponin 1 h"),
        ("troponin_0h_ng_l", "troponin 0 h"),
        ("sex_female", "sex: female"),
        ("ecg_ischemic", "ECG: ischemic"),
        ("race_not_recorded", "race: not recorded"),
        ("doc_back_or_jaw_pain", "back or jaw pain (charted)"),
        ("sx_dyspnea", "shortness of breath (asked)"),
        ("chest_pain_type_atypical_angina", "chest pain type: atypical angina"),
        ("missingindicator_cholesterol_mg_dl", "cholesterol not recorded"),
    ],
)
def test_plain_english_labels(feature, label):
    assert feature_label(feature) == label


def test_every_output_feature_has_a_label_without_underscores(uci_dir):
    from chestpain.features import load_uci

    cohort = build_preprocessor(FeatureConfig(include_race=True)).fit(validate_visits(visit_frame(50)))
    uci = build_preprocessor(FeatureConfig(dataset="uci")).fit(load_uci(uci_dir))
    for pre in (cohort, uci):
        labels = feature_labels(pre)
        assert set(labels) == set(pre.get_feature_names_out())
        assert not [label for label in labels.values() if "_" in label]


def test_a_missing_1h_sample_is_not_drawn_not_a_missing_value():
    # Issue 25: a 0/2 h or 0/3 h site draws no 1 h sample. Its features are 0 with "drawn" 0, the higher value is
    # the 0 h one and the 1 h change 0; a present 1 h sample reads exactly as before.
    visits = validate_visits(visit_frame(200, seed=5))
    visits.loc[visits.index[:80], "troponin_1h_ng_l"] = np.nan
    visits.loc[visits.index[:80], "troponin_2h_ng_l"] = 7.0
    pre = build_preprocessor(FeatureConfig())
    matrix = pre.fit_transform(visits)
    column = dict(zip(pre.get_feature_names_out(), matrix.T, strict=True))
    assert not np.isnan(matrix).any()
    missing = visits["troponin_1h_ng_l"].isna().to_numpy()
    t0, t1 = visits["troponin_0h_ng_l"].to_numpy(), visits["troponin_1h_ng_l"].to_numpy()
    np.testing.assert_array_equal(column["troponin_1h_drawn"], (~missing).astype(float))
    for name in ("troponin_1h_ng_l", "troponin_1h_x99th", "troponin_change_abs_ng_l", "troponin_relative_rise"):
        assert (column[name][missing] == 0).all(), name
    np.testing.assert_allclose(column["troponin_max_ng_l"][missing], np.log1p(t0[missing]))
    np.testing.assert_allclose(column["troponin_1h_ng_l"][~missing], np.log1p(t1[~missing]))
    np.testing.assert_allclose(column["troponin_max_ng_l"][~missing], np.log1p(np.maximum(t0, t1)[~missing]))
    # "Drawn" says nothing about direction, so it is not constrained; the values are.
    assert "troponin_1h_drawn" not in monotone_features(list(column)) and "troponin_1h_ng_l" in monotone_features(
        list(column)
    )


def test_a_pipeline_saved_before_1h_became_optional_keeps_its_features():
    # A ClinicalFeature loaded from an older model directory lacks ``optional_1h``: two 1 h features, no flag.
    step = ClinicalFeature(group="troponin_1h_ng_l")
    del step.optional_1h
    assert list(step.fit(None).get_feature_names_out()) == ["troponin_1h_ng_l", "troponin_1h_x99th"]


def test_a_later_sample_has_its_multiple_of_the_99th_where_drawn():
    visits = validate_visits(visit_frame(100, seed=8))
    visits["troponin_3h_ng_l"] = np.where(np.arange(100) % 2 == 0, 40.0, np.nan)
    pre = build_preprocessor(FeatureConfig())
    matrix = pre.fit_transform(visits)
    column = dict(zip(pre.get_feature_names_out(), matrix.T, strict=True))
    upper = np.where(visits["sex"] == "female", 16.0, 34.0)
    drawn = visits["troponin_3h_ng_l"].notna().to_numpy()
    np.testing.assert_allclose(column["troponin_3h_x99th"][drawn], np.log1p(40.0 / upper[drawn]))
    assert (column["troponin_3h_x99th"][~drawn] == 0).all()
    assert "troponin_3h_x99th" in monotone_features(list(column))


def test_a_later_sample_step_saved_before_its_multiple_reads_no_sex():
    step = ClinicalFeature(group="troponin_3h_ng_l")
    del step.later_multiple
    assert step.input_columns() == ("troponin_0h_ng_l", "troponin_3h_ng_l")
    assert "troponin_3h_x99th" not in list(step.fit(None).get_feature_names_out())


def test_the_course_reads_every_drawn_sample():
    # The highest of all drawn samples (multiple of the sex-specific 99th) and the largest change between any two:
    # by hand on four patterns with samples missing in different places.
    visits = validate_visits(visit_frame(4, seed=9))
    visits["sex"] = ["female", "male", "female", "male"]
    samples = {
        "troponin_0h_ng_l": [12.0, 40.0, 5.0, 3.0],
        "troponin_1h_ng_l": [13.0, np.nan, 5.0, np.nan],
        "troponin_2h_ng_l": [np.nan, 20.0, np.nan, np.nan],
        "troponin_3h_ng_l": [15.0, np.nan, 90.0, 3.0],
    }
    for name, values in samples.items():
        visits[name] = values
    pre = build_preprocessor(FeatureConfig())
    matrix = pre.fit_transform(visits)
    column = dict(zip(pre.get_feature_names_out(), matrix.T, strict=True))
    high, low = np.array([15.0, 40.0, 90.0, 3.0]), np.array([12.0, 20.0, 5.0, 3.0])
    np.testing.assert_allclose(column["troponin_course_peak_x99th"], np.log1p(high / np.array([16.0, 34, 16, 34])))
    np.testing.assert_allclose(column["troponin_course_change_ng_l"], np.log1p(high - low))
    np.testing.assert_allclose(column["troponin_course_relative_change"], np.log1p(high) - np.log1p(low))
