"""A reason is shown only when the patient's own what-if agrees with it (issue 25).

A baseline-Shapley contribution averages an input's effect over every coalition of the other inputs, so it can
be negative while changing that input alone, for this patient, moves nothing (the issue's woman whose "pain began
0.5 h before the first sample lowers risk" although her risk is the same at 0.5 h and at 4 h). So every
candidate reason is checked against its one-input counterfactual: the input's features are set to the reference
patient's (the value the contribution is measured from) with every other input as the patient's, and the
calibrated risk is recomputed. "Raises risk" is kept only when that lowers the risk, "lowers risk" only when it
raises it, and in either case by at least :data:`MIN_RELATIVE_CHANGE` of the patient's risk and
:data:`MIN_ABSOLUTE_CHANGE` in absolute terms; otherwise the input is not a reason for this patient.

Cost: one extra prediction per checked candidate (the :data:`CANDIDATES` largest contributions per patient),
vectorised per input over the patients that have it as a candidate.
"""

from __future__ import annotations

import numpy as np

from chestpain.models._calibration import Calibration
from chestpain.models._estimators import FittedEstimator

#: How many of the largest contributions per patient are checked (three are shown).
CANDIDATES = 6
#: The counterfactual must move the risk by at least 5% of the patient's risk ...
MIN_RELATIVE_CHANGE = 0.05
#: ... and by at least 0.01 percentage points (below that no displayed risk changes: ``features.risk_text``).
MIN_ABSOLUTE_CHANGE = 1e-4


def confirmed_reasons(
    estimator: FittedEstimator,
    calibration: Calibration,
    transformed: np.ndarray,
    reference: np.ndarray | None,
    risk: np.ndarray,
    contributions: np.ndarray,
    outputs: list[np.ndarray],
    shared: list[tuple[np.ndarray, dict[int, np.ndarray]]] | None = None,
) -> np.ndarray:
    """Boolean (patients x inputs): the input may be shown as a reason (see the module docstring).

    ``outputs[j]``: the output features of input ``j`` (bool over features). ``shared``: groups of features owned
    by one input or another depending on the patient (the peak troponin features belong to the higher sample, and
    so do the course's when no later sample was drawn), each with, per input, the patients for whom that input
    owns them. Without a ``reference`` (models saved before issue
    14) the contributions are relative to the mean and cannot be checked: every non-zero one passes.
    """
    n, m = contributions.shape
    allowed = np.zeros((n, m), dtype=bool)
    if reference is None:
        return np.abs(contributions) > 0
    order = np.argsort(-np.abs(contributions), axis=1, kind="stable")[:, :CANDIDATES]
    for j in range(m):
        rows = np.flatnonzero((order == j).any(axis=1))
        if rows.size == 0:
            continue
        changed = transformed[rows].copy()
        mask = np.broadcast_to(np.asarray(outputs[j], bool), changed.shape).copy()
        for features_shared, owners in shared or ():
            if j in owners:
                mask |= np.asarray(features_shared, bool)[None, :] & owners[j][rows, None]
        changed[mask] = np.broadcast_to(reference, changed.shape)[mask]
        counterfactual = calibration.apply(estimator.raw_score(None, changed))
        moved = risk[rows] - counterfactual  # > 0: the patient's own value raises the risk
        needed = np.maximum(MIN_RELATIVE_CHANGE * risk[rows], MIN_ABSOLUTE_CHANGE)
        sign = np.sign(contributions[rows, j])
        allowed[rows, j] = (sign * moved >= needed) & (sign != 0)
    return allowed
