"""The report opens with the answer to "are missed MIs higher in any group?" (issue 27)."""

from __future__ import annotations

import html
import re

import numpy as np
import pytest
from scipy.special import expit

from chestpain.fairness import audit_predictions, render_html
from chestpain.fairness._question import answer, base_rate_note

N = 20_000


def _text(page: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


@pytest.fixture(scope="module")
def gap_audit(predictions):
    # Women's MIs missed twice as often as men's (10% vs 5%): flagged in tests/fairness/test_fairness_detection.py.
    y, risk, flag, attributes = predictions(N, seed=31, fnr=(0.10, 0.05), fpr=0.30)
    return audit_predictions(y, risk, flag, attributes=attributes, n_boot=50, seed=31)


def _page(result) -> str:
    plots = {"fnr_fpr_by_group.png": b"png"}
    return render_html(result, plots, mitigations=None, title="t", label_note="n")


def test_the_first_section_answers_the_missed_mi_question(gap_audit):
    page = _page(gap_audit)
    headings = re.findall(r"<h2>(.*?)</h2>", page)
    assert html.unescape(headings[0]) == "Are missed MIs (FNR) higher in any group?"
    first = _text(page.split("<h2>")[1])
    assert "Yes: a missed-MI gap is flagged for sex = female" in first
    # Every missed-MI comparison has one row: sex, race, age band and sex x age band.
    fnr = [d for d in gap_audit.disparities if d.metric == "fnr"]
    assert {d.attribute for d in fnr} == {"sex", "race", "age_band", "sex&age_band"}
    for entry in fnr:
        assert f"{entry.group} vs {entry.reference}" in first
    female = gap_audit.disparity("sex", "female", "fnr")
    assert answer(gap_audit, female).startswith("FLAGGED: missed MI higher in female, ratio 2.7")
    # A tested, unflagged comparison states the gap it would have found.
    tested = next(d for d in fnr if not d.flagged and not d.withheld)
    assert f"no gap detected; a gap of {tested.detectable_ratio:.1f}x or more would have been found" in first
    # Withheld groups are named with their expected missed MIs (asian: 77 MI x 7.2% cohort FNR = 5.5).
    withheld = [d for d in fnr if d.withheld]
    assert withheld
    for entry in withheld:
        assert re.search(rf"{re.escape(entry.group)}: \d+\.\d expected missed MI among [\d,]+ MI", first)
    # Unadjusted and adjusted p side by side; the rule is stated once in the whole page, not per row.
    assert "adjusted p" in first and f"{female.p_value:.2g}" in first and f"{female.p_adjusted:.2g}" in first
    assert _text(page).count("A gap is flagged when") == 1
    assert "Rule:" not in _text(page)


def test_no_gap_is_said_plainly(predictions):
    y, risk, flag, attributes = predictions(N, seed=32, fnr=(0.05, 0.05), fpr=0.30)
    result = audit_predictions(y, risk, flag, attributes=attributes, n_boot=50, seed=32)
    first = _text(_page(result).split("<h2>")[1])
    assert not any(d.flagged for d in result.disparities if d.metric == "fnr")
    assert "No missed-MI gap was detected in the" in first and "FLAGGED" not in first


def test_gaps_that_mi_rates_produce_are_labelled(predictions):
    # One score model for everyone (the same distribution given MI), but MI is three times as common in men:
    # at one threshold women's PPV is lower, the textbook base-rate gap (Chouldechova 2017).
    _, _, _, attributes = predictions(N, seed=33)
    rng = np.random.default_rng(330)  # not 33: that stream drew the sexes
    female = attributes["sex"].to_numpy() == "female"
    y = rng.random(N) < np.where(female, 0.05, 0.15)
    risk = expit(1.3 * (rng.standard_normal(N) + 2.2 * y) - 3.5)
    result = audit_predictions(y, risk, attributes=attributes, threshold=0.05, n_boot=50, seed=33)
    ppv = result.disparity("sex", "female", "ppv")
    assert ppv.flagged and ppv.ratio.value < 1
    note = base_rate_note(result, ppv)
    assert note.startswith("the gap different MI rates would produce at one threshold (MI rate 5.")
    page = _text(_page(result))
    assert "Other flagged gaps (secondary family)" in page and note in page
    # The opposite direction is not explained by the MI rates.
    flipped = type(ppv)(**{**ppv.__dict__, "ratio": type(ppv.ratio)(1.5, 1.2, 1.9)})
    assert base_rate_note(result, flipped).startswith("not explained by the MI rates")


def test_an_audit_with_too_few_misses_to_test_says_it_cannot_answer(predictions):
    # FNR 0.1% in everyone: about 2 missed MI in the whole table, so every comparison is withheld. The page must
    # not read "no gap was detected in the 0 groups tested", which sounds like a clean result.
    y, risk, flag, attributes = predictions(N, seed=34, fnr=(0.001, 0.001), fpr=0.30)
    result = audit_predictions(y, risk, flag, attributes=attributes, n_boot=50, seed=34)
    assert all(d.withheld for d in result.disparities if d.metric == "fnr")
    first = _text(_page(result).split("<h2>")[1])
    assert " ".join(first.split()).startswith("Are missed MIs (FNR) higher in any group? Not answerable at this size:")
    assert "no missed-MI comparison was tested" in first and "0 groups tested" not in first
