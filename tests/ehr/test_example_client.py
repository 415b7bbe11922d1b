"""``examples/ehr_client.py`` as a hospital engineer runs it: key, JWK Set, config, service, hook, feedback, card."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_the_example_client_runs_end_to_end_and_prints_the_card(app_model_dir, tmp_path):  # noqa: F811
    result = subprocess.run(
        [sys.executable, str(REPO / "examples/ehr_client.py"), "--model", str(app_model_dir), "--keep", str(tmp_path)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "discovery: 2 services" in result.stdout
    assert "feedback: accepted" in result.stdout
    assert "card (" in result.stdout and "MI now (calibrated risk)" in result.stdout
    assert {"jwks.json", "hooks.yaml", "hooks-feedback.sqlite", "hooks-replay.sqlite"} <= {
        p.name for p in tmp_path.iterdir()
    }
