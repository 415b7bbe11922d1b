"""JSON Schema of a CDS Hooks 2.0 service response, written from the spec's Card section.

Source: CDS Hooks 2.0 (HL7, STU2), "CDS Service Response", "Card Attributes", "Source", "Suggestion",
"Action", "Link" and "Override Reason". Kept here so tests (and an EHR integrator) can check any response.
"""

from __future__ import annotations

from typing import Any

_CODING: dict[str, Any] = {
    "type": "object",
    "required": ["code"],
    "properties": {"system": {"type": "string"}, "code": {"type": "string"}, "display": {"type": "string"}},
}

_ACTION: dict[str, Any] = {
    "type": "object",
    "required": ["type", "description"],
    "properties": {
        "type": {"enum": ["create", "update", "delete"]},
        "description": {"type": "string"},
        "resource": {"type": "object", "required": ["resourceType"]},
        "resourceId": {"type": "array", "items": {"type": "string"}},
    },
}

CARD_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["summary", "indicator", "source"],
    "properties": {
        "uuid": {"type": "string"},
        "summary": {"type": "string", "minLength": 1, "maxLength": 139},
        "detail": {"type": "string"},
        "indicator": {"enum": ["info", "warning", "critical"]},
        "source": {
            "type": "object",
            "required": ["label"],
            "properties": {
                "label": {"type": "string"},
                "url": {"type": "string"},
                "icon": {"type": "string"},
                "topic": _CODING,
            },
        },
        "suggestions": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["label"],
                "properties": {
                    "label": {"type": "string"},
                    "uuid": {"type": "string"},
                    "isRecommended": {"type": "boolean"},
                    "actions": {"type": "array", "items": _ACTION},
                },
            },
        },
        "selectionBehavior": {"enum": ["at-most-one", "any"]},
        "overrideReasons": {"type": "array", "items": _CODING},
        "links": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["label", "url", "type"],
                "properties": {"type": {"enum": ["absolute", "smart"]}, "url": {"type": "string"}},
            },
        },
    },
    # The spec: selectionBehavior is required when suggestions are present.
    "dependentRequired": {"suggestions": ["selectionBehavior"]},
}

CDS_RESPONSE_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["cards"],
    "properties": {
        "cards": {"type": "array", "items": CARD_SCHEMA},
        "systemActions": {"type": "array", "items": _ACTION},
    },
}
