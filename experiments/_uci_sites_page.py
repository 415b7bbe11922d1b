"""The UCI sites study's results page: each model tested on the site it did not see, by sex (public data)."""

from __future__ import annotations

from chestpain.experiments._config import UciSitesConfig
from chestpain.experiments._figures import uci_figure
from chestpain.experiments._page_parts import _figure_link, _page
from chestpain.experiments._report import PUBLIC_DATA_NOTE, Page, est, fmt, table
from chestpain.experiments._uci_sites import POOLED, SITES, UciSitesResult
from chestpain.kernel.stats import Estimate


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
