"""Inside the EHR: FHIR R4 input and a CDS Hooks 2.0 discharge-check service.

The public surface is listed here; the code lives in private modules with one job each:

- ``codes.yaml`` / ``_codes``: the one versioned code table (LOINC, SNOMED CT, US Core), with sources;
- ``_fhir``: FHIR R4 resources (``fhir.resources.R4B``) -> one batch-schema visit row, or the reasons why not;
  ``_fhir_validation``: those rows through the batch schema, one alone or many at once;
- ``_fhir_files``: a FHIR JSON file as batch input (its patients as rows, each with its Patient reference);
- ``_cards``: model, HEART and ESC 0/1 h on that row -> one CDS Hooks card;
- ``_security``: the EHR's signed JWT (asymmetric algorithms, allow-listed issuer and ``jku``, ``aud``, replay);
- ``_feedback``: accepted/overridden cards by sex, race and age band (no identifiers), their summary, and
  ``read_feedback`` (the store as a table, read-only, for ``chestpain monitor``);
- ``_service``: the ASGI app (FastAPI) that ``chestpain serve-hooks`` runs; ``_requests``: its request bodies
  (size limit, JSON, envelope, feedback items); ``_batching``: calls that queue answered as one batch;
  ``_config``: its YAML config.

Names are imported on first use (PEP 562, with ``lazy_loader``) so ``import chestpain.ehr`` costs nothing until a
name is used. The service takes the model as an argument, so ehr imports nothing above ``features``.
"""

from __future__ import annotations

import lazy_loader

#: Private module -> the names it contributes to the public surface (imported on first use).
_EXPORTS = {
    "_cards": ("Assessment", "assess", "card"),
    "_codes": ("CodeTable", "code_table"),
    "_config": ("HooksConfig", "load_hooks_config"),
    "_feedback": ("FEEDBACK_COLUMNS", "Feedback", "FeedbackStore", "override_rates", "read_feedback"),
    "_fhir": ("NO_HS_TROPONIN", "VisitMapping", "map_bundle", "map_visit"),
    "_fhir_files": ("FHIR_PATIENT_COLUMN", "is_fhir_json", "read_fhir_visits"),
    "_schema": ("CDS_RESPONSE_SCHEMA",),
    "_security": ("ReplayCache", "ReplayStore", "TokenVerifier", "Unauthorized"),
    "_service": ("SERVICES", "create_app", "prefetch_templates"),
}

__getattr__, __dir__, __all__ = lazy_loader.attach(__name__, submod_attrs=_EXPORTS)
