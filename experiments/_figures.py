"""Figures of the results pages, one function per experiment; plotting only, every number from a result.

Figures are ``matplotlib.figure.Figure`` objects on an Agg canvas (never ``pyplot``: no global state, no
display), small (100 dpi), and every estimate is drawn with its 95% interval.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from chestpain.experiments._calibration import CalibrationResult
from chestpain.experiments._interventions import InterventionsResult
from chestpain.experiments._label_bias import GROUPS as LB_GROUPS
from chestpain.experiments._label_bias import RULES, LabelBiasResult
from chestpain.experiments._listening import ListeningResult
from chestpain.experiments._model_vs_scores import GROUPS as MS_GROUPS
from chestpain.experiments._model_vs_scores import MODEL_OWN, ModelVsScoresResult
from chestpain.experiments._pain import PainResult
from chestpain.experiments._uci_sites import POOLED, SITES, UciSitesResult
from chestpain.kernel.stats import Estimate

COLOURS = ("#1b6ca8", "#d1495b", "#2e933c", "#edae49", "#66458c", "#00798c", "#8d6a9f")
DPI = 100


def _figure(width: float, height: float, dpi: int = DPI) -> Figure:
    figure = Figure(figsize=(width, height), dpi=dpi, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def _bars(estimates: Sequence[Estimate], scale: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Values and non-negative (below, above) error-bar lengths; undefined bounds draw no bar."""
    values = np.array([e.value for e in estimates], dtype=np.float64) * scale
    low = np.array([e.ci_low for e in estimates], dtype=np.float64) * scale
    high = np.array([e.ci_high for e in estimates], dtype=np.float64) * scale
    below = np.where(np.isfinite(low), values - low, 0.0)
    above = np.where(np.isfinite(high), high - values, 0.0)
    return values, np.vstack([np.clip(below, 0, None), np.clip(above, 0, None)])


def _forest(ax: Axes, labels: Sequence[str], series: dict[str, Sequence[Estimate]], scale: float = 1.0) -> None:
    """Horizontal point-and-interval chart: one row per label, one offset marker per series."""
    y = np.arange(len(labels))[::-1].astype(np.float64)
    width = 0.6 / max(len(series), 1)
    for k, (name, estimates) in enumerate(series.items()):
        values, err = _bars(estimates, scale)
        offset = (k - (len(series) - 1) / 2) * width
        ax.errorbar(values, y + offset, xerr=err, fmt="o", ms=4, capsize=2, color=COLOURS[k], label=name)
    ax.set_yticks(y, labels)
    ax.grid(axis="x", alpha=0.3)


def calibration_figure(result: CalibrationResult) -> Figure:
    """Each target's tested range (shaded) and every scenario's simulated value with its CI."""
    n = len(result.targets)
    columns = 5
    rows = math.ceil(n / columns)
    # 90 dpi: the 48 panels stay under the 400 KB a results figure may weigh (at 100 dpi they did not).
    figure = _figure(12, 2.4 * rows, dpi=90)
    axes = figure.subplots(rows, columns, squeeze=False).ravel()
    names = [s.scenario for s in result.scenarios]
    for ax, target in zip(axes, result.targets, strict=False):
        if not target.reported_only:
            ax.axhspan(target.low, target.high, color="#cccccc", alpha=0.6, lw=0)
        for k, scenario in enumerate(result.scenarios):
            values, err = _bars([scenario.estimates[target.key]])
            ax.errorbar([k], values, yerr=err, fmt="o", ms=5, capsize=3, color=COLOURS[k])
        ax.set_xticks(range(len(names)), names, fontsize=8)
        ax.set_xlim(-0.6, len(names) - 0.4)
        ax.set_title("\n".join(textwrap.wrap(target.quantity, 28)), fontsize=8)
        ax.tick_params(axis="y", labelsize=7)
    for ax in axes[n:]:
        ax.set_visible(False)
    figure.suptitle("Simulated value (95% CI) against each target's tested range (grey)", fontsize=10)
    return figure


