"""``oracle_mi_probability``: the exact P(MI | every model-visible column) of the generating process.

Derivation. Write V for the columns the record holds (age, sex, race, risk factors, true symptoms ``sx_*``,
pain score, heart rate, systolic BP, ECG, hours since onset T, and the troponin samples as reported: 0 h, and
1 h, 2 h and 3 h where the record keeps them). Every sample is taken; which ones the record keeps depends on the
site (0/1 h, 0/2 h or 0/3 h pathway, drawn independently of the patient) and on recorded values only (the 3 h
sample of an observe zone), so P(MI | V) is Bayes' rule on the recorded values, the others (taken, and read by
adjudication, but not recorded) summed out. The generator draws

* an acute coronary event E from a logistic model on age, sex and the risk factors (race has no direct
  effect), so ``logit P(E | demographics, risk factors) = prior_logit`` exactly;
* T from a distribution of sex and age only (not of E), so it cancels from every ratio below;
* a troponin state k from an age-weighted mixture within E or not-E, whose means follow the kinetics at T, and
  the reported samples from it; the first ECG categorical given k (so injury without a coronary event can
  have an ischaemic ECG too); the history (symptoms) as a two-type mixture given E and k (typical of an event
  or not: a silent event, an injury that sounds cardiac); pain Binomial(10, p) and heart rate and BP truncated
  normal given E;
* MI = E and a reported sample (0 h, 1 h, 2 h, 3 h or the hidden adjudication one) above the sex-specific
  99th percentile L.

Given the reported t0 and the state, the 1 h value has its own noise and the later samples (2 h, 3 h, hidden)
share one deviation e, independent of it (``TroponinMixture.sample``). With ``O`` = the event's history, pain
and vitals log p(. | E) - log p(. | history without an event, not E), and for the troponin samples R and the
ECG ``A1 = sum_k w_k P_k(R) P(ecg | k) P(MI | R, k)`` and ``A0`` the same with ``P(no MI | R, k)`` (both over
acute states k), and ``N = sum_j w_j P_j(R) P(ecg | j) H_j`` over non-coronary states j, with ``H_j = h_j
LR_typical + 1 - h_j`` the state's history relative to none:

    P(MI | V) = e^{prior_logit + O} A1 / (e^{prior_logit + O} (A1 + A0) + N).

Troponin enters as the probability of each reported value: whole ng/L are intervals of the latent log
concentration, "< 2" the interval below the limit of detection and 50,000 the one above the reportable
maximum. So ``P_k(R)`` is the mass of t0's interval, times that of t1's given t0 (the 1 h sample is centred on
the reported 0 h value) where t1 is recorded, times the normal mass of the interval of e that the recorded 2 h
and 3 h values allow together (1 where none is). For an acute state, ``P(MI | R, k)`` is 1 when a recorded
value exceeds L; otherwise MI needs the 1 h sample (only if unrecorded) or a later one to exceed it, and a later
one does exactly when e reaches a threshold tau_k, so with ``q = P(e >= tau_k | e in its interval)`` and
``s = P(unrecorded t1 > L | t0, k)`` (0 where t1 is recorded), ``P(no MI | R, k) = (1 - s)(1 - q)``
(``TroponinMixture.terms``). The clinician decides on 0 h and 1 h: the simulator's ``oracle`` for the
disposition is the same formula with R = (t0, t1).

The encounter (interruption, documentation ``doc_*``, the clinician's estimate) depends on V and on its own
noise but never on MI, so adding those columns to V would not change this probability: the oracle is also the
limit for a model that sees ``doc_*`` (which carry less information than ``sx_*``).

``oracle_mace_probability`` follows the same way. ``mace_30d`` (death, MI or urgent revascularisation within 30
days, HEART's endpoint family) is 1 for an index MI and otherwise drawn with the troponin state's own 30-day
risk r_k, independently of everything else (and of the disposition: the simulator's MACE does not depend on
whether the patient went home, an assumption stated in the config). So with ``A0r`` and ``Nr`` the sums above
with each state's term times r_k,

    P(MACE | V) = (e^{prior_logit + O} (A1 + A0r) + Nr) / (e^{prior_logit + O} (A1 + A0) + N).

Tested in ``tests/simulation/test_oracle.py`` and ``test_oracle_record.py`` (records that lack or add samples):
agreement with an independent re-implementation of Bayes' rule on every record pattern, calibration in deciles
on 1,000,000 rows (and with only t0 kept, and on 400,000 rows whose records keep every sample), and agreement
with Monte-Carlo estimates for a fixed covariate pattern from the generator's own draws (0 h alone, 0 h + 1 h +
3 h, 0 h + 2 h).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from chestpain.features.columns import ECG_FINDINGS, RACES, RISK_FACTORS, SYMPTOMS
from chestpain.simulation._distributions import PresentationModel
from chestpain.simulation._steps import Demographic, Findings, mi_prior_logit

if TYPE_CHECKING:
    import pandas as pd

    from chestpain.simulation._params import ScenarioConfig


def presentation_log_likelihood_ratio(
    model: PresentationModel, demo: Demographic, findings: Findings, log_typical: np.ndarray | None = None
) -> np.ndarray:
    """Sum of log p(feature | E) / p(feature | not E) over symptoms, pain and vitals (the ECG is per state)."""
    llr = model.symptoms.log_likelihood_ratio(findings.symptoms, demo.male, log_typical)
    p0, p1 = model.pain_p
    pain = findings.pain_score
    llr = llr + pain * np.log(p1 / p0) + (10 - pain) * np.log((1 - p1) / (1 - p0))
    llr = llr + model.heart_rate.log_likelihood_ratio(findings.heart_rate)
    llr = llr + model.systolic_bp.log_likelihood_ratio(findings.systolic_bp)
    return llr


def oracle_probabilities(
    prior_logit: np.ndarray,
    model: PresentationModel,
    demo: Demographic,
    findings: Findings,
    *,
    later_samples: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Exact posteriors P(MI | model-visible columns) and P(30-day MACE | model-visible columns).

    ``findings.troponin_1h`` may be NaN (not recorded): those rows get the posteriors without the 1 h value.
    ``later_samples``: also condition on ``findings.troponin_2h`` and ``troponin_3h`` (NaN: not recorded), the
    oracle of a record; without it they are ignored, whatever they hold (the simulator's ``findings`` hold every
    visit's values): the oracle of the 0 h + 1 h information the clinician decides on.
    """
    log_typical = model.symptoms.log_typical_ratio(findings.symptoms, demo.male)
    terms = model.troponin.terms(
        findings.troponin_0h,
        findings.troponin_1h,
        findings.onset_hours,
        demo.age,
        demo.male,
        findings.ecg,
        log_typical,
        findings.troponin_2h if later_samples else None,
        findings.troponin_3h if later_samples else None,
    )
    event = prior_logit + presentation_log_likelihood_ratio(model, demo, findings, log_typical)
    log_mi = event + terms.acute_mi
    log_total = np.logaddexp(np.logaddexp(log_mi, event + terms.acute_not), terms.non_coronary)
    # MACE: an index MI always counts; otherwise each state's 30-day risk (unstable angina, injury, none).
    log_mace = np.logaddexp(np.logaddexp(log_mi, event + terms.acute_not_mace), terms.non_coronary_mace)
    return np.exp(log_mi - log_total), np.minimum(np.exp(log_mace - log_total), 1.0)


