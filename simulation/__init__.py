"""The ED chest-pain bias simulator: a structural causal model whose bias mechanisms are config switches.

Public surface::

    load_scenario(path, overrides)          -> ScenarioConfig
    simulate_frame(config, n, seed)         -> pandas.DataFrame (cohort table)
    write_cohort(config, n, seed, out, ...) -> Parquet file, chunked, atomic
    CalibrationSummary / summarize          -> the DESIGN.md target table
"""

from pathlib import Path

from simulation._generator import MAX_ROWS, iter_chunks, simulate_chunk, simulate_frame, write_cohort
from simulation._params import ScenarioConfig, TroponinPolicy
from simulation._streams import BLOCK_ROWS
from simulation.calibration import TARGETS, CalibrationSummary, summarize
from triage.config import load_config

SCENARIO_DIR = Path(__file__).resolve().parent.parent / "configs" / "simulation"


def load_scenario(path: str | Path, overrides: list[str] | None = None) -> ScenarioConfig:
    """Load and validate a scenario YAML file (with ``extends`` and ``--set`` overrides)."""
    return load_config(ScenarioConfig, path, overrides)


__all__ = [
    "BLOCK_ROWS",
    "MAX_ROWS",
    "SCENARIO_DIR",
    "TARGETS",
    "CalibrationSummary",
    "ScenarioConfig",
    "TroponinPolicy",
    "iter_chunks",
    "load_scenario",
    "simulate_chunk",
    "simulate_frame",
    "summarize",
    "write_cohort",
]
