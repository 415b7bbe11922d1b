"""FHIR resources of one request or file, parsed and with references resolved (the mapping's input)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from typing import Any

from chestpain.kernel.errors import TriageError


class Record:
    """Parsed resources of one request or file, with references resolved to ``Type/id``."""

    def __init__(self, items: Iterable[dict[str, Any]]) -> None:
        from fhir.resources.R4B import get_fhir_model_class

        self.resources: list[Any] = []
        self.alias: dict[str, str] = {}
        for position, (full_url, item) in enumerate(_flatten(items), start=1):
            kind = item.get("resourceType") if isinstance(item, dict) else None
            if not isinstance(kind, str):
                raise TriageError(f"FHIR entry {position} has no resourceType")
            try:
                resource = get_fhir_model_class(kind).model_validate(item)
            except KeyError:
                continue  # a resource type this mapping never reads (e.g. Medication) is skipped
            except ValueError as error:
                first = str(error).strip().splitlines()
                reason = first[1].strip() if len(first) > 1 else first[0]
                raise TriageError(f"FHIR entry {position} ({kind}) is not valid FHIR R4: {reason}") from None
            ref = f"{kind}/{resource.id}" if resource.id else (full_url or f"{kind}/#{position}")
            if full_url:
                self.alias[full_url] = ref
            self.resources.append((ref, resource))

    def ref(self, reference: Any) -> str | None:
        """``Type/id`` of a Reference (relative, absolute URL or a bundle's ``urn:uuid``)."""
        text = getattr(reference, "reference", None)
        if not text:
            return None
        if text in self.alias:
            return self.alias[text]
        parts = text.rstrip("/").split("/")
        return "/".join(parts[-2:]) if len(parts) >= 2 else text

    def of(self, kind: str, patient: str | None = None) -> list[tuple[str, Any]]:
        found = [(ref, res) for ref, res in self.resources if res.get_resource_type() == kind]
        if patient is None or kind == "Patient":
            return found
        return [
            (ref, res)
            for ref, res in found
            if self.ref(getattr(res, "subject", None) or getattr(res, "patient", None)) == patient
        ]


def _flatten(items: Iterable[dict[str, Any]], full_url: str | None = None) -> Iterator[tuple[str | None, dict]]:
    """Resources of nested Bundles (collection, searchset, transaction, CDS Hooks prefetch) in order."""
    for item in items:
        if item is None:
            continue
        if isinstance(item, dict) and item.get("resourceType") == "Bundle":
            for entry in item.get("entry") or []:
                if isinstance(entry, dict) and entry.get("resource") is not None:
                    yield from _flatten([entry["resource"]], entry.get("fullUrl"))
            continue
        yield full_url, item


def distinct_samples(
    samples: list[tuple[dt.datetime, float]],
) -> tuple[list[tuple[dt.datetime, float]], str | None, str | None]:
    """Samples by time, identical duplicates once; two values at one time that disagree are a problem.

    Returns the samples, the problem (or None) and a note on duplicates (or None): the order of the resources in
    a bundle can never change which value is used (issue 25).
    """
    by_time: dict[dt.datetime, set[float]] = {}
    for when, value in samples:
        by_time.setdefault(when, set()).add(value)
    for when, values in sorted(by_time.items()):
        if len(values) > 1:
            shown = " and ".join(f"{v:g} ng/L" for v in sorted(values))
            problem = (
                f"insufficient data: two hs-troponin results at {when.isoformat()} disagree ({shown}); "
                "correct or retract one in the record"
            )
            return [], problem, None
    note = (
        f"{len(samples) - len(by_time)} duplicate hs-troponin result(s) counted once"
        if len(by_time) < len(samples)
        else None
    )
    return [(when, next(iter(values))) for when, values in sorted(by_time.items())], None, note
