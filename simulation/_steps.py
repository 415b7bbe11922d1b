"""The causal steps of one ED chest-pain visit, one named function per arrow group.

Order (each step sees only what the steps before it produced)::

    demographics -> risk_factors -> acute_coronary_event (type 1 MI or unstable angina)
      -> symptom_onset (hours from pain onset to the 0 h sample)              depends on sex, age
      -> presentation (symptoms, pain, vitals, ECG, hs-cTnI 0 h / 1 h and a   depends on the event, sex, age,
         hidden adjudication sample; troponin state)                           onset
      -> adjudicated_mi (4th Universal Definition: acute event and a value above the sex-specific 99th)
      -> oracle (exact P(MI | model-visible columns))                          a function of the above
      -> interruption -> elicitation (which true symptoms reach the chart)     never sees MI
      -> esc_result -> clinician_estimate (gestalt + the ESC 0/1 h pathway)     never sees MI
      -> disposition (admit / discharge, chart diagnosis, missed MI)
      -> thirty_day_outcome (death or MI, missed MI worse than treated MI; MACE with revascularisation)
      -> analgesia (pain treatment, by pain score and race)

Each step draws from its own named random stream, so adding a step or a draw to one step never changes the
draws of another. Nothing after ``presentation`` reads ``mi`` except ``disposition``'s chart diagnosis of
admitted patients and the 30-day outcome; this is what keeps the oracle tractable (see ``simulation/_oracle.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import expit, ndtr, ndtri

from chestpain.features import esc_0_1h_codes, esc_0_2h
from chestpain.features.columns import (
    ATYPICAL_SYMPTOMS,
    LOW_RISK_SYMPTOMS,
    RACES,
    RISK_FACTORS,
    SYMPTOMS,
    TYPICAL_SYMPTOMS,
)
from chestpain.simulation._distributions import PresentationModel, decades_from
from chestpain.simulation._params import PATHWAYS, ScenarioConfig, TroponinPolicy
from chestpain.simulation._streams import ChunkStreams

TYPICAL_INDEX = np.array([SYMPTOMS.index(name) for name in TYPICAL_SYMPTOMS])
ATYPICAL_INDEX = np.array([SYMPTOMS.index(name) for name in ATYPICAL_SYMPTOMS])
LOW_RISK_INDEX = np.array([SYMPTOMS.index(name) for name in LOW_RISK_SYMPTOMS])
CHEST_PAIN = SYMPTOMS.index("chest_pain")
# The symptom a patient leads with when several are present: chest pain first, then breathlessness (Pope 2000
# names "shortness of breath as the chief symptom"), then the rest. An assumption of this model.
CHIEF_COMPLAINT_ORDER = np.array(
    [
        SYMPTOMS.index(name)
        for name in (
            "chest_pain",
            "dyspnea",
            "fatigue",
            "nausea",
            "back_or_jaw_pain",
            "diaphoresis",
            "radiation",
            "exertional",
        )
    ]
)
WHITE = RACES.index("white")
AGE_MIN, AGE_MAX = 18, 100
FRIENDLY_RISK_FACTORS = tuple(name for name in RISK_FACTORS if name != "prior_cad")


@dataclass
class Demographic:
    """Age in whole years (the model-visible value is the one every later step uses), sex and race codes."""

    age: np.ndarray
    male: np.ndarray
    race: np.ndarray


def demographics(cfg: ScenarioConfig, streams: ChunkStreams) -> Demographic:
    """Sex, age (truncated normal on [18, 101), floored) and race."""
    d = cfg.demographics
    u = streams.uniform("demographics", 3)
    male = u[:, 0] >= d.female_share
    lo = ndtr((AGE_MIN - d.age_mean_years) / d.age_sd_years)
    hi = ndtr((AGE_MAX + 1 - d.age_mean_years) / d.age_sd_years)
    age_continuous = d.age_mean_years + d.age_sd_years * ndtri(lo + (hi - lo) * u[:, 1])
    age = np.clip(np.floor(age_continuous), AGE_MIN, AGE_MAX).astype(np.int64)
    shares = np.cumsum([d.race_shares[r] for r in RACES])
    race = np.minimum(np.searchsorted(shares, u[:, 2], side="right"), len(RACES) - 1)
    return Demographic(age=age, male=male, race=race)


def risk_factors(cfg: ScenarioConfig, demo: Demographic, streams: ChunkStreams) -> dict[str, np.ndarray]:
    """Each risk factor independently given age, sex and race (logistic)."""
    u = streams.uniform("risk_factors", len(RISK_FACTORS))
    decades = decades_from(demo.age, 55.0)
    out = {}
    for k, name in enumerate(RISK_FACTORS):
        effect = cfg.risk_factors.effect(name)
        race_shift = np.array([effect.race.get(r, 0.0) for r in RACES])
        logit = effect.intercept + effect.per_decade * decades + effect.male * demo.male + race_shift[demo.race]
        out[name] = u[:, k] < expit(logit)
    return out


def mi_prior_logit(cfg: ScenarioConfig, demo: Demographic, factors: dict[str, np.ndarray]) -> np.ndarray:
    """Log-odds of an acute coronary event given demographics and risk factors (the oracle's starting point)."""
    m = cfg.mi
    logit = m.intercept + m.per_decade * decades_from(demo.age, 55.0) + m.male * demo.male
    for name, coefficient in m.risk_factors.items():
        logit = logit + coefficient * factors[name]
    return logit


def acute_coronary_event(prior_logit: np.ndarray, streams: ChunkStreams) -> np.ndarray:
    """An acute coronary event (type 1 MI or unstable angina) behind this visit; adjudication decides which."""
    return streams.uniform("mi") < expit(prior_logit)


def symptom_onset(model: PresentationModel, demo: Demographic, streams: ChunkStreams) -> np.ndarray:
    """Hours from the onset of the worst pain to the 0 h sample (women and older patients present later)."""
    return model.onset.sample(demo.age, demo.male, streams.uniform("onset"))


@dataclass
class Findings:
    """What the patient truly has and what is measured; drawn independently per feature given (MI, sex, age)."""

    symptoms: np.ndarray  # (n, len(SYMPTOMS)) bool, SYMPTOMS order
    pain_score: np.ndarray
    heart_rate: np.ndarray
    systolic_bp: np.ndarray
    ecg: np.ndarray  # codes in ECG_FINDINGS order
    onset_hours: np.ndarray
    troponin_0h: np.ndarray
    troponin_1h: np.ndarray
    troponin_2h: np.ndarray  # every visit's value; the cohort shows it only where drawn
    troponin_3h: np.ndarray
    troponin_state: np.ndarray  # component index (hidden)
    troponin_adjudication: np.ndarray  # the later sample used only to adjudicate MI (hidden)


def presentation(
    model: PresentationModel, demo: Demographic, mi: np.ndarray, onset_hours: np.ndarray, streams: ChunkStreams
) -> Findings:
    """Symptoms by sex (VIRGO; van Oosterhout 2020), pain, vitals, ECG and hs-cTnI kinetics given onset.

    ``mi`` here is the acute coronary event: symptoms, ECG and troponin kinetics follow the event whether or not
    adjudication later calls it an MI.
    """
    mi_i = mi.astype(np.intp)
    pain_score = streams.binomial("pain_score", 10, model.pain_p[mi_i]).astype(np.int64)
    vitals = streams.uniform("vitals", 2)
    heart_rate = model.heart_rate.sample(mi_i, vitals[:, 0])
    systolic_bp = model.systolic_bp.sample(mi_i, vitals[:, 1])
    trop = model.troponin.sample(
        demo.age,
        demo.male,
        onset_hours,
        mi,
        streams.uniform("troponin_state"),
        streams.normal("troponin_level", 3),
    )
    symptoms = model.symptoms.sample(
        mi,
        demo.male,
        model.troponin.history_like_event[trop.component],
        streams.uniform("symptoms", len(SYMPTOMS)),
        streams.uniform("history_type"),
    )
    # The first ECG depends on the state (an infarct, unstable angina, injury without a coronary event, none).
    cumulative = np.cumsum(np.exp(model.troponin.log_ecg[trop.component]), axis=1)
    ecg = np.minimum((streams.uniform("ecg")[:, None] >= cumulative).sum(axis=1), 2)
    return Findings(
        symptoms,
        pain_score,
        heart_rate,
        systolic_bp,
        ecg,
        onset_hours,
        trop.t0,
        trop.t1,
        trop.t2,
        trop.t3,
        trop.component,
        trop.t_adjudication,
    )


def adjudicated_mi(model: PresentationModel, demo: Demographic, event: np.ndarray, findings: Findings) -> np.ndarray:
    """4th Universal Definition of MI: an acute event with hs-cTnI above the sex-specific 99th percentile.

    The serial samples are 0 h, 1 h, 2 h, 3 h (all taken, whether or not routine care records them) and a later
    one that only the adjudicators see. The rise and/or fall is the acute state's kinetics; an event whose
    troponin never exceeds the limit is unstable angina.
    """
    peak = np.maximum.reduce(
        [
            findings.troponin_0h,
            findings.troponin_1h,
            findings.troponin_2h,
            findings.troponin_3h,
            findings.troponin_adjudication,
        ]
    )
    return event & (peak > model.troponin.adjudication_limit_for(demo.male))


def esc_result(cfg: ScenarioConfig, findings: Findings) -> np.ndarray:
    """The ESC 0/1 h result the clinician reads (0 rule-out, 1 observe, 2 rule-in), in the scenario's edition."""
    return esc_0_1h_codes(
        findings.troponin_0h, findings.troponin_1h, findings.onset_hours, edition=cfg.clinician.esc_edition
    )


@dataclass
class RecordedSamples:
    """Which hs-cTnI samples each visit's record holds (0 h always)."""

    one_hour: np.ndarray
    two_hour: np.ndarray
    three_hour: np.ndarray


def recorded_samples(
    cfg: ScenarioConfig, findings: Findings, esc: np.ndarray, streams: ChunkStreams
) -> RecordedSamples:
    """The site's pathway decides which samples after 0 h the record keeps (``Sampling``).

    0/1 h (ESC 2020's first choice) keeps 1 h and, for its observe zone, 3 h; 0/2 h (second choice) keeps 2 h
    and 3 h for the 0/2 h observe zone; 0/3 h keeps 3 h. The clinician's disposition is still decided on the
    0/1 h reading at every site (an assumption of this model, stated in ``Sampling``).
    """
    s = cfg.sampling
    shares = np.array([s.pathway_shares.get(name, 0.0) for name in PATHWAYS])
    # One uniform per visit, whatever the shares: a scenario with one pathway draws the stream too, so changing
    # the shares never shifts any other stream.
    site = np.minimum(np.searchsorted(np.cumsum(shares), streams.uniform("pathway"), side="right"), len(PATHWAYS) - 1)
    one, two, three = (site == k for k in range(len(PATHWAYS)))
    observe_0_2h = esc_0_2h(findings.troponin_0h, findings.troponin_2h, findings.onset_hours) == "observe"
    everyone = np.ones(esc.shape, dtype=bool)
    draw_2h = everyone if s.draw_2h == "all" else two
    draw_3h = everyone if s.draw_3h == "all" else three | (one & (esc == 1)) | (two & observe_0_2h)
    return RecordedSamples(one_hour=one, two_hour=draw_2h, three_hour=draw_3h)


def interruption(cfg: ScenarioConfig, n: int, streams: ChunkStreams) -> np.ndarray:
    """Seconds before the opening statement is interrupted (shifted log-normal; Singh Ospina 2019)."""
    q = cfg.interruption
    multiplier = q.listening_multiplier
    form = cfg.interventions.communication_preference_form
    if form.enabled:
        multiplier *= form.listening_multiplier
    shift = q.shift_seconds
    # Truncated at max_seconds: the normal draw's quantile is mapped into the mass below the cap (inverse CDF).
    # About 0.8% of the untruncated mass lay above 240 s, so the quartiles move a little (7.0 / 10.9 / 21.5 s on
    # the default scenario) and no opening statement lasts hours.
    cap = ndtr(np.log((q.max_seconds - shift) / (q.median_seconds - shift)) / q.log_sd)
    z = ndtri(ndtr(streams.normal("interruption")) * cap)
    seconds = shift + (q.median_seconds - shift) * np.exp(q.log_sd * z)
    return seconds * multiplier


def elicitation(
    cfg: ScenarioConfig, symptoms: np.ndarray, interrupt_seconds: np.ndarray, streams: ChunkStreams
) -> np.ndarray:
    """Documented symptoms: the chief complaint, others voiced before the interruption, or asked about after.

    A non-chief symptom is voiced by time ``t`` with probability ``1 - exp(-t / seconds_per_symptom)``. After
    the interruption the clinician asks about typical and atypical symptoms with different probabilities; a
    question prompt list raises both to its capture rate.
    """
    e = cfg.elicitation
    n = len(interrupt_seconds)
    ordered = symptoms[:, CHIEF_COMPLAINT_ORDER]
    has_any = ordered.any(axis=1)
    chief = np.zeros_like(symptoms)
    chief[np.arange(n)[has_any], CHIEF_COMPLAINT_ORDER[ordered.argmax(axis=1)[has_any]]] = True
    p_voiced = 1.0 - np.exp(-interrupt_seconds / e.seconds_per_symptom)
    voiced = streams.uniform("voiced", len(SYMPTOMS)) < p_voiced[:, None]
    ask = np.empty(len(SYMPTOMS))
    ask[TYPICAL_INDEX] = e.ask_typical
    ask[ATYPICAL_INDEX] = e.ask_atypical
    ask[LOW_RISK_INDEX] = e.ask_low_risk
    qpl = cfg.interventions.question_prompt_list
    if qpl.enabled:
        ask = np.maximum(ask, qpl.capture)
    asked = streams.uniform("asked", len(SYMPTOMS)) < ask[None, :]
    return symptoms & (chief | voiced | asked)


def troponin_limit(cfg: ScenarioConfig, male: np.ndarray) -> np.ndarray:
    """The 99th-percentile limit the clinician applies: universal 26 ng/L or women 16 / men 34 ng/L."""
    c = cfg.clinician
    if c.troponin_policy == TroponinPolicy.sex_specific:
        return np.where(male, c.men_limit_ng_l, c.women_limit_ng_l)
    return np.full(male.shape, c.universal_limit_ng_l)


def bias_scale(cfg: ScenarioConfig) -> float:
    """How much of each bias knob acts: a decision aid scales all of them down."""
    aid = cfg.interventions.decision_aid
    return 1.0 - aid.bias_reduction if aid.enabled else 1.0


def clinician_estimate(
    cfg: ScenarioConfig,
    demo: Demographic,
    factors: dict[str, np.ndarray],
    documented: np.ndarray,
    findings: Findings,
    esc: np.ndarray,
    streams: ChunkStreams,
) -> np.ndarray:
    """The clinician's own P(MI): a gestalt from the chart and the ECG, the ESC 0/1 h pathway, and the bias knobs.

    The pathway enters as a shift by ESC result (``esc``, from :func:`esc_result`; rule-out is the reference,
    observe and rule-in raise the estimate), plus a term for a peak above the 99th percentile the clinician
    applies (universal or by sex).

    Bias enters in four named ways: atypical symptoms count less in women; reassuring (low-risk) pain features
    count more in women and the young; young women are judged low risk (Pope 2000); non-white patients'
    symptoms count less and they are judged lower risk (credibility; Pope 2000 reports OR 2.2 for missed
    ischaemia in non-white patients).
    """
    c, b = cfg.clinician, cfg.bias
    scale = bias_scale(cfg)
    female = ~demo.male
    nonwhite = demo.race != WHITE
    n_risk = sum(factors[name].astype(np.int64) for name in FRIENDLY_RISK_FACTORS)
    atypical_weight = c.per_atypical_symptom * (1.0 - scale * b.atypical_discount_women * female)
    young = demo.age < b.young_age_limit_years
    low_risk_weight = c.per_low_risk_symptom * (1.0 + scale * b.low_risk_overweight * (female | young))
    symptom_logit = (
        c.per_typical_symptom * documented[:, TYPICAL_INDEX].sum(axis=1)
        + atypical_weight * documented[:, ATYPICAL_INDEX].sum(axis=1)
        + low_risk_weight * documented[:, LOW_RISK_INDEX].sum(axis=1)
        + c.no_chest_pain * ~documented[:, CHEST_PAIN]
    )
    symptom_logit = symptom_logit * (1.0 - scale * b.nonwhite_symptom_discount * nonwhite)
    limit = troponin_limit(cfg, demo.male)
    peak = np.maximum(findings.troponin_0h, findings.troponin_1h)
    log_ratio = np.log(peak / limit)
    young_woman = female & young
    logit = (
        c.intercept
        + c.per_decade * decades_from(demo.age, 55.0)
        + c.male * demo.male
        + c.per_risk_factor * n_risk
        + c.prior_cad * factors["prior_cad"]
        + symptom_logit
        + c.ecg_nonspecific * (findings.ecg == 1)
        + c.ecg_ischemic * (findings.ecg == 2)
        + c.troponin_above_limit * (log_ratio > 0)
        + c.troponin_per_log_ratio * np.maximum(log_ratio, 0.0)
        + c.esc_observe * (esc == 1)
        + c.esc_rule_in * (esc == 2)
        - scale * b.young_women_low_risk * young_woman
        - scale * b.nonwhite_low_risk * nonwhite
        + c.noise_sd * streams.normal("clinician_noise")
    )
    return expit(logit)


@dataclass
class Disposition:
    """The decision and what the chart says."""

    discharged: np.ndarray
    diagnosed_mi: np.ndarray
    missed_mi: np.ndarray


def disposition(
    cfg: ScenarioConfig,
    clinician_risk: np.ndarray,
    model_risk: np.ndarray,
    mi: np.ndarray,
    troponin_high: np.ndarray,
    streams: ChunkStreams,
) -> Disposition:
    """Admit when the clinician's risk reaches the threshold (or a model check flags); workup confirms MI."""
    d = cfg.decision
    admitted = clinician_risk >= d.admit_risk_threshold
    check = cfg.interventions.model_assisted_check
    if check.enabled:
        admitted |= model_risk >= check.risk_threshold
    u = streams.uniform("diagnosis")
    confirmed = mi & (u < d.mi_confirmed_when_admitted)
    false_positive = ~mi & troponin_high & (u < d.false_mi_diagnosis_when_troponin_high)
    diagnosed = admitted & (confirmed | false_positive)
    discharged = ~admitted
    return Disposition(discharged=discharged, diagnosed_mi=diagnosed, missed_mi=mi & discharged & ~diagnosed)


@dataclass
class ThirtyDayOutcomes:
    """What happened within 30 days."""

    death_or_mi: np.ndarray  # outcome_30d
    mace: np.ndarray  # mace_30d: death, MI (the index MI included) or urgent revascularisation


def thirty_day_outcome(
    cfg: ScenarioConfig,
    model: PresentationModel,
    mi: np.ndarray,
    troponin_state: np.ndarray,
    missed_mi: np.ndarray,
    streams: ChunkStreams,
) -> ThirtyDayOutcomes:
    """Death or MI within 30 days (by troponin state, treated MI, missed MI x a risk ratio: Pope 2000) and MACE.

    MACE counts the index MI (as HEART's endpoint does: Backus 2013) and, without one, the state's 30-day risk of
    death, MI or urgent revascularisation (unstable angina's is mostly revascularisation). One uniform drives
    both, so a non-MI visit with death or MI within 30 days always has MACE too.
    """
    o = cfg.outcomes
    u = streams.uniform("outcome_30d")
    risk = np.where(mi, o.mi_treated_30d_risk, model.troponin.outcome_30d_risk[troponin_state])
    risk = np.where(missed_mi, np.minimum(risk * o.missed_mi_risk_ratio, 1.0), risk)
    death_or_mi = u < risk
    mace = mi | (u < model.troponin.mace_risk[troponin_state])
    return ThirtyDayOutcomes(death_or_mi=death_or_mi, mace=mace)


def analgesia(cfg: ScenarioConfig, pain_score: np.ndarray, race: np.ndarray, streams: ChunkStreams) -> np.ndarray:
    """Any ED pain medication: logistic in pain score, shifted by race (Lee et al., Am J Emerg Med 2019)."""
    a = cfg.analgesia
    log_or = np.log(np.array([a.race_odds_ratio[r] for r in RACES]))
    logit = a.intercept_at_pain_5 + a.per_pain_point * (pain_score - 5) + log_or[race]
    return streams.uniform("analgesia") < expit(logit)
