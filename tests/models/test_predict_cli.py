"""``chestpain train`` and ``chestpain predict`` from the command line, MLflow logging and the registry alias."""

from __future__ import annotations

import json
import os

import pandas as pd
import pytest
from typer.testing import CliRunner

from chestpain.cli.main import app
from chestpain.kernel.errors import TriageError
from chestpain.models import PREDICT_COLUMNS

runner = CliRunner()


@pytest.fixture(scope="module")
def trained(tmp_path_factory, small_cohort, repo_root):
    """Train through the CLI into a private MLflow store and register the champion alias.

    40,000 visits cannot guarantee the age groups' thresholds, which would keep the version a challenger
    (tests/models/test_promotion.py); without the group guarantees the first version passes the gates.
    """
    work = tmp_path_factory.mktemp("cli")
    data = work / "cohort.parquet"
    small_cohort.to_parquet(data)
    mp = pytest.MonkeyPatch()
    mp.chdir(work)
    mp.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{work / 'mlflow.db'}")
    result = runner.invoke(
        app,
        [
            "train",
            "--config",
            str(repo_root / "configs/train/logistic.yaml"),
            "--data",
            str(data),
            "--out",
            str(work / "model"),
            "--set",
            "tracking.registered_model=test-triage",
            "--set",
            "threshold.groups=[]",
        ],
    )
    yield work, result
    mp.undo()


def test_train_prints_model_vs_baselines_and_registers(trained):
    work, result = trained
    assert result.exit_code == 0, result.output
    assert "HEART (low risk 0-3)" in result.output and "ESC 2020" in result.output
    assert "models:/test-triage@champion" in result.output
    assert "promotion: champion: " in result.output and "no champion yet" in result.output
    assert (work / "model" / "manifest.json").exists()


