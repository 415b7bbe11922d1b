"""The pain-treatment study's results page: analgesia by race among patients in pain, overall and by score."""

from __future__ import annotations

from chestpain.experiments._config import PainConfig
from chestpain.experiments._figures import pain_figure
from chestpain.experiments._page_parts import _figure_link, _page
from chestpain.experiments._pain import PainResult
from chestpain.experiments._report import Page, est, table
from chestpain.kernel.stats import Estimate


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
