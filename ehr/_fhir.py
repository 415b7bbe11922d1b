"""FHIR R4 resources -> one visit row of the batch schema, or an explicit "insufficient data" result.

Resources are parsed with ``fhir.resources.R4B`` (its default import is R5, whose Encounter differs). What each
code means is in ``ehr/codes.yaml``; the rules that are not a code lookup are here and in the README:

- **current encounter**: the one named by the caller (CDS Hooks ``context.encounterId``); otherwise the
  patient's only Encounter; otherwise the one whose status is in progress; otherwise ambiguous (a problem).
- **hs-cTnI samples**: final/amended/corrected Observations of LOINC 89579-7 *in the current encounter*, placed
  by minutes after the earliest (0 h): 1 h is the first in [45, 90], 2 h the first in (105, 150], 3 h the first
  in (150, 240] (``codes.yaml``); at least one of them is needed (a 0/2 h or 0/3 h site has no 1 h sample).
  Two results at the same time with different values are a problem naming them
  (never an answer that depends on their order); identical ones count once. Every sample after 0 h, placed or
  not, is kept in ``later_samples`` for the card's safety rule, and the notes list every sample used. Troponin
  of another code (conventional TnI, any TnT, whole-blood hs-cTnI) is refused with the reason; troponin from
  another encounter is never used.
- **one patient**: two Patient resources with the same id are a problem naming them (never "the first wins").
- **vitals, pain, ECG**: the earliest heart rate, systolic pressure (8480-6, alone or as a component of the
  85354-9 panel) and pain score of the encounter (triage values); the most abnormal ECG interpretation.
- **symptoms**: SNOMED CT Conditions/Observations of the encounter set both ``sx_*`` and ``doc_*`` (a chart
  holds only what was documented). **risk factors**: Conditions at any time; family history from
  FamilyMemberHistory of a first-degree relative; smoking from the latest 72166-2 Observation. A symptom or
  risk factor absent from the record is taken as absent, and every such column is listed in ``notes``.
- **symptom_onset_hours**: hours from ``Condition.onsetDateTime`` of the encounter's chest pain (else the
  earliest onset among the encounter's symptom Conditions) to the 0 h troponin's effective time.
- **age**: whole years from ``birthDate`` to the encounter's start (else the 0 h sample). **sex**: US Core
  birthsex, else ``gender``. **race**: US Core ethnicity 2135-2 -> hispanic, else one OMB race category ->
  white/black/asian/other; several categories -> other; none -> missing (allowed by the schema).

Whatever the model needs and the record does not hold (age, sex, vitals, pain, ECG, onset, the 0 h hs-cTnI and
one later sample) is a problem: the result has no row, and says why in words a clinician can act on.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from chestpain.ehr._codes import CodeTable, code_table
from chestpain.ehr._fhir_record import Record, distinct_samples
from chestpain.ehr._fhir_validation import validated_row
from chestpain.features import LIMIT_OF_DETECTION_NG_L, TROPONIN_BELOW_LOD_NG_L
from chestpain.features.columns import (
    DOCUMENTED_SYMPTOM_COLUMNS,
    RISK_FACTORS,
    SERIAL_TROPONIN_COLUMNS,
    SYMPTOMS,
    TRUE_SYMPTOM_COLUMNS,
)
from chestpain.kernel.errors import TriageError

RESULT_STATUSES = frozenset({"final", "amended", "corrected"})
_EXCLUDED_VERIFICATION = frozenset({"refuted", "entered-in-error"})
_ACTIVE_ENCOUNTER = frozenset({"in-progress", "arrived", "triaged", "onleave"})
_ECG_ORDER = {"normal": 0, "nonspecific": 1, "ischemic": 2}

NO_HS_TROPONIN = "insufficient data: no hs-troponin in this encounter"


@dataclass(frozen=True)
class VisitMapping:
    """One patient's visit from FHIR: a batch-schema row, or the reasons why none could be made.

    ``notes`` record every rule applied that a reader should know about (absent findings taken as absent,
    unused troponin results, a missing race); they never contain identifiers.
    """

    row: dict[str, Any] | None
    problems: tuple[str, ...]
    notes: tuple[str, ...]
    patient_ref: str | None
    encounter_ref: str | None
    code_table_version: int
    #: The row after ``validate_visits(..., symptom_source="sx")`` (contract types), when sufficient.
    features: pd.DataFrame | None = field(default=None, compare=False, repr=False)
    #: Every hs-cTnI after the 0 h sample as (hours after 0 h, ng/L), placed in a column or not.
    later_samples: tuple[tuple[float, float], ...] = ()

    @property
    def sufficient(self) -> bool:
        """True when the row is complete and passed the batch schema (or awaits it: ``map_visit(validate=False)``)."""
        return self.row is not None and not self.problems

    def frame(self) -> pd.DataFrame:
        """The row as a one-row DataFrame (raises if the data were insufficient)."""
        if not self.sufficient:
            raise TriageError("; ".join(self.problems))
        return pd.DataFrame([self.row])


def _codings(concept: Any) -> set[tuple[str, str]]:
    if concept is None:
        return set()
    return {(c.system or "", c.code or "") for c in (concept.coding or [])}


def _first_code(concept: Any) -> str:
    for coding in concept.coding or [] if concept is not None else []:
        return str(coding.code)
    return "?"


def _status_code(concept: Any) -> set[str]:
    return {code for _, code in _codings(concept)}


def _when(resource: Any) -> dt.datetime | None:
    """Effective (Observation) or onset (Condition) time; date-only values have no time and give None."""
    for name in ("effectiveDateTime", "effectiveInstant", "onsetDateTime"):
        value = getattr(resource, name, None)
        if value is not None:
            return value if isinstance(value, dt.datetime) else None
    for name in ("effectivePeriod", "onsetPeriod"):
        period = getattr(resource, name, None)
        if period is not None and isinstance(period.start, dt.datetime):
            return period.start
    return None


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


@dataclass
class _Builder:
    table: CodeTable
    record: Record
    patient_ref: str
    encounter_ref: str | None
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    later_samples: tuple[tuple[float, float], ...] = ()

    def in_encounter(self, kind: str) -> list[Any]:
        return [
            res
            for _, res in self.record.of(kind, self.patient_ref)
            if self.encounter_ref is not None and self.record.ref(getattr(res, "encounter", None)) == self.encounter_ref
        ]

    def results(self, resources: Iterable[Any]) -> list[Any]:
        return [res for res in resources if res.status in RESULT_STATUSES]

    # -- encounter -------------------------------------------------------------------------------------------
    def choose_encounter(self) -> dt.datetime | None:
        encounters = self.record.of("Encounter", self.patient_ref)
        if self.encounter_ref is None:
            active = [(ref, enc) for ref, enc in encounters if enc.status in _ACTIVE_ENCOUNTER]
            if len(encounters) == 1:
                self.encounter_ref = encounters[0][0]
            elif len(active) == 1:
                self.encounter_ref = active[0][0]
            elif not encounters:
                self.problems.append(
                    "insufficient data: no Encounter for this patient, so no result can be placed in this visit"
                )
                return None
            else:
                self.problems.append(
                    f"ambiguous data: {len(encounters)} encounters and not exactly one in progress; "
                    "name the current one"
                )
                return None
        for ref, enc in encounters:
            if ref == self.encounter_ref and enc.period is not None and isinstance(enc.period.start, dt.datetime):
                return _aware(enc.period.start)
        return None

    # -- troponin --------------------------------------------------------------------------------------------
    def troponin(self) -> tuple[dict[str, float], dt.datetime] | None:
        table = self.table
        mine = self.results(self.in_encounter("Observation"))
        hs = [obs for obs in mine if _codings(obs.code) & table.hs_troponin]
        refused = [
            (obs, table.refused_troponin[key])
            for obs in mine
            for key in _codings(obs.code)
            if key in table.refused_troponin
        ]
        elsewhere = [
            obs
            for _, obs in self.record.of("Observation", self.patient_ref)
            if _codings(obs.code) & table.hs_troponin and all(obs is not mine_obs for mine_obs in hs)
        ]
        if elsewhere:
            self.notes.append(
                f"{len(elsewhere)} hs-troponin result(s) outside this encounter not used (an earlier visit's troponin "
                "says nothing about this one)"
            )
        if not hs:
            if refused:
                obs, why = refused[0]
                self.problems.append(
                    f"insufficient data: the troponin in this encounter is LOINC {_first_code(obs.code)} ({why}); "
                    "the model and the ESC 0/1 h cut-offs are for hs-cTnI (LOINC 89579-7, ng/L), so no assessment "
                    "was made"
                )
            else:
                extra = " (results from another encounter are not used)" if elsewhere else ""
                self.problems.append(NO_HS_TROPONIN + extra)
            return None
        if refused:
            self.notes.append(f"{len(refused)} troponin result(s) of another assay not used")
        samples = []
        for obs in hs:
            when, value = _when(obs), self.troponin_value(obs)
            if when is None:
                self.problems.append(
                    "insufficient data: an hs-troponin result has no effective time (0 h and 1 h cannot be told apart)"
                )
                return None
            if value is None:
                return None
            samples.append((_aware(when), value))
        samples, problem, note = distinct_samples(samples)
        self.notes.extend([note] if note else [])
        if problem:
            self.problems.append(problem)
            return None
        (t0, v0), later = samples[0], samples[1:]
        minutes = [((t - t0).total_seconds() / 60, v) for t, v in later]
        low, high = self.table.one_hour_window_minutes
        one_hour = [v for m, v in minutes if low <= m <= high]
        placed = {"troponin_0h_ng_l": v0}
        if one_hour:  # a 0/2 h or 0/3 h site draws none: missing = not drawn
            placed["troponin_1h_ng_l"] = one_hour[0]
        for column, (start, end) in self.table.later_windows_minutes.items():
            inside = [v for m, v in minutes if start < m <= end]
            if inside:
                placed[column] = inside[0]
        if len(placed) == 1:
            windows = ", ".join(
                f"{name} {a:.0f}-{b:.0f} min" for name, (a, b) in (("1 h", (low, high)), *self._later_window_names())
            )
            self.problems.append(
                f"insufficient data: no hs-troponin after the 0 h sample in the 1 h, 2 h or 3 h windows ({windows}) "
                "in this encounter; the model needs a second sample (a single 0 h value is not a serial troponin)"
            )
            return None
        used = "; ".join(
            f"{column.removeprefix('troponin_').removesuffix('_ng_l')} {value:g} ng/L"
            for column, value in placed.items()
        )
        self.notes.append(f"hs-cTnI samples used: {used}")
        unplaced = len(later) - (len(placed) - 1)
        if unplaced:
            self.notes.append(
                f"{unplaced} later hs-troponin sample(s) outside the 1 h / 2 h / 3 h windows: not model inputs, but "
                "read by the safety rule"
            )
        self.later_samples = tuple((m / 60.0, v) for m, v in minutes)
        return placed, t0

    def _later_window_names(self) -> list[tuple[str, tuple[float, float]]]:
        return [
            (column.removeprefix("troponin_").removesuffix("_ng_l").replace("h", " h"), window)
            for column, window in self.table.later_windows_minutes.items()
        ]

    def troponin_value(self, obs: Any) -> float | None:
        quantity = obs.valueQuantity
        if quantity is None or quantity.value is None:
            self.problems.append("insufficient data: an hs-troponin result has no numeric value")
            return None
        unit = quantity.code or quantity.unit or ""
        factor = self.table.troponin_units.get(unit)
        if factor is None:
            self.problems.append(f"insufficient data: hs-troponin unit {unit!r} is not understood (expected ng/L)")
            return None
        value = float(quantity.value) * factor
        if quantity.comparator in ("<", "<=") and value <= LIMIT_OF_DETECTION_NG_L:
            # "< 2 ng/L" (below the limit of detection): the cohort's code for it, not the limit itself.
            self.notes.append(
                f"an hs-troponin reported as '{quantity.comparator}{quantity.value}' (below the limit of detection) "
                f"is used as {TROPONIN_BELOW_LOD_NG_L:g} ng/L, the code for '< {LIMIT_OF_DETECTION_NG_L:g}'"
            )
            return TROPONIN_BELOW_LOD_NG_L
        if quantity.comparator:
            self.notes.append(
                f"an hs-troponin reported as '{quantity.comparator}{quantity.value}' is used as {quantity.value}"
            )
        return value

    # -- vitals, pain, ECG -----------------------------------------------------------------------------------
    def earliest(self, pairs: list[tuple[Any, float]], what: str, code: str) -> float | None:
        if not pairs:
            self.problems.append(f"insufficient data: no {what} (LOINC {code}) in this encounter")
            return None
        far = dt.datetime.max.replace(tzinfo=dt.UTC)
        pairs.sort(key=lambda pair: _aware(_when(pair[0])) if _when(pair[0]) else far)
        return pairs[0][1]

    def vitals(self) -> dict[str, Any]:
        table = self.table
        observations = self.results(self.in_encounter("Observation"))
        heart, systolic, pain = [], [], []
        for obs in observations:
            codes = _codings(obs.code)
            if table.heart_rate in codes and obs.valueQuantity is not None and obs.valueQuantity.value is not None:
                heart.append((obs, float(obs.valueQuantity.value)))
            if table.systolic_bp in codes and obs.valueQuantity is not None and obs.valueQuantity.value is not None:
                systolic.append((obs, float(obs.valueQuantity.value)))
            if table.bp_panel in codes:
                for component in obs.component or []:
                    quantity = component.valueQuantity
                    if (
                        table.systolic_bp in _codings(component.code)
                        and quantity is not None
                        and quantity.value is not None
                    ):
                        systolic.append((obs, float(quantity.value)))
            if table.pain_score in codes:
                value = obs.valueInteger if obs.valueInteger is not None else getattr(obs.valueQuantity, "value", None)
                if value is not None:
                    pain.append((obs, float(value)))
        pain_score = self.earliest(pain, "pain score", table.pain_score[1])
        return {
            "heart_rate": self.earliest(heart, "heart rate", table.heart_rate[1]),
            "systolic_bp": self.earliest(systolic, "systolic blood pressure", table.systolic_bp[1]),
            "pain_score": None if pain_score is None else round(pain_score),
        }

    def ecg(self) -> str | None:
        table = self.table
        findings = []
        for obs in self.results(self.in_encounter("Observation")):
            if not _codings(obs.code) & table.ecg_observations:
                continue
            values = _codings(obs.valueCodeableConcept)
            for key in values:
                if key in table.ecg_out_of_scope:
                    self.problems.append(f"out of scope: ECG shows {table.ecg_out_of_scope[key]}")
                    return None
            known = [table.ecg_findings[key] for key in values if key in table.ecg_findings]
            if not known:
                self.problems.append(
                    f"insufficient data: ECG interpretation code {_first_code(obs.valueCodeableConcept)} "
                    "is not in the code table"
                )
                return None
            findings.extend(known)
        if not findings:
            self.problems.append("insufficient data: no ECG interpretation in this encounter")
            return None
        if len(findings) > 1:
            self.notes.append("several ECG interpretations: the most abnormal is used")
        return max(findings, key=_ECG_ORDER.__getitem__)

    # -- symptoms, risk factors ------------------------------------------------------------------------------
    def present(self, resource: Any) -> bool:
        if resource.get_resource_type() == "Condition":
            return not (_status_code(resource.verificationStatus) & _EXCLUDED_VERIFICATION)
        return resource.status in RESULT_STATUSES | {"preliminary"} and resource.valueBoolean is not False

    def symptoms(self) -> tuple[dict[str, bool], list[Any]]:
        # Only symptoms the code table can recognise are read; the others (the low-risk pain features, which have
        # no code in the table yet) are not recorded, which reads as absent like any uncharted symptom: the
        # cautious reading, since these features only ever lower the risk.
        coded = set(self.table.symptoms.values())
        found: dict[str, bool] = dict.fromkeys((name for name in SYMPTOMS if name in coded), False)
        uncoded = [name for name in SYMPTOMS if name not in coded]
        if uncoded:
            self.notes.append("no code in the table yet, taken as absent: " + ", ".join(uncoded))
        conditions = []
        for kind in ("Condition", "Observation"):
            for res in self.in_encounter(kind):
                names = {self.table.symptoms[key] for key in _codings(res.code) if key in self.table.symptoms}
                if names and self.present(res):
                    for name in names:
                        found[name] = True
                    if kind == "Condition":
                        conditions.append((names, res))
        absent = [name for name, value in found.items() if not value]
        if absent:
            self.notes.append("not charted in this encounter, taken as absent: " + ", ".join(absent))
        return found, conditions

    def risk_factors(self) -> dict[str, bool]:
        found: dict[str, bool] = dict.fromkeys(RISK_FACTORS, False)
        for _, cond in self.record.of("Condition", self.patient_ref):
            for key in _codings(cond.code):
                if key in self.table.risk_factors and self.present(cond):
                    found[self.table.risk_factors[key]] = True
        for _, history in self.record.of("FamilyMemberHistory", self.patient_ref):
            if history.status == "entered-in-error" or not (_codings(history.relationship) & self.table.first_degree):
                continue
            if any(_codings(item.code) & self.table.family_conditions for item in history.condition or []):
                found["family_history_cad"] = True
        smoking = [
            obs
            for _, obs in self.record.of("Observation", self.patient_ref)
            if self.table.smoking in _codings(obs.code) and obs.status in RESULT_STATUSES
        ]
        status = None
        if smoking:
            latest = max(
                smoking, key=lambda obs: _aware(_when(obs)) if _when(obs) else dt.datetime.min.replace(tzinfo=dt.UTC)
            )
            values = [
                self.table.smoking_values[key]
                for key in _codings(latest.valueCodeableConcept)
                if key in self.table.smoking_values
            ]
            status = values[0] if values else None
        found["current_smoker"] = bool(status)
        if status is None:
            self.notes.append("smoking status not recorded or unknown: taken as not a current smoker")
        absent = [name for name, value in found.items() if not value and name != "current_smoker"]
        if absent:
            self.notes.append("not recorded, taken as absent: " + ", ".join(absent))
        return found

    def onset(self, conditions: list[Any], t0: dt.datetime | None) -> float | None:
        chest = [res for names, res in conditions if "chest_pain" in names and _when(res)]
        others = [res for _, res in conditions if _when(res)]
        chosen = chest or others
        if not chosen:
            self.problems.append(
                "insufficient data: no symptom onset time (Condition.onsetDateTime of the chest pain or another "
                "symptom in this encounter)"
            )
            return None
        if t0 is None:
            return None
        onset = min(_aware(_when(res)) for res in chosen)
        hours = (t0 - onset).total_seconds() / 3600
        if hours < 0:
            self.problems.append("inconsistent data: symptom onset is after the 0 h hs-troponin sample")
            return None
        return round(hours, 4)

    # -- demographics ----------------------------------------------------------------------------------------
    def demographics(self, patient: Any, at: dt.datetime | None) -> dict[str, Any]:
        ext = self.table.extensions
        out: dict[str, Any] = {}
        birth = patient.birthDate
        if not isinstance(birth, dt.date) or isinstance(birth, dt.datetime):
            self.problems.append("insufficient data: no full birthDate for the patient (age is needed)")
        elif at is not None:
            out["age"] = at.year - birth.year - ((at.month, at.day) < (birth.month, birth.day))
        birthsex = next((e.valueCode for e in patient.extension or [] if e.url == ext["us_core_birthsex"]), None)
        sex = self.table.birthsex.get(birthsex or "") or self.table.gender.get(patient.gender or "")
        if sex is None:
            self.problems.append(
                "insufficient data: sex is not recorded as female or male "
                "(the model and the sex-specific thresholds need it)"
            )
        elif birthsex in self.table.birthsex and self.table.gender.get(patient.gender or "", sex) != sex:
            self.notes.append("birth sex and administrative gender differ: birth sex is used")
        out["sex"] = sex
        out["race"] = self.race(patient)
        return out

    def race(self, patient: Any) -> str | None:
        ext = self.table.extensions

        def omb(url: str) -> list[str]:
            codes = []
            for extension in patient.extension or []:
                if extension.url == url:
                    for part in extension.extension or []:
                        if part.url == "ombCategory" and part.valueCoding is not None:
                            codes.append(str(part.valueCoding.code))
            return codes

        if self.table.hispanic in omb(ext["us_core_ethnicity"]):
            return "hispanic"
        categories = {self.table.race_omb[code] for code in omb(ext["us_core_race"]) if code in self.table.race_omb}
        if not categories:
            self.notes.append("race not recorded (US Core race extension): left missing")
            return None
        return categories.pop() if len(categories) == 1 else "other"


def _patient_id(patient_ref: str, position: int) -> int:
    identifier = patient_ref.split("/")[-1]
    return int(identifier) if identifier.isdigit() and len(identifier) < 19 else position


def map_record(
    record: Record,
    *,
    patient_ref: str | None = None,
    encounter_ref: str | None = None,
    position: int = 1,
    validate: bool = True,
) -> VisitMapping:
    """Map one patient of a parsed record (see the module docstring for every rule).

    ``validate=False`` leaves the batch-schema check to ``_fhir_validation.validate_mappings`` (many rows at once).
    """
    table = code_table()
    patients = record.of("Patient")
    if patient_ref is None:
        if len(patients) != 1:
            named = ", ".join(ref for ref, _ in patients)
            what = "no Patient" if not patients else f"{len(patients)} Patient resources ({named})"
            return VisitMapping(
                None, (f"insufficient data: {what} in the FHIR data",), (), None, encounter_ref, table.version
            )
        patient_ref = patients[0][0]
    matching = [res for ref, res in patients if ref == patient_ref]
    patient = matching[0] if matching else None
    builder = _Builder(table, record, patient_ref, encounter_ref)
    if len(matching) > 1:
        builder.problems.append(
            f"insufficient data: {len(matching)} Patient resources for {patient_ref} in the FHIR data; "
            "which one describes the patient cannot be told"
        )
        return VisitMapping(None, tuple(builder.problems), (), patient_ref, encounter_ref, table.version)
    if patient is None:
        builder.problems.append("insufficient data: the Patient resource is missing")
        return VisitMapping(None, tuple(builder.problems), (), patient_ref, encounter_ref, table.version)
    start = builder.choose_encounter()
    row: dict[str, Any] = {"patient_id": _patient_id(patient_ref, position)}
    troponin = builder.troponin() if builder.encounter_ref else None
    t0 = troponin[1] if troponin else None
    row.update(builder.demographics(patient, start or t0))
    found, conditions = builder.symptoms()
    row.update(builder.risk_factors())
    for name, column_sx, column_doc in zip(SYMPTOMS, TRUE_SYMPTOM_COLUMNS, DOCUMENTED_SYMPTOM_COLUMNS, strict=True):
        row[column_sx] = row[column_doc] = found.get(name, False)
    row.update(builder.vitals())
    row["ecg"] = builder.ecg()
    row["symptom_onset_hours"] = builder.onset(conditions, t0)
    if troponin:
        row.update({column: None for column in SERIAL_TROPONIN_COLUMNS})  # missing = not drawn
        row.update(troponin[0])
    features = None
    if validate and not builder.problems:
        features = validated_row(row, builder.problems)
    notes = tuple(builder.notes)
    if builder.problems:
        return VisitMapping(None, tuple(builder.problems), notes, patient_ref, builder.encounter_ref, table.version)
    return VisitMapping(
        row, (), notes, patient_ref, builder.encounter_ref, table.version, features, builder.later_samples
    )


def map_visit(
    resources: Iterable[dict[str, Any]],
    *,
    patient_id: str | None = None,
    encounter_id: str | None = None,
    validate: bool = True,
) -> VisitMapping:
    """Map FHIR resources (Bundles are unwrapped) of one patient's current encounter to a visit row.

    Parameters
    ----------
    resources : iterable of dict
        FHIR R4 JSON resources or Bundles (e.g. a CDS Hooks prefetch's values).
    patient_id, encounter_id : str, optional
        Logical ids (``context.patientId`` / ``context.encounterId``); without them the data must hold one
        Patient and one current Encounter.
    validate : bool, default True
        False: the row is mapped but not yet checked against the batch schema (``features`` is None); the
        service checks the rows of calls that arrive together at once (``_fhir_validation.validate_mappings``).

    Returns
    -------
    VisitMapping
        A row that passed the batch schema, or the problems that stopped it.

    Raises
    ------
    TriageError
        A resource that is not valid FHIR R4.
    """
    record = Record(resources)
    return map_record(
        record,
        patient_ref=f"Patient/{patient_id}" if patient_id else None,
        encounter_ref=f"Encounter/{encounter_id}" if encounter_id else None,
        validate=validate,
    )


def map_bundle(bundle: dict[str, Any]) -> list[VisitMapping]:
    """Every patient in a Bundle, in the order their Patient resources appear (one mapping each)."""
    record = Record([bundle])
    patients = record.of("Patient")
    if not patients:
        return [map_record(record)]
    refs = list(dict.fromkeys(ref for ref, _ in patients))  # a repeated Patient is one patient (and a problem)
    return [map_record(record, patient_ref=ref, position=i) for i, ref in enumerate(refs, start=1)]