def listening_figure(result: ListeningResult) -> Figure:
    """Odds ratio (top) and missed-MI rates (bottom) against time to interruption, per ask_atypical level."""
    variants = result.variants
    figure = _figure(5.2 * len(variants), 7)
    axes = figure.subplots(2, len(variants), squeeze=False, sharex=True)
    asks = sorted({c.ask_atypical for c in result.cells})
    for j, variant in enumerate(variants):
        top, bottom = axes[0, j], axes[1, j]
        for k, ask in enumerate(asks):
            cells = sorted(
                (c for c in result.cells if c.variant == variant and c.ask_atypical == ask),
                key=lambda c: c.median_seconds,
            )
            x = np.array([c.median_seconds for c in cells])
            odds = np.array([[c.odds_ratio.value, c.odds_ratio.ci_low, c.odds_ratio.ci_high] for c in cells])
            top.plot(x, odds[:, 0], "o-", ms=3, color=COLOURS[k], label=f"ask atypical {ask:.2f}")
            top.fill_between(x, odds[:, 1], odds[:, 2], color=COLOURS[k], alpha=0.15, lw=0)
            young = np.array([c.missed_young_women.value for c in cells]) * 100
            rest = np.array([c.missed_rest.value for c in cells]) * 100
            bottom.plot(x, young, "o-", ms=3, color=COLOURS[k], label=f"women <55, ask {ask:.2f}")
            bottom.plot(x, rest, "s--", ms=3, color=COLOURS[k], alpha=0.7, label=f"everyone else, ask {ask:.2f}")
        top.axhline(result.reference.odds_ratio.value, color="black", ls=":", lw=1, label="no-bias scenario")
        top.axvline(result.scenario_median, color="grey", lw=0.8, alpha=0.6)
        bottom.axvline(result.scenario_median, color="grey", lw=0.8, alpha=0.6)
        top.set_xscale("log")
        top.set_title(variant, fontsize=10)
        top.set_ylabel("OR missed MI, women <55 vs rest")
        bottom.set_ylabel("missed MI (% of MI)")
        bottom.set_xlabel("median seconds to interruption (log scale)")
        ticks = sorted({c.median_seconds for c in result.cells})
        bottom.set_xticks(ticks, [f"{t:g}" for t in ticks])
        bottom.minorticks_off()
        top.legend(fontsize=7)
        bottom.legend(fontsize=6, ncol=2)
        for ax in (top, bottom):
            ax.grid(alpha=0.3)
    return figure


def interventions_figure(result: InterventionsResult) -> Figure:
    """Missed MI by sex and by race per arm, and admissions added per missed MI prevented."""
    labels = ["\n".join(textwrap.wrap(a.name, 30)) for a in result.arms]
    figure = _figure(13, 0.45 * len(labels) + 1.6)
    by_sex, by_race, cost = figure.subplots(1, 3, sharey=True)
    _forest(by_sex, labels, {g: [a.missed[g] for a in result.arms] for g in ("female", "male")}, 100)
    by_sex.set_xlabel("missed MI (% of MI), by sex")
    by_sex.legend(fontsize=7)
    _forest(by_race, labels, {g: [a.missed[g] for a in result.arms] for g in ("white", "non-white")}, 100)
    by_race.set_xlabel("missed MI (% of MI), by race")
    by_race.legend(fontsize=7)
    ratios = [a.admissions_per_prevented for a in result.arms]
    finite = [
        Estimate(e.value, e.ci_low, e.ci_high) if e.value > 0 else Estimate(math.nan, math.nan, math.nan)
        for e in ratios
    ]
    _forest(cost, labels, {"admissions added per missed MI prevented": finite})
    if any(math.isfinite(e.value) for e in finite):
        cost.set_xscale("log")
    cost.set_xlabel("admissions added per missed MI prevented (log)")
    return figure


def label_bias_figure(result: LabelBiasResult) -> Figure:
    """Women's and men's FNR against the truth per rule (seeds as dots, mean as bar), and AUROC by sex."""
    figure = _figure(12, 4.2)
    fnr_ax, auc_ax = figure.subplots(1, 2, width_ratios=[1.6, 1])
    labels = ["\n".join(textwrap.wrap(rule.text, 26)) for rule in RULES]
    x = np.arange(len(RULES), dtype=np.float64)
    for k, group in enumerate(("female", "male")):
        offset = (k - 0.5) * 0.3
        for i, rule in enumerate(RULES):
            values = result.values(rule.key, "fnr", group) * 100
            fnr_ax.scatter(np.full(values.size, x[i] + offset), values, s=10, color=COLOURS[k], alpha=0.6)
            fnr_ax.hlines(values.mean(), x[i] + offset - 0.12, x[i] + offset + 0.12, color=COLOURS[k], lw=2)
        fnr_ax.scatter([], [], color=COLOURS[k], label=f"{group} (dots: seeds; bar: mean)")
    fnr_ax.set_xticks(x, labels, fontsize=7)
    fnr_ax.set_ylabel("missed MI among true MI (FNR, %)")
    fnr_ax.set_title("False-negative rate against adjudicated MI", fontsize=10)
    fnr_ax.legend(fontsize=7)
    fnr_ax.grid(axis="y", alpha=0.3)
    groups = [g for g in LB_GROUPS if g != "overall"]
    for k, group in enumerate(groups):
        for i, rule in enumerate(("truth", "chart")):
            values = result.values(rule, "auroc", group)
            position = k * 2.5 + i
            auc_ax.scatter(np.full(values.size, position), values, s=10, color=COLOURS[i], alpha=0.6)
            auc_ax.hlines(values.mean(), position - 0.25, position + 0.25, color=COLOURS[i], lw=2)
    auc_ax.set_xticks([0.5, 3.0], groups)
    auc_ax.scatter([], [], color=COLOURS[0], label="trained on mi")
    auc_ax.scatter([], [], color=COLOURS[1], label="trained on diagnosed_mi")
    auc_ax.set_ylabel("AUROC against mi")
    auc_ax.set_title("AUROC barely moves", fontsize=10)
    auc_ax.legend(fontsize=7)
    auc_ax.grid(axis="y", alpha=0.3)
    return figure


