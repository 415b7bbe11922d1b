"""The interventions study's results page: missed MI per arm, its cost in admissions, and the seed's evidence.

The patient-side arms are mechanisms whose size is an assumption; the page sets each beside what the
project's source document reports (``SEED_EVIDENCE``), with the parameter as set in its scenario file.
"""

from __future__ import annotations

from chestpain.experiments._config import InterventionsConfig
from chestpain.experiments._figures import interventions_figure
from chestpain.experiments._interventions import InterventionsResult
from chestpain.experiments._page_parts import _figure_link, _page
from chestpain.experiments._report import Page, bullets, est, fmt, table

#: The patient-side interventions: what the project's source document ("Trust Is a 2-Way Street", shared/seed/)
#: reports, next to the mechanism and parameter the simulator assumes (values read from the scenario files).
#: The seed's figures come from other settings (asthma, serious illness, paediatric head trauma), not ED chest pain.
SEED_EVIDENCE = (
    (
        "question_prompt_list",
        "capture",
        "a question prompt list: adolescents with asthma asked more questions, were 8x more likely to ask about "
        "triggers and nearly 5 points more satisfied (seed, note 4)",
        "every true symptom is asked about with probability `capture` despite the interruption",
    ),
    (
        "communication_preference_form",
        "listening_multiplier",
        "a communication preference form: patients with serious illness were more than 2x as likely to discuss "
        "and receive care in line with their goals (seed, note 5)",
        "time to interruption multiplied by `listening_multiplier` (a 2x effect on goal-concordant talk read as "
        "2x listening time)",
    ),
    (
        "decision_aid",
        "bias_reduction",
        "a decision aid: parents of children with head trauma reported more trust in their doctors (seed, note 6; "
        "no effect size given); Chest Pain Choice (Hess 2012) tested an aid in ED chest pain",
        "every bias knob acts at (1 - `bias_reduction`) of its strength",
    ),
)


def seed_evidence_table() -> str:
    """Intervention | evidence from the seed | assumed mechanism | parameter (value in its scenario file)."""
    from chestpain.simulation import SCENARIO_DIR, load_scenario

    rows = []
    for name, parameter, evidence, mechanism in SEED_EVIDENCE:
        switch = getattr(load_scenario(SCENARIO_DIR / f"{name}.yaml").interventions, name)
        rows.append([f"`{name}`", evidence, mechanism, f"`{parameter}` = {getattr(switch, parameter):g} (ASSUMPTION)"])
    return table(["intervention", "evidence (the seed)", "assumed mechanism", "parameter"], rows)


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
            "Evidence next to the assumed effect",
            "The project's source document reports what each patient-side tool did in its own setting; none of "
            "those trials measured missed MI. The simulator turns each into a mechanism whose size is an "
            "assumption, so the arms above show what the mechanism would do, not what the tool does.\n\n"
            + seed_evidence_table(),
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
    page = _page(config, headline, sections, assumptions, ["pope", "hess", "shah", "singh_ospina", "seed"])
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
