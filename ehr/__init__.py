"""Inside the EHR: FHIR R4 input and a CDS Hooks 2.0 discharge-check service.

The public surface is listed here; the code lives in private modules with one job each:

- ``codes.yaml`` / ``_codes``: the one versioned code table (LOINC, SNOMED CT, US Core), with sources;
- ``_fhir``: FHIR R4 resources (``fhir.resources.R4B``) -> one batch-schema visit row, or the reasons why not;
- ``_cards``: model, HEART and ESC 0/1 h on that row -> one CDS Hooks card;
- ``_security``: the EHR's signed JWT (asymmetric algorithms, allow-listed issuer and ``jku``, ``aud``, replay);
- ``_feedback``: accepted/overridden cards by sex, race and age band (no identifiers) and their summary;
- ``_service``: the ASGI app (FastAPI) that ``triage serve-hooks`` runs; ``_config``: its YAML config.

Names are imported on first use (PEP 562) so ``import ehr`` costs nothing until a name is used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ehr._cards import Assessment, assess, card
    from ehr._codes import CodeTable, code_table
    from ehr._config import HooksConfig, load_hooks_config
    from ehr._feedback import FeedbackStore, override_rates
    from ehr._fhir import NO_HS_TROPONIN, VisitMapping, is_fhir_json, map_bundle, map_visit, read_fhir_visits
    from ehr._schema import CDS_RESPONSE_SCHEMA
    from ehr._security import ReplayCache, TokenVerifier, Unauthorized
    from ehr._service import SERVICES, create_app, prefetch_templates

_EXPORTS = {
    "ehr._cards": ("Assessment", "assess", "card"),
    "ehr._codes": ("CodeTable", "code_table"),
    "ehr._config": ("HooksConfig", "load_hooks_config"),
    "ehr._feedback": ("FeedbackStore", "override_rates"),
    "ehr._fhir": ("NO_HS_TROPONIN", "VisitMapping", "is_fhir_json", "map_bundle", "map_visit", "read_fhir_visits"),
    "ehr._schema": ("CDS_RESPONSE_SCHEMA",),
    "ehr._security": ("ReplayCache", "TokenVerifier", "Unauthorized"),
    "ehr._service": ("SERVICES", "create_app", "prefetch_templates"),
}
_MODULE_OF = {name: module for module, names in _EXPORTS.items() for name in names}
__all__ = [
    "Assessment",
    "CDS_RESPONSE_SCHEMA",
    "CodeTable",
    "FeedbackStore",
    "HooksConfig",
    "NO_HS_TROPONIN",
    "ReplayCache",
    "SERVICES",
    "TokenVerifier",
    "Unauthorized",
    "VisitMapping",
    "assess",
    "card",
    "code_table",
    "create_app",
    "is_fhir_json",
    "load_hooks_config",
    "map_bundle",
    "map_visit",
    "override_rates",
    "prefetch_templates",
    "read_fhir_visits",
]


def __getattr__(name: str) -> object:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'ehr' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
