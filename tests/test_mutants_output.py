"""Safe output files (engine/base/output.py): the size a leftover-cleanup note tells, at each unit's
boundary; which leftovers are ours; targets reached through links; what a failure leaves behind.
Each test pins what a slip there would change. Written against the survivors of a
mutation run (docs/development.md)."""
from __future__ import annotations

import errno
import io
import os
import stat
import sys

import pytest

from engine.base import output as output_mod
from engine.base.errors import OutputError, UsageError
from engine.base.output import human_size, leftover_note


@pytest.mark.parametrize(("n", "shown"), [
    (0, "0 bytes"), (1023, "1023 bytes"), (1024, "1.0 KB"), (1536, "1.5 KB"),
    (1024 * 1024 - 1, "1024.0 KB"), (1024 * 1024, "1.0 MB"), (1024 ** 3 - 1, "1024.0 MB"),
    (1024 ** 3, "1.0 GB"), (5 * 1024 ** 4, "5120.0 GB"),  # GB is the largest unit told
])
def test_a_size_is_told_in_the_largest_unit_it_fills(n, shown):
    assert human_size(n) == shown


def test_the_note_names_the_output_the_leftover_and_its_size():
    [line] = leftover_note("out.jsonl", [("/x/.out.jsonl.ladder-abc.partial", 2048)])
    assert line.startswith("out.jsonl: removed .out.jsonl.ladder-abc.partial (2.0 KB), left by an earlier run that was ")


# --- which leftovers are ours: the exact name, and nothing that merely resembles it -------------

def _leftover(folder, name, size=10):
    p = folder / name
    p.write_bytes(b"x" * size)
    p.chmod(0o600)
    return p


@pytest.mark.parametrize("target", ["r.json", "out+x.jsonl", "a(b).jsonl", "[v].csv"])
def test_a_leftover_of_a_target_whose_name_holds_regex_characters_is_still_found(tmp_path, target):
    mine = _leftover(tmp_path, f".{target}.ladder-abcd1234.partial")
    assert output_mod.remove_leftovers(str(tmp_path / target)) == [(str(mine), 10)]
    assert not mine.exists()


@pytest.mark.parametrize("name", [
    ".rXjson.ladder-abcd1234.partial",  # a dot of the target's name is a dot, not any character
    ".r.json.ladder-abcd1234Xpartial",  # nor the dot before `partial`
    ".r.json.ladder-abcd123.partial",  # the random part is eight characters
    "r.json.ladder-abcd1234.partial",  # the leading dot
    ".r.json.ladder-abcd1234.partial.bak",
])
def test_a_file_that_only_resembles_a_leftover_is_left_alone(tmp_path, name):
    other = _leftover(tmp_path, name)
    assert output_mod.remove_leftovers(str(tmp_path / "r.json")) == []
    assert other.exists()


def test_leftovers_are_removed_and_told_in_the_order_of_their_names(tmp_path):
    names = [f".r.json.ladder-{c * 8}.partial" for c in "qbzamkdx"]
    for n in names:
        _leftover(tmp_path, n)
    removed = output_mod.remove_leftovers(str(tmp_path / "r.json"))
    assert [os.path.basename(p) for p, _ in removed] == sorted(names)


def test_no_folder_means_nothing_to_remove(tmp_path):
    assert output_mod.remove_leftovers(str(tmp_path / "gone" / "r.json")) == []


def test_without_posix_locks_no_leftover_is_ever_removed(tmp_path, monkeypatch):
    """Nothing can be proved abandoned without a lock: a list, empty, and the file kept."""
    mine = _leftover(tmp_path, ".r.json.ladder-abcd1234.partial")
    monkeypatch.setattr(output_mod, "fcntl", None)
    assert output_mod.remove_leftovers(str(tmp_path / "r.json")) == []
    assert mine.exists()


def _open_fds():
    return len(os.listdir("/proc/self/fd"))


def test_looking_at_leftovers_leaves_no_file_open(tmp_path):
    for c in "abc":
        _leftover(tmp_path, f".r.json.ladder-{c * 8}.partial")
    _leftover(tmp_path, ".r.json.ladder-dddddddd.partial").chmod(0o644)  # opened, judged not ours, kept
    before = _open_fds()
    assert len(output_mod.remove_leftovers(str(tmp_path / "r.json"))) == 3
    assert _open_fds() == before


# --- a target reached through links: written into when it is a descriptor, replaced otherwise ---

def _chain(folder, k, end, tag="l"):
    """`tag`0 -> `tag`1 -> ... -> `tag`k-1 -> end, each link naming the next by a relative name."""
    names = [f"{tag}{i}" for i in range(k)]
    for i, n in enumerate(names):
        os.symlink(names[i + 1] if i + 1 < k else end, folder / n)
    return str(folder / names[0])


@pytest.fixture
def open_file(tmp_path):
    with open(tmp_path / "real.txt", "w") as fh:
        yield fh.fileno()


