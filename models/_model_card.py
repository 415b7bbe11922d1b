"""``MODEL_CARD.md`` and ``MODEL_CARD.html`` beside the manifest: what the model answers, for whom, and how well.

Written from the manifest alone (every number on the card is in ``manifest.json``), so the card can never
disagree with the model it describes. Sections follow Mitchell et al., "Model Cards for Model Reporting"
(FAT* 2019): intended use, data, the decision rule, metrics by group with their intervals, caveats.
"""

from __future__ import annotations

import html
import math
from pathlib import Path
from typing import Any

from markdown_it import MarkdownIt

from chestpain.models._evaluation import flag_at_own_sensitivity_text

CARD_MD = "MODEL_CARD.md"
CARD_HTML = "MODEL_CARD.html"

DISCLAIMER = (
    "A research and audit tool, not a medical device. Simulated results are not clinical evidence; "
    "UCI's label is angiographic coronary disease, not myocardial infarction."
)


def _ci(metric: Any, digits: int = 2) -> str:
    if not isinstance(metric, dict) or metric.get("value") is None or math.isnan(float(metric["value"])):
        return "n/a"
    scale = 100.0
    return (
        f"{scale * metric['value']:.{digits}f}% "
        f"({scale * metric['ci_low']:.{digits}f}-{scale * metric['ci_high']:.{digits}f})"
    )


def _ratio(metric: Any) -> str:
    """'1.02 (0.95-1.09)': a ratio, not a percentage."""
    if not isinstance(metric, dict) or metric.get("value") is None:
        return "n/a"
    return f"{metric['value']:.2f} ({metric['ci_low']:.2f}-{metric['ci_high']:.2f})"


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|")


