"""Batch never loses anything (issue 6): every input gets exactly one output line.

A folder handed to `ladder batch` may hold anything: a file nobody may read, a fifo, a socket
or device, a symlink loop, a JSONL file whose last line was cut off mid-write, a file deleted
between the listing and the reading. None of them may hang the run, stop it, or go missing:
each gets an error line naming it, the valid packets get their verdicts, and the run exits 3.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import FIXTURES, ROOT
from engine.committee import batch as batch_mod
from engine.base import inputs as inputs_mod
from engine.base.loader import load_file

LADDER = [sys.executable, "-c", "import cli; cli.main()"]
GOOD = sorted(FIXTURES.glob("*.yaml"))[:2]


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _errors(lines: list[dict]) -> dict[str, str]:
    """source -> the first problem's message, for the error lines."""
    return {d["source"]: d["error"]["problems"][0]["message"] for d in lines if "error" in d}


def _packet_json(path: Path = GOOD[0]) -> str:
    return json.dumps(load_file(path).data)


def _batch(args: list, timeout: float = 60) -> subprocess.CompletedProcess:
    """In a subprocess with a timeout, so a regression that blocks (a fifo) fails instead of hanging."""
    return subprocess.run([*LADDER, "batch", *map(str, args), "--quiet"], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout)


def test_a_folder_of_traps_gives_one_line_per_input(tmp_path):
    """Fifo, device, dangling link, symlink loops (file and folder), a folder named like a packet:
    no hang, no crash, and one line for every file-like input, in sorted order."""
    d = tmp_path / "in"
    (d / "sub").mkdir(parents=True)
    for i, p in enumerate(GOOD):
        (d / f"good-{i}.yaml").write_bytes(p.read_bytes())
    os.mkfifo(d / "fifo.yaml")  # nobody writes to it: opening it must not wait
    (d / "zero.json").symlink_to("/dev/zero")  # a device: endless bytes
    (d / "dangling.yaml").symlink_to(d / "gone.yaml")
    (d / "loop-a.yaml").symlink_to(d / "loop-b.yaml")
    (d / "loop-b.yaml").symlink_to(d / "loop-a.yaml")
    (d / "sub" / "up").symlink_to(d)  # a folder loop: walking it would never end
    (d / "folder.yaml").mkdir()  # a folder whose name looks like a packet: walked, not read
    (d / "folder.yaml" / "inner.yaml").write_bytes(GOOD[0].read_bytes())
    out = tmp_path / "out.jsonl"
    r = _batch([d, "--out", out, "--jobs", "2"])
    assert r.returncode == 3, r.stderr
    assert "Traceback" not in r.stderr
    lines = _lines(out)
    names = [Path(x.get("source", "")).name for x in lines]
    assert len(lines) == 8, names  # 2 good, inner, fifo, zero, dangling, 2 loops; `sub/up` is not followed
    errors = {Path(k).name: v for k, v in _errors(lines).items()}
    assert errors["fifo.yaml"].startswith("empty document")
    assert errors["zero.json"].startswith("not a regular file")
    assert errors["dangling.yaml"] == "no such file"
    assert "symbolic links" in errors["loop-a.yaml"] and "symbolic links" in errors["loop-b.yaml"]
    assert sum("verdict" in x for x in lines) == 3  # the two good packets and folder.yaml/inner.yaml


def test_an_unreadable_file_is_an_error_line(tmp_path, monkeypatch):
    """chmod 000: reported as 'permission denied', the others still evaluated. Where the tests run
    as root (CI), which reads any file, the kernel's refusal is simulated at the one place packets
    are opened (engine.base.loader), in the same process and in the forked workers."""
    from engine.base import loader
    from engine.committee.batch import BatchOptions, run_batch

    bad = tmp_path / "secret.yaml"
    bad.write_bytes(GOOD[0].read_bytes())
    bad.chmod(0)
    if os.geteuid() == 0:
        real_open = os.open

        def refusing(path, *a, **k):
            if os.fspath(path) == str(bad):
                raise PermissionError(13, "Permission denied", str(bad))
            return real_open(path, *a, **k)

        monkeypatch.setattr(loader.os, "open", refusing)
    got = []
    run_batch([str(GOOD[1]), str(bad)], BatchOptions(jobs=2), got.append)
    assert len(got) == 2 and got[0].ok and not got[1].ok
    err = json.loads(got[1].line)["error"]
    assert got[1].source == str(bad) and err["problems"][0]["message"] == "permission denied"


def test_an_unreadable_jsonl_counts_as_one_input(tmp_path):
    """A .jsonl that cannot be opened at all (here: a socket) is one error line, not zero."""
    import socket

    path = tmp_path / "s.jsonl"
    sock = socket.socket(socket.AF_UNIX)
    try:
        sock.bind(str(path))
        out = tmp_path / "out.jsonl"
        r = _batch([GOOD[0], path, "--out", out])
    finally:
        sock.close()
    assert r.returncode == 3, r.stderr
    lines = _lines(out)
    assert len(lines) == 2
    (err,) = [x["error"] for x in lines if "error" in x]
    assert err["kind"] == "io" and err["problems"][0]["message"].startswith(("cannot read", "not a regular file"))


