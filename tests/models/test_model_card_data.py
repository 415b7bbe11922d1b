"""The model card names the data it was trained on (issue 27, item 2: "simulated / UCI, with the scenario and seed")."""

from __future__ import annotations

import copy
import json

from typer.testing import CliRunner

from chestpain.cli.main import app as cli
from chestpain.models._model_card import card_markdown


def test_training_on_a_simulated_file_puts_scenario_and_seed_on_the_card(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    simulated = runner.invoke(
        cli, ["simulate", "--config", "default", "--n", "6000", "--seed", "11", "--out", "c.parquet", "--no-summary"]
    )
    assert simulated.exit_code == 0, simulated.output
    # A 6,000-visit cohort holds about 150 MACE and 600 MI: the MI question alone, at a target it can show.
    args = ["train", "--config", "logistic", "--data", "c.parquet", "--out", "m", "--no-mlflow"]
    for override in ("threshold.groups=[]", "threshold.target_sensitivity=0.95", "mace=null"):
        args += ["--set", override]
    trained = runner.invoke(cli, args)
    assert trained.exit_code == 0, trained.output
    # In a log (not a terminal) each stage is one line, numbered over the run's fits (5 folds + the final model).
    assert "[1/6] MI question: fold 1 of 5\n" in trained.output
    assert "[last] thresholds, evaluation and the model directory" in trained.output
    manifest = json.loads((tmp_path / "m" / "manifest.json").read_text())
    assert manifest["training_data"]["scenario"] == "default" and manifest["training_data"]["seed"] == 11
    card = (tmp_path / "m" / "MODEL_CARD.md").read_text()
    assert "scenario `default`" in card and "seed 11, 6,000 visits" in card
    assert "chestpain simulate --config default --seed 11 --n 6000" in card
    assert "scenario" in (tmp_path / "m" / "MODEL_CARD.html").read_text()


def test_unknown_and_uci_sources_are_said_plainly(logistic_result):
    manifest = copy.deepcopy(logistic_result.model.manifest)
    assert manifest["training_data"] == {"source": "unknown"}  # the fixture trains on an in-memory frame
    assert "source not recorded in the file" in card_markdown(manifest)
    manifest["training_data"] = {"source": "uci"}
    assert "UCI Heart Disease" in card_markdown(manifest) and "angiographic coronary disease" in card_markdown(manifest)
