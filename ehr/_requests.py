"""Reading a CDS Hooks request body: a size limit, JSON, and the shape each endpoint needs, or one line saying why.

The service answers 413 for a body over the configured limit and 400 for anything it cannot use, naming the
field ("prefetch must be a JSON object mapping keys to FHIR resources or null"), never echoing the value: a value
may be patient data. What the FHIR resources inside the prefetch hold is the mapper's business (``ehr._fhir``);
here only the envelope is checked.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse

from chestpain.ehr._cards import OVERRIDE_REASONS
from chestpain.ehr._feedback import OUTCOMES, Feedback

#: The override reasons a card offers: the only reason codes feedback may carry (free text is never stored).
OVERRIDE_CODES = tuple(reason["code"] for reason in OVERRIDE_REASONS)
#: Longest identifier read from the envelope (a FHIR id is at most 64 characters; a card uuid 36).
MAX_ID_CHARS = 64


class BadRequest(Exception):
    """The request cannot be used; ``status`` 400 or 413 and a one-line ``message`` for the caller."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message, self.status = message, status

    def response(self) -> JSONResponse:
        return JSONResponse({"error": self.message}, status_code=self.status)


async def read_json(request: Request, limit: int) -> dict[str, Any]:
    """The body as a JSON object, read no further than ``limit`` bytes (a declared or streamed larger one is 413)."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        raise BadRequest(f"request body larger than {limit} bytes", 413)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BadRequest(f"request body larger than {limit} bytes", 413)
        chunks.append(chunk)
    try:
        body = json.loads(b"".join(chunks))
    except (ValueError, RecursionError):  # not UTF-8, not JSON, or nested beyond the parser's depth
        raise BadRequest("request body is not JSON") from None
    if not isinstance(body, dict):
        raise BadRequest("request body must be a JSON object")
    return body


def _identifier(value: object, name: str) -> str:
    if not isinstance(value, str) or not 0 < len(value) <= MAX_ID_CHARS:
        raise BadRequest(f"{name} must be a string of 1 to {MAX_ID_CHARS} characters")
    return value


def hook_call(body: dict[str, Any], hook: str) -> dict[str, Any]:
    """The hook request's envelope checked: hook, context ids, prefetch, fhirServer, fhirAuthorization."""
    context = body.get("context")
    if body.get("hook") != hook or not isinstance(context, dict) or not context.get("patientId"):
        raise BadRequest(f"expected hook {hook} with context.patientId")
    _identifier(context["patientId"], "context.patientId")
    if context.get("encounterId") is not None:
        _identifier(context["encounterId"], "context.encounterId")
    prefetch = body.get("prefetch")
    resources = prefetch.values() if isinstance(prefetch, dict) else ()
    malformed = not isinstance(prefetch, dict) or any(not isinstance(value, dict | None) for value in resources)
    if prefetch is not None and malformed:
        raise BadRequest("prefetch must be a JSON object mapping keys to FHIR resources or null")
    if body.get("fhirServer") is not None and not isinstance(body["fhirServer"], str):
        raise BadRequest("fhirServer must be a URL string")
    auth = body.get("fhirAuthorization")
    if auth is not None and (not isinstance(auth, dict) or not isinstance(auth.get("access_token", ""), str)):
        raise BadRequest("fhirAuthorization must be an object with a string access_token")
    return body


def feedback_items(body: dict[str, Any]) -> list[Feedback]:
    """Every feedback item checked before any is stored: a card uuid, an outcome, at most a listed reason code."""
    items = body.get("feedback")
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise BadRequest("expected {'feedback': [...]} with an object per card")
    checked = []
    for i, item in enumerate(items):
        card = _identifier(item.get("card"), f"feedback[{i}].card")
        if item.get("outcome") not in OUTCOMES:
            raise BadRequest(f"feedback[{i}].outcome must be one of {', '.join(OUTCOMES)}")
        override = item.get("overrideReason")
        reason = override.get("reason") if isinstance(override, dict) else override
        code = reason.get("code") if isinstance(reason, dict) else reason
        if override is not None and code not in OVERRIDE_CODES:
            # Only the card's own codes: anything else (a name, an MRN, a comment) is refused, not stored.
            raise BadRequest(f"feedback[{i}].overrideReason.reason.code must be one of {', '.join(OVERRIDE_CODES)}")
        checked.append(Feedback(card, item["outcome"], code))
    return checked
