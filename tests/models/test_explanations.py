"""Reasons are the top three additive contributions, in plain words, and match the model's own output."""

from __future__ import annotations

import numpy as np
import pandas as pd
import xgboost as xgb

from chestpain.models._reasons import reasons_text


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


# --- issue 14: baseline Shapley against a reference patient, clinical groups, no "higher troponin lowers risk" ---
from itertools import combinations  # noqa: E402
from math import factorial  # noqa: E402

import pytest  # noqa: E402

from chestpain.features import COURSE_GROUP  # noqa: E402
from chestpain.features._pipeline import TROPONIN_99TH_NG_L  # noqa: E402
from chestpain.features.columns import LATER_TROPONIN_COLUMNS, TROPONIN_COLUMNS  # noqa: E402
from chestpain.models._reasons import NEUTRAL, PEAK_GROUP, column_matrix, group_text  # noqa: E402
from chestpain.models._tree_shap import baseline_shapley  # noqa: E402


@pytest.fixture(scope="module")
def small_booster(seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(3_000, 4))
    y = (x[:, 0] + x[:, 1] * x[:, 2] + 0.5 * rng.normal(size=3_000)) > 0
    model = xgb.XGBClassifier(n_estimators=25, max_depth=3, learning_rate=0.3, random_state=seed)
    return model.fit(x, y).get_booster(), x


def _brute_force(booster, x_row, reference):
    """Shapley values by enumerating every coalition: v(S) = f(x_S, r_rest)."""
    d = len(x_row)

    def value(subset):
        z = reference.copy()
        z[list(subset)] = x_row[list(subset)]
        return float(booster.inplace_predict(z[None, :], predict_type="margin")[0])

    phi = np.zeros(d)
    for i in range(d):
        others = [j for j in range(d) if j != i]
        for size in range(d):
            for subset in combinations(others, size):
                weight = factorial(size) * factorial(d - size - 1) / factorial(d)
                phi[i] += weight * (value((*subset, i)) - value(subset))
    return phi


def test_baseline_shapley_matches_brute_force(small_booster):
    booster, x = small_booster
    reference = np.median(x, axis=0)
    ours = baseline_shapley(booster, x[:20], reference)
    expected = np.array([_brute_force(booster, row, reference) for row in x[:20]])
    # float32 leaf values summed in a different order: agreement to 1e-5 log-odds.
    np.testing.assert_allclose(ours, expected, atol=1e-5)


def test_baseline_shapley_is_the_same_in_one_block_or_many(small_booster, monkeypatch):
    # All leaves are scored at once, patients in blocks (bounded memory): the block size must not matter, and
    # the leaf-by-leaf sum it replaced (the definition, written out below) gives the same values.
    from chestpain.models import _tree_shap

    booster, x = small_booster
    reference = np.median(x, axis=0)
    table = _tree_shap.LeafTable.of(_tree_shap.tree_leaves(booster))
    whole = baseline_shapley(table, x[:500], reference)
    monkeypatch.setattr(_tree_shap, "_BLOCK_CELLS", 1)  # one patient per block
    # Equal up to the matrix product's summation order (BLAS blocks differ with the shapes): 1e-12 log-odds.
    np.testing.assert_allclose(baseline_shapley(table, x[:500], reference), whole, rtol=0, atol=1e-12)
    by_leaf = np.zeros_like(whole)
    x32, r32 = x[:500].astype(np.float32), reference.astype(np.float32)
    for leaf in _tree_shap.tree_leaves(booster):
        if leaf.features.size == 0:
            continue
        x_ok = (x32[:, leaf.features] >= leaf.low) & (x32[:, leaf.features] < leaf.high)
        r_ok = (r32[leaf.features] >= leaf.low) & (r32[leaf.features] < leaf.high)
        x_only, r_only = x_ok & ~r_ok, ~x_ok & r_ok
        live = ~(~x_ok & ~r_ok).any(axis=1)
        a, b = x_only.sum(axis=1), r_only.sum(axis=1)
        for i in np.flatnonzero(live):  # the definition, row by row (small data)
            total = factorial(a[i] + b[i])
            if a[i]:
                by_leaf[i, leaf.features[x_only[i]]] += leaf.value * factorial(a[i] - 1) * factorial(b[i]) / total
            if b[i]:
                by_leaf[i, leaf.features[r_only[i]]] -= leaf.value * factorial(a[i]) * factorial(b[i] - 1) / total
    np.testing.assert_allclose(whole, by_leaf, rtol=0, atol=1e-12)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")
