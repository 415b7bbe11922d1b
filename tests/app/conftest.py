"""The app tests' own model: a 30,000-row simulated cohort, 100 trees, served through ``TRIAGE_MODEL``.

Nothing here reads ``demo/`` or the user's ``mlflow.db``: every test runs in a private working directory with
``MLFLOW_TRACKING_URI`` pointing at a SQLite file inside it.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd
import pytest

from chestpain.models import load_train_config, prepare, train
from chestpain.simulation import SCENARIO_DIR, load_scenario, simulate_frame
from tests.app.helpers import REPO_ROOT, TRAIN_OVERRIDES

APP_N = 30_000
TYPE_HINT_WARNING = "Add type hints to the `predict` method"


@pytest.fixture(scope="session")
def app_work(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("app")


@pytest.fixture(scope="session")
def app_cohort() -> pd.DataFrame:
    return simulate_frame(load_scenario(SCENARIO_DIR / "default.yaml"), APP_N, 2026)


@pytest.fixture(scope="session")
def app_model_dir(app_work, app_cohort) -> Path:
    cfg = load_train_config(REPO_ROOT / "configs/train/xgboost.yaml", TRAIN_OVERRIDES)
    return train(prepare(app_cohort, cfg), cfg, app_work / "model").model.path


@pytest.fixture(scope="session")
def audit_table(app_work) -> Path:
    """An independent labelled cohort (another seed), where ``make demo`` puts it, inside the private work dir."""
    path = app_work / "demo" / "audit_cohort.parquet"
    path.parent.mkdir(exist_ok=True)
    simulate_frame(load_scenario(SCENARIO_DIR / "default.yaml"), 8_000, 99).to_parquet(path)
    return path


@pytest.fixture(scope="session")
def tracking_db(app_work) -> str:
    return f"sqlite:///{app_work / 'mlflow.db'}"


def log_run(model_dir: Path, tracking_db: str, config: str, alias: str) -> dict[str, str | None]:
    """Log a trained model directory as ``chestpain train`` does and point ``alias`` at its registered version."""
    from chestpain.models import TriageModel, log_training_run

    with pytest.MonkeyPatch.context() as mp, warnings.catch_warnings(record=True) as caught:
        mp.setenv("MLFLOW_TRACKING_URI", tracking_db)
        manifest = TriageModel.load(model_dir).manifest
        info = log_training_run(
            model_dir,
            manifest,
            {"config": config, "label": manifest["label"], "model": manifest["model_kind"]},
            [],
            experiment="app-tests",
            registered_model="chest-pain-triage",
            alias=alias,
        )
    # MLflow asks for type hints on the pyfunc wrapper's predict (models/_mlflow_pyfunc.py) under its own
    # "once" filter, which no outer filter can override; drop that one warning and pass every other one on.
    for warning in caught:
        if not (issubclass(warning.category, UserWarning) and TYPE_HINT_WARNING in str(warning.message)):
            warnings.warn_explicit(warning.message, warning.category, warning.filename, warning.lineno)
    return info


@pytest.fixture(scope="session")
def logged_run(app_model_dir, tracking_db) -> dict[str, str | None]:
    """The test model logged and registered as ``chest-pain-triage@champion`` in the private store."""
    return log_run(app_model_dir, tracking_db, "configs/train/xgboost.yaml", "champion")


@pytest.fixture(scope="session")
def challenger_run(logged_run, app_work, app_cohort, tracking_db) -> dict[str, str | None]:
    """A logistic model logged after the champion as ``chest-pain-triage@challenger`` (for side-by-side runs)."""
    cfg = load_train_config(REPO_ROOT / "configs/train/logistic.yaml", ["threshold.confidence=0"])
    model_dir = train(prepare(app_cohort, cfg), cfg, app_work / "model_logistic").model.path
    return log_run(model_dir, tracking_db, "configs/train/logistic.yaml", "challenger")


@pytest.fixture(autouse=True)
def app_environment(monkeypatch, app_work, app_model_dir, tracking_db) -> None:
    """Serve the test model, keep MLflow in the private store and make ``app_pages`` importable (as streamlit does)."""
    monkeypatch.setenv("TRIAGE_MODEL", str(app_model_dir))
    monkeypatch.setenv("MLFLOW_TRACKING_URI", tracking_db)
    monkeypatch.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
    monkeypatch.chdir(app_work)
    monkeypatch.syspath_prepend(str(REPO_ROOT))
