"""Run the causal steps over a chunk of rows and assemble the cohort table (DESIGN.md contract)."""

from __future__ import annotations

import dataclasses
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from chestpain.features import schema_with_provenance
from chestpain.features.columns import (
    COHORT_SCHEMA,
    DOCUMENTED_SYMPTOM_COLUMNS,
    ECG_FINDINGS,
    RACES,
    RISK_FACTORS,
    SEXES,
    TRUE_SYMPTOM_COLUMNS,
)
from chestpain.kernel.errors import TriageError
from chestpain.kernel.io import atomic_output
from chestpain.simulation import _steps as steps
from chestpain.simulation._distributions import PresentationModel
from chestpain.simulation._oracle import oracle_probabilities
from chestpain.simulation._params import ScenarioConfig
from chestpain.simulation._streams import BLOCK_ROWS, ChunkStreams

if TYPE_CHECKING:  # pandas only for simulate_frame's result: `chestpain simulate` never imports it
    import pandas as pd

    _Record = steps.Demographic | steps.Findings

MAX_ROWS = 10_000_000
#: One block per chunk: the same rows (streams are per block) at a third of the peak memory of four blocks (the
#: troponin mixture holds rows x states arrays), at no cost in speed (benchmarks/bench_simulate.py).
DEFAULT_CHUNK_BLOCKS = 1
#: Chunks simulated but not yet written: bounds memory while the writer thread catches up.
_MAX_PENDING_CHUNKS = 2


def _categorical(codes: np.ndarray, categories: tuple[str, ...]) -> pa.Array:
    return pa.DictionaryArray.from_arrays(pa.array(codes.astype(np.int32)), pa.array(categories)).cast(pa.string())


def _rows(record: _Record, mask: np.ndarray) -> _Record:
    return dataclasses.replace(record, **{f.name: getattr(record, f.name)[mask] for f in dataclasses.fields(record)})


