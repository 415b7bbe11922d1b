"""HEART, ESC 0/1 h and single-sample rule-out: worked examples from the published rules, cut-off edges."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from chestpain.features import (
    ESC_CATEGORIES,
    HEART_COMPONENTS,
    TroponinPolicy,
    clinical_scores,
    esc_0_1h,
    heart_age,
    heart_ecg,
    heart_history,
    heart_risk,
    heart_score,
    heart_troponin,
    single_sample_rule_out,
    troponin_upper_limit,
)
from tests.features.helpers import visit_frame

F, T = False, True


def _visit(**values: object) -> pd.DataFrame:
    """One visit with every risk factor and symptom off, then ``values``."""
    frame = visit_frame(1, symptom_source="doc")
    for name in frame.columns:
        if frame[name].dtype == bool:
            frame[name] = False
    return frame.assign(**values)


def test_heart_worked_example_high_risk():
    # 70-year-old man with typical charted history, ST depression, diabetes + hypertension + smoking and a 0 h
    # troponin of 100 ng/L (> 3 x 26): H2 E2 A2 R2 T2 = 10, the maximum.
    visit = _visit(
        age=70, sex="male", ecg="ischemic", troponin_0h_ng_l=100.0, diabetes=T, hypertension=T, current_smoker=T,
        doc_chest_pain=T, doc_radiation=T, doc_diaphoresis=T,
    )  # fmt: skip
    assert heart_score(visit).iloc[0].tolist() == [2, 2, 2, 2, 2, 10]


def test_heart_worked_example_low_risk():
    # 38-year-old woman, chest pain only, normal ECG, no risk factors, troponin 4 ng/L: H1 E0 A0 R0 T0 = 1.
    visit = _visit(age=38, sex="female", ecg="normal", troponin_0h_ng_l=4.0, doc_chest_pain=T)
    assert heart_score(visit).iloc[0].tolist() == [1, 0, 0, 0, 0, 1]


def test_heart_history_ignores_dyspnea_and_fatigue_and_reads_the_chosen_source():
    from chestpain.features.columns import SYMPTOMS

    visit = _visit(doc_dyspnea=T, doc_fatigue=T)
    elicited = {f"sx_{name}": name in ("chest_pain", "radiation", "nausea") for name in SYMPTOMS}
    visit = visit.assign(**elicited)
    assert heart_score(visit)["heart_history"].iloc[0] == 0  # charted: only dyspnea and fatigue
    assert heart_score(visit, symptom_source="sx")["heart_history"].iloc[0] == 2  # elicited: typical triad


@pytest.mark.parametrize(
    ("symptoms", "points"),
    [
        ((F, F, F, F, F, F), 0),
        ((T, F, F, F, F, F), 1),
        ((F, T, T, T, F, F), 1),  # no chest pain: at most moderately suspicious
        ((T, T, F, F, F, F), 1),
        ((T, T, F, F, F, T), 2),
        ((T, F, T, F, T, F), 2),
    ],
)
def test_heart_history_rule(symptoms, points):
    assert heart_history(*([value] for value in symptoms)).tolist() == [points]


def test_heart_ecg_age_and_risk_points():
    assert heart_ecg(["normal", "nonspecific", "ischemic"]).tolist() == [0, 1, 2]
    assert heart_age([18, 44, 45, 64, 65, 100]).tolist() == [0, 0, 1, 1, 2, 2]
    factors = np.array(
        [
            [F, F, F, F, F, F],
            [T, F, F, F, F, F],
            [T, T, F, F, F, F],
            [T, T, T, F, F, F],
            [T, T, T, T, T, F],
            [F, F, F, F, F, T],  # known coronary disease scores 2 on its own
        ]
    )
    assert heart_risk(*factors.T).tolist() == [0, 1, 1, 2, 2, 2]


def test_heart_troponin_universal_edges():
    values = [0.0, 26.0, 26.01, 78.0, 78.01]
    assert heart_troponin(values, ["female"] * 5).tolist() == [0, 0, 1, 1, 2]


def test_heart_troponin_sex_specific_edges():
    values = [16.0, 16.5, 48.0, 48.5, 34.0, 34.5, 102.0, 102.5]
    sexes = ["female"] * 4 + ["male"] * 4
    assert heart_troponin(values, sexes, policy="sex-specific").tolist() == [0, 1, 1, 2, 0, 1, 1, 2]
    # The same 20 ng/L is raised for a woman only under the sex-specific policy.
    assert heart_troponin([20.0, 20.0], ["female", "male"], policy=TroponinPolicy.universal).tolist() == [0, 0]
    assert troponin_upper_limit(["female", "male"], "sex-specific").tolist() == [16.0, 34.0]


# ESC 2020 (Collet et al., Eur Heart J 2021), Architect hs-cTnI: very low < 4 (only when onset > 3 h), low < 5
# with a 1 h change < 2, high >= 64, change >= 6 (rise or fall). Every cut-off just below and at its value.
@pytest.mark.parametrize(
    ("t0", "t1", "onset", "expected"),
    [
        (3.9, 5.8, 3.1, "rule-out"),  # very low (3.9 < 4) after 3 h, change 1.9 irrelevant
        (4.0, 6.1, 3.1, "observe"),  # 0 h exactly 4: not very low; change 2.1 >= 2
        (3.9, 6.1, 3.0, "observe"),  # onset exactly 3 h: the very-low arm needs more than 3 h
        (3.9, 6.1, 3.1, "rule-out"),  # onset 3.1 h: very low applies
        (3.9, 6.1, None, "observe"),  # onset unknown: the very-low arm is never used
        (4.9, 6.8, 1.0, "rule-out"),  # low 0 h (4.9 < 5) and change 1.9 < 2
        (5.0, 5.0, 1.0, "observe"),  # 0 h exactly 5: not low
        (4.9, 6.9, 1.0, "observe"),  # change exactly 2: not < 2
        (4.9, 2.9, 1.0, "observe"),  # a fall of exactly 2 likewise
        (10.0, 15.9, 1.0, "observe"),  # rise 5.9
        (10.0, 16.0, 1.0, "rule-in"),  # rise exactly 6
        (20.0, 14.1, 1.0, "observe"),  # fall 5.9
        (20.0, 14.0, 1.0, "rule-in"),  # fall exactly 6 counts like a rise
        (63.9, 63.9, 5.0, "observe"),
        (64.0, 64.0, 5.0, "rule-in"),  # 0 h exactly 64
        (1.9, 30.0, 5.0, "rule-in"),  # very low 0 h, but a measured rise of >= 6 ng/L wins
    ],
)
def test_esc_2020_cut_offs(t0, t1, onset, expected):
    onsets = None if onset is None else [onset]
    assert esc_0_1h([t0], [t1], onsets).tolist() == [expected]


@pytest.mark.parametrize(
    ("t0", "t1", "onset", "expected"),
    [
        (1.9, 5.5, 4.0, "rule-out"),  # ESC 2015: very low is < 2
        (2.0, 5.5, 4.0, "observe"),  # ... so 2.0 with a change of 3.5 is not ruled out (ESC 2020 would)
        (51.9, 51.9, 4.0, "observe"),
        (52.0, 52.0, 4.0, "rule-in"),  # ESC 2015: high is >= 52 (ESC 2020: 64)
    ],
)
def test_esc_2015_on_request(t0, t1, onset, expected):
    assert esc_0_1h([t0], [t1], [onset], edition="2015").tolist() == [expected]
    if expected == "observe" and t0 == 2.0:
        assert esc_0_1h([t0], [t1], [onset]).tolist() == ["rule-out"]


def test_esc_without_1h_value_uses_0h_arms_only():
    result = esc_0_1h([1.0, 4.5, 80.0], [np.nan] * 3, [5.0, 5.0, 5.0]).tolist()
    assert result == ["rule-out", "observe", "rule-in"]


def test_single_sample_rule_out_below_limit_of_detection():
    assert single_sample_rule_out([0.0, 1.99, 2.0, 5.0]).tolist() == [True, True, False, False]
    # With onset recorded, only presentations more than 3 h after onset are ruled out on one sample.
    assert single_sample_rule_out([1.0, 1.0, 1.0], [2.0, 3.0, 3.1]).tolist() == [False, False, True]
    assert single_sample_rule_out([4.0], limit_of_detection=5.0).tolist() == [True]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: heart_age([50, np.nan]), "age: missing values"),
        (lambda: heart_ecg(["normal", "STEMI"]), "ecg: values outside"),
        (lambda: heart_troponin([5.0], ["F"]), "sex: values outside"),
        (lambda: esc_0_1h([np.nan], [3.0]), "troponin_0h_ng_l: missing values"),
        (lambda: heart_history([None], [F], [F], [F], [F], [F]), "chest_pain: expected true/false"),
        (lambda: heart_history([T], [F], [F], [F], [F], [None]), "exertional: expected true/false"),
        (lambda: heart_risk([F], [F], [F], [F], [np.nan], [F]), "family_history_cad: expected true/false"),
        (lambda: heart_troponin([5.0], ["male"], policy="strict"), "'strict' is not a valid TroponinPolicy"),
    ],
)
def test_invalid_inputs_raise_instead_of_guessing(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_clinical_scores_columns_order_and_types():
    visits = visit_frame(50, seed=9, symptom_source="doc").sample(frac=1.0, random_state=1)
    scores = clinical_scores(visits, troponin_policy="sex-specific")
    assert list(scores.columns) == [
        "patient_id", *HEART_COMPONENTS, "heart_score", "esc_0_1h", "single_sample_rule_out",
        "esc_0_2h", "esc_0_3h",
    ]  # fmt: skip
    assert scores["patient_id"].tolist() == visits["patient_id"].tolist()
    assert (scores["heart_score"] == scores[list(HEART_COMPONENTS)].sum(axis=1)).all()
    assert set(scores["esc_0_1h"]) <= set(ESC_CATEGORIES)
    assert scores["single_sample_rule_out"].dtype == bool
    assert "symptom_onset_hours" in visits  # the cohort records onset, so the very-low arm can apply
    t0, t1, onset = visits["troponin_0h_ng_l"], visits["troponin_1h_ng_l"], visits["symptom_onset_hours"]
    assert scores["esc_0_1h"].tolist() == esc_0_1h(t0, t1, onset).tolist()


def test_scores_are_vectorised_over_pandas_and_numpy_inputs_alike():
    visits = visit_frame(200, seed=5, symptom_source="doc")
    as_numpy = {name: visits[name].to_numpy() for name in visits.columns}
    assert heart_ecg(visits["ecg"]).tolist() == heart_ecg(as_numpy["ecg"]).tolist()
    assert heart_troponin(visits["troponin_0h_ng_l"], visits["sex"], policy="sex-specific").tolist() == (
        heart_troponin(as_numpy["troponin_0h_ng_l"], as_numpy["sex"].astype(object), policy="sex-specific").tolist()
    )


def test_docstring_examples_run():
    import doctest

    from chestpain.features import _pipeline, _scores

    for module in (_scores, _pipeline):
        result = doctest.testmod(module)
        assert result.attempted > 0 and result.failed == 0


# --- ESC 0/2 h and 0/3 h (issue 25): each cut-off tested on both sides -------------------------------------------
@pytest.mark.parametrize(
    ("t0", "t2", "onset", "expected"),
    [
        (3.9, 3.9, 3.5, "rule-out"),  # very low (< 4) after 3 h
        (4.0, 4.0, 3.5, "rule-out"),  # not very low, but low (< 6) with no change (< 2)
        (3.9, 20.0, 3.5, "rule-in"),  # a change >= 15 wins over very low
        (5.9, 7.8, 2.0, "rule-out"),  # low with a change of 1.9 (< 2)
        (5.9, 7.9, 2.0, "observe"),  # change 2.0: not "no change"
        (6.0, 6.0, 2.0, "observe"),  # 0 h 6: not low
        (30.0, 44.9, 4.0, "observe"),  # change 14.9 (< 15)
        (30.0, 45.0, 4.0, "rule-in"),  # change 15.0
        (63.9, 63.9, 4.0, "observe"),  # below high
        (64.0, 64.0, 4.0, "rule-in"),  # high (>= 64)
        (3.0, float("nan"), 4.0, "not drawn"),
    ],
)
def test_esc_0_2h_at_every_cutoff(t0, t2, onset, expected):
    from chestpain.features import esc_0_2h

    assert esc_0_2h([t0], [t2], [onset]).tolist() == [expected]


def test_esc_0_2h_very_low_needs_a_known_onset_over_3_hours():
    from chestpain.features import esc_0_2h

    assert esc_0_2h([3.9, 3.9, 3.9], [6.0, 6.0, 6.0], [3.0, np.nan, 3.01]).tolist() == [
        "observe",
        "observe",
        "rule-out",
    ]


@pytest.mark.parametrize(
    ("sex", "t0", "t3", "expected"),
    [
        ("female", 10.0, 16.0, "rule-out"),  # both at the 99th (16), change 6 < 8
        ("female", 10.0, 17.9, "observe"),  # above 16, change 7.9 < 8
        ("female", 10.0, 18.0, "rule-in"),  # above 16, change 8 (half the 99th)
        ("female", 2.0, 10.0, "observe"),  # below 16 with a relevant change (8): neither rule
        ("male", 20.0, 36.9, "observe"),  # above 34, change 16.9 < 17
        ("male", 20.0, 37.0, "rule-in"),  # change 17 (half of 34)
        ("male", 34.0, 34.0, "rule-out"),  # at the 99th: not above
        ("male", 40.0, 40.0, "observe"),  # above, flat
        ("female", 40.0, float("nan"), "not drawn"),
    ],
)
def test_esc_0_3h_at_every_cutoff(sex, t0, t3, expected):
    from chestpain.features import esc_0_3h

    assert esc_0_3h([t0], [t3], [sex]).tolist() == [expected]


def test_each_record_is_read_on_its_own_pathway():
    # Issue 25: a record without a 1 h sample has no ESC 0/1 h reading ("not drawn", even where 0 h alone would
    # have ruled in), and esc_of_record picks the pathway the site ran: 0/1 h, else 0/2 h, else 0/3 h.
    from chestpain.features import esc_of_record

    visits = visit_frame(4, seed=2, symptom_source="doc")
    visits["sex"] = "female"
    visits["symptom_onset_hours"] = 5.0
    visits["troponin_0h_ng_l"] = [3.0, 3.0, 3.0, 80.0]
    visits["troponin_1h_ng_l"] = [3.0, np.nan, np.nan, np.nan]
    visits["troponin_2h_ng_l"] = [np.nan, 30.0, np.nan, np.nan]
    visits["troponin_3h_ng_l"] = [np.nan, np.nan, 4.0, 90.0]
    scores = clinical_scores(visits)
    assert scores["esc_0_1h"].tolist() == ["rule-out", "not drawn", "not drawn", "not drawn"]
    pathway, reading = esc_of_record(scores)
    assert pathway.tolist() == ["0/1 h", "0/2 h", "0/3 h", "0/3 h"]
    assert reading.tolist() == ["rule-out", "rule-in", "rule-out", "rule-in"]
