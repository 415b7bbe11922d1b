"""``chestpain train``: fit, calibrate and threshold a model, save MODEL_DIR and log the run to MLflow."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from chestpain.cli.support import Engine, SchedulerOption, one_line_errors, progress_bar, stdout
from chestpain.kernel.errors import TriageError


def _fmt(metric: Any, digits: int = 3) -> str:
    if not isinstance(metric, dict) or metric.get("value") is None or math.isnan(metric["value"]):
        return "n/a"
    return f"{metric['value']:.{digits}f} ({metric['ci_low']:.{digits}f}-{metric['ci_high']:.{digits}f})"


def summary_table(metrics: dict[str, Any], baselines: dict[str, Any], model_name: str) -> Table:
    """Model vs clinical scores on the test split, overall and by sex (95% CIs)."""
    table = Table(title=f"Test split, label '{metrics['evaluation_label']}' (95% CI)", title_justify="left")
    for column in ("rule", "group", "n", "positives", "sensitivity", "NPV", "rule-out fraction", "AUROC"):
        table.add_column(column)
    rows = [(model_name, metrics["test"])] + list(baselines.items())
    if "test_mace_30d" in metrics:  # issue 25: the shipped flag is either question's
        rows[0] = (f"{model_name} (shipped flag: either question)", metrics["test"])
        rows.insert(1, (f"{model_name}: MI question alone", metrics["test_mi_question"]))
        rows.insert(2, (f"{model_name}: 30-day MACE (label mace_30d; AUROC of its risk)", metrics["test_mace_30d"]))
    for name, by_group in rows:
        for group in ("overall", "female", "male"):
            m = by_group[group]
            table.add_row(
                name if group == "overall" else "",
                group,
                f"{m['n']:,}",
                f"{m['positives']:,}",
                _fmt(m["sensitivity"], 4),
                _fmt(m["npv"], 4),
                _fmt(m["rule_out_fraction"]),
                _fmt(m.get("auroc"), 4),
            )
    return table


def guarantees_table(metrics: dict[str, Any]) -> Table | None:
    """Sensitivity of the shipped flag in each sex and each guaranteed group, with what the guarantees cost."""
    rows = metrics.get("guarantees")
    if not rows:
        return None
    cost = metrics.get("rule_out_cost", {})
    caption = (
        f"rule-out share: per-sex MI thresholds {cost['per_sex_thresholds']:.1%}, with the group guarantees "
        f"{cost['with_group_guarantees']:.1%}, with the 30-day MACE question {cost['with_mace_question']:.1%}"
        if cost
        else None
    )
    table = Table(
        title=f"Guaranteed groups, label '{metrics['evaluation_label']}', shipped flag (95% CI)",
        title_justify="left",
        caption=caption,
        caption_justify="left",
    )
    for column in ("group", "n", "positives", "missed", "sensitivity", "rule-out fraction"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            row["group"],
            f"{row['n']:,}",
            f"{row['positives']:,}",
            f"{row['missed']:,}",
            _fmt(row["sensitivity"], 4),
            _fmt(row["rule_out_fraction"]),
        )
    return table


@one_line_errors
def train(
    config: Annotated[
        str, typer.Option(help="Training config: a packaged name (xgboost, logistic, uci_xgboost, ...) or a YAML path.")
    ],
    data: Annotated[Path, typer.Option(help="Cohort or ED-visit table with a label column (.parquet or .csv).")],
    out: Annotated[Path, typer.Option(help="Model directory to write (replaced atomically).")],
    set_: Annotated[
        list[str] | None, typer.Option("--set", help="Override a config key, e.g. --set label=diagnosed_mi.")
    ] = None,
    mlflow: Annotated[bool, typer.Option(help="Log the run and register the model in MLflow.")] = True,
    engine: Annotated[
        Engine, typer.Option(help="local: in memory; dask: xgboost.dask on a partitioned Parquet directory.")
    ] = Engine.local,
    scheduler: SchedulerOption = None,
) -> str | None:
    """Train a discharge-risk model and report it against HEART, ESC 2020 and single-sample rule-out.

    The version becomes ``champion`` only if it passes the promotion gates (README "Promotion"); otherwise it is
    registered as ``challenger`` with the reasons. Returns the registry reference of the version (for ``demo``).
    """
    # Heavy modules are imported here, not at the top, so that `chestpain --help` answers at once.
    from chestpain.models import load_train_config, output_lock

    cfg = load_train_config(config, set_ or [])
    if out.exists() and not (out / "manifest.json").exists():
        raise TriageError(f"--out {out} exists and is not a model directory; refusing to replace it")
    # One run per --out, from before the data are read until the MLflow run is logged (models/_output_dir.py).
    with output_lock(out):
        result = _fit(cfg, data, out, engine, scheduler)
        stdout.print(f"model written to {out} (MI thresholds by sex: {result.model.thresholds}; card: MODEL_CARD.md)")
        stdout.print(summary_table(result.metrics, result.baselines, cfg.name))
        if (groups := guarantees_table(result.metrics)) is not None:
            stdout.print(groups)
        from chestpain.models import oracle_summary

        if (line := oracle_summary(result.metrics["test"])) is not None:
            stdout.print(line)
        if "test_mi_question" in result.metrics and (line := oracle_summary(result.metrics["test_mi_question"])):
            stdout.print("MI question alone: " + line)
        if cfg.label == "cad":
            stdout.print("Label 'cad' is angiographic coronary disease, not myocardial infarction.")
        if mlflow and cfg.tracking.enabled:
            return _log_and_register(cfg, config, set_ or [], data, out, result)
    return None


def _log_and_register(cfg: Any, config: str, overrides: list[str], data: Path, out: Path, result: Any) -> str:
    """Log the run with its lineage; register the version, ``champion`` only if it passes the promotion gates."""
    from chestpain.models import (
        CHAMPION,
        decide_against_registry,
        decision_tags,
        flat_params,
        git_state,
        log_training_run,
        record_run,
        run_name,
        training_dataset,
    )

    tracking = cfg.tracking
    decision = None
    if tracking.registered_model and tracking.alias == CHAMPION:
        stdout.print("checking the promotion gates (own guarantees; the champion on the shared validation cohort)")
        decision = decide_against_registry(
            result.model,
            tracking.registered_model,
            margin=cfg.promotion.ranking_margin,
            validation_rows=cfg.promotion.validation_rows,
        )
        stdout.print(("promotion: " if decision.promoted else "[bold]promotion:[/bold] ") + escape(decision.summary()))
    manifest = result.model.manifest
    alias = decision.alias if decision else tracking.alias
    provenance = {f"data.{key}": str(value) for key, value in manifest.get("training_data", {}).items()}
    tags = {**git_state(), **provenance, **(decision_tags(decision) if decision else {})}
    info = log_training_run(
        out,
        manifest,
        {"config": str(config), "overrides": " ".join(overrides), **flat_params(cfg.model_dump(mode="json"))},
        result.plots,
        experiment=tracking.experiment,
        registered_model=tracking.registered_model,
        alias=alias,
        manifest_sha256=result.manifest_sha256,
        run_name=run_name(cfg.name, overrides, data),
        tags=tags,
        extra_metrics=decision.figures if decision else None,
        artifacts={"promotion.json": json.dumps(decision.__dict__, indent=2, default=list)} if decision else None,
        dataset=training_dataset(data, manifest["training_data_sha256"]),
    )
    record_run(out, info["run_id"])
    where = f"models:/{tracking.registered_model}@{alias}" if info["version"] else info["model_uri"]
    stdout.print(f"MLflow run {info['run_id']} logged; registered as {where} (version {info['version']})")
    if decision is not None and not decision.promoted:
        stdout.print(
            f"the champion is unchanged; to overrule: chestpain promote {tracking.registered_model}@{info['version']} "
            "--force --reason TEXT"
        )
    if not info["version"]:
        return str(info["model_uri"])
    return where if decision is None or decision.promoted else f"models:/{tracking.registered_model}/{info['version']}"


def _fit(cfg: Any, data: Path, out: Path, engine: Engine, scheduler: str | None) -> Any:
    """Train with the chosen engine and write ``out`` (the caller holds its lock)."""
    from chestpain.cli.stage_clock import StageClock, fit_stages
    from chestpain.features import read_provenance, read_table
    from chestpain.models import prepare
    from chestpain.models import train as train_model

    if engine is Engine.dask:
        from chestpain.kernel.cluster import dask_client
        from chestpain.models import train_dask

        stdout.print(f"training {cfg.name} with xgboost.dask on {data}")
        with dask_client(scheduler) as client:
            return train_dask(data, cfg, out, client=client)
    frame = read_table(data)
    prepared = prepare(frame, cfg, source=data.name, provenance=read_provenance(data))
    folds = cfg.threshold.folds if cfg.threshold.rule == "cross_fit" else 0
    clock = StageClock(fit_stages(folds, questions=1 + (cfg.mace is not None)))
    # The bar's own time-remaining column is left out: early stopping ends a fit long before its round cap, so
    # it would overstate; the stage clock's estimate (mean time per finished fit x fits to come) replaces it.
    with progress_bar(time_remaining=False) as progress:
        # One bar per stage (each fold of the cross-fit, the final model, then thresholds and evaluation): a
        # 400,000-row retrain used to show one bar that filled in the first fold and then sat still for minutes.
        task = progress.add_task(f"training {cfg.name} on {len(frame):,} rows", total=None)

        def stage(description: str, total: int) -> None:
            description = escape(clock.label(description, is_fit=total > 0))  # "[last]" is not rich markup
            progress.reset(task, total=total or None, description=description)
            if not progress.console.is_terminal:  # the bar is hidden in logs: one line per stage instead
                progress.console.print(description, highlight=False)

        result = train_model(prepared, cfg, out, on_round=lambda: progress.advance(task), on_stage=stage)
        progress.update(task, total=1, completed=1, description="model written")
    return result
