"""Where a cohort file came from, carried inside the Parquet file so a model card can name it (issue 27).

``chestpain simulate`` stores the scenario's name, a sha256 of its full configuration (after any ``--set``), the
seed and the row count as one JSON value under :data:`PROVENANCE_KEY` in the file's key-value metadata. The
values are deterministic (no time, no host), so the same seed and config still give the same bytes. A table that
was edited, concatenated or written by another tool has no such entry, or one that no longer describes it: the
model card therefore shows it beside the data hash, which is what identifies the rows.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

PROVENANCE_KEY = b"chestpain.cohort"
#: The fields a simulated cohort records; anything else in the entry is ignored on reading.
PROVENANCE_FIELDS = ("source", "scenario", "scenario_sha256", "seed", "rows", "simulator_version")


def schema_with_provenance(schema: pa.Schema, provenance: dict[str, Any]) -> pa.Schema:
    """``schema`` carrying ``provenance`` (sorted JSON, so identical inputs give identical bytes)."""
    entry = json.dumps({key: provenance[key] for key in PROVENANCE_FIELDS if key in provenance}, sort_keys=True)
    return schema.with_metadata({**(schema.metadata or {}), PROVENANCE_KEY: entry.encode()})


def read_provenance(path: str | os.PathLike[str]) -> dict[str, Any] | None:
    """The provenance stored in a Parquet file (or the first part of a Parquet folder); ``None`` if there is none.

    CSV files, unreadable files and entries that are not a JSON object all give ``None``: provenance describes a
    file, it never decides whether the file can be used (reading the rows does that, with its own errors).
    """
    path = Path(path)
    if path.is_dir():
        parts = sorted(path.glob("*.parquet"))
        if not parts:
            return None
        path = parts[0]
    if path.suffix.lower() != ".parquet":
        return None
    try:
        metadata = pq.read_schema(path).metadata or {}
        entry = json.loads(metadata[PROVENANCE_KEY]) if PROVENANCE_KEY in metadata else None
    except (OSError, ValueError, pa.ArrowException):
        return None
    if not isinstance(entry, dict):
        return None
    return {key: entry[key] for key in PROVENANCE_FIELDS if key in entry}
