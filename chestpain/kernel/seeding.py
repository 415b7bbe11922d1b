"""One seed, split into named random streams.

Each stream is a ``numpy.random.Generator`` derived from ``SeedSequence(seed, spawn_key=(block, name_key))``
where ``name_key`` is a stable hash of the stream's name (sha256, never Python's salted ``hash()``). Adding a
new stream therefore leaves every other stream's draws unchanged, and because rows are generated in fixed-size
blocks, the output does not depend on how blocks are grouped into chunks or partitions.
"""

from __future__ import annotations

import hashlib

import numpy as np


def stream_key(name: str) -> int:
    """Stable 32-bit key for a stream name."""
    return int.from_bytes(hashlib.sha256(name.encode("utf-8")).digest()[:4], "little")


def named_stream(seed: int, name: str, block: int = 0) -> np.random.Generator:
    """Generator for stream ``name`` in row block ``block`` of a run seeded with ``seed``."""
    if seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed}")
    sequence = np.random.SeedSequence(entropy=seed, spawn_key=(block, stream_key(name)))
    return np.random.Generator(np.random.PCG64(sequence))