def oracle_for_visits(cfg: ScenarioConfig, visits: pd.DataFrame) -> pd.DataFrame:
    """The oracle for visits described by their model-visible columns (cohort-table names, ``sx_*`` symptoms).

    For checking a clinical example against the generating process ("what is this patient's true risk in the
    simulated world?"); troponin must be as the laboratory reports it (whole ng/L, "< 2" coded 1). A missing
    ``troponin_1h_ng_l`` (NaN or NA: a 0/2 h or 0/3 h pathway) gives the oracle without the 1 h value; a
    ``troponin_2h_ng_l`` or ``troponin_3h_ng_l`` value (columns optional; NaN or NA: not recorded) is conditioned
    on, like the cohort's own oracle columns. Values that no state of the model can produce together give NaN.
    """
    import pandas as pd

    frame = visits.reset_index(drop=True)
    male = (frame["sex"] == "male").to_numpy()
    demo = Demographic(
        age=frame["age"].to_numpy(dtype=np.int64),
        male=male,
        race=frame["race"].map(RACES.index).to_numpy() if "race" in frame else np.zeros(len(frame), np.intp),
    )
    factors = {name: frame[name].to_numpy(dtype=bool) for name in RISK_FACTORS}
    model = PresentationModel.from_params(cfg.presentation)
    findings = Findings(
        symptoms=frame[[f"sx_{name}" for name in SYMPTOMS]].to_numpy(dtype=bool),
        pain_score=frame["pain_score"].to_numpy(dtype=np.int64),
        heart_rate=frame["heart_rate"].to_numpy(dtype=float),
        systolic_bp=frame["systolic_bp"].to_numpy(dtype=float),
        ecg=frame["ecg"].map(ECG_FINDINGS.index).to_numpy(),
        onset_hours=frame["symptom_onset_hours"].to_numpy(dtype=float),
        troponin_0h=frame["troponin_0h_ng_l"].to_numpy(dtype=float),
        troponin_1h=frame["troponin_1h_ng_l"].to_numpy(dtype=float, na_value=np.nan),
        troponin_2h=_recorded(frame, "troponin_2h_ng_l"),
        troponin_3h=_recorded(frame, "troponin_3h_ng_l"),
        troponin_state=np.zeros(len(frame), np.intp),
        troponin_adjudication=np.full(len(frame), np.nan),
    )
    mi, mace = oracle_probabilities(mi_prior_logit(cfg, demo, factors), model, demo, findings, later_samples=True)
    return pd.DataFrame({"oracle_mi_probability": mi, "oracle_mace_probability": mace})


def _recorded(frame: pd.DataFrame, column: str) -> np.ndarray:
    """A troponin column as floats, NaN where it is missing or NA (or the whole column where it is absent)."""
    if column not in frame:
        return np.full(len(frame), np.nan)
    return frame[column].to_numpy(dtype=float, na_value=np.nan)