@pytest.mark.filterwarnings("ignore::FutureWarning")
def test_baseline_shapley_matches_shap_interventional(small_booster):
    shap = pytest.importorskip("shap")
    booster, x = small_booster
    reference = np.median(x, axis=0)[None, :]
    explainer = shap.TreeExplainer(booster, data=reference, feature_perturbation="interventional", model_output="raw")
    np.testing.assert_allclose(
        baseline_shapley(booster, x[:200], reference[0]), explainer.shap_values(x[:200]), atol=1e-5
    )


@pytest.mark.parametrize("result_name", ["xgb_result", "logistic_result"])
def test_monotone_group_at_or_above_the_reference_never_lowers_risk(result_name, request, small_cohort):
    # The guarantee behind the reasons: a clinical group whose every feature is at or above the reference
    # patient's contributes >= 0 (checked on 3,000 simulated visits; NEUTRAL absorbs float rounding). The
    # higher-sample group is folded into the sample it came from, so that sample's group has its features too.
    model = request.getfixturevalue(result_name).model
    features = model.validate(small_cohort.head(3_000))
    explanation = model.explain(features)
    transformed = model.estimator.transform(features)
    reference = model.explanation_reference
    names = model.estimator.feature_names
    groups, matrix = column_matrix(model.estimator.preprocessor)
    members = {group: np.flatnonzero(matrix[:, j]) for j, group in enumerate(groups)}
    peak = members.pop(PEAK_GROUP)
    t0, t1 = (features[name].to_numpy(float) for name in TROPONIN_COLUMNS)
    # The higher sample (no 1 h sample: the 0 h one; ties: the 1 h one) carries the peak, and the course where no
    # later sample was drawn.
    carries_peak = {TROPONIN_COLUMNS[0]: ~(t1 >= t0), TROPONIN_COLUMNS[1]: t1 >= t0}
    course = members.get(COURSE_GROUP, np.array([], dtype=int))
    no_later = features[list(LATER_TROPONIN_COLUMNS)].isna().all(axis=1).to_numpy()
    assert explanation.columns == list(members)
    monotone = set(model.manifest["monotone_features"])
    assert monotone
    for j, group in enumerate(explanation.columns):
        with_peak = np.concatenate([members[group], peak, course]) if group in carries_peak else members[group]
        if not all(names[k] in monotone for k in with_peak):
            continue
        above = (transformed[:, members[group]] >= reference[members[group]]).all(axis=1)
        if group in carries_peak:
            peak_above = (transformed[:, peak] >= reference[peak]).all(axis=1)
            course_above = (transformed[:, course] >= reference[course]).all(axis=1) | ~no_later
            above &= np.where(carries_peak[group], peak_above & course_above, True)
        assert above.any(), group  # not vacuous
        assert (explanation.contributions[above, j] >= -NEUTRAL).all(), group


def test_the_peak_is_folded_into_the_higher_sample_and_contributions_still_add_up(xgb_result, small_cohort):
    model = xgb_result.model
    features = model.validate(small_cohort.head(500))
    explanation = model.explain(features)
    assert PEAK_GROUP not in explanation.columns
    # Additivity survives the fold: reference score + contributions = the model's margin (float32 leaves).
    np.testing.assert_allclose(
        np.ravel(explanation.bias) + explanation.contributions.sum(axis=1), explanation.raw, atol=1e-4
    )
    reasons = model.predict(small_cohort.head(500))["reasons"].astype(str)
    assert not reasons.str.contains("higher troponin").any()


