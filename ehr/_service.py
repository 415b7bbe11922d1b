"""The CDS Hooks 2.0 service: discovery, one discharge-check handler for two hooks, and feedback.

``GET /cds-services`` lists two services sharing one handler: ``chest-pain-discharge`` (``encounter-discharge``)
and ``chest-pain-patient-view`` (``patient-view``). A call posts the hook context and the prefetch (FHIR R4
resources); the answer is one card (see ``ehr._cards``). A prefetch key that is missing or null is fetched from
the request's ``fhirServer`` only if that server is on the configured allow-list; otherwise the answer is 412.
Every request, discovery included, first passes the JWT check (``ehr._security``): a bare 401 otherwise.
Then no input gives a 5xx: a body over ``max_body_bytes`` is 413, one that is not the JSON object the endpoint
needs is 400 with one line saying what is wrong (``ehr._requests``). Nothing about the patient is logged.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from chestpain.ehr._batching import MicroBatcher
from chestpain.ehr._cards import assess_many, card, group_of
from chestpain.ehr._codes import code_table
from chestpain.ehr._config import HooksConfig
from chestpain.ehr._feedback import FeedbackStore
from chestpain.ehr._fhir import VisitMapping, map_visit
from chestpain.ehr._fhir_validation import validate_mappings
from chestpain.ehr._requests import BadRequest, feedback_items, hook_call, read_json
from chestpain.ehr._security import ReplayCache, ReplayStore, TokenVerifier, Unauthorized
from chestpain.kernel.errors import TriageError

log = logging.getLogger("chestpain.ehr.hooks")

PATIENT = "{{context.patientId}}"


def prefetch_templates(hook: str) -> dict[str, str]:
    """FHIR queries the EHR should run before calling (patient, encounter, troponin, vitals, ECG, conditions...)."""
    table = code_table()
    trop = [
        code
        for system, code in sorted(table.hs_troponin | set(table.refused_troponin))
        if system == table.systems["loinc"]
    ]
    vitals = (table.heart_rate[1], table.bp_panel[1], table.systolic_bp[1], table.pain_score[1])
    ecg = sorted(code for _, code in table.ecg_observations)
    encounter = (
        "Encounter/{{context.encounterId}}"
        if hook == "encounter-discharge"
        else f"Encounter?patient={PATIENT}&status=in-progress"
    )
    return {
        "patient": f"Patient/{PATIENT}",
        "encounter": encounter,
        "troponin": f"Observation?patient={PATIENT}&code={table.loinc_codes(*trop)}",
        "vitals": f"Observation?patient={PATIENT}&code={table.loinc_codes(*vitals)}",
        "ecg": f"Observation?patient={PATIENT}&code={table.loinc_codes(*ecg)}",
        "conditions": f"Condition?patient={PATIENT}",
        "smoking": f"Observation?patient={PATIENT}&code={table.loinc_codes(table.smoking[1])}",
        "familyHistory": f"FamilyMemberHistory?patient={PATIENT}",
    }


@dataclass(frozen=True)
class Service:
    id: str
    hook: str
    title: str
    description: str

    def discovery(self) -> dict[str, Any]:
        return {
            "hook": self.hook,
            "id": self.id,
            "title": self.title,
            "description": self.description,
            "prefetch": prefetch_templates(self.hook),
            "usageRequirements": "Research and audit tool, not a medical device. "
            "Needs hs-cTnI (LOINC 89579-7) at 0 h and 1 h.",
        }


SERVICES = {
    service.id: service
    for service in (
        Service(
            "chest-pain-discharge",
            "encounter-discharge",
            "Chest-pain discharge check",
            "Flags ED chest-pain discharges that may be a missed MI (calibrated risk, HEART, ESC 0/1 h, reasons).",
        ),
        Service(
            "chest-pain-patient-view",
            "patient-view",
            "Chest-pain MI risk",
            "The same discharge check when the chart of a patient in the ED is opened.",
        ),
    )
}


class _PrefetchMissing(Exception):
    pass


def _fill_prefetch(body: dict[str, Any], templates: dict[str, str], config: HooksConfig) -> dict[str, Any]:
    """The prefetch with missing keys fetched from an allow-listed FHIR server; raises when that is impossible."""
    prefetch = dict(body.get("prefetch") or {})  # checked by ehr._requests.hook_call: an object or null
    missing = [key for key in templates if prefetch.get(key) is None]
    if not missing:
        return prefetch
    server = str(body.get("fhirServer") or "").rstrip("/")
    auth = body.get("fhirAuthorization") or {}
    if not server or server not in [url.rstrip("/") for url in config.fhir_servers] or not auth.get("access_token"):
        raise _PrefetchMissing
    import httpx

    context = body.get("context") or {}
    headers = {"Authorization": f"Bearer {auth['access_token']}", "Accept": "application/fhir+json"}
    try:
        with httpx.Client(timeout=config.fhir_timeout_seconds, follow_redirects=False, trust_env=False) as client:
            for key in missing:
                query = templates[key]
                for name in ("patientId", "encounterId", "userId"):
                    query = query.replace("{{context." + name + "}}", str(context.get(name, "")))
                response = client.get(f"{server}/{query}", headers=headers)
                response.raise_for_status()
                prefetch[key] = response.json()
    except (httpx.HTTPError, ValueError):
        raise _PrefetchMissing from None
    return prefetch


@dataclass(frozen=True)
class _Call:
    """One hook call waiting for its card: the service, the checked body, the completed prefetch."""

    service: Service
    body: dict[str, Any]
    prefetch: dict[str, Any]


def _mapped(call: _Call) -> VisitMapping:
    """The call's visit mapped from its prefetch, not yet schema-checked (the batch is checked at once)."""
    context = call.body["context"]
    try:
        return map_visit(
            call.prefetch.values(),
            patient_id=str(context["patientId"]),
            encounter_id=context.get("encounterId"),
            validate=False,
        )
    except TriageError as error:
        return VisitMapping(None, (f"insufficient data: {error}",), (), None, None, code_table().version)


