"""The batch run (engine/committee/batch.py): its summary's counts and the cut of its lists at
MAX_FAILED, and what a redacted run's workers send back. Written against the survivors of a
mutation run (docs/development.md)."""
from __future__ import annotations

import types

import pytest

from engine.committee import batch
from engine.committee.batch import BatchOptions, Outcome, Summary
from engine.base.inputs import iter_inputs

from conftest import FIXTURES


def _bad(i: int) -> Outcome:
    return Outcome("", False, None, source=f"p{i:02d}.yaml", reason=f"problem {i}")


@pytest.mark.parametrize("n", [1, 19, 20, 21, 45])
def test_the_summary_counts_every_invalid_packet_and_lists_the_first_twenty(n):
    s = Summary()
    for i in range(n):
        s.add(_bad(i))
    text = s.text()
    assert text.splitlines()[0] == (f"{n} packet(s): 0 ready, 0 not_ready, 0 insufficient_evidence, "
                                    f"{n} could not be evaluated")
    listed = [ln for ln in text.splitlines() if ln.startswith("  p")]
    assert listed == [f"  p{i:02d}.yaml: problem {i}" for i in range(min(n, Summary.MAX_FAILED))]
    more = [ln for ln in text.splitlines() if ln.startswith("  ... and")]
    assert more == ([f"  ... and {n - Summary.MAX_FAILED} more (each has an error line)"] if n > 20 else [])


@pytest.mark.parametrize("n", [20, 21])
def test_repeated_candidates_are_listed_up_to_twenty(n):
    s = Summary()
    for i in range(n):
        for copy in ("a", "b"):
            s.add(Outcome("{}", True, f"c{i:02d}", source=f"{copy}{i:02d}.yaml", verdict="ready", target="senior-pm"))
    lines = s.text().splitlines()
    named = [ln for ln in lines if ln.startswith("  c")]
    assert named == [f"  c{i:02d}: a{i:02d}.yaml, b{i:02d}.yaml" for i in range(20)]
    assert lines[1] == (f"{n} candidate id(s) in more than one input, counted once (by the first evaluated); "
                        f'{n} later input(s) left out of the verdict counts, flagged on every line ("also_in"):')
    assert lines[0].startswith(f"{2 * n} packet(s): {n} ready,")


def test_later_inputs_are_counted_per_candidate():
    """One candidate in three inputs and another in two: three later inputs left out."""
    s = Summary()
    for cid, copies in (("c1", 3), ("c2", 2), ("c3", 1)):
        for k in range(copies):
            s.add(Outcome("{}", True, cid, source=f"{cid}-{k}.yaml", verdict="ready", target="senior-pm"))
    assert "2 candidate id(s) in more than one input, counted once (by the first evaluated); 3 later input(s)" \
        in s.text()
    assert "flagged on each later line, as streamed" in s.text(streamed=True)


def _shared_summary() -> Summary:
    s = Summary()
    for cid in ("c1", "c2"):
        s.add(Outcome("{}", True, cid, source=f"{cid}.yaml", verdict="ready", target="senior-pm",
                      claims=[("e1", "fp-launch")]))
    return s


def test_shared_outcomes_are_said_to_be_named_here_only_when_streamed():
    flagged = [ln for ln in _shared_summary().text().splitlines() if "claimed by more than one" in ln]
    assert flagged == ['1 outcome(s) claimed by more than one candidate (co-owners are real; the committee decides), '
                       'flagged on each of their lines ("shared_outcomes"):']
    streamed = _shared_summary().text(streamed=True).splitlines()
    i = next(i for i, ln in enumerate(streamed) if "claimed by more than one" in ln)
    assert streamed[i] == ("1 outcome(s) claimed by more than one candidate (co-owners are real; the committee "
                           "decides), named here only (streamed lines cannot know a later claim; --out FILE flags "
                           'each line) ("shared_outcomes"):')
    assert streamed[i + 1:] == _shared_summary().text().splitlines()[i + 1:]  # the lines under it unchanged


def _clock(monkeypatch, times):
    """batch's clock (only batch's) reads these times in turn, then stays at the last."""
    left = list(times)

    def monotonic():
        return left.pop(0) if len(left) > 1 else left[0]

    monkeypatch.setattr(batch, "time", types.SimpleNamespace(monotonic=monotonic))


class _Stream:
    def __init__(self):
        self.calls: list[str] = []

    def write(self, text):
        self.calls.append(text)

    def flush(self):
        self.calls.append("<flush>")


def test_the_progress_bar_draws_at_most_ten_times_a_second_and_always_the_last(monkeypatch):
    _clock(monkeypatch, [100.0, 100.5, 100.55, 100.7, 100.71])
    out = _Stream()
    bar = batch.Progress(True, 4, out)  # started at 100.0
    bar.tick()  # 100.5: 1 of 4 in 0.5 s
    bar.tick()  # 100.55: too soon after the last drawing, not the last packet: not drawn
    bar.tick()  # 100.7
    bar.tick()  # 100.71: soon, but the last packet: drawn
    bar.finish()
    assert out.calls == [
        "\r[######..................] 1/4 2/s ETA 2s ", "<flush>",
        "\r[##################......] 3/4 4/s ETA 0s ", "<flush>",
        "\r[########################] 4/4 6/s ETA 0s ", "<flush>",
        "\n", "<flush>",
    ]


def test_a_bar_without_a_total_counts_and_a_disabled_one_says_nothing(monkeypatch):
    _clock(monkeypatch, [10.0, 11.0, 11.05, 12.0])
    out = _Stream()
    bar = batch.Progress(True, None, out)  # started at 10.0
    bar.tick()  # 11.0: one in 1 s
    bar.tick()  # 11.05: too soon
    bar.tick()  # 12.0: three in 2 s
    assert out.calls == ["\r1 done 1/s ", "<flush>", "\r3 done 2/s ", "<flush>"]
    _clock(monkeypatch, [50.0])
    quiet = _Stream()
    off = batch.Progress(False, 3, quiet)
    off.tick()
    off.finish()
    assert quiet.calls == [] and off.done == 1


def test_a_redacted_run_sends_no_title_back_from_its_workers():
    """--redact with --html: the report is told no evidence title, so none leaves the worker."""
    item = next(iter(iter_inputs([str(FIXTURES / "noor-ashgrove-mid-to-senior-ready.yaml")])))
    try:
        batch._init_worker(BatchOptions(titles=True, today="2026-11-30"))
        assert batch.process_item(item).titles  # asked for, and not redacted: sent
        batch._init_worker(BatchOptions(titles=True, redact=True, today="2026-11-30"))
        assert batch.process_item(item).titles is None
        batch._init_worker(BatchOptions(today="2026-11-30"))
        assert batch.process_item(item).titles is None  # not asked for
    finally:
        batch._WORKER.clear()
