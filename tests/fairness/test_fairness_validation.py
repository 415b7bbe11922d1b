"""Bad input raises TriageError naming the problem (and the row or column), before any work is done."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from chestpain.fairness import audit_predictions
from chestpain.fairness._partitioned import audit_weighted
from chestpain.kernel.errors import TriageError

Y = np.array([1, 0, 0, 1, 0, 0], dtype=bool)
RISK = np.array([0.9, 0.1, 0.2, 0.6, 0.05, 0.3])
FLAG = RISK >= 0.5
ATTRIBUTES = pd.DataFrame(
    {"sex": ["female", "male"] * 3, "race": ["white", "black", "white", "asian", "white", "black"], "age": [40, 70] * 3}
)


def _audit(**overrides):
    arguments = {"y_true": Y, "risk": RISK, "flag": FLAG, "attributes": ATTRIBUTES, "n_boot": 10}
    arguments.update(overrides)
    return audit_predictions(**arguments)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"risk": RISK[:-1]}, r"risk has 5 rows but y_true has 6"),
        ({"flag": FLAG[:-2]}, r"flag has 4 rows but y_true has 6"),
        ({"attributes": ATTRIBUTES.iloc[:5]}, r"attributes has 5 rows but y_true has 6"),
        ({"attributes": ATTRIBUTES.drop(columns="race")}, r"attribute column 'race' is missing"),
        ({"attributes": ATTRIBUTES.drop(columns="age")}, r"attribute column 'age_band' is missing"),
        ({"y_true": np.array([0, 1, 2, 0, 1, 0])}, r"y_true must be binary .* found \[2\]"),
        ({"y_true": np.array(["yes", "no"] * 3)}, r"y_true must be binary"),
        ({"y_true": np.array([1.0, 0.0, np.nan, 1.0, 0.0, 0.0])}, r"y_true has a missing value at row 2"),
        (
            {"y_true": pd.array([True, False, None, True, False, False], dtype="boolean")},
            r"y_true has a missing value at row 2",
        ),
        ({"risk": np.array([0.9, 0.1, 1.2, 0.6, 0.05, 0.3])}, r"risk must lie in \[0, 1\]; row 2 has 1.2"),
        ({"risk": np.array([0.9, -0.1, 0.2, 0.6, 0.05, 0.3])}, r"risk must lie in \[0, 1\]; row 1 has -0.1"),
        ({"risk": np.array([0.9, 0.1, np.nan, 0.6, 0.05, 0.3])}, r"risk has a missing value at row 2"),
        ({"risk": np.array(["0.9"] * 6)}, r"risk must be numeric"),
        (
            {"attributes": ATTRIBUTES.assign(sex=["female", None, "male", "male", "female", "male"])},
            r"attribute 'sex' has a missing value at row 1",
        ),
        (
            {"attributes": ATTRIBUTES.assign(sex=["female", "male", "unknown", "male", "female", "male"])},
            r"^attribute 'sex' must be female or male in every row; row 2 has 'unknown'",
        ),
        (
            {"attributes": ATTRIBUTES.assign(sex=["F", "M"] * 3)},
            r"^attribute 'sex' must be female or male in every row; row 0 has 'F'",
        ),
        ({"flag": None}, r"give either flag or threshold"),
        ({"flag": None, "threshold": 1.5}, r"threshold must be a number in \[0, 1\]"),
        ({"flag": None, "threshold": {"female": 0.2}}, r"threshold has no entry for sex group 'male'"),
        ({"n_boot": 0}, r"n_boot must be a positive integer"),
        ({"confidence": 1.0}, r"confidence must lie strictly between 0 and 1"),
        ({"band": (1.2, 0.8)}, r"band must be \(low, high\)"),
        ({"by": ("sex", "sex")}, r"attribute 'sex' is listed twice"),
        ({"by": ("sex&",)}, r"is not a column name or an intersection"),
        ({"reference": {"sex": "unknown"}}, r"reference group 'unknown' does not occur in attribute 'sex'"),
        ({"reference": {"site": "va"}}, r"reference given for 'site', which is not an audited attribute"),
        ({"disparity_metrics": ("fnr", "brier")}, r"cannot compare metric 'brier'"),
        ({"y_true": np.array([], dtype=bool)}, r"y_true is empty"),
    ],
)
def test_bad_input_is_a_clear_error(overrides, message):
    with pytest.raises(TriageError, match=message):
        _audit(**overrides)


def test_age_band_column_is_used_when_given():
    attributes = ATTRIBUTES.drop(columns="age").assign(age_band=["<55", ">=55"] * 3)
    result = _audit(attributes=attributes)
    assert [entry.group for entry in result.groups if entry.attribute == "age_band"] == ["<55", ">=55"]


def test_labels_as_ints_floats_and_bools_agree():
    results = [_audit(y_true=values).to_dict() for values in (Y, Y.astype(int), Y.astype(float), list(Y))]
    assert all(result == results[0] for result in results)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"seed": -1}, r"^seed must be a non-negative integer, got -1$"),
        ({"seed": True}, r"^seed must be a non-negative integer, got True$"),
        ({"score_bins": 1}, r"^score_bins must be an integer >= 2, got 1$"),
        ({"score_bins": 2.5}, r"^score_bins must be an integer >= 2, got 2.5$"),
        ({"n_boot": 0}, r"n_boot must be a positive integer"),
    ],
)
def test_both_audits_check_options_alike(overrides, message):
    # The in-memory audit and the weighted (partitioned) one share one option check.
    with pytest.raises(TriageError, match=message):
        _audit(**overrides)
    arguments = {"n_boot": 10, **overrides}
    with pytest.raises(TriageError, match=message):
        audit_weighted(Y, RISK, FLAG, np.ones(len(Y), dtype=np.int64), attributes=ATTRIBUTES, **arguments)