def create_app(
    model: Any,
    config: HooksConfig,
    *,
    store: FeedbackStore | None = None,
    no_cards: bool = False,
    replay: ReplayCache | ReplayStore | None = None,
) -> FastAPI:
    """The ASGI app. ``no_cards=True`` answers every hook with an empty card list (benchmark baseline only).

    ``replay``: where token ids are remembered; by default the config's ``replay_db`` file (shared by workers).
    """
    verifier = TokenVerifier(config, replay if replay is not None else ReplayStore(config.replay_db))
    # The assessment is CPU work under the GIL (pandas, the pipeline, TreeSHAP): twenty at once in the thread pool
    # thrash and all finish late (20 clients, one worker: 2.5 calls/s, p95 8.9 s). The calls that queue while one
    # batch runs are answered together as the next batch (_batching), whose cost barely depends on its size.
    # More throughput comes from --workers too (benchmarks/bench_hooks_load.py).
    batcher: MicroBatcher[_Call, Response] = MicroBatcher(lambda calls: _answer_many(calls))
    store = (
        store if store is not None else FeedbackStore(config.feedback_db, retention_days=config.feedback_retention_days)
    )
    app = FastAPI(title="chest-pain triage CDS Hooks", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.store = store
    app.state.batcher = batcher

    @app.middleware("http")
    async def authenticate(request: Request, call_next: Any) -> Response:
        audience = config.base_url + request.url.path
        try:
            await run_in_threadpool(verifier.verify, request.headers.get("authorization"), audience)
        except Unauthorized as refused:
            log.info("request refused: %s", refused.reason)  # one word; below the service's warning level
            return Response(status_code=401, headers={"WWW-Authenticate": "Bearer"})
        except Exception as error:  # noqa: BLE001 - fail closed: a verifier fault refuses the call, never a 500
            log.info("request refused: verifier-error %s", type(error).__name__)
            return Response(status_code=401, headers={"WWW-Authenticate": "Bearer"})
        return await call_next(request)

    if config.cors_origins:
        from fastapi.middleware.cors import CORSMiddleware

        # Added after the JWT middleware, so it runs first: a browser's preflight carries no token.
        app.add_middleware(
            CORSMiddleware,
            allow_origins=config.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type"],
        )

    @app.get("/cds-services")
    def discovery() -> dict[str, Any]:
        return {"services": [service.discovery() for service in SERVICES.values()]}

    @app.post("/cds-services/{service_id}")
    async def call(service_id: str, request: Request) -> Response:
        service = SERVICES.get(service_id)
        if service is None:
            return JSONResponse({"error": "no such service"}, status_code=404)
        try:
            body = hook_call(await read_json(request, config.max_body_bytes), service.hook)
        except BadRequest as error:
            return error.response()
        if no_cards:
            return JSONResponse({"cards": []})
        try:  # network I/O (an allow-listed FHIR server), outside the one-at-a-time section below
            prefetch = await run_in_threadpool(_fill_prefetch, body, prefetch_templates(service.hook), config)
        except _PrefetchMissing:
            return JSONResponse(
                {"error": "prefetch incomplete and no allowed FHIR server to complete it"}, status_code=412
            )
        return await batcher.submit(_Call(service, body, prefetch))

    def _answer_many(calls: Sequence[_Call]) -> list[Response]:
        """Cards for calls that arrived together: one schema check and one model run for all their rows."""
        mappings = validate_mappings([_mapped(call) for call in calls])
        assessments = assess_many(model, mappings)
        patients = [str(call.body["context"]["patientId"]) for call in calls]
        issued = [card(assessment, patient) for assessment, patient in zip(assessments, patients, strict=True)]
        store.cards_issued(
            [
                (one["uuid"], call.service.id, one["indicator"], group_of(mapping))
                for call, one, mapping in zip(calls, issued, mappings, strict=True)
            ]
        )
        return [JSONResponse({"cards": [one]}) for one in issued]

    @app.post("/cds-services/{service_id}/feedback")
    async def feedback(service_id: str, request: Request) -> Response:
        if service_id not in SERVICES:
            return JSONResponse({"error": "no such service"}, status_code=404)
        try:
            items = feedback_items(await read_json(request, config.max_body_bytes))
        except BadRequest as error:
            return error.response()
        await run_in_threadpool(store.record_many, items)  # all or nothing
        return JSONResponse({})

    return app
