"""``chestpain score``: the clinical baselines (HEART, ESC 0/1 h, single-sample rule-out) for every visit."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from chestpain.cli.support import EscEdition, TroponinPolicy, one_line_errors, stdout


@one_line_errors
def score(
    data: Annotated[
        Path,
        typer.Option("--data", help="ED visits or a cohort table (.csv or .parquet) with doc_* symptoms."),
    ],
    out: Annotated[Path, typer.Option("--out", help="Scores table: .csv or .parquet.", dir_okay=False)],
    troponin_policy: Annotated[
        TroponinPolicy,
        typer.Option(
            "--troponin-policy",
            help="99th percentile for HEART troponin: universal 26 ng/L, or sex-specific "
            "16 ng/L (women) / 34 ng/L (men).",
            case_sensitive=False,
        ),
    ] = TroponinPolicy.universal,
    esc_edition: Annotated[
        EscEdition,
        typer.Option(
            "--esc-edition",
            help="ESC 0/1 h cut-offs for Architect hs-cTnI: 2020 (Collet 2021: very low < 4 if onset > 3 h, "
            "high >= 64 ng/L) or 2015 (Roffi 2016: very low < 2, high >= 52 ng/L).",
        ),
    ] = EscEdition.esc2020,
) -> None:
    """Score every visit with HEART, the ESC 0/1 h algorithm and single-sample rule-out, in input order."""
    # Imported here so that `chestpain --help` and other verbs do not pay for pandas and pandera.
    from chestpain.features import check_output_path, clinical_scores, read_visits, write_table

    check_output_path(out, inputs=[data], probe=True)
    visits = read_visits(data, symptom_source="doc")
    scores = clinical_scores(visits, troponin_policy=troponin_policy.value, esc_edition=esc_edition.value)
    write_table(scores, out)
    low = (scores["heart_score"] <= 3).mean()
    esc = scores["esc_0_1h"].value_counts(normalize=True)
    single = scores["single_sample_rule_out"].mean()
    stdout.print(
        f"scored {len(scores)} visits to {out}: HEART low risk (0-3) {low:.1%}; ESC {esc_edition.value} 0/1 h rule-out "
        f"{esc.get('rule-out', 0.0):.1%}, observe {esc.get('observe', 0.0):.1%}, rule-in "
        f"{esc.get('rule-in', 0.0):.1%}; single-sample rule-out {single:.1%}",
        highlight=False,
        soft_wrap=True,
    )
