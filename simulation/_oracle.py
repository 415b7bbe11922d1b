"""``oracle_mi_probability``: the exact P(MI | every model-visible column) of the generating process.

Derivation. Write V for the columns known at the 1 h decision (age, sex, race, risk factors, true symptoms
``sx_*``, pain score, heart rate, systolic BP, ECG, hours since onset T, troponin 0 h and 1 h as reported; the 2 h
and 3 h samples are not in V). The generator draws

* an acute coronary event E from a logistic model on age, sex and the risk factors (race has no direct
  effect), so ``logit P(E | demographics, risk factors) = prior_logit`` exactly;
* T from a distribution of sex and age only (not of E), so it cancels from every ratio below;
* a troponin state k from an age-weighted mixture within E or not-E, whose means follow the kinetics at T, and
  the reported (t0, t1) from it; the first ECG categorical given k (so injury without a coronary event can
  have an ischaemic ECG too); the history (symptoms) as a two-type mixture given E and k (typical of an event
  or not: a silent event, an injury that sounds cardiac); pain Binomial(10, p) and heart rate and BP truncated
  normal given E;
* MI = E and a reported sample (0 h, 1 h, or the later ones, which share one deviation) above the sex-specific
  99th percentile L.

With ``O`` = the event's history, pain and vitals log p(. | E) - log p(. | history without an event, not E), and
for the troponin pair and ECG ``A1 = sum_k w_k P_k(t0, t1) P(ecg | k) P(a later sample > L | t0, k)`` and ``A0``
the same with the complement (both over acute states k), and ``N = sum_j w_j P_j(t0, t1) P(ecg | j) H_j`` over
non-coronary states j, with ``H_j = h_j LR_typical + 1 - h_j`` the state's history relative to none:

    P(MI | V) = e^{prior_logit + O} A1 / (e^{prior_logit + O} (A1 + A0) + N),

because the later samples depend on (t0, t1) only through the reported t0 within a state (see
``TroponinMixture.terms``).

The encounter (interruption, documentation ``doc_*``, the clinician's estimate) depends on V and on its own
noise but never on MI, so adding those columns to V would not change this probability: the oracle is also the
limit for a model that sees ``doc_*`` (which carry less information than ``sx_*``). Troponin enters as the
probability of each reported value: whole ng/L are intervals of the latent log concentration, "< 2" the
interval below the limit of detection and 50,000 the one above the reportable maximum, so ``P_k`` is a product
of two normal interval masses (the 1 h sample is centred on the reported 0 h value).

``oracle_mace_probability`` follows the same way. ``mace_30d`` (death, MI or urgent revascularisation within 30
days, HEART's endpoint family) is 1 for an index MI and otherwise drawn with the troponin state's own 30-day
risk r_k, independently of everything else (and of the disposition: the simulator's MACE does not depend on
whether the patient went home, an assumption stated in the config). So with ``A0r`` and ``Nr`` the sums above
with each state's term times r_k,

    P(MACE | V) = (e^{prior_logit + O} (A1 + A0r) + Nr) / (e^{prior_logit + O} (A1 + A0) + N).

Tested in ``tests/simulation/test_oracle.py``: calibration in deciles on 1,000,000 rows and agreement with an
independent Monte-Carlo estimate for a fixed covariate pattern.
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
    prior_logit: np.ndarray, model: PresentationModel, demo: Demographic, findings: Findings
) -> tuple[np.ndarray, np.ndarray]:
    """Exact posteriors P(MI | model-visible columns) and P(30-day MACE | model-visible columns)."""
    log_typical = model.symptoms.log_typical_ratio(findings.symptoms, demo.male)
    terms = model.troponin.terms(
        findings.troponin_0h,
        findings.troponin_1h,
        findings.onset_hours,
        demo.age,
        demo.male,
        findings.ecg,
        log_typical,
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
    simulated world?"); troponin must be as the laboratory reports it (whole ng/L, "< 2" coded 1).
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
        troponin_1h=frame["troponin_1h_ng_l"].to_numpy(dtype=float),
        troponin_2h=np.full(len(frame), np.nan),
        troponin_3h=np.full(len(frame), np.nan),
        troponin_state=np.zeros(len(frame), np.intp),
        troponin_adjudication=np.full(len(frame), np.nan),
    )
    mi, mace = oracle_probabilities(mi_prior_logit(cfg, demo, factors), model, demo, findings)
    return pd.DataFrame({"oracle_mi_probability": mi, "oracle_mace_probability": mace})
