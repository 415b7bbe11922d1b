"""The same patient as a CSV row and as a FHIR bundle: same risk, flag and reasons, through `chestpain predict`."""

from __future__ import annotations

import pandas as pd
import pytest
from typer.testing import CliRunner

from chestpain.cli.main import app as cli
from chestpain.models import PREDICT_COLUMNS, load_model
from chestpain.models._batch import predict_path
from tests.ehr.conftest import FIXTURES

PATIENTS = [1004, 1007, 1015, 1018]


@pytest.fixture(scope="module")
def csv_predictions(app_model_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("csv") / "csv.csv"
    predict_path(load_model(app_model_dir), FIXTURES / "visits.csv", out)
    return pd.read_csv(out).set_index("patient_id")


@pytest.mark.parametrize("pid", PATIENTS)
def test_same_risk_and_reasons_from_csv_and_fhir(app_model_dir, csv_predictions, tmp_path, pid):
    out = tmp_path / "fhir.csv"
    predict_path(load_model(app_model_dir), FIXTURES / f"visit_{pid}.json", out)
    fhir = pd.read_csv(out).set_index("patient_id")
    assert list(fhir.index) == [pid]
    # Exact equality: both paths validate the same row and run the same model (no tolerance needed).
    assert fhir.loc[pid, "risk"] == csv_predictions.loc[pid, "risk"]
    assert fhir.loc[pid, "flag"] == csv_predictions.loc[pid, "flag"]
    assert fhir.loc[pid, "reasons"] == csv_predictions.loc[pid, "reasons"]


def test_cli_predict_reads_a_fhir_bundle(app_model_dir, tmp_path):
    out = tmp_path / "out.parquet"
    result = CliRunner().invoke(
        cli, ["predict", "--model", str(app_model_dir), "--data", str(FIXTURES / "visit_1015.json"), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "scored 1 visits" in result.output
    frame = pd.read_parquet(out)
    # The FHIR Patient reference is kept beside patient_id (issue 26).
    assert list(frame.columns) == ["patient_id", "fhir_patient", *PREDICT_COLUMNS[1:]]
    assert frame["patient_id"].tolist() == [1015] and frame["fhir_patient"].tolist() == ["Patient/1015"]


def test_a_fhir_patient_id_that_is_not_a_number_is_kept_not_replaced_silently(app_model_dir, tmp_path):
    # Before, "Patient/mrn-88123" became patient_id 1 (its position) and the id was gone from the output.
    data = tmp_path / "bundle.json"
    text = (FIXTURES / "visit_1015.json").read_text(encoding="utf-8")
    data.write_text(text.replace('"1015"', '"mrn-88123"').replace("Patient/1015", "Patient/mrn-88123"), "utf-8")
    out = tmp_path / "out.csv"
    result = CliRunner().invoke(cli, ["predict", "--model", str(app_model_dir), "--data", str(data), "--out", str(out)])
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(out)
    assert frame["patient_id"].tolist() == [1] and frame["fhir_patient"].tolist() == ["Patient/mrn-88123"]


def test_cli_predict_fhir_without_troponin_is_one_line_error_and_no_output(app_model_dir, tmp_path):
    out = tmp_path / "out.csv"
    data = FIXTURES / "variant_non_hs_troponin.json"
    result = CliRunner().invoke(cli, ["predict", "--model", str(app_model_dir), "--data", str(data), "--out", str(out)])
    assert result.exit_code == 1
    assert "LOINC 10839-9" in result.output and "no assessment was made" in result.output
    assert not out.exists()


def test_fhir_content_is_detected_without_the_json_suffix(app_model_dir, tmp_path):
    data = tmp_path / "bundle.fhir"
    data.write_bytes((FIXTURES / "visit_1004.json").read_bytes())
    out = tmp_path / "out.csv"
    result = CliRunner().invoke(cli, ["predict", "--model", str(app_model_dir), "--data", str(data), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert pd.read_csv(out)["patient_id"].tolist() == [1004]
