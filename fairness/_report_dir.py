"""A report directory written all or nothing, shared by the audit and the monitor.

Every file is written into a staging directory beside ``out``, which then replaces ``out`` in one rename. An
existing ``out`` may hold only this writer's own outputs (``is_own``): replacing a directory that holds anything
else would delete user files, so it is refused before the slow work and checked again just before the swap.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from chestpain.kernel.errors import TriageError


@dataclass(frozen=True)
class ReportDirectory:
    """Which files a writer owns, and the one-line errors for a destination it must not replace."""

    is_own: Callable[[str], bool]
    is_a_file: str  # "{path} exists and is a file; ..."
    not_ours: str  # "{path} exists and holds files that are not ... ({examples}); ..."

    def check(self, out: Path) -> None:
        """Refuse a file, or a directory holding anything but this writer's outputs."""
        if not out.exists():
            return
        if not out.is_dir():
            raise TriageError(self.is_a_file.format(path=out))
        foreign = sorted(path.name for path in out.iterdir() if not (path.is_file() and self.is_own(path.name)))
        if foreign:
            raise TriageError(self.not_ours.format(path=out, examples=", ".join(foreign[:3])))

    def write(self, out: Path, files: Mapping[str, str | bytes]) -> Path:
        """Write ``files`` (name -> text or bytes) as the whole of ``out``; nothing is left half written."""
        out.parent.mkdir(parents=True, exist_ok=True)
        staging = out.with_name(f".{out.name}.tmp-{uuid.uuid4().hex}")
        staging.mkdir()
        try:
            for name, content in files.items():
                if isinstance(content, str):
                    (staging / name).write_text(content, encoding="utf-8")
                else:
                    (staging / name).write_bytes(content)
            self._swap_into_place(staging, out)
        finally:
            with contextlib.suppress(FileNotFoundError):
                shutil.rmtree(staging)
        return out

    def _swap_into_place(self, staging: Path, out: Path) -> None:
        if not out.exists():
            os.replace(staging, out)
            return
        self.check(out)
        backup = out.with_name(f".{out.name}.old-{uuid.uuid4().hex}")
        os.replace(out, backup)
        try:
            os.replace(staging, out)
        except OSError:
            os.replace(backup, out)
            raise
        shutil.rmtree(backup, ignore_errors=True)