def pain_figure(result: PainResult) -> Figure:
    """Analgesia rate by pain score and race per scenario, and the Black/white risk ratio by pain score."""
    figure = _figure(11, 4)
    rates, ratios = figure.subplots(1, 2)
    styles = ("-", "--")
    for s, scenario in enumerate(result.scenarios):
        for k, race in enumerate(("white", "black", "hispanic")):
            scores = [p for p in range(11) if scenario.n[(race, p)] >= 30]
            values, _ = _bars([scenario.rate[(race, p)] for p in scores], 100)
            rates.plot(scores, values, styles[s], color=COLOURS[k], label=f"{race}, {scenario.name}", lw=1.5)
        points = sorted(scenario.rr_black_by_pain)
        values, err = _bars([scenario.rr_black_by_pain[p] for p in points])
        ratios.errorbar(
            np.array(points) + 0.1 * s,
            values,
            yerr=err,
            fmt="o" + styles[s],
            ms=4,
            capsize=2,
            color=COLOURS[s + 3],
            label=scenario.name,
        )
    rates.axvline(result.pain_threshold - 0.5, color="grey", lw=0.8, alpha=0.6)
    rates.set_xlabel("pain score (0-10)")
    rates.set_ylabel("any analgesia in the ED (%)")
    rates.legend(fontsize=7)
    rates.grid(alpha=0.3)
    ratios.axhline(1.0, color="black", lw=0.8)
    ratios.axhline(0.78, color="grey", ls=":", lw=1, label="seed: 22% less likely")
    ratios.set_xlabel("pain score")
    ratios.set_ylabel("risk ratio of analgesia, Black vs white")
    ratios.legend(fontsize=7)
    ratios.grid(alpha=0.3)
    return figure


def uci_figure(result: UciSitesResult) -> Figure:
    """AUROC and calibration in the large (predicted - observed) by held-out site and sex, per model."""
    sites = [*SITES, POOLED]
    labels = [f"{site} / {group}" for site in sites for group in ("overall", "female", "male")]
    figure = _figure(11, 0.3 * len(labels) + 1.4)
    auc_ax, cal_ax = figure.subplots(1, 2, sharey=True)
    auroc, calibration = {}, {}
    for model in result.models:
        rows = [result.row(model, site, group) for site in sites for group in ("overall", "female", "male")]
        auroc[model] = [r.auroc for r in rows]
        calibration[model] = [
            Estimate(r.predicted - r.observed.value, r.predicted - r.observed.ci_high, r.predicted - r.observed.ci_low)
            for r in rows
        ]
    _forest(auc_ax, labels, auroc)
    auc_ax.axvline(0.5, color="black", lw=0.8)
    auc_ax.set_xlabel("AUROC for cad on the held-out site")
    auc_ax.legend(fontsize=7)
    _forest(cal_ax, labels, calibration, 100)
    cal_ax.axvline(0.0, color="black", lw=0.8)
    cal_ax.set_xlabel("mean predicted - observed CAD rate (points)")
    auc_ax.tick_params(axis="y", labelsize=7)
    return figure


def model_vs_scores_figure(result: ModelVsScoresResult) -> Figure:
    """Rule-out fraction against sensitivity: model and oracle curves, clinical scores as points."""
    figure = _figure(13, 4.2)
    axes = figure.subplots(1, len(MS_GROUPS), sharey=True)
    markers = {"HEART": "s", "ESC": "D", "single-sample": "^"}
    for ax, group in zip(axes, MS_GROUPS, strict=True):
        for k, rule in enumerate((result.model_at, result.oracle_at)):
            curve = next(c for c in result.curves if c.rule == rule and c.group == group)
            name = rule.split(" at ")[0]
            ax.plot(curve.sensitivity * 100, curve.rule_out * 100, color=COLOURS[k], label=f"{name} (test split)")
        for rule in result.rules:
            if rule in (result.model_at, result.oracle_at):
                continue
            point = result.point(rule, group)
            sens, sens_err = _bars([point.sensitivity], 100)
            rule_out, out_err = _bars([point.rule_out], 100)
            marker = next((m for key, m in markers.items() if rule.startswith(key)), "o")
            if rule.startswith("model"):  # the shipped flag, and the MI question's own flag (issue 25)
                colour, marker = COLOURS[0], ("o" if rule == MODEL_OWN else "v")
            else:
                colour = COLOURS[2 + list(markers).index(rule.split(" ")[0])]
            ax.errorbar(
                sens, rule_out, xerr=sens_err, yerr=out_err, fmt=marker, ms=5, capsize=2, color=colour, label=rule
            )
        ax.axvline(result.target * 100, color="grey", ls=":", lw=1)
        lowest = min(result.point(rule, group).sensitivity.ci_low for rule in result.rules)
        ax.set_xlim(min(95.0, math.floor(lowest * 100 - 0.5)), 100.2)
        ax.set_title(f"{group} (n={result.point(MODEL_OWN, group).n:,})", fontsize=10)
        ax.set_xlabel("sensitivity for MI (%)")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("rule-out fraction (% sent home)")
    axes[0].legend(fontsize=7)
    return figure
