"""The results pages: one renderer per experiment turns a result into markdown, figures and a headline.

Every page opens with what kind of evidence it is (simulated, or public data with a CAD label), then the
headline, the tables with 95% intervals, the figures, the assumptions each result rests on, the sources of its
clinical numbers, and the settings that regenerate it.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from experiments._calibration import CalibrationResult
from experiments._config import (
    CalibrationConfig,
    InterventionsConfig,
    LabelBiasConfig,
    ListeningConfig,
    ModelVsScoresConfig,
    PainConfig,
    UciSitesConfig,
)
from experiments._figures import (
    calibration_figure,
    interventions_figure,
    label_bias_figure,
    listening_figure,
    model_vs_scores_figure,
    pain_figure,
    uci_figure,
)
from experiments._interventions import InterventionsResult
from experiments._label_bias import RULES, LabelBiasResult, SeedSpread
from experiments._listening import ListeningResult
from experiments._model_vs_scores import MODEL_OWN, ModelVsScoresResult
from experiments._pain import PainResult
from experiments._report import (
    PUBLIC_DATA_NOTE,
    SIMULATED_NOTE,
    Page,
    bullets,
    est,
    figure_file,
    fmt,
    settings_table,
    table,
)
from experiments._uci_sites import POOLED, SITES, UciSitesResult
from triage.stats import Estimate

SOURCES = {
    "pope": "Pope JH, Aufderheide TP, Ruthazer R, et al. Missed diagnoses of acute cardiac ischemia in the "
    "emergency department. N Engl J Med 2000;342:1163-70.",
    "singh_ospina": "Singh Ospina N, Phillips KA, Rodriguez-Gutierrez R, et al. Eliciting the patient's agenda: "
    "secondary analysis of recorded clinical encounters. J Gen Intern Med 2019;34:36-40.",
    "lee": "Lee P, Le Saux M, Siegel R, et al. Racial and ethnic disparities in the management of acute pain in US "
    "emergency departments: meta-analysis and systematic review. Am J Emerg Med 2019;37:1770-7.",
    "shah": "Shah ASV, Griffiths M, Lee KK, et al. High sensitivity cardiac troponin and the under-diagnosis of "
    "myocardial infarction in women: prospective cohort study. BMJ 2015;350:g7873.",
    "virgo": "Lichtman JH, Leifheit EC, Safdar B, et al. Sex differences in the presentation and perception of "
    "symptoms among young patients with myocardial infarction (VIRGO). Circulation 2018;137:781-90.",
    "van_oosterhout": "van Oosterhout REM, de Boer AR, Maas AHEM, et al. Sex differences in symptom presentation in "
    "acute coronary syndromes: a systematic review and meta-analysis. J Am Heart Assoc 2020;9:e014733.",
    "hess": "Hess EP, Knoedler MA, Shah ND, et al. The chest pain choice decision aid: a randomized trial. "
    "Circ Cardiovasc Qual Outcomes 2012;5:251-9.",
    "backus": "Backus BE, Six AJ, Kelder JC, et al. A prospective validation of the HEART score for chest pain "
    "patients at the emergency department. Int J Cardiol 2013;168:2153-8.",
    "esc": "Collet JP, Thiele H, Barbato E, et al. 2020 ESC Guidelines for the management of acute coronary "
    "syndromes in patients presenting without persistent ST-segment elevation. Eur Heart J 2021;42:1289-367.",
    "code_acs": "Doudesis D, Lee KK, Boeddinghaus J, et al. Machine learning for diagnosis of myocardial "
    "infarction using cardiac troponin concentrations (CoDE-ACS). Nat Med 2023;29:1201-10.",
    "mi3": "Than MP, Pickering JW, Sandoval Y, et al. Machine learning to predict the likelihood of acute "
    "myocardial infarction (MI3). Circulation 2019;140:899-909.",
    "detrano": "Detrano R, Janosi A, Steinbrunn W, et al. International application of a new probability "
    "algorithm for the diagnosis of coronary artery disease. Am J Cardiol 1989;64:304-10; data: Janosi A, "
    "Steinbrunn W, Pfisterer M, Detrano R. Heart Disease. UCI Machine Learning Repository, 1988. "
    "doi:10.24432/C52P4X.",
    "hanley": "Hanley JA, McNeil BJ. The meaning and use of the area under a receiver operating characteristic "
    "(ROC) curve. Radiology 1982;143:29-36.",
    "newcombe": "Newcombe RG. Interval estimation for the difference between independent proportions. Stat Med "
    "1998;17:873-90.",
}
SCENARIO_LINK = "[`configs/simulation/default.yaml`](../../configs/simulation/default.yaml)"


def _page(
    config: Any,
    headline: str,
    sections: list[tuple[str, str]],
    assumptions: list[str],
    sources: list[str],
    *,
    note: str = SIMULATED_NOTE,
) -> str:
    parts = [
        f"# {config.title}",
        note,
        f"**Headline.** {headline}",
        f"Regenerate with `triage experiment run configs/experiments/{config.name}.yaml` (settings at the end of "
        "this page; the same config and seed give the same files). The run is also logged to MLflow with its "
        "headline metrics and these files, never patient rows.",
    ]
    for title, body in sections:
        parts += [f"## {title}", body]
    parts += ["## Assumptions", bullets(assumptions)]
    parts += ["## Sources", bullets(SOURCES[key] for key in sources)]
    parts += ["## Settings", settings_table(config)]
    return "\n\n".join(parts)


def _figure_link(config: Any, suffix: str, caption: str) -> str:
    return f"![{caption}]({figure_file(config.name, suffix)})"


def _spread(s: SeedSpread, digits: int = 2, *, percent: bool = True, points: bool = False) -> str:
    """Mean (t 95% CI over seeds); SD; range, in percent (or percentage points) unless ``percent=False``."""
    scale = 100 if percent or points else 1
    return (
        f"{est(s.mean, digits, percent=percent and not points, points=points)}; SD {fmt(s.sd * scale, digits)}; "
        f"{fmt(s.low * scale, digits)} to {fmt(s.high * scale, digits)}"
    )


# ------------------------------------------------------------------------------------------------ calibration
_CAL_FORMAT = {
    "mi_prevalence": (True, 2),
    "female_share": (True, 1),
    "missed_share": (True, 2),
    "analgesia_rr_black": (False, 3),
    "oracle_auroc": (False, 3),
    "esc_rule_out_sensitivity": (True, 2),
    "esc_rule_out_sensitivity_women": (True, 2),
    "esc_rule_out_sensitivity_men": (True, 2),
    "esc_rule_out_npv": (True, 2),
    "esc_rule_out_share": (True, 1),
    "esc_rule_in_ppv": (True, 1),
    "nonmi_change_6": (True, 2),
    "t0_below_5_sensitivity": (True, 1),
    "mi_above_99th_0_1h": (True, 1),
    "heart_low_share": (True, 1),
    "heart_low_sensitivity": (True, 1),
    "nonmi_admitted": (True, 1),
    "nonmi_admitted_sex_gap": (False, 1),
    "harm_per_1000_discharges": (False, 2),
    "missed_vs_treated_outcome_rr": (False, 2),
}


def render_calibration(result: CalibrationResult, config: CalibrationConfig) -> Page:
    """The target table with every scenario beside the default."""
    reference = result.reference
    others = result.scenarios[1:]
    rows = []
    for target in result.targets:
        percent, digits = _CAL_FORMAT.get(target.key, (False, 2))
        shown_range = f"{target.low * 100:g}-{target.high * 100:g}%" if percent else f"{target.low:g}-{target.high:g}"
        shown_target = target.target if target.target == shown_range else f"{target.target} ({shown_range})"
        if target.reported_only:
            shown_target = target.target
        rows.append(
            [
                target.quantity,
                shown_target,
                target.source,
                est(reference.estimates[target.key], digits, percent=percent),
                "-" if target.reported_only else "yes" if reference.within(target) else "**no**",
                *(est(s.estimates[target.key], digits, percent=percent) for s in others),
            ]
        )
    headers = ["quantity", "target (range tested)", "source", f"{reference.scenario} (95% CI)", "in range"]
    headers += [f"{s.scenario} (95% CI)" for s in others]
    missed = reference.estimates["missed_share"]
    young = reference.estimates["or_young_women"]
    headline = (
        f"On {result.n:,} simulated visits the `{reference.scenario}` scenario lands inside the tested range of "
        f"{result.in_range} of {len(result.tested)} published targets: missed MI {est(missed, 2, percent=True)} of "
        f"MI (Pope 2000: 2.1%), odds ratio for women under 55 {est(young)} (Pope 2000: 6.7)."
    )
    summary = (
        f"{result.in_range}/{len(result.tested)} targets in range; missed MI {est(missed, 2, percent=True)} of MI; "
        f"OR women <55 {est(young)}"
    )
    if others:
        other = others[0]
        summary += f" ({other.scenario}: {est(other.estimates['or_young_women'])})"
        headline += (
            f" With every bias knob off (`{other.scenario}`) they fall to "
            f"{est(other.estimates['missed_share'], 2, percent=True)} and {est(other.estimates['or_young_women'])}."
        )
    sections = [
        (
            "Targets and simulated values",
            f"{reference.n_mi:,} MIs among {result.n:,} visits of `{reference.scenario}` (seed {result.seed}); every "
            "scenario is simulated with the same seed and size.\n\n"
            + table(headers, rows)
            + "\n\n"
            + _figure_link(config, "targets", "simulated values against target ranges"),
        ),
    ]
    assumptions = [
        "The default scenario's parameters marked ASSUMPTION in "
        f"{SCENARIO_LINK} were tuned so that these figures land in range; agreement checks that the tuning holds at "
        "this seed and size, not that the mechanisms are the true ones.",
        "The intervals are sampling intervals of the simulation (Wilson, Woolf, Katz, order statistics, Hanley & "
        "McNeil). They shrink with the number of simulated visits and carry none of the uncertainty of the "
        "published figures themselves (Pope 2000 rests on 19 missed MIs).",
        "Odds ratios here are crude, among patients with MI; compare them with the published figures as magnitudes.",
        "The tested ranges are this project's (DESIGN.md), chosen around each published point estimate.",
        "`no_bias` switches off every bias knob (atypical symptoms asked as often as typical ones and weighed the "
        "same, no young-women or race judgement, sex-specific troponin limits, no analgesia gap); what remains "
        "is physiology and base rates.",
    ]
    page = _page(
        config,
        headline,
        sections,
        assumptions,
        ["pope", "singh_ospina", "lee", "shah", "virgo", "van_oosterhout", "code_acs", "mi3"],
    )
    return Page(
        config.name,
        "calibration",
        config.title,
        headline,
        summary,
        page,
        {"targets": calibration_figure(result)},
        result.metrics(),
    )


# ------------------------------------------------------------------------------------------------- listening
def render_listening(result: ListeningResult, config: ListeningConfig) -> Page:
    """The sweep table per variant, where the gap closes, and the figure."""
    reference = result.reference
    q1, q3 = result.q1_ratio, result.q3_ratio
    sections = []
    close_rows = []
    for variant in result.variants:
        cells = sorted(
            (c for c in result.cells if c.variant == variant), key=lambda c: (c.ask_atypical, c.median_seconds)
        )
        rows = [
            [
                f"{c.median_seconds:g} ({c.median_seconds * q1:.1f}-{c.median_seconds * q3:.1f})",
                f"{c.ask_atypical:.2f}",
                est(c.atypical_capture_women, 1, percent=True),
                f"{c.n_mi_young_women:,}",
                est(c.missed_young_women, 2, percent=True),
                est(c.missed_rest, 2, percent=True),
                est(c.difference, 2, points=True),
                est(c.odds_ratio),
            ]
            for c in cells
        ]
        headers = [
            "median s (IQR)",
            "ask atypical",
            "atypical symptoms charted, women with MI",
            "MI, women <55",
            "missed MI, women <55",
            "missed MI, everyone else",
            "difference (points)",
            "odds ratio",
        ]
        sections.append((f"Sweep: {variant}", table(headers, rows)))
        for ask in sorted({c.ask_atypical for c in cells}):
            by_median = sorted((c for c in cells if c.ask_atypical == ask), key=lambda c: c.median_seconds)
            best = min(by_median, key=lambda c: c.odds_ratio.value)
            excess = result.excess_removed(variant, best)
            closes = result.closes_at(variant, ask)
            close_rows.append(
                [
                    variant,
                    f"{ask:.2f}",
                    est(by_median[0].odds_ratio),
                    est(by_median[-1].odds_ratio),
                    f"{closes:g} s" if closes is not None else "not within the sweep",
                    f"{round(excess * 100):d}%" if math.isfinite(excess) else "n/a",
                ]
            )
    first = result.variants[0]
    base = result.baseline(first)
    lowest = min((c for c in result.cells if c.variant == first), key=lambda c: c.missed_young_women.value)
    asks = sorted({c.ask_atypical for c in result.cells})
    closes = [c for c in (result.closes_at(first, ask) for ask in asks) if c is not None]
    odds = [c.odds_ratio.value for c in result.cells if c.variant == first]
    span = f"{min(config.median_seconds):g}-{max(config.median_seconds):g} s"
    headline = (
        f"Listening longer and asking about atypical symptoms move missed MI in women under 55 from "
        f"{est(base.missed_young_women, 1, percent=True)} ({base.median_seconds:g} s, ask {base.ask_atypical:.2f}) "
        f"to at best {est(lowest.missed_young_women, 1, percent=True)} ({lowest.median_seconds:g} s, ask "
        f"{lowest.ask_atypical:.2f}); the odds ratio against everyone else ranges from {min(odds):.1f} to "
        f"{max(odds):.1f} over the sweep and "
    )
    if closes:
        headline += f"its interval first reaches the no-bias floor ({est(reference.odds_ratio)}) at {min(closes):g} s."
        gap_text = f"gap closes at {min(closes):g} s"
    else:
        headline += f"its interval never reaches the no-bias floor ({est(reference.odds_ratio)}) within {span}."
        gap_text = f"gap does not close within {span}"
    summary = (
        f"OR missed MI, women <55 vs rest: {est(base.odds_ratio)} at {base.median_seconds:g} s / ask "
        f"{base.ask_atypical:.2f}, {min(odds):.1f}-{max(odds):.1f} across the sweep; {gap_text} (no-bias floor "
        f"{est(reference.odds_ratio)})"
    )
    if len(result.variants) > 1:
        other = result.variants[1]
        other_base = result.baseline(other)
        headline += (
            f" {other.capitalize()}, the odds ratio at {other_base.median_seconds:g} s is {est(other_base.odds_ratio)}"
        )
        if other_base.odds_ratio.ci_high < base.odds_ratio.ci_low:
            headline += ": in this model the judgement, not the history-taking, carries most of the gap."
        else:
            headline += "."
        summary += f"; {other}: {est(other_base.odds_ratio)}"
    sections.insert(
        0,
        (
            "Where the gap closes",
            "The gap counts as closed when the odds ratio's 95% interval reaches down to the no-bias scenario's "
            f"odds ratio, {est(reference.odds_ratio)} (women <55 {est(reference.missed_young_women, 2, percent=True)}"
            f" vs {est(reference.missed_rest, 2, percent=True)}): what physiology and base rates leave when every "
            "bias knob is off. *Excess removed* is the share of the log odds ratio above that floor that the best "
            "cell of the row removes, relative to the scenario's own setting.\n\n"
            + table(
                [
                    "variant",
                    "ask atypical",
                    "OR, shortest median",
                    "OR, longest median",
                    "gap closes at",
                    "excess removed (best cell)",
                ],
                close_rows,
            )
            + "\n\n"
            + _figure_link(config, "sweep", "odds ratio and missed-MI rates against time to interruption"),
        ),
    )
    assumptions = [
        f"Time to interruption is a shifted log-normal through the median and quartiles; the sweep scales all three "
        f"together (q1 = {result.q1_ratio:.3f} x median, q3 = {result.q3_ratio:.3f} x median), keeping the shape of "
        "Singh Ospina 2019's 11 s (IQR 7-22 s).",
        "A non-chief symptom is voiced by time t with probability 1 - exp(-t / 20 s) (ASSUMPTION); after the "
        "interruption the clinician asks about each typical symptom with probability 0.90 and each atypical one "
        "with `ask_atypical` (ASSUMPTION; default 0.30).",
        "Only the encounter changes across cells: the other bias knobs stay at their default values, including "
        "the judgement that women under 55 are low risk (log-odds 1.5, tuned to Pope 2000's OR 6.7), which in "
        "this model acts whatever is charted. That is why listening alone cannot close the odds ratio here; the "
        "published data do not say how much of the real gap is judgement and how much is history-taking.",
        "All cells use the same seed, so the same simulated patients are compared (common random numbers); "
        "intervals are Wilson (rates), Newcombe (differences) and Woolf (odds ratios) for one cell each.",
        "Atypical-symptom capture counts symptom instances (several per patient), so its interval is slightly "
        "too narrow.",
    ]
    page = _page(config, headline, sections, assumptions, ["singh_ospina", "pope", "van_oosterhout"])
    return Page(
        config.name,
        "listening",
        config.title,
        headline,
        summary,
        page,
        {"sweep": listening_figure(result)},
        result.metrics(),
    )


# --------------------------------------------------------------------------------------------- interventions
def render_interventions(result: InterventionsResult, config: InterventionsConfig) -> Page:
    """Missed MI by sex and race per arm, the paired change, and the cost in admissions."""
    ref = result.reference
    main_rows, race_rows, change_rows, cost_rows = [], [], [], []
    for arm in result.arms:
        main_rows.append(
            [arm.name, est(arm.admitted, 1, percent=True)]
            + [est(arm.missed[g], 2, percent=True) for g in ("female", "male", "women <55", "white", "non-white")]
        )
        race_rows.append([arm.name] + [est(arm.missed[g], 2, percent=True) for g in ("white", "black", "hispanic")])
        if arm is ref:
            continue
        change_rows.append(
            [arm.name]
            + [est(arm.missed_change[g], 2, points=True) for g in ("female", "male", "women <55", "non-white")]
        )
        cost_rows.append(
            [
                arm.name,
                est(arm.added_admissions_per_1000, 1),
                est(arm.prevented_per_1000, 2),
                est(arm.admissions_per_prevented, 0) if arm.prevented_per_1000.value > 0 else "none prevented",
            ]
        )
    encounter = [a for a in result.arms[1:] if a.check == "none"]
    best = min(encounter, key=lambda a: a.missed["female"].value) if encounter else None
    trained = next((a for a in result.arms if a.check == "trained"), None)
    oracle = next((a for a in result.arms if a.check == "oracle"), None)
    headline = f"Under the published biases {est(ref.missed['female'], 2, percent=True)} of women's MIs are missed "
    headline += f"({est(ref.missed['male'], 2, percent=True)} of men's)."
    if best is not None:
        headline += (
            f" The best clinician-side intervention ({best.name}) brings women to "
            f"{est(best.missed['female'], 2, percent=True)} at {fmt(best.admissions_per_prevented.value, 0)} "
            "admissions per missed MI prevented."
        )
    if trained is not None:
        headline += (
            f" A trained model's discharge check ({trained.name}) brings them to "
            f"{est(trained.missed['female'], 2, percent=True)} at {fmt(trained.admissions_per_prevented.value, 0)} "
            "admissions per missed MI prevented"
        )
        if oracle is not None:
            headline += (
                f"; the oracle upper bound ({oracle.name}) to {est(oracle.missed['female'], 2, percent=True)} at "
                f"{fmt(oracle.admissions_per_prevented.value, 0)}"
            )
        headline += "."
    thresholds = ", ".join(f"{k} {v:.4g}" for k, v in result.model_thresholds.items())
    summary = f"missed MI in women {est(ref.missed['female'], 2, percent=True)} under the published biases"
    if best is not None:
        summary += f"; {best.name} {fmt(best.missed['female'].value, 2, percent=True)}"
    if trained is not None:
        summary += (
            f"; {trained.name} {fmt(trained.missed['female'].value, 2, percent=True)} at "
            f"{est(trained.admissions_per_prevented, 0)} admissions per missed MI prevented"
        )
    if oracle is not None:
        summary += (
            f"; {oracle.name} {fmt(oracle.missed['female'].value, 2, percent=True)} at "
            f"{est(oracle.admissions_per_prevented, 0)}"
        )
    arms_text = bullets(f"**{a.name}**: {a.description}" for a in result.arms)
    sections = [
        (
            "Arms",
            f"Every arm simulates the same {result.n:,} visits (seed {result.seed}). The checking model was trained "
            f"on a separate cohort of {result.n_train:,} visits (seed {result.train_seed}; test-split AUROC "
            f"{result.model_auroc:.4f}; its own thresholds {thresholds}).\n\n" + arms_text,
        ),
        (
            "Missed MI by sex (share of MI discharged undiagnosed)",
            table(["arm", "admitted (% of visits)", "women", "men", "women <55", "white", "non-white"], main_rows)
            + "\n\n"
            + _figure_link(config, "arms", "missed MI by sex and race, and admissions per missed MI prevented"),
        ),
        ("Missed MI by race", table(["arm", "white", "Black", "Hispanic"], race_rows)),
        (
            f"Change from '{ref.name}' (paired, same patients; percentage points of MI)",
            table(["arm", "women", "men", "women <55", "non-white"], change_rows),
        ),
        (
            "The cost side",
            "Admissions added and missed MIs prevented per 1,000 visits (paired normal intervals), and their "
            f"ratio with a paired bootstrap interval ({config.n_boot:,} resamples of patients). A negative number "
            "of prevented misses means the arm misses more.\n\n"
            + table(
                [
                    "arm",
                    "admissions added / 1,000 visits",
                    "missed MI prevented / 1,000 visits",
                    "admissions per missed MI prevented",
                ],
                cost_rows,
            ),
        ),
    ]
    assumptions = [
        "Question prompt list: every true symptom is asked about with probability 0.95 (ASSUMPTION). Communication "
        "preference form: the opening statement runs twice as long (ASSUMPTION). Decision aid: every bias knob acts "
        "at half strength (ASSUMPTION; Hess 2012 tested a decision aid, not this mechanism). Sex-specific troponin: "
        "women 16 / men 34 ng/L instead of 26 ng/L (Shah 2015). Each mechanism is in `configs/simulation/*.yaml`.",
        "Oracle check (the simulator's `model_assisted_check` scenario): a discharge is overridden when the exact "
        "P(MI) is at least its `risk_threshold` (0.02). No model that sees the same columns can do better at "
        "the same admission cost.",
        "Trained check: the model (the training config's features; symptoms as a full question list elicits "
        "them, `sx_*`) flags a discharge; the flagged patient is admitted instead, and an admitted patient is "
        "never a missed MI (the inpatient workup is assumed to find it; the simulator confirms 99% of admitted "
        "MIs in the chart, and an admitted but unconfirmed MI is not counted as missed either).",
        "Cost counts admissions only: not the harms of an unnecessary admission, nor the benefit of treating an MI "
        "beyond not missing it. The ratio is undefined when an arm prevents no misses.",
        "Combined arms merge the scenario files (all mechanisms on together); interactions are whatever the "
        "simulator's structure implies, not measured.",
    ]
    page = _page(config, headline, sections, assumptions, ["pope", "hess", "shah", "singh_ospina"])
    return Page(
        config.name,
        "interventions",
        config.title,
        headline,
        summary,
        page,
        {"arms": interventions_figure(result)},
        result.metrics(),
    )


# ------------------------------------------------------------------------------------------------- label bias
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


# -------------------------------------------------------------------------------------------------------- pain
def render_pain(result: PainResult, config: PainConfig) -> Page:
    """Rates and risk ratios by race, overall in pain and by pain score."""
    threshold = result.pain_threshold
    main_rows = []
    for scenario in result.scenarios:
        for race in ("white", "black", "hispanic", "asian", "other"):
            main_rows.append(
                [
                    scenario.name,
                    race,
                    est(scenario.in_pain[race], 1, percent=True),
                    "reference" if race == "white" else est(scenario.rr_in_pain[race], 3),
                ]
            )
    by_pain_rows = [
        [score] + [est(s.rr_black_by_pain[score], 3) for s in result.scenarios]
        for score in sorted(result.scenarios[0].rr_black_by_pain)
    ]
    default = result.scenarios[0]
    rate_rows = [
        [score]
        + [
            f"{est(default.rate[(race, score)], 1, percent=True)} (n={default.n[(race, score)]:,})"
            for race in ("white", "black", "hispanic")
        ]
        for score in range(11)
    ]
    rr = default.rr_in_pain["black"]
    less = Estimate(1 - rr.value, 1 - rr.ci_high, 1 - rr.ci_low)
    other = result.scenarios[1]
    headline = (
        f"Among simulated patients in pain (score >= {threshold}), Black patients are "
        f"{est(less, 1, percent=True)} less likely than white patients to receive any analgesia (risk ratio "
        f"{est(rr, 3)}), the seed's \"22% less likely\"; Hispanic patients' risk ratio is "
        f"{est(default.rr_in_pain['hispanic'], 3)}. Without the disparity ({other.name}) the risk ratio is "
        f"{est(other.rr_in_pain['black'], 3)}."
    )
    summary = (
        f"Black vs white patients in pain: {est(less, 1, percent=True)} less likely to get analgesia "
        f"(RR {est(rr, 3)}); "
        f"without the disparity RR {est(other.rr_in_pain['black'], 3)}"
    )
    sections = [
        (
            f"Any analgesia among patients in pain (score >= {threshold})",
            f"{result.n:,} visits per scenario, same seed ({result.seed}): the same patients with the same pain.\n\n"
            + table(["scenario", "race", "any analgesia (95% CI)", "risk ratio vs white (Katz 95% CI)"], main_rows)
            + "\n\n"
            + _figure_link(config, "by_pain_score", "analgesia by pain score and race, and the risk ratio"),
        ),
        (
            "Risk ratio, Black vs white, within each pain score",
            "Within one pain score the comparison cannot be a difference in reported pain.\n\n"
            + table(["pain score", *(s.name for s in result.scenarios)], by_pain_rows),
        ),
        (f"Analgesia by pain score, {default.name}", table(["pain score", "white", "Black", "Hispanic"], rate_rows)),
    ]
    assumptions = [
        "Any analgesia is logistic in the pain score (log-odds 0 at pain 5, +0.3 per point: ASSUMPTIONS) with odds "
        "ratios by race from Lee et al. 2019's meta-analysis of US ED studies (Black 0.60, Hispanic 0.75 vs white); "
        "Asian and other patients 1.0 (ASSUMPTION).",
        "The seed's figure is a risk ratio; an odds ratio of 0.60 gives a risk ratio near 0.78 only because about "
        "half of white patients in pain are treated. At another treatment rate the same odds ratio gives another "
        "risk ratio.",
        "Pain scores depend only on MI status (ASSUMPTION): no difference between races in how pain is reported, "
        "so the gap is entirely in the treatment decision.",
        f"The comparison scenario ({other.name}) sets every race's odds ratio to 1: "
        + ", ".join(f"`{o}`" for o in config.comparison.overrides)
        + ".",
        "Analgesia affects nothing else in the simulator (not the diagnosis, not the disposition).",
    ]
    page = _page(config, headline, sections, assumptions, ["lee"])
    return Page(
        config.name,
        "pain_treatment",
        config.title,
        headline,
        summary,
        page,
        {"by_pain_score": pain_figure(result)},
        result.metrics(),
    )


# ----------------------------------------------------------------------------------------------------- UCI
def render_uci_sites(result: UciSitesResult, config: UciSitesConfig) -> Page:
    """Per model: held-out site x sex table, and the pooled out-of-site results."""
    sections = []
    for model in result.models:
        rows = []
        for site in [*SITES, POOLED]:
            for group in ("overall", "female", "male"):
                r = result.row(model, site, group)
                threshold = (
                    f"{result.thresholds[(model, site)]['female']:.3f}" if (model, site) in result.thresholds else "-"
                )
                observed = r.observed
                calibration = Estimate(
                    r.predicted - observed.value, r.predicted - observed.ci_high, r.predicted - observed.ci_low
                )
                rows.append(
                    [
                        site if group == "overall" else "",
                        group,
                        f"{r.n} ({r.n_cad})",
                        threshold if group == "overall" else "",
                        est(r.auroc, 3),
                        est(r.sensitivity, 1, percent=True),
                        est(observed, 1, percent=True),
                        fmt(r.predicted, 1, percent=True),
                        est(calibration, 1, points=True),
                    ]
                )
        sections.append(
            (
                f"{model}: trained on three sites, tested on the fourth",
                table(
                    [
                        "held-out site",
                        "group",
                        "n (CAD)",
                        "threshold",
                        "AUROC (95% CI)",
                        "sensitivity at threshold (95% CI)",
                        "observed CAD rate",
                        "mean predicted",
                        "predicted - observed (points)",
                    ],
                    rows,
                ),
            )
        )
    pooled = {m: result.row(m, POOLED, "overall") for m in result.models}
    pooled_women = {m: result.row(m, POOLED, "female") for m in result.models}
    women = sum(result.women_by_site.values())
    headline = (
        "Trained on three UCI sites and tested on the fourth (label: angiographic coronary disease, not MI), the "
        "pooled out-of-site AUROC is "
        + "; ".join(f"{est(pooled[m].auroc, 3)} ({m})" for m in result.models)
        + ", and in women "
        + "; ".join(f"{est(pooled_women[m].auroc, 3)}" for m in result.models)
        + f". Only {women} of {result.n} patients are women ("
        + ", ".join(f"{site} {n}" for site, n in result.women_by_site.items())
        + "), so per-site results for women are mostly noise."
    )
    summary = (
        "pooled leave-one-site-out AUROC for CAD (not MI): "
        + "; ".join(f"{m} {est(pooled[m].auroc, 3)}, women {est(pooled_women[m].auroc, 3)}" for m in result.models)
        + f" ({women} women)"
    )
    sections.insert(
        0,
        (
            "Design",
            "Each model is trained with its own config on three sites (train / calibration / small test split, "
            "split seed = the experiment's seed); its threshold, set on the training sites' calibration split at "
            "the config's sensitivity target, is then fixed and applied to the held-out site. *All sites "
            "(pooled)* concatenates the four held-out predictions, each from the model that did not see that "
            "site. AUROC intervals: Hanley & McNeil (approximate at these sizes); rates: Wilson; *predicted - "
            "observed* is calibration in the large with the observed rate's interval.\n\n"
            + _figure_link(config, "by_site_sex", "AUROC and calibration by held-out site and sex"),
        ),
    )
    assumptions = [
        "The label is `cad` (angiographic narrowing > 50%, `num > 0`), **not myocardial infarction**: these models "
        "predict chronic coronary disease at angiography in referred patients, not an acute event in the ED.",
        "Women: " + ", ".join(f"{site} {n}" for site, n in result.women_by_site.items()) + " (UCI documentation). "
        "Switzerland's 10 women all have CAD, so their AUROC does not exist; VA's 6 carry no usable information.",
        "Sites differ in CAD prevalence (Hungary 36% to Switzerland 93%) and in which columns are recorded "
        "(cholesterol is missing for all of Switzerland; slope and thallium mostly missing outside Cleveland); the "
        "feature pipeline imputes them with missing-value indicators, so a held-out site can look unlike "
        "anything the model saw.",
        "A threshold fixed on the training sites is what a new site would receive; its sensitivity on the new "
        "site depends on that site's case mix.",
        "Features exclude the angiography result (`fluoroscopy_vessels`) and the site itself.",
    ]
    page = _page(config, headline, sections, assumptions, ["detrano", "hanley"], note=PUBLIC_DATA_NOTE)
    return Page(
        config.name,
        "uci_sites",
        config.title,
        headline,
        summary,
        page,
        {"by_site_sex": uci_figure(result)},
        result.metrics(),
    )


# ---------------------------------------------------------------------------------------- model vs scores
def render_model_vs_scores(result: ModelVsScoresResult, config: ModelVsScoresConfig) -> Page:
    """Every rule's operating point by group, the model/oracle ratio and AUROC."""
    rows = [
        [
            p.rule,
            p.group,
            f"{p.threshold:.4g}" if p.threshold is not None else "-",
            f"{p.n_mi:,}",
            est(p.sensitivity, 2, percent=True),
            est(p.rule_out, 1, percent=True),
        ]
        for p in result.points
    ]
    ratio_rows = [
        [
            group,
            est(result.point(result.model_at, group).rule_out, 1, percent=True),
            est(result.point(result.oracle_at, group).rule_out, 1, percent=True),
            est(result.ratio[group], 3),
            est(result.auroc[("model", group)], 4),
            est(result.auroc[("oracle", group)], 4),
        ]
        for group in ("overall", "female", "male")
    ]
    model, oracle = result.point(result.model_at, "overall"), result.point(result.oracle_at, "overall")
    heart = result.point("HEART low risk (0-3)", "overall")
    esc = result.point("ESC 0/1 h rule-out", "overall")
    own = result.point(MODEL_OWN, "overall")
    target = f"{result.target:.0%}"
    headline = (
        f"At >= {target} sensitivity on the test split the model rules out "
        f"{fmt(model.rule_out.value, 1, percent=True)} of visits against the oracle's "
        f"{fmt(oracle.rule_out.value, 1, percent=True)} (ratio "
        f"{est(result.ratio['overall'], 3)}; women {est(result.ratio['female'], 3)}, men "
        f"{est(result.ratio['male'], 3)}). HEART (0-3) rules out {fmt(heart.rule_out.value, 1, percent=True)} at "
        f"{fmt(heart.sensitivity.value, 1, percent=True)} sensitivity and ESC 0/1 h "
        f"{fmt(esc.rule_out.value, 1, percent=True)} at {fmt(esc.sensitivity.value, 1, percent=True)}; the model at "
        f"its own trained threshold rules out {fmt(own.rule_out.value, 1, percent=True)} at "
        f"{fmt(own.sensitivity.value, 2, percent=True)}."
    )
    summary = (
        f"rule-out at >= {target} sensitivity: model {est(model.rule_out, 1, percent=True)} vs oracle "
        f"{est(oracle.rule_out, 1, percent=True)} (ratio {est(result.ratio['overall'], 3)}); HEART "
        f"{fmt(heart.rule_out.value, 1, percent=True)} at {fmt(heart.sensitivity.value, 1, percent=True)} "
        f"sensitivity, ESC 0/1 h {fmt(esc.rule_out.value, 1, percent=True)} at "
        f"{fmt(esc.sensitivity.value, 1, percent=True)}"
    )
    sections = [
        (
            "How close the model gets to the limit",
            f"Test split of {result.n_test:,} visits (of {result.n:,}, seed {result.seed}). Rule-out at the "
            f"threshold reaching {target} sensitivity on the test split itself, for the model and the oracle "
            f"(overall: one threshold; by sex: each sex's own threshold). Bootstrap 95% intervals "
            f"({config.n_boot} resamples, threshold re-chosen on each); the ratio is paired.\n\n"
            + table(
                [
                    "group",
                    f"model rule-out at {target}",
                    f"oracle rule-out at {target}",
                    "model / oracle",
                    "AUROC model",
                    "AUROC oracle",
                ],
                ratio_rows,
            )
            + "\n\n"
            + _figure_link(config, "ruleout", "rule-out fraction against sensitivity, by sex"),
        ),
        (
            "Every rule's operating point",
            "HEART, ESC 0/1 h and single-sample rule-out at their own published cut-offs; the model at its trained "
            "threshold (calibration split); model and oracle at the test-split threshold. Sensitivity and "
            "rule-out intervals: Wilson, except rule-out at the test-split threshold (bootstrap).\n\n"
            + table(["rule", "group", "threshold", "MI", "sensitivity", "rule-out (share sent home)"], rows),
        ),
    ]
    assumptions = [
        "The oracle is the exact P(MI | every model-visible column) of the simulator's generating process: no "
        "model that sees the same columns can rule out more at the same sensitivity. A real cohort has no oracle.",
        "HEART is scored from the charted symptoms (`doc_*`, after interruption and discounting) with the "
        "universal 26 ng/L troponin limit, as a clinician would score it; low risk is 0-3 (Backus 2013). ESC 0/1 h "
        "uses the ARCHITECT hs-cTnI cut-offs (rule-out: 0 h < 2 ng/L, or 0 h < 5 ng/L and 1 h change < 2 ng/L; "
        "Collet 2021).",
        "The model sees the training config's features (symptoms as a full question list elicits them, "
        "`sx_*`), not the clinician's judgement or any outcome.",
        f"The test-split threshold reaching {target} is chosen on the rows it is evaluated on: optimistic for "
        "model and oracle alike, so the ratio between them is fair but neither rule-out is a prospective figure. "
        "The model's own trained threshold (chosen on the calibration split with a 97.5% confidence bound) is "
        "the prospective one.",
        "By sex, each sex gets its own test-split threshold: the limit of what each group can get, not one "
        "deployed cut-off.",
    ]
    page = _page(config, headline, sections, assumptions, ["backus", "esc", "code_acs", "mi3"])
    return Page(
        config.name,
        "model_vs_scores",
        config.title,
        headline,
        summary,
        page,
        {"ruleout": model_vs_scores_figure(result)},
        result.metrics(),
    )
