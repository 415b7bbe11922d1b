"""``chestpain experiment run``: run one reproducible study, write its results page and log it to MLflow."""

from __future__ import annotations

from typing import Annotated

import typer

from chestpain.cli.support import one_line_errors, progress_bar, stdout


@one_line_errors
def run(
    config: Annotated[
        str,
        typer.Argument(
            help="Experiment: a packaged name (calibration, interventions, ...) or a YAML path, e.g. "
            "configs/experiments/calibration.yaml."
        ),
    ],
    set_: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            help="Override a config key, e.g. --set n=100000, --set output_dir=/tmp/out or --set engine=dask "
            "(one Dask task per sweep point; --set scheduler=tcp://HOST:8786 for an existing cluster).",
        ),
    ] = None,
    mlflow: Annotated[
        bool, typer.Option(help="Log the run (params, headline metrics, result files) to MLflow.")
    ] = True,
) -> None:
    """Run an experiment: results page (markdown + PNG) in its output_dir, and one MLflow run."""
    from chestpain.experiments import load_experiment_config, run_experiment

    cfg = load_experiment_config(config, set_ or [])
    with progress_bar() as progress:
        outcome = run_experiment(cfg, progress=progress, mlflow=mlflow)
    stdout.print(f"[bold]{cfg.title}[/] ({cfg.kind}, seed {cfg.seed}): {outcome.page.headline}", soft_wrap=True)
    stdout.print(f"wrote {', '.join(str(p) for p in outcome.files)}", soft_wrap=True)
    if outcome.run_id:
        stdout.print(f"MLflow run {outcome.run_id} in experiment '{cfg.tracking.experiment}'")
    stdout.print(f"finished in {outcome.seconds:.1f} s")