def card_markdown(manifest: dict[str, Any]) -> str:
    """The model card as Markdown."""
    metrics = manifest.get("metrics", {})
    label = manifest["label"]
    lines = [
        f"# Model card: {_cell(manifest['name'])}",
        "",
        f"**{DISCLAIMER}**",
        "",
        "## Questions it answers",
        (
            f"- **Angiographic coronary disease?** calibrated P(cad) from a {manifest['model_kind']} model (UCI's "
            "label: not myocardial infarction)."
            if label == "cad"
            else f"- **MI now?** calibrated P({label}) from a {manifest['model_kind']} model."
        ),
    ]
    mace = manifest.get("mace")
    if mace:
        lines.append(
            "- **Death, MI or urgent revascularisation within 30 days?** calibrated P(mace_30d) from a second model "
            "on the same inputs."
        )
    lines += [
        "",
        '"Not safe to discharge" when either question is flagged.',
        "",
        "## Intended use",
        "- Research and audit: studying how a discharge check behaves, and fails, by sex, race and age, on "
        "simulated emergency-department chest-pain visits; teaching; comparing models and mitigations.",
        "",
        "## Out of scope",
        "- Any decision about a real patient: it is not a medical device and was not validated on patients.",
        "- Populations and assays unlike the training data (other troponin assays, children, non-chest-pain "
        "presentations); UCI models answer angiographic coronary disease, not MI.",
        "",
        "## Decision rule",
        "| question | group | threshold (risk >=) | positives that chose it | guaranteed |",
        "|---|---|---|---|---|",
    ]
    for sex, value in manifest["thresholds"].items():
        lines.append(f"| MI | {sex} | {value:.4%} | | yes |")
    for rule in manifest.get("threshold_groups", []):
        lines.append(
            f"| MI | {_cell(rule['group'])} | {rule['threshold']:.4%} | {rule['n_positive']:,} | "
            f"{'yes' if rule['guaranteed'] else 'no: too few positives'} |"
        )
    if mace:
        for sex, value in mace["thresholds"].items():
            lines.append(f"| 30-day MACE | {sex} | {value:.4%} | | yes |")
    selection = manifest.get("threshold_selection") or {}
    lines += [
        "",
        f"Each threshold is the highest whose one-sided {selection.get('confidence', 0):.1%} Wilson lower bound of "
        f"sensitivity reaches {manifest['threshold_target_sensitivity']:.0%} for MI"
        + (f" and {mace['target_sensitivity']:.0%} for 30-day MACE" if mace else "")
        + f" (rule: {selection.get('rule', 'n/a')}); a patient is held to the lowest threshold of any group they "
        "belong to.",
        "",
    ]
    guarantees = metrics.get("guarantees")
    if guarantees:
        lines += [
            f"## Sensitivity for {metrics.get('evaluation_label', label)} on the held-out test split (95% Wilson CI)",
            "| group | visits | positives | missed | sensitivity | rule-out share |",
            "|---|---|---|---|---|---|",
        ]
        for row in guarantees:
            lines.append(
                f"| {_cell(row['group'])} | {row['n']:,} | {row['positives']:,} | {row['missed']:,} | "
                f"{_ci(row['sensitivity'])} | {_ci(row['rule_out_fraction'], 1)} |"
            )
        lines.append("")
    cost = metrics.get("rule_out_cost")
    if cost:
        lines += [
            "## What the guarantees cost (share of test visits ruled out)",
            f"- per-sex MI thresholds alone: {cost['per_sex_thresholds']:.1%}",
            f"- with the group guarantees: {cost['with_group_guarantees']:.1%}",
            f"- with the 30-day MACE question too (the shipped flag): {cost['with_mace_question']:.1%}",
            "",
        ]
    lines += ["## Overall and by sex (test split)", "| question | group | sensitivity | NPV | rule-out | AUROC |"]
    lines.append("|---|---|---|---|---|---|")
    for name, block in (("MI", metrics.get("test")), ("30-day MACE", metrics.get("test_mace_30d"))):
        for group, m in (block or {}).items():
            lines.append(
                f"| {name} | {group} | {_ci(m.get('sensitivity'))} | {_ci(m.get('npv'))} | "
                f"{_ci(m.get('rule_out_fraction'), 1)} | {_ci(m.get('auroc'))} |"
            )
    lines += _by_group(metrics) + _against_oracle(metrics)
    lines += [
        "",
        "## Data and inputs",
        _data_line(manifest.get("training_data")),
        f"- training data sha256: `{manifest['training_data_sha256']}` (identifies the rows themselves)",
        f"- inputs: {', '.join(manifest['features'])}",
    ]
    if manifest.get("feature_config", {}).get("dataset") == "uci":
        lines += ["", "## Caveats", "- UCI's label is angiographic coronary disease, not myocardial infarction.", ""]
        return "\n".join(lines)
    lines += [
        "- the 2 h and 3 h troponin samples are optional (missing = not drawn).",
        "",
        "## Caveats",
        "- Trained and tested on simulated visits: the figures describe the simulator, not any hospital.",
        "- The oracle is the simulator's exact probability given everything the record holds; a real hospital "
        "has none, so the oracle comparison exists only for simulated data.",
        "- Groups with few MI cases have wide intervals; a group without a guaranteed threshold is named above.",
        "- Card after Mitchell et al., Model Cards for Model Reporting, FAT* 2019.",
        "",
    ]
    return "\n".join(lines)


