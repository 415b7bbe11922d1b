"""Issue 25 in the EHR path: every hs-cTnI of the encounter is placed by time, a raised later sample is never an
"info" card, conflicting or repeated resources are refused by name, and bundle order never changes the card."""

from __future__ import annotations

import copy
import itertools
import random

import pytest

from chestpain.ehr import assess, card, map_bundle
from chestpain.models import TriageModel
from tests.ehr.conftest import load_fixture

TROPONIN_ID = "obs-1004-8"  # the 1 h sample of fixture 1004 (2.2 -> 2.3 ng/L, 62 min apart)


@pytest.fixture(scope="module")
def model(app_model_dir):
    return TriageModel.load(app_model_dir)


def with_sample(bundle, minutes_after_0h: int, value: float, *, suffix: str = "x"):
    """The bundle plus one more hs-cTnI of the same encounter, ``minutes_after_0h`` after 08:20."""
    bundle = copy.deepcopy(bundle)
    template = next(e for e in bundle["entry"] if e["resource"].get("id") == TROPONIN_ID)
    extra = copy.deepcopy(template)
    hours, minutes = divmod(20 + minutes_after_0h, 60)
    extra["resource"]["id"] = f"obs-1004-{suffix}"
    extra["resource"]["effectiveDateTime"] = f"2026-03-02T{8 + hours:02d}:{minutes:02d}:00Z"
    extra["resource"]["valueQuantity"]["value"] = value
    if "fullUrl" in extra:
        extra["fullUrl"] = extra["fullUrl"].replace(TROPONIN_ID, extra["resource"]["id"])
    bundle["entry"].append(extra)
    return bundle


def only(bundle):
    (mapping,) = map_bundle(bundle)
    return mapping


def test_fixture_1004_alone_is_low_risk_info(model):
    assessment = assess(model, only(load_fixture("visit_1004.json")))
    assert assessment.indicator == "info", card(assessment, "1004")["summary"]


@pytest.mark.parametrize(("minutes", "column"), [(120, "troponin_2h_ng_l"), (180, "troponin_3h_ng_l")])
def test_a_500_ng_l_later_sample_is_placed_and_never_an_info_card(model, minutes, column):
    mapping = only(with_sample(load_fixture("visit_1004.json"), minutes, 500.0))
    assert mapping.sufficient and mapping.row[column] == 500.0
    assert any("hs-cTnI samples used" in note and "500 ng/L" in note for note in mapping.notes), mapping.notes
    assessment = assess(model, mapping)
    out = card(assessment, "1004")
    assert out["indicator"] == "critical"  # 500 ng/L is above the ESC rule-in level (64 ng/L)
    assert "500 ng/L" in out["detail"] and "not safe to discharge" in out["summary"]


def test_a_later_sample_outside_every_window_still_raises_the_card(model):
    # 6 h after 0 h: no model column, but above the 99th percentile for women (16 ng/L): a warning at least.
    mapping = only(with_sample(load_fixture("visit_1004.json"), 360, 40.0))
    assert mapping.sufficient and mapping.row["troponin_3h_ng_l"] is None
    assert card(assess(model, mapping), "1004")["indicator"] in {"warning", "critical"}


def test_a_small_later_rise_below_the_99th_keeps_info_possible(model):
    # 3 h value 3 ng/L (a rise of 0.8 from 0 h, below every limit): the safety rule does not fire.
    mapping = only(with_sample(load_fixture("visit_1004.json"), 180, 3.0))
    assert assess(model, mapping).later_alarm is None


def test_two_values_at_one_time_that_disagree_are_named_and_not_assessed(model):
    bundle = load_fixture("visit_1004.json")
    conflicting = with_sample(bundle, 62, 9.0, suffix="dup")  # same time as the 1 h sample (09:22), another value
    mapping = only(conflicting)
    assert not mapping.sufficient
    assert any("disagree (2.3 ng/L and 9 ng/L)" in problem for problem in mapping.problems), mapping.problems
    assert card(assess(model, mapping), "1004")["indicator"] == "warning"


def test_an_identical_repeated_result_counts_once(model):
    mapping = only(with_sample(load_fixture("visit_1004.json"), 62, 2.3, suffix="same"))
    assert mapping.sufficient and any("counted once" in note for note in mapping.notes)


def test_two_patient_resources_with_one_id_are_named(model):
    bundle = copy.deepcopy(load_fixture("visit_1004.json"))
    patient = next(e for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient")
    twin = copy.deepcopy(patient)
    twin["resource"]["birthDate"] = "1950-01-01"
    bundle["entry"].insert(1, twin)
    mapping = only(bundle)
    assert not mapping.sufficient
    assert any("2 Patient resources for Patient/1004" in problem for problem in mapping.problems)


def _card_view(bundle, model):
    out = card(assess(model, only(bundle)), "1004")
    return out["indicator"], out["summary"], out["detail"]


@pytest.mark.parametrize("variant", ["plain", "later_500", "conflict"])
def test_the_same_bundle_in_any_order_gives_the_same_card(model, variant):
    bundle = load_fixture("visit_1004.json")
    if variant == "later_500":
        bundle = with_sample(bundle, 180, 500.0)
    elif variant == "conflict":
        bundle = with_sample(bundle, 62, 9.0, suffix="dup")
    expected = _card_view(bundle, model)
    entries = bundle["entry"]
    # Reversed, rotated and 20 seeded shuffles (all 10! orders are too many; each shuffle is reproducible).
    orders = [entries[::-1], entries[3:] + entries[:3]]
    shuffler = random.Random(25)
    for _ in range(20):
        shuffled = list(entries)
        shuffler.shuffle(shuffled)
        orders.append(shuffled)
    for order in itertools.islice(orders, None):
        assert _card_view({**bundle, "entry": order}, model) == expected


@pytest.mark.parametrize(
    ("minutes", "column", "pathway"), [(120, "troponin_2h_ng_l", "0/2 h"), (180, "troponin_3h_ng_l", "0/3 h")]
)
def test_a_site_without_a_1h_sample_is_assessed_on_its_own_pathway(model, minutes, column, pathway):
    # Fixture 1004's 1 h sample moved to 2 h or 3 h: a 0/2 h or 0/3 h site. The model answers (1 h not drawn),
    # the card names that pathway's ESC reading, and the notes list the samples used.
    bundle = copy.deepcopy(load_fixture("visit_1004.json"))
    sample = next(e["resource"] for e in bundle["entry"] if e["resource"].get("id") == TROPONIN_ID)
    hours, rest = divmod(20 + minutes, 60)
    sample["effectiveDateTime"] = f"2026-03-02T{8 + hours:02d}:{rest:02d}:00Z"
    mapping = only(bundle)
    assert mapping.sufficient, mapping.problems
    assert mapping.row["troponin_1h_ng_l"] is None and mapping.row[column] == 2.3
    assert any(
        "hs-cTnI samples used: 0h 2.2 ng/L" in note and f"{column[9:11]} 2.3 ng/L" in note for note in mapping.notes
    )
    assessment = assess(model, mapping)
    assert assessment.esc_pathway == pathway and assessment.esc in {"rule-out", "observe", "rule-in"}
    out = card(assessment, "1004")
    assert f"ESC 2020 {pathway}" in out["detail"] and "1 h" not in out["detail"].split("**ESC 2020")[1].split(";")[0]
    assert "troponin 1 h" not in assessment.reasons or "not drawn" in assessment.reasons
