"""The next step (issue 25): ESC's repeat-sample rule on the patient's own pathway, the model's flag first."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from chestpain.models import KEEP_MACE, KEEP_MACE_REPEAT, KEEP_MI, MAY_GO, REPEAT_3H, next_steps

NAN = np.nan


def _visits(*rows: tuple[float, float, float, float, float, str]) -> pd.DataFrame:
    columns = ["troponin_0h_ng_l", "troponin_1h_ng_l", "troponin_2h_ng_l", "troponin_3h_ng_l"]
    frame = pd.DataFrame([row[:4] for row in rows], columns=columns, dtype="float64")
    frame["symptom_onset_hours"] = [row[4] for row in rows]
    frame["ecg"] = [row[5] for row in rows]
    frame["sex"] = "female"  # a validated visit always has it (ESC 0/3 h reads the sex-specific 99th)
    return frame


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ((3, 3, NAN, NAN, 5.0, "normal"), MAY_GO),  # ESC 0/1 h rule-out, late presenter
        ((10, 12, NAN, NAN, 5.0, "normal"), REPEAT_3H),  # 0/1 h observe zone
        ((10, 12, NAN, 13, 5.0, "normal"), MAY_GO),  # ... with its 3 h sample already drawn
        ((3, 3, NAN, NAN, 2.0, "normal"), REPEAT_3H),  # early presenter
        ((3, 3, NAN, NAN, 5.0, "ischemic"), REPEAT_3H),  # ischaemic ECG
        ((3, NAN, 3, NAN, 5.0, "normal"), MAY_GO),  # 0/2 h site: ESC 0/2 h rule-out (0 h < 6, change < 2)
        ((10, NAN, 12, NAN, 5.0, "normal"), REPEAT_3H),  # 0/2 h site: ESC 0/2 h observe zone
        ((10, NAN, NAN, 12, 5.0, "normal"), MAY_GO),  # 0/3 h site: the 3 h sample is there
    ],
)
def test_next_step_reads_the_patients_own_pathway(row, expected):
    assert next_steps(_visits(row), np.array([False]), np.array([False]))[0] == expected


def test_a_flag_always_wins_over_a_repeat_sample():
    visits = _visits(
        (10, 12, NAN, NAN, 5.0, "normal"), (10, NAN, 12, NAN, 2.0, "ischemic"), (3, 3, NAN, NAN, 5.0, "normal")
    )
    steps = next_steps(visits, np.array([True, False, False]), np.array([True, True, False]))
    # The second is flagged for 30 days only, and its pathway still asks for a 3 h sample: the step says both.
    assert steps.tolist() == [KEEP_MI, KEEP_MACE_REPEAT, MAY_GO]
    late_and_clear = _visits((3, 3, NAN, NAN, 5.0, "normal"))
    assert next_steps(late_and_clear, np.array([False]), np.array([True]))[0] == KEEP_MACE
