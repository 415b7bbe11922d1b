"""The library under the discharge page: one form answer feeds sx_* and doc_*, problems map to fields, what-if."""

from __future__ import annotations

import pytest

from chestpain.kernel.errors import TriageError
from chestpain.models import load_model, load_train_config, prepare, train
from chestpain.models._whatif import assess, field_problems, risk_curve, visit_row, what_if
from tests.app.helpers import HIGH_RISK, NO_CHEST_PAIN, REPO_ROOT, TRAIN_OVERRIDES


@pytest.fixture(scope="module")
def model(app_model_dir):
    return load_model(app_model_dir)


@pytest.fixture(scope="module")
def doc_model(app_cohort, tmp_path_factory):
    """A model trained on charted symptoms (doc_*): the form's answers must reach it too."""
    cfg = load_train_config(
        REPO_ROOT / "configs/train/xgboost.yaml", [*TRAIN_OVERRIDES, "features.symptom_source=doc", "name=doc"]
    )
    return train(prepare(app_cohort, cfg), cfg, tmp_path_factory.mktemp("doc") / "model").model


def test_each_symptom_answer_fills_elicited_and_charted_columns():
    row = visit_row(NO_CHEST_PAIN)
    assert row.loc[0, "sx_nausea"] is True and row.loc[0, "doc_nausea"] is True
    assert row.loc[0, "sx_chest_pain"] is False and row.loc[0, "doc_chest_pain"] is False


def test_a_doc_model_reads_the_same_answers_and_explains_with_charted_symptoms(model, doc_model):
    assert doc_model.symptom_source == "doc"
    charted = assess(doc_model, visit_row(NO_CHEST_PAIN))
    elicited = assess(model, visit_row(NO_CHEST_PAIN))
    assert {c.column for c in charted.contributions} >= {"doc_nausea", "doc_dyspnea"}
    assert {c.column for c in elicited.contributions} >= {"sx_nausea", "sx_dyspnea"}
    assert charted.heart == elicited.heart  # HEART scores the chart, which holds the same answers
    assert charted.esc == elicited.esc == "observe"


def test_contributions_add_up_to_the_score(model):
    result = assess(model, visit_row(HIGH_RISK))
    total = result.bias + sum(part.log_odds for part in result.contributions)
    assert total == pytest.approx(result.score, abs=1e-4)
    # At most the top three, and only those the patient's own what-if confirms (issue 25): here at least one.
    assert 1 <= len(result.reasons) <= 3


def test_problems_are_filed_under_the_form_field_they_came_from(model):
    with pytest.raises(TriageError) as error:
        assess(model, visit_row({**HIGH_RISK, "nausea": None, "troponin_0h_ng_l": 0.02}))
    problems = field_problems(error.value)
    assert problems["nausea"] == ["value is missing; every row needs elicited symptom nausea (true/false)"]
    assert problems["troponin_0h_ng_l"][0].startswith("0.02 looks like ng/mL")


def test_what_if_names_the_change_and_rejects_unknown_fields(model):
    moved = what_if(model, NO_CHEST_PAIN, {"chest_pain": True})
    assert moved.changes == ("no chest pain (asked) → chest pain (asked)",)
    assert moved.after.heart["heart_history"] >= moved.before.heart["heart_history"]
    with pytest.raises(TriageError, match="unknown field"):
        what_if(model, NO_CHEST_PAIN, {"mi": True})


def test_risk_curve_rises_with_troponin(model):
    curve = risk_curve(model, NO_CHEST_PAIN, "troponin_1h_ng_l", [0, 10, 100, 1000])
    assert curve["risk"].iloc[-1] > curve["risk"].iloc[0]
