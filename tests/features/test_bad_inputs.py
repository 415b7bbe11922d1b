"""Every fixture in bad_inputs/ fails with its expected message (manifest.json: file name -> substring)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from chestpain.features import read_visits
from chestpain.kernel.errors import TriageError

FOLDER = Path(__file__).parent / "bad_inputs"
MANIFEST = json.loads((FOLDER / "manifest.json").read_text(encoding="utf-8"))


def test_manifest_lists_every_fixture():
    on_disk = {path.name for path in FOLDER.iterdir() if path.name != "manifest.json"}
    assert on_disk == set(MANIFEST)


@pytest.mark.parametrize(("name", "expected"), sorted(MANIFEST.items()))
def test_bad_input_is_refused_with_its_message(name, expected):
    with pytest.raises(TriageError, match=re.escape(expected)) as caught:
        read_visits(FOLDER / name)
    message = str(caught.value)
    assert "\n" not in message
    assert name in message  # every message says which file
