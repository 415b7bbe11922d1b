"""The waterfall's title writes the calibrated risk as the page does: '<0.1%', never '0.0%' (issue 25, item 4)."""

from __future__ import annotations

import pandas as pd
import pytest

from chestpain.models._waterfall import LABEL_WIDTH, _wrapped, waterfall_figure
from chestpain.models._whatif import Contribution, PatientAssessment


def _assessment(risk: float) -> PatientAssessment:
    contributions = (
        Contribution("troponin_1h_ng_l", "troponin 1 h < 2 ng/L (below the limit of detection)", -0.9),
        Contribution("symptom_onset_hours", "pain began 0.5 h before the first sample", -0.6),
    )
    return PatientAssessment(
        features=pd.DataFrame(),
        risk=risk,
        flag=False,
        threshold=0.005,
        bias=-8.3,
        score=-9.8,
        contributions=contributions,
        reasons=(),
        heart={"total": 2},
        esc="rule-out",
    )


@pytest.mark.parametrize(("risk", "shown"), [(7e-11, "calibrated risk <0.1%"), (0.0123, "calibrated risk 1.2%")])
def test_the_title_writes_the_risk_as_the_page_does(risk, shown):
    title = waterfall_figure(_assessment(risk))._suptitle.get_text()
    assert shown in title and "0.0%" not in title
    assert "a reason is listed only where this patient's own what-if confirms it" in title


def test_a_long_reason_wraps_without_parting_a_number_from_its_unit():
    # The troponin course's sentence (about 90 characters) squeezed the bars and cut the axis label before.
    text = "troponin course 9, 14, 20 ng/L at 0 h, 1 h, 3 h (highest 1.2x the 99th percentile for women)"
    lines = _wrapped(text).split("\n")
    assert len(lines) == 2 and all(len(line) <= LABEL_WIDTH for line in lines)
    assert not any(line.endswith(("0", "1", "3", "20")) or line.startswith(("h ", "ng/L")) for line in lines)
    assert " ".join(lines).replace("\u00a0", " ") == text
