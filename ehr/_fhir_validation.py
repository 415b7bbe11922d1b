"""Mapped FHIR rows through the batch schema: one row alone, or every row of a CDS Hooks batch at once.

The schema's work is per column, not per row (pandera and pandas run each check over a whole column), so
twenty rows cost what one does (about 40 ms on this machine, most of a lone call's mapping time). The service
answers the calls that arrive together as one batch (``_batching``); this is where their rows are checked.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from chestpain.kernel.errors import TriageError

if TYPE_CHECKING:
    from chestpain.ehr._fhir import VisitMapping


def validated_row(row: dict[str, Any], problems: list[str]) -> pd.DataFrame | None:
    """The batch schema's own checks on one mapped row (ranges, categories); a failure becomes a problem.

    ``sx_*`` and ``doc_*`` hold the same values, so checking the ``sx`` form checks both.
    """
    from chestpain.features import validate_visits

    try:
        return validate_visits(pd.DataFrame([row]), symptom_source="sx", source="FHIR data")
    except TriageError as error:
        problems.append(f"insufficient data: {error}")
        return None


def validate_mappings(mappings: Sequence[VisitMapping]) -> list[VisitMapping]:
    """Check every mapped, not yet checked row (``map_visit(..., validate=False)``) together.

    Each result equals what ``map_visit`` would have returned with ``validate=True`` (tested): when every row
    passes, each gets its own slice of the checked table; when any fails, every row is checked alone, so a
    problem names its own record exactly as a lone call would, and one bad record never spoils the others.
    """
    todo = [i for i, mapping in enumerate(mappings) if mapping.sufficient and mapping.features is None]
    out = list(mappings)
    if not todo:
        return out
    # Two calls in one batch may be for the same patient: the schema wants unique ids, so number the rows.
    rows = [{**mappings[i].row, "patient_id": position} for position, i in enumerate(todo, start=1)]
    checked = _check_together(rows) if len(todo) > 1 else None
    for position, i in enumerate(todo):
        mapping = mappings[i]
        if checked is not None:
            features = checked.iloc[[position]].reset_index(drop=True)
            features["patient_id"] = np.array([mapping.row["patient_id"]], dtype=features["patient_id"].dtype)
            out[i] = replace(mapping, features=features)
            continue
        problems: list[str] = []
        features = validated_row(mapping.row, problems)
        out[i] = (
            replace(mapping, features=features)
            if features is not None
            else replace(mapping, row=None, problems=tuple(problems), later_samples=())
        )
    return out


def _check_together(rows: list[dict[str, Any]]) -> pd.DataFrame | None:
    from chestpain.features import validate_visits

    try:
        return validate_visits(pd.DataFrame(rows), symptom_source="sx", source="FHIR data")
    except TriageError:
        return None  # at least one row fails: each is checked alone (see validate_mappings)
