"""The coverage arm of ``experiments/audit_power_study.py``: its truths, and a small seeded run through the audit.

The full arm (700 audits per score) is in README and ``experiments/results/audit_power_study.md``; here its closed
forms are checked against large samples and a few audits check the plumbing and a gross failure of the old ECE
interval (0% coverage for a calibrated score).
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from chestpain.experiments.audit_power_study import (
    ARMS,
    COVERAGE_SCORES,
    coverage_markdown,
    run_coverage,
    simulate_table,
    true_auroc,
    true_ece,
)
from chestpain.kernel.seeding import named_stream


@pytest.mark.parametrize("name", list(COVERAGE_SCORES))
def test_true_ece_and_auroc_match_a_large_sample(name):
    # 1,000,000 rows: the sample ECE at the same edges has a standard error of about 3e-4 (ECE's bootstrap SD at
    # 20,000 rows is ~0.0015, shrinking as 1/sqrt(n)) and a plug-in bias of the same order where the truth is 0;
    # tolerance 1.5e-3. The sample AUROC's SE is about 5e-4 (DeLong at 1e5 MI); tolerance 2.5e-3 (5 SE). Observed
    # (seed 3): ECE differences at most 3.0e-4, AUROC 2.5e-4.
    table = simulate_table(named_stream(3, f"truth.{name}"), *ARMS["null"], n=1_000_000, score=COVERAGE_SCORES[name])
    risk, mi = table["score"].to_numpy(), table["mi"].to_numpy()
    edges = np.r_[0.0, np.quantile(risk, np.linspace(0, 1, 11)[1:-1]), 1.0]
    bins = np.searchsorted(edges[1:-1], risk, side="right")
    sample_ece = np.abs(np.bincount(bins, weights=mi - risk)).sum() / len(risk)
    assert true_ece(edges, COVERAGE_SCORES[name]) == pytest.approx(sample_ece, abs=1.5e-3)
    assert true_auroc() == pytest.approx(roc_auc_score(mi, risk), abs=2.5e-3)


def test_known_truths():
    assert true_auroc() == pytest.approx(0.9401, abs=1e-4)  # Phi(2.2 / sqrt 2)
    edges = np.r_[0.0, np.linspace(0.01, 0.9, 9), 1.0]
    assert true_ece(edges, COVERAGE_SCORES["calibrated"]) == pytest.approx(0.0, abs=1e-9)
    assert true_ece(edges, COVERAGE_SCORES["study score"]) > 0.03


def test_small_coverage_run_reports_every_cell():
    # 12 audits with 30 resamples each (10-20 s): too few to estimate coverage (SE ~6 points), enough to see every
    # cell, the AUROC rule (no interval below 100 MI, so none for the 3% "other" race group) and that the ECE
    # interval reaches a true ECE of 0, which the percentile interval of the plug-in ECE never did (0 of 300
    # audits in development).
    truth, cells = run_coverage("calibrated", 12, seed=5, n_boot=30)
    assert truth == pytest.approx(0.0, abs=1e-9)
    groups = {(cell.attribute, cell.group) for cell in cells}
    assert len(groups) == 14 and ("overall", "all") in groups and ("sex&age_band", "female&<55") in groups
    other = next(cell for cell in cells if cell.group == "other")
    assert other.auroc_audits == 0 and other.ece_audits == 12
    assert np.mean([cell.ece_coverage for cell in cells]) >= 0.8
    overall = next(cell for cell in cells if cell.group == "all")
    assert overall.auroc_audits == 12 and overall.mean_positives > 1500
    markdown = coverage_markdown(
        {
            "calibrated": {
                "true_ece": truth,
                "audits": 12,
                "n_boot": 30,
                "cells": [cell.__dict__ for cell in cells],
            }
        }
    )
    assert "| other |" in markdown and "no interval (< 100 MI)" in markdown
