"""Vectorised percentile bootstrap over cells instead of rows.

Why not fairlearn's own bootstrap
---------------------------------
``MetricFrame(n_boot=...)`` resamples the row table with ``DataFrame.sample`` and recomputes every metric with
a pandas ``groupby`` in a Python loop, once per resample. On 20,000 rows that is seconds per metric and
attribute; on a million rows and 1,000 resamples it does not finish in useful time
(``benchmarks/bench_audit.py`` measures the ratio). We keep ``MetricFrame`` as the reference definition of
every point estimate and interval (see ``tests/fairness``) and compute the same bootstrap on counts.

Why it is the same bootstrap
----------------------------
Every audit metric is a function of counts of rows in *cells*: (atom of the sensitive attributes, true label,
flag, score bin). Resampling ``n`` rows with replacement draws each row with probability ``1/n``, so the
number of draws that land in cell ``c`` is ``Multinomial(n, counts / n)`` jointly over cells. Drawing that
multinomial directly gives cell counts with exactly the distribution row resampling gives, in ``O(n_cells)``
instead of ``O(n_rows)`` work per resample. Confusion-matrix metrics (FNR, FPR, PPV, NPV, selection rate) are
exact functions of cell counts, so their bootstrap distribution is identical to row resampling. AUROC and
calibration also need the scores: within a cell every row is represented by the cell's mean score, which is
exact when each score bin holds one distinct score (small data) and otherwise only merges ties inside fine
quantile bins; the audit corrects the resulting constant offset (see ``fairness/_audit.py``).

Percentiles follow ``numpy.quantile``'s default (linear) method, as fairlearn's ``MetricFrame`` does.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

# Upper bound on resamples x cells held in memory at once (float64: 32 MB).
CHUNK_ELEMENTS = 4_000_000


@dataclass(frozen=True)
class CellTable:
    """Rows collapsed to the distinct combinations of some small integer keys.

    Attributes
    ----------
    keys : numpy.ndarray of int64, shape (n_cells, n_keys)
        The key combination of each non-empty cell.
    counts : numpy.ndarray of int64, shape (n_cells,)
        Rows per cell.
    row_cell : numpy.ndarray of int64, shape (n_rows,)
        Cell of each row.
    """

    keys: np.ndarray
    counts: np.ndarray
    row_cell: np.ndarray

    def sum(self, values: np.ndarray) -> np.ndarray:
        """Sum of ``values`` (one per row) within each cell."""
        return np.bincount(self.row_cell, weights=values, minlength=len(self.counts))


def collapse(keys: Sequence[np.ndarray], sizes: Sequence[int]) -> CellTable:
    """Collapse rows to cells keyed by ``keys`` (each an int array with values in ``range(size)``)."""
    code = np.zeros(len(keys[0]), dtype=np.int64)
    for key, size in zip(keys, sizes, strict=True):
        code = code * int(size) + key.astype(np.int64)
    unique_codes, row_cell, counts = np.unique(code, return_inverse=True, return_counts=True)
    decoded = np.empty((len(unique_codes), len(keys)), dtype=np.int64)
    remainder = unique_codes.copy()
    for position in range(len(keys) - 1, -1, -1):
        decoded[:, position] = remainder % int(sizes[position])
        remainder //= int(sizes[position])
    return CellTable(keys=decoded, counts=counts.astype(np.int64), row_cell=row_cell.astype(np.int64))


def multinomial_resamples(
    counts: np.ndarray, n_boot: int, rng: np.random.Generator, chunk_elements: int = CHUNK_ELEMENTS
) -> Iterator[np.ndarray]:
    """Yield bootstrap cell counts, ``n_boot`` rows in total, in chunks of shape (b, n_cells).

    Each row is one resample of all ``counts.sum()`` original rows: a multinomial draw over cells with the
    observed cell shares as probabilities, which is row resampling with replacement seen through the cells.
    Draws are taken from ``rng`` in order, so the result does not depend on the chunk size.
    """
    n = int(counts.sum())
    shares = counts / n
    per_chunk = max(1, chunk_elements // max(1, len(counts)))
    for start in range(0, n_boot, per_chunk):
        size = min(per_chunk, n_boot - start)
        yield rng.multinomial(n, shares, size=size).astype(np.float64)


def percentile_interval(replicates: np.ndarray, confidence: float) -> tuple[np.ndarray, np.ndarray]:
    """Equal-tailed percentile interval along axis 0, ignoring NaN replicates.

    Same values as ``numpy.nanquantile(..., method='linear')`` on finite data, but it also handles ``inf``
    (a ratio whose reference group has a zero rate in some resample) and all-NaN columns without warnings:
    an undefined metric gets an undefined interval.
    """
    ordered = np.sort(np.asarray(replicates, dtype=np.float64), axis=0)  # NaN sorts last, after inf
    valid = np.sum(~np.isnan(ordered), axis=0)
    alpha = (1.0 - confidence) / 2.0
    bounds = []
    for q in (alpha, 1.0 - alpha):
        position = q * np.maximum(valid - 1, 0)
        lower = np.floor(position).astype(np.int64)
        upper = np.minimum(lower + 1, np.maximum(valid - 1, 0))
        fraction = position - lower
        a = np.take_along_axis(ordered, lower[np.newaxis], axis=0)[0]
        b = np.take_along_axis(ordered, upper[np.newaxis], axis=0)[0]
        with np.errstate(invalid="ignore"):
            value = np.where((fraction == 0) | (a == b), a, a + (b - a) * fraction)
        bounds.append(np.where(valid > 0, value, np.nan))
    return bounds[0], bounds[1]
