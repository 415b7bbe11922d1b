"""Tables that arrive as bytes (a browser upload) rather than as a path, and CSV bytes safe to open in a spreadsheet.

An upload goes through :func:`features.read_table` itself (written to a private temporary folder first), so it
gets exactly the file-level checks and messages of the command line, with the uploaded name in place of the
temporary path.
"""

from __future__ import annotations

import tempfile
from pathlib import Path, PurePath

import pandas as pd

from chestpain.features._io import read_table
from chestpain.kernel.errors import TriageError
from chestpain.kernel.io import neutralise_formulas


def read_table_bytes(data: bytes, name: str) -> pd.DataFrame:
    """Read an uploaded ``.csv`` or ``.parquet`` file; errors name the upload, never a temporary path."""
    safe_name = PurePath(name.replace("\\", "/")).name or "upload"
    with tempfile.TemporaryDirectory(prefix="triage-upload-") as folder:
        path = Path(folder) / safe_name
        path.write_bytes(data)
        try:
            return read_table(path)
        except TriageError as error:
            raise TriageError(str(error).replace(str(path), safe_name)) from None


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """UTF-8 CSV of ``frame`` without the index, whose text cells cannot run as spreadsheet formulas."""
    return neutralise_formulas(frame).to_csv(index=False).encode("utf-8")
