"""Bring your own ladder (issue 15): a company's pack is the authority on its levels, tracks and
sources, and works end to end (validate, evaluate, batch, rules test, audit) with no workaround.

examples/kestrel is such a pack: four levels with digits in their ids, its own track and its own
source labels."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from engine.rules import load_rules
from engine.schema import bundled_packet_schema

from conftest import ROOT

KESTREL = ROOT / "examples" / "kestrel"
KRULES = KESTREL / "rules"
KFIX = KESTREL / "fixtures"
TODAY = "2026-06-30"


def kpacket(tmp_path: Path, name: str = "p.yaml", **cand) -> Path:
    data = {"schema_version": 1,
            "candidate": {"id": "kw-9", "current_level": "product-l1", "target_level": "product-l2", **cand},
            "period": {"start": "2025-01-01", "end": "2025-12-31"},
            "evidence": [{"id": "e1", "type": "shipped_outcome", "date": "2025-03-01", "title": "Saved searches",
                          "role": "led", "scope": "feature", "on_time": True}]}
    data["candidate"] = {k: v for k, v in data["candidate"].items() if v is not None}
    p = tmp_path / name
    p.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return p


# -- the pack is the authority ------------------------------------------------------------------
def test_bundled_pack_keeps_the_bundled_schema_byte_for_byte():
    """Specialising by the bundled ladder changes nothing: every recorded schema_version still replays."""
    assert load_rules().packet_schema.data == bundled_packet_schema().data
    assert load_rules().packet_schema.version == bundled_packet_schema().version


def test_pack_schema_takes_the_packs_levels_and_tracks():
    schema = load_rules(KRULES).packet_schema.data
    cand = schema["properties"]["candidate"]["properties"]
    assert cand["track"]["enum"] == ["product"]
    assert cand["current_level"]["pattern"] == cand["target_level"]["pattern"] == "^[a-z][a-z0-9-]*$"


def test_level_ids_with_digits_and_the_packs_track_validate(tmp_path, run_cli):
    p = kpacket(tmp_path, track="product")
    run_cli("validate", p, "--rules", KRULES, "--today", TODAY)
    r = run_cli("evaluate", p, "--rules", KRULES, "--today", TODAY, "--format", "json")
    v = json.loads(r.stdout)
    assert (v["track"], v["current_level"], v["target_level"]) == ("product", "product-l1", "product-l2")


def test_the_bundled_ladder_still_rejects_digits_with_its_own_message(tmp_path, run_cli):
    """The bundled pack has no digits in its ids: its packets are checked exactly as before."""
    p = kpacket(tmp_path)
    r = run_cli("validate", p, "--today", TODAY, exit_code=3)
    assert "'product-l1' is not a level id: use lower-case letters and '-' (e.g. senior-pm)" in r.stdout + r.stderr


def test_unknown_level_hint_lists_ids_a_packet_can_use(tmp_path, run_cli):
    p = kpacket(tmp_path, current_level="product-l9")
    r = run_cli("validate", p, "--rules", KRULES, "--today", TODAY, exit_code=3)
    out = r.stdout + r.stderr
    assert "unknown level 'product-l9'" in out
    assert "(known: product-l1, product-l2, product-l3, product-l4, or external)" in out


def test_a_track_the_pack_does_not_have_is_rejected_naming_the_packs_tracks(tmp_path, run_cli):
    p = kpacket(tmp_path, track="management")
    r = run_cli("validate", p, "--rules", KRULES, "--today", TODAY, exit_code=3)
    assert "'management' is not allowed for track (one of: product)" in r.stdout + r.stderr


def test_track_option_on_evaluate_and_batch(tmp_path, run_cli):
    """--track judges on another track of the ladder; an unknown one is a usage error (exit 2)."""
    fx = ROOT / "fixtures" / "noor-ashgrove-mid-to-senior-ready.yaml"
    v = json.loads(run_cli("evaluate", fx, "--track", "ic", "--format", "json", "--no-plan").stdout)
    assert v["track"] == "ic"
    out = tmp_path / "out.jsonl"
    run_cli("batch", fx, "--track", "ic", "--out", out, "--jobs", "1", "--quiet", "--no-plan")
    assert json.loads(out.read_text().splitlines()[0])["track"] == "ic"
    r = run_cli("evaluate", fx, "--track", "icc", exit_code=2)
    assert "--track: unknown track 'icc'; did you mean 'ic'? (this ladder's tracks: management, ic)" in r.stderr
    run_cli("batch", fx, "--track", "nope", "--out", out, "--jobs", "1", exit_code=2)


def test_track_option_that_does_not_hold_the_target_is_located_on_the_command_line(tmp_path, run_cli):
    fx = ROOT / "fixtures" / "linnea-quillfeather-apm-to-mid-ready.yaml"
    r = run_cli("evaluate", fx, "--track", "ic", "--target", "director", exit_code=3)
    assert "director is not on the ic track (it is on: management)" in r.stdout + r.stderr
    assert "/candidate/track" not in r.stdout + r.stderr


# -- sources ------------------------------------------------------------------------------------
def _copy_pack(tmp_path: Path) -> Path:
    d = tmp_path / "rules"
    shutil.copytree(KRULES, d)
    return d


def test_source_is_free_text_without_a_source_pattern(tmp_path, run_cli):
    d = _copy_pack(tmp_path)
    lad = d / "ladder.yaml"
    lad.write_text("\n".join(ln for ln in lad.read_text().splitlines() if not ln.startswith("source_")) + "\n")
    f = d / "product-l1.yaml"
    f.write_text(f.read_text().replace('"PM1 — Delivery"', '"Our handbook, chapter 2 (delivery)"'))
    run_cli("rules", "lint", "--rules", d)


def test_a_source_outside_the_packs_pattern_is_a_located_error_with_its_example(tmp_path, run_cli):
    d = _copy_pack(tmp_path)
    f = d / "product-l1.yaml"
    f.write_text(f.read_text().replace('"PM1 — Delivery"', '"Level 1 · Delivery"'))
    line = next(i for i, ln in enumerate(f.read_text().splitlines(), 1) if "Level 1 · Delivery" in ln)
    r = run_cli("rules", "lint", "--rules", d, exit_code=4)
    assert (f"{f}:{line}: /criteria/0/source: source 'Level 1 · Delivery' is not in this ladder's form for "
            "sources (ladder.yaml source_pattern); e.g. 'PM2 — Delivery'") in r.stderr


def test_the_bundled_pack_keeps_its_source_pattern(tmp_path, run_cli):
    d = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", d)
    f = d / "mid-pm.yaml"
    f.write_text(f.read_text().replace('"Level 1 · What success looks like"', '"Level 7 · Nowhere"', 1))
    r = run_cli("rules", "lint", "--rules", d, exit_code=4)
    assert "source 'Level 7 · Nowhere' is not in this ladder's form" in r.stderr


def test_a_bad_source_pattern_is_a_located_error(tmp_path, run_cli):
    d = _copy_pack(tmp_path)
    lad = d / "ladder.yaml"
    lad.write_text(lad.read_text().replace('source_pattern: "^(PM', 'source_pattern: "^((PM'))
    r = run_cli("rules", "lint", "--rules", d, exit_code=4)
    assert f"{lad}:5: /source_pattern: not a valid regular expression" in r.stderr


def test_lint_says_when_the_packet_schema_rejects_the_packs_own_ids(tmp_path, run_cli):
    """A packet schema beside the rules folder that cannot hold the pack's ids: every packet naming
    them would be rejected, so lint says so on the level's line."""
    d = _copy_pack(tmp_path)
    schema = json.loads((ROOT / "schemas" / "packet.schema.json").read_text())
    schema["properties"]["candidate"]["properties"]["current_level"]["pattern"] = "^[a-z]+$"
    (tmp_path / "schemas").mkdir()
    (tmp_path / "schemas" / "packet.schema.json").write_text(json.dumps(schema))
    r = run_cli("rules", "lint", "--rules", d, exit_code=4)
    line = next(i for i, ln in enumerate((d / "ladder.yaml").read_text().splitlines(), 1) if "id: product-l1" in ln)
    assert (f"{d / 'ladder.yaml'}:{line}: the packet schema rejects 'product-l1' (level id) as a candidate's "
            "current_level: no packet could name it") in r.stderr


