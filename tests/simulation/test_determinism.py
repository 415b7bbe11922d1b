"""Same seed and config give the same bytes, whatever the chunk size; streams are independent."""

from __future__ import annotations

import hashlib

import numpy as np

from chestpain.kernel.seeding import named_stream
from chestpain.simulation import BLOCK_ROWS, write_cohort
from tests.simulation.conftest import scenario


def _digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_same_bytes_whatever_the_chunk_size(tmp_path, seed):
    n = 2 * BLOCK_ROWS + 1234  # a partial last block too
    cfg = scenario("default")
    paths = []
    for chunk_blocks in (1, 2, 5):
        out = tmp_path / f"c{chunk_blocks}.parquet"
        write_cohort(cfg, n, seed, str(out), chunk_blocks=chunk_blocks)
        paths.append(out)
    assert len({_digest(p) for p in paths}) == 1


def test_different_seed_different_cohort(tmp_path, seed):
    cfg = scenario("default")
    write_cohort(cfg, 5000, seed, str(tmp_path / "a.parquet"))
    write_cohort(cfg, 5000, seed + 1, str(tmp_path / "b.parquet"))
    assert _digest(tmp_path / "a.parquet") != _digest(tmp_path / "b.parquet")


def test_named_streams_are_stable_and_independent():
    a = named_stream(1, "symptoms", 3).random(5)
    again = named_stream(1, "symptoms", 3).random(5)
    other_name = named_stream(1, "troponin", 3).random(5)
    other_block = named_stream(1, "symptoms", 4).random(5)
    np.testing.assert_array_equal(a, again)
    assert not np.allclose(a, other_name) and not np.allclose(a, other_block)


def test_prefix_rows_do_not_depend_on_n(seed):
    from chestpain.simulation import simulate_frame

    small = simulate_frame(scenario("default"), 1000, seed)
    large = simulate_frame(scenario("default"), BLOCK_ROWS + 10, seed)
    assert small.equals(large.head(1000))
