"""The ED chest-pain bias simulator: a structural causal model whose bias mechanisms are config switches.

Public surface::

    load_scenario(name_or_path, overrides)  -> ScenarioConfig ("default", "no_bias", ... or a YAML path)
    simulate_frame(config, n, seed)         -> pandas.DataFrame (cohort table)
    write_cohort(config, n, seed, out, ...) -> Parquet file, chunked, atomic
    CalibrationSummary / summarize          -> the DESIGN.md target table
    oracle_for_visits(config, visits)       -> the exact P(MI) and P(30-day MACE) of given patients

Names are imported on first use (PEP 562, with ``lazy_loader``), so the Dask engine loads only when it is used.
"""

from __future__ import annotations

import lazy_loader

#: Private module -> the names it contributes to the public surface (imported on first use).
_EXPORTS = {
    "_dask_engine": ("check_dask_size", "cohort_files", "write_cohort_dask"),
    "_generator": (
        "MAX_ROWS",
        "check_size",
        "cohort_schema_for",
        "iter_chunks",
        "simulate_chunk",
        "simulate_frame",
        "write_cohort",
    ),
    "_oracle": ("oracle_for_visits",),
    "_params": ("ScenarioConfig", "TroponinPolicy"),
    "_scenarios": ("SCENARIO_DIR", "load_scenario"),
    "_streams": ("BLOCK_ROWS",),
    "calibration": ("TARGETS", "CalibrationSummary", "summarize"),
}

__getattr__, __dir__, __all__ = lazy_loader.attach(__name__, submod_attrs=_EXPORTS)
