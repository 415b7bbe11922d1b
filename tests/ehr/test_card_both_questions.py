"""Issue 25 in the EHR path: the CDS card gives both answers (MI now, and death, MI or urgent revascularisation
within 30 days) and, when only the 30-day question flags, says so rather than "possible MI"."""

from __future__ import annotations

import dataclasses

import pytest

from chestpain.ehr import assess, card, map_bundle
from chestpain.features import risk_text
from chestpain.models import TriageModel
from tests.ehr.conftest import load_fixture


@pytest.fixture(scope="module")
def assessment(app_model_dir):
    (mapping,) = map_bundle(load_fixture("visit_1004.json"))
    return assess(TriageModel.load(app_model_dir), mapping)


def test_the_card_shows_the_mi_risk_and_the_30_day_risk(assessment):
    assert assessment.risk is not None and assessment.risk_mace is not None  # the packaged config has both
    shown = card(assessment, "1004")
    mi, mace = risk_text(assessment.risk), risk_text(assessment.risk_mace)
    assert f"MI {mi}, 30-day MACE {mace}" in shown["summary"], shown["summary"]
    assert f"**MI now (calibrated risk):** {mi};" in shown["detail"]
    assert f"**Death, MI or urgent revascularisation within 30 days (calibrated risk):** {mace}." in shown["detail"]


def test_a_flag_from_the_30_day_question_alone_is_named_as_such(assessment):
    flagged = dataclasses.replace(assessment, flag=True, flag_reason="mace")
    shown = card(flagged, "1004")
    assert shown["indicator"] == "warning"
    assert shown["summary"].startswith("High 30-day risk: not safe to discharge on this model")
    assert "possible MI" not in shown["summary"]
    assert "**Flag:** high 30-day risk, not safe to discharge." in shown["detail"]
    both = card(dataclasses.replace(assessment, flag=True, flag_reason="mi+mace"), "1004")
    assert both["summary"].startswith("Possible MI") and "possible MI and high 30-day risk" in both["detail"]
