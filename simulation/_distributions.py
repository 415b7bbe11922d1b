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
from simulation._params import NormalVital, Presentation, Troponin

FEMALE, MALE = 0, 1
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
class TroponinMixture:
    """(hs-cTnI 0 h, 1 h) as a mixture of named states; excess over a floor is log-normal.

    Within component ``k``: ``z0 = log(t0 - floor) ~ N(mu0_k(sex), s0_k)`` and the log ratio
    ``d = log(t1 - floor) - z0 ~ N(mud_k, sd_k)``, independently. The component weights are a softmax over
    ``a_k + b_k * (age - 65) / 10`` within the component's outcome (MI or not), so chronic myocardial injury can
    grow with age.

    A laboratory reports concentrations above the assay's range as the upper limit ``upper``, so both values are
    censored there. A censored value contributes a probability, not a density, to the likelihood: with
    ``c = log(upper - floor)`` and ``z1 = z0 + d``, the three censored cases are
    ``P(z0 >= c | z1) p(z1)``, ``p(z0) P(d >= c - z0)`` and ``P(z0 >= c, z1 >= c)``; every case is the same for
    MI and no MI, so the Jacobian of the observed coordinates still cancels in the ratio.
    """

    floor: float
    upper: float  # np.inf: no censoring
    is_mi: np.ndarray  # (K,) bool
    weight_a: np.ndarray  # (K,)
    weight_b: np.ndarray  # (K,)
    mu0: np.ndarray  # (K, 2) by sex
    s0: np.ndarray  # (K,)
    mud: np.ndarray  # (K,)
    sd: np.ndarray  # (K,)
    names: tuple[str, ...]

    @classmethod
    def from_params(cls, troponin: Troponin) -> TroponinMixture:
        comps = troponin.components
        mu0 = np.array([[np.log(c.median_excess_women_ng_l), np.log(c.median_excess_men_ng_l)] for c in comps])
        upper = troponin.reportable_max_ng_l
        return cls(
            floor=troponin.floor_ng_l,
            upper=np.inf if upper is None else float(upper),
            is_mi=np.array([c.outcome == "mi" for c in comps]),
            weight_a=np.array([c.weight_logit_at_65 for c in comps]),
            weight_b=np.array([c.weight_logit_per_decade for c in comps]),
            mu0=mu0,
            s0=np.array([c.log_sd_0h for c in comps]),
            mud=np.log(np.array([c.median_rise_ratio_1h for c in comps])),
            sd=np.array([c.log_sd_rise_1h for c in comps]),
            names=tuple(c.name for c in comps),
        )

    def log_weights(self, age: np.ndarray, mi: bool | np.ndarray) -> np.ndarray:
        """Log component weights, shape (n, K); components of the other outcome get -inf."""
        logits = self.weight_a[None, :] + self.weight_b[None, :] * decades_from(age, 65.0)[:, None]
        own = self.is_mi[None, :] == np.asarray(mi, dtype=bool).reshape(-1, 1)
        logits = np.where(own, logits, -np.inf)
        return logits - logsumexp(logits, axis=1, keepdims=True)

    def sample(
        self, age: np.ndarray, male: np.ndarray, mi: np.ndarray, uniform: np.ndarray, normals: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Draw (t0, t1, component) from one uniform and two standard normals per row, censored at ``upper``."""
        cumulative = np.cumsum(np.exp(self.log_weights(age, mi)), axis=1)
        component = np.minimum((uniform[:, None] > cumulative).sum(axis=1), len(self.names) - 1)
        z0 = self.mu0[component, male.astype(np.intp)] + self.s0[component] * normals[:, 0]
        d = self.mud[component] + self.sd[component] * normals[:, 1]
        t0 = np.minimum(self.floor + np.exp(z0), self.upper)
        t1 = np.minimum(self.floor + np.exp(z0 + d), self.upper)
        return t0, t1, component

    def log_likelihood_ratio(self, t0: np.ndarray, t1: np.ndarray, age: np.ndarray, male: np.ndarray) -> np.ndarray:
        """Log p(t0, t1 | MI) - log p(t0, t1 | no MI); the change-of-variables Jacobian cancels."""
        log_dens = self.component_log_likelihood(t0, t1, male)
        n = len(age)
        with np.errstate(invalid="ignore"):
            log_mi = logsumexp(self.log_weights(age, np.ones(n, bool)) + log_dens, axis=1)
            log_no = logsumexp(self.log_weights(age, np.zeros(n, bool)) + log_dens, axis=1)
        return log_mi - log_no

    def component_log_likelihood(self, t0: np.ndarray, t1: np.ndarray, male: np.ndarray) -> np.ndarray:
        """Per-component log likelihood of (t0, t1) in (z0, d) coordinates, shape (n, K), censoring included."""
        sex = male.astype(np.intp)
        mu0 = self.mu0[:, sex].T  # (n, K)
        s0, mud, sd = self.s0[None, :], self.mud[None, :], self.sd[None, :]
        cens0, cens1 = t0 >= self.upper, t1 >= self.upper
        with np.errstate(divide="ignore", invalid="ignore"):
            z0 = np.log(t0 - self.floor)[:, None]
            z1 = np.log(t1 - self.floor)[:, None]
        out = normal_logpdf(z0, mu0, s0) + normal_logpdf(z1 - z0, mud, sd)
        if not (cens0.any() or cens1.any()):
            return out
        c = np.log(self.upper - self.floor)
        only0 = cens0 & ~cens1
        if only0.any():  # z0 censored, z1 seen: z1 ~ N(mu0 + mud, v), and z0 | z1 is normal
            m0, v = mu0[only0], s0**2 + sd**2
            cond_mean = m0 + s0**2 / v * (z1[only0] - m0 - mud)
            cond_sd = s0 * sd / np.sqrt(v)
            out[only0] = normal_logpdf(z1[only0], m0 + mud, np.sqrt(v)) + log_ndtr((cond_mean - c) / cond_sd)
        only1 = cens1 & ~cens0
        if only1.any():  # z0 seen, z1 = z0 + d censored
            out[only1] = normal_logpdf(z0[only1], mu0[only1], s0) + log_ndtr((z0[only1] + mud - c) / sd)
        both = cens0 & cens1
        if both.any():
            out[both] = self._log_both_censored()[:, sex[both]].T
        return out

    def _log_both_censored(self) -> np.ndarray:
        """log P(z0 >= c, z0 + d >= c) per (component, sex), shape (K, 2).

        One-dimensional quadrature over z0 (``d`` is independent of ``z0``); relative tolerance only, because the
        probabilities are tiny (about 1e-7 for late MI at 50,000 ng/L) and an absolute tolerance would swamp them.
        """
        c = np.log(self.upper - self.floor)
        out = np.empty(self.mu0.shape)
        for k in range(len(self.names)):  # K x 2 integrals, only when a row is censored twice
            for sex in (FEMALE, MALE):
                mu0, s0, mud, sd = self.mu0[k, sex], self.s0[k], self.mud[k], self.sd[k]
                lo = (c - mu0) / s0

                def integrand(u: float, lo: float = lo, mu0: float = mu0, s0: float = s0) -> float:
                    # Scaled by exp(lo^2 / 2) so quad sees O(1) values; undone below.
                    z0 = mu0 + s0 * u
                    return float(np.exp(-0.5 * (u * u - lo * lo)) * ndtr((z0 + mud - c) / sd))

                value, _ = quad(integrand, lo, np.inf, epsabs=0.0, epsrel=1e-10, limit=200)
                out[k, sex] = np.log(value) - 0.5 * lo * lo - _LOG_SQRT_2PI
        return out


@dataclass(frozen=True)
class PresentationModel:
    """Every presentation distribution, ready for sampling and for exact likelihood ratios."""

    symptoms: SymptomTable
    pain_p: np.ndarray  # (2,) by mi
    heart_rate: TruncatedNormal
    systolic_bp: TruncatedNormal
    ecg_prob: np.ndarray  # (2, 3) by mi, ECG_FINDINGS order
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
            troponin=TroponinMixture.from_params(p.troponin),
        )
