"""A cohort file names its scenario, seed and size (issue 27: the model card says what it was trained on)."""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from chestpain.features import PROVENANCE_KEY, read_provenance, schema_with_provenance
from chestpain.simulation import load_scenario, write_cohort


@pytest.fixture(scope="module")
def cohort_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("provenance") / "cohort.parquet"
    write_cohort(load_scenario("no_bias", ["interruption.median_seconds=12"]), 700, 5, str(path))
    return path


def test_a_simulated_file_records_its_scenario_seed_and_size(cohort_file):
    provenance = read_provenance(cohort_file)
    assert provenance["source"] == "simulated" and provenance["scenario"] == "no_bias"
    assert provenance["seed"] == 5 and provenance["rows"] == 700 and len(provenance["scenario_sha256"]) == 64
    packaged = load_scenario("no_bias", [])
    assert provenance["scenario_sha256"] != schema_hash(packaged)  # the --set override changes the config hash


def schema_hash(cfg) -> str:
    import hashlib

    return hashlib.sha256(cfg.model_dump_json().encode()).hexdigest()


def test_the_record_is_deterministic_and_leaves_the_rows_alone(cohort_file, tmp_path):
    again = tmp_path / "again.parquet"
    write_cohort(load_scenario("no_bias", ["interruption.median_seconds=12"]), 700, 5, str(again))
    assert again.read_bytes() == cohort_file.read_bytes()
    table = pq.read_table(cohort_file)
    assert table.num_rows == 700 and "patient_id" in table.column_names


def test_a_rewritten_csv_or_damaged_file_has_no_provenance(cohort_file, tmp_path):
    frame = pq.read_table(cohort_file).to_pandas()
    frame.to_parquet(tmp_path / "rewritten.parquet")
    frame.head(5).to_csv(tmp_path / "table.csv", index=False)
    (tmp_path / "broken.parquet").write_bytes(b"PAR1 not really")
    assert read_provenance(tmp_path / "rewritten.parquet") is None
    assert read_provenance(tmp_path / "table.csv") is None
    assert read_provenance(tmp_path / "broken.parquet") is None
    assert read_provenance(tmp_path / "missing.parquet") is None


def test_only_known_fields_of_a_json_object_are_read(tmp_path):
    schema = pa.schema([("x", pa.int64())])
    for entry, expected in (
        (b"[1, 2]", None),
        (b"not json", None),
        (json.dumps({"source": "simulated", "seed": 3, "who": "x"}).encode(), {"source": "simulated", "seed": 3}),
    ):
        path = tmp_path / "t.parquet"
        pq.write_table(pa.table({"x": [1]}, schema=schema.with_metadata({PROVENANCE_KEY: entry})), path)
        assert read_provenance(path) == expected
    folder = tmp_path / "parts"
    folder.mkdir()
    pq.write_table(
        pa.table({"x": [1]}, schema=schema_with_provenance(schema, {"source": "simulated", "rows": 9})),
        folder / "part-0.parquet",
    )
    assert read_provenance(folder) == {"source": "simulated", "rows": 9}
