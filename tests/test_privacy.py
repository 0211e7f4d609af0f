"""Promotion evidence is personal data (issue 6).

`--redact` leaves names and free text (titles, quotes, notes, links, a feedback giver's role,
metric names) out of every output format of `evaluate` and `batch`. Problem reports are printed
to terminals and CI logs, so they name files, paths and fields and never repeat free text, even
when the free text is what is wrong. The fixtures describe fictional people only.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from conftest import FIXTURES
from engine.core.evidence import FREE_TEXT_KEYS
from engine.base.loader import load_file

PACKETS = sorted(FIXTURES.glob("*.yaml"))
READY = next(p for p in PACKETS if p.stem.endswith("-ready"))  # met criteria cite titles
NAME = "Zebediah Quillon-Marsh"


def _secret_packet(source: Path) -> tuple[dict, list[str]]:
    """The packet with every free-text value replaced by a unique marker; returns the markers."""
    data = load_file(source).data
    markers: list[str] = []

    def mark(kind: str) -> str:
        markers.append(f"SECRET-{kind}-{len(markers):03d}")
        return markers[-1]

    def walk(node, parent: str = "") -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                free = k in FREE_TEXT_KEYS or (parent == "from" and k == "role")
                if free and isinstance(v, str):
                    node[k] = mark(k)
                elif free and isinstance(v, list):
                    node[k] = [mark(k) for _ in v]
                else:
                    walk(v, k)
        elif isinstance(node, list):
            for v in node:
                walk(v, parent)

    walk(data["evidence"])
    data["candidate"]["name"] = NAME
    return data, markers


@pytest.fixture
def secret(tmp_path) -> tuple[Path, list[str]]:
    data, markers = _secret_packet(READY)
    p = tmp_path / "packet.json"
    p.write_text(json.dumps(data), encoding="utf-8")
    assert any(m.startswith("SECRET-title") for m in markers) and any("quote" in m for m in markers)
    return p, markers


@pytest.mark.parametrize("fmt", ["text", "json", "markdown"])
def test_evaluate_redact_drops_names_and_free_text(secret, run_cli, fmt):
    """Without --redact the name (and cited titles) show; with it, no name and no free text at all."""
    path, markers = secret
    plain = run_cli("evaluate", path, "--format", fmt).stdout
    assert NAME in plain  # the check below would be empty otherwise
    if fmt != "json":
        assert "SECRET-title" in plain
    redacted = run_cli("evaluate", path, "--format", fmt, "--redact").stdout
    assert NAME not in redacted and "Zebediah" not in redacted
    assert "SECRET" not in redacted, [m for m in markers if m in redacted]
    if fmt == "json":
        assert json.loads(redacted)["verdict"] == json.loads(plain)["verdict"]  # redacting changes no result


def test_batch_redact_drops_names(secret, run_cli, tmp_path):
    """Every batch line and the summary CSV: no names, no free text."""
    path, _ = secret
    out, summary = tmp_path / "out.jsonl", tmp_path / "summary.csv"
    run_cli("batch", path, *PACKETS[:3], "--out", out, "--summary", summary, "--redact", "--quiet")
    text = out.read_text(encoding="utf-8") + summary.read_text(encoding="utf-8")
    assert NAME not in text and "SECRET" not in text
    for p in PACKETS[:3]:
        name = load_file(p).data["candidate"].get("name")
        assert not name or name not in text
    assert all("name" not in json.loads(line)["candidate"] for line in out.read_text().splitlines())
    plain = tmp_path / "plain.jsonl"
    run_cli("batch", path, "--out", plain, "--quiet")
    assert NAME in plain.read_text(encoding="utf-8")


# Free text in the wrong shape, the wrong size or the wrong place: the report says what and
# where, never the words.
SENTENCE = "Secret Person is on a PIP"  # short enough (<= 40 characters) to have been echoed
BROKEN = {
    "title-too-long": lambda d: d["evidence"][0].update(title=SENTENCE * 10),
    "title-a-list": lambda d: d["evidence"][0].update(title=[SENTENCE]),
    "quote-a-mapping": lambda d: d["evidence"].append(
        {"id": "q1", "type": "stakeholder_feedback", "date": "2026-01-05", "rating": 4,
         "from": {"relationship": "peer", "role": {"who": SENTENCE}}, "quote": {"text": SENTENCE}}),
    "notes-a-number-key": lambda d: d["evidence"][0].update(notes={SENTENCE: 1}),
    "name-too-long": lambda d: d["candidate"].update(name=SENTENCE * 10),
    "name-a-list": lambda d: d["candidate"].update(name=[SENTENCE]),
    "candidate-a-sentence": lambda d: d.update(candidate=SENTENCE),
    "evidence-a-sentence": lambda d: d.update(evidence=SENTENCE),
    "theme-a-sentence": lambda d: d["evidence"][0].update(themes=[SENTENCE]),
    "level-a-sentence": lambda d: d["candidate"].update(current_level=SENTENCE),
    "role-a-sentence": lambda d: d["evidence"][0].update(role=SENTENCE),
    "id-a-sentence": lambda d: d["evidence"][0].update(id=SENTENCE),
    "metric-name-too-long": lambda d: d["evidence"][0].update(metrics=[{"name": SENTENCE * 5, "kind": "user"}]),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_problems_never_echo_free_text(case, run_cli, tmp_path):
    """validate (text and json) and a batch error line name the path, not the content."""
    data = load_file(READY).data
    BROKEN[case](data)
    p = tmp_path / "p.yaml"
    p.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    for fmt in ("text", "json"):
        r = run_cli("validate", "--format", fmt, p, exit_code=3)
        assert "Secret Person" not in r.stdout + r.stderr, r.stdout
        assert "on a PIP" not in r.stdout + r.stderr
    out = tmp_path / "out.jsonl"
    run_cli("batch", p, "--out", out, "--quiet", exit_code=3)
    line = out.read_text(encoding="utf-8")
    assert "error" in json.loads(line) and "Secret Person" not in line


def test_problems_still_say_where(run_cli, tmp_path):
    """Not echoing is no excuse for vagueness: the path and what is wrong are still there."""
    data = load_file(READY).data
    data["evidence"][0]["title"] = SENTENCE * 10
    data["candidate"]["current_level"] = SENTENCE
    p = tmp_path / "p.json"
    p.write_text(json.dumps(data), encoding="utf-8")
    out = run_cli("validate", p, exit_code=3).stdout
    assert "/evidence/0/title: is longer than 200 characters" in out
    assert "/candidate/current_level: a 25-character string is not a level id" in out


# A weak check, but it catches a pasted real example: no fixture is about a famous person.
FAMOUS = {
    "steve jobs", "bill gates", "elon musk", "jeff bezos", "mark zuckerberg", "sundar pichai", "satya nadella",
    "tim cook", "marissa mayer", "sheryl sandberg", "susan wojcicki", "larry page", "sergey brin",
    "jack dorsey", "reed hastings", "brian chesky", "marty cagan", "ken norton", "julie zhuo",
    "shreyas doshi", "lenny rachitsky", "melissa perri", "teresa torres", "ada lovelace", "grace hopper",
    "alan turing", "barack obama", "taylor swift", "oprah winfrey", "jensen huang", "sam altman",
}


def test_fixtures_use_fictional_people():
    """Fixture candidates are invented; none is a well-known real person (a weak, cheap guard)."""
    names = []
    for p in PACKETS + sorted((FIXTURES / "invalid").glob("*.yaml")):
        try:
            cand = load_file(p).data.get("candidate") or {}
        except Exception:  # noqa: BLE001 - broken fixtures are broken on purpose
            continue
        if isinstance(cand, dict) and isinstance(cand.get("name"), str):
            names.append(cand["name"])
    assert len(names) >= len(PACKETS) // 2
    assert not {n.lower() for n in names} & FAMOUS


def test_batch_redact_covers_source_paths(tmp_path, run_cli):
    """A file named after a person is personal data: with --redact, batch lines, the summary CSV
    and stderr name each input `input-N` (`input-N:LINE` for a JSONL line) instead of its path,
    the same N for the same file everywhere, and the same run to run."""
    person = tmp_path / "zebediah-quillon-marsh.yaml"
    person.write_bytes(PACKETS[0].read_bytes())
    jsonl = tmp_path / "ada-obi-cycle.jsonl"
    jsonl.write_text(json.dumps(load_file(PACKETS[1]).data) + "\n{not json\n", encoding="utf-8")
    gone = tmp_path / "bob-smith.yaml"
    outs = []
    for run in ("first", "second"):
        out, csv = tmp_path / f"{run}.jsonl", tmp_path / f"{run}.csv"
        r = run_cli("batch", person, jsonl, gone, "--out", out, "--summary", csv, "--redact", "--quiet", exit_code=3)
        text = out.read_text(encoding="utf-8") + csv.read_text(encoding="utf-8") + r.stderr
        for name in ("zebediah", "ada-obi", "bob-smith", str(tmp_path)):
            assert name not in text, name
        outs.append(out.read_bytes() + csv.read_bytes())
        rows = csv.read_text().splitlines()
        at = rows[0].split(",").index("source")
        sources = [row.split(",")[at] for row in rows[1:]]
        assert all(row.split(",")[rows[0].split(",").index("name")] == "" for row in rows[1:])  # no names either
        assert sources == ["input-1", "input-2:1", "input-2:2", "input-3"]
        errors = [json.loads(line)["source"] for line in out.read_text().splitlines() if "error" in line]
        assert errors == ["input-2:2", "input-3"]
    assert outs[0] == outs[1]
