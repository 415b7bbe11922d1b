"""The presentation distributions P(feature | MI, sex, age), shared by the generator and the oracle.

Keeping sampling and density in one place is what makes ``oracle_mi_probability`` exact: the oracle evaluates
the very distributions the generator draws from.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr, ndtri

from chestpain.features.columns import ECG_FINDINGS
from chestpain.simulation._later_samples import later_sample_log_terms
from chestpain.simulation._mixture_math import (
    _blocks,
    _logsumexp_rows,
    _split_by_adjudication,
    _terms_pool,
    _unique_rows,
    log_normal_interval,
)
from chestpain.simulation._params import NormalVital, Onset, Presentation, Troponin
from chestpain.simulation._symptoms import SymptomTable

_LAG_SMOOTHING_HOURS = 0.1  # the lag's corner is rounded over ~6 minutes
# The recorded onset is the patient's recollection; the kinetics follow the true onset, the recorded one times
# a recall error exp(e). e takes RECALL_POINTS values, the Gauss-Hermite points of N(0, recall_log_sd^2) with
# their weights: the discrete distribution is the model itself (not an approximation), so each kinetic state
# splits into RECALL_POINTS states and the oracle stays an exact finite sum.
RECALL_POINTS = 3
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
        # Two means only: the CDF at the bounds is computed for each and looked up per row.
        return ndtr((self.low - self.mean) / self.sd)[mi], ndtr((self.high - self.mean) / self.sd)[mi]

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
    step: float | None  # the record's resolution in hours (None: exact)

    @classmethod
    def from_params(cls, onset: Onset) -> OnsetModel:
        return cls(
            np.log([onset.median_hours_women, onset.median_hours_men]),
            onset.log_sd,
            onset.per_decade_log,
            onset.min_hours,
            onset.max_hours,
            onset.recorded_step_hours,
        )

    def sample(self, age: np.ndarray, male: np.ndarray, uniform: np.ndarray) -> np.ndarray:
        """Inverse-CDF draw of the truncated log-normal, one uniform per row."""
        mean = self.log_median[male.astype(np.intp)] + self.per_decade_log * decades_from(age, 55.0)
        lo = ndtr((np.log(self.low) - mean) / self.log_sd)
        hi = ndtr((np.log(self.high) - mean) / self.log_sd)
        hours = np.exp(mean + self.log_sd * ndtri(lo + (hi - lo) * uniform))
        if self.step is not None:
            hours = np.round(hours / self.step) * self.step
        return np.clip(hours, self.low, self.high)


@dataclass(frozen=True)
class _TermTables:
    """What :meth:`TroponinMixture.terms` needs per distinct onset (rows: onsets) or age (rows: ages)."""

    log_weight_acute: np.ndarray  # (ages, acute states), within the acute outcome
    log_weight_stable: np.ndarray  # (ages, non-coronary states)
    mud: np.ndarray  # (onsets, K) mean 1 h log ratio
    mua_acute: np.ndarray  # (onsets, acute states) highest mean log ratio of a later sample to the 0 h one
    mu_later: np.ndarray  # (onsets, K, 2) mean log ratio of the 2 h and of the 3 h sample to the 0 h one


@dataclass(frozen=True)
class TroponinTerms:
    """Log likelihood terms of the reported samples by outcome, from :meth:`TroponinMixture.terms`."""

    acute_mi: np.ndarray  # log p(R, adjudicated MI | acute coronary event), R the reported samples
    acute_not: np.ndarray  # log p(R, not MI | acute coronary event): unstable angina
    non_coronary: np.ndarray  # log p(R | no acute coronary event)
    acute_not_mace: np.ndarray  # acute_not with each state's term times its 30-day MACE risk
    non_coronary_mace: np.ndarray  # non_coronary likewise


@dataclass(frozen=True)
class TroponinSample:
    """hs-cTnI as reported: 0 h and 1 h (shown), 2 h and 3 h (shown where drawn), adjudication (never shown).

    ``component`` is the state drawn.
    """

    t0: np.ndarray
    t1: np.ndarray
    t2: np.ndarray
    t3: np.ndarray
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
    lod: float  # limit of detection, ng/L: lower concentrations are reported as ``below_lod``
    below_lod: float  # the reported value that means "below the limit of detection"
    adjudication_limit: np.ndarray  # (2,) by sex, ng/L
    analytical_sd: float  # ng/L
    outcome_30d_risk: np.ndarray  # (K,)
    mace_risk: np.ndarray  # (K,) P(30-day death, MI or urgent revascularisation) in the state when not an MI
    log_ecg: np.ndarray  # (K, 3) log P(first ECG | state), ECG_FINDINGS order
    history_like_event: np.ndarray  # (K,) non-coronary states: share with an event-like history
    names: tuple[str, ...]

    @classmethod
    def from_params(
        cls, troponin: Troponin, recall_log_sd: float = 0.0, ecg_default: np.ndarray | None = None
    ) -> TroponinMixture:
        """``ecg_default``: P(ECG) by outcome, shape (2, 3) (non-coronary, acute), for states without their own."""
        if ecg_default is None:
            ecg_default = np.full((2, 3), 1.0 / 3.0)
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
            lod=troponin.limit_of_detection_ng_l,
            below_lod=troponin.below_limit_of_detection_ng_l,
            adjudication_limit=np.array([troponin.adjudication_limit_women_ng_l, troponin.adjudication_limit_men_ng_l]),
            analytical_sd=troponin.analytical_sd_ng_l,
            outcome_30d_risk=np.array([c.outcome_30d_risk for c in comps]),
            mace_risk=np.array([c.mace_risk for c in comps]),
            history_like_event=np.array([c.history_like_event for c in comps]),
            log_ecg=np.log(
                np.array(
                    [
                        [getattr(c.ecg, name) for name in ECG_FINDINGS]
                        if c.ecg is not None
                        else ecg_default[int(c.outcome == "acute_coronary")]
                        for c in comps
                    ]
                )
            ),
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

    @property
    def later_hours(self) -> tuple[float, float, float]:
        """Hours after the 0 h sample of the later samples: 2 h, 3 h and the adjudication sample."""
        return (2.0, 3.0, self.adjudication_hours)

    def _curve_tables(self, onset: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Kinetic curve at 0 h, its rise to 1 h and to each later sample (last axis), per distinct recorded onset.

        Also each row's index into those tables.

        The curve depends on the row only through its recorded onset, so it is evaluated once per distinct value
        (exact for any input; with onset recorded to the quarter hour a chunk has a few hundred values, not tens of
        thousands, which removes most of the simulator's and the oracle's cost: benchmarks/bench_simulate.py).
        """
        values, index = np.unique(np.asarray(onset, dtype=float), return_inverse=True)
        g0 = self.curve(values)
        later = np.stack([self.curve(values, hours) - g0 for hours in self.later_hours], axis=-1)
        return g0, self.curve(values, 1.0) - g0, later, index

    def report(self, value: np.ndarray) -> np.ndarray:
        """What the laboratory reports: whole ng/L (half up), below the LoD as ``below_lod``, capped at ``upper``."""
        whole = np.minimum(np.floor(value + 0.5), self.upper)
        return np.where(value < self.lod, self.below_lod, whole)

    def reported_log_excess(self, reported: np.ndarray) -> np.ndarray:
        """Log excess over the floor that the later samples are centred on: the reported 0 h value.

        Below the limit of detection, the middle of [floor, LoD).
        """
        centre = np.where(reported < self.lod, 0.5 * (self.floor + self.lod), reported)
        return np.log(centre - self.floor)

    def reported_interval(self, reported: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The interval [lo, hi) of log(excess) that the laboratory reports as ``reported``."""
        below = reported < self.lod
        lo = np.where(below, -np.inf, np.log(np.maximum(reported - 0.5, self.lod) - self.floor))
        top = np.where(reported >= self.upper, np.inf, np.log(reported + 0.5 - self.floor))
        return lo, np.where(below, np.log(self.lod - self.floor), top)

    def change_variance(self, z: np.ndarray) -> np.ndarray:
        """Variance of the 1 h log ratio given the 0 h log excess z (n, 1), shape (n, K): biological + analytical."""
        # Analytical term: two measurements of SD a on an excess e give a log-ratio SD of about a * sqrt(2) / e;
        # "+ 1 (ng/L)^2" keeps it finite below 1 ng/L of excess, where the assay reads at its floor anyway.
        return self.sd[None, :] ** 2 + 2.0 * self.analytical_sd**2 / (np.exp(2.0 * z) + 1.0)

    def log_weights(self, age: np.ndarray, acute: bool | np.ndarray) -> np.ndarray:
        """Log component weights, shape (n, K); components of the other outcome get -inf."""
        logits = self.weight_a[None, :] + self.weight_b[None, :] * decades_from(age, 65.0)[:, None]
        own = self.is_acute[None, :] == np.asarray(acute, dtype=bool).reshape(-1, 1)
        logits = np.where(own, logits, -np.inf)
        return logits - _logsumexp_rows(logits)[:, None]

    def _weight_tables(self, age: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Log weights within each outcome for each distinct age, shape (2, ages, K) by acute, and each row's index.

        Weights depend on the row only through age (whole years in the simulator), so like the kinetic curves
        they are computed once per distinct value; the values are those of :meth:`log_weights`.
        """
        values, index = np.unique(np.asarray(age), return_inverse=True)
        n = len(values)
        return np.stack([self.log_weights(values, np.full(n, flag)) for flag in (False, True)]), index

    def sample(
        self,
        age: np.ndarray,
        male: np.ndarray,
        onset: np.ndarray,
        acute: np.ndarray,
        uniform: np.ndarray,
        normals: np.ndarray,
    ) -> TroponinSample:
        """Draw the state and the reported samples from one uniform and three normals per row.

        0 h: latent log excess ``z0 ~ N(mu0, s0)``, reported. Every later sample is centred on the reported 0 h
        value (``reported_log_excess``) times the state's kinetic ratio: 1 h with its own noise (biological +
        analytical); 2 h, 3 h and the adjudication sample with one shared deviation (the patient's persistent
        departure from the state's curve). That is what lets the oracle stay an exact sum of normal CDFs.
        """
        log_weights, by_age = self._weight_tables(age)
        cumulative = np.cumsum(np.exp(log_weights), axis=2)[np.asarray(acute, dtype=np.intp), by_age]
        component = np.minimum((uniform[:, None] > cumulative).sum(axis=1), len(self.names) - 1)
        g0, rise_1h, rise_later, index = self._curve_tables(onset)  # only each row's drawn state is used
        mu0 = self.mu0[component, male.astype(np.intp)] + g0[index, component]
        t0 = self.report(self.floor + np.exp(mu0 + self.s0[component] * normals[:, 0]))
        z0 = self.reported_log_excess(t0)
        change_sd = np.sqrt(self.change_variance(z0[:, None])[np.arange(len(component)), component])
        z1 = z0 + rise_1h[index, component] + self.log_ratio[component] + change_sd * normals[:, 1]
        deviation = self.s_adj[component] * normals[:, 2]
        later = [
            self.report(self.floor + np.exp(z0 + rise + self.log_ratio[component] + deviation))
            for rise in (rise_later[index, component, j] for j in range(len(self.later_hours)))
        ]
        return TroponinSample(t0, self.report(self.floor + np.exp(z1)), later[0], later[1], component, later[2])

    def adjudication_limit_for(self, male: np.ndarray) -> np.ndarray:
        """Sex-specific 99th percentile used to adjudicate MI (4th Universal Definition)."""
        return self.adjudication_limit[male.astype(np.intp)]

    def terms(
        self,
        t0: np.ndarray,
        t1: np.ndarray,
        onset: np.ndarray,
        age: np.ndarray,
        male: np.ndarray,
        ecg: np.ndarray,
        log_typical_history: np.ndarray,
        t2: np.ndarray | None = None,
        t3: np.ndarray | None = None,
    ) -> TroponinTerms:
        """Log of p(R, adjudicated MI | acute), p(R, no MI | acute) and p(R | not acute), R the reported samples.

        R is (t0, t1) and, where given, the recorded 2 h and 3 h values (last paragraph).

        Also the last two with each state's term times its 30-day MACE risk, for the MACE oracle. Every term
        includes P(first ECG | state): the ECG depends on the state, not only on the coronary event. A
        non-coronary state's terms also include its history's likelihood relative to a history without an event,
        ``h_k LR_typical + 1 - h_k`` (``log_typical_history`` = log LR_typical per row).

        An acute state is adjudicated MI when a reported sample (0 h, 1 h, 2 h, 3 h or the hidden adjudication
        sample) exceeds the sex-specific 99th percentile L. Given (t0, t1) and the state, that is certain when t0
        or t1 already exceeds it; otherwise the later samples share one deviation ``sa * e`` around
        ``z0 + mu_j`` (``z0`` the reported 0 h log excess), so one of them reaches ``c = log(L + 0.5 - floor)``
        exactly when ``e >= min_j (c - z0 - mu_j) / sa``: ``P = Phi((z0 + max_j mu_j - c) / sa)``.

        ``t1`` NaN: the 1 h sample was taken (adjudication reads it) but not recorded, and every term is
        marginalised over it. The likelihood is P(t0 | state) alone, and unless t0 exceeds L the state is an MI
        when the 1 h sample or a later one does. Given the reported t0 and the state, the 1 h sample's noise and
        the later samples' shared deviation are independent draws (:meth:`sample`), so
        ``P(no MI | t0, state) = Phi(-m1) Phi(-ma)``, with ``ma`` the later samples' margin above and
        ``m1 = (z0 + mud - c) / sd1`` the 1 h one (1 h centred on the reported 0 h value, ``sd1`` its change SD;
        ``c`` is the same threshold, since the 1 h value is reported the same way).

        ``t2``, ``t3`` (reported 2 h and 3 h values, NaN where not recorded; None: none recorded): the later
        samples are ``z0 + mu_j + sa e`` with one shared ``e ~ N(0, 1)``, so each recorded value confines ``e``
        to the interval its report allows, ``[(lo_j - z0 - mu_j) / sa, (hi_j - z0 - mu_j) / sa)`` with
        ``[lo_j, hi_j)`` from :meth:`reported_interval` (below the LoD and at the reportable maximum alike), and
        together to the intersection ``[a, b)``. That adds ``log P(a <= e < b)`` to every state's likelihood
        (0 where the values cannot occur together in the state), and, for the MI split of an acute state,
        ``P(e >= tau)`` becomes ``P(e >= tau | a <= e < b)`` (``tau = -ma``: the recorded samples are among the
        ones that decide it, and a recorded value above L makes the row MI for sure). ``e`` is independent of
        the 1 h noise given t0, so a missing t1 combines with it as above. Rows without 2 h or 3 h values get
        exactly the numbers they get without these arguments.
        """
        acute, stable = np.flatnonzero(self.is_acute), np.flatnonzero(~self.is_acute)
        g0, rise_1h, rise_later, by_onset = self._curve_tables(onset)
        log_weights, by_age = self._weight_tables(age)
        tables = _TermTables(
            log_weight_acute=log_weights[1][:, acute],
            log_weight_stable=log_weights[0][:, stable],
            mud=rise_1h + self.log_ratio,
            mua_acute=rise_later[:, acute].max(axis=-1) + self.log_ratio[acute],
            mu_later=rise_later[:, :, :2] + self.log_ratio[None, :, None],
        )
        later = None
        if t2 is not None or t3 is not None:
            later = np.column_stack([np.full(len(t0), np.nan) if t is None else t for t in (t2, t3)])
            has_later = ~np.isnan(later).all(axis=1)
            if not has_later.any():
                later = None
        # The troponin likelihood depends on the row only through (t0, t1, sex, recorded onset): reported values
        # are whole ng/L, so a chunk has about a third as many distinct keys as rows. Computed once per key (a
        # missing t1 is a key of its own; so are the recorded 2 h and 3 h values, with the later samples' terms
        # computed for the keys that have them).
        unique, inverse = _unique_rows(t0, t1, male, by_onset, later)
        u_male, u_onset = unique[:, 2].astype(np.intp), unique[:, 3].astype(np.intp)
        u_mu0 = self.mu0.T[u_male] + g0[u_onset]
        u_later = None if later is None else ~np.isnan(unique[:, 4:6]).all(axis=1)

        def likelihood(rows: slice) -> tuple[np.ndarray, ...]:
            log_p = self.component_log_likelihood(
                unique[rows, 0], unique[rows, 1], u_mu0[rows], tables.mud[u_onset[rows]]
            )
            if u_later is None:
                return (log_p,)
            keys = np.flatnonzero(u_later[rows])
            log_mass, log_mi, log_not = later_sample_log_terms(
                self, tables.mu_later, tables.mua_acute, unique[rows][keys], u_onset[rows][keys]
            )
            log_p[keys] += log_mass
            return log_p, log_mi, log_not

        # Blocks whose (rows x states) arrays stay in cache: 1.3x less CPU than whole chunks.
        per_key = [
            np.concatenate(part) for part in zip(*_terms_pool().map(likelihood, _blocks(len(unique))), strict=True)
        ]
        log_dens = per_key[0]
        # Each row's position among the keys with later samples, to find its row of per_key[1:].
        later_position = None if u_later is None else np.cumsum(u_later) - 1

        def block(rows: slice) -> tuple[np.ndarray, ...]:
            later_terms = None
            if later_position is not None:
                keys = inverse[rows][u_later[inverse[rows]]]
                later_terms = (later[rows], per_key[1][later_position[keys]], per_key[2][later_position[keys]])
            return self._terms_block(
                tables,
                log_dens[inverse[rows]],
                t0[rows],
                t1[rows],
                male[rows],
                by_onset[rows],
                by_age[rows],
                ecg[rows],
                log_typical_history[rows],
                later_terms,
            )

        blocks = list(_terms_pool().map(block, _blocks(len(t0))))
        return TroponinTerms(*(np.concatenate(parts) for parts in zip(*blocks, strict=True)))

    def _terms_block(
        self,
        tables: _TermTables,
        log_troponin: np.ndarray,
        t0: np.ndarray,
        t1: np.ndarray,
        male: np.ndarray,
        by_onset: np.ndarray,
        by_age: np.ndarray,
        ecg: np.ndarray,
        log_typical_history: np.ndarray,
        later_terms: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
    ) -> tuple[np.ndarray, ...]:
        """:meth:`terms` for one block of rows, from the per-onset and per-age tables.

        ``later_terms``: the block's (2 h, 3 h) values, shape (n, 2), and for its rows with one of them, in
        order, the later samples' log P(MI) and log P(no MI) per acute state (:func:`later_sample_log_terms`).
        """
        acute, stable = np.flatnonzero(self.is_acute), np.flatnonzero(~self.is_acute)
        log_dens = log_troponin + self.log_ecg.T[ecg]
        joint_acute = tables.log_weight_acute[by_age] + log_dens[:, acute]
        joint_stable = tables.log_weight_stable[by_age] + log_dens[:, stable]
        h = self.history_like_event[stable]
        with np.errstate(divide="ignore"):
            joint_stable += np.logaddexp(np.log(h)[None, :] + log_typical_history[:, None], np.log1p(-h)[None, :])
        log_non = _logsumexp_rows(joint_stable)
        with np.errstate(divide="ignore"):
            log_non_mace = _logsumexp_rows(joint_stable + np.log(self.mace_risk[stable]))
        limit = self.adjudication_limit_for(male)
        above = np.fmax(t0, t1)  # a missing t1 (NaN) leaves t0 alone
        recorded_later = None
        if later_terms is not None:  # a recorded later value above the limit makes the state an MI too
            recorded_later = ~np.isnan(later_terms[0]).all(axis=1)
            above = np.fmax(above, np.fmax(later_terms[0][:, 0], later_terms[0][:, 1]))
        above = above > limit
        z0 = self.reported_log_excess(t0)
        threshold = np.log(limit + 0.5 - self.floor)
        margin = (z0 - threshold)[:, None] + tables.mua_acute[by_onset]
        margin /= self.s_adj[acute]
        unreported = np.isnan(t1)
        margin_1h = None
        if unreported.any():  # the unrecorded 1 h sample's own margin, centred on the reported 0 h value
            z0_u = z0[unreported][:, None]
            sd_1h = np.sqrt(self.change_variance(z0_u)[:, acute])
            margin_1h = (z0_u - threshold[unreported][:, None] + tables.mud[by_onset[unreported]][:, acute]) / sd_1h
        log_acute_mi, log_acute_not, log_acute_not_mace = _split_by_adjudication(
            joint_acute,
            margin,
            above,
            self.mace_risk[acute],
            unreported,
            margin_1h,
            recorded_later,
            None if later_terms is None else later_terms[1:],
        )
        return log_acute_mi, log_acute_not, log_non, log_acute_not_mace, log_non_mace

    def component_log_likelihood(self, t0: np.ndarray, t1: np.ndarray, mu0: np.ndarray, mud: np.ndarray) -> np.ndarray:
        """Per-state log P(reported t0, reported t1), shape (n, K): a product of two normal interval masses.

        ``P(t0) = P(z0 in the interval reported as t0)`` and, since the 1 h sample is centred on the reported 0 h
        value, ``P(t1 | t0) = P(z1 in the interval reported as t1)`` with ``z1 ~ N(z0_reported + mud, v)``. Values
        below the limit of detection and at the reportable maximum are intervals like any other. Where t1 is NaN
        (not recorded) the second factor sums to 1 over every value it could take: P(t0) alone.
        """
        lo0, hi0 = self.reported_interval(t0)
        s0 = self.s0[None, :]
        log_p = log_normal_interval((lo0[:, None] - mu0) / s0, (hi0[:, None] - mu0) / s0)
        recorded = ~np.isnan(t1)
        if not recorded.all():
            t0, t1, mud = t0[recorded], t1[recorded], mud[recorded]
        lo1, hi1 = self.reported_interval(t1)
        z0 = self.reported_log_excess(t0)[:, None]
        sd = np.sqrt(self.change_variance(z0))
        centre1 = z0 + mud
        log_1h = log_normal_interval((lo1[:, None] - centre1) / sd, (hi1[:, None] - centre1) / sd)
        if recorded.all():
            return log_p + log_1h
        log_p[recorded] += log_1h
        return log_p


@dataclass(frozen=True)
class PresentationModel:
    """Every presentation distribution, ready for sampling and for exact likelihood ratios."""

    symptoms: SymptomTable
    pain_p: np.ndarray  # (2,) by mi
    heart_rate: TruncatedNormal
    systolic_bp: TruncatedNormal
    ecg_prob: np.ndarray  # (2, 3) by acute event, ECG_FINDINGS order: defaults for states without their own
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
            troponin=TroponinMixture.from_params(p.troponin, p.onset.recall_log_sd, ecg),
        )
