"""Every parameter of the ED chest-pain simulator, declared once with its unit and valid range.

Values (and the source of each clinical number) live in ``configs/simulation/default.yaml``; this module only
says what a valid value is. Unknown keys are errors (:class:`chestpain.kernel.config.StrictModel`).
"""

from __future__ import annotations

import math
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field, model_validator

from chestpain.features.columns import RACES, RISK_FACTORS, SYMPTOMS
from chestpain.kernel.config import StrictModel

Probability = Annotated[float, Field(ge=0.0, le=1.0)]
OpenProbability = Annotated[float, Field(gt=0.0, lt=1.0)]
PositiveFloat = Annotated[float, Field(gt=0.0)]
OddsRatio = Annotated[float, Field(gt=0.0, le=100.0)]


class TroponinPolicy(StrEnum):
    """Which 99th-percentile upper reference limit the clinician applies to hs-cTnI."""

    universal = "universal"
    sex_specific = "sex-specific"


# --------------------------------------------------------------------------------------------- demographics
class Demographics(StrictModel):
    """Who comes to the ED with chest pain."""

    female_share: OpenProbability
    age_mean_years: Annotated[float, Field(ge=18, le=100)]
    age_sd_years: PositiveFloat
    race_shares: dict[Literal[RACES], Probability]  # type: ignore[valid-type]

    @model_validator(mode="after")
    def _race_shares_sum_to_one(self) -> Demographics:
        if set(self.race_shares) != set(RACES):
            raise ValueError(f"race_shares needs exactly the keys {', '.join(RACES)}")
        if not math.isclose(sum(self.race_shares.values()), 1.0, abs_tol=1e-9):
            raise ValueError("race_shares must sum to 1")
        return self


class LogisticEffect(StrictModel):
    """A logistic model on age (per decade from 55), male sex and race."""

    intercept: float
    per_decade: float = 0.0
    male: float = 0.0
    race: dict[Literal[RACES], float] = Field(default_factory=dict)  # type: ignore[valid-type]


class RiskFactors(StrictModel):
    """Each risk factor is drawn independently given age, sex and race."""

    diabetes: LogisticEffect
    hypertension: LogisticEffect
    hyperlipidemia: LogisticEffect
    current_smoker: LogisticEffect
    family_history_cad: LogisticEffect
    prior_cad: LogisticEffect

    def effect(self, name: str) -> LogisticEffect:
        return getattr(self, name)


class MyocardialInfarction(StrictModel):
    """Log-odds of acute type 1 MI at this visit given demographics and risk factors."""

    intercept: float
    per_decade: float
    male: float
    risk_factors: dict[Literal[RISK_FACTORS], float]  # type: ignore[valid-type]


# --------------------------------------------------------------------------------------------- presentation
class SymptomRates(StrictModel):
    """P(symptom) by MI status and sex; women with MI via an odds ratio on men's prevalence."""

    mi_men: OpenProbability
    mi_women_odds_ratio: OddsRatio
    no_mi_men: OpenProbability
    no_mi_women: OpenProbability

    @property
    def mi_women(self) -> float:
        odds = self.mi_men / (1 - self.mi_men) * self.mi_women_odds_ratio
        return odds / (1 + odds)


class PainScore(StrictModel):
    """Pain score ~ Binomial(10, p): p by MI status."""

    mi_mean_fraction: OpenProbability
    no_mi_mean_fraction: OpenProbability


class NormalVital(StrictModel):
    """A triage vital sign: normal given MI status, truncated to a physiological range."""

    mi_mean: float
    no_mi_mean: float
    sd: PositiveFloat
    low: float
    high: float

    @model_validator(mode="after")
    def _range(self) -> NormalVital:
        if not self.low < min(self.mi_mean, self.no_mi_mean) <= max(self.mi_mean, self.no_mi_mean) < self.high:
            raise ValueError("need low < means < high")
        return self


class EcgRates(StrictModel):
    """Categorical distribution of the first ECG (STEMI excluded)."""

    normal: Probability
    nonspecific: Probability
    ischemic: Probability

    @model_validator(mode="after")
    def _sums_to_one(self) -> EcgRates:
        if not math.isclose(self.normal + self.nonspecific + self.ischemic, 1.0, abs_tol=1e-9):
            raise ValueError("ECG probabilities must sum to 1")
        return self


