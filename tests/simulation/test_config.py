"""Scenario configs: unknown keys and wrong types are errors naming the key; overrides and ``extends`` work."""

from __future__ import annotations

import pytest

from chestpain.kernel.errors import TriageError
from chestpain.simulation import SCENARIO_DIR, load_scenario
from chestpain.simulation._params import Interruption

DEFAULT = SCENARIO_DIR / "default.yaml"


@pytest.mark.parametrize("path", sorted(SCENARIO_DIR.glob("*.yaml")), ids=lambda p: p.name)
def test_every_shipped_scenario_is_valid(path):
    assert load_scenario(path).name == path.stem


def test_unknown_key_is_named():
    with pytest.raises(TriageError, match=r"bias\.young_woman_low_risk: unknown key"):
        load_scenario(DEFAULT, ["bias.young_woman_low_risk=1"])


def test_wrong_type_is_named():
    with pytest.raises(TriageError, match=r"interruption\.median_seconds: Input should be a valid number"):
        load_scenario(DEFAULT, ["interruption.median_seconds=soon"])


def test_out_of_range_probability_is_named():
    with pytest.raises(TriageError, match=r"demographics\.female_share"):
        load_scenario(DEFAULT, ["demographics.female_share=1.5"])


def test_override_sets_nested_and_list_values():
    cfg = load_scenario(
        DEFAULT,
        [
            "interruption.median_seconds=30",
            "interruption.q3_seconds=60",
            "presentation.troponin.components.0.log_sd_0h=1.1",
        ],
    )
    assert cfg.interruption.median_seconds == 30
    assert cfg.presentation.troponin.components[0].log_sd_0h == 1.1


@pytest.mark.parametrize(
    "text, message",
    [
        ("novalue", "expected key=value"),
        ("presentation.troponin.components.99.log_sd_0h=1", "no such list item"),
        ("name.sub=1", "is a value, not a section"),
    ],
)
def test_bad_override_is_explained(text, message):
    with pytest.raises(TriageError, match=message):
        load_scenario(DEFAULT, [text])


def test_extends_merges_only_what_differs():
    base, child = load_scenario(DEFAULT), load_scenario(SCENARIO_DIR / "no_bias.yaml")
    assert child.bias.young_women_low_risk == 0 and base.bias.young_women_low_risk > 0
    assert child.presentation == base.presentation


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(TriageError, match="config file not found"):
        load_scenario(tmp_path / "nope.yaml")


def test_extends_cycle_is_refused(tmp_path):
    (tmp_path / "a.yaml").write_text("extends: b.yaml\n")
    (tmp_path / "b.yaml").write_text("extends: a.yaml\n")
    with pytest.raises(TriageError, match="cycle"):
        load_scenario(tmp_path / "a.yaml")


def test_shifted_lognormal_reproduces_published_quartiles():
    # Singh Ospina 2019: median 11 s, IQR 7-22 s. The fitted distribution must give those three quartiles.
    from scipy.stats import norm

    q = Interruption(median_seconds=11, q1_seconds=7, q3_seconds=22)
    c, s = q.shift_seconds, q.log_sd
    quartile = lambda p: c + (11 - c) * float(__import__("math").exp(s * norm.ppf(p)))  # noqa: E731
    assert quartile(0.25) == pytest.approx(7) and quartile(0.5) == pytest.approx(11)
    assert quartile(0.75) == pytest.approx(22)


def test_symmetric_quartiles_are_refused():
    with pytest.raises(ValueError, match="right skew"):
        Interruption(median_seconds=10, q1_seconds=5, q3_seconds=15)
