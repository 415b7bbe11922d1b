"""Clinical baselines every model is compared with: HEART score, ESC 0/1 h algorithm, single-sample rule-out.

Each score is a vectorised numpy function over whole columns (no loop over rows), so a million visits score in
milliseconds. Inputs are expected to be validated (``validate_visits``): known categories, no missing age,
sex, ECG or 0 h troponin; a function raises ``ValueError`` rather than guess when they are not.

Troponin is high-sensitivity cardiac troponin I in ng/L throughout, with the Abbott ARCHITECT hs-cTnI
cut-offs (the assay the cohort's 99th percentiles come from).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from chestpain.features.columns import ECG_FINDINGS, RISK_FACTORS, SEXES

if TYPE_CHECKING:  # imported inside the frame-level functions: the simulator uses the array rules without pandas
    import pandas as pd


class TroponinPolicy(StrEnum):
    """Which 99th-percentile upper reference limit (URL) defines a "raised" troponin in HEART."""

    universal = "universal"
    sex_specific = "sex-specific"


#: hs-cTnI (ARCHITECT) 99th-percentile URLs, ng/L: one for everyone, or separate for women and men.
TROPONIN_URL_UNIVERSAL_NG_L = 26.0
TROPONIN_URL_FEMALE_NG_L = 16.0
TROPONIN_URL_MALE_NG_L = 34.0


class EscEdition(StrEnum):
    """Which ESC guideline's 0/1 h cut-offs for ARCHITECT hs-cTnI."""

    esc2020 = "2020"
    esc2015 = "2015"


@dataclass(frozen=True)
class EscCutoffs:
    """ESC 0/1 h cut-offs for one assay and edition, ng/L; ``very_low`` rules out only when onset > 3 h."""

    very_low: float
    low: float
    no_change: float
    high: float
    change: float
    very_low_min_onset_hours: float = 3.0


#: One table per edition (Abbott ARCHITECT hs-cTnI), as DESIGN.md lists them.
#: 2020: Collet et al., Eur Heart J 2021 (very low < 4, low < 5, no 1 h change < 2, high >= 64, change >= 6).
#: 2015: Roffi et al., Eur Heart J 2016 (very low < 2, low < 5, no change < 2, high >= 52, change >= 6).
ESC_CUTOFFS = {
    EscEdition.esc2020: EscCutoffs(very_low=4.0, low=5.0, no_change=2.0, high=64.0, change=6.0),
    EscEdition.esc2015: EscCutoffs(very_low=2.0, low=5.0, no_change=2.0, high=52.0, change=6.0),
}
ESC_CATEGORIES = ("rule-out", "observe", "rule-in")

#: hs-cTnI ARCHITECT limit of detection, ng/L (rounded up from 1.9).
LIMIT_OF_DETECTION_NG_L = 2.0
#: How the cohort (and every reported value) encodes "< 2 ng/L", below the limit of detection: half the LoD.
#: Every cut-off here is 2 ng/L or more, so any value below 2 reads as "below the LoD" without a special case.
TROPONIN_BELOW_LOD_NG_L = 1.0

#: A HEART score at or below this is "low risk" (Backus 2013: 0-3).
HEART_LOW_RISK_MAX = 3
#: Symptoms that count towards HEART History (Backus's "specific elements" that the cohort records).
HEART_HISTORY_SYMPTOMS = (
    "chest_pain",
    "radiation",
    "back_or_jaw_pain",
    "diaphoresis",
    "nausea",
    "exertional",
)
HEART_COMPONENTS = ("heart_history", "heart_ecg", "heart_age", "heart_risk", "heart_troponin")

_HEART_REFERENCES = """
    Six AJ, Backus BE, Kelder JC. Chest pain in the emergency room: value of the HEART score.
    Netherlands Heart Journal, 2008;16(6):191-196.

    Backus BE, Six AJ, Kelder JC, et al. A prospective validation of the HEART score for chest pain patients
    at the emergency department. International Journal of Cardiology, 2013;168(3):2153-2158.
    doi:10.1016/j.ijcard.2013.01.255"""


