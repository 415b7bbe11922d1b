"""Experiment configs: every shipped config validates, and mistakes fail early with one line naming the key."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from typer.testing import CliRunner

from chestpain.cli.main import app
from chestpain.experiments import KINDS, load_experiment_config
from chestpain.kernel.errors import TriageError
from tests.experiments.conftest import CONFIG_DIR

SHIPPED = sorted((Path(__file__).resolve().parents[2] / "configs" / "experiments").glob("*.yaml"))


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_shipped_configs_validate(path):
    config = load_experiment_config(path)
    assert config.name == path.stem
    assert str(config.output_dir) == "experiments/results"


def test_every_kind_has_a_shipped_config():
    assert sorted(load_experiment_config(p).kind for p in SHIPPED) == sorted(KINDS)


def test_label_bias_repeats_over_at_least_five_seeds():
    assert len(load_experiment_config(CONFIG_DIR.parents[2] / "configs/experiments/label_bias.yaml").seeds) >= 5


def test_overrides_apply_with_types():
    config = load_experiment_config(CONFIG_DIR / "calibration.yaml", ["n=123", "output_dir=/tmp/x", "seed=5"])
    assert (config.n, str(config.output_dir), config.seed) == (123, "/tmp/x", 5)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (["nope=1"], r"calibration.yaml: nope: unknown key"),
        (["kind=bogus"], r"kind: must be one of calibration, listening"),
        (["n=0"], r"calibration.yaml: n: Input should be greater than or equal to 1"),
        (["scenarios=[not_a_scenario]"], r"not_a_scenario.*not found"),
    ],
)
def test_mistakes_name_the_key(overrides, message):
    with pytest.raises(TriageError, match=message):
        load_experiment_config(CONFIG_DIR / "calibration.yaml", overrides)


def test_training_overrides_are_validated_when_the_config_loads():
    with pytest.raises(TriageError, match=r"model_vs_scores.yaml: train: xgboost.yaml: model.kind: Input should be"):
        load_experiment_config(CONFIG_DIR / "model_vs_scores.yaml", ["train.overrides=[model.kind=forest]"])


def test_scenario_overrides_of_an_arm_are_validated():
    with pytest.raises(TriageError, match=r"arms.1.*interventions.not_an_intervention: unknown key"):
        load_experiment_config(
            CONFIG_DIR / "interventions.yaml", ["arms.1.overrides=[interventions.not_an_intervention.enabled=true]"]
        )


def test_check_model_needs_a_new_cohort():
    with pytest.raises(TriageError, match="train_seed must differ from seed"):
        load_experiment_config(CONFIG_DIR / "interventions.yaml", ["train_seed=11"])


def test_listening_quartiles_must_skew_right():
    with pytest.raises(TriageError, match="right skew"):
        load_experiment_config(CONFIG_DIR / "listening.yaml", ["q1_ratio=0.2", "q3_ratio=1.5"])


def test_cli_prints_one_line_error_and_exits_1(tmp_path):
    result = CliRunner().invoke(
        app,
        ["experiment", "run", str(CONFIG_DIR / "calibration.yaml"), "--set", "n=-5", "--set", f"output_dir={tmp_path}"],
    )
    assert result.exit_code == 1
    assert result.output.startswith("Error: calibration.yaml: n:")
    assert "Traceback" not in result.output
    assert not any(tmp_path.iterdir()), "nothing written on bad input"


def test_cli_refuses_a_missing_config(tmp_path):
    result = CliRunner().invoke(app, ["experiment", "run", str(tmp_path / "missing.yaml")])
    assert result.exit_code != 0


def test_engine_defaults_to_local_and_set_chooses_dask():
    assert load_experiment_config(CONFIG_DIR / "listening.yaml").engine == "local"
    pytest.importorskip("distributed")
    config = load_experiment_config(CONFIG_DIR / "listening.yaml", ["engine=dask", "scheduler=tcp://10.1.2.3:8786"])
    assert (config.engine, config.scheduler) == ("dask", "tcp://10.1.2.3:8786")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (["engine=spark"], r"^listening.yaml: engine: Input should be 'local' or 'dask'$"),
        (["scheduler=tcp://10.1.2.3:8786"], r"^listening.yaml: scheduler: only used with engine: dask"),
        (["engine=dask", "scheduler=not an address"], r"^listening.yaml: scheduler: 'not an address' is not a Dask"),
    ],
)
def test_engine_mistakes_name_the_key(overrides, message):
    if "engine=dask" in overrides:
        pytest.importorskip("distributed")
    with pytest.raises(TriageError, match=message):
        load_experiment_config(CONFIG_DIR / "listening.yaml", overrides)


def test_engine_dask_without_the_scale_extra_says_how_to_install(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "distributed" else real(name, *a))
    with pytest.raises(TriageError, match=r"listening.yaml: engine: .*pip install -e '\.\[scale\]'"):
        load_experiment_config(CONFIG_DIR / "listening.yaml", ["engine=dask"])


def test_cli_rejects_a_bad_engine_naming_the_key(tmp_path):
    result = CliRunner().invoke(
        app,
        ["experiment", "run", str(CONFIG_DIR / "pain_treatment.yaml"), "--set", "engine=spark", "--no-mlflow"],
    )
    assert result.exit_code == 1
    assert result.output.startswith("Error: pain_treatment.yaml: engine: Input should be 'local' or 'dask'")


def test_results_page_does_not_say_where_it_ran():
    # engine and scheduler change no number, so the page (and its bytes) must not depend on them.
    from chestpain.experiments._report import settings_table

    text = settings_table(load_experiment_config(CONFIG_DIR / "pain_treatment.yaml"))
    assert "| seed |" in text and "engine" not in text and "scheduler" not in text
