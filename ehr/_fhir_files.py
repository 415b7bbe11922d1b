"""FHIR R4 JSON files as batch input: recognising one, and reading its patients as visit rows (``ehr._fhir`` maps)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from chestpain.ehr._fhir import map_bundle
from chestpain.kernel.errors import TriageError


def is_fhir_json(path: str | Path) -> bool:
    """A ``.json`` file, or a file whose first non-blank bytes open a JSON object naming a ``resourceType``."""
    path = Path(path)
    if path.suffix.lower() == ".json":
        return True
    try:
        with path.open("rb") as file:
            head = file.read(4096).lstrip()
    except OSError:
        return False
    return head.startswith(b"{") and b'"resourceType"' in head


#: The column :func:`read_fhir_visits` adds with ``with_reference=True``: each row's FHIR Patient reference.
FHIR_PATIENT_COLUMN = "fhir_patient"


def read_fhir_visits(path: str | Path, *, with_reference: bool = False) -> pd.DataFrame:
    """A FHIR R4 JSON file (one Bundle or resource) -> visit rows; any patient with insufficient data is an error.

    ``patient_id`` is the Patient's id when it is a number (below 19 digits), else the patient's position in the
    file; ``with_reference=True`` adds ``fhir_patient`` ("Patient/<id>"), so an id that is not a number is kept.
    """
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise TriageError(f"{path}: no such file") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise TriageError(f"{path.name}: not a FHIR JSON file ({error})") from None
    if not isinstance(data, dict) or "resourceType" not in data:
        raise TriageError(f"{path.name}: not a FHIR resource (no resourceType)")
    mappings = map_bundle(data)
    bad = [(i, m) for i, m in enumerate(mappings, start=1) if not m.sufficient]
    if bad:
        position, mapping = bad[0]
        raise TriageError(f"{path.name}: patient {position}: {'; '.join(mapping.problems)}")
    rows = pd.DataFrame([m.row for m in mappings])
    if with_reference:
        rows[FHIR_PATIENT_COLUMN] = [m.patient_ref for m in mappings]
    return rows
