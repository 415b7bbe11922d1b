"""The label-bias study's results page: chart-label against adjudicated-label models, over seeds and paired."""

from __future__ import annotations

import numpy as np

from chestpain.experiments._config import LabelBiasConfig
from chestpain.experiments._figures import label_bias_figure
from chestpain.experiments._label_bias import RULES, LabelBiasResult, SeedSpread
from chestpain.experiments._page_parts import _figure_link, _page
from chestpain.experiments._report import Page, est, fmt, table


def _spread(s: SeedSpread, digits: int = 2, *, percent: bool = True, points: bool = False) -> str:
    """Mean (t 95% CI over seeds); SD; range, in percent (or percentage points) unless ``percent=False``."""
    scale = 100 if percent or points else 1
    return (
        f"{est(s.mean, digits, percent=percent and not points, points=points)}; SD {fmt(s.sd * scale, digits)}; "
        f"{fmt(s.low * scale, digits)} to {fmt(s.high * scale, digits)}"
    )


def render_label_bias(result: LabelBiasResult, config: LabelBiasConfig) -> Page:
    """Mean and spread over seeds, paired differences, and the per-seed audits."""
    k = len(result.seeds)
    summary_rows = []
    for rule in RULES:
        summary_rows.append(
            [
                rule.text,
                _spread(result.spread(rule.key, "fnr", "female")),
                _spread(result.spread(rule.key, "fnr", "male")),
                _spread(result.gap(rule.key), points=True),
                _spread(result.spread(rule.key, "rule_out", "female"), 1),
                _spread(result.spread(rule.key, "rule_out", "male"), 1),
            ]
        )
    auroc_rows = [
        [
            rule.text,
            _spread(result.spread(rule.key, "auroc", "female"), 4, percent=False),
            _spread(result.spread(rule.key, "auroc", "male"), 4, percent=False),
        ]
        for rule in RULES
        if rule.per_sex_on is None
    ]
    paired_rows = []
    for rule in RULES[1:]:
        paired_rows.append(
            [
                rule.text,
                est(result.paired(rule.key, "truth", "fnr", "female").mean, 2, points=True),
                est(result.paired(rule.key, "truth", "fnr", "male").mean, 2, points=True),
                est(result.paired(rule.key, "truth", "rule_out", "female").mean, 1, points=True),
                est(result.paired(rule.key, "truth", "auroc", "female").mean, 4),
            ]
        )
    detail_rows = []
    for audit in sorted(
        result.audits, key=lambda a: (result.seeds.index(a.seed), [r.key for r in RULES].index(a.rule))
    ):
        text = next(r.text for r in RULES if r.key == audit.rule)
        detail_rows.append(
            [
                audit.seed,
                text,
                ", ".join(f"{s} {v:.4g}" for s, v in audit.thresholds.items()),
                est(audit.fnr["female"], 2, percent=True),
                est(audit.fnr["male"], 2, percent=True),
                est(audit.fnr_vs_chart["female"], 2, percent=True),
                est(audit.auroc["female"], 4),
                est(audit.auroc["male"], 4),
            ]
        )
    chart_f = result.spread("chart", "fnr", "female").mean
    truth_f = result.spread("truth", "fnr", "female").mean
    diff_f = result.paired("chart", "truth", "fnr", "female").mean
    diff_auc = result.paired("chart", "truth", "auroc", "female").mean
    repair_chart = result.spread("chart_per_sex_chart", "fnr", "female").mean
    repair_truth = result.spread("chart_per_sex_truth", "fnr", "female").mean
    gap_truth, gap_chart = result.gap("truth").mean.value, result.gap("chart").mean.value
    headline = (
        f"Trained on chart labels (`diagnosed_mi`), the model misses {fmt(chart_f.value, 2, percent=True)} of women's "
        f"MIs against {fmt(truth_f.value, 2, percent=True)} when trained on adjudicated MI (mean of {k} seeds; "
        f"paired difference {est(diff_f, 2, points=True)} points) while its AUROC in women moves by "
        f"{est(diff_auc, 4)}. The sex gap (women minus men) grows from "
        f"{fmt(gap_truth * 100, 2)} to {fmt(gap_chart * 100, 2)} points. Per-sex thresholds set "
        f"on chart labels leave women at {fmt(repair_chart.value, 2, percent=True)}; "
        f"set on adjudicated labels, {fmt(repair_truth.value, 2, percent=True)}."
    )
    summary = (
        f"women's missed-MI rate (FNR) {fmt(truth_f.value, 2, percent=True)} trained on mi vs "
        f"{fmt(chart_f.value, 2, percent=True)} on diagnosed_mi ({est(diff_f, 2, points=True)} points, {k} seeds); "
        f"AUROC in women {est(diff_auc, 4)}; per-sex thresholds on adjudicated mi: "
        f"{fmt(repair_truth.value, 2, percent=True)}"
    )
    binding = [
        audit.seed
        for audit in result.audits
        if audit.rule == "chart" and audit.thresholds["female"] <= audit.thresholds["male"]
    ]
    same_for_women = np.array_equal(
        result.values("chart", "fnr", "female"), result.values("chart_per_sex_chart", "fnr", "female")
    )
    note = (
        " Training uses one cut-off for both sexes, the lowest of the per-sex and overall cut-offs; on "
        f"{len(binding)} of {k} seeds that is the women's own, so per-sex thresholds chosen on the same chart label "
        "can only raise the men's threshold" + (" and leave women's FNR unchanged." if same_for_women else ".")
    )
    sections = [
        (
            f"False-negative rate against adjudicated MI (mean over {k} seeds)",
            f"Each cell: mean (95% t interval over seeds); SD; min to max, in percent. Training cohorts of "
            f"{result.n_train:,} visits, independent evaluation cohorts of {result.n_eval:,} (seeds "
            f"{', '.join(map(str, result.seeds))}).{note}\n\n"
            + table(
                ["rule", "FNR women", "FNR men", "gap women - men (points)", "rule-out women", "rule-out men"],
                summary_rows,
            )
            + "\n\n"
            + _figure_link(config, "fnr_auroc", "FNR by sex per rule and AUROC by training label"),
        ),
        (
            "AUROC against adjudicated MI",
            "Mean (95% t interval over seeds); SD; min to max.\n\n" + table(["model", "women", "men"], auroc_rows),
        ),
        (
            "Paired differences from the model trained on mi (same cohorts, seed by seed)",
            table(
                ["rule", "FNR women (points)", "FNR men (points)", "rule-out women (points)", "AUROC women"],
                paired_rows,
            ),
        ),
        (
            "Each seed's audit (bootstrap 95% CIs from `fairness.audit_predictions`)",
            "*FNR women vs chart* is the same flag measured against the chart label, as an audit without "
            "adjudicated outcomes would see it.\n\n"
            + table(
                [
                    "seed",
                    "rule",
                    "thresholds",
                    "FNR women",
                    "FNR men",
                    "FNR women vs chart",
                    "AUROC women",
                    "AUROC men",
                ],
                detail_rows,
            ),
        ),
    ]
    assumptions = [
        "The chart label is the simulator's `diagnosed_mi`: admitted MIs are confirmed with probability 0.99 and "
        "some non-MI troponin rises are charted as MI (ASSUMPTIONS); every discharged MI is charted as no MI. "
        "Missed MIs follow the default scenario's biases (Pope 2000's pattern).",
        "Both models see the same features (the training config's; symptoms as elicited by a full question list, "
        "`sx_*`), the same training settings and the same split seed; only the label differs. Race is not a "
        "feature.",
        "Thresholds: the model's own is chosen by training (highest cut-off whose one-sided 97.5% lower bound of "
        "sensitivity for its training label reaches 99% overall and in each sex, one cut-off for both sexes). "
        "Per-sex thresholds use the same rule within each sex on the calibration split, against the label named.",
        "Per-sex thresholds on adjudicated MI assume a hospital can adjudicate a calibration sample (chart review "
        "for missed MIs); without it only the chart-label repair is available.",
        "The audit is against adjudicated `mi` on an evaluation cohort independent of training; intervals over "
        "seeds use Student's t on the per-seed means.",
    ]
    page = _page(config, headline, sections, assumptions, ["pope", "shah"])
    return Page(
        config.name,
        "label_bias",
        config.title,
        headline,
        summary,
        page,
        {"fnr_auroc": label_bias_figure(result)},
        result.metrics(),
    )
