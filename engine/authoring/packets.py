"""Help for people writing packets: the field reference (from the packet schema) and `ladder new`'s
template (from the rules, the schema and the plan).

The template is the plan for an empty packet: the records engine.core.plan synthesises and proves make
the candidate ready, so the template validates and evaluates as written, and every value in it
is one the rules accept. Every other evidence type the target's criteria use gets one example
record too, and every record lists the fields it may also have, with their allowed values.
"""

from __future__ import annotations

import json
from typing import Any

import yaml

from ..base.errors import UsageError
from ..base.loader import Document
from ..book.conditions import parts
from ..book.rules import EXTERNAL, RuleBook, leaf_types
from ..core.evidence import check_document

PERIOD = {"start": "2025-01-01", "end": "2025-12-31"}  # fixed (output is the same every day), and past


def _resolve(schema: dict, node: dict) -> dict:
    while isinstance(node, dict) and "$ref" in node:
        extra = {k: v for k, v in node.items() if k != "$ref"}
        node = {**schema["$defs"][node["$ref"].rsplit("/", 1)[-1]], **extra}
    return node


def describe(schema: dict, node: dict) -> tuple[str, str]:
    """(what the field holds, its description) in words, allowed values listed."""
    n = _resolve(schema, node)
    desc = str(n.get("description", ""))
    if "const" in n:
        return f"`{n['const']}`", desc
    if "enum" in n:
        return "one of: " + ", ".join(f"`{v}`" for v in n["enum"]), desc
    t = n.get("type")
    if t == "array":
        item = _resolve(schema, n.get("items", {}))
        what, _ = describe(schema, n.get("items", {}))
        if item.get("type") == "object":
            what = "mappings (below)"
        return f"a list of {what}" + (f" (at most {n['maxItems']})" if "maxItems" in n else ""), desc
    if t == "object":
        return "a mapping (below)", desc
    if n.get("format") == "date":
        return "a date, YYYY-MM-DD", desc
    if t == "boolean":
        return "`true` or `false`", desc
    if t in ("integer", "number"):
        word = "a whole number" if t == "integer" else "a number"
        lo, hi = n.get("minimum"), n.get("maximum")
        return word + (f" from {lo} to {hi}" if lo is not None and hi is not None else ""), desc
    if t == "string":
        if "pattern" in n:
            return f"text matching `{n['pattern']}`", desc
        return "text" + (f" (at most {n['maxLength']} characters)" if "maxLength" in n else ""), desc
    return "any value", desc


def _table(schema: dict, node: dict, heading: str, intro: str = "") -> tuple[list[str], list[tuple[str, dict]]]:
    node = _resolve(schema, node)
    req = set(node.get("required", []))
    out = [heading, ""] + ([intro, ""] if intro else [])
    out += ["| field | required | value | notes |", "|---|---|---|---|"]
    subs = []
    for name, sub in node.get("properties", {}).items():
        what, desc = describe(schema, sub)
        out.append(f"| `{name}` | {'yes' if name in req else ''} | {what} | {desc.replace('|', '/')} |")
        r = _resolve(schema, sub)
        if r.get("type") == "object" and r.get("properties"):
            subs.append((f"`{name}`", r))
        elif r.get("type") == "array" and _resolve(schema, r.get("items", {})).get("type") == "object":
            subs.append((f"each of `{name}`", _resolve(schema, r["items"])))
    if node.get("patternProperties", {}).get("^x-"):
        out.append("| `x-...` | | anything | " + node["patternProperties"]["^x-"].get("description", "") + " |")
    out.append("")
    return out, subs