def _equals(values: ArrayLike, label: str) -> np.ndarray:
    """``values == label`` as a numpy bool array; pandas string columns compare without an object copy."""
    pd = sys.modules.get("pandas")  # a pandas object means pandas is loaded; never import it just to check
    if pd is not None and isinstance(values, pd.Series | pd.Index | pd.Categorical):
        return np.asarray(values == label, dtype=bool)
    return np.asarray(values) == label


def _bool(values: ArrayLike, name: str) -> np.ndarray:
    array = np.asarray(values)
    if array.dtype != bool:
        if array.dtype == object or (array.dtype.kind == "f" and np.isnan(array).any()):
            raise ValueError(f"{name}: expected true/false without missing values")
        array = array.astype(bool)
    return array


def _float(values: ArrayLike, name: str, *, allow_missing: bool = False) -> np.ndarray:
    array = np.asarray(values, dtype=np.float64)
    if not allow_missing and np.isnan(array).any():
        raise ValueError(f"{name}: missing values; validate the input first (features.validate_visits)")
    return array


def _count_true(**columns: ArrayLike) -> np.ndarray:
    """How many of the named yes/no columns are true per visit (int8), each checked by ``_bool`` under its name.

    HEART History and Risk both score a count of present items; the keyword names are what an error reports.
    """
    arrays = (_bool(values, name) for name, values in columns.items())
    count = next(arrays).astype(np.int8)
    for array in arrays:
        count = count + array
    return count


