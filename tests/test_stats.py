"""chestpain.kernel.stats.newcombe (scalar, for the simulator's table) agrees with the audit's vectorised twin."""

from __future__ import annotations

import math

import numpy as np
import pytest

from chestpain.fairness._intervals import difference_interval
from chestpain.kernel.stats import newcombe


@pytest.mark.parametrize(("a", "n1", "b", "n0"), [(56, 70, 48, 80), (9, 10, 3, 10), (0, 30, 5, 40), (5, 20, 5, 20)])
def test_newcombe_matches_the_audit_difference_interval(a, n1, b, n0):
    # Newcombe 1998, method 10, worked example 1 is (56/70 - 48/80): 0.2000 (0.0524 to 0.3339).
    expected = [float(x) for x in difference_interval(np.array(a), np.array(n1), np.array(b), np.array(n0), 0.05)]
    got = newcombe(a, n1, b, n0)
    assert [got.value, got.ci_low, got.ci_high] == pytest.approx(expected, rel=1e-12, abs=1e-15)


def test_newcombe_worked_example_and_empty_group():
    e = newcombe(56, 70, 48, 80)
    assert (round(e.value, 4), round(e.ci_low, 4), round(e.ci_high, 4)) == (0.2, 0.0524, 0.3339)
    assert math.isnan(newcombe(1, 0, 1, 5).value)


@pytest.mark.parametrize(
    ("observed", "low", "high"),
    # Exact (Garwood 1936) 95% limits for a Poisson count, as tabulated e.g. by Ulm (Am J Epidemiol 1990):
    # 0 -> (0, 3.689), 1 -> (0.0253, 5.572), 10 -> (4.795, 18.39), 100 -> (81.36, 121.6).
    [(0, 0.0, 3.689), (1, 0.0253, 5.572), (10, 4.795, 18.39), (100, 81.36, 121.6)],
)
def test_observed_to_expected_uses_the_exact_poisson_limits(observed, low, high):
    from chestpain.kernel.stats import observed_to_expected

    estimate = observed_to_expected(observed, 10.0)  # expected 10 events: the limits are the tabulated ones / 10
    assert estimate.value == pytest.approx(observed / 10)
    assert estimate.ci_low == pytest.approx(low / 10, abs=5e-4)  # the table's 4 significant figures
    assert estimate.ci_high == pytest.approx(high / 10, abs=5e-3)