def test_a_half_written_last_jsonl_line(tmp_path):
    """A JSONL file cut off mid-line (a writer killed): complete lines are evaluated, the stub is an
    error that names file:line."""
    text = _packet_json()
    src = tmp_path / "cut.jsonl"
    src.write_text(f"{text}\n{text}\n{text[: len(text) // 2]}", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    r = _batch([src, "--out", out])
    assert r.returncode == 3
    lines = _lines(out)
    assert [x["source"] for x in lines] == [f"{src}:{i}" for i in (1, 2, 3)]  # every line says where it came from
    assert ["error" in x for x in lines] == [False, False, True]
    assert "not valid JSON" in _errors(lines)[f"{src}:3"]


def test_a_fifo_jsonl_without_a_writer_does_not_hang(tmp_path):
    """Reading packets from a named pipe nobody writes to ends at once (it holds no packets)."""
    fifo = tmp_path / "pipe.jsonl"
    os.mkfifo(fifo)
    out = tmp_path / "out.jsonl"
    r = _batch([GOOD[0], fifo, "--out", out], timeout=30)
    assert r.returncode == 0, r.stderr
    assert len(_lines(out)) == 1


def test_a_file_that_vanishes_after_listing(tmp_path, run_cli, monkeypatch):
    """Listed, then deleted before a worker reads it (another job cleaning up): an error line in its
    place, in order, and the run goes on."""
    d = tmp_path / "in"
    d.mkdir()
    for i in range(5):
        (d / f"p{i}.yaml").write_bytes(GOOD[i % 2].read_bytes())
    real = inputs_mod.iter_inputs

    def listing_then_delete(paths, stdin=None, **kw):
        for item in real(paths, stdin, **kw):
            yield item
            if item.source.endswith("p2.yaml"):
                os.unlink(item.source)  # gone after the listing, before load_item reads it

    monkeypatch.setattr(batch_mod, "iter_inputs", listing_then_delete)
    out = tmp_path / "out.jsonl"
    run_cli("batch", d, "--out", out, "--jobs", "1", "--quiet", exit_code=3)
    lines = _lines(out)
    assert len(lines) == 5
    assert [x["source"] for x in lines] == [str(d / f"p{i}.yaml") for i in range(5)]
    assert ["error" in x for x in lines] == [False, False, True, False, False]
    assert _errors(lines) == {str(d / "p2.yaml"): "no such file"}


def test_inputs_listing_is_lazy_so_vanishing_is_possible(tmp_path):
    """iter_inputs lists a file without reading it; load_item then reports it missing, cleanly."""
    from engine.base.inputs import iter_inputs, load_item
    from engine.base.loader import ParseFailure

    p = tmp_path / "p.yaml"
    p.write_bytes(GOOD[0].read_bytes())
    (item,) = list(iter_inputs([str(tmp_path)]))
    p.unlink()
    with pytest.raises(ParseFailure) as info:
        load_item(item, 1 << 20)
    assert info.value.problem.message == "no such file"


def _partial_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.glob(".out.jsonl.*.partial"))


@pytest.mark.parametrize("progress", [1, 200_000, 800_000])
def test_sigterm_to_the_process_group(tmp_path, progress):
    """`timeout`, a CI cancel or systemd stop the whole process group. Sent while results stream in
    (the worst moment), it once hung about half the runs for good (a worker killed mid-message)
    and printed a traceback per worker. Now: exit 130, no traceback, no partial file, no hang."""
    src = tmp_path / "many.jsonl"
    src.write_text((_packet_json() + "\n") * 6000, encoding="utf-8")
    out = tmp_path / "out.jsonl"
    proc = subprocess.Popen([*LADDER, "batch", str(src), "--out", str(out), "--jobs", "4", "--quiet"],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.monotonic() + 60
    while proc.poll() is None and _partial_size(tmp_path) < progress and time.monotonic() < deadline:
        time.sleep(0.005)
    if proc.poll() is not None:
        pytest.fail("the batch finished before the signal could be sent (make the input larger)")
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        _, err = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        pytest.fail("ladder batch hung after SIGTERM to its process group")
    assert b"Traceback" not in err, err.decode()[-2000:]
    assert proc.returncode == 130, err.decode()[-2000:]
    assert b"no output file was written" in err
    assert not out.exists()
    assert not _partial_size(tmp_path)


def test_an_unexpected_bug_is_one_line_and_exit_70(monkeypatch, capsys):
    """A bug that escapes every handler still never shows the user a traceback."""
    import cli
    from engine import commands

    def boom(*args, **kwargs):
        raise ZeroDivisionError("secret packet text")

    monkeypatch.setattr(commands, "evaluate", boom)
    monkeypatch.setattr(sys, "argv", ["ladder", "evaluate", "whatever.yaml"])
    monkeypatch.delenv("LADDER_DEBUG", raising=False)
    with pytest.raises(SystemExit) as exc:
        cli.run()
    assert exc.value.code == 70
    err = capsys.readouterr().err
    assert "internal error (ZeroDivisionError)" in err
    assert "Traceback" not in err and "secret packet text" not in err