# -- the example pack end to end ---------------------------------------------------------------
def test_example_pack_lints_clean(run_cli):
    r = run_cli("rules", "lint", "--rules", KRULES)
    assert "rules ok" in r.stdout


def test_example_pack_rules_test_passes(run_cli):
    r = run_cli("rules", "test", "--rules", KRULES)
    assert "0 failed" in r.stdout


@pytest.mark.parametrize("fixture", sorted(p.name for p in KFIX.glob("*.yaml")))
def test_example_fixtures_validate_and_evaluate_to_the_verdict_in_their_name(fixture, run_cli):
    f = KFIX / fixture
    run_cli("validate", f, "--rules", KRULES)
    v = json.loads(run_cli("evaluate", f, "--rules", KRULES, "--format", "json").stdout)
    want = {"ready": "ready", "not-ready": "not_ready", "insufficient": "insufficient_evidence"}
    suffix = next(k for k in ("not-ready", "insufficient", "ready") if f.stem.endswith(k))
    assert v["verdict"] == want[suffix]
    assert v["target_level"].startswith("product-l") and v["track"] == "product"


def test_example_pack_batches(tmp_path, run_cli):
    out = tmp_path / "out.jsonl"
    run_cli("batch", KFIX, "--rules", KRULES, "--out", out, "--jobs", "2", "--quiet")
    lines = [json.loads(ln) for ln in out.read_text().splitlines()]
    assert len(lines) == len(list(KFIX.glob("*.yaml"))) and all("verdict" in ln for ln in lines)
    # verdicts print ids a packet can use: each one pasted back in validates
    for ln in lines:
        p = kpacket(tmp_path, current_level=ln["current_level"], target_level=ln["target_level"])
        run_cli("validate", p, "--rules", KRULES, "--today", TODAY)
