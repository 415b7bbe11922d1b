"""The model-vs-scores study's results page: every rule's operating point and how near the model is to the oracle."""

from __future__ import annotations

from chestpain.experiments._config import ModelVsScoresConfig
from chestpain.experiments._figures import model_vs_scores_figure
from chestpain.experiments._model_vs_scores import BASELINES, MODEL_OWN, ModelVsScoresResult
from chestpain.experiments._page_parts import _figure_link, _page
from chestpain.experiments._report import Page, est, fmt, table


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
            est(result.flag_ratio[group], 3) if result.flag_ratio else "-",
            est(result.auroc[("model", group)], 4),
            est(result.auroc[("oracle", group)], 4),
        ]
        for group in ("overall", "female", "male")
    ]
    model, oracle = result.point(result.model_at, "overall"), result.point(result.oracle_at, "overall")
    heart = result.point("HEART low risk (0-3)", "overall")
    esc = result.point(BASELINES["ESC 2020"], "overall")
    own = result.point(MODEL_OWN, "overall")
    target = f"{result.target:.0%}"
    headline = (
        f"At >= {target} sensitivity on the test split the model rules out "
        f"{fmt(model.rule_out.value, 1, percent=True)} of visits against the oracle's "
        f"{fmt(oracle.rule_out.value, 1, percent=True)} (ratio "
        f"{est(result.ratio['overall'], 3)}; women {est(result.ratio['female'], 3)}, men "
        f"{est(result.ratio['male'], 3)}). HEART (0-3) rules out {fmt(heart.rule_out.value, 1, percent=True)} at "
        f"{fmt(heart.sensitivity.value, 1, percent=True)} sensitivity and ESC 2020 "
        f"{fmt(esc.rule_out.value, 1, percent=True)} at {fmt(esc.sensitivity.value, 1, percent=True)}; the model at "
        f"its own trained threshold rules out {fmt(own.rule_out.value, 1, percent=True)} at "
        f"{fmt(own.sensitivity.value, 2, percent=True)}."
    )
    summary = (
        f"rule-out at >= {target} sensitivity: model {est(model.rule_out, 1, percent=True)} vs oracle "
        f"{est(oracle.rule_out, 1, percent=True)} (ratio {est(result.ratio['overall'], 3)}); HEART "
        f"{fmt(heart.rule_out.value, 1, percent=True)} at {fmt(heart.sensitivity.value, 1, percent=True)} "
        f"sensitivity, ESC 2020 {fmt(esc.rule_out.value, 1, percent=True)} at "
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
                    "shipped flag / oracle",
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
            "HEART, ESC 2020 (each record's own pathway) and single-sample rule-out at their own published cut-offs; "
            "the model at its trained "
            "threshold (calibration split); model and oracle at the test-split threshold. Sensitivity and "
            "rule-out intervals: Wilson, except rule-out at the test-split threshold (bootstrap).\n\n"
            + table(["rule", "group", "threshold", "MI", "sensitivity", "rule-out (share sent home)"], rows),
        ),
    ]
    if result.guarantees:
        mace_target = fmt(result.mace_target, 0, percent=True)
        sections.append(
            (
                "Guarantees on a cohort the model never saw",
                f"An independent cohort of {result.n:,} visits (seed {result.independent_seed}), scored by the "
                "shipped flag (either question) and by the MI question's own flag (whose group thresholds carry "
                "the guarantee). MI: sensitivity in each sex and each guaranteed group (target "
                f"{target}); 30-day MACE: in each sex (target {mace_target}). Wilson 95% intervals.\n\n"
                + table(
                    ["question", "group", "visits", "positives", "missed", "sensitivity", "rule-out"],
                    [
                        [q, g, f"{n:,}", f"{pos:,}", f"{miss:,}", est(sens, 2, percent=True), est(ro, 1, percent=True)]
                        for q, g, n, pos, miss, sens, ro in result.guarantees
                    ],
                ),
            )
        )
    assumptions = [
        "The oracle is the exact P(MI | every model-visible column) of the simulator's generating process: no "
        "model that sees the same columns can rule out more at the same sensitivity. A real cohort has no oracle.",
        "HEART is scored from the charted symptoms (`doc_*`, after interruption and discounting) with the "
        "universal 26 ng/L troponin limit, as a clinician would score it; low risk is 0-3 (Backus 2013). ESC 2020 "
        "reads each record on its own pathway, with the ARCHITECT hs-cTnI cut-offs (Collet 2021): 0/1 h where the "
        "1 h sample was drawn (rule-out: 0 h < 4 ng/L after 3 h of pain, or 0 h < 5 ng/L and 1 h change < 2 ng/L), "
        "else 0/2 h (0 h < 4 after 3 h, or 0 h < 6 and 2 h change < 2), else 0/3 h (both samples at or below the "
        "sex-specific 99th percentile and a change under half of it).",
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
