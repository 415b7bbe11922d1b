"""Icon arrays count the rounded risk; the 30-day table matches a pandas group-by; the aid follows the flags."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from chestpain.patient import (
    ThirtyDayRisk,
    decision_aid,
    icon_count,
    icon_svg,
    pathway_flags,
    percent_text,
    thirty_day_from_table,
    thirty_day_table,
    to_html,
)
from chestpain.patient._decision import MIN_BAND_N, RISK_BANDS


@pytest.mark.parametrize(
    ("risk", "count"), [(0.0, 0), (0.0049, 0), (0.005, 1), (0.025, 3), (0.145, 15), (0.1449, 14), (1.0, 100)]
)
def test_icon_count_is_the_percent_rounded_half_up(risk, count):
    assert icon_count(risk) == count


@given(st.floats(min_value=0.0, max_value=1.0, allow_nan=False))
def test_icon_array_draws_exactly_the_rounded_risk(risk):
    n = icon_count(risk)
    assert n == int((Decimal(repr(risk)) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    document = decision_aid("en", risk=risk, flags=(), thirty_day=ThirtyDayRisk(None))
    icons = document.sections[0].icons
    assert icons.affected == n and icons.total == 100
    svg = icon_svg(icons)
    assert svg.count('class="affected"') == n and svg.count('class="unaffected"') == 100 - n
    assert (f"About {n} of them" in icons.label) if n else ("Fewer than 1" in icons.label)


def test_icon_count_refuses_a_risk_outside_0_1():
    with pytest.raises(ValueError, match="risk must be in 0-1"):
        icon_count(1.2)


def test_thirty_day_table_matches_a_pandas_group_by(seed):
    rng = np.random.default_rng(seed)
    risk = rng.beta(0.5, 20, 5000)
    home = rng.random(5000) < 0.7
    event = rng.random(5000) < 0.05
    table = thirty_day_table(risk, home, event)
    frame = pd.DataFrame({"band": pd.cut(risk, RISK_BANDS, right=False), "home": home, "event": event & home})
    expected = frame[frame["home"]].groupby("band", observed=False)["event"].agg(["size", "sum"])
    assert table["n"].tolist() == expected["size"].tolist()
    assert table["events"].tolist() == expected["sum"].tolist()


def test_a_thin_band_is_not_available_and_says_why():
    table = pd.DataFrame({"low": [0.0, 0.5], "high": [0.5, 1.0], "n": [1000, MIN_BAND_N - 1], "events": [10, 3]})
    thick = thirty_day_from_table(table, 0.2, source="test")
    assert thick.value == pytest.approx(0.01) and thick.ci_low < 0.01 < thick.ci_high and "1,000" in thick.source
    thin = thirty_day_from_table(table, 0.7, source="test")
    assert thin.value is None and "not available" in thin.source
    assert thirty_day_from_table(table, 1.0, source="test").band == (0.5, 1.0)


def test_percent_text_never_reads_zero():
    assert [percent_text(r) for r in (0.0, 0.0004, 0.0051, 0.234)] == ["<0.1%", "<0.1%", "0.5%", "23%"]


def test_pathway_flags():
    assert pathway_flags(model_flag=False, esc="rule-out") == ()
    assert pathway_flags(model_flag=True, esc="rule-out") == ("model",)
    assert pathway_flags(model_flag=False, esc="observe") == ("esc",)


def test_unflagged_aid_has_both_choices_30_day_icons_and_when_to_come_back():
    month = ThirtyDayRisk(0.012, 0.008, 0.02, 12, 1000, (0.0, 0.005), "source")
    page = to_html(decision_aid("en", risk=0.004, flags=(), thirty_day=month))
    for text in ("Going home with follow-up", "Staying for more tests", "Come back at once", "Chest Pain Choice"):
        assert text in page
    assert "Fewer than 1 of them is having a heart attack now" in page
    assert "about 1 died or had a heart attack" in page
    assert "1,000 patients made up by a computer" in page


def test_unavailable_30_day_risk_is_said_not_invented():
    page = to_html(decision_aid("en", risk=0.004, flags=(), thirty_day=ThirtyDayRisk(None, source="not available")))
    assert "We cannot give you a 30-day number" in page
    assert page.count("<svg") == 1


def test_flagged_aid_explains_staying_and_offers_no_choice():
    page = to_html(decision_aid("es", risk=0.3, flags=("model", "esc"), thirty_day=ThirtyDayRisk(None)))
    assert "Por qué su médico quiere que se quede" in page and "Irse a casa" not in page
    assert re.search(r"Unas 30 de ellas", page)
