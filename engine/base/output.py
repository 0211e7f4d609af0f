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

The partial file is 0600 while it is written (how a leftover is recognised); just before the
rename it takes the output's own mode: the mode of the file it replaces, else what the umask
gives a new file (0666 & ~umask), or 0600 with `private` (--private). A run killed between that
chmod and the rename leaves a partial file no later run removes (it no longer looks like ours).

A target that exists and is not a regular file (/dev/null, a fifo, a terminal), or a descriptor's
link such as /dev/stdout, is written through, as `cmd > /dev/null` would: the output is held in
a temporary file until complete, then written into the target as it is, never replaced by a
rename. A folder is a usage error (check_outputs).
"""

from __future__ import annotations

import os
import re
import stat
import sys
import tempfile
from collections.abc import Sequence
from typing import TextIO

from .errors import OutputError, UsageError

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
        if (
            not stat.S_ISREG(st.st_mode)
            or st.st_nlink != 1
            or st.st_uid != os.getuid()
            or stat.S_IMODE(st.st_mode) != 0o600
        ):
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
    return [
        f"{target}: removed {os.path.basename(p)} ({human_size(size)}), left by an earlier run that was "
        "killed before it finished"
        for p, size in removed
    ]


def _writes_through(path: str) -> bool:
    """True for an existing target that must be written into, not replaced: not a regular file, or
    reached through a link into /proc or /dev/fd (`/dev/stdout` when stdout is a file)."""
    try:
        st = os.stat(path)
    except OSError:
        return False  # a new file (or a dangling link): the atomic path says what is wrong
    if not stat.S_ISREG(st.st_mode):
        return True
    p = os.path.abspath(path)
    for _ in range(40):  # the link chain, hop by hop (realpath would resolve the magic link itself)
        if p.startswith(("/proc/", "/dev/fd/")):
            return True
        if not os.path.islink(p):
            return False
        p = os.path.join(os.path.dirname(p), os.readlink(p))
    return False


def _umask() -> int:
    mask = os.umask(0o077)
    os.umask(mask)
    return mask


def final_mode(path: str, private: bool) -> int:
    """The mode an output gets: 0600 when private; else the mode of the file it replaces; else
    what the umask gives a new file."""
    if private:
        return 0o600
    try:
        st = os.stat(path)
        if stat.S_ISREG(st.st_mode):
            return stat.S_IMODE(st.st_mode)
    except OSError:
        pass
    return 0o666 & ~_umask()


def _identity(path: str) -> tuple[str, tuple[int, int] | None]:
    try:
        st = os.stat(path)
        return os.path.realpath(path), (st.st_dev, st.st_ino)
    except OSError:
        return os.path.realpath(path), None


def check_outputs(outputs: Sequence[tuple[str, str | None]], inputs: list[tuple[str, str]] | tuple = ()) -> None:
    """Refuse (UsageError, exit 2) before any work: an output that is a folder, two outputs naming
    the same file, or an output naming a file the command reads. `outputs` are (option, path),
    `inputs` (how to name it, path); `-` and None are skipped. The same file: the same resolved
    path, or the same device and inode (a hard link, a path through another link)."""
    seen: list[tuple[str, str, bool, tuple]] = [
        (role, p, False, _identity(p)) for role, p in inputs if p and p != "-" and not os.path.isdir(p)
    ]
    for role, p in outputs:
        if not p or p == "-":
            continue
        if os.path.isdir(p):
            raise UsageError(summary=f"{role}: {p} is a folder; name a file to write")
        me = _identity(p)
        for other, q, is_output, them in seen:
            if me[0] != them[0] and (me[1] is None or me[1] != them[1]):
                continue
            if is_output:
                raise UsageError(
                    summary=f"{other} and {role} name the same file ({p}): one would overwrite "
                    "the other; give each output its own file"
                )
            raise UsageError(
                summary=f"{role} {p} is {other} ({q}): writing it would replace what is read; give another file"
            )
        seen.append((role, p, True, me))


class AtomicWriter:
    """Write to a locked temporary file beside the target; rename into place only when complete.

    `-` is standard output (nothing to rename; a reader that goes away raises BrokenPipeError,
    which the CLI turns into a quiet exit). Every other write failure is an OutputError naming
    the target; abort() then leaves nothing behind."""

    def __init__(self, path: str, private: bool = False):
        self.path = path
        self.private = private
        self.stdout = path == "-"
        self.through = False
        self.tmp: str | None = None
        self.removed: list[tuple[str, int]] = []
        if self.stdout:
            self.fh: TextIO = sys.stdout
            return
        if os.path.isdir(path):
            raise UsageError(summary=f"{path} is a folder; name a file to write")
        self.through = _writes_through(path)
        if not self.through:
            self.removed = remove_leftovers(path)
        # written through: held in the temporary folder (never litter beside a device, in /dev)
        folder = None if self.through else os.path.dirname(os.path.abspath(path))
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
            return OutputError(
                summary=f"cannot write to standard output: {exc.strerror or exc}; the output is incomplete"
            )
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
        if self.through:
            self._write_through()
            return
        try:
            os.chmod(self.tmp, final_mode(self.path, self.private))  # 0600 until now: see the module's docstring
            os.replace(self.tmp, self.path)
        except OSError as exc:
            self.abort()
            raise self._failed(exc) from None
        _LIVE.discard(self.tmp)
        self.tmp = None

    def _write_through(self) -> None:
        """Copy the finished file into the existing target as it is (a device, a fifo, a descriptor)."""
        assert self.tmp is not None
        try:
            try:
                mode = os.stat(self.path).st_mode
                flags = os.O_WRONLY | getattr(os, "O_CLOEXEC", 0) | (os.O_APPEND if stat.S_ISREG(mode) else 0)
                out = os.open(self.path, flags)  # never O_CREAT: it exists, and is not replaced
                with open(self.tmp, "rb") as src, os.fdopen(out, "wb") as dst:
                    while chunk := src.read(1 << 16):
                        dst.write(chunk)
            except BrokenPipeError:
                raise
            except OSError as exc:
                raise OutputError(
                    summary=f"{self.path}: cannot write: {exc.strerror or exc}; the output is incomplete"
                ) from None
        finally:
            self.abort()

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
