"""The calibration table: each DESIGN.md target, its source, and the simulated value with a 95% CI.

The summary is accumulated chunk by chunk from counts and fine histograms, so it costs bounded memory however
many rows are simulated. Intervals are analytic: Wilson for proportions, Woolf for odds ratios, Katz for risk
ratios, order statistics for the median and Hanley & McNeil (1982) for the AUROC.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from chestpain.features import TroponinPolicy, esc_0_1h_codes, esc_0_2h, heart_score, troponin_upper_limit
from chestpain.features.columns import DOCUMENTED_SYMPTOM_COLUMNS, RISK_FACTORS
from chestpain.kernel.stats import NAN_ESTIMATE, Z95, Estimate, hanley_mcneil, newcombe, wilson
from chestpain.simulation._targets import TARGETS, Target  # noqa: F401 (Target: part of this module's surface)

_LOGIT_EDGES = np.linspace(-30.0, 30.0, 30_001)  # 0.002 logit units: binning error on the AUROC is negligible
_SECONDS_EDGES = np.linspace(0.0, 2_000.0, 200_001)  # 0.01 s


def odds_ratio(a: float, b: float, c: float, d: float) -> Estimate:
    """OR of (a events, b non-events) vs (c events, d non-events), Woolf interval; 0.5 added if a cell is 0."""
    if min(a, b, c, d) == 0:
        a, b, c, d = a + 0.5, b + 0.5, c + 0.5, d + 0.5
    log_or = math.log(a * d / (b * c))
    se = math.sqrt(1 / a + 1 / b + 1 / c + 1 / d)
    return Estimate(math.exp(log_or), math.exp(log_or - Z95 * se), math.exp(log_or + Z95 * se))


def risk_ratio(a: float, n1: float, c: float, n0: float) -> Estimate:
    """Risk ratio (a / n1) / (c / n0) with the Katz log interval."""
    if min(a, c) == 0 or min(n1, n0) == 0:
        return NAN_ESTIMATE
    log_rr = math.log((a / n1) / (c / n0))
    se = math.sqrt(1 / a - 1 / n1 + 1 / c - 1 / n0)
    return Estimate(math.exp(log_rr), math.exp(log_rr - Z95 * se), math.exp(log_rr + Z95 * se))


def auroc_from_histograms(positive: np.ndarray, negative: np.ndarray) -> Estimate:
    """AUROC from score histograms (ties within a bin count one half), Hanley & McNeil (1982) interval."""
    n_pos, n_neg = positive.sum(), negative.sum()
    if n_pos == 0 or n_neg == 0:
        return NAN_ESTIMATE
    below = np.cumsum(negative) - negative
    auc = float((positive * (below + 0.5 * negative)).sum() / (n_pos * n_neg))
    return hanley_mcneil(auc, n_pos, n_neg)


def median_from_histogram(counts: np.ndarray, edges: np.ndarray) -> Estimate:
    """Median with the distribution-free order-statistic interval (ranks n/2 +- 1.96 sqrt(n)/2)."""
    return quantile_from_histogram(counts, edges, 0.5)


def quantile_from_histogram(counts: np.ndarray, edges: np.ndarray, q: float) -> Estimate:
    """Quantile q with the distribution-free order-statistic interval (ranks nq +- 1.96 sqrt(n q (1 - q)))."""
    n = counts.sum()
    if n == 0:
        return NAN_ESTIMATE
    cumulative = np.cumsum(counts)

    def quantile_at(rank: float) -> float:
        i = int(np.searchsorted(cumulative, min(max(rank, 1), n)))
        before = cumulative[i] - counts[i]
        fraction = (rank - before) / counts[i] if counts[i] else 0.5
        return float(edges[i] + (edges[i + 1] - edges[i]) * min(max(fraction, 0.0), 1.0))

    half_width = Z95 * math.sqrt(n * q * (1 - q))
    return Estimate(quantile_at(n * q), quantile_at(n * q - half_width), quantile_at(n * q + half_width))


def _scaled(e: Estimate, factor: float) -> Estimate:
    return Estimate(e.value * factor, e.ci_low * factor, e.ci_high * factor)


def _difference_points(a: float, n1: float, b: float, n0: float) -> Estimate:
    """Difference of two proportions in percentage points (Newcombe's interval, ``kernel.stats.newcombe``)."""
    return _scaled(newcombe(a, n1, b, n0), 100.0)


def grid_searchsorted(edges: np.ndarray, values: np.ndarray, side: str = "left") -> np.ndarray:
    """``np.searchsorted(edges, values, side)`` for evenly spaced ``edges`` (``np.linspace``), identical results.

    Hand-written because the library call bisects (O(log k) per value) and took most of the per-chunk tally on
    the 30,001- and 200,001-edge grids here; an arithmetic guess corrected by one step against the actual edges
    costs O(1) per value (tests/test_cli_start_simulate.py checks it against ``np.searchsorted``).
    """
    n = len(edges)
    with np.errstate(invalid="ignore"):
        guess = np.floor((values - edges[0]) / (edges[1] - edges[0])) + 1
    index = np.clip(np.nan_to_num(guess, nan=n), 0, n).astype(np.intp)
    below = edges[np.maximum(index - 1, 0)]
    above = edges[np.minimum(index, n - 1)]
    if side == "right":  # index = number of edges <= value
        index -= (index > 0) & (below > values)
        index += (index < n) & (above <= values)
    else:  # index = number of edges < value
        index -= (index > 0) & (below >= values)
        index += (index < n) & (above < values)
    index[np.isnan(values)] = n  # where np.searchsorted sorts NaN
    return index


def _bool(table: pa.Table, name: str) -> np.ndarray:
    return table.column(name).to_numpy()


def _is(table: pa.Table, name: str, value: str) -> np.ndarray:
    return pc.equal(table.column(name), value).to_numpy(zero_copy_only=False)


@dataclass(frozen=True)
class _Pathway:
    """One chunk's troponin samples, onset, ESC 0/1 h codes, sex-specific limits and HEART 0-3 mask."""

    t0: np.ndarray
    t1: np.ndarray
    onset: np.ndarray
    esc: np.ndarray
    limit: np.ndarray
    heart_low: np.ndarray


class CalibrationSummary:
    """Accumulates, chunk by chunk, the counts behind every row of the calibration table."""

    def __init__(self) -> None:
        self.counts: dict[str, float] = {}
        self.oracle_hist = np.zeros((2, len(_LOGIT_EDGES) + 1), dtype=np.int64)
        self.seconds_hist = np.zeros(len(_SECONDS_EDGES) - 1, dtype=np.int64)
        self.max_seconds = 0.0

    def _add(self, key: str, mask: np.ndarray) -> None:
        self.counts[key] = self.counts.get(key, 0) + int(np.count_nonzero(mask))

    def _add_2x2(self, key: str, exposed: np.ndarray, event: np.ndarray, population: np.ndarray) -> None:
        self._add(f"{key}:a", population & exposed & event)
        self._add(f"{key}:b", population & exposed & ~event)
        self._add(f"{key}:c", population & ~exposed & event)
        self._add(f"{key}:d", population & ~exposed & ~event)

    def update(self, table: pa.Table) -> None:
        """Add one chunk of the cohort table."""
        n = table.num_rows
        mi = _bool(table, "mi")
        missed = _bool(table, "missed_mi")
        female = _is(table, "sex", "female")
        white = _is(table, "race", "white")
        young_women = female & (table.column("age").to_numpy() < 55)
        self._add("n", np.ones(n, bool))
        self._add("mi", mi)
        self._add("female", female)
        self._add("missed", missed)
        self._add_2x2("young_women", young_women, missed, mi)
        self._add_2x2("nonwhite", ~white, missed, mi)
        dyspnea_led = _bool(table, "sx_dyspnea") & ~_bool(table, "sx_chest_pain")
        self._add_2x2("dyspnea", dyspnea_led, missed, mi)
        self._add_2x2("ecg", ~_is(table, "ecg", "ischemic"), missed, mi)
        in_pain = table.column("pain_score").to_numpy() >= 4
        treated = _bool(table, "analgesia_given")
        black = _is(table, "race", "black")
        self._add("pain_black", in_pain & black)
        self._add("pain_black_treated", in_pain & black & treated)
        self._add("pain_white", in_pain & white)
        self._add("pain_white_treated", in_pain & white & treated)
        # The troponin, pathway, score, physiology and outcome rows are figures of EDs running the 0/1 h pathway
        # (where their sources measured them): counted on the visits whose record holds the 1 h sample. The site
        # is drawn independently of the patient (``Sampling``), so these visits are a random subset.
        site = table.filter(pc.is_valid(table.column("troponin_1h_ng_l")))
        mi_site, female_site = _bool(site, "mi"), _is(site, "sex", "female")
        self._add("n_1h", np.ones(site.num_rows, bool))
        oracle = np.clip(site.column("oracle_mi_probability").to_numpy(), 1e-300, 1 - 1e-16)
        bins = grid_searchsorted(_LOGIT_EDGES, np.log(oracle) - np.log1p(-oracle))
        for label in (0, 1):
            self.oracle_hist[label] += np.bincount(bins[mi_site == bool(label)], minlength=self.oracle_hist.shape[1])
        self._update_physiology(site, mi_site, female_site, self._update_pathway(site, mi_site, female_site))
        # ESC 0/2 h (checked rows): the 0/2 h sites' visits, whose record holds 2 h and no 1 h sample.
        t1_missing = pc.is_null(table.column("troponin_1h_ng_l"))
        self._update_0_2h(table.filter(pc.and_(t1_missing, pc.is_valid(table.column("troponin_2h_ng_l")))))
        seconds = table.column("interrupt_seconds").to_numpy()
        self.max_seconds = max(self.max_seconds, float(seconds.max(initial=0.0)))
        seconds = np.clip(seconds, 0, _SECONDS_EDGES[-1] - 1e-9)
        self.seconds_hist += np.bincount(
            grid_searchsorted(_SECONDS_EDGES, seconds, side="right") - 1, minlength=len(self.seconds_hist)
        )

    def _update_0_2h(self, site: pa.Table) -> None:
        """Counts behind the ESC 0/2 h rows: the 0/2 h sites' visits (0 h and 2 h, no 1 h sample)."""
        onset = site.column("symptom_onset_hours").to_numpy()
        esc = esc_0_2h(site.column("troponin_0h_ng_l").to_numpy(), site.column("troponin_2h_ng_l").to_numpy(), onset)
        mi = _bool(site, "mi")
        self._add("n_0_2h", np.ones(site.num_rows, bool))
        self._add("esc_0_2h_rule_out", esc == "rule-out")
        self._add("mi_0_2h", mi)
        self._add("mi_0_2h_not_ruled_out", mi & (esc != "rule-out"))

    def _update_pathway(self, table: pa.Table, mi: np.ndarray, female: np.ndarray) -> _Pathway:
        """Counts behind the troponin, score, pathway and outcome rows; returns what the physiology rows reuse."""
        t0 = table.column("troponin_0h_ng_l").to_numpy()
        t1 = table.column("troponin_1h_ng_l").to_numpy()
        onset = table.column("symptom_onset_hours").to_numpy()
        esc = esc_0_1h_codes(t0, t1, onset)
        rule_out, rule_in = esc == 0, esc == 2
        for name, group in (("all", np.ones_like(mi)), ("women", female), ("men", ~female)):
            self._add(f"mi_{name}", mi & group)
            self._add(f"mi_esc_not_ruled_out_{name}", mi & group & ~rule_out)
        self._add("esc_rule_out", rule_out)
        self._add("esc_rule_out_no_mi", rule_out & ~mi)
        self._add("esc_rule_in", rule_in)
        self._add("esc_rule_in_mi", rule_in & mi)
        self._add("no_mi", ~mi)
        self._add("no_mi_change_6", ~mi & (np.abs(t1 - t0) >= 6.0))
        self._add("mi_t0_5", mi & (t0 >= 5.0))
        limit = troponin_upper_limit(np.where(female, "female", "male"), TroponinPolicy.sex_specific)
        self._add("mi_above_99th", mi & (np.maximum(t0, t1) > limit))
        columns = ["age", "sex", "ecg", "troponin_0h_ng_l", *RISK_FACTORS, *DOCUMENTED_SYMPTOM_COLUMNS]
        heart = heart_score(
            table.select(columns).to_pandas(), troponin_policy=TroponinPolicy.universal, symptom_source="doc"
        )
        low = heart["heart_score"].to_numpy() <= 3
        self._add("heart_low", low)
        self._add("mi_heart_not_low", mi & ~low)
        discharged = _bool(table, "discharged")
        for name, group in (("women", female), ("men", ~female)):
            self._add(f"no_mi_{name}", ~mi & group)
            self._add(f"no_mi_admitted_{name}", ~mi & group & ~discharged)
        outcome = _bool(table, "outcome_30d")
        missed = _bool(table, "missed_mi")
        self._add("discharged", discharged)
        self._add("discharged_outcome", discharged & outcome)
        self._add("missed_1h", missed)
        self._add("missed_outcome", missed & outcome)
        self._add("treated_mi", mi & ~missed)
        self._add("treated_mi_outcome", mi & ~missed & outcome)
        return _Pathway(t0, t1, onset, esc, limit, low)

    def _update_physiology(self, table: pa.Table, mi: np.ndarray, female: np.ndarray, pathway: _Pathway) -> None:
        """Counts behind the early-presenter, non-MI troponin, ECG, history and outcome rows (issue 24)."""
        t0, t1, esc, limit = pathway.t0, pathway.t1, pathway.esc, pathway.limit
        early = pathway.onset <= 3.0
        for name, group in (("early", early), ("late", ~early)):
            self._add(f"mi_{name}", mi & group)
            self._add(f"mi_{name}_above_99th_0h", mi & group & (t0 > limit))
        self._add("mi_early_t0_5", mi & early & (t0 >= 5.0))
        self._add("esc_observe", esc == 1)
        self._add("esc_observe_mi", (esc == 1) & mi)
        for name, group in (("women", female), ("men", ~female)):
            self._add(f"mi_early_{name}", mi & early & group)
            self._add(f"mi_early_{name}_not_ruled_out", mi & early & group & (esc != 0))
        above = np.maximum(t0, t1) > limit
        age = table.column("age").to_numpy()
        for name, group in (
            ("women", female),
            ("men", ~female),
            ("under_50", age < 50),
            ("50_74", (age >= 50) & (age < 75)),
            ("75_up", age >= 75),
        ):
            self._add(f"nonmi_{name}", ~mi & group)
            self._add(f"nonmi_{name}_above", ~mi & group & above)
        for finding in ("normal", "ischemic"):
            ecg = _is(table, "ecg", finding)
            self._add(f"mi_ecg_{finding}", mi & ecg)
            self._add(f"nonmi_ecg_{finding}", ~mi & ecg)
        male = ~female
        for key, column, group in (
            ("pleuritic", "sx_pleuritic", None),
            ("positional", "sx_positional", None),
            ("palpation", "sx_reproducible_by_palpation", None),
            ("exertional_men", "sx_exertional", male),
            ("radiation_men", "sx_radiation", male),
        ):
            present = _bool(table, column) if group is None else _bool(table, column) & group
            population = np.ones_like(mi) if group is None else group
            self._add(f"lr_{key}_mi", mi & present)
            self._add(f"lr_{key}_mi_n", mi & population)
            self._add(f"lr_{key}_nonmi", ~mi & present)
            self._add(f"lr_{key}_nonmi_n", ~mi & population)
        self._add("unstable_angina", _bool(table, "unstable_angina"))
        self._add("heart_low_mace", pathway.heart_low & _bool(table, "mace_30d"))

    def _lr(self, key: str) -> Estimate:
        c = self.counts
        return risk_ratio(c[f"lr_{key}_mi"], c[f"lr_{key}_mi_n"], c[f"lr_{key}_nonmi"], c[f"lr_{key}_nonmi_n"])

    def _physiology_estimates(self) -> dict[str, Estimate]:
        c = self.counts
        return {
            "early_mi_above_99th_0h": wilson(c["mi_early_above_99th_0h"], c["mi_early"]),
            "late_mi_above_99th_0h": wilson(c["mi_late_above_99th_0h"], c["mi_late"]),
            "early_mi_t0_5": wilson(c["mi_early_t0_5"], c["mi_early"]),
            "esc_early_sensitivity_women": wilson(c["mi_early_women_not_ruled_out"], c["mi_early_women"]),
            "esc_early_sensitivity_men": wilson(c["mi_early_men_not_ruled_out"], c["mi_early_men"]),
            "esc_observe_share": wilson(c["esc_observe"], c["n_1h"]),
            "esc_observe_mi": wilson(c["esc_observe_mi"], c["esc_observe"]),
            "nonmi_above_99th_women_vs_men": risk_ratio(
                c["nonmi_women_above"], c["nonmi_women"], c["nonmi_men_above"], c["nonmi_men"]
            ),
            "nonmi_above_99th_under_50": wilson(c["nonmi_under_50_above"], c["nonmi_under_50"]),
            "nonmi_above_99th_50_74": wilson(c["nonmi_50_74_above"], c["nonmi_50_74"]),
            "nonmi_above_99th_75_up": wilson(c["nonmi_75_up_above"], c["nonmi_75_up"]),
            "mi_normal_ecg": wilson(c["mi_ecg_normal"], c["mi_all"]),
            "ischemic_ecg_lr": risk_ratio(c["mi_ecg_ischemic"], c["mi_all"], c["nonmi_ecg_ischemic"], c["no_mi"]),
            "normal_ecg_lr": risk_ratio(c["mi_ecg_normal"], c["mi_all"], c["nonmi_ecg_normal"], c["no_mi"]),
            "pleuritic_lr": self._lr("pleuritic"),
            "positional_lr": self._lr("positional"),
            "palpation_lr": self._lr("palpation"),
            "exertional_lr_men": self._lr("exertional_men"),
            "radiation_lr_men": self._lr("radiation_men"),
            "unstable_angina_share": wilson(c["unstable_angina"], c["n_1h"]),
            "esc_0_2h_rule_out_share": wilson(c.get("esc_0_2h_rule_out", 0), c.get("n_0_2h", 0)),
            "esc_0_2h_sensitivity": wilson(c.get("mi_0_2h_not_ruled_out", 0), c.get("mi_0_2h", 0)),
            "heart_low_mace": wilson(c["heart_low_mace"], c["heart_low"]),
            "interruption_q1": quantile_from_histogram(self.seconds_hist, _SECONDS_EDGES, 0.25),
            "interruption_q3": quantile_from_histogram(self.seconds_hist, _SECONDS_EDGES, 0.75),
            "interruption_max": Estimate(self.max_seconds, self.max_seconds, self.max_seconds),
        }

    def _or(self, key: str) -> Estimate:
        c = self.counts
        return odds_ratio(c[f"{key}:a"], c[f"{key}:b"], c[f"{key}:c"], c[f"{key}:d"])

    def estimates(self) -> dict[str, Estimate]:
        """Every target's simulated value, keyed like :data:`TARGETS`."""
        c = self.counts
        return {
            "mi_prevalence": wilson(c["mi"], c["n"]),
            "female_share": wilson(c["female"], c["n"]),
            "missed_share": wilson(c["missed"], c["mi"]),
            "or_young_women": self._or("young_women"),
            "or_nonwhite": self._or("nonwhite"),
            "or_dyspnea": self._or("dyspnea"),
            "or_nondiagnostic_ecg": self._or("ecg"),
            "analgesia_rr_black": risk_ratio(
                c["pain_black_treated"], c["pain_black"], c["pain_white_treated"], c["pain_white"]
            ),
            "median_interruption": median_from_histogram(self.seconds_hist, _SECONDS_EDGES),
            "oracle_auroc": auroc_from_histograms(self.oracle_hist[1], self.oracle_hist[0]),
            "esc_rule_out_sensitivity": wilson(c["mi_esc_not_ruled_out_all"], c["mi_all"]),
            "esc_rule_out_sensitivity_women": wilson(c["mi_esc_not_ruled_out_women"], c["mi_women"]),
            "esc_rule_out_sensitivity_men": wilson(c["mi_esc_not_ruled_out_men"], c["mi_men"]),
            "esc_rule_out_npv": wilson(c["esc_rule_out_no_mi"], c["esc_rule_out"]),
            "esc_rule_out_share": wilson(c["esc_rule_out"], c["n_1h"]),
            "esc_rule_in_ppv": wilson(c["esc_rule_in_mi"], c["esc_rule_in"]),
            "nonmi_change_6": wilson(c["no_mi_change_6"], c["no_mi"]),
            "t0_below_5_sensitivity": wilson(c["mi_t0_5"], c["mi_all"]),
            "mi_above_99th_0_1h": wilson(c["mi_above_99th"], c["mi_all"]),
            "heart_low_share": wilson(c["heart_low"], c["n_1h"]),
            "heart_low_sensitivity": wilson(c["mi_heart_not_low"], c["mi_all"]),
            "nonmi_admitted": wilson(c["no_mi_admitted_women"] + c["no_mi_admitted_men"], c["no_mi"]),
            "nonmi_admitted_sex_gap": _difference_points(
                c["no_mi_admitted_men"], c["no_mi_men"], c["no_mi_admitted_women"], c["no_mi_women"]
            ),
            "harm_per_1000_discharges": _scaled(wilson(c["discharged_outcome"], c["discharged"]), 1000.0),
            "missed_vs_treated_outcome_rr": risk_ratio(
                c["missed_outcome"], c["missed_1h"], c["treated_mi_outcome"], c["treated_mi"]
            ),
            **self._physiology_estimates(),
        }

    def rows(self) -> list[dict[str, object]]:
        """Table rows: quantity, target, source, value, CI and whether the value lies in the target range."""
        estimates = self.estimates()
        rows = []
        for target in TARGETS:
            e = estimates[target.key]
            rows.append(
                {
                    "key": target.key,
                    "quantity": target.quantity,
                    "target": target.target,
                    "range": (target.low, target.high),
                    "source": target.source,
                    "value": e.value,
                    "ci_low": e.ci_low,
                    "ci_high": e.ci_high,
                    "within_range": bool(target.low <= e.value <= target.high),
                    "reported_only": target.reported_only,
                }
            )
        return rows


def summarize(tables: list[pa.Table] | pa.Table) -> CalibrationSummary:
    """Calibration summary of an in-memory cohort table (or list of chunks)."""
    summary = CalibrationSummary()
    for table in tables if isinstance(tables, list) else [tables]:
        summary.update(table)
    return summary
