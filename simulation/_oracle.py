"""``oracle_mi_probability``: the exact P(MI | every model-visible column) of the generating process.

Derivation. Write V for the model-visible columns (age, sex, race, risk factors, true symptoms ``sx_*``, pain
score, heart rate, systolic BP, ECG, hours since onset T, troponin 0 h and 1 h). The generator draws

* an acute coronary event E from a logistic model on age, sex and the risk factors (race has no direct
  effect), so ``logit P(E | demographics, risk factors) = prior_logit`` exactly;
* T from a distribution of sex and age only (not of E), so it cancels from every ratio below;
* every other presentation feature independently given (E, sex, age): each symptom Bernoulli, pain
  Binomial(10, p), heart rate and BP truncated normal, ECG categorical, and (troponin 0 h, 1 h) from an
  age-weighted mixture of states whose means follow the kinetics at T;
* MI = E and the peak of (t0, t1, a hidden later sample ta) above the sex-specific 99th percentile L.

With ``O`` = the non-troponin features' log p(. | E) - log p(. | not E), and for the troponin pair
``A1 = sum_k w_k p_k(t0, t1) P(max(t0, t1, ta) > L | t0, t1, k)`` and ``A0`` the same with the complement (both
over acute states k), and ``N = sum_j w_j p_j(t0, t1)`` over non-coronary states j:

    P(MI | V) = e^{prior_logit + O} A1 / (e^{prior_logit + O} (A1 + A0) + N),

because ta depends on (t0, t1) only through z0 within a state (see ``TroponinMixture.terms``).

The encounter (interruption, documentation ``doc_*``, the clinician's estimate) depends on V and on its own
noise but never on MI, so adding those columns to V would not change this probability: the oracle is also the
limit for a model that sees ``doc_*`` (which carry less information than ``sx_*``). Troponin enters through its
density in log space; the Jacobian of ``t -> log(t - floor)`` is the same under MI and no MI and cancels.

Tested in ``tests/simulation/test_oracle.py``: calibration in deciles on 1,000,000 rows and agreement with an
independent Monte-Carlo estimate for a fixed covariate pattern.
"""

from __future__ import annotations

import numpy as np

from chestpain.simulation._distributions import PresentationModel
from chestpain.simulation._steps import Demographic, Findings


def presentation_log_likelihood_ratio(model: PresentationModel, demo: Demographic, findings: Findings) -> np.ndarray:
    """Sum of log p(feature | E) / p(feature | not E) over every non-troponin presentation feature."""
    llr = model.symptoms.log_likelihood_ratio(findings.symptoms, demo.male)
    p0, p1 = model.pain_p
    pain = findings.pain_score
    llr = llr + pain * np.log(p1 / p0) + (10 - pain) * np.log((1 - p1) / (1 - p0))
    llr = llr + model.heart_rate.log_likelihood_ratio(findings.heart_rate)
    llr = llr + model.systolic_bp.log_likelihood_ratio(findings.systolic_bp)
    llr = llr + np.log(model.ecg_prob[1, findings.ecg] / model.ecg_prob[0, findings.ecg])
    return llr


def oracle_probability(
    prior_logit: np.ndarray, model: PresentationModel, demo: Demographic, findings: Findings
) -> np.ndarray:
    """Exact posterior P(MI | model-visible columns)."""
    acute_mi, acute_not, non_coronary = model.troponin.terms(
        findings.troponin_0h, findings.troponin_1h, findings.onset_hours, demo.age, demo.male
    )
    event = prior_logit + presentation_log_likelihood_ratio(model, demo, findings)
    log_mi = event + acute_mi
    log_total = np.logaddexp(np.logaddexp(log_mi, event + acute_not), non_coronary)
    return np.exp(log_mi - log_total)
