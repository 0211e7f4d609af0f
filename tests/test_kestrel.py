"""examples/kestrel uses every construct of issue 28 (examples/kestrel/README.md lists them): this file
holds the fixtures of the two it gained last, recurring work (the pack's integrity policy,
`does_not_recur`) and fields of its own on a bundled object field (`from.stage`, `from.org`), their
verdicts, the policy and the vocabulary as what decides them, and the bundled ladder unaffected."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import yaml

from engine.base.loader import load_file
from engine.book.compiler import compile_path
from engine.book.integrity import DEFAULT_ONCE
from engine.book.rules import load_rules
from engine.book.schema import bundled_packet_schema
from engine.core.evidence import check_document
from engine.core.facts import build_facts

from conftest import FIXTURES, ROOT

KESTREL = ROOT / "examples" / "kestrel"
KRULES = KESTREL / "rules"
KFIX = KESTREL / "fixtures"


def _verdict(run_cli, fixture: Path, rules: Path = KRULES) -> dict:
    return json.loads(run_cli("evaluate", fixture, "--rules", rules, "--format", "json", "--no-plan").stdout)


def _criterion(v: dict, cid: str) -> dict:
    return next(c for c in v["criteria"] if c["id"] == cid)


def _pack_with_once(tmp_path: Path, name: str, types: list[str]) -> Path:
    """A copy of the pack whose does_not_recur lists `types` (a folder of its own: rule books are
    cached by folder)."""
    d = tmp_path / name
    shutil.copytree(KRULES, d)
    f = d / "ladder.yaml"
    text = f.read_text(encoding="utf-8")
    old = "    types: [shipped_outcome, decision, org_initiative, experiment]\n"
    assert old in text
    f.write_text(text.replace(old, f"    types: [{', '.join(types)}]\n"), encoding="utf-8")
    return d


# -- recurring work: the pack's integrity policy -------------------------------------------------
def test_the_pack_says_what_does_not_recur():
    once = load_rules(KRULES).integrity.once
    assert once == frozenset({"shipped_outcome", "decision", "org_initiative", "experiment"})
    assert "artifact" not in once and "experiment" not in DEFAULT_ONCE  # its own type, beyond the default


def test_three_monthly_updates_under_one_title_are_three_months(run_cli):
    v = _verdict(run_cli, KFIX / "lu-l1-to-l2-ready.yaml")
    c = _criterion(v, "product-l2.monthly-update")
    assert (v["verdict"], c["status"], c["evidence"]) == ("ready", "met", ["ev-5", "ev-6", "ev-7"])
    assert v["warnings"] == []


def test_one_launch_under_its_title_twice_counts_once(run_cli):
    v = _verdict(run_cli, KFIX / "mo-l1-to-l2-not-ready.yaml")
    c = _criterion(v, "product-l2.ships-on-time")
    assert (v["verdict"], c["status"]) == ("not_ready", "unmet")
    assert "found 2 (ev-1, ev-2), which count as 1: some repeat one another" in c["reason"]
    assert [(w["path"], w["kind"]) for w in v["warnings"]] == [("/evidence/1", "integrity")]
    assert "Drop-off" not in json.dumps(v["warnings"])  # the title is free text: never in a message
    assert _criterion(v, "product-l2.monthly-update")["status"] == "met"  # the updates still recur


def test_the_policy_decides_it_not_the_rules(tmp_path, run_cli):
    """The same rules under another does_not_recur: updates that do not recur are one update in one
    month (lu not ready); launches that recur are two (mo ready)."""
    no_updates = _pack_with_once(tmp_path, "updates-once", ["shipped_outcome", "decision", "org_initiative",
                                                            "experiment", "artifact"])
    v = _verdict(run_cli, KFIX / "lu-l1-to-l2-ready.yaml", no_updates)
    c = _criterion(v, "product-l2.monthly-update")
    assert (v["verdict"], c["status"]) == ("not_ready", "unmet")
    assert "which count as 1: some repeat one another" in c["reason"]
    launches_recur = _pack_with_once(tmp_path, "launches-recur", ["decision", "org_initiative", "experiment"])
    v = _verdict(run_cli, KFIX / "mo-l1-to-l2-not-ready.yaml", launches_recur)
    assert (v["verdict"], _criterion(v, "product-l2.ships-on-time")["status"], v["warnings"]) == ("ready", "met", [])


def test_recurring_work_compiles_alike_and_differs_in_the_facts_repeat_group(tmp_path):
    """docs/rules.md, "How rules compile": the policy changes no compiled rule; it changes which
    facts carry a `_grp` (the least id of the records that repeat one another)."""
    book = load_rules(KRULES)
    other = load_rules(_pack_with_once(tmp_path, "updates-once", ["shipped_outcome", "decision", "org_initiative",
                                                                  "experiment", "artifact"]))
    assert compile_path(book, ("product-l2",)).rules == compile_path(other, ("product-l2",)).rules

    def groups(b, name: str) -> dict[str, str]:
        packet = check_document(load_file(KFIX / f"{name}.yaml"), b)
        return {f["eid"]: f["_grp"] for f in build_facts(packet, b, ("product-l2",)) if "_grp" in f}

    assert groups(book, "lu-l1-to-l2-ready") == {}
    assert groups(other, "lu-l1-to-l2-ready") == {"ev-5": "ev-5", "ev-6": "ev-5", "ev-7": "ev-5"}
    assert groups(book, "mo-l1-to-l2-not-ready") == {"ev-1": "ev-1", "ev-2": "ev-1"}


def _doc_blocks() -> tuple[list[dict], list[list[dict]]]:
    """docs/rules.md's json blocks: compiled rules (`"n1": {...}, "d1": {...}`) and lists of facts
    (one object a line)."""
    import re

    rules, facts = [], []
    for block in re.findall(r"```json\n(.*?)```", (ROOT / "docs" / "rules.md").read_text(encoding="utf-8"), re.S):
        try:
            rules.append(json.loads("{" + block + "}"))
        except json.JSONDecodeError:
            try:
                facts.append([json.loads(line) for line in block.splitlines() if line.strip()])
            except json.JSONDecodeError:
                pass
    return rules, facts


def test_docs_show_kestrels_compiled_rules_and_facts_as_they_are(tmp_path):
    """The compiled forms and the facts docs/rules.md shows for the nested fields and for recurring
    work are the compiler's and build_facts' own output."""
    book = load_rules(KRULES)
    rules, facts = _doc_blocks()
    for level, cids in [("product-l2", ["product-l2.monthly-update", "product-l2.ships-on-time"]),
                        ("product-l3", ["product-l3.across-stages"]), ("product-l4", ["product-l4.backed-by-leaders"])]:
        rs = compile_path(book, (level,))
        want = {k: v for cid in cids for k, v in rs.rules.items() if k in (f"n{rs.roots[cid]}", f"d{rs.roots[cid]}")}
        assert want in rules, level
    assert compile_path(book, ("product-l2",)).name == "ladder:product-l2#ac81c82c7e396e3e"  # (docs/rules.md)
    other = load_rules(_pack_with_once(tmp_path, "updates-once", ["shipped_outcome", "decision", "org_initiative",
                                                                  "experiment", "artifact"]))
    for b, fx, pick in [(book, "lu", "artifact"), (other, "lu", "artifact"), (book, "mo", "shipped_outcome")]:
        name = next(p for p in KFIX.glob(f"{fx}-*.yaml"))
        got = [f for f in build_facts(check_document(load_file(name), b), b, ("product-l2",))
               if f["type"] == pick and (pick != "artifact" or f.get("kind") == "status-update")]
        assert got in facts, (fx, pick)


# -- fields of the pack's own on a bundled object field -------------------------------------------
def test_feedback_from_two_stages_meets_across_stages_and_from_one_does_not(run_cli):
    v = _verdict(run_cli, KFIX / "nia-pm2-to-l3-ready.yaml")
    assert (v["verdict"], _criterion(v, "product-l3.across-stages")["status"]) == ("ready", "met")
    v = _verdict(run_cli, KFIX / "oz-pm2-to-l3-not-ready.yaml")
    c = _criterion(v, "product-l3.across-stages")
    assert (v["verdict"], c["status"]) == ("not_ready", "unmet")
    assert "found 1 from.stage value across ev-2, ev-3, from 2 different people" in c["reason"]


def test_one_giver_in_two_stages_is_one_voice(tmp_path, run_cli):
    """across-stages asks for two people as well as two stages."""
    data = yaml.safe_load((KFIX / "nia-pm2-to-l3-ready.yaml").read_text(encoding="utf-8"))
    data["evidence"][2]["from"]["id"] = data["evidence"][1]["from"]["id"]
    p = tmp_path / "one-giver.yaml"
    p.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    c = _criterion(_verdict(run_cli, p), "product-l3.across-stages")
    assert c["status"] == "unmet" and "from 1 person" in c["reason"]


def test_a_section_leader_meets_backed_by_leaders_and_a_group_leader_does_not(run_cli):
    v = _verdict(run_cli, KFIX / "pia-l3-to-l4-ready.yaml")
    assert (v["verdict"], _criterion(v, "product-l4.backed-by-leaders")["status"]) == ("ready", "met")
    v = _verdict(run_cli, KFIX / "quin-l3-to-l4-not-ready.yaml")
    c = _criterion(v, "product-l4.backed-by-leaders")
    assert (v["verdict"], c["status"]) == ("not_ready", "unmet")
    assert c["nearest_misses"] == [{"evidence": "ev-5", "failed": ["from.org is group; needs stage or section"]}]


def test_the_nested_fields_compile_to_plain_patterns():
    """from.org {gte: stage} is the in list of its scale's members; distinct over from.stage asks
    the record for the field and counts its values in the collector."""
    rs = compile_path(load_rules(KRULES), ("product-l4",))
    n = rs.roots["product-l4.backed-by-leaders"]
    assert {"$or": [{"from.org": "stage"}, {"from.org": "section"}]} in rs.rules[f"n{n}"]["all"][0]["e0"]["$and"]
    rs = compile_path(load_rules(KRULES), ("product-l3",))
    n = rs.roots["product-l3.across-stages"]
    terms = rs.rules[f"n{n}"]["all"][0]["e0"]["$and"]
    assert {"$ex": {"from.stage": 1}} in terms and {"$ex": {"from.id": 1}} in terms
    assert rs.nodes[n].agg == {"field": "from.stage", "distinct": 2, "n": 1, "people_field": "from.id", "people": 2}


def test_a_bad_stage_is_named_with_its_line(tmp_path, run_cli):
    text = (KFIX / "oz-pm2-to-l3-not-ready.yaml").read_text(encoding="utf-8")
    p = tmp_path / "p.yaml"
    p.write_text(text.replace("stage: billing}", "stage: bliling}", 1), encoding="utf-8")  # ev-3's
    r = run_cli("validate", p, "--rules", KRULES, exit_code=3)
    assert "p.yaml:23: /evidence/2/from/stage: 'bliling' is not allowed for stage; did you mean 'billing'?" in r.stdout


# -- the bundled ladder is unaffected ------------------------------------------------------------
def test_the_bundled_ladder_knows_none_of_it(tmp_path, run_cli):
    assert load_rules().integrity.once == frozenset(DEFAULT_ONCE)
    giver = bundled_packet_schema().data["$defs"]["stakeholder_feedback"]["properties"]["from"]
    assert not {"stage", "org"} & set(json.dumps(giver.get("properties", giver)).split('"'))
    fx = next(p for p in sorted(FIXTURES.glob("*.yaml")) if "type: stakeholder_feedback" in p.read_text(encoding="utf-8"))
    data = yaml.safe_load(fx.read_text(encoding="utf-8"))
    ev = next(e for e in data["evidence"] if e["type"] == "stakeholder_feedback")
    ev["from"]["stage"] = "billing"
    p = tmp_path / "bundled.yaml"
    p.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    run_cli("validate", p, exit_code=3)  # the pack's vocabulary is the pack's


def test_the_fixtures_pairs_claim_no_outcome_of_another(tmp_path, run_cli):
    """A not-ready fixture built like a ready one has work of its own: a batch over the folder
    finds no launch, decision or initiative claimed by two candidates (docs/rules.md, "Across
    packets"), so none is flagged as shared."""
    out = tmp_path / "out.jsonl"
    run_cli("batch", KFIX, "--rules", KRULES, "--out", out, "--quiet", exit_code=None)
    lines = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == len(list(KFIX.glob("*.yaml"))) and not any("shared_outcomes" in x for x in lines)


# -- every construct of issue 28 is used somewhere in the pack -------------------------------------
def _walk(cond: dict):
    yield cond
    for k in ("any_of", "all_of", "of"):
        for c in cond.get(k, []):
            yield from _walk(c)
    if "linked_to" in cond:
        yield from _walk(cond["linked_to"])


def test_kestrel_uses_every_construct_of_issue_28():
    raw = {p.stem: yaml.safe_load(p.read_text(encoding="utf-8")) for p in KRULES.glob("*.yaml")}
    vocab = raw["vocabulary"]
    leaves = [(cr["id"], c) for name, lv in raw.items() if name.startswith("product-")
              for cr in lv["criteria"] for c in _walk(cr["condition"])]

    def used(test) -> list[str]:
        return sorted({cid for cid, c in leaves if test(c)})

    scale_fields = {f for t in vocab["types"].values() for f, d in t["fields"].items() if d["type"] == "scale"} | {
        f for t in vocab["extend"].values() for f, d in t["fields"].items() if d["type"] == "scale"}
    assert used(lambda c: any(f in scale_fields and isinstance(p, dict) and {"gte", "gt", "lte", "lt"} & set(p)
                              for f, p in c.get("where", {}).items())) == ["product-l4.backed-by-leaders",
                                                                           "product-l4.rated-skilled"]
    assert used(lambda c: c.get("evidence") in vocab["types"] and "min_people" in c) == ["product-l4.rated-skilled"]
    assert vocab["types"]["assessment"]["person"] == "by.id"
    assert used(lambda c: "linked_to" in c) == ["product-l4.vision-from-customers"]
    nested = {f for t in vocab["extend"].values() for f in t["fields"] if "." in f}
    assert nested == {"from.stage", "from.org"}
    assert used(lambda c: c.get("distinct", {}).get("field") in nested
                or nested & set(c.get("where", {}))) == ["product-l3.across-stages", "product-l4.backed-by-leaders"]
    assert raw["ladder"]["integrity"]["does_not_recur"]["types"]
    assert used(lambda c: "regularly" in c) == ["product-l2.monthly-update", "product-l3.steady-feedback"]
    assert used(lambda c: "at_least" in c) == ["product-l3.broad-craft"]
    assert used(lambda c: isinstance(c.get("any_item"), list)) == ["product-l2.balanced-launch"]
    assert raw["product-l3"]["policy"]["min_supporting_per_aspect"] == {"craft": 1}
    # headlines for a pack of supporting criteria only do not apply: every level has required ones
    assert all(any(cr["required"] for cr in lv["criteria"]) for name, lv in raw.items() if name.startswith("product-"))
