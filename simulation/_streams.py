"""Random draws for a chunk of rows, generated block by block so that results never depend on chunking.

Rows are grouped in fixed blocks of :data:`BLOCK_ROWS`. Every named stream in every block has its own
generator (:func:`chestpain.kernel.seeding.named_stream`), so row ``i`` always receives the same draws whether it is
simulated in a chunk of one block, of a hundred blocks, or in a Dask partition.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from chestpain.kernel.seeding import named_stream

BLOCK_ROWS = 65_536


class ChunkStreams:
    """Named random streams for rows ``[first_row, first_row + n_rows)`` of a run."""

    def __init__(self, seed: int, first_row: int, n_rows: int) -> None:
        if first_row % BLOCK_ROWS:
            raise ValueError(f"a chunk must start on a block boundary (multiple of {BLOCK_ROWS})")
        self.seed = seed
        self.n_rows = n_rows
        first_block = first_row // BLOCK_ROWS
        n_blocks = -(-n_rows // BLOCK_ROWS)
        self._blocks = [(first_block + i, min(BLOCK_ROWS, n_rows - i * BLOCK_ROWS)) for i in range(n_blocks)]
        self._used: set[str] = set()

    def _draw(self, name: str, draw: Callable[[np.random.Generator, int], np.ndarray]) -> np.ndarray:
        if name in self._used:
            raise RuntimeError(f"random stream {name!r} used twice in one chunk")
        self._used.add(name)
        parts = [draw(named_stream(self.seed, name, block), size) for block, size in self._blocks]
        return np.concatenate(parts) if len(parts) > 1 else parts[0]

    def uniform(self, name: str, columns: int | None = None) -> np.ndarray:
        """Uniform [0, 1) draws, shape ``(n,)`` or ``(n, columns)``."""
        return self._draw(name, lambda g, n: g.random(n if columns is None else (n, columns)))

    def normal(self, name: str, columns: int | None = None) -> np.ndarray:
        """Standard normal draws, shape ``(n,)`` or ``(n, columns)``."""
        return self._draw(name, lambda g, n: g.standard_normal(n if columns is None else (n, columns)))

    def binomial(self, name: str, trials: int, prob: np.ndarray) -> np.ndarray:
        """Binomial(trials, prob[i]) draws, one per row."""
        offsets = np.cumsum([0] + [size for _, size in self._blocks])
        parts = iter(range(len(self._blocks)))

        def draw(g: np.random.Generator, n: int) -> np.ndarray:
            i = next(parts)
            return g.binomial(trials, prob[offsets[i] : offsets[i] + n])

        return self._draw(name, draw)