@pytest.mark.parametrize("result_name", ["xgb_result", "logistic_result"])
def test_no_reason_says_a_higher_troponin_a_larger_change_or_ischaemic_ecg_lowers_risk(
    result_name, request, small_cohort
):
    # Issue 14 done-when: predict with reasons on a few thousand simulated visits and read the reasons.
    model = request.getfixturevalue(result_name).model
    visits = small_cohort.tail(4_000).reset_index(drop=True)
    reasons = model.predict(visits)["reasons"].astype(str)
    upper = visits["sex"].map(TROPONIN_99TH_NG_L)
    t0, t1 = visits["troponin_0h_ng_l"], visits["troponin_1h_ng_l"]
    peak = visits[["troponin_0h_ng_l", "troponin_1h_ng_l", "troponin_2h_ng_l", "troponin_3h_ng_l"]].max(axis=1)
    checks = {
        "troponin course ": peak > upper,  # every sample read together
        "troponin 0 h ": t0 > upper,
        "troponin 1 h ": t1 > upper,
        "troponin rose ": (t1 - t0) >= 6,  # the ESC 0/1 h change cut-off (Collet et al., Eur Heart J 2021)
        "troponin fell ": (t0 - t1) >= 6,
        "ECG: ischemic": visits["ecg"] == "ischemic",
    }
    for prefix, rows in checks.items():
        assert rows.any(), prefix  # the cohort has such visits, so the check is not vacuous
        parts = reasons[rows].str.split("; ").explode()
        wrong = parts[parts.str.startswith(prefix) & parts.str.endswith("lowers risk")]
        assert wrong.empty, f"{len(wrong)} reasons such as {wrong.iloc[0]!r}" if not wrong.empty else ""


def test_clinical_groups_read_as_a_clinician_reads_them():
    features = pd.DataFrame(
        {
            "sex": ["female", "male", "male"],
            "troponin_0h_ng_l": [70.0, 40.0, 3.0],
            "troponin_1h_ng_l": [95.0, 28.0, 3.2],
            "symptom_onset_hours": [2.0, 7.5, 0.5],
        }
    )
    assert list(group_text(features, "troponin_0h_ng_l")) == [
        "troponin 0 h 70 ng/L (4.4x the 99th percentile for women)",
        "troponin 0 h 40 ng/L (1.2x the 99th percentile for men)",
        "troponin 0 h 3 ng/L (0.1x the 99th percentile for men)",
    ]
    assert list(group_text(features, "troponin_change")) == [
        "troponin rose 25 ng/L in 1 h",
        "troponin fell 12 ng/L in 1 h",
        "troponin unchanged in 1 h",
    ]
    assert group_text(features, "troponin_max")[0] == "higher troponin 95 ng/L (5.9x the 99th percentile for women)"
    assert list(group_text(features, "symptom_onset_hours")) == [
        "pain began 2 h before the first sample",
        "pain began 7.5 h before the first sample",
        "pain began 0.5 h before the first sample",
    ]


def test_a_sample_below_the_limit_of_detection_reads_as_the_laboratory_reports_it():
    # Issue 24: "< 2 ng/L" is coded 1 ng/L; a clinician must read "< 2", never "1 ng/L (0.1x the 99th ...)".
    import pandas as pd

    from chestpain.models._reasons import group_text

    frame = pd.DataFrame(
        {"troponin_0h_ng_l": [1.0, 1.0, 5.0, 12.0], "troponin_1h_ng_l": [2.0, 1.0, 1.0, 14.0], "sex": ["male"] * 4}
    )
    assert (
        group_text(frame, "troponin_0h_ng_l").tolist()[:2]
        == ["troponin 0 h < 2 ng/L (below the limit of detection)"] * 2
    )
    assert (
        group_text(frame, "troponin_0h_ng_l").tolist()[3] == "troponin 0 h 12 ng/L (0.4x the 99th percentile for men)"
    )
    assert group_text(frame, "troponin_change").tolist() == [
        "troponin rose from < 2 to 2 ng/L in 1 h",
        "troponin < 2 ng/L at 0 h and 1 h",
        "troponin fell from 5 to < 2 ng/L in 1 h",
        "troponin rose 2 ng/L in 1 h",
    ]
    assert group_text(frame, "troponin_max").tolist()[1] == "higher troponin < 2 ng/L (below the limit of detection)"