def _oracle_of_record(
    prior_logit: np.ndarray,
    model: PresentationModel,
    demo: steps.Demographic,
    findings: steps.Findings,
    recorded: steps.RecordedSamples,
    oracle: np.ndarray,
    oracle_mace: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """The oracle columns for what the record holds: 0 h, and 1 h, 2 h and 3 h where the site kept them.

    The clinician (and the model-assisted check) decide on the 0 h and 1 h samples (``Sampling``), and ``oracle``
    is P(MI | that information). The cohort's oracle is the limit for a model that reads the record, so it is
    recomputed for every row whose record holds anything else: no 1 h value, or a 2 h or 3 h one. Which samples
    are recorded depends on the site (drawn independently of the patient) and on recorded values only, so
    conditioning on the recorded values is the whole of Bayes' rule.
    """
    differs = ~recorded.one_hour | recorded.two_hour | recorded.three_hour
    if not differs.any():
        return oracle, oracle_mace
    masked = dataclasses.replace(
        findings,
        troponin_1h=np.where(recorded.one_hour, findings.troponin_1h, np.nan),
        troponin_2h=np.where(recorded.two_hour, findings.troponin_2h, np.nan),
        troponin_3h=np.where(recorded.three_hour, findings.troponin_3h, np.nan),
    )
    mi, mace = oracle_probabilities(
        prior_logit[differs], model, _rows(demo, differs), _rows(masked, differs), later_samples=True
    )
    record, record_mace = oracle.copy(), oracle_mace.copy()
    record[differs], record_mace[differs] = mi, mace
    return record, record_mace


def simulate_chunk(cfg: ScenarioConfig, seed: int, first_row: int, n_rows: int) -> pa.Table:
    """Simulate rows ``[first_row, first_row + n_rows)``; ``first_row`` must be a multiple of BLOCK_ROWS."""
    streams = ChunkStreams(seed, first_row, n_rows)
    model = PresentationModel.from_params(cfg.presentation)

    demo = steps.demographics(cfg, streams)
    factors = steps.risk_factors(cfg, demo, streams)
    prior_logit = steps.mi_prior_logit(cfg, demo, factors)
    event = steps.acute_coronary_event(prior_logit, streams)
    onset_hours = steps.symptom_onset(model, demo, streams)
    findings = steps.presentation(model, demo, event, onset_hours, streams)
    mi = steps.adjudicated_mi(model, demo, event, findings)
    oracle, oracle_mace = oracle_probabilities(prior_logit, model, demo, findings)
    interrupt_seconds = steps.interruption(cfg, n_rows, streams)
    documented = steps.elicitation(cfg, findings.symptoms, interrupt_seconds, streams)
    esc = steps.esc_result(cfg, findings)
    clinician_risk = steps.clinician_estimate(cfg, demo, factors, documented, findings, esc, streams)
    troponin_high = np.maximum(findings.troponin_0h, findings.troponin_1h) > steps.troponin_limit(cfg, demo.male)
    recorded = steps.recorded_samples(cfg, findings, esc, streams)
    record_oracle, record_oracle_mace = _oracle_of_record(
        prior_logit, model, demo, findings, recorded, oracle, oracle_mace
    )
    decision = steps.disposition(cfg, clinician_risk, oracle, mi, troponin_high, streams)
    outcomes = steps.thirty_day_outcome(cfg, model, mi, findings.troponin_state, decision.missed_mi, streams)
    analgesia_given = steps.analgesia(cfg, findings.pain_score, demo.race, streams)

    columns: dict[str, pa.Array | np.ndarray] = {
        "patient_id": np.arange(first_row + 1, first_row + n_rows + 1, dtype=np.int64),
        "age": demo.age,
        "sex": _categorical(demo.male.astype(np.int32), SEXES),
        "race": _categorical(demo.race, RACES),
        **{name: factors[name] for name in RISK_FACTORS},
        **{name: findings.symptoms[:, k] for k, name in enumerate(TRUE_SYMPTOM_COLUMNS)},
        **{name: documented[:, k] for k, name in enumerate(DOCUMENTED_SYMPTOM_COLUMNS)},
        "pain_score": findings.pain_score,
        "heart_rate": findings.heart_rate,
        "systolic_bp": findings.systolic_bp,
        "ecg": _categorical(findings.ecg, ECG_FINDINGS),
        "symptom_onset_hours": findings.onset_hours,
        "troponin_0h_ng_l": findings.troponin_0h,
        "troponin_1h_ng_l": np.where(recorded.one_hour, findings.troponin_1h, np.nan),
        "troponin_2h_ng_l": np.where(recorded.two_hour, findings.troponin_2h, np.nan),
        "troponin_3h_ng_l": np.where(recorded.three_hour, findings.troponin_3h, np.nan),
        "interrupt_seconds": interrupt_seconds,
        "clinician_risk": clinician_risk,
        "mi": mi,
        "diagnosed_mi": decision.diagnosed_mi,
        "discharged": decision.discharged,
        "missed_mi": decision.missed_mi,
        "outcome_30d": outcomes.death_or_mi,
        "unstable_angina": event & ~mi,
        "acs": event,
        "mace_30d": outcomes.mace,
        "analgesia_given": analgesia_given,
        "oracle_mi_probability": record_oracle,
        "oracle_mace_probability": record_oracle_mace,
    }
    arrays = [
        pa.array(np.ascontiguousarray(columns[field.name]), type=field.type, from_pandas=True)
        if isinstance(columns[field.name], np.ndarray)
        else columns[field.name]
        for field in COHORT_SCHEMA
    ]
    return pa.Table.from_arrays(arrays, schema=COHORT_SCHEMA)


def iter_chunks(cfg: ScenarioConfig, n: int, seed: int, chunk_blocks: int = DEFAULT_CHUNK_BLOCKS) -> Iterator[pa.Table]:
    """Yield the cohort in chunks of ``chunk_blocks`` blocks; the rows do not depend on ``chunk_blocks``."""
    check_size(n)
    if chunk_blocks < 1:
        raise TriageError("chunk_blocks must be at least 1")
    step = chunk_blocks * BLOCK_ROWS
    for first_row in range(0, n, step):
        yield simulate_chunk(cfg, seed, first_row, min(step, n - first_row))


def cohort_schema_for(cfg: ScenarioConfig, n: int, seed: int) -> pa.Schema:
    """The cohort schema carrying where the file came from (scenario, its config hash, seed, rows).

    A model card trained on the file can then name them (``chestpain.features.read_provenance``).
    """
    import hashlib

    from chestpain import __version__

    provenance = {
        "source": "simulated",
        "scenario": cfg.name,
        "scenario_sha256": hashlib.sha256(cfg.model_dump_json().encode()).hexdigest(),
        "seed": seed,
        "rows": n,
        "simulator_version": __version__,
    }
    return schema_with_provenance(COHORT_SCHEMA, provenance)


def check_size(n: int, limit: int = MAX_ROWS) -> None:
    """Refuse sizes the local engine cannot promise to run in bounded memory and reasonable time."""
    if not 1 <= n <= limit:
        raise TriageError(f"--n must be between 1 and {limit:,} for the local engine, got {n:,}")


def simulate_frame(cfg: ScenarioConfig, n: int, seed: int) -> pd.DataFrame:
    """The cohort as an in-memory DataFrame (string columns as ``str``), for tests and small studies."""
    table = pa.concat_tables(iter_chunks(cfg, n, seed))
    return table.to_pandas()


def write_cohort(
    cfg: ScenarioConfig,
    n: int,
    seed: int,
    out: str,
    *,
    chunk_blocks: int = DEFAULT_CHUNK_BLOCKS,
    on_chunk: Callable[[pa.Table], None] | None = None,
) -> None:
    """Write the cohort to Parquet, one row group per block, atomically (nothing is left on failure).

    Simulating and writing overlap: one writer thread compresses and writes each chunk (and runs ``on_chunk``,
    in order) while the next is simulated. pyarrow and numpy release the GIL for their work, so on two cores the
    writing is mostly hidden (benchmarks/bench_simulate.py). At most ``_MAX_PENDING_CHUNKS`` chunks wait for the
    writer, so memory stays bounded whatever ``n``.
    """
    check_size(n)
    with (
        atomic_output(out) as tmp,
        pq.ParquetWriter(tmp, cohort_schema_for(cfg, n, seed), compression="zstd") as writer,
        ThreadPoolExecutor(max_workers=1, thread_name_prefix="cohort-writer") as pool,
    ):

        def write(table: pa.Table) -> None:
            writer.write_table(table, row_group_size=BLOCK_ROWS)
            if on_chunk is not None:
                on_chunk(table)

        pending: deque[Future[None]] = deque()
        try:
            for table in iter_chunks(cfg, n, seed, chunk_blocks):
                pending.append(pool.submit(write, table))
                while len(pending) > _MAX_PENDING_CHUNKS or (pending and pending[0].done()):
                    pending.popleft().result()  # re-raises a failed write here, in the caller's thread
            while pending:
                pending.popleft().result()
        except BaseException:
            for future in pending:
                future.cancel()  # nothing more is written to a file that atomic_output will remove
            raise
