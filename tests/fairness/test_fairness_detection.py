"""A model with a known, injected FNR gap by sex is flagged; a fair model is not."""

from __future__ import annotations

import pytest

from chestpain.fairness import audit_predictions

N = 20_000  # ~2,000 MIs: 95% intervals of about +-2 points (women, FNR 10%) and +-1.3 (men, 5%)


def test_injected_fnr_gap_is_flagged(predictions):
    # Women's MIs are missed twice as often as men's (10% vs 5%); false alarms are equal (30%).
    y, risk, flag, attributes = predictions(N, seed=31, fnr=(0.10, 0.05), fpr=0.30)
    result = audit_predictions(y, risk, flag, attributes=attributes, n_boot=500, seed=31)
    gap = result.disparity("sex", "female", "fnr")
    assert gap.reference == "male"  # the larger group (54% of visits)
    assert gap.flagged
    assert gap.ratio.ci_low > 1.25  # the whole interval lies above the band
    # The estimate recovers the injected ratio of 2 within its interval, and each FNR within its own.
    assert gap.ratio.ci_low < 2.0 < gap.ratio.ci_high
    female, male = result.group("sex", "female")["fnr"], result.group("sex", "male")["fnr"]
    assert female.ci_low < 0.10 < female.ci_high
    assert male.ci_low < 0.05 < male.ci_high
    # The same gap shows in both age bands of women, against the largest intersection group (men >= 55): the
    # unadjusted ratio interval lies above 1. Flagging it after the Benjamini-Hochberg rule over ~50
    # comparisons needs more than these ~300 MIs per group: the audit says so by a detectable ratio above 2.
    for group in ("female&<55", "female&>=55"):
        entry = result.disparity("sex&age_band", group, "fnr")
        assert entry.ratio.ci_low > 1.0
        assert entry.flagged or entry.detectable_ratio > 2.0
    assert gap.flag_rule is not None and "Benjamini-Hochberg" in gap.flag_rule
    # ~850 female and ~1,080 male MIs at a male FNR of 5%: 80% power needs a ratio of about 2.6 at the level a
    # lone gap must reach among ~50 comparisons (0.05 / 50); this gap (observed 2.7) was flagged anyway.
    assert 1.25 < gap.detectable_ratio < 4.0
    # FPR was injected equal: not flagged.
    assert not result.disparity("sex", "female", "fpr").flagged
    assert any(entry.metric == "fnr" and entry.group == "female" for entry in result.flagged)


def test_fair_model_is_not_flagged(predictions):
    y, risk, flag, attributes = predictions(N, seed=32, fnr=(0.05, 0.05), fpr=0.30)
    result = audit_predictions(y, risk, flag, attributes=attributes, n_boot=500, seed=32)
    error_rate_flags = [entry for entry in result.flagged if entry.metric in ("fnr", "fpr")]
    assert error_rate_flags == []
    gap = result.disparity("sex", "female", "fnr")
    assert gap.ratio.ci_low < 1.0 < gap.ratio.ci_high
    assert gap.difference.ci_low < 0.0 < gap.difference.ci_high


@pytest.mark.parametrize("band", [(0.5, 2.5), (0.9, 1.1)])
def test_band_is_configurable(predictions, band):
    # A true ratio of 2: outside a (0.9, 1.1) band, inside a (0.5, 2.5) one.
    y, risk, flag, attributes = predictions(N, seed=31, fnr=(0.10, 0.05), fpr=0.30)
    result = audit_predictions(y, risk, flag, attributes=attributes, by=("sex",), n_boot=300, band=band)
    assert result.disparity("sex", "female", "fnr").flagged is (band == (0.9, 1.1))


def test_reference_group_is_configurable(predictions):
    y, risk, flag, attributes = predictions(N, seed=31, fnr=(0.10, 0.05), fpr=0.30)
    result = audit_predictions(
        y, risk, flag, attributes=attributes, by=("sex",), n_boot=300, reference={"sex": "female"}
    )
    gap = result.disparity("sex", "male", "fnr")
    assert gap.reference == "female"
    assert gap.ratio.ci_high < 0.8 and gap.flagged