class Onset(StrictModel):
    """Hours from onset of the worst pain to the 0 h sample: log-normal by sex and age, truncated."""

    median_hours_women: PositiveFloat
    median_hours_men: PositiveFloat
    log_sd: PositiveFloat
    per_decade_log: float = 0.0  # log-hours per decade from 55: older patients present later
    min_hours: PositiveFloat = 0.25
    max_hours: PositiveFloat = 72.0
    # The recorded onset is the patient's recollection: troponin kinetics follow the recorded time x exp(e),
    # e discrete at RECALL_POINTS (3) Gauss-Hermite points of N(0, recall_log_sd^2). 0: the record is exact.
    recall_log_sd: Annotated[float, Field(ge=0.0, le=2.0)] = 0.0
    # The record's resolution: times are written to the nearest step (None: exact). A coarse record also lets the
    # oracle compute each state's kinetics once per distinct recorded time instead of once per visit.
    recorded_step_hours: PositiveFloat | None = None

    @model_validator(mode="after")
    def _range(self) -> Onset:
        if not self.min_hours < self.max_hours:
            raise ValueError("onset needs min_hours < max_hours")
        step = self.recorded_step_hours
        if step is not None and not (step <= self.min_hours and float(self.min_hours / step).is_integer()):
            raise ValueError("onset.recorded_step_hours must divide min_hours (rounded times stay in range)")
        return self


class Kinetics(StrictModel):
    """hs-cTnI after an acute coronary event: log level = log(plateau) + g(t), t = hours since onset.

    With ``s = 0.1 * log(1 + exp((t - lag_hours) / 0.1))`` hours of release (a smooth ``max(t - lag, 0)``) and
    ``r(s) = s**hill / (half_rise_hours**hill + s**hill)``, ``g(t) = log(b + (1 - b) r(s)) - decline_per_hour *
    s`` with ``b = baseline_fraction``: the patient's own baseline while ischaemia has not yet caused necrosis
    (the lag), then low but rising, near the plateau after a few half-rise times, slowly falling late.
    """

    half_rise_hours: PositiveFloat
    hill: PositiveFloat
    lag_hours: Annotated[float, Field(ge=0.0)] = 0.0
    baseline_fraction: Annotated[float, Field(ge=0.0, lt=1.0)] = 0.0
    decline_per_hour: Annotated[float, Field(ge=0.0)] = 0.0


class TroponinComponent(StrictModel):
    """One state of (hs-cTnI 0 h, 1 h): log-normal excess over the floor and log-normal 1 h ratio.

    Infarcting states follow ``kinetics`` from the onset of pain, and ``median_excess_*`` is then the plateau
    the curve approaches; states without ``kinetics`` are stable in time (no injury, chronic injury, and unstable
    angina: an acute coronary event without necrosis); acute non-ischaemic injury rises and falls like an infarct.
    """

    name: str
    outcome: Literal["acute_coronary", "non_coronary"]
    weight_logit_at_65: float
    weight_logit_per_decade: float = 0.0
    median_excess_women_ng_l: PositiveFloat
    median_excess_men_ng_l: PositiveFloat
    log_sd_0h: PositiveFloat
    median_rise_ratio_1h: PositiveFloat = 1.0
    log_sd_rise_1h: PositiveFloat
    # Spread of the later (adjudication-only) sample around the curve, log units.
    log_sd_rise_adjudication: PositiveFloat = 0.3
    kinetics: Kinetics | None = None
    outcome_30d_risk: Probability  # P(death or MI within 30 days) in this state when it is not an MI
    # P(death, MI or urgent revascularisation within 30 days) in this state when it is not an index MI (the
    # HEART endpoint family); None: the same as outcome_30d_risk (no revascularisation in this state).
    mace_30d_risk: Probability | None = None
    # First ECG in this state; None: the outcome's default (presentation.ecg_mi for acute coronary states,
    # presentation.ecg_no_mi otherwise). Myocardial injury without a coronary event (type 2 MI, PE, heart
    # failure) often has an abnormal ECG too, which is part of why it is mistaken for MI.
    ecg: EcgRates | None = None
    # Non-coronary states only: the share whose history looks like an acute coronary event's (typical
    # symptoms), as in type 2 MI or myocarditis with chest pain; the rest present like no injury.
    history_like_event: Probability = 0.0

    @model_validator(mode="after")
    def _mace_includes_death_or_mi(self) -> TroponinComponent:
        if self.outcome == "acute_coronary" and self.history_like_event:
            raise ValueError(f"component {self.name}: history_like_event is for non-coronary states")
        if self.mace_30d_risk is not None and self.mace_30d_risk < self.outcome_30d_risk:
            raise ValueError(f"component {self.name}: mace_30d_risk includes death or MI, so it is >= outcome_30d_risk")
        return self

    @property
    def mace_risk(self) -> float:
        return self.outcome_30d_risk if self.mace_30d_risk is None else self.mace_30d_risk


