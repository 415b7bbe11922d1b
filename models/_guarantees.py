"""Sensitivity guarantees where the harm is (issue 25): a threshold per group, each patient held to the lowest.

The seed's patients are failed in subgroups that an overall or per-sex guarantee averages away: women under 55
(Pope et al., NEJM 2000: odds ratio of a missed MI about 7) and early presenters, whose troponin has not risen
yet (ESC 2020: the 0/1 h very-low arm applies only after 3 h). Each guaranteed group gets the highest threshold
whose one-sided Wilson lower bound of sensitivity reaches the target (:func:`threshold_for_sensitivity`), and a
patient is flagged when their risk reaches the lowest threshold of any group they belong to. Lowering a group's
threshold for some of its members only adds flags, so every group keeps the sensitivity its own threshold shows
(the rule is exact, not approximate), and the price is paid in rule-outs, which training reports against the
per-sex thresholds alone.

Group names are the audit's (``fairness``): ``female``, ``male``, ``female&<55``, ..., plus ``onset<=3h`` and
``no 1h sample`` (visits from sites on the 0/2 h or 0/3 h pathway, whose record holds no 1 h sample).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from chestpain.kernel.errors import TriageError
from chestpain.models._thresholds import threshold_for_sensitivity

#: Age band boundary of the audit and of Pope 2000's "women under 55".
AGE_BAND_YEARS = 55
#: Early presenters: onset of the worst pain at most 3 h before the 0 h sample (ESC 2020 0/1 h, very-low arm).
EARLY_ONSET_HOURS = 3.0
EARLY_GROUP = f"onset<={EARLY_ONSET_HOURS:g}h"
#: Visits without a 1 h sample (the 0/2 h and 0/3 h pathways): the model reads fewer samples for them.
NO_1H_GROUP = "no 1h sample"
#: The group kinds a training config may guarantee (``threshold.groups``).
GROUP_KINDS = ("sex_age", "early", "pathway")


def group_masks(features: pd.DataFrame, kinds: Iterable[str]) -> dict[str, np.ndarray]:
    """Row masks of every guaranteed group (``sex_age``: sex x age band; ``early``: onset <= 3 h; ``pathway``)."""
    sex = features["sex"].astype("string").to_numpy()
    masks: dict[str, np.ndarray] = {}
    for kind in kinds:
        if kind == "sex_age":
            young = features["age"].to_numpy(dtype=np.float64) < AGE_BAND_YEARS
            for group in ("female", "male"):
                masks[f"{group}&<{AGE_BAND_YEARS}"] = (sex == group) & young
                masks[f"{group}&>={AGE_BAND_YEARS}"] = (sex == group) & ~young
        elif kind == "early":
            masks[EARLY_GROUP] = features["symptom_onset_hours"].to_numpy(dtype=np.float64) <= EARLY_ONSET_HOURS
        elif kind == "pathway":
            masks[NO_1H_GROUP] = features["troponin_1h_ng_l"].isna().to_numpy()
        else:
            raise TriageError(f"unknown guarantee group {kind!r}; use one of {', '.join(GROUP_KINDS)}")
    return masks


def choose_group_thresholds(
    risk: np.ndarray,
    positive: np.ndarray,
    masks: dict[str, np.ndarray],
    *,
    target: float,
    confidence: float,
) -> list[dict[str, object]]:
    """One rule per group: ``{group, threshold, n_positive, guaranteed}``.

    A group with too few positives to show the target with ``confidence`` gets the lowest risk among its
    positives (every positive it had is flagged) and ``guaranteed: false``, so a small training set still trains
    and the model card says which promise it could not make; a group without positives gets no rule.
    """
    risk, positive = np.asarray(risk, dtype=np.float64), np.asarray(positive, bool)
    rules = []
    for group, mask in masks.items():
        n_positive = int((positive & mask).sum())
        if n_positive == 0:
            continue
        try:
            threshold, guaranteed = threshold_for_sensitivity(risk[mask], positive[mask], target, confidence), True
        except TriageError:
            threshold, guaranteed = float(risk[mask & positive].min()), False
        rules.append({"group": group, "threshold": threshold, "n_positive": n_positive, "guaranteed": guaranteed})
    return rules


def kinds_of(rules: Iterable[dict[str, object]]) -> tuple[str, ...]:
    """The group kinds a list of rules covers (what :func:`group_masks` needs to rebuild the masks)."""
    names = {str(rule["group"]) for rule in rules}
    kinds = []
    if any("&" in name for name in names):
        kinds.append("sex_age")
    if EARLY_GROUP in names:
        kinds.append("early")
    if NO_1H_GROUP in names:
        kinds.append("pathway")
    return tuple(kinds)


def patient_thresholds(
    features: pd.DataFrame, sex_thresholds: dict[str, float], rules: Iterable[dict[str, object]]
) -> np.ndarray:
    """Each patient's threshold: the lowest of their sex's and of every guaranteed group they belong to."""
    rules = list(rules)
    cut = features["sex"].astype("string").map(sex_thresholds).to_numpy(dtype=np.float64, copy=True)
    if np.isnan(cut).any():
        raise TriageError("sex must be female or male to apply the discharge threshold")
    masks = group_masks(features, kinds_of(rules))
    for rule in rules:
        mask = masks[str(rule["group"])]
        cut[mask] = np.minimum(cut[mask], float(rule["threshold"]))
    return cut


@dataclass(frozen=True)
class DecisionRules:
    """Everything that turns the two risks into the discharge flag; read from and written to the manifest.

    ``thresholds``: the MI threshold of each sex; ``groups``: the MI rules of the guaranteed groups;
    ``mace_thresholds``: the 30-day MACE threshold of each sex (``None`` for a model without that question).
    """

    thresholds: dict[str, float]
    groups: tuple[dict[str, object], ...] = ()
    mace_thresholds: dict[str, float] | None = None

    def mi_flag(self, features: pd.DataFrame, risk: np.ndarray) -> np.ndarray:
        return np.asarray(risk, dtype=np.float64) >= patient_thresholds(features, self.thresholds, self.groups)

    def mace_flag(self, features: pd.DataFrame, risk_mace: np.ndarray | None) -> np.ndarray:
        if self.mace_thresholds is None or risk_mace is None:
            return np.zeros(len(features), dtype=bool)
        return np.asarray(risk_mace, dtype=np.float64) >= patient_thresholds(features, self.mace_thresholds, ())


def flag_reason(mi_flag: np.ndarray, mace_flag: np.ndarray) -> np.ndarray:
    """``mi``, ``mace``, ``mi+mace`` or ``""`` (not flagged) per patient: which question said "not safe"."""
    mi_flag, mace_flag = np.asarray(mi_flag, bool), np.asarray(mace_flag, bool)
    return np.select([mi_flag & mace_flag, mi_flag, mace_flag], ["mi+mace", "mi", "mace"], default="").astype(object)
