"""``triage audit``: subgroup error rates with CIs, disparities and mitigations for a model on a table."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from features import read_table
from triage.cli_support import Engine, SchedulerOption, one_line_errors, stdout


def _fmt(estimate: dict | None) -> str:
    values = [estimate.get(key) if estimate else None for key in ("value", "ci_low", "ci_high")]
    if any(v is None or math.isnan(v) for v in values):
        return "n/a" if values[0] is None or math.isnan(values[0]) else f"{values[0]:.4f}"
    return f"{values[0]:.4f} ({values[1]:.4f}-{values[2]:.4f})"


def sex_table(metrics: dict) -> Table:
    """Missed-MI rate (FNR), false alarms (FPR) and rule-out by sex, with 95% CIs."""
    table = Table(
        title=f"Audit by sex, label '{metrics['label']}' (95% bootstrap CI, {metrics['n_boot']} resamples)",
        title_justify="left",
    )
    for column in ("group", "n", "positives", "FNR (missed)", "FPR (false alarm)", "NPV", "AUROC"):
        table.add_column(column)
    for group in metrics["groups"]:
        if group["attribute"] in ("overall", "sex"):
            table.add_row(
                group["group"],
                f"{group['n']:,}",
                f"{group['n_positive']:,}",
                _fmt(group["fnr"]),
                _fmt(group["fpr"]),
                _fmt(group["npv"]),
                _fmt(group["auroc"]),
            )
    return table


@one_line_errors
def audit(
    model: Annotated[
        str, typer.Option(help="Model directory or registry URI, e.g. models:/chest-pain-triage@champion.")
    ],
    data: Annotated[Path, typer.Option(help="Labelled table (.parquet or .csv) with the true outcome.")],
    out: Annotated[Path, typer.Option(help="Report directory: metrics.json, report.html, PNG plots.")],
    label: Annotated[str | None, typer.Option(help="Outcome to audit against (default mi; cad for UCI).")] = None,
    n_boot: Annotated[int, typer.Option(min=0, help="Bootstrap resamples for the CIs.")] = 1000,
    seed: Annotated[int, typer.Option(min=0, help="Seed of the bootstrap and the mitigation split.")] = 0,
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
    from models import TriageModel, resolve_model_dir
    from models._audit import audit_model, write_model_audit
    from models._tracking import log_audit, training_run_id

    model_dir = resolve_model_dir(model)
    loaded = TriageModel.load(model_dir)
    if engine is Engine.dask:
        from models._dask_audit import audit_partitioned
        from triage._cluster import dask_client

        with dask_client(scheduler) as client:
            result = audit_partitioned(
                loaded,
                data,
                client=client,
                label=label,
                n_boot=n_boot,
                seed=seed,
                risk_resolution=risk_resolution or None,
            )
    else:
        result = audit_model(
            loaded,
            read_table(data),
            label=label,
            n_boot=n_boot,
            seed=seed,
            missed_mi_cost=missed_mi_cost,
            source=data.name,
        )
    write_model_audit(result, out, model_name=loaded.manifest.get("name", model))
    stdout.print(sex_table(result.result.to_dict()))
    flagged = [d for d in result.result.to_dict()["disparities"] if d.get("flagged") and d["metric"] == "fnr"]
    for d in flagged:
        ratio = _fmt({"value": d.get("ratio"), "ci_low": d.get("ci_low"), "ci_high": d.get("ci_high")})
        stdout.print(
            f"flagged missed-MI disparity: {d['attribute']}={d['group']} vs {d['reference']}: FNR ratio {ratio}"
        )
    stdout.print(f"report written to {out}/report.html")
    run_id = training_run_id(model, model_dir) if mlflow else None
    if run_id:
        log_audit(run_id, out)
        stdout.print(f"report logged to the model's MLflow run {run_id} under audit/{out.name}")
