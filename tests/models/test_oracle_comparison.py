"""Rule-out at equal sensitivity: how issue 25 compares the flag with the oracle (at the flag's own sensitivity)."""

from __future__ import annotations

import numpy as np
import pytest

from chestpain.models._evaluation import flag_at_own_sensitivity_text, oracle_comparison, rule_out_at_sensitivity


@pytest.mark.parametrize("n_positive", [18_377, 18_500, 19_999, 1_003])
@pytest.mark.parametrize("missed", [1, 37, 85, 112])
def test_a_measured_sensitivity_allows_exactly_the_misses_it_was_measured_with(n_positive, missed):
    # The sensitivity k / n, fed back, must put the cut at the (n - k)-th lowest positive: without the rounding
    # allowance (1 - k / n) x n floors to one fewer miss for about half of all (n, k) (measured: 30,154 of 60,000).
    scores = np.arange(n_positive, dtype=np.float64)  # positive i has score i
    y = np.ones(n_positive, dtype=bool)
    sensitivity = float(np.mean(np.arange(n_positive) >= missed))
    ruled_out = rule_out_at_sensitivity(scores, y, sensitivity)
    assert round(ruled_out * n_positive) == missed


def test_the_flag_is_compared_with_the_oracle_at_the_sensitivity_it_reached():
    # 10 MIs and 90 others. The oracle ranks every MI above every other visit; the flag misses 1 MI of 10 and
    # rules out 72 visits. At 90% sensitivity the oracle may miss one MI: it rules out every visit below the
    # second-lowest MI, the 90 others and the lowest MI, 91 of 100.
    y = np.r_[np.ones(10, bool), np.zeros(90, bool)]
    oracle = np.r_[np.linspace(0.5, 0.9, 10), np.linspace(0.0, 0.4, 90)]
    flag = np.zeros(100, dtype=bool)
    flag[1:10] = True  # 9 of the 10 MIs
    flag[10:29] = True  # and 19 others: 28 flagged, 72 ruled out
    comparison = oracle_comparison(oracle, flag, y, oracle, target=0.99)
    assert comparison["flag_sensitivity"] == pytest.approx(0.9)
    assert comparison["flag_vs_oracle_at_own_sensitivity"] == pytest.approx(0.72 / 0.91)
    # At 99% the oracle may miss none: it rules out the 90 others.
    assert comparison["flag_rule_out_vs_oracle"] == pytest.approx(0.72 / 0.90)
    assert flag_at_own_sensitivity_text(comparison) == ", 0.791 at its own sensitivity (90.00%)"
    assert flag_at_own_sensitivity_text({"flag_rule_out_vs_oracle": 0.8}) == ""  # an older manifest
