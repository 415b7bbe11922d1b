"""Speed-ups of ``chestpain simulate`` give the same results (issue 18): the calibration tally's O(1) binning."""

from __future__ import annotations

import numpy as np
import pytest

from chestpain.simulation import SCENARIO_DIR, load_scenario, simulate_chunk
from chestpain.simulation.calibration import _LOGIT_EDGES, _SECONDS_EDGES, CalibrationSummary, grid_searchsorted


@pytest.mark.parametrize("edges", [_LOGIT_EDGES, _SECONDS_EDGES, np.linspace(-1.0, 1.0, 7)], ids=["logit", "s", "7"])
@pytest.mark.parametrize("side", ["left", "right"])
def test_grid_searchsorted_is_numpy_searchsorted(edges, side):
    rng = np.random.default_rng(18)
    span = edges[-1] - edges[0]
    values = np.concatenate(
        [
            rng.uniform(edges[0] - span / 10, edges[-1] + span / 10, 200_000),
            edges,  # exactly on every edge, and one float either side: where a rounding slip would show
            np.nextafter(edges, np.inf),
            np.nextafter(edges, -np.inf),
            [np.nan, np.inf, -np.inf, 0.0, -0.0],
        ]
    )
    assert np.array_equal(grid_searchsorted(edges, values, side), np.searchsorted(edges, values, side=side))


def test_calibration_histograms_are_unchanged():
    table = simulate_chunk(load_scenario(SCENARIO_DIR / "default.yaml"), 3, 0, 20_000)
    tally = CalibrationSummary()
    tally.update(table)
    oracle = np.clip(table.column("oracle_mi_probability").to_numpy(), 1e-300, 1 - 1e-16)
    bins = np.searchsorted(_LOGIT_EDGES, np.log(oracle) - np.log1p(-oracle))
    mi = table.column("mi").to_numpy()
    # The oracle histogram is the 0/1 h sites' (visits with a 1 h sample), like every 0/1 h figure.
    site = ~np.isnan(table.column("troponin_1h_ng_l").to_numpy(zero_copy_only=False))
    for label in (0, 1):
        expected = np.bincount(bins[site & (mi == bool(label))], minlength=tally.oracle_hist.shape[1])
        assert np.array_equal(tally.oracle_hist[label], expected)
    seconds = np.clip(table.column("interrupt_seconds").to_numpy(), 0, _SECONDS_EDGES[-1] - 1e-9)
    expected = np.bincount(
        np.searchsorted(_SECONDS_EDGES, seconds, side="right") - 1, minlength=len(_SECONDS_EDGES) - 1
    )
    assert np.array_equal(tally.seconds_hist, expected)