def field_reference(schema: dict, source: str = "schemas/packet.schema.json") -> str:
    """docs/packets.md: every field of a packet, generated from the packet schema."""
    lines = [
        "# Writing an evidence packet: the field reference",
        "",
        f"Generated from `{source}` by `ladder schema --format markdown`; a test fails when it drifts. "
        "`ladder new --target LEVEL` prints a commented template for a level, and `ladder validate FILE` "
        "(or `-` for stdin) checks a packet, naming each problem with its line and field.",
        "",
        "A packet is YAML or JSON. The as-of date of every verdict is `period.end`. Free text "
        "(titles, notes, quotes, names) is never matched by the rules and never echoed in error messages.",
        "",
    ]
    body, subs = _table(schema, schema, "## The packet")
    lines += body
    seen = set()
    queue = [
        (f"`{k}`", _resolve(schema, v))
        for k, v in schema["properties"].items()
        if k != "evidence" and _resolve(schema, v).get("type") == "object" and _resolve(schema, v).get("properties")
    ]
    while queue:
        name, node = queue.pop(0)
        if name in seen:
            continue
        seen.add(name)
        body, more = _table(schema, node, f"### {name}")
        lines += body
        queue += more
    ev = schema["$defs"]["evidence"]
    lines += [
        "## Evidence records",
        "",
        "Every record has `id` (unique in the packet), `type`, `date` and `title`; the other fields "
        "depend on the type. Types: "
        + ", ".join(f"[`{t}`](#{t.replace('_', '-')})" for t in ev["properties"]["type"]["enum"])
        + ".",
        "",
    ]
    for branch in ev["allOf"]:
        t = branch["if"]["properties"]["type"]["const"]
        node = _resolve(schema, branch["then"])
        body, more = _table(schema, node, f"### {t}", node.get("description", ""))
        lines += body
        for name, sub in more:
            body, _ = _table(schema, sub, f"#### {t}: {name}")
            lines += body
    from ..outputs.spreadsheet import layout_reference

    lines += layout_reference()
    lines += ANCHORS_DOC
    return "\n".join(lines).rstrip() + "\n"


# What docs/packets.md says about checking a packet against the organisation's own records
# (engine.org.people, engine.org.cycles, engine.org.anchors) and about planned records (engine.core.plan).
ANCHORS_DOC = """## Checked against the organisation's records

A packet is its author's word. Two files let a committee check it against the organisation's own
records; every verdict says what it was checked against under `checked_against` (the sha256 digest
of each file's canonical content, or `null` and a plain sentence in `not_checked`), and the text
and markdown outputs say the same in a `Not checked:` line.

### The people directory (`--people FILE`)

`validate`, `evaluate`, `batch`, `report` and `reverify` take `--people FILE`: a CSV file with a
header line, or a JSON or YAML list of mappings (optionally under a top-level `people:` key).
`ladder people check FILE` checks one and prints its digest.

| column | required | value |
|---|---|---|
| `id` | yes | a person id, as in packets; ids that differ only in case, separators (`-`, `_`, `.`) or trailing punctuation are one person |
| `name` | | free text: never read, never echoed |
| `level` | yes | a level id or alias of the ladder in use, or any other role (`engineer`, `designer`, ... : lower-case letters, digits and `-`) |
| `track` | | a track of the ladder; a level must be on it |
| `manager` | | the id of the person's manager, who must be in the directory (no loops) |
| `org` | | the person's organisation |
| `status` | | `active` (the default) or `left` |
| anything else | | kept for cohort views; never read by the rules |

With a directory, a packet is invalid (exit 3, each problem located) when:

- the candidate is not in it, or `current_level`, `track` or `manager` differ from it (an internal
  candidate cannot claim `external`; someone in another role, such as an engineer, is `external`);
- a feedback giver, mentee or verifier is not in it; givers whose relationship is outside the
  company (`customer`, `partner`, and `investor`, `board`, `analyst`, `press`, `vendor` where a
  pack adds them) are external and must not be in it; an external candidate's referees (a former
  manager or colleague elsewhere) may be absent from it, but one who is in it is held to it;
- the person a pack's own evidence type names (its vocabulary's `person:`, such as an assessment's
  giver `by.id`) is not in it, as for a feedback giver; a `relationship` beside that id is held to
  the org chart as below, and one the pack lists as outside the company (`people:
  external_relationships:`) must not be in it;
- a relationship contradicts the org chart: `manager` must be in the candidate's manager chain,
  `skip-level` in the chain above the direct manager, `direct-report` must report to the
  candidate, and a `peer` is neither in the chain nor in the candidate's reporting line;
- a mentee is in the candidate's manager chain, is at another level than the record says (unless
  the record says they were promoted since), is not below the candidate's level, or is not on the
  ladder while the record counts them as a PM;
- `verified_by` names someone who has left, reports to the candidate, is the candidate's mentee in
  the packet, or whom the pack does not allow to verify: by default someone in the candidate's
  manager chain, or anyone at or above the target level (ladder.yaml `people: verifiers:`).

Without a directory the checks that need none still run: the candidate's own id (compared as
above, so `emp_0988` and `emp-0988.` are `emp-0988`) cannot give feedback, be a mentee, be the
person a pack's own type names, or verify, and a verifier cannot be a mentee or a direct report the packet itself names. A pack's
`people: {required: true}` or `--require-people` makes the directory mandatory (exit 2 without it).

### The cycle calendar (`--cycles FILE`, or `cycles:` in ladder.yaml)

A YAML or JSON list of `{id, start, end}` (optionally under a top-level `cycles:` key);
`--cycles` wins over the pack's. With a calendar, a packet's `candidate.cycle` must be one of its
cycles and `period.end` must fall inside that cycle. Without one (or for a packet naming no
cycle), a period that ended more than a year before the day of the run (`--today`) is a warning
that names the gap.

### Planned records

Each record of a verdict's `plan` carries `planned: true`. A plan is advice, not evidence: a
packet holding a record marked `planned: true` is invalid until the record is replaced with the
real one. The plan itself is proved on the packet with its records added and the marker left out.
""".splitlines()


