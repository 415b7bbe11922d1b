"""Point estimates equal fairlearn MetricFrame's, the reference definition, for every attribute."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import equalized_odds_difference

from chestpain.fairness import age_band, audit_predictions, reference_metric_frame

EXACT = 1e-12  # same counts, same formulas: only floating-point rounding may differ
METRICS = ("fnr", "fpr", "ppv", "npv", "selection_rate", "auroc", "ece")


def _point(entry, metric: str) -> float:
    """The audit's value of ``metric``; for ECE the plug-in value (the reported one is debiased, checked in
    ``tests/fairness/test_fairness_ece_interval.py``), which is MetricFrame's definition."""
    return entry.details["ece"]["plug_in"] if metric == "ece" else entry[metric].value


@pytest.fixture(scope="module")
def data(predictions):
    y, risk, flag, attributes = predictions(4000, seed=21)
    frame = attributes.assign(age_band=age_band(attributes["age"]))
    result = audit_predictions(y, risk, flag, attributes=attributes, n_boot=20)
    return y, risk, flag, frame, result


@pytest.mark.parametrize("columns", [["sex"], ["race"], ["age_band"], ["sex", "age_band"]])
def test_points_equal_metricframe(data, columns):
    y, risk, flag, frame, result = data
    features = frame[columns[0]] if len(columns) == 1 else frame[columns]
    reference = reference_metric_frame(
        y, risk, flag, sensitive_features=features, calibration_edges=result.calibration_edges
    )
    attribute = "&".join(columns)
    for key, row in reference.by_group.iterrows():
        group = "&".join(key) if isinstance(key, tuple) else str(key)
        entry = result.group(attribute, group)
        for metric in METRICS:
            assert _point(entry, metric) == pytest.approx(row[metric], abs=EXACT), (group, metric)
    overall = result.group("overall", "all")
    for metric in METRICS:
        assert _point(overall, metric) == pytest.approx(reference.overall[metric], abs=EXACT), metric


@pytest.mark.parametrize("attribute", ["sex", "race", "age_band", "sex&age_band"])
def test_equalized_odds_difference_equals_fairlearn(data, attribute):
    y, _, flag, frame, result = data
    columns = attribute.split("&")
    features = frame[columns[0]] if len(columns) == 1 else frame[columns]
    expected = equalized_odds_difference(y, flag, sensitive_features=features)
    assert result.equalized_odds[attribute].value == pytest.approx(expected, abs=EXACT)


# scikit-learn warns that AUROC is undefined for the group without positives; that is the point of the test.
@pytest.mark.filterwarnings("ignore:Only one class is present:sklearn.exceptions.UndefinedMetricWarning")
def test_metricframe_and_audit_disagree_only_on_empty_denominators():
    # A group without positives: scikit-learn's normalised confusion matrix reports FNR 0, the audit nan
    # (undefined) so that "no MI at all" is not read as "no MI missed".
    y = np.array([0, 0, 0, 1, 1, 0, 1, 0], dtype=bool)
    risk = np.linspace(0.05, 0.9, 8)
    flag = risk > 0.5
    sex = pd.Series(["female"] * 3 + ["male"] * 5, name="sex")
    result = audit_predictions(y, risk, flag, attributes=pd.DataFrame({"sex": sex}), by=("sex",), n_boot=10)
    reference = reference_metric_frame(y, risk, flag, sensitive_features=sex)
    assert reference.by_group.loc["female", "fnr"] == 0.0
    assert np.isnan(result.group("sex", "female")["fnr"].value)
    assert result.group("sex", "male")["fnr"].value == pytest.approx(reference.by_group.loc["male", "fnr"])
