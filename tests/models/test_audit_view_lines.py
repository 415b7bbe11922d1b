"""The app's flagged-gap lines: the rule is stated once on the page, each line gives its own p values."""

from __future__ import annotations

import numpy as np
import pandas as pd

from chestpain.models import audit_table, flagged_disparities, rule_text


def test_a_flagged_missed_mi_gap_reads_with_its_p_values_and_without_the_rule():
    rng = np.random.default_rng(5)
    n = 20_000
    sex = rng.choice(["female", "male"], n)
    age = rng.integers(30, 90, n)
    mi = rng.random(n) < 0.15
    # Missed MI: 20% of women's MIs, 1% of men's (a gap no multiplicity rule can miss at this size).
    missed = mi & (rng.random(n) < np.where(sex == "female", 0.20, 0.01))
    frame = pd.DataFrame({"sex": sex, "age": age, "race": "white", "mi": mi, "flag": mi & ~missed})
    result = audit_table(frame, flag="flag", source="test", n_boot=20).result
    lines = flagged_disparities(result)
    line = next(text for text, worse in lines if worse and "sex = female" in text)
    assert "adjusted p" in line and "Rule:" not in line
    assert "missed-MI comparisons (primary)" in rule_text(result)  # the rule, once, for the page's caption