def _points(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """HEART's 0/1/2 points from two nested conditions: a point for meeting ``first``, another for ``second``."""
    return (first.astype(np.int8) + second).astype(np.int8)


def _categories(values: ArrayLike, allowed: Sequence[str], name: str) -> list[np.ndarray]:
    """One bool mask per allowed category; anything else (or missing) is an error."""
    masks = [_equals(values, label) for label in allowed]
    known = np.logical_or.reduce(masks)
    if not known.all():
        raise ValueError(f"{name}: values outside {list(allowed)}; validate the input first")
    return masks


def heart_history(
    chest_pain: ArrayLike,
    radiation: ArrayLike,
    back_or_jaw_pain: ArrayLike,
    diaphoresis: ArrayLike,
    nausea: ArrayLike,
    exertional: ArrayLike,
) -> np.ndarray:
    """HEART History points (0-2) from the symptoms recorded for each visit.

    HEART grades the history as slightly (0), moderately (1) or highly (2) suspicious by weighing "specific"
    elements (retrosternal pain, radiation to arm, shoulder, neck or jaw, diaphoresis, nausea and vomiting,
    exertional onset) against non-specific ones. The cohort records only whether each symptom is present, so
    this rule counts the specific elements it has:

    - 2: chest pain plus at least two of radiation, back or jaw pain, diaphoresis, nausea, exertional onset;
    - 1: anything less that still includes chest pain or one of those elements;
    - 0: none of them.

    Dyspnea and fatigue do not count, as in the original score; they are the symptoms more common in women,
    so HEART History is lower for women with the same disease. That is the baseline as practised, which the
    fairness audit is meant to expose, not correct. Pass the documented (``doc_*``) columns to score what
    the chart says, or the elicited (``sx_*``) ones to score a full question prompt list.

    Parameters
    ----------
    chest_pain, radiation, back_or_jaw_pain, diaphoresis, nausea, exertional : array-like of bool
        One value per visit.

    Returns
    -------
    numpy.ndarray of int8
        History points.

    References
    ----------
    {references}

    Examples
    --------
    >>> heart_history([True, True, False], [True, False, False], [False] * 3, [True, False, False],
    ...               [False] * 3, [False, False, True]).tolist()
    [2, 1, 1]
    """
    pain = _bool(chest_pain, "chest_pain")
    others = _count_true(
        radiation=radiation,
        back_or_jaw_pain=back_or_jaw_pain,
        diaphoresis=diaphoresis,
        nausea=nausea,
        exertional=exertional,
    )
    return np.where(pain & (others >= 2), 2, pain | (others > 0)).astype(np.int8)


def heart_ecg(ecg: ArrayLike) -> np.ndarray:
    """HEART ECG points: normal 0, nonspecific repolarisation disturbance 1, significant ST deviation 2.

    Parameters
    ----------
    ecg : array-like of str
        ``normal``, ``nonspecific`` or ``ischemic`` (features.columns.ECG_FINDINGS).

    Returns
    -------
    numpy.ndarray of int8

    References
    ----------
    {references}

    Examples
    --------
    >>> heart_ecg(["normal", "nonspecific", "ischemic"]).tolist()
    [0, 1, 2]
    """
    _, nonspecific, ischemic = _categories(ecg, ECG_FINDINGS, "ecg")
    return (nonspecific + 2 * ischemic).astype(np.int8)


def heart_age(age: ArrayLike) -> np.ndarray:
    """HEART Age points: under 45 years 0, 45-64 1, 65 or over 2.

    Parameters
    ----------
    age : array-like of int or float
        Years.

    Returns
    -------
    numpy.ndarray of int8

    References
    ----------
    {references}

    Examples
    --------
    >>> heart_age([44, 45, 64, 65]).tolist()
    [0, 1, 1, 2]
    """
    years = _float(age, "age")
    return _points(years >= 45, years >= 65)


def heart_risk(
    diabetes: ArrayLike,
    hypertension: ArrayLike,
    hyperlipidemia: ArrayLike,
    current_smoker: ArrayLike,
    family_history_cad: ArrayLike,
    prior_cad: ArrayLike,
) -> np.ndarray:
    """HEART Risk-factor points: none 0, one or two 1, three or more 2; known coronary disease 2.

    Counts diabetes, hypertension, hyperlipidemia, current smoking and a family history of CAD. HEART also
    counts obesity (BMI > 30), which the cohort does not record, so the count can only be lower than in the
    original score. Prior CAD stands for Backus's "history of atherosclerotic disease" and scores 2 alone.

    Parameters
    ----------
    diabetes, hypertension, hyperlipidemia, current_smoker, family_history_cad, prior_cad : array-like of bool

    Returns
    -------
    numpy.ndarray of int8

    References
    ----------
    {references}

    Examples
    --------
    >>> heart_risk([True, True, False], [True, False, False], [True, False, False], [False] * 3,
    ...            [False] * 3, [False, False, True]).tolist()
    [2, 1, 2]
    """
    count = _count_true(
        diabetes=diabetes,
        hypertension=hypertension,
        hyperlipidemia=hyperlipidemia,
        current_smoker=current_smoker,
        family_history_cad=family_history_cad,
    )
    return np.where(_bool(prior_cad, "prior_cad"), 2, _points(count >= 1, count >= 3)).astype(np.int8)


def troponin_upper_limit(sex: ArrayLike, policy: TroponinPolicy | str = TroponinPolicy.universal) -> np.ndarray:
    """The 99th-percentile URL (ng/L) that applies to each visit under ``policy``.

    Parameters
    ----------
    sex : array-like of str
        ``female`` or ``male``.
    policy : TroponinPolicy or str, default="universal"
        ``universal``: 26 ng/L for everyone; ``sex-specific``: 16 ng/L for women, 34 ng/L for men.

    Returns
    -------
    numpy.ndarray of float64
    """
    policy = TroponinPolicy(policy)
    female, _ = _categories(sex, SEXES, "sex")
    if policy is TroponinPolicy.universal:
        return np.full(female.shape, TROPONIN_URL_UNIVERSAL_NG_L)
    return np.where(female, TROPONIN_URL_FEMALE_NG_L, TROPONIN_URL_MALE_NG_L)


def heart_troponin(
    troponin_0h_ng_l: ArrayLike, sex: ArrayLike, *, policy: TroponinPolicy | str = TroponinPolicy.universal
) -> np.ndarray:
    """HEART Troponin points from the 0 h hs-cTnI: at or below the URL 0, up to three times it 1, above 2.

    Parameters
    ----------
    troponin_0h_ng_l : array-like of float
        hs-cTnI at presentation, ng/L.
    sex : array-like of str
        ``female`` or ``male``; only used by the sex-specific policy (but always checked).
    policy : TroponinPolicy or str, default="universal"
        See :func:`troponin_upper_limit`.

    Returns
    -------
    numpy.ndarray of int8

    References
    ----------
    {references}

    Examples
    --------
    >>> heart_troponin([26.0, 26.5, 78.0, 79.0], ["male"] * 4).tolist()
    [0, 1, 1, 2]
    >>> heart_troponin([20.0, 20.0], ["female", "male"], policy="sex-specific").tolist()
    [1, 0]
    """
    value = _float(troponin_0h_ng_l, "troponin_0h_ng_l")
    limit = troponin_upper_limit(sex, policy)
    return _points(value > limit, value > 3 * limit)


def heart_score(
    frame: pd.DataFrame,
    *,
    troponin_policy: TroponinPolicy | str = TroponinPolicy.universal,
    symptom_source: str = "doc",
) -> pd.DataFrame:
    """The five HEART components and their sum (0-10) for every row of a validated visit table.

    Parameters
    ----------
    frame : pandas.DataFrame
        Visits with the cohort-table columns (see ``validate_visits``).
    troponin_policy : TroponinPolicy or str, default="universal"
        Which 99th percentile defines a raised troponin.
    symptom_source : {"doc", "sx"}, default="doc"
        History from the chart (``doc_*``, as a clinician scores it) or from the elicited symptoms (``sx_*``).

    Returns
    -------
    pandas.DataFrame
        Columns ``heart_history, heart_ecg, heart_age, heart_risk, heart_troponin, heart_score`` (int8), same
        index as ``frame``. A score of ``HEART_LOW_RISK_MAX`` (3) or less is low risk.

    References
    ----------
    {references}
    """
    import pandas as pd

    if symptom_source not in ("sx", "doc"):
        raise ValueError(f"symptom_source must be 'sx' or 'doc', got {symptom_source!r}")
    symptoms = (frame[f"{symptom_source}_{name}"] for name in HEART_HISTORY_SYMPTOMS)
    parts = {
        "heart_history": heart_history(*symptoms),
        "heart_ecg": heart_ecg(frame["ecg"]),
        "heart_age": heart_age(frame["age"]),
        "heart_risk": heart_risk(*(frame[name] for name in RISK_FACTORS)),
        "heart_troponin": heart_troponin(frame["troponin_0h_ng_l"], frame["sex"], policy=troponin_policy),
    }
    parts["heart_score"] = np.sum(list(parts.values()), axis=0, dtype=np.int8)
    return pd.DataFrame(parts, index=frame.index)


def _onset(onset_hours: ArrayLike | None, n: int) -> np.ndarray:
    """Hours since onset as floats; missing (None or NaN) stays NaN, which never counts as "more than 3 h"."""
    if onset_hours is None:
        return np.full(n, np.nan)
    return _float(onset_hours, "symptom_onset_hours", allow_missing=True)


def esc_0_1h_codes(
    troponin_0h_ng_l: ArrayLike,
    troponin_1h_ng_l: ArrayLike,
    symptom_onset_hours: ArrayLike | None = None,
    *,
    edition: EscEdition | str = EscEdition.esc2020,
) -> np.ndarray:
    """:func:`esc_0_1h` as int8 codes into ``ESC_CATEGORIES`` (0 rule-out, 1 observe, 2 rule-in)."""
    cut = ESC_CUTOFFS[EscEdition(edition)]
    t0 = _float(troponin_0h_ng_l, "troponin_0h_ng_l")
    t1 = _float(troponin_1h_ng_l, "troponin_1h_ng_l", allow_missing=True)
    onset = _onset(symptom_onset_hours, len(t0))
    delta = np.abs(t1 - t0)
    rule_in = (t0 >= cut.high) | (delta >= cut.change)
    very_low = (t0 < cut.very_low) & (onset > cut.very_low_min_onset_hours)
    rule_out = very_low | ((t0 < cut.low) & (delta < cut.no_change))
    return np.where(rule_in, 2, np.where(rule_out, 0, 1)).astype(np.int8)


def esc_0_1h(
    troponin_0h_ng_l: ArrayLike,
    troponin_1h_ng_l: ArrayLike,
    symptom_onset_hours: ArrayLike | None = None,
    *,
    edition: EscEdition | str = EscEdition.esc2020,
) -> np.ndarray:
    """ESC 0/1 h algorithm for hs-cTnI (ARCHITECT): ``rule-out``, ``observe`` or ``rule-in`` per visit.

    ESC 2020 (default; cut-offs in :data:`ESC_CUTOFFS`):

    - rule-out: 0 h < 4 ng/L ("very low") when chest pain began more than 3 h before the 0 h sample, or
      0 h < 5 ng/L and |1 h - 0 h| < 2 ng/L;
    - rule-in: 0 h >= 64 ng/L, or |1 h - 0 h| >= 6 ng/L;
    - observe: everything else.

    The change is unsigned (a fall counts like a rise). When both arms apply (a very low 0 h but a change of
    6 ng/L or more), rule-in wins, the safe reading of a measured rise. A missing 1 h value leaves only the 0 h
    arms; a missing onset time never opens the very-low arm. ``edition="2015"`` uses ESC 2015's very low < 2 and
    high >= 52 ng/L.

    Parameters
    ----------
    troponin_0h_ng_l, troponin_1h_ng_l : array-like of float
        hs-cTnI at presentation and 1 h later, ng/L.
    symptom_onset_hours : array-like of float, optional
        Hours from onset of the pain to the 0 h sample; without it the very-low arm is never used.
    edition : {"2020", "2015"}, default="2020"
        Which guideline's cut-offs.

    Returns
    -------
    numpy.ndarray of str
        One of ``ESC_CATEGORIES`` per visit.

    References
    ----------
    Roffi M, Patrono C, Collet JP, et al. 2015 ESC Guidelines for the management of acute coronary syndromes
    in patients presenting without persistent ST-segment elevation. European Heart Journal,
    2016;37(3):267-315.

    Collet JP, Thiele H, Barbato E, et al. 2020 ESC Guidelines for the management of acute coronary syndromes
    in patients presenting without persistent ST-segment elevation. European Heart Journal,
    2021;42(14):1289-1367. doi:10.1093/eurheartj/ehaa575

    Examples
    --------
    >>> onset = [2.0, 4.0, 4.0, 4.0, 4.0, 4.0]
    >>> esc_0_1h([3.5, 3.5, 4.5, 4.5, 30.0, 64.0], [5.6, 5.6, 5.0, 6.5, 33.0, 64.0], onset).tolist()
    ['observe', 'rule-out', 'rule-out', 'observe', 'observe', 'rule-in']
    """
    codes = esc_0_1h_codes(troponin_0h_ng_l, troponin_1h_ng_l, symptom_onset_hours, edition=edition)
    return np.asarray(ESC_CATEGORIES)[codes]


def single_sample_rule_out(
    troponin_0h_ng_l: ArrayLike,
    symptom_onset_hours: ArrayLike | None = None,
    *,
    limit_of_detection: float = LIMIT_OF_DETECTION_NG_L,
) -> np.ndarray:
    """Rule out MI on one sample: hs-cTnI at presentation below the assay's limit of detection.

    Parameters
    ----------
    troponin_0h_ng_l : array-like of float
        hs-cTnI at presentation, ng/L.
    limit_of_detection : float, default=2.0
        ng/L; ARCHITECT hs-cTnI detects 1.9 ng/L, rounded to the ESC "very low" cut-off of 2 ng/L.

    Returns
    -------
    numpy.ndarray of bool
        True where a single sample rules MI out. Like the ESC very-low arm, it needs symptom onset more than
        3 h before the sample: with ``symptom_onset_hours`` given, earlier (or unknown) onsets are not ruled
        out; without it, onset is presumed late (the rule as Body 2011 tested it).

    References
    ----------
    Body R, Carley S, McDowell G, et al. Rapid exclusion of acute myocardial infarction in patients with
    undetectable troponin using a high-sensitivity assay. Journal of the American College of Cardiology,
    2011;58(13):1332-1339.

    Roffi M, Patrono C, Collet JP, et al. 2015 ESC Guidelines for the management of acute coronary syndromes
    in patients presenting without persistent ST-segment elevation. European Heart Journal,
    2016;37(3):267-315.

    Examples
    --------
    >>> single_sample_rule_out([0.0, 1.9, 2.0, 40.0]).tolist()
    [True, True, False, False]
    """
    t0 = _float(troponin_0h_ng_l, "troponin_0h_ng_l")
    below = t0 < limit_of_detection
    if symptom_onset_hours is None:
        return below
    return below & (_onset(symptom_onset_hours, len(t0)) > ESC_CUTOFFS[EscEdition.esc2020].very_low_min_onset_hours)


def clinical_scores(
    frame: pd.DataFrame,
    *,
    troponin_policy: TroponinPolicy | str = TroponinPolicy.universal,
    esc_edition: EscEdition | str = EscEdition.esc2020,
) -> pd.DataFrame:
    """Every baseline for every visit, in input order: what ``chestpain score`` writes.

    Parameters
    ----------
    frame : pandas.DataFrame
        A validated visit table (``validate_visits(..., symptom_source="doc")``); ``symptom_onset_hours`` is
        used by ESC's very-low arm and single-sample rule-out when present.
    troponin_policy : TroponinPolicy or str, default="universal"
        99th percentile used by HEART Troponin.
    esc_edition : {"2020", "2015"}, default="2020"
        ESC guideline edition for the 0/1 h cut-offs.

    Returns
    -------
    pandas.DataFrame
        ``patient_id``, the five HEART components, ``heart_score``, ``esc_0_1h`` (str, ``not drawn`` without
        the 1 h sample),
        ``single_sample_rule_out`` (bool), and ``esc_0_2h`` / ``esc_0_3h`` (str, ``not drawn`` without the later
        sample; ``features._serial_scores``).
    """
    import pandas as pd

    from chestpain.features._serial_scores import esc_readings

    heart = heart_score(frame, troponin_policy=troponin_policy, symptom_source="doc")
    onset = frame["symptom_onset_hours"] if "symptom_onset_hours" in frame else None
    readings = esc_readings(frame, edition=esc_edition)
    scores = pd.concat([frame[["patient_id"]], heart, readings[["esc_0_1h"]]], axis=1)
    scores["single_sample_rule_out"] = single_sample_rule_out(frame["troponin_0h_ng_l"], onset)
    scores[["esc_0_2h", "esc_0_3h"]] = readings[["esc_0_2h", "esc_0_3h"]]
    return scores


# One copy of the HEART references, placed into the References section of each HEART function's docstring.
for _function in (heart_history, heart_ecg, heart_age, heart_risk, heart_troponin, heart_score):
    _function.__doc__ = _function.__doc__.replace("    {references}", _HEART_REFERENCES.strip("\n"))
