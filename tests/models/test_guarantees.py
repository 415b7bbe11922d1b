"""Issue 25: per-group thresholds, the model card, the manifest's new fields."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from chestpain.kernel.errors import TriageError
from chestpain.models._guarantees import (
    DecisionRules,
    choose_group_thresholds,
    flag_reason,
    group_masks,
    patient_thresholds,
)
from chestpain.models._manifest import validate_manifest


def _features(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "sex": rng.choice(["female", "male"], n),
            "age": rng.integers(18, 95, n),
            "symptom_onset_hours": rng.exponential(5.0, n),
        }
    )


def test_each_group_keeps_its_own_sensitivity_under_the_lowest_threshold_rule():
    # Groups overlap (an early presenter is also in a sex x age band); the min rule may only add flags.
    features = _features(60_000, 3)
    rng = np.random.default_rng(4)
    y = rng.random(len(features)) < 0.1
    risk = np.clip(np.where(y, rng.beta(4, 6, len(y)), rng.beta(1, 12, len(y))), 1e-6, 1 - 1e-6)
    masks = group_masks(features, ("sex_age", "early"))
    rules = choose_group_thresholds(risk, y, masks, target=0.99, confidence=0.975)
    assert {r["group"] for r in rules} == set(masks) and all(r["guaranteed"] for r in rules)
    flag = DecisionRules({"female": 0.5, "male": 0.5}, tuple(rules)).mi_flag(features, risk)
    for rule in rules:
        mask = masks[rule["group"]]
        alone = risk[mask & y] >= rule["threshold"]
        assert flag[mask & y].mean() >= alone.mean() >= 0.99


def test_a_group_with_too_few_positives_is_flagged_in_full_and_marked_not_guaranteed():
    features = _features(2_000, 5)
    y = np.zeros(len(features), bool)
    y[:30] = True
    risk = np.linspace(0.01, 0.9, len(features))
    rules = choose_group_thresholds(risk, y, group_masks(features, ("early",)), target=0.99, confidence=0.975)
    (rule,) = rules
    early = group_masks(features, ("early",))["onset<=3h"]
    assert not rule["guaranteed"] and rule["threshold"] == risk[early & y].min()


def test_patient_threshold_is_the_lowest_of_the_groups_they_belong_to():
    features = pd.DataFrame(
        {"sex": ["female", "female", "male"], "age": [40, 70, 40], "symptom_onset_hours": [1, 5, 5]}
    )
    rules = (
        {"group": "female&<55", "threshold": 0.02, "n_positive": 500, "guaranteed": True},
        {"group": "onset<=3h", "threshold": 0.01, "n_positive": 500, "guaranteed": True},
    )
    cut = patient_thresholds(features, {"female": 0.05, "male": 0.04}, rules)
    assert cut.tolist() == [0.01, 0.05, 0.04]
    with pytest.raises(TriageError, match="sex must be female or male"):
        patient_thresholds(features.assign(sex="x"), {"female": 0.05, "male": 0.04}, rules)


def test_flag_reason_names_the_question():
    assert flag_reason([True, False, True, False], [True, True, False, False]).tolist() == [
        "mi+mace", "mace", "mi", ""
    ]  # fmt: skip


def test_model_card_and_manifest_record_every_group_and_the_second_question(xgb_result):
    model = xgb_result.model
    manifest = model.manifest
    groups = {rule["group"] for rule in manifest["threshold_groups"]}
    assert groups == {"female&<55", "female&>=55", "male&<55", "male&>=55", "onset<=3h", "no 1h sample"}
    assert manifest["mace"]["label"] == "mace_30d" and manifest["mace"]["model_file"] in manifest["files"]
    card = (model.path / "MODEL_CARD.md").read_text(encoding="utf-8")
    for row in xgb_result.metrics["guarantees"]:
        sens = row["sensitivity"]
        shown = f"{100 * sens['value']:.2f}% ({100 * sens['ci_low']:.2f}-{100 * sens['ci_high']:.2f})"
        assert f"| {row['group']} |" in card and shown in card
    assert "not a medical device" in card and "30-day MACE" in card
    html = (model.path / "MODEL_CARD.html").read_text(encoding="utf-8")
    assert "<table>" in html and "<script" not in html


SIGMOID = {"method": "sigmoid", "a": -1.0, "b": 0.0}
BAD_GROUP = {"group": "../x", "threshold": 0.01, "n_positive": 3, "guaranteed": True}
BAD_THRESHOLD = {"group": "onset<=3h", "threshold": 1.0, "n_positive": 3, "guaranteed": True}
BAD_MACE = {
    "label": "mace_30d",
    "model_file": "../m.ubj",
    "calibration": SIGMOID,
    "thresholds": {"female": 0.01, "male": 0.01},
    "target_sensitivity": 0.98,
}


@pytest.mark.parametrize(
    ("field", "value", "problem"),
    [
        ("threshold_groups", [BAD_GROUP], "group"),
        ("threshold_groups", [BAD_THRESHOLD], "threshold"),
        ("mace", BAD_MACE, "model_file"),
    ],
)
def test_manifest_refuses_bad_group_rules_and_second_model_fields(xgb_result, tmp_path, field, value, problem):
    data = json.loads((xgb_result.model.path / "manifest.json").read_text())
    data[field] = value
    with pytest.raises(TriageError, match=problem):
        validate_manifest(data, tmp_path / "manifest.json")


def test_the_train_summary_shows_every_guaranteed_group_with_its_ci(xgb_result):
    # Issue 25: "every guaranteed group's sensitivity is shown with its CI in the train summary". The table that
    # `chestpain train` prints, rendered as a terminal would (wide enough not to wrap), holds each group's row.
    import io

    from rich.console import Console

    from chestpain.cli.commands.train import guarantees_table

    console = Console(width=200, record=True, file=io.StringIO(), force_terminal=False)
    console.print(guarantees_table(xgb_result.metrics))
    text = console.export_text()
    assert "Guaranteed groups" in text and "rule-out share: per-sex MI thresholds" in text
    groups = {"female&<55", "female&>=55", "male&<55", "male&>=55", "onset<=3h", "no 1h sample"}
    assert groups <= {row["group"] for row in xgb_result.metrics["guarantees"]}
    for row in xgb_result.metrics["guarantees"]:
        sens = row["sensitivity"]
        shown = f"{sens['value']:.4f} ({sens['ci_low']:.4f}-{sens['ci_high']:.4f})"
        line = next(line for line in text.splitlines() if line.lstrip("│┃ ").startswith(f"{row['group']} "))
        assert shown in line, (line, shown)
