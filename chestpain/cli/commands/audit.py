"""``chestpain audit``: subgroup error rates with CIs and protected disparity flags for a model or any decision.

Three ways in, exactly one per call:

* ``--model MODEL --data TABLE``: score the table with a trained model (and compare mitigations);
* ``--predictions FILE --label mi [--score COL] [--flag COL] [--threshold T]``: a table that already holds a
  score and/or a yes/no decision (any model's output);
* ``--data COHORT --decision clinician|heart|esc``: the clinicians' discharges or the HEART / ESC 2020
  pathway decisions on a cohort table (ESC on each record's own pathway: 0/1 h, else 0/2 h or 0/3 h).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from chestpain.cli.support import Engine, SchedulerOption, one_line_errors, stdout
from chestpain.kernel.errors import TriageError

ONE_SOURCE = "give exactly one of --model, --predictions or --decision (got {given})"
NEEDS_DATA = "{option} needs --data: the labelled table to audit"
DATA_WITH_PREDICTIONS = "--predictions is the table to audit; do not also give --data"
MODEL_ONLY = "{option} applies to --model audits only"
PREDICTIONS_ONLY = "{option} applies to --predictions audits only"


def _fmt(estimate: dict | None) -> str:
    values = [estimate.get(key) if estimate else None for key in ("value", "ci_low", "ci_high")]
    if any(v is None or math.isnan(v) for v in values):
        return "n/a" if values[0] is None or math.isnan(values[0]) else f"{values[0]:.4f}"
    return f"{values[0]:.4f} ({values[1]:.4f}-{values[2]:.4f})"


def sex_table(metrics: dict) -> Table:
    """Missed-MI rate (FNR), false alarms (FPR), NPV and AUROC by sex, with 95% CIs."""
    method = metrics.get("intervals", {}).get("proportion", "wilson")
    table = Table(
        title=escape(
            f"Audit by sex, label '{metrics['label']}' (95% CI: {method} for rates, bootstrap of "
            f"{metrics['n_boot']} resamples for AUROC)"
        ),
        title_justify="left",
    )
    for column in ("group", "n", "positives", "FNR (missed)", "FPR (false alarm)", "NPV", "AUROC"):
        table.add_column(column)
    for group in metrics["groups"]:
        if group["attribute"] in ("overall", "sex"):
            table.add_row(
                escape(str(group["group"])),
                f"{group['n']:,}",
                f"{group['n_positive']:,}",
                _fmt(group["fnr"]),
                _fmt(group["fpr"]),
                _fmt(group["npv"]),
                _fmt(group["auroc"]),
            )
    return table


def _print_findings(document: dict) -> None:
    for d in document["disparities"]:
        if d["metric"] != "fnr":
            continue
        where = f"{d['attribute']}={d['group']} vs {d['reference']}"
        ratio = _fmt({"value": d.get("ratio"), "ci_low": d.get("ci_low"), "ci_high": d.get("ci_high")})
        if d.get("flagged"):
            stdout.print(escape(f"flagged missed-MI disparity: {where}: FNR ratio {ratio}; {d['flag_rule']}"))
        elif d.get("withheld"):
            stdout.print(escape(f"not compared: {where}: {d['withheld']}"))
    rule = document.get("multiplicity", {})
    level, families = rule.get("level", 0.05), rule.get("families", {})
    primary, secondary = (families.get(name, {}).get("n_comparisons") for name in ("primary", "secondary"))
    stdout.print(
        escape(
            f"flags: {rule.get('title', '')} at {level:g} within each family: {primary} missed-MI comparisons "
            f"(primary), {secondary} others (secondary)"
        )
    )


@one_line_errors
def audit(
    out: Annotated[Path, typer.Option(help="Report directory: metrics.json, report.html, PNG plots.")],
    model: Annotated[
        str | None, typer.Option(help="Model directory or registry URI, e.g. models:/chest-pain-triage@champion.")
    ] = None,
    data: Annotated[
        Path | None, typer.Option(help="Labelled table (.parquet or .csv) for --model or --decision.")
    ] = None,
    predictions: Annotated[
        Path | None, typer.Option(help="A table (.csv or .parquet) holding a score and/or a yes/no flag per row.")
    ] = None,
    decision: Annotated[
        str | None,
        typer.Option(help="Audit a decision on the cohort: clinician (flag = not discharged), heart, esc."),
    ] = None,
    score: Annotated[str | None, typer.Option(help="--predictions: column with a risk score in [0, 1].")] = None,
    flag: Annotated[
        str | None, typer.Option(help="--predictions: yes/no column (true = not safe to discharge).")
    ] = None,
    threshold: Annotated[
        float | None, typer.Option(min=0, max=1, help="--predictions with --score only: flag score >= threshold.")
    ] = None,
    label: Annotated[str | None, typer.Option(help="Outcome to audit against (default mi; cad for UCI).")] = None,
    n_boot: Annotated[int, typer.Option(min=1, help="Bootstrap resamples for AUROC, ECE and curves.")] = 1000,
    seed: Annotated[int, typer.Option(min=0, help="Seed of the bootstrap and the mitigation split.")] = 0,
    interval_method: Annotated[
        str, typer.Option(help="Proportion intervals: wilson, clopper-pearson or jeffreys.")
    ] = "wilson",
    multiplicity: Annotated[
        str, typer.Option(help="Flag rule across comparisons: bh (false discovery rate), holm, none.")
    ] = "bh",
    missed_mi_cost: Annotated[float, typer.Option(min=1, help="False alarms one missed MI is worth.")] = 50.0,
    mlflow: Annotated[bool, typer.Option(help="Attach the report to the model's MLflow training run.")] = True,
    engine: Annotated[
        Engine, typer.Option(help="local: in memory; dask: partitioned data reduced to counts on a cluster.")
    ] = Engine.local,
    scheduler: SchedulerOption = None,
    risk_resolution: Annotated[
        float,
        typer.Option(
            min=0,
            help="Dask engine: logit grid that risk is snapped to before counting (flags and confusion metrics "
            "stay exact; AUROC and calibration move by less than the grid). 0 = exact risks, more memory.",
        ),
    ] = 1e-3,
) -> None:
    """Audit missed MI (FNR), false alarms and calibration by sex, race, age band and their intersections."""
    # Heavy modules are imported here, not at the top, so that `chestpain --help` answers at once.
    from chestpain.features import read_table

    given = [
        name for name, value in (("--model", model), ("--predictions", predictions), ("--decision", decision)) if value
    ]
    if len(given) != 1:
        raise TriageError(ONE_SOURCE.format(given=", ".join(given) or "none"))
    options = {"n_boot": n_boot, "seed": seed, "interval_method": interval_method, "multiplicity": multiplicity}
    if model is None:
        if engine is Engine.dask:
            raise TriageError(MODEL_ONLY.format(option="--engine dask"))
        if predictions is None and (score or flag or threshold is not None):
            raise TriageError(PREDICTIONS_ONLY.format(option="--score/--flag/--threshold"))
        if predictions is not None:
            from chestpain.models import audit_table

            if data is not None:
                raise TriageError(DATA_WITH_PREDICTIONS)
            result = audit_table(
                read_table(predictions),
                label=label or "mi",
                score=score,
                flag=flag,
                threshold=threshold,
                source=predictions.name,
                **options,
            )
        else:
            from chestpain.models import Decision, audit_decision

            if data is None:
                raise TriageError(NEEDS_DATA.format(option="--decision"))
            try:
                chosen = Decision(decision)
            except ValueError:
                raise TriageError(f"--decision must be one of clinician, heart, esc, got {decision!r}") from None
            result = audit_decision(read_table(data), chosen, label=label or "mi", source=data.name, **options)
        from chestpain.fairness import write_report

        write_report(result.result, out, title=f"Fairness audit of {result.result.source}")
        document = result.result.to_dict()
        stdout.print(sex_table(document))
        _print_findings(document)
        stdout.print(escape(f"report written to {out}/report.html"))
        return

    from chestpain.models import (
        TriageModel,
        audit_model,
        log_audit,
        resolve_model_dir,
        training_run_id,
        write_model_audit,
    )

    if score or flag or threshold is not None:
        raise TriageError(PREDICTIONS_ONLY.format(option="--score/--flag/--threshold"))
    if data is None:
        raise TriageError(NEEDS_DATA.format(option="--model"))
    model_dir = resolve_model_dir(model)
    loaded = TriageModel.load(model_dir)
    if engine is Engine.dask:
        from chestpain.kernel.cluster import dask_client
        from chestpain.models import audit_partitioned

        with dask_client(scheduler) as client:
            result = audit_partitioned(
                loaded,
                data,
                client=client,
                label=label,
                risk_resolution=risk_resolution or None,
                **options,
            )
    else:
        result = audit_model(
            loaded,
            read_table(data),
            label=label,
            missed_mi_cost=missed_mi_cost,
            source=data.name,
            **options,
        )
    write_model_audit(result, out, model_name=loaded.manifest.get("name", model))
    document = result.result.to_dict()
    stdout.print(sex_table(document))
    _print_findings(document)
    stdout.print(escape(f"report written to {out}/report.html"))
    run_id = training_run_id(model, model_dir) if mlflow else None
    if run_id:
        log_audit(run_id, out)
        stdout.print(f"report logged to the model's MLflow run {run_id} under audit/{out.name}")
