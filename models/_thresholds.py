"""The discharge-flag threshold: the highest risk cut-off that keeps sensitivity at the target in each sex."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import norm

from chestpain.kernel.errors import TriageError


def wilson_lower(successes: np.ndarray, n: int, z: float) -> np.ndarray:
    """One-sided Wilson lower bound for successes / n (vectorised over ``successes``)."""
    p = successes / n
    centre = p + z * z / (2 * n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (centre - half) / (1 + z * z / n)


def threshold_for_sensitivity(risk: np.ndarray, positive: np.ndarray, target: float, confidence: float = 0.0) -> float:
    """Largest t such that sensitivity at t (flag = risk >= t) reaches ``target``.

    With ``confidence`` > 0 the one-sided Wilson lower bound of the sensitivity, not its point estimate, must
    reach the target: with ~2,000 positives the point estimate at 99% has a binomial SD of 0.22 points, so a
    threshold set on the point estimate misses the target on new data about half the time.
    """
    scores = np.sort(np.asarray(risk, dtype=np.float64)[positive])
    n = scores.size
    if n == 0:
        raise TriageError("no positive cases to set a sensitivity threshold on")
    misses = np.arange(n)
    sensitivity = (n - misses) / n
    if confidence > 0:
        sensitivity = wilson_lower(n - misses, n, float(norm.ppf(confidence)))
    ok = np.flatnonzero(sensitivity >= target)
    if ok.size == 0:
        raise TriageError(
            f"only {n} positive cases: even flagging all of them cannot show sensitivity >= {target:.3f} "
            f"with {confidence:.0%} confidence; use more data or a lower target"
        )
    return float(scores[ok[-1]])


def choose_thresholds(
    risk: np.ndarray, positive: np.ndarray, sex: pd.Series, *, target: float, per_sex: bool, confidence: float = 0.0
) -> dict[str, float]:
    """Thresholds by sex (``female``, ``male``) reaching ``target`` sensitivity in each.

    With ``per_sex=False`` both sexes get the minimum of the per-sex and overall thresholds: one global cut-off
    that still reaches the target in each sex.
    """
    sex = sex.astype("string").to_numpy()
    by_sex = {
        group: threshold_for_sensitivity(risk[sex == group], positive[sex == group], target, confidence)
        for group in ("female", "male")
        if (positive & (sex == group)).any()
    }
    if per_sex:
        return by_sex
    overall = min([threshold_for_sensitivity(risk, positive, target, confidence), *by_sex.values()])
    return {group: overall for group in ("female", "male")}


def apply_thresholds(risk: np.ndarray, sex: pd.Series, thresholds: dict[str, float]) -> np.ndarray:
    """Flag = risk >= the threshold of the patient's sex."""
    cut = sex.astype("string").map(thresholds).to_numpy(dtype=np.float64)
    if np.isnan(cut).any():
        raise TriageError("sex must be female or male to apply the discharge threshold")
    return np.asarray(risk) >= cut
