"""Reproducible studies built on the simulator, the models and the audit, each with a config and a results page.

Public surface::

    load_experiment_config(path, overrides)  -> a config of one kind (``kind:`` picks it; unknown keys are errors)
    run_experiment(config, progress, mlflow) -> ExperimentRun (result, page, files written, MLflow run id)
    run_<kind>(config, progress)             -> a result dataclass (plain computation, no files)
    render_<kind>(result, config)            -> Page (markdown, figures, headline, headline metrics)
    write_page(page, out_dir) / write_summary(out_dir) / read_summaries(out_dir) / summary_table(entries)

Kinds: calibration, listening, interventions, label_bias, pain_treatment, uci_sites, model_vs_scores.
Every kind takes ``engine: local | dask``: with ``dask`` each sweep point (scenario, grid cell, arm, seed, held-out
site) is one Dask task and the results are identical to ``local`` (``experiments/_engine.py`` says why).
Simulated results are simulated evidence, not clinical evidence; every page says so and states its assumptions.
"""

from chestpain.experiments._calibration import CalibrationResult, run_calibration
from chestpain.experiments._calibration_page import render_calibration
from chestpain.experiments._config import (
    KINDS,
    CalibrationConfig,
    InterventionsConfig,
    LabelBiasConfig,
    ListeningConfig,
    ModelVsScoresConfig,
    PainConfig,
    UciSitesConfig,
    load_experiment_config,
    load_scenario_stack,
)
from chestpain.experiments._interventions import InterventionsResult, run_interventions
from chestpain.experiments._interventions_page import render_interventions
from chestpain.experiments._label_bias import LabelBiasResult, run_label_bias
from chestpain.experiments._label_bias_page import render_label_bias
from chestpain.experiments._listening import ListeningResult, run_listening
from chestpain.experiments._listening_page import render_listening
from chestpain.experiments._model_vs_scores import ModelVsScoresResult, run_model_vs_scores
from chestpain.experiments._model_vs_scores_page import render_model_vs_scores
from chestpain.experiments._pain import PainResult, run_pain
from chestpain.experiments._pain_page import render_pain
from chestpain.experiments._report import Page, read_summaries, summary_table, write_page, write_summary
from chestpain.experiments._runner import EXPERIMENTS, ExperimentRun, run_experiment
from chestpain.experiments._uci_sites import UciSitesResult, run_uci_sites
from chestpain.experiments._uci_sites_page import render_uci_sites

__all__ = [
    "EXPERIMENTS",
    "KINDS",
    "CalibrationConfig",
    "CalibrationResult",
    "ExperimentRun",
    "InterventionsConfig",
    "InterventionsResult",
    "LabelBiasConfig",
    "LabelBiasResult",
    "ListeningConfig",
    "ListeningResult",
    "ModelVsScoresConfig",
    "ModelVsScoresResult",
    "Page",
    "PainConfig",
    "PainResult",
    "UciSitesConfig",
    "UciSitesResult",
    "load_experiment_config",
    "load_scenario_stack",
    "read_summaries",
    "render_calibration",
    "render_interventions",
    "render_label_bias",
    "render_listening",
    "render_model_vs_scores",
    "render_pain",
    "render_uci_sites",
    "run_calibration",
    "run_experiment",
    "run_interventions",
    "run_label_bias",
    "run_listening",
    "run_model_vs_scores",
    "run_pain",
    "run_uci_sites",
    "summary_table",
    "write_page",
    "write_summary",
]
