"""Scenarios by packaged name or path: the simulator's one entry point for configs."""

from __future__ import annotations

from pathlib import Path

from chestpain.kernel.config import load_config, packaged_config_dir
from chestpain.simulation._params import ScenarioConfig

#: The packaged scenarios (``configs/simulation``; inside the wheel once installed).
SCENARIO_DIR = packaged_config_dir("simulation")


def load_scenario(path: str | Path, overrides: list[str] | None = None) -> ScenarioConfig:
    """Load and validate a scenario, by packaged name (``default``, ``no_bias``) or YAML path.

    ``extends`` and ``--set`` overrides are supported.
    """
    return load_config(ScenarioConfig, path, overrides, kind="simulation")
