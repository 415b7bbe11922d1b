"""A model directory's manifest is checked before anything in it is trusted (issue 16, item 2).

Most cases rewrite ``manifest.json`` *and* its hash file, as someone who can write the directory could: the
hash file alone catches hand edits, the field rules must catch the rest. Every refusal is one
:class:`TriageError` line naming the field, never a traceback and never a silently loaded bad model.

The file is self-contained (the hash file is written here with hashlib, not with the package's helpers) so it
also runs against the code before this change, where every case below loaded silently or raised a traceback.
"""

from __future__ import annotations

import hashlib
import json
import math
import pickle
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from chestpain.kernel.errors import TriageError
from chestpain.models import TriageModel, load_train_config, prepare, train


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def replace(model_dir: Path, text: str) -> None:
    """Write ``text`` as the manifest and a matching ``manifest.json.sha256`` beside it."""
    path = model_dir / "manifest.json"
    path.write_text(text)
    (model_dir / "manifest.json.sha256").write_text(f"{sha256(path)}  manifest.json\n")


def rewrite(model_dir: Path, change: Callable[[dict[str, Any]], object]) -> None:
    """Change the manifest in place through ``change`` (its return value is ignored), hash file to match."""
    manifest = json.loads((model_dir / "manifest.json").read_text())
    change(manifest)
    replace(model_dir, json.dumps(manifest))


@pytest.fixture
def model_copy(logistic_result, tmp_path) -> Path:
    target = tmp_path / "model"
    shutil.copytree(logistic_result.model.path, target)
    return target


@pytest.fixture(scope="module")
def small_xgb(small_cohort, repo_root, tmp_path_factory) -> Path:
    """A quick XGBoost model (20 trees, point-estimate threshold): enough to test its file checks."""
    cfg = load_train_config(
        repo_root / "configs/train/xgboost.yaml", ["model.params.n_estimators=20", "threshold.confidence=0"]
    )
    return train(prepare(small_cohort, cfg), cfg, tmp_path_factory.mktemp("xgb-small") / "model").model.path


def refused(model_dir: Path, *patterns: str) -> str:
    with pytest.raises(TriageError) as caught:
        TriageModel.load(model_dir)
    message = str(caught.value)
    assert "\n" not in message
    for pattern in patterns:
        assert pattern in message, message
    return message


def test_untouched_copy_loads(model_copy):
    assert TriageModel.load(model_copy).thresholds


def test_threshold_of_one_is_refused(model_copy):
    # Before: loaded silently and flagged no one (risk < 1 always).
    rewrite(model_copy, lambda m: m["thresholds"].update(female=1.0))
    refused(model_copy, "field thresholds.female", "less than 1")


@pytest.mark.parametrize("value", [0.0, -0.1, "0.01", "high", None, True, math.inf])
def test_non_numeric_or_out_of_range_threshold_is_refused(model_copy, value):
    rewrite(model_copy, lambda m: m["thresholds"].update(male=value))
    refused(model_copy, "field thresholds.male")


def test_nan_threshold_is_refused(model_copy):
    manifest = json.loads((model_copy / "manifest.json").read_text())
    manifest["thresholds"]["male"] = math.nan
    replace(model_copy, json.dumps(manifest))  # json writes NaN, as Python's json module would read it
    refused(model_copy, "field thresholds.male", "finite")


def test_missing_thresholds_are_refused(model_copy):
    rewrite(model_copy, lambda m: m.pop("thresholds"))
    refused(model_copy, "field thresholds", "required")


def test_one_sex_without_threshold_is_refused(model_copy):
    rewrite(model_copy, lambda m: m["thresholds"].pop("female"))
    refused(model_copy, "field thresholds", "female, male")


def test_zeroed_calibration_is_refused(model_copy):
    # Before: every risk became ~1e-6 * expit(raw), so no patient was flagged.
    rewrite(model_copy, lambda m: m["calibration"].update(y=[0.0] * len(m["calibration"]["y"])))
    refused(model_copy, "field calibration", "constant")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda c: c.update(y=c["y"][::-1]), "non-decreasing"),
        (lambda c: c.update(y=[v * 2 + 0.5 for v in c["y"]]), "less than or equal to 1"),
        (lambda c: c.update(x=c["x"][:-1]), "knots"),
        (lambda c: c.update(method="magic"), "calibration"),
    ],
)
def test_malformed_calibration_is_refused(model_copy, change, field):
    rewrite(model_copy, lambda m: change(m["calibration"]))
    refused(model_copy, "field calibration", field)