# -- the template ---------------------------------------------------------------------------------
def _leaf(cond: dict, etype: str) -> dict | None:
    """The first leaf of `etype` in the condition, a linked_to clause included (as leaf_types reads them)."""
    for sub in [*parts(cond), *([cond["linked_to"]] if "linked_to" in cond else [])]:
        hit = _leaf(sub, etype)
        if hit:
            return hit
    return cond if cond.get("evidence") == etype else None


def template(book: RuleBook, evaluator: Any, target: str, track: str | None = None) -> str:
    data, records, used, level = template_data(book, evaluator, target, track)
    return _render(book, data, records, used, level)


def template_data(
    book: RuleBook, evaluator: Any, target: str, track: str | None = None
) -> tuple[dict, list[dict], dict[str, list[str]], str]:
    """The template as a packet (placeholders and all), its records, which criteria each evidence
    type counts toward, and the target level's id."""
    level = book.resolve(target)
    if level is None:
        raise UsageError(
            summary=f"--target: unknown level {target!r}{book.level_hint(target)} "
            f"(known: {', '.join(book.ordered_levels())})"
        )
    tracks = book.levels[level].tracks
    if track is None:
        track = tracks[0]
    elif track not in book.tracks:
        raise UsageError(summary=f"--track: unknown track {track!r} (known: {', '.join(book.tracks)})")
    elif track not in tracks:
        raise UsageError(summary=f"--track: {level} is not on the {track} track (it is on: {', '.join(tracks)})")
    ladder = book.tracks[track]
    below = [lv for lv in ladder if book.levels[lv].order < book.levels[level].order]
    current = below[-1] if below else EXTERNAL
    data: dict[str, Any] = {
        "schema_version": 1,
        "candidate": {
            "id": "emp-0000",
            "name": "Firstname Lastname",
            "track": track,
            "current_level": current,
            "target_level": level,
        },
        "period": dict(PERIOD),
        "evidence": [],
    }
    records = _records(book, evaluator, data)
    criteria = book.criteria(level)
    used: dict[str, list[str]] = {}
    for c in criteria:
        for t in leaf_types(c.condition):
            used.setdefault(t, [])
            if c.id not in used[t]:
                used[t].append(c.id)
    return data, records, used, level


def _check(book: RuleBook, data: dict):
    # template=True: the template's own placeholders (its name, ids, "Example:" titles) are what a
    # packet must not keep; everything else about it must validate
    return check_document(Document("<template>", json.loads(json.dumps(data)), "", "json"), book, template=True)


def _records(book: RuleBook, evaluator: Any, data: dict) -> list[dict]:
    """The proved plan for the empty packet, then one example of every other type the target uses."""
    from ..core.plan import _Synth, make_plan

    packet = _check(book, data)
    verdict = evaluator.evaluate(packet)
    plan, _ = make_plan(evaluator, packet, verdict)
    records = [{k: v for k, v in r.items() if k != "planned"} for r in (plan or [])]
    have = {r["type"] for r in records}
    synth = _Synth(_check(book, {**data, "evidence": records}), book, tuple(verdict.path))
    for c in book.criteria(packet.target):
        for t in leaf_types(c.condition):
            if t in have:
                continue
            leaf = _leaf(c.condition, t)
            assert leaf is not None  # t is one of the condition's leaf types
            rec = synth.record(leaf, c.title)
            try:
                _check(book, {**data, "evidence": records + [rec]})
            except Exception:  # noqa: BLE001 - an example that would not validate is left out
                continue
            records.append(rec)
            have.add(t)
    for i, r in enumerate(records, start=1):
        r["id"] = f"ev-{i:02d}"
        if isinstance(r.get("title"), str):
            r["title"] = "Example: " + r["title"].removeprefix("Planned: ")[:180]
    data["evidence"] = records
    _check(book, data)  # the template must validate as written
    return records


