"""Writing outputs so that a failure never leaves a half-written file behind."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

# Characters that make a spreadsheet treat a cell as a formula (OWASP "CSV injection").
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


@contextlib.contextmanager
def atomic_output(out: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path next to ``out``; rename it onto ``out`` only if the block succeeds.

    The temporary file lives in the same directory so the final ``os.replace`` is atomic, and an existing
    ``out`` is left untouched when anything fails.
    """
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    try:
        yield tmp
        os.replace(tmp, out)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """Return a copy whose text cells cannot run as spreadsheet formulas (a leading quote is added)."""
    safe = frame.copy()
    for column in safe.columns:
        values = safe[column]
        if values.dtype == object or pd.api.types.is_string_dtype(values):
            text = values.astype("string")
            risky = text.str.startswith(FORMULA_PREFIXES).fillna(False)
            if risky.any():
                safe[column] = text.where(~risky, "'" + text)
    return safe
