"""Reasons are the top three additive contributions, in plain words, and match the model's own output."""

from __future__ import annotations

import numpy as np
import pandas as pd
import xgboost as xgb

from models._reasons import reasons_text


def test_xgboost_contributions_add_up_to_the_margin(xgb_result, quality_cohort):
    model = xgb_result.model
    features = model.validate(quality_cohort.head(500))
    explanation = model.explain(features)
    margin = model.estimator.xgb_model.get_booster().predict(
        xgb.DMatrix(model.estimator.transform(features)), output_margin=True
    )
    # float32 arithmetic inside XGBoost: agreement to 1e-4 in log-odds.
    np.testing.assert_allclose(explanation.contributions.sum(axis=1) + explanation.bias, margin, atol=1e-4)
    np.testing.assert_array_equal(explanation.risk, model.risk(features))


def test_logistic_contributions_add_up_to_the_decision_function(logistic_result, small_cohort):
    model = logistic_result.model
    features = model.validate(small_cohort.head(500))
    explanation = model.explain(features)
    np.testing.assert_allclose(explanation.raw, model.estimator.raw_score(features), atol=1e-9)


def test_reasons_pick_the_largest_contributions_in_words():
    features = pd.DataFrame(
        {"troponin_1h_ng_l": [31.0, 3.0], "sx_nausea": [False, True], "ecg": ["ischemic", "normal"], "age": [71, 40]}
    )
    contributions = np.array([[2.0, -0.1, 1.0, 0.5], [-1.5, 0.3, -0.2, -0.01]])
    text = reasons_text(features, contributions, list(features.columns))
    assert text[0] == "troponin 1 h 31 ng/L raises risk; ECG: ischemic raises risk; age 71 years raises risk"
    assert text[1] == "troponin 1 h 3 ng/L lowers risk; nausea (asked) raises risk; ECG: normal lowers risk"


def test_false_symptom_reads_as_absent():
    features = pd.DataFrame({"sx_chest_pain": [False]})
    assert reasons_text(features, np.array([[-0.4]]), ["sx_chest_pain"])[0] == "no chest pain (asked) lowers risk"


def test_high_risk_patient_is_flagged_with_troponin_reason(xgb_result, quality_cohort):
    high = quality_cohort.sort_values("troponin_1h_ng_l").tail(1)
    out = xgb_result.model.predict(high)
    assert bool(out.flag.iloc[0]) and out.risk.iloc[0] > 0.5
    assert "troponin" in out.reasons.iloc[0]
