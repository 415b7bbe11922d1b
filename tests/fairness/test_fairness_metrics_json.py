"""``AuditResult.to_dict()`` is ``metrics.json`` in the DESIGN.md shape, for the cohort and for UCI."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from chestpain.fairness import audit_predictions

TOP_KEYS = ["label", "threshold", "n", "n_boot", "confidence", "groups", "disparities"]
GROUP_KEYS = {"attribute", "group", "n", "n_positive", "fnr", "fpr", "ppv", "npv", "selection_rate", "auroc"}
DISPARITY_KEYS = {"attribute", "metric", "reference", "group", "ratio", "difference", "ci_low", "ci_high", "flagged"}
ESTIMATE_KEYS = {"value", "ci_low", "ci_high"}


def _check_shape(document: dict) -> None:
    assert list(document)[: len(TOP_KEYS)] == TOP_KEYS  # DESIGN keys first; extra keys only after them
    assert isinstance(document["n"], int) and isinstance(document["n_boot"], int)
    for group in document["groups"]:
        assert GROUP_KEYS <= set(group)
        assert isinstance(group["n"], int) and isinstance(group["n_positive"], int)
        for metric in ("fnr", "fpr", "ppv", "npv", "selection_rate", "auroc", "ece"):
            assert ESTIMATE_KEYS <= set(group[metric])
            assert all(group[metric][key] is None or isinstance(group[metric][key], float) for key in ESTIMATE_KEYS)
        for metric in ("fnr", "fpr", "ppv", "npv", "selection_rate"):
            assert group[metric]["method"] == document["intervals"]["proportion"]
            assert isinstance(group[metric]["events"], int) and isinstance(group[metric]["reliable"], bool)
    for disparity in document["disparities"]:
        assert DISPARITY_KEYS <= set(disparity)
        assert isinstance(disparity["flagged"], bool)
        # Every flag names its rule; every comparison left out says why.
        assert (disparity["flag_rule"] is not None) is disparity["flagged"]
        if not disparity["reliable"]:
            assert disparity["withheld"] and not disparity["flagged"]
    assert document["intervals"]["proportion"] == "wilson"
    assert document["multiplicity"]["method"] == "bh" and document["multiplicity"]["n_comparisons"] >= 0
    assert "rule" in document["reliability"] and "rule" in document["power"]
    # Strict JSON: undefined numbers are null, never NaN or Infinity.
    json.loads(json.dumps(document, allow_nan=False))


def test_cohort_document(predictions):
    y, risk, flag, attributes = predictions(3000, seed=51)
    document = audit_predictions(
        y, risk, flag, attributes=attributes, label_name="diagnosed_mi", threshold=0.05, n_boot=100
    ).to_dict()
    _check_shape(document)
    assert document["label"] == "diagnosed_mi"
    assert document["threshold"] == 0.05
    assert (document["n"], document["n_boot"], document["confidence"]) == (3000, 100, 0.95)
    groups = [(g["attribute"], g["group"]) for g in document["groups"]]
    assert groups[0] == ("overall", "all")
    assert [a for a in dict.fromkeys(a for a, _ in groups)] == ["overall", "sex", "race", "age_band", "sex&age_band"]
    assert ("sex&age_band", "female&<55") in groups
    assert [g for a, g in groups if a == "race"] == ["white", "black", "hispanic", "asian", "other"]
    assert {d["attribute"] for d in document["disparities"]} == {"sex", "race", "age_band", "sex&age_band"}
    assert document["references"] == {"sex": "male", "race": "white", "age_band": ">=55", "sex&age_band": "male&>=55"}


def test_uci_document_by_site_and_sex():
    # UCI Heart Disease: label "cad", attributes site and sex, 0/1 labels, no race or age band.
    rng = np.random.default_rng(52)
    n = 920
    frame = pd.DataFrame(
        {
            # categorical, as features.load_uci returns it
            "site": pd.Categorical(rng.choice(["cleveland", "hungary", "switzerland", "va"], size=n)),
            "sex": rng.choice(["female", "male"], size=n, p=[0.21, 0.79]),
        }
    )
    cad = rng.random(n) < 0.55
    risk = np.clip(0.55 + 0.25 * (cad - 0.5) + 0.2 * rng.standard_normal(n), 0, 1)
    document = audit_predictions(
        cad, risk, attributes=frame, by=("site", "sex"), label_name="cad", threshold=0.5, n_boot=100
    ).to_dict()
    _check_shape(document)
    assert document["label"] == "cad"
    assert list(dict.fromkeys(g["attribute"] for g in document["groups"])) == ["overall", "site", "sex"]
    assert [g["group"] for g in document["groups"] if g["attribute"] == "site"] == [
        "cleveland",
        "hungary",
        "switzerland",
        "va",
    ]


def test_undefined_values_are_null():
    # Nobody flagged: PPV has no denominator in any group.
    y = np.array([True, False] * 50)
    risk = np.full(100, 0.2)
    document = audit_predictions(
        y, risk, attributes={"sex": ["female", "male"] * 50}, by=("sex",), threshold=0.9, n_boot=20
    ).to_dict()
    ppv = document["groups"][0]["ppv"]
    assert {key: ppv[key] for key in ("value", "ci_low", "ci_high")} == {"value": None, "ci_low": None, "ci_high": None}
    assert (ppv["events"], ppv["denominator"]) == (0, 0)
    ppv_disparity = next(d for d in document["disparities"] if d["metric"] == "ppv")
    assert ppv_disparity["ratio"] is None and ppv_disparity["flagged"] is False
    assert ppv_disparity["withheld"].startswith("withheld")
