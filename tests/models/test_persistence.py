"""The model directory round-trips, and loading refuses tampered files, pickles and untrusted types."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import skops.io as sio
from sklearn.tree import DecisionTreeClassifier

from chestpain.kernel.errors import TriageError
from chestpain.models import TriageModel
from chestpain.models._persistence import sha256_file


@pytest.fixture
def model_copy(logistic_result, tmp_path):
    target = tmp_path / "model"
    shutil.copytree(logistic_result.model.path, target)
    return target


def test_round_trip_gives_identical_predictions(xgb_result, quality_cohort):
    batch = quality_cohort.head(2000)
    reloaded = TriageModel.load(xgb_result.model.path)
    np.testing.assert_array_equal(reloaded.predict(batch).risk, xgb_result.model.predict(batch).risk)


def test_model_file_is_not_a_pickle(xgb_result):
    files = {p.name for p in xgb_result.model.path.iterdir()}
    assert {"manifest.json", "model.ubj", "preprocessor.skops"} <= files
    assert not any(name.endswith((".pkl", ".pickle", ".joblib")) for name in files)


def test_tampered_file_is_refused(model_copy):
    path = model_copy / "model.skops"
    path.write_bytes(path.read_bytes() + b"\0")
    with pytest.raises(TriageError, match="sha256 does not match the manifest"):
        TriageModel.load(model_copy)


def test_pickle_in_the_directory_is_refused(model_copy):
    (model_copy / "model.pkl").write_bytes(b"\x80\x04N.")
    with pytest.raises(TriageError, match="refusing to load a pickle file"):
        TriageModel.load(model_copy)


def test_untrusted_types_are_refused_even_with_matching_hash(model_copy):
    # An attacker who can rewrite the manifest can match hashes; the type allow-list still refuses the file.
    sio.dump(DecisionTreeClassifier(), model_copy / "model.skops")
    manifest = json.loads((model_copy / "manifest.json").read_text())
    manifest["files"]["model.skops"] = sha256_file(model_copy / "model.skops")
    (model_copy / "manifest.json").write_text(json.dumps(manifest))
    digest = sha256_file(model_copy / "manifest.json")
    (model_copy / "manifest.json.sha256").write_text(f"{digest}  manifest.json\n")
    with pytest.raises(TriageError, match="not on the allow-list"):
        TriageModel.load(model_copy)


def test_not_a_model_directory(tmp_path):
    with pytest.raises(TriageError, match="not a model directory"):
        TriageModel.load(tmp_path)
