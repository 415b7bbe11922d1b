"""Configs by packaged name work from any directory; paths still work; a wrong name lists the names there are."""

from __future__ import annotations

import shutil

import pytest
from typer.testing import CliRunner

from chestpain.cli.main import app
from chestpain.kernel.config import packaged_config_dir, packaged_config_names, resolve_config
from chestpain.kernel.errors import TriageError
from chestpain.models import load_train_config
from chestpain.simulation import load_scenario


@pytest.fixture
def elsewhere(tmp_path, monkeypatch):
    """A working directory with no checkout in it."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_every_kind_has_its_packaged_configs():
    assert {"default", "no_bias", "question_prompt_list"} <= set(packaged_config_names("simulation"))
    assert {"xgboost", "logistic", "uci_xgboost"} <= set(packaged_config_names("train"))
    assert {"calibration", "interventions"} <= set(packaged_config_names("experiments"))
    assert "hooks.example" in packaged_config_names("ehr")


def test_a_bare_name_is_the_packaged_config_from_any_directory(elsewhere):
    assert resolve_config("default", "simulation") == packaged_config_dir("simulation") / "default.yaml"
    assert load_scenario("no_bias").name == "no_bias"
    assert load_train_config("xgboost").name == "xgboost"


def test_a_path_still_works_and_wins_over_the_packaged_name(elsewhere):
    shutil.copy(packaged_config_dir("simulation") / "no_bias.yaml", elsewhere / "mine.yaml")
    shutil.copy(packaged_config_dir("simulation") / "default.yaml", elsewhere / "default.yaml")
    assert load_scenario("mine.yaml").name == "no_bias"  # its `extends: default.yaml` is the local copy
    assert resolve_config("./default.yaml", "simulation").resolve() == elsewhere / "default.yaml"
    assert resolve_config("default.yaml", "simulation").resolve() == elsewhere / "default.yaml"


def test_a_bare_file_name_falls_back_to_the_packaged_one(elsewhere):
    assert resolve_config("xgboost.yaml", "train") == packaged_config_dir("train") / "xgboost.yaml"


def test_a_wrong_name_lists_the_packaged_names(elsewhere):
    with pytest.raises(TriageError, match=r"config 'defualt' not found: .*there are: .*default.*no_bias"):
        resolve_config("defualt", "simulation")
    with pytest.raises(TriageError, match=r"config file not found: configs/nope.yaml"):
        resolve_config("configs/nope.yaml", "simulation")


def test_the_command_line_takes_names(elsewhere):
    result = CliRunner().invoke(
        app, ["simulate", "--config", "default", "--n", "300", "--out", "c.parquet", "--no-summary"]
    )
    assert result.exit_code == 0, result.output
    assert (elsewhere / "c.parquet").is_file()
    wrong = CliRunner().invoke(app, ["train", "--config", "xgbost", "--data", "c.parquet", "--out", "m"])
    assert wrong.exit_code == 1 and "there are:" in wrong.output and "xgboost" in wrong.output


def test_demo_refuses_a_file_as_its_folder(elsewhere):
    (elsewhere / "taken").write_text("x")
    result = CliRunner().invoke(app, ["demo", "--out", "taken", "--no-app"])
    assert result.exit_code == 1 and "is a file" in result.output
    assert (elsewhere / "taken").read_text() == "x"