class Troponin(StrictModel):
    """High-sensitivity cardiac troponin I as a mixture of named physiological states."""

    floor_ng_l: Annotated[float, Field(ge=0.0)]
    # The assay's upper reportable limit: a laboratory reports higher concentrations as this value, so the
    # simulator censors there (None: no censoring). The oracle's likelihood treats censored values exactly.
    reportable_max_ng_l: PositiveFloat | None = None
    # Analytical SD of one measurement at low concentrations (ng/L): the 1 h log ratio's SD grows as the level
    # falls, sqrt(log_sd_rise_1h^2 + 2 * (analytical_sd / excess)^2), so small absolute changes are common
    # near the limit of detection, as on real assays.
    analytical_sd_ng_l: Annotated[float, Field(ge=0.0)] = 0.0
    # What the laboratory reports: whole ng/L, concentrations below the limit of detection as one code value
    # (the documented censored encoding; every score treats it as below all of its cut-offs).
    limit_of_detection_ng_l: PositiveFloat = 2.0
    below_limit_of_detection_ng_l: Annotated[float, Field(ge=0.0)] = 1.0
    # MI adjudication (4th Universal Definition): an acute coronary event is an MI when hs-cTnI exceeds the
    # sex-specific 99th percentile at 0 h, 1 h or the later adjudication sample (never shown to anyone).
    adjudication_sample_hours: PositiveFloat = 3.0
    adjudication_limit_women_ng_l: PositiveFloat = 16.0
    adjudication_limit_men_ng_l: PositiveFloat = 34.0
    components: list[TroponinComponent]

    @model_validator(mode="after")
    def _both_outcomes_present(self) -> Troponin:
        outcomes = {component.outcome for component in self.components}
        if outcomes != {"acute_coronary", "non_coronary"}:
            raise ValueError("troponin.components needs at least one 'acute_coronary' and one 'non_coronary' component")
        if self.reportable_max_ng_l is not None and self.reportable_max_ng_l <= self.limit_of_detection_ng_l:
            raise ValueError(
                "troponin.reportable_max_ng_l must be above troponin.floor_ng_l and the limit of detection"
            )
        if self.reportable_max_ng_l is not None and not float(self.reportable_max_ng_l).is_integer():
            raise ValueError("troponin.reportable_max_ng_l must be a whole number of ng/L (values are reported whole)")
        if not self.floor_ng_l < self.limit_of_detection_ng_l:
            raise ValueError("troponin.limit_of_detection_ng_l must be above troponin.floor_ng_l")
        if not self.below_limit_of_detection_ng_l < self.limit_of_detection_ng_l:
            raise ValueError("troponin.below_limit_of_detection_ng_l must be below the limit of detection")
        if len({c.name for c in self.components}) != len(self.components):
            raise ValueError("troponin component names must be unique")
        return self


class Presentation(StrictModel):
    """What the patient truly has, drawn independently per feature given (MI, sex, age)."""

    symptoms: dict[Literal[SYMPTOMS], SymptomRates]  # type: ignore[valid-type]
    # Share of acute coronary events whose history looks like no event at all (silent / unrecognised
    # presentations); the configured rates stay the marginal ones, so this only adds correlation.
    silent_presentation_share: Annotated[float, Field(ge=0.0, lt=1.0)] = 0.0
    pain: PainScore
    heart_rate: NormalVital
    systolic_bp: NormalVital
    ecg_mi: EcgRates
    ecg_no_mi: EcgRates
    onset: Onset
    troponin: Troponin

    @model_validator(mode="after")
    def _every_symptom(self) -> Presentation:
        missing = set(SYMPTOMS) - set(self.symptoms)
        if missing:
            raise ValueError(f"symptoms is missing {', '.join(sorted(missing))}")
        silent = self.silent_presentation_share
        for name, rates in self.symptoms.items():
            for with_event, without in ((rates.mi_men, rates.no_mi_men), (rates.mi_women, rates.no_mi_women)):
                typical = (with_event - silent * without) / (1 - silent)
                if not 0.0 < typical < 1.0:
                    raise ValueError(
                        f"symptom {name}: silent_presentation_share {silent} is too large for its rates "
                        "(the typical presentation's rate would leave (0, 1))"
                    )
        return self


