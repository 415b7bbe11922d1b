"""Writing outputs so that a failure never leaves a half-written file behind, nor overwrites the input.

A run writes to ``.NAME.partial-PID`` beside the output ``NAME`` and renames it onto ``NAME`` only when it
succeeded. A run killed with ``kill -9`` cannot remove its partial file; the next run to the same output removes
every partial file whose writer process is gone (the PID in its name), so such leftovers are both findable
(``ls -a`` next to the output) and short-lived.

The partial file is created exclusively and never through a link (``O_CREAT | O_EXCL | O_NOFOLLOW``, mode 0600)
before anything is written: a file or symlink planted at that name refuses the run instead of redirecting it into
another file. A full disk, a file-size limit or a quota (ENOSPC, EFBIG, EDQUOT) is a one-line error that says the
old output was kept.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import shutil
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from chestpain.kernel.errors import TriageError

if TYPE_CHECKING:  # imported where used: `chestpain simulate` writes through this module without pandas
    import pandas as pd

# Characters that make a spreadsheet treat a cell as a formula (OWASP "CSV injection").
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

PARTIAL_MARK = ".partial-"
OUTPUT_IS_INPUT = "--out {out} is the input file {data}; write the result to another file (the input would be lost)"
NO_OUTPUT_FOLDER = "--out {out}: folder {folder} does not exist; create it first or choose another path"
OUTPUT_NOT_WRITABLE = "--out {out}: cannot write in {folder} ({reason}); choose a folder you can write to"
PARTIAL_TAKEN = (
    "--out {out}: {partial} already exists and was not written by this run (a file or link planted there would "
    "redirect the output); nothing was written: remove it and run again"
)
DISK_FULL = "--out {out}: {reason} while writing; nothing was replaced (the old {name} is kept, if there was one)"
#: Write errors that mean "no room": a full disk, a file-size limit (ulimit -f), a quota.
NO_ROOM = {errno.ENOSPC, errno.EFBIG, errno.EDQUOT}


def partial_path(out: str | os.PathLike[str], pid: int | None = None) -> Path:
    """Where a run with process id ``pid`` (default: this one) writes ``out`` before renaming it into place."""
    out = Path(out)
    return out.with_name(f".{out.name}{PARTIAL_MARK}{os.getpid() if pid is None else pid}")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def remove_stale_partials(out: str | os.PathLike[str]) -> list[Path]:
    """Remove ``.NAME.partial-PID`` files (and directories) of ``out`` whose writer process no longer runs.

    Only names of exactly that form are touched, and only when the PID is not a live process, so a concurrent
    run's file is never removed (a reused PID keeps a leftover until the next run; it is never wrongly deleted).
    """
    out = Path(out)
    pattern = re.compile(re.escape(f".{out.name}{PARTIAL_MARK}") + r"(\d+)$")
    removed: list[Path] = []
    try:
        entries = list(out.parent.iterdir())
    except OSError:
        return removed
    for entry in entries:
        match = pattern.match(entry.name)
        if match is None or int(match.group(1)) == os.getpid() or _pid_alive(int(match.group(1))):
            continue
        with contextlib.suppress(OSError):
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
            removed.append(entry)
    return removed


@contextlib.contextmanager
def atomic_output(out: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path next to ``out``; rename it onto ``out`` only if the block succeeds.

    The temporary file (``.NAME.partial-PID``) lives in the same directory so the final ``os.replace`` is
    atomic, and an existing ``out`` is left untouched when anything fails. Leftovers of killed runs to the same
    output are removed first.
    """
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_partials(out)
    tmp = partial_path(out)
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    except FileExistsError:
        raise TriageError(PARTIAL_TAKEN.format(out=out, partial=tmp.name)) from None
    os.close(fd)
    created = os.lstat(tmp)
    try:
        yield tmp
        _check_still_ours(tmp, created, out)
        os.replace(tmp, out)
    except OSError as error:
        if error.errno in NO_ROOM:
            raise TriageError(DISK_FULL.format(out=out, reason=os.strerror(error.errno), name=out.name)) from None
        raise
    finally:
        with contextlib.suppress(FileNotFoundError):
            if _is_ours(tmp, created):
                tmp.unlink()


def _is_ours(tmp: Path, created: os.stat_result) -> bool:
    try:
        now = os.lstat(tmp)
    except FileNotFoundError:
        return False
    # A regular file with the same inode: a link put in its place may reuse the freed inode number.
    return stat.S_ISREG(now.st_mode) and (now.st_dev, now.st_ino) == (created.st_dev, created.st_ino)


def _check_still_ours(tmp: Path, created: os.stat_result, out: Path) -> None:
    """The partial file is still the one this run created (not swapped for a link while it was written)."""
    if not _is_ours(tmp, created):
        raise TriageError(PARTIAL_TAKEN.format(out=out, partial=tmp.name))


def same_file(a: str | os.PathLike[str], b: str | os.PathLike[str]) -> bool:
    """True when both paths exist and are one file (symlinks followed, hard links compared by device and inode)."""
    try:
        first, second = os.stat(a), os.stat(b)
    except OSError:
        return False
    return (first.st_dev, first.st_ino) == (second.st_dev, second.st_ino)


def check_writable_output(out: str | os.PathLike[str], inputs: Iterable[str | os.PathLike[str]] = ()) -> Path:
    """Refuse, before any work, an output that is one of the inputs or that cannot be created where it is named.

    The folder must exist and accept a new file: a probe file (``.NAME.partial-PID``, the name the real write
    uses) is created and removed, which answers for permissions, read-only file systems and a path through a
    file alike (``os.access`` would not: it says yes to root on a read-only mount).
    """
    out = Path(out)
    for data in inputs:
        if same_file(out, data):
            raise TriageError(OUTPUT_IS_INPUT.format(out=out, data=data))
    folder = out.parent
    if not folder.exists():
        raise TriageError(NO_OUTPUT_FOLDER.format(out=out, folder=folder))
    probe = partial_path(out)
    try:
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return out  # our own partial file from this very process: the folder is writable
    except OSError as error:
        raise TriageError(OUTPUT_NOT_WRITABLE.format(out=out, folder=folder, reason=error.strerror)) from None
    os.close(fd)
    probe.unlink()
    return out


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """Return a copy whose text cells cannot run as spreadsheet formulas (a leading quote is added)."""
    import pandas as pd

    safe = frame.copy()
    for column in safe.columns:
        values = safe[column]
        if values.dtype == object or pd.api.types.is_string_dtype(values):
            text = values.astype("string")
            risky = text.str.startswith(FORMULA_PREFIXES).fillna(False)
            if risky.any():
                safe[column] = text.where(~risky, "'" + text)
    return safe