@pytest.mark.parametrize("prefix", ["/proc/self/fd/", "/dev/fd/"])
def test_a_link_to_a_descriptor_is_written_through(tmp_path, open_file, prefix):
    assert output_mod._writes_through(_chain(tmp_path, 1, f"{prefix}{open_file}")) is True
    # followed hop by hop through relative links, nearly as far as the system follows them (40 in
    # all: /dev/fd is itself a link, and so is the descriptor)
    assert output_mod._writes_through(_chain(tmp_path, 37, f"{prefix}{open_file}", tag="m")) is True


def test_a_regular_file_through_ordinary_links_is_replaced_not_written_through(tmp_path):
    real = tmp_path / "real.txt"
    real.write_text("")
    assert output_mod._writes_through(str(real)) is False
    assert output_mod._writes_through(_chain(tmp_path, 3, str(real))) is False
    # forty links, as many as the system follows: every hop looked at, none a descriptor
    assert output_mod._writes_through(_chain(tmp_path, 40, str(real), tag="m")) is False
    assert output_mod._writes_through(str(tmp_path / "new.txt")) is False


# --- what is read is never written ---------------------------------------------------------------

def test_standard_input_is_not_a_file_named_dash(tmp_path, monkeypatch):
    """`-` as an input is standard input: an output `./-` (a file of that name) is not the input."""
    monkeypatch.chdir(tmp_path)
    output_mod.check_outputs([("--out", "./-")], [("packet", "-")])
    with pytest.raises(UsageError, match="replace what is read"):
        output_mod.check_outputs([("--out", "./p.yaml")], [("packet", "p.yaml")])


# --- the mode of a new output, and what a failure leaves behind ----------------------------------

def test_a_new_output_gets_the_umasks_mode_unless_private(tmp_path):
    old = os.umask(0o022)
    try:
        for private, mode in ((None, 0o644), (False, 0o644), (True, 0o600)):
            target = tmp_path / f"o-{private}.txt"
            w = output_mod.AtomicWriter(str(target)) if private is None else output_mod.AtomicWriter(str(target), private)
            w.write("x")
            w.commit()
            assert stat.S_IMODE(target.stat().st_mode) == mode, private
    finally:
        os.umask(old)


def _partials(folder):
    return sorted(n for n in os.listdir(folder) if n.endswith(".partial"))


def test_a_complete_write_leaves_no_partial_and_forgets_it(tmp_path):
    live = set(output_mod._LIVE)
    w = output_mod.AtomicWriter(str(tmp_path / "o.txt"))
    w.write("done\n")
    w.commit()
    assert (tmp_path / "o.txt").read_text() == "done\n"
    assert _partials(tmp_path) == [] and output_mod._LIVE == live


def test_an_aborted_write_leaves_no_partial_and_forgets_it(tmp_path):
    live = set(output_mod._LIVE)
    w = output_mod.AtomicWriter(str(tmp_path / "o.txt"))
    w.write("half")
    w.abort()
    w.abort()  # twice is harmless
    assert _partials(tmp_path) == [] and not (tmp_path / "o.txt").exists() and output_mod._LIVE == live


def test_a_rename_that_fails_leaves_no_partial(tmp_path):
    """The target became a folder while the output was written: exit 74 naming it, nothing left."""
    target = tmp_path / "o.txt"
    w = output_mod.AtomicWriter(str(target))
    w.write("x")
    target.mkdir()
    with pytest.raises(OutputError, match="o.txt: cannot write: .*; nothing was written there"):
        w.commit()
    assert _partials(tmp_path) == []


def test_a_disk_that_fills_at_the_end_leaves_no_partial(tmp_path, monkeypatch):
    w = output_mod.AtomicWriter(str(tmp_path / "o.txt"))
    w.write("x")

    def full(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(output_mod.os, "fsync", full)
    with pytest.raises(OutputError, match="o.txt: cannot write: No space left on device; nothing was written there"):
        w.finish()
    assert _partials(tmp_path) == [] and not (tmp_path / "o.txt").exists()


def test_a_device_that_is_full_is_named_with_the_reason_and_nothing_is_left(tmp_path, monkeypatch):
    """Written through (a device is never replaced); the held copy is removed either way."""
    monkeypatch.setattr(output_mod.tempfile, "tempdir", str(tmp_path))
    w = output_mod.AtomicWriter("/dev/full")
    assert w.through
    w.write("x" * 100)
    with pytest.raises(OutputError) as err:
        w.commit()
    assert str(err.value) == "/dev/full: cannot write: No space left on device; the output is incomplete"
    assert _partials(tmp_path) == []


def test_standard_output_is_flushed_when_the_output_is_finished(monkeypatch):
    """`--out -`: what was written is on its way to the reader once finished, not at exit."""
    r, wfd = os.pipe()
    pipe = io.TextIOWrapper(os.fdopen(wfd, "wb"), encoding="utf-8")
    monkeypatch.setattr(sys, "stdout", pipe)
    try:
        w = output_mod.AtomicWriter("-")
        w.write("verdict\n")
        w.commit()
        os.set_blocking(r, False)
        assert os.read(r, 100) == b"verdict\n"
    finally:
        pipe.close()
        os.close(r)
