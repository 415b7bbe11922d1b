"""Run an experiment end to end: compute, render, write the files, log the MLflow run."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chestpain.experiments._calibration import run_calibration
from chestpain.experiments._calibration_page import render_calibration
from chestpain.experiments._common import Progress
from chestpain.experiments._interventions import run_interventions
from chestpain.experiments._interventions_page import render_interventions
from chestpain.experiments._label_bias import run_label_bias
from chestpain.experiments._label_bias_page import render_label_bias
from chestpain.experiments._listening import run_listening
from chestpain.experiments._listening_page import render_listening
from chestpain.experiments._model_vs_scores import run_model_vs_scores
from chestpain.experiments._model_vs_scores_page import render_model_vs_scores
from chestpain.experiments._pain import run_pain
from chestpain.experiments._pain_page import render_pain
from chestpain.experiments._report import Page, write_page
from chestpain.experiments._tracking import log_experiment_run
from chestpain.experiments._uci_sites import run_uci_sites
from chestpain.experiments._uci_sites_page import render_uci_sites

#: kind -> (compute, render)
EXPERIMENTS: dict[str, tuple[Callable[..., Any], Callable[[Any, Any], Page]]] = {
    "calibration": (run_calibration, render_calibration),
    "listening": (run_listening, render_listening),
    "interventions": (run_interventions, render_interventions),
    "label_bias": (run_label_bias, render_label_bias),
    "pain_treatment": (run_pain, render_pain),
    "uci_sites": (run_uci_sites, render_uci_sites),
    "model_vs_scores": (run_model_vs_scores, render_model_vs_scores),
}


@dataclass
class ExperimentRun:
    """What a run produced: the result object, its page, the files written and the MLflow run id."""

    config: Any
    result: Any
    page: Page
    files: list[Path]
    run_id: str | None
    seconds: float


def run_experiment(config: Any, *, progress: Progress | None = None, mlflow: bool = True) -> ExperimentRun:
    """Compute the experiment, write ``NAME.md`` / ``NAME_*.png`` / ``NAME.json`` and log it to MLflow.

    The wall-clock time is logged to MLflow (``seconds``) and returned, never written into the page, so the
    files stay byte-identical across runs.
    """
    started = time.perf_counter()
    compute, render = EXPERIMENTS[config.kind]
    result = compute(config, progress=progress)
    page = render(result, config)
    files = write_page(page, config.output_dir)
    seconds = time.perf_counter() - started
    run_id = None
    if mlflow and config.tracking.enabled:
        run_id = log_experiment_run(
            experiment=config.tracking.experiment,
            run_name=config.name,
            kind=config.kind,
            params=config.model_dump(mode="json", exclude={"tracking"}),
            metrics={**page.metrics, "seconds": seconds},
            files=[f for f in files if f.name != "README.md"],
        )
    return ExperimentRun(config, result, page, files, run_id, seconds)