# --------------------------------------------------------------------------------------------- encounter
class Interruption(StrictModel):
    """Seconds before the clinician interrupts the opening statement: a shifted log-normal fitted to quartiles."""

    median_seconds: PositiveFloat
    q1_seconds: PositiveFloat
    q3_seconds: PositiveFloat
    # The longest opening statement: the log-normal is truncated here (Singh Ospina 2019 observed 3-234 s).
    max_seconds: PositiveFloat = 240.0
    listening_multiplier: PositiveFloat = 1.0

    @model_validator(mode="after")
    def _skewed_quartiles(self) -> Interruption:
        if not self.q1_seconds < self.median_seconds < self.q3_seconds:
            raise ValueError("need q1_seconds < median_seconds < q3_seconds")
        if self.q3_seconds - self.median_seconds <= self.median_seconds - self.q1_seconds:
            raise ValueError("a shifted log-normal needs right skew: q3 - median > median - q1")
        if self.max_seconds <= 2 * self.q3_seconds:
            raise ValueError("max_seconds must be well above q3_seconds (more than twice it)")
        return self

    @property
    def shift_seconds(self) -> float:
        """Shift c such that (q1 - c)(q3 - c) = (median - c)^2, i.e. quartiles symmetric in log(t - c)."""
        m, q1, q3 = self.median_seconds, self.q1_seconds, self.q3_seconds
        return (m * m - q1 * q3) / (2 * m - q1 - q3)

    @property
    def log_sd(self) -> float:
        c = self.shift_seconds
        return math.log((self.q3_seconds - c) / (self.median_seconds - c)) / 0.6744897501960817


class Elicitation(StrictModel):
    """Which true symptoms reach the chart: voiced before the interruption, or asked about afterwards."""

    seconds_per_symptom: PositiveFloat
    ask_typical: Probability
    ask_atypical: Probability
    ask_low_risk: Probability = 0.5  # pleuritic / positional pain asked, chest wall pressed on examination


class Clinician(StrictModel):
    """The clinician's gestalt log-odds of MI, built only from what is charted and measured (never from MI)."""

    intercept: float
    per_decade: float
    male: float
    per_risk_factor: float
    prior_cad: float
    per_typical_symptom: float
    per_atypical_symptom: float
    per_low_risk_symptom: float = 0.0  # pleuritic, positional, reproducible by palpation (negative: reassuring)
    no_chest_pain: float
    ecg_nonspecific: float
    ecg_ischemic: float
    troponin_above_limit: float
    troponin_per_log_ratio: float
    # The care pathway: the ESC 0/1 h result (edition below) shifts the gestalt; rule-out is the reference.
    esc_edition: Literal["2020", "2015"] = "2020"
    esc_observe: float
    esc_rule_in: float
    troponin_policy: TroponinPolicy
    universal_limit_ng_l: PositiveFloat
    women_limit_ng_l: PositiveFloat
    men_limit_ng_l: PositiveFloat
    noise_sd: Annotated[float, Field(ge=0.0)]


class Bias(StrictModel):
    """The bias knobs: each one a named mechanism, 0 turns it off."""

    atypical_discount_women: Probability
    young_women_low_risk: Annotated[float, Field(ge=0.0)]
    young_age_limit_years: Annotated[int, Field(ge=18, le=100)] = 55
    nonwhite_symptom_discount: Probability
    nonwhite_low_risk: Annotated[float, Field(ge=0.0)]
    # Extra weight given to a reassuring (low-risk) pain feature when the patient is a woman or young: the
    # "atypical, probably musculoskeletal" reading (Pope 2000; the seed). 0.5: such a feature counts 1.5x.
    low_risk_overweight: Annotated[float, Field(ge=0.0)] = 0.0


