"""``chestpain audit --engine dask``: score every partition on the cluster, reduce to cells, audit the counts.

Each task reads one Parquet partition, scores it with the model (loaded on the worker from the verified model
directory: the model is never pickled) and returns the number of rows per distinct
``(sex, race, age_band, label, flag, risk)``, with risk snapped to a fine logit grid (``DEFAULT_RISK_RESOLUTION``)
so that the cells compress. The client adds those counts up and hands them to
:func:`fairness._partitioned.audit_weighted`: the same computation and multinomial bootstrap as the in-memory
audit. Confusion metrics and counts are exact; with ``risk_resolution=None`` every point estimate and interval
equals the in-memory audit's (tested), at the price of one cell per distinct risk.

The mitigation comparison of the in-memory audit needs a row-level random half split and is not run here.
"""

from __future__ import annotations

import functools
import os
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from chestpain.fairness import age_band, audit_weighted
from chestpain.features import read_table
from chestpain.kernel.errors import TriageError
from chestpain.models._audit import COHORT_ATTRIBUTES, ModelAudit, race_groups, score_labelled
from chestpain.models._persistence import MANIFEST, sha256_file
from chestpain.models._predictor import TriageModel
from chestpain.simulation import cohort_files

CELL_COLUMNS = ("sex", "race", "age_band", "y", "flag", "risk")
# Calibrated risk is piecewise linear in the booster's margin, so nearly every row has its own value and exact
# cells would not compress. By default risk is snapped to a grid of 0.001 on the logit scale (0.1% relative
# resolution) before counting: flags are computed first, so every confusion metric (FNR, FPR, PPV, NPV,
# selection rate) and every count stays exact; AUROC and calibration move by less than the grid.
# ``risk_resolution=None`` keeps exact risks (equal to the in-memory audit; memory grows with distinct values).
DEFAULT_RISK_RESOLUTION = 1e-3
COHORT_ONLY = "the dask engine audits cohort tables (sex, race, age); audit UCI data with --engine local"


@functools.lru_cache(maxsize=4)
def _worker_model(model_dir: str, manifest_sha256: str) -> TriageModel:
    """The model, loaded once per worker process and model version (hashes checked as in every load)."""
    model = TriageModel.load(model_dir)
    if sha256_file(Path(model_dir) / MANIFEST) != manifest_sha256:
        raise TriageError(f"{model_dir}: the model changed while the audit was running")
    return model


def snap_risk(risk: np.ndarray, resolution: float) -> np.ndarray:
    """Risk moved to the nearest point of a grid of step ``resolution`` on the logit scale (deterministic)."""
    clipped = np.clip(risk, 1e-12, 1 - 1e-12)
    grid = np.round((np.log(clipped) - np.log1p(-clipped)) / resolution) * resolution
    snapped = 1.0 / (1.0 + np.exp(-grid))
    return np.where((risk <= 0) | (risk >= 1), risk, snapped)


def partition_cells(
    model_dir: str, manifest_sha256: str, path: str, label: str, risk_resolution: float | None = None
) -> pd.DataFrame:
    """Rows per distinct ``(sex, race, age_band, y, flag, risk)`` of one partition, scored by the model."""
    model = _worker_model(model_dir, manifest_sha256)
    frame = read_table(path)
    y, features, risk, flag = score_labelled(model, frame, label, Path(path).name)
    cells = pd.DataFrame(
        {
            "sex": features["sex"].astype(str).to_numpy(),
            "race": race_groups(frame).astype(str).to_numpy(),
            "age_band": np.asarray(age_band(features["age"].to_numpy())).astype(str),
            "y": y,
            "flag": np.asarray(flag, dtype=bool),
            "risk": np.asarray(risk, dtype=np.float64)
            if risk_resolution is None
            else snap_risk(np.asarray(risk, dtype=np.float64), risk_resolution),
        }
    )
    return cells.groupby(list(CELL_COLUMNS), sort=False).size().rename("count").reset_index()


def _add_cells(frames: list[pd.DataFrame]) -> pd.DataFrame:
    both = pd.concat(frames, ignore_index=True)
    return both.groupby(list(CELL_COLUMNS), sort=True).agg(count=("count", "sum")).reset_index()


def reduce_cells(
    model: TriageModel,
    data: str | os.PathLike[str],
    *,
    client: Any,
    label: str | None = None,
    risk_resolution: float | None = DEFAULT_RISK_RESOLUTION,
) -> pd.DataFrame:
    """Score every partition of ``data`` on the cluster and add up the cell counts (one pass over the data)."""
    from dask.distributed import as_completed

    if model.dataset == "uci":
        raise TriageError(COHORT_ONLY)
    if model.path is None:
        raise TriageError("the dask engine needs a model loaded from a directory the workers can read")
    label = label or "mi"
    model_dir = str(Path(model.path).resolve())
    token = sha256_file(Path(model_dir) / MANIFEST)
    run = uuid.uuid4().hex[:12]
    files = [str(path.resolve()) for path in cohort_files(data)]
    futures = [
        client.submit(partition_cells, model_dir, token, path, label, risk_resolution, key=f"audit-cells-{run}-{i}")
        for i, path in enumerate(files)
    ]
    pending: list[pd.DataFrame] = []
    total: pd.DataFrame | None = None
    for future in as_completed(futures):
        pending.append(future.result())
        future.release()
        if len(pending) >= 16:
            total = _add_cells(pending if total is None else [total, *pending])
            pending = []
    return _add_cells(pending if total is None else [total, *pending])


def audit_partitioned(
    model: TriageModel,
    data: str | os.PathLike[str],
    *,
    client: Any,
    label: str | None = None,
    n_boot: int = 1000,
    seed: int = 0,
    risk_resolution: float | None = DEFAULT_RISK_RESOLUTION,
    interval_method: str = "wilson",
    multiplicity: str = "bh",
) -> ModelAudit:
    """The audit of :func:`models._audit.audit_model` (without mitigations) on a partitioned table."""
    label = label or "mi"
    cells = reduce_cells(model, data, client=client, label=label, risk_resolution=risk_resolution)
    result = audit_weighted(
        cells["y"].to_numpy(bool),
        cells["risk"].to_numpy(np.float64),
        cells["flag"].to_numpy(bool),
        cells["count"].to_numpy(np.int64),
        attributes=cells[["sex", "race", "age_band"]].reset_index(drop=True),
        by=COHORT_ATTRIBUTES,
        label_name=label,
        threshold=model.thresholds,
        n_boot=n_boot,
        seed=seed,
        interval_method=interval_method,
        multiplicity=multiplicity,
        source=f"{Path(data).name}: model '{model.manifest.get('name', 'model')}'",
    )
    return ModelAudit(result, None, label, result.n)
