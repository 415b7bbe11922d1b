"""Training, calibration, thresholds, persistence, MLflow logging, batch prediction, explanations and audits.

Public surface (the main entry points; every name other packages use is listed in ``_EXPORTS``)::

    TrainConfig, load_train_config(name_or_path, overrides)   configs/train/*.yaml
    prepare(frame, config) -> TrainingData                    validated features, label, audit attributes
    train(data, config, out_dir) -> TrainResult               split, fit, calibrate, threshold, evaluate, save
    TriageModel.load(model_dir)                                hash-checked, pickle-free loading
    load_model(reference)                                      a directory or models:/NAME@ALIAS
    log_training_run(...)                                      MLflow run + registry alias
    decide_against_registry(model, name) / promote(reference)  champion only through the gates (or a human)

Names are imported on first use (PEP 562, with ``lazy_loader``): the app's first view and ``chestpain --help``
import this package without loading pandas, scikit-learn, xgboost or MLflow.
"""

from __future__ import annotations

import lazy_loader

#: Private module -> the names it contributes to the public surface (imported on first use).
_EXPORTS = {
    "_audit": ("ModelAudit", "audit_model", "write_model_audit"),
    "_audit_view": (
        "default_audit_data",
        "detection_lines",
        "disparity_table",
        "escape_markdown",
        "flagged_disparities",
        "group_table",
        "report_files",
        "rule_text",
        "small_groups",
    ),
    "_batch": ("predict_path",),
    "_batch_review": ("BatchReview", "review_upload"),
    "_config": ("TrainConfig",),
    "_dask_audit": ("audit_partitioned",),
    "_dask_training": ("train_dask",),
    "_data": ("TrainingData", "prepare"),
    "_decision_audit": ("Decision", "audit_decision", "audit_table"),
    "_evaluation": ("guarantee_metrics", "oracle_summary"),
    "_lineage": ("flat_params", "git_state", "run_name", "training_dataset"),
    "_loading": ("load_model", "load_train_config"),
    "_next_step": ("KEEP_MACE", "KEEP_MACE_REPEAT", "KEEP_MI", "MAY_GO", "REPEAT_3H", "next_steps"),
    "_output_dir": ("output_lock",),
    "_predictor": ("FLAG_MACE_TEXT", "FLAG_TEXT", "LOW_RISK_TEXT", "PREDICT_COLUMNS", "Explanation", "TriageModel"),
    "_promotion": ("CHALLENGER", "CHAMPION", "decide_against_registry", "decision_tags", "promote"),
    "_registry": (
        "RETRAIN_COMMAND",
        "RUN_METRICS",
        "TRAIN_HINT",
        "compare_runs",
        "load_app_model",
        "local_store_missing",
        "model_reference",
        "registered_models",
        "runs_table",
    ),
    "_thresholds": ("apply_thresholds", "choose_thresholds"),
    "_tracking": (
        "log_audit",
        "log_training_run",
        "record_run",
        "registry_version",
        "resolve_model_dir",
        "tracking_uri",
        "training_run_id",
    ),
    "_training": ("TrainResult", "train"),
    "_waterfall": ("waterfall_png",),
    "_whatif": ("assess", "field_problems", "risk_curve", "visit_row", "what_if"),
}

__getattr__, __dir__, __all__ = lazy_loader.attach(__name__, submod_attrs=_EXPORTS)
