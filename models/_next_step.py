"""What to do next, in one line a clinician can act on (issue 25), beside the flag and the two risks.

The rule is the ESC 2020 pathway's, not the model's (Collet et al., Eur Heart J 2021;42:1289-1367): a patient in
the observe zone of their pathway (0/1 h, or 0/2 h for a record without a 1 h sample) needs a 3 h sample, an
early presenter (pain began at most 3 h before the 0 h sample) may not have released troponin yet, and an
ischaemic ECG is a reason to re-test even when both samples are low. A patient who already has a 3 h sample is
not sent for another. The model's flag decides "keep" vs "may go": a flagged patient is never told a repeat
sample is enough, and one flagged for 30-day risk alone who still needs the 3 h sample is told both.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from chestpain.features import esc_of_record, esc_readings
from chestpain.models._guarantees import EARLY_ONSET_HOURS

REPEAT_3H = "repeat hs-cTnI at 3 h before any discharge"
KEEP_MI = "do not discharge: assess for MI (serial hs-cTnI, cardiology review)"
KEEP_MACE = "do not discharge yet: high 30-day risk; arrange ischaemia assessment before discharge"
#: The same when the ESC rule also calls for a 3 h sample (observe zone, early presenter, ischaemic ECG): the 30-day
#: flag must not hide the repeat sample the pathway asks for.
KEEP_MACE_REPEAT = "do not discharge yet: repeat hs-cTnI at 3 h, and arrange ischaemia assessment (high 30-day risk)"
MAY_GO = "no further troponin needed on this model; discharge only if your assessment agrees"


def needs_repeat_sample(features: pd.DataFrame) -> np.ndarray:
    """ESC observe zone, early presentation or an ischaemic ECG, and no 3 h sample yet."""
    onset = features["symptom_onset_hours"].to_numpy(dtype=np.float64)
    ischemic = (features["ecg"].astype("string") == "ischemic").to_numpy(dtype=bool, na_value=False)
    # The observe zone of the patient's own pathway (ESC 0/1 h, else 0/2 h; a 0/3 h record has its 3 h sample).
    observe = esc_of_record(esc_readings(features))[1] == "observe"
    reasons = observe | (onset <= EARLY_ONSET_HOURS) | ischemic
    has_3h = (
        features["troponin_3h_ng_l"].notna().to_numpy()
        if "troponin_3h_ng_l" in features.columns
        else np.zeros(len(features), dtype=bool)
    )
    return np.asarray(reasons, dtype=bool) & ~has_3h


def next_steps(features: pd.DataFrame, mi_flag: np.ndarray, mace_flag: np.ndarray) -> np.ndarray:
    """One next step per patient (see the module docstring)."""
    repeat = needs_repeat_sample(features)
    mi_flag, mace_flag = np.asarray(mi_flag, bool), np.asarray(mace_flag, bool)
    return np.select(
        [mi_flag, mace_flag & repeat, mace_flag, repeat],
        [KEEP_MI, KEEP_MACE_REPEAT, KEEP_MACE, REPEAT_3H],
        default=MAY_GO,
    ).astype(object)
