"""Every group metric equals an independent computation with scikit-learn, pandas or numpy."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.calibration import calibration_curve
from sklearn.metrics import confusion_matrix, roc_auc_score

from chestpain.fairness import age_band, audit_predictions

# Point estimates are computed from exact counts, so they agree to floating-point rounding only.
EXACT = 1e-12


def _group_masks(attributes: pd.DataFrame) -> dict[tuple[str, str], np.ndarray]:
    band = np.where(attributes["age"].to_numpy() < 55, "<55", ">=55")
    sex = attributes["sex"].to_numpy()
    masks = {("overall", "all"): np.ones(len(attributes), dtype=bool)}
    for value in np.unique(sex):
        masks[("sex", value)] = sex == value
    for value in np.unique(attributes["race"]):
        masks[("race", value)] = attributes["race"].to_numpy() == value
    for value in ("<55", ">=55"):
        masks[("age_band", value)] = band == value
        for s in np.unique(sex):
            masks[("sex&age_band", f"{s}&{value}")] = (sex == s) & (band == value)
    return masks


@pytest.fixture(scope="module")
def audited(predictions):
    y, risk, flag, attributes = predictions(5000, seed=11)
    result = audit_predictions(y, risk, flag, attributes=attributes, n_boot=50, seed=1)
    return y, risk, flag, attributes, result


def test_confusion_metrics_match_sklearn(audited):
    y, risk, flag, attributes, result = audited
    masks = _group_masks(attributes)
    assert {(g.attribute, g.group) for g in result.groups} == set(masks)
    for entry in result.groups:
        m = masks[(entry.attribute, entry.group)]
        tn, fp, fn, tp = confusion_matrix(y[m], flag[m], labels=[False, True]).ravel()
        assert entry.n == m.sum()
        assert entry.n_positive == y[m].sum()
        expected = {
            "fnr": fn / (fn + tp),
            "fpr": fp / (fp + tn),
            "ppv": tp / (tp + fp),
            "npv": tn / (tn + fn),
            "selection_rate": flag[m].mean(),
        }
        for name, value in expected.items():
            assert entry[name].value == pytest.approx(value, abs=EXACT), (entry.group, name)


def test_auroc_matches_sklearn(audited):
    y, risk, _, attributes, result = audited
    masks = _group_masks(attributes)
    for entry in result.groups:
        m = masks[(entry.attribute, entry.group)]
        assert entry["auroc"].value == pytest.approx(roc_auc_score(y[m], risk[m]), abs=EXACT)


def test_calibration_matches_pandas_and_sklearn(audited):
    y, risk, _, attributes, result = audited
    edges = np.asarray(result.calibration_edges)
    # Edges: deciles of the whole cohort's risk, shared by every group.
    assert edges[1:-1] == pytest.approx(np.quantile(risk, np.linspace(0, 1, 11)[1:-1]), abs=EXACT)
    masks = _group_masks(attributes)
    for entry in result.groups:
        m = masks[(entry.attribute, entry.group)]
        frame = pd.DataFrame({"y": y[m].astype(float), "p": risk[m]})
        frame["bin"] = pd.cut(frame["p"], edges, right=False, labels=False, include_lowest=True)
        table = frame.groupby("bin").agg(n=("y", "size"), observed=("y", "mean"), predicted=("p", "mean"))
        ece = float((table["n"] / len(frame) * (table["observed"] - table["predicted"]).abs()).sum())
        assert entry.details["ece"]["plug_in"] == pytest.approx(ece, abs=EXACT)  # the reported value is debiased
        shown = [b for b in entry.calibration if b.n > 0]
        assert [b.n for b in shown] == table["n"].tolist()
        assert [b.observed.value for b in shown] == pytest.approx(table["observed"].tolist(), abs=EXACT)
        assert [b.predicted for b in shown] == pytest.approx(table["predicted"].tolist(), abs=EXACT)
    # Overall, the bins are sklearn's quantile strategy (no risk sits exactly on an inner edge here).
    observed, predicted = calibration_curve(y, risk, n_bins=10, strategy="quantile")
    overall = result.group("overall", "all")
    assert [b.observed.value for b in overall.calibration] == pytest.approx(observed, abs=EXACT)
    assert [b.predicted for b in overall.calibration] == pytest.approx(predicted, abs=EXACT)


def test_age_band_cutoff():
    assert age_band([18, 54, 54.9, 55, 56, 100]).tolist() == ["<55", "<55", "<55", ">=55", ">=55", ">=55"]


def test_threshold_mapping_flags_per_group(predictions):
    y, risk, _, attributes = predictions(3000, seed=5)
    thresholds = {"female": 0.03, "male": 0.08}
    result = audit_predictions(y, risk, attributes=attributes, threshold=thresholds, by=("sex",), n_boot=20)
    female = attributes["sex"].to_numpy() == "female"
    flag = np.where(female, risk >= 0.03, risk >= 0.08)
    assert result.group("sex", "female")["selection_rate"].value == pytest.approx(flag[female].mean())
    assert result.group("sex", "male")["selection_rate"].value == pytest.approx(flag[~female].mean())
    assert result.to_dict()["threshold"] == thresholds