@pytest.mark.parametrize("name", ["../other/model.skops", "/tmp/model.skops", "sub/model.skops", ".."])
def test_model_file_outside_the_directory_is_refused(model_copy, tmp_path, name):
    # Before: "../other/model.skops" loaded another model whose hash the manifest also listed.
    other = tmp_path / "other"
    shutil.copytree(model_copy, other)

    def point_outside(m: dict[str, Any]) -> None:
        m["files"][name] = m["files"]["model.skops"]
        m["model_file"] = name

    rewrite(model_copy, point_outside)
    refused(model_copy, "plain file name")


def test_symlink_out_of_the_directory_is_refused(model_copy, tmp_path):
    outside = tmp_path / "elsewhere.skops"
    shutil.copy(model_copy / "model.skops", outside)
    (model_copy / "model.skops").unlink()
    (model_copy / "model.skops").symlink_to(outside)
    refused(model_copy, "outside the model directory")


@pytest.mark.parametrize("content", ["[1, 2, 3]", '"a string"', "null", "42"])
def test_manifest_that_is_not_an_object_is_refused(model_copy, content):
    replace(model_copy, content)
    refused(model_copy, "must be a JSON object")


def test_manifest_that_is_not_json_is_refused(model_copy):
    (model_copy / "manifest.json").write_text("{not json")
    refused(model_copy, "not valid JSON")


def test_hand_edited_manifest_fails_its_hash(model_copy):
    path = model_copy / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest["thresholds"]["female"] = 0.5  # a valid value: only the hash can tell
    path.write_text(json.dumps(manifest))
    refused(model_copy, "sha256 does not match manifest.json.sha256")


def test_manifest_without_hash_file_is_refused(model_copy):
    (model_copy / "manifest.json.sha256").unlink()
    refused(model_copy, "manifest.json.sha256")


def test_older_format_is_refused_clearly(model_copy):
    rewrite(model_copy, lambda m: m.update(format_version=1))
    refused(model_copy, "model format 1 is not supported")


def test_unknown_fields_are_kept(model_copy):
    # A newer trainer may add fields (documented in models/_manifest.py); they load and are passed through.
    rewrite(model_copy, lambda m: m.update(threshold_rule_v2={"kind": "per_sex"}))
    assert TriageModel.load(model_copy).manifest["threshold_rule_v2"] == {"kind": "per_sex"}


def test_long_values_are_not_echoed_whole(model_copy):
    rewrite(model_copy, lambda m: m["thresholds"].update(female="x" * 5000))
    assert len(refused(model_copy, "field thresholds.female")) < 400


def test_pickle_bytes_named_model_ubj_are_refused(small_xgb, tmp_path):
    # Before: xgboost raised its own traceback on the pickle (the hash had been updated to match).
    target = tmp_path / "model"
    shutil.copytree(small_xgb, target)
    (target / "model.ubj").write_bytes(pickle.dumps({"not": "a model"}))
    rewrite(target, lambda m: m["files"].update({"model.ubj": sha256(target / "model.ubj")}))
    refused(target, "refusing to load a pickle file")


def test_garbage_named_model_ubj_is_refused(small_xgb, tmp_path):
    target = tmp_path / "model"
    shutil.copytree(small_xgb, target)
    (target / "model.ubj").write_bytes(b"{garbage" * 10)
    rewrite(target, lambda m: m["files"].update({"model.ubj": sha256(target / "model.ubj")}))
    refused(target, "not an XGBoost model file")


def test_model_kind_and_file_must_agree(small_xgb, tmp_path):
    target = tmp_path / "model"
    shutil.copytree(small_xgb, target)
    rewrite(target, lambda m: m.update(model_kind="logistic"))
    refused(target, "must end in .skops")
