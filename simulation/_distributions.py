"""The presentation distributions P(feature | MI, sex, age), shared by the generator and the oracle.

Keeping sampling and density in one place is what makes ``oracle_mi_probability`` exact: the oracle evaluates
the very distributions the generator draws from.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.integrate import quad
from scipy.special import log_ndtr, logsumexp, ndtr, ndtri

from features.columns import ECG_FINDINGS, SYMPTOMS
from simulation._params import NormalVital, Onset, Presentation, Troponin

FEMALE, MALE = 0, 1
_LAG_SMOOTHING_HOURS = 0.1  # the lag's corner is rounded over ~6 minutes
# The recorded onset is the patient's recollection; the kinetics follow the true onset, the recorded one times
# a recall error exp(e). e takes RECALL_POINTS values, the Gauss-Hermite points of N(0, recall_log_sd^2) with
# their weights: the discrete distribution is the model itself (not an approximation), so each kinetic state
# splits into RECALL_POINTS states and the oracle stays an exact finite sum.
RECALL_POINTS = 5
_LOG_SQRT_2PI = 0.5 * np.log(2 * np.pi)


def decades_from(age: np.ndarray, centre: float) -> np.ndarray:
    """Age in decades relative to ``centre`` years (the unit of every age coefficient)."""
    return (age - centre) / 10.0


def normal_logpdf(x: np.ndarray, mean: np.ndarray | float, sd: np.ndarray | float) -> np.ndarray:
    """Log density of N(mean, sd^2), vectorised."""
    z = (x - mean) / sd
    return -0.5 * z * z - np.log(sd) - _LOG_SQRT_2PI


@dataclass(frozen=True)
class TruncatedNormal:
    """N(mean[mi], sd^2) truncated to [low, high]: bounded like real vitals, with an exact density."""

    mean: np.ndarray  # (2,) by mi
    sd: float
    low: float
    high: float

    @classmethod
    def from_params(cls, vital: NormalVital) -> TruncatedNormal:
        return cls(np.array([vital.no_mi_mean, vital.mi_mean]), vital.sd, vital.low, vital.high)

    def _cdf_bounds(self, mi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        mean = self.mean[mi]
        return ndtr((self.low - mean) / self.sd), ndtr((self.high - mean) / self.sd)

    def sample(self, mi: np.ndarray, uniform: np.ndarray) -> np.ndarray:
        """Inverse-CDF draw, one uniform per row."""
        lo, hi = self._cdf_bounds(mi)
        return np.clip(self.mean[mi] + self.sd * ndtri(lo + (hi - lo) * uniform), self.low, self.high)

    def log_likelihood_ratio(self, x: np.ndarray) -> np.ndarray:
        """Log p(x | MI) - log p(x | no MI), including the truncation normalisers."""
        log_mass = [np.log(ndtr((self.high - m) / self.sd) - ndtr((self.low - m) / self.sd)) for m in self.mean]
        return (
            normal_logpdf(x, self.mean[1], self.sd)
            - normal_logpdf(x, self.mean[0], self.sd)
            - log_mass[1]
            + log_mass[0]
        )


@dataclass(frozen=True)
class SymptomTable:
    """P(symptom present), indexed ``[mi, sex, symptom]`` with sex 0 = female, 1 = male."""

    prob: np.ndarray  # shape (2, 2, len(SYMPTOMS))

    @classmethod
    def from_params(cls, presentation: Presentation) -> SymptomTable:
        prob = np.empty((2, 2, len(SYMPTOMS)))
        for k, name in enumerate(SYMPTOMS):
            rates = presentation.symptoms[name]
            prob[0, FEMALE, k], prob[0, MALE, k] = rates.no_mi_women, rates.no_mi_men
            prob[1, FEMALE, k], prob[1, MALE, k] = rates.mi_women, rates.mi_men
        return cls(prob)

    def log_likelihood_ratio(self, symptoms: np.ndarray, male: np.ndarray) -> np.ndarray:
        """Sum over symptoms of log P(observed | MI) / P(observed | no MI)."""
        p1 = self.prob[1][male.astype(np.intp)]
        p0 = self.prob[0][male.astype(np.intp)]
        present = np.log(p1 / p0)
        absent = np.log((1 - p1) / (1 - p0))
        return np.where(symptoms, present, absent).sum(axis=1)


@dataclass(frozen=True)
class OnsetModel:
    """Hours from pain onset to the 0 h sample: log-normal (median by sex, log slope per decade), truncated.

    Its distribution does not depend on the acute coronary event, so it cancels from the oracle's likelihood
    ratio and enters only through the troponin kinetics.
    """

    log_median: np.ndarray  # (2,) by sex
    log_sd: float
    per_decade_log: float
    low: float
    high: float

    @classmethod
    def from_params(cls, onset: Onset) -> OnsetModel:
        return cls(
            np.log([onset.median_hours_women, onset.median_hours_men]),
            onset.log_sd,
            onset.per_decade_log,
            onset.min_hours,
            onset.max_hours,
        )

    def sample(self, age: np.ndarray, male: np.ndarray, uniform: np.ndarray) -> np.ndarray:
        """Inverse-CDF draw of the truncated log-normal, one uniform per row."""
        mean = self.log_median[male.astype(np.intp)] + self.per_decade_log * decades_from(age, 55.0)
        lo = ndtr((np.log(self.low) - mean) / self.log_sd)
        hi = ndtr((np.log(self.high) - mean) / self.log_sd)
        hours = np.exp(mean + self.log_sd * ndtri(lo + (hi - lo) * uniform))
        return np.clip(hours, self.low, self.high)


@dataclass(frozen=True)
class TroponinSample:
    """hs-cTnI at 0 h and 1 h (shown), the state drawn, and the adjudication sample (never shown)."""

    t0: np.ndarray
    t1: np.ndarray
    component: np.ndarray
    t_adjudication: np.ndarray


@dataclass(frozen=True)
class TroponinMixture:
    """(hs-cTnI 0 h, 1 h) as a mixture of named states; excess over a floor is log-normal given onset time.

    Within component ``k`` and with ``T`` hours from onset to the 0 h sample: ``z0 = log(t0 - floor) ~
    N(mu0_k(sex) + g_k(T), s0_k)`` and the 1 h log ratio ``d = log(t1 - floor) - z0 ~ N(g_k(T + 1) - g_k(T) +
    r_k, sd_k)``, independently; the adjudication sample at ``T + A`` is ``z0 + N(g_k(T + A) - g_k(T) + r_k,
    sa_k)``. ``g_k`` is the kinetic curve (:class:`simulation._params.Kinetics`) for acute coronary states and 0
    for stable non-coronary states. Component weights are a softmax over ``a_k + b_k * (age - 65) / 10`` within
    the component's outcome (acute coronary or not), so chronic myocardial injury can grow with age.

    A laboratory reports concentrations above the assay's range as the upper limit ``upper``, so both values are
    censored there. A censored value contributes a probability, not a density, to the likelihood: with
    ``c = log(upper - floor)`` and ``z1 = z0 + d``, the three censored cases are
    ``P(z0 >= c | z1) p(z1)``, ``p(z0) P(d >= c - z0)`` and ``P(z0 >= c, z1 >= c)``; every case is the same for
    every state, so the Jacobian of the observed coordinates still cancels in the ratio.
    """

    floor: float
    upper: float  # np.inf: no censoring
    is_acute: np.ndarray  # (K,) bool
    weight_a: np.ndarray  # (K,)
    weight_b: np.ndarray  # (K,)
    mu0: np.ndarray  # (K, 2) by sex
    s0: np.ndarray  # (K,)
    log_ratio: np.ndarray  # (K,)
    sd: np.ndarray  # (K,)
    s_adj: np.ndarray  # (K,)
    half_rise: np.ndarray  # (K,), nan for stable states
    hill: np.ndarray  # (K,)
    decline: np.ndarray  # (K,)
    lag: np.ndarray  # (K,)
    baseline: np.ndarray  # (K,) level before release, as a fraction of the plateau
    onset_scale: np.ndarray  # (K,) true onset / recorded onset in this state (recall error)
    adjudication_hours: float
    adjudication_limit: np.ndarray  # (2,) by sex, ng/L
    analytical_sd: float  # ng/L
    outcome_30d_risk: np.ndarray  # (K,)
    names: tuple[str, ...]

    @classmethod
    def from_params(cls, troponin: Troponin, recall_log_sd: float = 0.0) -> TroponinMixture:
        comps, names, recall_log_weight, onset_scale = [], [], [], []
        nodes, node_weights = np.polynomial.hermite.hermgauss(RECALL_POINTS)
        for c in troponin.components:
            if c.kinetics is None or recall_log_sd == 0:
                comps.append(c)
                names.append(c.name)
                recall_log_weight.append(0.0)
                onset_scale.append(1.0)
                continue
            for j, (x, w) in enumerate(zip(nodes, node_weights, strict=True)):
                comps.append(c)
                names.append(f"{c.name}@recall{j + 1}")
                recall_log_weight.append(np.log(w / np.sqrt(np.pi)))
                onset_scale.append(np.exp(np.sqrt(2.0) * recall_log_sd * x))
        mu0 = np.array([[np.log(c.median_excess_women_ng_l), np.log(c.median_excess_men_ng_l)] for c in comps])
        upper = troponin.reportable_max_ng_l

        def kinetic(field: str, default: float) -> np.ndarray:
            return np.array([getattr(c.kinetics, field) if c.kinetics else default for c in comps], dtype=float)

        return cls(
            floor=troponin.floor_ng_l,
            upper=np.inf if upper is None else float(upper),
            is_acute=np.array([c.outcome == "acute_coronary" for c in comps]),
            weight_a=np.array([c.weight_logit_at_65 for c in comps]) + np.array(recall_log_weight),
            weight_b=np.array([c.weight_logit_per_decade for c in comps]),
            mu0=mu0,
            s0=np.array([c.log_sd_0h for c in comps]),
            log_ratio=np.log(np.array([c.median_rise_ratio_1h for c in comps])),
            sd=np.array([c.log_sd_rise_1h for c in comps]),
            s_adj=np.array([c.log_sd_rise_adjudication for c in comps]),
            half_rise=kinetic("half_rise_hours", np.nan),
            onset_scale=np.array(onset_scale),
            hill=kinetic("hill", 0.0),
            decline=kinetic("decline_per_hour", 0.0),
            lag=kinetic("lag_hours", 0.0),
            baseline=kinetic("baseline_fraction", 0.0),
            adjudication_hours=troponin.adjudication_sample_hours,
            adjudication_limit=np.array([troponin.adjudication_limit_women_ng_l, troponin.adjudication_limit_men_ng_l]),
            analytical_sd=troponin.analytical_sd_ng_l,
            outcome_30d_risk=np.array([c.outcome_30d_risk for c in comps]),
            names=tuple(names),
        )

    def curve(self, recorded_onset: np.ndarray, later_hours: float = 0.0) -> np.ndarray:
        """Kinetic log level ``g_k(t)`` relative to the plateau, shape (n, K); 0 for stable states."""
        true_hours = np.asarray(recorded_onset, dtype=float)[:, None] * self.onset_scale + later_hours
        excess = (true_hours - self.lag) / _LAG_SMOOTHING_HOURS
        t = _LAG_SMOOTHING_HOURS * np.logaddexp(0.0, excess)
        with np.errstate(invalid="ignore", divide="ignore"):
            log_rise = self.hill * np.log(t) - np.logaddexp(self.hill * np.log(self.half_rise), self.hill * np.log(t))
            b = self.baseline
            g = np.logaddexp(np.log(b), np.log1p(-b) + log_rise) - self.decline * t
        return np.where(np.isnan(self.half_rise)[None, :], 0.0, g)

    def _means(self, onset: np.ndarray, male: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Row-by-component means of z0, of the 1 h log ratio and of the adjudication log ratio, each (n, K)."""
        g0 = self.curve(onset)
        mu0 = self.mu0[:, male.astype(np.intp)].T + g0
        mud = self.curve(onset, 1.0) - g0 + self.log_ratio[None, :]
        mua = self.curve(onset, self.adjudication_hours) - g0 + self.log_ratio[None, :]
        return mu0, mud, mua

    def change_sd(self, z0: np.ndarray) -> np.ndarray:
        """SD of the 1 h log ratio given z0, broadcast with (n, K): biological + analytical at low levels.

        z0 is capped at the censoring point, so a censored 0 h value has a known SD (keeps the censored cases
        exact).
        """
        z = np.minimum(z0, np.log(self.upper - self.floor)) if np.isfinite(self.upper) else z0
        # Analytical term: two measurements of SD a on an excess e give a log-ratio SD of about a * sqrt(2) / e;
        # "+ 1 (ng/L)^2" keeps it finite below 1 ng/L of excess, where the assay reads at its floor anyway.
        return np.sqrt(self.sd[None, :] ** 2 + 2.0 * self.analytical_sd**2 / (np.exp(2.0 * z) + 1.0))

    def log_weights(self, age: np.ndarray, acute: bool | np.ndarray) -> np.ndarray:
        """Log component weights, shape (n, K); components of the other outcome get -inf."""
        logits = self.weight_a[None, :] + self.weight_b[None, :] * decades_from(age, 65.0)[:, None]
        own = self.is_acute[None, :] == np.asarray(acute, dtype=bool).reshape(-1, 1)
        logits = np.where(own, logits, -np.inf)
        return logits - logsumexp(logits, axis=1, keepdims=True)

    def sample(
        self,
        age: np.ndarray,
        male: np.ndarray,
        onset: np.ndarray,
        acute: np.ndarray,
        uniform: np.ndarray,
        normals: np.ndarray,
    ) -> TroponinSample:
        """Draw the state and (t0, t1, adjudication sample) from one uniform and three normals per row."""
        cumulative = np.cumsum(np.exp(self.log_weights(age, acute)), axis=1)
        component = np.minimum((uniform[:, None] > cumulative).sum(axis=1), len(self.names) - 1)
        mu0, mud, mua = (m[np.arange(len(component)), component] for m in self._means(onset, male))
        z0 = mu0 + self.s0[component] * normals[:, 0]
        d = mud + self.change_sd(z0[:, None])[np.arange(len(component)), component] * normals[:, 1]
        za = z0 + mua + self.s_adj[component] * normals[:, 2]
        t0 = np.minimum(self.floor + np.exp(z0), self.upper)
        t1 = np.minimum(self.floor + np.exp(z0 + d), self.upper)
        ta = np.minimum(self.floor + np.exp(za), self.upper)
        return TroponinSample(t0, t1, component, ta)

    def adjudication_limit_for(self, male: np.ndarray) -> np.ndarray:
        """Sex-specific 99th percentile used to adjudicate MI (4th Universal Definition)."""
        return self.adjudication_limit[male.astype(np.intp)]

    def terms(
        self, t0: np.ndarray, t1: np.ndarray, onset: np.ndarray, age: np.ndarray, male: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Log of p(t0, t1, adjudicated MI | acute), p(t0, t1, no MI | acute) and p(t0, t1 | not acute).

        An acute state is adjudicated MI when the peak over 0 h, 1 h and the hidden later sample exceeds the
        sex-specific 99th percentile. Given (t0, t1) and the state, that is certain when t0 or t1 already exceeds
        it, and otherwise ``P(za > c_lim | z0) = Phi((z0 + mua - c_lim) / sa)``.
        """
        mu0, mud, mua = self._means(onset, male)
        log_dens = self.component_log_likelihood(t0, t1, mu0, mud)
        n = len(age)
        limit = self.adjudication_limit_for(male)
        above = (np.maximum(t0, t1) > limit)[:, None]
        with np.errstate(divide="ignore", invalid="ignore"):
            z0 = np.log(t0 - self.floor)[:, None]
            margin = (z0 + mua - np.log(limit - self.floor)[:, None]) / self.s_adj[None, :]
            log_mi = np.where(above, 0.0, log_ndtr(margin))
            log_not = np.where(above, -np.inf, log_ndtr(-margin))
            acute_w = self.log_weights(age, np.ones(n, bool)) + log_dens
            log_acute_mi = logsumexp(acute_w + log_mi, axis=1)
            log_acute_not = logsumexp(acute_w + log_not, axis=1)
            log_non = logsumexp(self.log_weights(age, np.zeros(n, bool)) + log_dens, axis=1)
        return log_acute_mi, log_acute_not, log_non

    def component_log_likelihood(
        self, t0: np.ndarray, t1: np.ndarray, mu0: np.ndarray, mud: np.ndarray
    ) -> np.ndarray:
        """Per-component log likelihood of (t0, t1) in (z0, d) coordinates, shape (n, K), censoring included."""
        s0 = self.s0[None, :]
        cens0, cens1 = t0 >= self.upper, t1 >= self.upper
        with np.errstate(divide="ignore", invalid="ignore"):
            z0 = np.log(t0 - self.floor)[:, None]
            z1 = np.log(t1 - self.floor)[:, None]
        sd_rows = self.change_sd(z0)
        out = normal_logpdf(z0, mu0, s0) + normal_logpdf(z1 - z0, mud, sd_rows)
        if not (cens0.any() or cens1.any()):
            return out
        sd = self.change_sd(np.full((1, 1), np.inf))  # the SD at a censored z0 (its value at the cap c)
        c = np.log(self.upper - self.floor)
        only0 = cens0 & ~cens1
        if only0.any():  # z0 censored, z1 seen: z1 ~ N(mu0 + mud, v), and z0 | z1 is normal
            m0, md, v = mu0[only0], mud[only0], s0**2 + sd**2
            cond_mean = m0 + s0**2 / v * (z1[only0] - m0 - md)
            cond_sd = s0 * sd / np.sqrt(v)
            out[only0] = normal_logpdf(z1[only0], m0 + md, np.sqrt(v)) + log_ndtr((cond_mean - c) / cond_sd)
        only1 = cens1 & ~cens0
        if only1.any():  # z0 seen, z1 = z0 + d censored
            out[only1] = normal_logpdf(z0[only1], mu0[only1], s0) + log_ndtr(
                (z0[only1] + mud[only1] - c) / sd_rows[only1]
            )
        both = np.flatnonzero(cens0 & cens1)
        for row in both:  # both censored: rare (about 1 row in 10 million at 50,000 ng/L), one quadrature each
            out[row] = [self._log_both_censored(mu0[row, k], mud[row, k], sd[0, k], k) for k in range(len(self.names))]
        return out

    def _log_both_censored(self, mu0: float, mud: float, sd: float, k: int) -> float:
        """log P(z0 >= c, z0 + d >= c) for one row and component.

        One-dimensional quadrature over z0 (``d`` is independent of ``z0``); relative tolerance only, because the
        probabilities are tiny (about 1e-7 for late MI at 50,000 ng/L) and an absolute tolerance would swamp them.
        """
        c = np.log(self.upper - self.floor)
        s0 = self.s0[k]
        lo = (c - mu0) / s0

        def integrand(u: float) -> float:
            # Scaled by exp(lo^2 / 2) so quad sees O(1) values; undone below.
            return float(np.exp(-0.5 * (u * u - lo * lo)) * ndtr((mu0 + s0 * u + mud - c) / sd))

        value, _ = quad(integrand, lo, np.inf, epsabs=0.0, epsrel=1e-10, limit=200)
        return float(np.log(value) - 0.5 * lo * lo - _LOG_SQRT_2PI)


@dataclass(frozen=True)
class PresentationModel:
    """Every presentation distribution, ready for sampling and for exact likelihood ratios."""

    symptoms: SymptomTable
    pain_p: np.ndarray  # (2,) by mi
    heart_rate: TruncatedNormal
    systolic_bp: TruncatedNormal
    ecg_prob: np.ndarray  # (2, 3) by mi, ECG_FINDINGS order
    onset: OnsetModel
    troponin: TroponinMixture

    @classmethod
    def from_params(cls, p: Presentation) -> PresentationModel:
        ecg = np.array(
            [
                [getattr(p.ecg_no_mi, name) for name in ECG_FINDINGS],
                [getattr(p.ecg_mi, name) for name in ECG_FINDINGS],
            ]
        )
        return cls(
            symptoms=SymptomTable.from_params(p),
            pain_p=np.array([p.pain.no_mi_mean_fraction, p.pain.mi_mean_fraction]),
            heart_rate=TruncatedNormal.from_params(p.heart_rate),
            systolic_bp=TruncatedNormal.from_params(p.systolic_bp),
            ecg_prob=ecg,
            onset=OnsetModel.from_params(p.onset),
            troponin=TroponinMixture.from_params(p.troponin, p.onset.recall_log_sd),
        )