def _data_line(data: dict[str, Any] | None) -> str:
    """Where the training rows came from, as the file recorded it (``chestpain simulate`` writes it)."""
    data = data or {"source": "unknown"}
    if data.get("source") == "uci":
        return (
            "- data: UCI Heart Disease (Cleveland, Budapest, Zurich and Basel, Long Beach VA; Janosi, Steinbrunn, "
            "Pfisterer & Detrano 1988, CC BY 4.0), "
            "harmonised by `chestpain data uci`; its label is angiographic coronary disease."
        )
    if data.get("source") == "simulated":
        return (
            f"- data: simulated by chestpain {_cell(data.get('simulator_version', '?'))}, scenario "
            f"`{_cell(data.get('scenario', '?'))}` (config sha256 `{str(data.get('scenario_sha256', '?'))[:12]}`), "
            f"seed {_cell(data.get('seed', '?'))}, {_count(data.get('rows'))} visits; reproduce with "
            f"`chestpain simulate --config {_cell(data.get('scenario', '?'))} --seed {_cell(data.get('seed', '?'))} "
            f"--n {_cell(data.get('rows', '?'))}` (plus any `--set` that gives the same config sha256)."
        )
    return (
        "- data: source not recorded in the file (not written by `chestpain simulate`, or rewritten since); "
        "the sha256 below identifies the rows."
    )


def _count(value: object) -> str:
    return f"{value:,}" if isinstance(value, int) else _cell(value if value is not None else "?")


def _by_group(metrics: dict[str, Any]) -> list[str]:
    """Missed MI, false alarms, rule-out, AUROC and calibration in every audit group (test split)."""
    rows = metrics.get("by_group")
    if not rows:
        return []
    lines = [
        "",
        "## By sex, race, age band and sex x age band (test split, shipped flag, 95% CI)",
        "| attribute | group | visits | MI | missed MI | false alarms | rule-out | AUROC | observed / expected |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        lines.append(
            f"| {_cell(row['attribute'])} | {_cell(row['group'])} | {row['n']:,} | {row['positives']:,} | "
            f"{_ci(row['missed_mi'])} | {_ci(row['false_alarms'])} | {_ci(row['rule_out_fraction'], 1)} | "
            f"{_ci(row.get('auroc'))} | {_ratio(row.get('observed_to_expected'))} |"
        )
    return lines


def _against_oracle(metrics: dict[str, Any]) -> list[str]:
    comparison = metrics.get("test", {}).get("overall", {}).get("vs_oracle")
    if not comparison:
        return []
    target = comparison["target_sensitivity"]
    # The MI oracle answers the MI question: its flag alone is the like-for-like comparison, listed last.
    mi_question = metrics.get("test_mi_question", {}).get("overall", {}).get("vs_oracle")
    mi_line = (
        [
            f"- the MI question's flag alone rules out {mi_question['flag_rule_out_vs_oracle']:.3f} of it at "
            f"{target:.0%}{flag_at_own_sensitivity_text(mi_question)}."
        ]
        if mi_question
        else []
    )
    return [
        "",
        "## Against the simulator's oracle (test split)",
        f"- rule-out at exactly {target:.0%} sensitivity: model {comparison['rule_out_at_target']:.1%}, oracle "
        f"{comparison['oracle_rule_out_at_target']:.1%} (ratio {comparison['ranking_vs_oracle']:.3f});",
        f"- the shipped flag rules out {comparison['flag_rule_out_vs_oracle']:.3f} of the oracle's rule-out at "
        f"{target:.0%}{flag_at_own_sensitivity_text(comparison)}{';' if mi_line else '.'}",
        *mi_line,
    ]


def write_model_card(directory: Path, manifest: dict[str, Any]) -> list[Path]:
    """Write ``MODEL_CARD.md`` and a self-contained ``MODEL_CARD.html`` (no raw HTML passes through)."""
    text = card_markdown(manifest)
    md_path, html_path = directory / CARD_MD, directory / CARD_HTML
    md_path.write_text(text, encoding="utf-8")
    body = MarkdownIt("commonmark", {"html": False}).enable("table").render(text)
    title = html.escape(f"Model card: {manifest['name']}")
    html_path.write_text(
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
        "<style>body{font-family:sans-serif;max-width:60rem;margin:2rem auto}"
        "table{border-collapse:collapse}td,th{border:1px solid #999;padding:.2rem .5rem}</style>"
        f"</head><body>{body}</body></html>\n",
        encoding="utf-8",
    )
    return [md_path, html_path]