#: The serial-sampling pathways a site can run (ESC 2020 first, second and third choice; Collet et al., Eur Heart
#: J 2021): which sample after 0 h its record holds.
PATHWAYS = ("0/1h", "0/2h", "0/3h")


class Sampling(StrictModel):
    """Which hs-cTnI samples the record holds (the others stay missing).

    ``pathway_shares``: the share of visits seen at sites running each pathway (drawn per visit, independently of
    the patient). A 0/1 h site records 0 h and 1 h, a 0/2 h site 0 h and 2 h, a 0/3 h site 0 h and 3 h; each keeps
    a 3 h sample for its own observe zone. Every sample is still taken in the simulated body (adjudication reads
    them all) and the simulated clinician decides on the ESC 0/1 h reading at every site: an assumption that keeps
    the clinician, and so every calibrated figure, independent of which samples a record keeps.
    ``draw_2h`` / ``draw_3h`` ``all``: every visit, as in research cohorts that draw serial samples by protocol
    (e.g. APACE, High-STEACS), for studying the 0/2 h and 0/3 h pathways.
    """

    pathway_shares: dict[Literal[PATHWAYS], Probability] = {"0/1h": 1.0}  # type: ignore[valid-type]
    draw_2h: Literal["never", "all"] = "never"
    draw_3h: Literal["observe_zone", "all"] = "observe_zone"

    @model_validator(mode="after")
    def _shares_sum_to_one(self) -> Sampling:
        total = sum(self.pathway_shares.values())
        if abs(total - 1.0) > 1e-9:
            raise ValueError(f"sampling.pathway_shares must add up to 1 (they add up to {total:g})")
        return self


class Decision(StrictModel):
    """Disposition and the chart's diagnosis."""

    admit_risk_threshold: OpenProbability
    mi_confirmed_when_admitted: Probability
    false_mi_diagnosis_when_troponin_high: Probability


class Outcomes(StrictModel):
    """30-day death or MI: by troponin state when not an MI, for treated MI, and missed MI x a risk ratio."""

    mi_treated_30d_risk: Probability
    missed_mi_risk_ratio: Annotated[float, Field(ge=1.0, le=10.0)]


class Analgesia(StrictModel):
    """Any ED analgesia: logistic in pain score with race odds ratios."""

    intercept_at_pain_5: float
    per_pain_point: float
    race_odds_ratio: dict[Literal[RACES], OddsRatio]  # type: ignore[valid-type]


# --------------------------------------------------------------------------------------------- interventions
class QuestionPromptList(StrictModel):
    """Every symptom on a list is asked about, whatever the interruption."""

    enabled: bool = False
    capture: Probability = 0.95


class CommunicationPreferenceForm(StrictModel):
    """The patient's stated wish to be heard out lengthens the uninterrupted opening statement."""

    enabled: bool = False
    listening_multiplier: PositiveFloat = 2.0


class DecisionAid(StrictModel):
    """A structured, shared risk estimate replaces part of the gestalt: every bias knob is scaled down."""

    enabled: bool = False
    bias_reduction: Probability = 0.5


class ModelAssistedCheck(StrictModel):
    """Before discharge, a risk model reviews the patient; a flag overrides the discharge."""

    enabled: bool = False
    risk_threshold: OpenProbability = 0.02


class Interventions(StrictModel):
    """Config switches; each acts through one named mechanism of the encounter or decision."""

    question_prompt_list: QuestionPromptList = QuestionPromptList()
    communication_preference_form: CommunicationPreferenceForm = CommunicationPreferenceForm()
    decision_aid: DecisionAid = DecisionAid()
    model_assisted_check: ModelAssistedCheck = ModelAssistedCheck()


class ScenarioConfig(StrictModel):
    """A whole simulation scenario (``configs/simulation/*.yaml``)."""

    name: str
    description: str = ""
    demographics: Demographics
    risk_factors: RiskFactors
    mi: MyocardialInfarction
    presentation: Presentation
    interruption: Interruption
    elicitation: Elicitation
    clinician: Clinician
    bias: Bias
    decision: Decision
    sampling: Sampling = Sampling()
    outcomes: Outcomes
    analgesia: Analgesia
    interventions: Interventions = Interventions()