def _scalar(v: Any) -> str:
    return (
        yaml.safe_dump(v, default_flow_style=True, allow_unicode=True, width=10_000).strip().removesuffix("...").strip()
    )


def _line(indent: str, key: str, value: Any, comment: str) -> str:
    text = f"{indent}{key}: {_scalar(value)}"
    return f"{text:<44} # {comment}" if comment else text


def _hint(schema: dict, node: dict, required: bool) -> str:
    what, desc = describe(schema, node)
    what = what.replace("`", "").replace(" (below)", "")
    return ("required: " if required else "optional: ") + what + (f"; {desc}" if desc else "")


def _render(book: RuleBook, data: dict, records: list[dict], used: dict[str, list[str]], level: str) -> str:
    schema = book.packet_schema.data
    defs = schema["$defs"]
    cand = _resolve(schema, schema["properties"]["candidate"])
    out = [
        f"# A packet template for {level} ({book.levels[level].title}), {data['candidate']['track']} track.",
        "# Every value below is an example: replace each with the candidate's own evidence, delete records",
        "# that do not apply, add more of any type. Titles, notes and quotes are free text. Until the",
        "# placeholder name and ids and every 'Example:' title are replaced, `ladder validate` refuses it.",
        "# Check it with `ladder validate FILE` and evaluate it with `ladder evaluate FILE`.",
        "# Field reference: docs/packets.md. The as-of date is period.end.",
        "schema_version: 1",
        "candidate:",
    ]
    for k, sub in cand["properties"].items():
        hint = _hint(schema, sub, k in cand.get("required", []))
        if k in data["candidate"]:
            out.append(_line("  ", k, data["candidate"][k], hint))
        else:
            out.append(f"  # {k}: ".ljust(44) + f" # {hint}")
    out += [
        "period:",
        _line("  ", "start", data["period"]["start"], "required: YYYY-MM-DD"),
        _line("  ", "end", data["period"]["end"], "required: YYYY-MM-DD, the as-of date (not after today)"),
        "evidence:",
    ]
    listed: set[str] = set()
    for r in records:
        t = r["type"]
        node = _resolve(schema, defs[t])
        req = set(node.get("required", []))
        props = node["properties"]
        out.append(f"  # {t}: " + (f"counts toward {', '.join(used[t])}" if used.get(t) else "more recent evidence"))
        lead = "  - "
        for k in _order(props, r):
            sub, hint = props[k], _hint(schema, props[k], k in req)
            v = r[k]
            if isinstance(v, dict):
                out.append(f"{lead}{k}:".ljust(44) + f" # {hint}")
                out += _nested(schema, _resolve(schema, sub), [v], "      ", "      ")
            elif isinstance(v, list) and v and isinstance(v[0], dict):
                out.append(f"{lead}{k}:".ljust(44) + f" # {hint}")
                out += _nested(
                    schema, _resolve(schema, _resolve(schema, sub).get("items", {})), v, "      - ", "        "
                )
            else:
                out.append(_line(lead, k, v, hint))
            lead = "    "
        if t not in listed:  # the fields a record may also have, once per type
            out += [f"    # {k}: ".ljust(44) + f" # {_hint(schema, props[k], k in req)}" for k in props if k not in r]
            listed.add(t)
    return "\n".join(out) + "\n"


_FIRST = ("id", "type", "date", "title")


def _order(props: dict, r: dict) -> list[str]:
    return [k for k in _FIRST if k in r] + [k for k in props if k in r and k not in _FIRST]


def _nested(schema: dict, node: dict, items: list[dict], first: str, rest: str) -> list[str]:
    out = []
    req = set(node.get("required", []))
    for item in items:
        lead = first
        for k, sub in node.get("properties", {}).items():
            if k in item:
                out.append(_line(lead, k, item[k], _hint(schema, sub, k in req)))
                lead = rest
        out += [
            f"{rest}# {k}: ".ljust(44) + f" # {_hint(schema, sub, k in req)}"
            for k, sub in node.get("properties", {}).items()
            if k not in item
        ]
    return out
