"""Fixtures for the features tests: the shared UCI folder (skipped with a reason when absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
UCI_DIR = REPO_ROOT.parent / "shared" / "data" / "uci-heart-disease"


@pytest.fixture(scope="session")
def uci_dir() -> Path:
    if not (UCI_DIR / "processed.cleveland.data").is_file():
        pytest.skip(f"UCI data not found at {UCI_DIR} (expected ../shared/data/uci-heart-disease beside the repo)")
    return UCI_DIR
