"""The patient-side interventions cite the seed's figures and name their assumptions; the page shows both."""

from __future__ import annotations

import pytest
import yaml

from chestpain.experiments._interventions_page import SEED_EVIDENCE, seed_evidence_table
from chestpain.simulation import SCENARIO_DIR

SEED_FIGURES = {"question_prompt_list": "8x", "communication_preference_form": "2x", "decision_aid": "trust"}


@pytest.mark.parametrize("name", list(SEED_FIGURES))
def test_scenario_file_cites_the_seed_and_names_the_assumption(name):
    text = (SCENARIO_DIR / f"{name}.yaml").read_text()
    comments = " ".join(line for line in text.splitlines() if line.startswith("#"))
    assert "the seed" in comments and SEED_FIGURES[name] in comments
    assert "ASSUMPTION" in comments and "not clinical evidence" in comments


def test_evidence_table_shows_each_parameter_as_set_in_its_scenario_file():
    rendered = seed_evidence_table()
    for name, parameter, _, _ in SEED_EVIDENCE:
        value = yaml.safe_load((SCENARIO_DIR / f"{name}.yaml").read_text())["interventions"][name][parameter]
        row = next(line for line in rendered.splitlines() if f"`{name}`" in line)
        assert f"`{parameter}` = {value:g} (ASSUMPTION)" in row
        assert SEED_FIGURES[name] in row


def test_interventions_page_shows_evidence_next_to_the_assumed_effect(run_small):
    page = (run_small("interventions").out_dir / "interventions.md").read_text()
    assert "## Evidence next to the assumed effect" in page
    assert seed_evidence_table() in page
    assert "Trust Is a 2-Way Street" in page
