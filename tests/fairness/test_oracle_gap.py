"""The oracle's own gaps at the model's thresholds (issue 27, item 6): how much of a gap the record itself makes."""

from __future__ import annotations

import html
import re

import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import MetricFrame, false_negative_rate, false_positive_rate, selection_rate
from scipy.special import expit

from chestpain.fairness import audit_predictions, oracle_at_threshold, render_html
from chestpain.fairness._question import base_rate_note

N = 20_000


def _text(page: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def test_rates_agree_with_fairlearn_in_every_group(predictions):
    y, _, flag, attributes = predictions(3_000, seed=41, fnr=(0.10, 0.05), fpr=0.30)
    oracle = oracle_at_threshold(y, flag, attributes=attributes, by=("sex", "race", "age_band", "sex&age_band"))
    frame = pd.DataFrame(attributes)
    frame["age_band"] = np.where(frame["age"] < 55, "<55", ">=55")
    frame["sex&age_band"] = frame["sex"] + "&" + frame["age_band"]
    for attribute in ("sex", "race", "sex&age_band"):
        metrics = MetricFrame(
            metrics={"fnr": false_negative_rate, "fpr": false_positive_rate, "selection_rate": selection_rate},
            y_true=y,
            y_pred=flag,
            sensitive_features=frame[attribute],
        )
        for group, expected in metrics.by_group.iterrows():
            for metric in ("fnr", "fpr", "selection_rate"):
                assert oracle.rate(attribute, group, metric) == pytest.approx(expected[metric])
    tn, fp, fn, tp = oracle.counts[("overall", "all")]
    assert (tn + fp + fn + tp, fn + tp) == (len(y), int(y.sum()))


@pytest.fixture(scope="module")
def base_rate_world(predictions):
    """MI three times as common in men, one score model for everyone; model and oracle flag at one threshold."""
    _, _, _, attributes = predictions(N, seed=33)
    rng = np.random.default_rng(330)
    female = attributes["sex"].to_numpy() == "female"
    y = rng.random(N) < np.where(female, 0.05, 0.15)
    risk = expit(1.3 * (rng.standard_normal(N) + 2.2 * y) - 3.5)
    result = audit_predictions(y, risk, attributes=attributes, threshold=0.05, n_boot=50, seed=33)
    return y, risk, attributes, result


def test_a_gap_the_oracle_shares_is_read_as_the_records_and_one_it_lacks_as_the_models(base_rate_world):
    y, risk, attributes, result = base_rate_world
    by = ("sex", "race", "age_band", "sex&age_band")
    ppv = result.disparity("sex", "female", "ppv")
    assert ppv.flagged and ppv.ratio.value < 1
    same = oracle_at_threshold(y, risk >= 0.05, attributes=attributes, by=by)  # the same rule: the same gap
    assert same.ratio("sex", "female", "male", "ppv") < 1
    assert base_rate_note(result, ppv, same).startswith("the oracle has this gap too at the same thresholds")
    # An oracle that flags exactly the MI patients has PPV 1 in every group: the model's PPV gap is its own.
    perfect = oracle_at_threshold(y, y, attributes=attributes, by=by)
    assert perfect.ratio("sex", "female", "male", "ppv") == pytest.approx(1.0)
    assert base_rate_note(result, ppv, perfect) == (
        "the oracle does not (ratio 1.00 at the same thresholds): the model adds this gap"
    )


def test_the_report_shows_the_oracle_beside_every_missed_mi_comparison(base_rate_world):
    y, risk, attributes, result = base_rate_world
    oracle = oracle_at_threshold(y, risk >= 0.05, attributes=attributes, by=("sex", "race", "age_band", "sex&age_band"))
    page = render_html(
        result, {"fnr_fpr_by_group.png": b"png"}, mitigations=None, title="t", label_note="n", oracle=oracle
    )
    first = _text(page.split("<h2>")[1])
    assert "oracle at the same thresholds: ratio (missed of MI)" in first
    _, _, missed, hit = oracle.counts[("sex", "female")]
    assert f"({missed:,} of {missed + hit:,} vs" in first
    assert "oracle's ratio at the same thresholds" in _text(page.split("<h2>")[2])
    without = render_html(result, {"fnr_fpr_by_group.png": b"png"}, mitigations=None, title="t", label_note="n")
    assert "oracle" not in _text(without.split("<h2>")[1]).lower()
