"""Output files written safely: all or nothing at the path asked for, and no litter left behind.

A file is written as `.<name>.ladder-<random>.partial` beside its target and renamed into place
only when complete, so the target is either the old file or the new complete one. While it is
written, its writer holds a POSIX record lock on it. A run that is killed outright (kill -9, the
OOM killer) cannot remove its partial file, but the kernel drops its lock; the next run that
writes the same target finds the file by its name, sees that nobody holds its lock, removes it and
says so. A partial file of a run still going is locked and left alone, and nothing that does not
match the name, the owner, the mode and the lock is ever touched.

Write failures (a full disk, an unwritable or vanished folder) are an OutputError naming the
target (exit 74), after the partial file is removed.
"""
from __future__ import annotations

import io
import os
import re
import stat
import sys
import tempfile

from .errors import OutputError

try:
    import fcntl
except ImportError:  # not POSIX: no lock, so no leftover can be proved ours and none is removed
    fcntl = None  # type: ignore[assignment]

TAG = "ladder-"  # in every partial file's name: `.<name>.ladder-<8 random>.partial`
_RANDOM = r"[a-z0-9_]{8}"  # tempfile's random part
_LIVE: set[str] = set()  # this process's own partial files: POSIX locks do not guard against oneself


def partial_pattern(target: str) -> re.Pattern[str]:
    """The names this tool gives the partial files of `target`, and no other."""
    return re.compile(re.escape(f".{os.path.basename(target)}.{TAG}") + _RANDOM + re.escape(".partial"))


def remove_leftovers(target: str) -> list[tuple[str, int]]:
    """Remove the partial files a killed run left for `target`; returns (path, size) of each.

    Only files that are provably this tool's for this target: the exact name pattern, a regular
    file (not a link) with one name, owned by this user with mode 0600 (as tempfile creates it),
    and no live process holding its lock. Anything else is left alone, silently."""
    if fcntl is None:
        return []
    folder = os.path.dirname(os.path.abspath(target))
    pattern = partial_pattern(target)
    try:
        names = sorted(n for n in os.listdir(folder) if pattern.fullmatch(n))
    except OSError:  # the folder is missing or unreadable: the writer says so
        return []
    removed = []
    for name in names:
        path = os.path.join(folder, name)
        if path in _LIVE:
            continue
        size = _remove_if_abandoned(path)
        if size is not None:
            removed.append((path, size))
    return removed


def _remove_if_abandoned(path: str) -> int | None:
    assert fcntl is not None
    try:
        fd = os.open(path, os.O_RDWR | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError:  # a symlink (ELOOP), a fifo without reader, not ours to open: not ours to remove
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_nlink != 1 or st.st_uid != os.getuid() \
                or stat.S_IMODE(st.st_mode) != 0o600:
            return None
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:  # locked: a run writing this target right now
            return None
        now = os.lstat(path)
        if (now.st_dev, now.st_ino) != (st.st_dev, st.st_ino):  # replaced since it was opened
            return None
        os.unlink(path)
        return st.st_size
    except OSError:
        return None
    finally:
        os.close(fd)


def human_size(n: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    raise AssertionError  # pragma: no cover


def leftover_note(target: str, removed: list[tuple[str, int]]) -> list[str]:
    """What the user is told about removed leftovers (stderr)."""
    return [f"{target}: removed {os.path.basename(p)} ({human_size(size)}), left by an earlier run that was "
            "killed before it finished" for p, size in removed]


class AtomicWriter:
    """Write to a locked temporary file beside the target; rename into place only when complete.

    `-` is standard output (nothing to rename; a reader that goes away raises BrokenPipeError,
    which the CLI turns into a quiet exit). Every other write failure is an OutputError naming
    the target; abort() then leaves nothing behind."""

    def __init__(self, path: str):
        self.path = path
        self.stdout = path == "-"
        self.tmp: str | None = None
        self.removed: list[tuple[str, int]] = []
        if self.stdout:
            self.fh: io.TextIOBase = sys.stdout
            return
        self.removed = remove_leftovers(path)
        folder = os.path.dirname(os.path.abspath(path))
        try:
            fd, self.tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.{TAG}", suffix=".partial", dir=folder)
        except OSError as exc:
            raise self._failed(exc) from None
        _LIVE.add(self.tmp)
        if fcntl is not None:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # a new file: nobody else can hold it
        self.fh = os.fdopen(fd, "w", encoding="utf-8", newline="\n")

    def _failed(self, exc: OSError) -> OutputError:
        if self.stdout:
            return OutputError(summary=f"cannot write to standard output: {exc.strerror or exc}; the output is "
                               "incomplete")
        return OutputError(summary=f"{self.path}: cannot write: {exc.strerror or exc}; nothing was written there")

    def write(self, text: str) -> None:
        try:
            self.fh.write(text)
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise self._failed(exc) from None

    def finish(self) -> None:
        """Everything written and on disk, not yet in place (see commit): a full disk shows here."""
        if self.fh.closed:
            return
        try:
            self.fh.flush()
            if self.stdout:
                return
            os.fsync(self.fh.fileno())
            self.fh.close()
        except BrokenPipeError:
            raise
        except OSError as exc:
            self.abort()
            raise self._failed(exc) from None

    def commit(self) -> None:
        """Rename the finished file into place. With several outputs, finish them all first."""
        self.finish()
        if self.tmp is None:
            return
        try:
            os.replace(self.tmp, self.path)
        except OSError as exc:
            self.abort()
            raise self._failed(exc) from None
        _LIVE.discard(self.tmp)
        self.tmp = None

    def abort(self) -> None:
        """Remove the partial file (never the target); safe to call twice, and after a failure."""
        if self.stdout or self.tmp is None:
            return
        try:
            self.fh.close()  # a full disk fails the last flush: the file goes anyway
        except OSError:
            pass
        try:
            os.unlink(self.tmp)
        except OSError:  # its folder vanished with it
            pass
        _LIVE.discard(self.tmp)
        self.tmp = None
