"""One writer per model directory, and a switch of the whole directory in one step.

* **Lock.** ``MODEL_DIR.lock`` beside the directory is held (``fcntl.flock``) for the whole of a training run,
  from before the data are read until the MLflow run is logged, so a second run into the same ``--out`` is
  refused at once with the holder's pid. ``flock`` rather than a library such as ``filelock``: the message names
  the holder's pid, and the kernel releases the lock when its holder dies (also after ``kill -9``). The lock file
  stays (a few bytes): deleting it would let a waiting process lock a file nobody else sees.
* **Switch.** A run writes everything (model files, manifest, its hash, plots) into ``MODEL_DIR.partial-PID``
  beside the target, then swaps it with the old directory in one ``renameat2(RENAME_EXCHANGE)`` call (Linux) and
  deletes the old copy. Readers see the old directory or the new one, never a mix or nothing. Where the kernel
  or file system cannot exchange, the old directory is renamed to ``MODEL_DIR.old-PID`` first.
* **Leftovers.** A run killed with ``kill -9`` leaves ``MODEL_DIR.partial-PID`` (or, with the fallback,
  ``MODEL_DIR.old-PID``) beside the target, visible and named after it. The next run that takes the lock deletes
  them, first moving an ``.old-PID`` back into place if the target is missing.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import os
import re
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

from chestpain.kernel.errors import TriageError

LOCKED = (
    "{out}: another `chestpain train` (pid {pid}) is writing this model directory; wait for it to finish or "
    "choose another --out"
)
_held: dict[Path, int] = {}  # lock path -> depth, so the library's save can run inside the command's lock


def lock_path(out_dir: Path) -> Path:
    return out_dir.with_name(f"{out_dir.name}.lock")


def partial_path(out_dir: Path) -> Path:
    return out_dir.with_name(f"{out_dir.name}.partial-{os.getpid()}")


def _leftover(out_dir: Path) -> re.Pattern[str]:
    return re.compile(rf"^{re.escape(out_dir.name)}\.(partial|old)-\d+$")


@contextlib.contextmanager
def output_lock(out_dir: str | os.PathLike[str]) -> Iterator[None]:
    """Hold the model directory's lock (re-entrant in one process); refuse at once if another process holds it."""
    out_dir = Path(out_dir).absolute()
    path = lock_path(out_dir)
    if path in _held:
        _held[path] += 1
        try:
            yield
        finally:
            _held[path] -= 1
        return
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
            raise TriageError(LOCKED.format(out=out_dir, pid=holder)) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        _held[path] = 1
        try:
            clean_leftovers(out_dir)
            yield
        finally:
            del _held[path]
            os.ftruncate(fd, 0)
    finally:
        os.close(fd)  # closing releases the flock


def clean_leftovers(out_dir: Path) -> list[Path]:
    """Delete what killed runs left beside ``out_dir`` (call with the lock held); restore a moved-away original."""
    pattern = _leftover(out_dir)
    found = sorted(p for p in out_dir.parent.iterdir() if pattern.match(p.name) and p.is_dir() and not p.is_symlink())
    for path in found:
        if pattern.match(path.name).group(1) == "old" and not out_dir.exists():  # type: ignore[union-attr]
            os.replace(path, out_dir)  # killed between the two renames of the fallback: the old model goes back
        else:
            shutil.rmtree(path)
    return found


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically with Linux ``renameat2(RENAME_EXCHANGE)``; False where that is unavailable.

    Python has no binding for ``renameat2``, hence ctypes; glibc has had it since 2.28.
    """
    if sys.platform != "linux":
        return False
    function = getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None)
    if function is None:
        return False
    function.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    at_fdcwd, rename_exchange = -100, 2
    if function(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    code = ctypes.get_errno()
    if code in {errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP}:
        return False
    raise OSError(code, os.strerror(code), str(b))


def switch_directory(new: Path, out_dir: Path) -> None:
    """Put the complete directory ``new`` at ``out_dir`` in one step and delete the old one (lock held)."""
    if not out_dir.exists():
        os.replace(new, out_dir)
        return
    if _exchange(new, out_dir):
        shutil.rmtree(new)  # ``new`` now holds the old directory
        return
    old = out_dir.with_name(f"{out_dir.name}.old-{os.getpid()}")
    os.replace(out_dir, old)
    os.replace(new, out_dir)
    shutil.rmtree(old)
