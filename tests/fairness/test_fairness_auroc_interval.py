"""AUROC intervals: DeLong's variance from the score histogram, and their coverage with known truth."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import norm
from sklearn.metrics import roc_auc_score

from chestpain.fairness import audit_predictions
from chestpain.fairness._auroc import MIN_CLASS, auroc_interval, delong_variance


def _histogram(y: np.ndarray, score: np.ndarray) -> np.ndarray:
    distinct, bin_of = np.unique(score, return_inverse=True)
    histogram = np.zeros((2, len(distinct)))
    np.add.at(histogram, (y.astype(int), bin_of), 1)
    return histogram


def test_delong_variance_matches_its_definition_with_ties():
    rng = np.random.default_rng(5)
    y = rng.random(300) < 0.3
    score = np.round(rng.standard_normal(300) + y, 1)  # rounded: many ties
    auc, variance = delong_variance(_histogram(y, score))
    assert auc == pytest.approx(roc_auc_score(y, score), abs=1e-12)
    pos, neg = score[y], score[~y]
    psi = (pos[:, None] > neg[None, :]) + 0.5 * (pos[:, None] == neg[None, :])  # DeLong 1988, eq. (2)
    v10, v01 = psi.mean(axis=1), psi.mean(axis=0)
    assert variance == pytest.approx(v10.var(ddof=1) / len(pos) + v01.var(ddof=1) / len(neg), rel=1e-10)


# Binormal cells (positives, negatives, separation d; true AUROC = Phi(d / sqrt 2), Hanley & McNeil 1982) at
# and above the MIN_CLASS floor, AUROC 0.86-0.98 as in the audits.
CELLS = [(100, 900, 1.5), (100, 900, 2.2), (100, 900, 3.0), (100, 9_900, 2.2), (1_000, 9_000, 2.2)]
R = 2000
# Monte Carlo SE of a coverage estimate from 2,000 samples at 95%: 0.49 points. The floor of 92.5% (issue 27
# asks for 93%) sits 5 SE below nominal and 1 SE below 93%, so an interval with true coverage of 93% passes
# ~84% of seeds and one at 95% essentially always. Measured during development (300 samples, SE 1.3 points):
# the percentile bootstrap covered 92% at 100 / 900 and 85-88% with 20-40 positives, below the floor.
FLOOR = 0.925


@pytest.mark.parametrize(("n_pos", "n_neg", "d"), CELLS)
def test_delong_logit_interval_covers_the_true_auroc(n_pos, n_neg, d):
    rng = np.random.default_rng(28)
    truth = norm.cdf(d / np.sqrt(2))
    hits = 0
    for _ in range(R):
        y = np.r_[np.zeros(n_neg, bool), np.ones(n_pos, bool)]
        score = rng.standard_normal(n_pos + n_neg) + d * y
        histogram = _histogram(y, score)
        auc, _ = delong_variance(histogram)
        low, high = auroc_interval(histogram, auc, 0.05)
        hits += bool(low <= truth <= high)
    coverage = hits / R
    # Observed (seed 28): 95.6, 95.4, 93.2, 93.3 and 95.4% in the order of CELLS.
    assert coverage >= FLOOR, (n_pos, n_neg, d, coverage)


def test_no_interval_below_the_floor(predictions):
    y, risk, flag, attributes = predictions(3000, seed=6)
    result = audit_predictions(y, risk, flag, attributes=attributes, n_boot=20)
    for entry in result.groups:
        auroc = entry["auroc"]
        enough = entry.n_positive >= MIN_CLASS and entry.n - entry.n_positive >= MIN_CLASS
        assert bool(np.isfinite(auroc.ci_low)) is enough, (entry.group, entry.n_positive)
        if enough:
            assert auroc.ci_low < auroc.value < auroc.ci_high
    document = result.to_dict()
    small = next(g for g in document["groups"] if g["n_positive"] < MIN_CLASS)
    assert small["auroc"]["ci_low"] is None and "DeLong" in small["auroc"]["method"]
