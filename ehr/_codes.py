"""The versioned code table (``ehr/codes.yaml``) as lookups: which (system, code) sets which column.

Everything the FHIR mapping recognises is in that one file, with its source and whether it was verified, so a
terminologist can review the mapping without reading Python.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

CODES_FILE = Path(__file__).with_name("codes.yaml")


@dataclass(frozen=True)
class CodeTable:
    """Lookups built from ``codes.yaml``; keys are ``(system URL, code)``."""

    version: int
    raw: dict[str, Any]
    systems: dict[str, str]
    extensions: dict[str, str]
    hs_troponin: frozenset[tuple[str, str]]
    refused_troponin: dict[tuple[str, str], str]
    troponin_units: dict[str, float]
    one_hour_window_minutes: tuple[float, float]
    later_windows_minutes: dict[str, tuple[float, float]]
    heart_rate: tuple[str, str]
    bp_panel: tuple[str, str]
    systolic_bp: tuple[str, str]
    pain_score: tuple[str, str]
    ecg_observations: frozenset[tuple[str, str]]
    ecg_findings: dict[tuple[str, str], str]
    ecg_out_of_scope: dict[tuple[str, str], str]
    symptoms: dict[tuple[str, str], str]
    risk_factors: dict[tuple[str, str], str]
    family_conditions: frozenset[tuple[str, str]]
    first_degree: frozenset[tuple[str, str]]
    smoking: tuple[str, str]
    smoking_values: dict[tuple[str, str], bool | None]
    race_omb: dict[str, str]
    hispanic: str
    birthsex: dict[str, str]
    gender: dict[str, str]

    def loinc_codes(self, *names: str) -> str:
        """``http://loinc.org|CODE,...`` for a FHIR search (prefetch templates)."""
        loinc = self.systems["loinc"]
        return ",".join(f"{loinc}|{code}" for code in names)


def _key(systems: dict[str, str], entry: dict[str, Any]) -> tuple[str, str]:
    return systems[entry["system"]], str(entry["code"])


@cache
def code_table(path: str | None = None) -> CodeTable:
    """Load and index ``codes.yaml`` (cached: the table is read once per process)."""
    raw = yaml.safe_load(Path(path or CODES_FILE).read_text(encoding="utf-8"))
    systems = raw["systems"]
    key = lambda entry: _key(systems, entry)  # noqa: E731 - a local shorthand
    trop, vitals, ecg = raw["troponin"], raw["vitals"], raw["ecg"]
    smoking = raw["smoking"]
    snomed = systems["snomed"]
    smoking_values: dict[tuple[str, str], bool | None] = {}
    for group, value in (("current", True), ("not_current", False), ("unknown", None)):
        smoking_values.update({(snomed, str(entry["code"])): value for entry in smoking[group]})
    family = raw["family_history"]
    return CodeTable(
        version=int(raw["version"]),
        raw=raw,
        systems=systems,
        extensions=raw["extensions"],
        hs_troponin=frozenset(key(entry) for entry in trop["accepted"]),
        refused_troponin={key(entry): entry["why"] for entry in trop["refused"]},
        troponin_units={str(unit): float(factor) for unit, factor in trop["units"].items()},
        one_hour_window_minutes=tuple(float(v) for v in trop["one_hour_window_minutes"]),
        later_windows_minutes={
            column: tuple(float(v) for v in trop[f"{hours}_hour_window_minutes"])
            for column, hours in (("troponin_2h_ng_l", "two"), ("troponin_3h_ng_l", "three"))
        },
        heart_rate=key(vitals["heart_rate"]),
        bp_panel=key(vitals["bp_panel"]),
        systolic_bp=key(vitals["systolic_bp"]),
        pain_score=key(vitals["pain_score"]),
        ecg_observations=frozenset(key(entry) for entry in ecg["observation_codes"]),
        ecg_findings={key(entry): entry["ecg"] for entry in ecg["findings"]},
        ecg_out_of_scope={key(entry): entry["why"] for entry in ecg["out_of_scope"]},
        symptoms={key(entry): name for name, entries in raw["symptoms"].items() for entry in entries},
        risk_factors={key(entry): name for name, entries in raw["risk_factors"].items() for entry in entries},
        family_conditions=frozenset(key(entry) for entry in family["conditions"]),
        first_degree=frozenset((systems[family["first_degree"]["system"]], c) for c in family["first_degree"]["codes"]),
        smoking=key(smoking["observation"]),
        smoking_values=smoking_values,
        race_omb={str(code): category for code, category in raw["race"]["omb"].items()},
        hispanic=str(raw["race"]["hispanic_ethnicity"]),
        birthsex=dict(raw["sex"]["birthsex"]),
        gender=dict(raw["sex"]["gender"]),
    )
