"""Batch prediction in chunks: bounded memory whatever the batch size, and nothing written for a bad batch.

``predict_path`` (what ``triage predict`` runs) reads the file twice, a chunk at a time: the first pass validates
every row (a bad batch produces the schema's messages and no output), the second scores each chunk and appends it
to ``.OUT.partial-PID``, which is renamed onto the output only when the last chunk is written. Memory therefore
depends on the chunk size, not on the number of rows (only the ids, 8 bytes a row, are kept to find repeats).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from chestpain.features import CHUNK_ROWS, iter_valid_chunks, validate_file
from chestpain.kernel.errors import TriageError
from chestpain.kernel.io import atomic_output, neutralise_formulas
from chestpain.models._predictor import TriageModel


@dataclass(frozen=True)
class BatchSummary:
    """What a streamed prediction wrote."""

    n: int
    n_flagged: int


def predict_file(
    model: TriageModel,
    frame: pd.DataFrame,
    *,
    source: str = "input",
    with_reasons: bool = True,
    chunk_rows: int = CHUNK_ROWS,
) -> pd.DataFrame:
    """Validate an in-memory batch first (a bad batch produces nothing), then score it chunk by chunk."""
    features = model.validate(frame, source=source)
    parts = [
        model.predict_features(features.iloc[start : start + chunk_rows], with_reasons=with_reasons)
        for start in range(0, len(features), chunk_rows)
    ]
    return pd.concat(parts, ignore_index=True)


def predict_path(
    model: TriageModel,
    data: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    with_reasons: bool = True,
    chunk_rows: int = CHUNK_ROWS,
) -> BatchSummary:
    """Score the ``.csv``/``.parquet`` file ``data`` into ``out`` (``.csv``/``.parquet``) in bounded memory.

    Pass 1 validates the whole file (rows in messages are the file's rows); pass 2 scores chunk by chunk into a
    partial file beside ``out``, renamed into place at the end. CSV output cannot run as spreadsheet formulas.
    """
    data, out = Path(data), Path(out)
    if data.suffix.lower() == ".json" or (data.suffix.lower() not in (".csv", ".parquet") and _is_fhir(data)):
        # A FHIR R4 Bundle (ehr/): a few visits, mapped to batch-schema rows, then the same validation and model.
        from chestpain.ehr import FHIR_PATIENT_COLUMN, read_fhir_visits

        visits = read_fhir_visits(data, with_reference=True)
        part = predict_file(
            model, visits.drop(columns=FHIR_PATIENT_COLUMN), source=data.name, with_reasons=with_reasons
        )
        # The FHIR Patient reference beside patient_id (a number, or the position when the id is not one).
        part.insert(1, FHIR_PATIENT_COLUMN, visits[FHIR_PATIENT_COLUMN].to_numpy())
        with atomic_output(out) as tmp, _ChunkWriter(tmp, out.suffix.lower()) as writer:
            writer.write(part)
        return BatchSummary(len(part), int(part["flag"].sum()))
    spec = model.table_spec
    before = _fingerprint(data)
    validate_file(data, spec, source=data.name, chunk_rows=chunk_rows)
    n = flagged = 0
    with atomic_output(out) as tmp, _ChunkWriter(tmp, out.suffix.lower()) as writer:
        for features in iter_valid_chunks(data, spec, source=data.name, chunk_rows=chunk_rows):
            part = model.predict_features(features, with_reasons=with_reasons)
            writer.write(part)
            n += len(part)
            flagged += int(part["flag"].sum())
        if _fingerprint(data) != before:  # inside the block: the old output stays, nothing is renamed
            raise TriageError(INPUT_CHANGED.format(data=data.name))
    return BatchSummary(n, flagged)


INPUT_CHANGED = (
    "{data} changed while it was being read (its size or modification time moved between the validating and the "
    "scoring pass); nothing was written: run again on a file that is no longer being written"
)


def _fingerprint(path: Path) -> tuple[int, int, int, int]:
    """Size, modification time (ns), inode and device: a file written, truncated or replaced during a run differs."""
    stat = os.stat(path)
    return stat.st_size, stat.st_mtime_ns, stat.st_ino, stat.st_dev


def _is_fhir(path: Path) -> bool:
    from chestpain.ehr import is_fhir_json

    return is_fhir_json(path)


class _ChunkWriter:
    """Appends scored chunks to one CSV (header once) or Parquet file (one schema, from the first chunk)."""

    def __init__(self, path: Path, suffix: str) -> None:
        self.path, self.csv = path, suffix == ".csv"
        self._file = path.open("w", newline="", encoding="utf-8") if self.csv else None
        self._parquet: pq.ParquetWriter | None = None

    def __enter__(self) -> _ChunkWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._file is not None:
            self._file.close()
        if self._parquet is not None:
            self._parquet.close()

    def write(self, part: pd.DataFrame) -> None:
        if self._file is not None:
            neutralise_formulas(part).to_csv(self._file, header=self._file.tell() == 0, index=False)
            return
        table = pa.Table.from_pandas(part, preserve_index=False)
        if self._parquet is None:
            self._parquet = pq.ParquetWriter(self.path, table.schema)
        self._parquet.write_table(table.cast(self._parquet.schema))