def test_predict_by_registry_alias(trained, small_cohort, monkeypatch):
    work, _ = trained
    monkeypatch.chdir(work)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{work / 'mlflow.db'}")
    batch = work / "batch.csv"
    small_cohort.head(300).to_csv(batch, index=False)
    out = work / "pred.csv"
    result = runner.invoke(
        app, ["predict", "--model", "models:/test-triage@champion", "--data", str(batch), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    pred = pd.read_csv(out)
    assert list(pred.columns) == list(PREDICT_COLUMNS)
    assert pred.patient_id.tolist() == small_cohort.head(300).patient_id.tolist()
    assert pred.risk.between(0, 1).all() and pred.reasons.str.contains("risk").all()


def test_no_patient_rows_in_mlflow(trained):
    import mlflow

    work, _ = trained
    mlflow.set_tracking_uri(f"sqlite:///{work / 'mlflow.db'}")
    run = mlflow.search_runs(experiment_names=["chest-pain-triage"], output_format="list")[0]
    artifacts = [a.path for a in mlflow.MlflowClient().list_artifacts(run.info.run_id)]
    assert "manifest.json" in artifacts and "plots" in artifacts
    assert not any(path.endswith((".csv", ".parquet")) for path in artifacts)
    assert "test.female.sensitivity" in run.data.metrics


def test_bad_batch_names_row_and_column_and_writes_nothing(trained, small_cohort):
    work, _ = trained
    batch = small_cohort.head(20).copy()
    batch["sex"] = batch["sex"].astype(object)
    batch.loc[4, "sex"] = "F"
    path = work / "bad.csv"
    batch.to_csv(path, index=False)
    out = work / "bad_pred.csv"
    result = runner.invoke(app, ["predict", "--model", str(work / "model"), "--data", str(path), "--out", str(out)])
    assert result.exit_code == 1
    assert "row 5, column sex" in result.output and "female or male" in result.output
    assert not out.exists()


def test_unknown_alias_is_a_clear_error(trained, monkeypatch):
    work, _ = trained
    monkeypatch.chdir(work)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{work / 'mlflow.db'}")
    result = runner.invoke(app, ["predict", "--model", "models:/nope@champion", "--data", "x.csv", "--out", "y.csv"])
    assert result.exit_code == 1
    assert "not found in the MLflow registry" in result.output


def test_audit_is_logged_to_the_training_run(trained, small_cohort, monkeypatch):
    import mlflow

    work, _ = trained
    monkeypatch.chdir(work)
    uri = f"sqlite:///{work / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    data = work / "audit.parquet"
    small_cohort.tail(5000).to_parquet(data)
    result = runner.invoke(
        app,
        [
            "audit",
            "--model",
            "models:/test-triage@champion",
            "--data",
            str(data),
            "--out",
            str(work / "report"),
            "--n-boot",
            "20",
        ],
    )
    assert result.exit_code == 0, result.output
    mlflow.set_tracking_uri(uri)
    version = mlflow.MlflowClient().get_model_version_by_alias("test-triage", "champion")
    logged = [a.path for a in mlflow.MlflowClient().list_artifacts(version.run_id, "audit/report")]
    assert "audit/report/metrics.json" in logged and "audit/report/report.html" in logged
    # Its headline numbers are metrics of the run, so runs can be compared on missed MI by group (issue 27).
    metrics = mlflow.MlflowClient().get_run(version.run_id).data.metrics
    document = json.loads((work / "report" / "metrics.json").read_text())
    female = next(g for g in document["groups"] if (g["attribute"], g["group"]) == ("sex", "female"))
    assert metrics["audit.report.fnr.sex.female"] == pytest.approx(female["fnr"]["value"])
    assert "audit.report.fnr.sex_and_age_band.female_and_lt55.ci_high" in metrics
    assert metrics["audit.report.fnr_ratio.sex.female.flagged"] in (0.0, 1.0)
    # The directory path finds the same run through the record written at training time.
    assert (work / "model" / "mlflow_run.json").exists()


@pytest.mark.parametrize("link", ["same", "symlink", "hardlink"])
def test_predict_refuses_to_write_over_its_input(trained, small_cohort, tmp_path, link):
    work, _ = trained
    data = tmp_path / "batch.csv"
    small_cohort.head(30).to_csv(data, index=False)
    before = data.read_bytes()
    out = data if link == "same" else tmp_path / "out.csv"
    if link == "symlink":
        out.symlink_to(data)
    elif link == "hardlink":
        os.link(data, out)
    result = runner.invoke(app, ["predict", "--model", str(work / "model"), "--data", str(data), "--out", str(out)])
    assert result.exit_code == 1
    assert "is the input file" in result.output
    assert data.read_bytes() == before


def test_predict_refuses_a_missing_output_folder_before_loading_the_model(small_cohort, tmp_path):
    data = tmp_path / "batch.csv"
    small_cohort.head(5).to_csv(data, index=False)
    out = tmp_path / "missing" / "out.csv"
    result = runner.invoke(
        app, ["predict", "--model", str(tmp_path / "no-model"), "--data", str(data), "--out", str(out)]
    )
    assert result.exit_code == 1
    assert f"folder {out.parent} does not exist" in result.output


# --------------------------------------------------------------------------------- streaming prediction (issue 16)
@pytest.fixture(scope="module")
def loaded(trained):
    from chestpain.models import load_model

    work, _ = trained
    return load_model(work / "model")


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_streamed_prediction_equals_the_in_memory_one_and_keeps_ids_exact(loaded, small_cohort, tmp_path, suffix):
    from chestpain.models._batch import predict_file, predict_path

    batch = small_cohort.head(300).copy()
    batch["patient_id"] = batch["patient_id"] + 2**53  # ids a float would round
    data = tmp_path / f"batch{suffix}"
    batch.to_csv(data, index=False) if suffix == ".csv" else batch.to_parquet(data, index=False)
    sizes = []
    original = loaded.predict_features

    def spy(features, **kwargs):
        sizes.append(len(features))
        return original(features, **kwargs)

    loaded.predict_features = spy
    try:
        done = predict_path(loaded, data, tmp_path / "out.csv", chunk_rows=37)
    finally:
        del loaded.predict_features
    assert max(sizes) == 37 and sum(sizes) == 300  # scored a chunk at a time
    expected = predict_file(loaded, batch)
    out = pd.read_csv(tmp_path / "out.csv", dtype={"patient_id": "int64"})
    assert done.n == 300 and done.n_flagged == int(expected["flag"].sum())
    assert out["patient_id"].tolist() == [int(i) for i in batch["patient_id"]]
    pd.testing.assert_series_equal(out["risk"], expected["risk"], check_exact=False, rtol=1e-12)
    assert out["reasons"].tolist() == expected["reasons"].tolist()
    predict_path(loaded, data, tmp_path / "out.parquet", chunk_rows=37)
    parquet = pd.read_parquet(tmp_path / "out.parquet")
    assert parquet["patient_id"].dtype == "int64" and parquet["patient_id"].tolist() == out["patient_id"].tolist()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([data.name, "out.csv", "out.parquet"])


def test_streamed_validation_names_the_files_rows_and_writes_nothing(loaded, small_cohort, tmp_path):
    from chestpain.models._batch import predict_path

    batch = small_cohort.head(300).copy()
    batch["sex"] = batch["sex"].astype(object)
    batch.loc[249, "sex"] = "F"  # row 250, in the sixth chunk of 50
    batch.loc[280, "patient_id"] = batch.loc[10, "patient_id"]  # repeats row 11, across chunks
    data = tmp_path / "bad.csv"
    batch.to_csv(data, index=False)
    out = tmp_path / "out.csv"
    out.write_text("previous")
    with pytest.raises(TriageError) as caught:
        predict_path(loaded, data, out, chunk_rows=50)
    text = str(caught.value)
    assert text.startswith("bad.csv: 2 problems")
    assert "row 250, column sex: 'F' is not a known category" in text
    assert f"row 281, column patient_id: {batch.loc[10, 'patient_id']} repeats row 11" in text
    assert out.read_text() == "previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.csv", "out.csv"]


def test_predict_cli_keeps_a_patient_id_above_2_53_exactly(trained, small_cohort, tmp_path):
    work, _ = trained
    batch = small_cohort.head(5).copy()
    batch["patient_id"] = [2**53 + 1, 2**53 + 3, 2**62 + 7, 1, -(2**63)]
    data = tmp_path / "ids.csv"
    batch.to_csv(data, index=False)
    out = tmp_path / "pred.csv"
    result = runner.invoke(app, ["predict", "--model", str(work / "model"), "--data", str(data), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert [line.split(",")[0] for line in out.read_text().splitlines()[1:]] == [
        str(2**53 + 1),
        str(2**53 + 3),
        str(2**62 + 7),
        "1",
        str(-(2**63)),
    ]
