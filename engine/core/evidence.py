"""Evidence packets: schema validation, the checks a schema cannot express, and normalisation.

`check_document` returns a Packet ready to evaluate, or raises EvidenceError listing every
problem, each located by file, line and JSON path. Messages name fields, never echo free text.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import jsonschema_rs
import orjson

if TYPE_CHECKING:  # jsonschema is imported only when a packet is invalid (saves start-up time)
    import jsonschema

from ..base import clock
from ..base.errors import EvidenceError, Problem
from ..base.loader import Document, ParseFailure, check_tree
from ..base.suggest import did_you_mean
from ..book.fields import FREE_TEXT_KEYS, PERSON_FIELD, person_key
from ..book.integrity import direction_problems, integrity_warnings
from ..book.rules import EXTERNAL, RuleBook
from ..book.schema import PacketSchema, bundled_packet_schema, canonical_json
from ..org.anchors import Anchors, for_book

# Free text is personal data: never echoed in messages, never asserted into the engine.
_MAX_ECHO = 40
_MAX_LISTED = 10
MAX_PROBLEMS = 500  # per packet: enough to fix it by; a hostile packet must not make a huge report
# Beside every anchored pattern of schemas/*.json: Python's `$` (jsonschema) also matches before a
# final newline, Rust's (jsonschema-rs) does not; with this both refuse "id\n" alike.
NO_LINE_BREAK = {"pattern": "\\n"}
_ID_RE = re.compile(
    r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}"
)  # ids as docs/packets.md gives them; fullmatch ($ allows a final "\n")
_TOKEN = re.compile(r"[A-Za-z0-9._:+@/\\-]+")


def candidate_id(data: Any) -> str | None:
    """The packet's candidate id when it is a well-formed one (to name an invalid packet), else None."""
    if isinstance(data, dict) and isinstance(data.get("candidate"), dict):
        cid = data["candidate"].get("id")
        if isinstance(cid, str) and _ID_RE.fullmatch(cid):
            return cid
    return None


# Written after the verdict, about it: not part of what the verdict was made from (packet_sha256).
UNHASHED_KEYS = frozenset({"committee"})


def packet_sha256(data: Any) -> str:
    """The packet's content hash: sha256 of its canonical form (engine.book.schema.canonical_json: keys
    sorted, no whitespace, UTF-8), less the `committee` section. The same packet as YAML or
    JSON, reformatted or with its keys reordered, has the same hash; any changed value changes it."""
    if isinstance(data, dict) and UNHASHED_KEYS.intersection(data):
        data = {k: v for k, v in data.items() if k not in UNHASHED_KEYS}
    try:  # orjson writes the same canonical form several times faster (a tenth of a batch's time)
        text = orjson.dumps(data, option=orjson.OPT_SORT_KEYS)
    except TypeError:  # an integer beyond 64 bits: the json module writes it exactly
        text = canonical_json(data).encode("utf-8")
    return "sha256:" + hashlib.sha256(text).hexdigest()


@dataclass
class Packet:
    source: str
    candidate_id: str
    name: str | None
    track: str
    current: str
    target: str  # (None only from check_document(need_target=False): `ladder paths` needs no target)
    start: str
    end: str
    evidence: list[dict] = field(repr=False)  # the records as validated (the author's words)
    by_id: dict[str, dict] = field(repr=False, default_factory=dict)
    ladder: str = ""  # identity of the ladder (levels, tracks) the levels above were resolved with
    warnings: list[Problem] = field(default_factory=list)  # engine.book.integrity: for a committee to look at
    repeats: dict[str, str] = field(default_factory=dict)  # engine.book.integrity.repeat_groups: counted once
    flagged: frozenset[str] = frozenset()  # records with an integrity warning of their own (engine.book.integrity)
    org: str | None = None  # candidate.org and candidate.cycle: cohort views (calibrate, compare)
    cycle: str | None = None
    manager: str | None = None  # candidate.manager: the summary CSV and cohort views by manager
    data: Any = field(default=None, repr=False, compare=False)  # the whole document, for the hash
    from_track: str = ""  # the track the candidate is on now; differs from `track` on a move between tracks
    checked: dict | None = (
        None  # engine.org.anchors: what the packet was checked against (the verdict's checked_against)
    )
    today: dt.date | None = None  # the day of the run it was checked as of (Anchors.today): a plan is checked alike

    @cached_property
    def sha256(self) -> str:
        """packet_sha256 of the document, computed on first use (a plan's trial packets never need it)."""
        return packet_sha256(self.data)


class _Dispatching:
    """jsonschema-rs over the packet schema, with each evidence record checked only against the
    $defs entry its `type` selects, once enough packets came to make that pay.

    The schema picks a record's definition with one if/then per type, so a validator evaluates
    twelve `if`s per record; going straight to the one that applies takes about a quarter less
    time (62 against 47 us per bench packet). It is the same check: a record is valid when it is a
    mapping whose `type` is one of the selectable types and it is valid under that type's
    definition. The schema's shape is checked when this is built; any other shape validates as one
    whole. Building a type's validator costs about half a millisecond, the whole schema's about
    one and a half: the first WARM packets (all of a cold `ladder evaluate`) are checked by the
    whole schema, and a type's own validator is built when a later record of that type is met."""

    WARM = 32

    def __init__(self, schema: dict):
        self.full = jsonschema_rs.validator_for(schema, validate_formats=True)
        self.by_type: dict[str, Any] | None = None
        self.seen = 0
        ev = schema.get("$defs", {}).get("evidence", {})
        branches = ev.get("allOf", [])
        types = ev.get("properties", {}).get("type", {}).get("enum", [])
        shaped = (
            schema.get("properties", {}).get("evidence", {}).get("items") == {"$ref": "#/$defs/evidence"}
            and set(ev) == {"type", "required", "properties", "allOf"}
            and ev["type"] == "object"
            and ev["required"] == ["type"]
            and len(branches) == len(types)
            and all(
                b
                == {
                    "if": {"properties": {"type": {"const": t}}, "required": ["type"]},
                    "then": {"$ref": f"#/$defs/{t}"},
                }
                for b, t in zip(branches, types)
            )
        )
        if not shaped:
            return
        # the packet without its records' definitions (built when first needed), and each type's
        self._outer_schema = {
            **schema,
            "properties": {**schema["properties"], "evidence": {**schema["properties"]["evidence"], "items": True}},
        }
        self._outer: Any = None
        self._base = {k: schema[k] for k in ("$schema", "$defs") if k in schema}
        self._types = frozenset(types)
        self.by_type = {}

    def _for_type(self, t: str) -> Any:
        assert self.by_type is not None
        v = self.by_type.get(t)
        if v is None and t in self._types:
            v = self.by_type[t] = jsonschema_rs.validator_for(
                {**self._base, "$ref": f"#/$defs/{t}"}, validate_formats=True
            )
        return v

    def is_valid(self, data: Any) -> bool:
        if self.by_type is None or self.seen < self.WARM:
            self.seen += 1
            return self.full.is_valid(data)
        if self._outer is None:
            self._outer = jsonschema_rs.validator_for(self._outer_schema, validate_formats=True)
        if not self._outer.is_valid(data):
            return False
        by_type = self.by_type
        for ev in data["evidence"]:  # the outer schema made this a list, and `data` a mapping
            if not isinstance(ev, dict) or not isinstance(t := ev.get("type"), str):
                return False
            v = by_type.get(t)
            if v is None:
                v = self._for_type(t)
            if v is None or not v.is_valid(ev):
                return False
        return True


_VALIDATORS: dict[tuple[str, str], Any] = {}


def _fast_validator(schema: PacketSchema | None = None) -> Any:
    """jsonschema-rs over a packet schema (default: the bundled one), built once per schema."""
    return _cached("fast", schema or bundled_packet_schema(), lambda s: _Dispatching(s))


def _slow_validator(schema: PacketSchema | None = None) -> Any:
    """jsonschema over a packet schema: the definition of validity, and its explanations."""

    def build(s: dict) -> Any:
        import jsonschema

        cls = jsonschema.validators.validator_for(s)
        return cls(s, format_checker=cls.FORMAT_CHECKER)

    return _cached("slow", schema or bundled_packet_schema(), build)


def _cached(kind: str, schema: PacketSchema, build: Any) -> Any:
    key = (kind, schema.version)
    v = _VALIDATORS.get(key)
    if v is None:
        if len(_VALIDATORS) > 16:  # an audit holds two schemas; a long-lived process may see more; pragma: no mutate
            _VALIDATORS.clear()  # pragma: no mutate - a cache bound, not behaviour
        v = _VALIDATORS[key] = build(schema.data)
    return v


def schema_problems(doc: Document, schema: PacketSchema | None = None) -> list[Problem]:
    """Fast path: jsonschema-rs says valid. Otherwise jsonschema (the definition) explains why."""
    schema = schema or bundled_packet_schema()
    if _fast_validator(schema).is_valid(doc.data):
        return []
    doc.exactly()  # problems quote values: take them from the strict parse
    if doc.fmt == "json":
        check_tree(doc)  # depth and size bounds before the recursive explanation (see loader.parse_text)
    data, out = doc.data, []
    cap = schema.data.get("properties", {}).get("evidence", {}).get("maxItems")
    if isinstance(data, dict) and isinstance(data.get("evidence"), list) and cap and len(data["evidence"]) > cap:
        # Thousands of records would take jsonschema seconds to explain one by one: say the list
        # is too long, and explain only the records within the cap (bounded time for any packet).
        out.append(
            Problem(doc.source, "/evidence", f"has more than {cap} items", line=doc.locate("/evidence"), kind="schema")
        )
        data = {**data, "evidence": data["evidence"][:cap]}
    # (the records within the cap are often fine: then the fast validator says so)
    errors = (
        []
        if out and _fast_validator(schema).is_valid(data)
        else list(itertools.islice(_slow_validator(schema).iter_errors(data), MAX_PROBLEMS + 1))
    )
    if not errors and not out:  # the two validators disagree: trust the definition (jsonschema)
        return []
    for err in _flatten(errors):
        pointer = "".join(f"/{_esc(p)}" for p in err.absolute_path)
        if err.validator == "required" and isinstance(err.instance, dict):
            # one problem per missing field (the set below merges jsonschema's per-field errors)
            msgs = [
                f"missing required field {k!r}{_allowed(schema.data, err.schema, k)}"
                for k in err.validator_value
                if k not in err.instance
            ]
        else:
            msgs = [_message(err)]
        out.extend(Problem(doc.source, pointer, m, line=doc.locate(pointer), kind="schema") for m in msgs)
    out = sorted(set(out), key=lambda p: (p.line or 0, p.path, p.message))
    return out + [_too_many(doc)] if len(errors) > MAX_PROBLEMS else out


def _allowed(root: dict, node: dict, key: str) -> str:
    """' (one of: a, b, c)' for a missing field that takes a fixed set of values."""
    sub = node.get("properties", {}).get(key, {}) if isinstance(node, dict) else {}
    while isinstance(sub, dict) and "$ref" in sub:
        sub = root.get("$defs", {}).get(sub["$ref"].rsplit("/", 1)[-1], {})
    values = sub.get("enum") if isinstance(sub, dict) else None
    return f" (one of: {', '.join(map(str, values))})" if values else ""


def _too_many(doc: Document) -> Problem:
    return Problem(
        doc.source,
        "",
        f"more than {MAX_PROBLEMS} problems; only the first are listed: fix them and check again",
        kind="schema",
    )


def _esc(p: Any) -> str:
    return str(p).replace("~", "~0").replace("/", "~1")


def _flatten(errors: list[jsonschema.ValidationError]) -> list[jsonschema.ValidationError]:
    # One mistake, one problem: a wrong type makes enum/pattern/format noise; a wrong shape, format noise.
    by_path: dict[tuple, set[str]] = {}
    for e in errors:
        by_path.setdefault(tuple(e.absolute_path), set()).add(str(e.validator))
    out = []
    for e in errors:
        here = by_path[tuple(e.absolute_path)]
        if e.validator == "const" and list(e.absolute_path)[-1:] == ["type"]:
            continue  # the if/then selector; the enum error on `type` says it better
        if e.validator in ("enum", "pattern", "format") and "type" in here:
            continue
        if e.validator == "format" and "pattern" in here:
            continue
        out.append(e)
    return out


_CURLY = str.maketrans(
    {
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
    }
)
_MAX_WORDS = 3  # more words than a value of a non-free-text field has: likely a sentence about someone


def unquoted(value: Any) -> str:
    """A value with the typographic quotes a word processor adds taken off: `“led”` -> `led`."""
    return str(value).translate(_CURLY).strip("\"'") if isinstance(value, str) else str(value)


def _show(value: Any, path: list) -> str:
    """A value for a message, so the author sees what to fix: control characters escaped, and
    typographic quotes named. Never free text (titles, notes, quotes, names), and never a string
    that looks like a sentence (long, or more than a few words): only its length then."""
    key = str(path[-1]) if path else ""
    if key in FREE_TEXT_KEYS or (len(path) >= 2 and path[-2] == "from" and key == "role"):
        return "the value"
    if isinstance(value, str):
        if len(value) > _MAX_ECHO or len(value.split()) > _MAX_WORDS:
            return f"a {len(value)}-character string"
        shown = repr(value)  # escapes control characters: a message must not move the terminal's cursor
        plain = unquoted(value)
        if plain != value and value.translate(_CURLY) != value:
            shown += f" ({value.strip()} is {plain!r} in curly quotes: write it without them)"
        return shown
    if isinstance(value, bool) or value is None:
        return repr(value).lower() if value is not None else "null"
    if isinstance(value, (int, float)):
        s = repr(value)
        return s if len(s) <= _MAX_ECHO else f"a {len(s)}-digit number"
    return {"dict": "a mapping", "list": "a list"}.get(type(value).__name__, "the value")


# Fields a first-time author writes where the packet has them elsewhere.
_WHERE_INSTEAD = {
    "as_of": " (the as-of date is period.end)",
    "asof": " (the as-of date is period.end)",
    "as-of": " (the as-of date is period.end)",
    "start": " (it belongs under period:)",
    "end": " (it belongs under period:)",
    "level": " (current_level or target_level, under candidate:)",
}


_CANDIDATE_KEYS = frozenset({"id", "name", "track", "current_level", "target_level", "org", "manager", "cycle"})


def _misplaced(key: str, path: list) -> str:
    """A candidate field written at the top of the packet (`cycle: 2026-h1`): say where it goes."""
    if not path and key in _CANDIDATE_KEYS:
        return " (it belongs under candidate:)"
    return _WHERE_INSTEAD.get(unquoted(key), "") if not path else ""


_NUMBER_WITH_UNIT = re.compile(r"[-+]?[$€£]?\d[\d,]*(\.\d+)?\s*(%|[a-zA-Z$€£]{1,5})?")
_TYPE_NAMES = {
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "object": "a mapping",
    "array": "a list",
    "null": "null",
}


def _message(err: jsonschema.ValidationError) -> str:
    v, vv, inst, path = err.validator, err.validator_value, err.instance, list(err.absolute_path)
    if v == "not" and vv == NO_LINE_BREAK and "pattern" in err.schema:
        v, vv = "pattern", err.schema["pattern"]  # "id\n": the pattern's own message (repr shows the \n)
    if v == "required":
        missing = [k for k in vv if isinstance(inst, dict) and k not in inst]
        return f"missing required field {missing[0]!r}" if missing else err.message
    if v == "additionalProperties" and isinstance(inst, dict):
        allowed = list(err.schema.get("properties", {}))
        patterns = [re.compile(rx) for rx in err.schema.get("patternProperties", {})]
        extra = sorted(k for k in inst if k not in allowed and not any(rx.search(k) for rx in patterns))
        # name the first few: a mapping of 100k unknown keys must not make a megabyte message
        more = f"; and {len(extra) - _MAX_LISTED} more unknown fields" if len(extra) > _MAX_LISTED else ""
        return (
            "; ".join(
                f"unknown field {_show(k, ['k'])}{_misplaced(k, path) or did_you_mean(unquoted(k), allowed)}"
                for k in extra[:_MAX_LISTED]
            )
            + more
        )
    if v == "enum":  # a list's item is named by its list: 'tv' is not allowed for platforms
        where = next((str(p) for p in reversed(path) if not isinstance(p, int)), "value")
        if where == "type" and len(path) >= 2:
            return (
                f"unknown evidence type {_show(inst, path)}{did_you_mean(unquoted(inst), vv)} (known: {', '.join(vv)})"
            )
        return (
            f"{_show(inst, path)} is not allowed for {where}{did_you_mean(unquoted(inst), vv)} "
            f"(one of: {', '.join(map(str, vv))})"
        )
    if v == "const":
        return f"must be {vv!r}, not {_show(inst, path)}"
    if v == "type":
        want = " or ".join(_TYPE_NAMES.get(t, t) for t in ([vv] if isinstance(vv, str) else vv))
        hint = ""
        if "number" in str(vv) and isinstance(inst, str) and _NUMBER_WITH_UNIT.fullmatch(inst.strip()):
            hint = " (write the number alone; a metric's unit goes in unit:)"
        return f"must be {want}, not {_show(inst, path)}{hint}"
    if v == "format" and vv == "date":
        return f"{_show(inst, path)} is not a real calendar date (YYYY-MM-DD)"
    if v == "pattern":
        if path and str(path[-1]) in ("date", "start", "end"):
            return f"{_show(inst, path)} is not a date in the form YYYY-MM-DD"
        if path and str(path[-1]) in ("current_level", "target_level", "level") or path[-2:-1] == ["levels"]:
            if "0-9" in str(vv):  # a pack whose level ids have digits (engine.book.schema.specialise)
                return (
                    f"{_show(inst, path)} is not a level id: use lower-case letters, digits and '-', starting "
                    "with a letter"
                )
            return f"{_show(inst, path)} is not a level id: use lower-case letters and '-' (e.g. senior-pm)"
        if path and str(path[-1]) == "id" or (len(path) >= 2 and str(path[-2]) in ("candidate", "mentee", "from")):
            return (
                f"{_show(inst, path)} is not a valid id: use 1-64 letters, digits, '.', '_' or '-', "
                "starting with a letter or digit"
            )
        return f"{_show(inst, path)} does not have the expected form"
    if v == "maxLength":
        return f"is longer than {vv} characters"
    if v == "minLength":
        return "must not be empty"
    if v == "maxItems":
        return f"has more than {vv} items"
    if v == "minItems":
        return f"needs at least {vv} item(s)"
    if v == "uniqueItems":
        return "lists the same value twice"
    if v in ("minimum", "maximum"):
        word = "at least" if v == "minimum" else "at most"
        return f"{_show(inst, path)} is out of range: must be {word} {vv}"
    if v == "minProperties":
        return "must not be empty"
    return f"{_show(inst, path)} is not valid here ({v})"


def _date(value: Any) -> dt.date | None:
    if not isinstance(value, str):
        return None
    try:
        return dt.date.fromisoformat(value) if len(value) == 10 else None
    except ValueError:
        return None


# The schema's date format (RFC 3339) allows the year 0000, which no calendar here has.
_YEAR_ZERO = "the year 0000 is not a date: use a real date (YYYY-MM-DD, year 0001 or later)"


def _year_zero(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("0000-")


_PERSON_TYPES = frozenset({"mentoring", "stakeholder_feedback", "people_leadership"})  # name other people
_PLACEHOLDERS = frozenset(
    {
        "tbd",
        "tbc",
        "todo",
        "to do",
        "n/a",
        "na",
        "none",
        "x",
        "xx",
        "xxx",
        "test",
        "placeholder",
        "title",
        "untitled",
        "lorem ipsum",
        "asdf",
        "foo",
        "bar",
        "-",
        "?",
        "...",
    }
)
_LETTER = re.compile(r"[^\W\d_]")
_TRAILING = ".!?:;,-_ "  # taken off a title's ends before it is compared with the placeholder words
_SPACE_RUN = re.compile(r"\s\s|[^\S ]")  # two spaces in a row, or a tab or line break: collapsed to one


def _placeholder(text: Any) -> bool:
    """Text that stands in for a title (TBD, x, lorem ipsum..., or no letters at all)."""
    if type(text) is not str:
        return False
    # The usual case, decided at once: a title that starts with a letter (not lorem ipsum's) and
    # stays longer than every placeholder word once its trailing punctuation is taken off, with no
    # run of spaces to collapse. Anything else is normalised below ("  Placeholder. " is one).
    if (
        len(text) > 11
        and text[0].isalpha()
        and text[0] not in "lL"
        and len(text.rstrip(_TRAILING)) > 11
        and not _SPACE_RUN.search(text)
    ):
        return False
    t = " ".join(text.strip().casefold().split()).strip(_TRAILING)
    return not _LETTER.search(text) or t in _PLACEHOLDERS or t.startswith("lorem ipsum") or len(t) < 2


# `ladder new` writes these into its template (engine.authoring.packets), and the planner names the people
# it invents plan-person-N: a packet still holding one is an unedited example, never evidence.
TEMPLATE_ID = "emp-0000"
TEMPLATE_NAME = "Firstname Lastname"
TEMPLATE_TITLE = "Example: "
_TEMPLATE_PERSON = re.compile(r"plan-?person-?\d+")  # compared on engine.book.fields.person_key's folded form


def _template_title(text: Any) -> bool:
    return type(text) is str and text.lstrip()[:8].casefold() == "example:"


def _template_person(pid: Any) -> bool:
    key = person_key(pid) if isinstance(pid, str) else None
    if not key:
        return False
    return key == person_key(TEMPLATE_ID) or _TEMPLATE_PERSON.fullmatch(key) is not None


def template_problems(data: dict, add: Callable[[str, str], None], people: Mapping[str, str] = PERSON_FIELD) -> None:
    """The template's placeholders (`ladder new`) left in a packet: its name, ids and example titles.
    `people`: the rule book's person fields (RuleBook.people): a pack's own person ids are checked too."""
    cand = got if isinstance(got := data.get("candidate"), dict) else {}
    if _template_person(cand.get("id")):
        add("/candidate/id", "the template's placeholder id: write the candidate's own id")
    name = cand.get("name")
    if isinstance(name, str) and " ".join(name.split()).casefold() == TEMPLATE_NAME.casefold():
        add("/candidate/name", "the template's placeholder name: write the candidate's name, or leave the field out")
    if _template_person(cand.get("manager")):
        add("/candidate/manager", "a placeholder person id: write the manager's id")
    evidence = got if isinstance(got := data.get("evidence"), list) else []
    for i, ev in enumerate(evidence):
        if type(ev) is not dict:
            continue
        if _template_title(ev.get("title")):
            add(f"/evidence/{i}/title", "the template's example title: say what the work was, or delete the record")
        if _template_person(ev.get("verified_by")):
            add(f"/evidence/{i}/verified_by", "a placeholder person id: name who confirms the record")
        for k in ("from", "mentee"):
            if isinstance(ev.get(k), dict) and _template_person(ev[k].get("id")):
                add(f"/evidence/{i}/{k}/id", "a placeholder person id: name the real person, or leave the id out")
        etype = ev.get("type")
        pf = people.get(etype) if isinstance(etype, str) and etype not in PERSON_FIELD else None
        if pf is not None and _template_person(_at(ev, pf)):
            add(f"/evidence/{i}/{pf.replace('.', '/')}", "a placeholder person id: name the real person")


def _at(ev: dict, dotted: str) -> Any:
    """The value at a dotted field of a raw record (None when absent or not reached)."""
    cur: Any = ev
    for part in dotted.split("."):
        cur = cur.get(part) if isinstance(cur, dict) else None
    return cur


def semantic_problems(
    doc: Document,
    book: RuleBook,
    target_override: str | None = None,
    track_override: str | None = None,
    need_target: bool = True,
    template: bool = False,
    today: dt.date | None = None,
) -> tuple[list[Problem], dict]:
    """Checks the schema cannot express. Defensive about types: the schema may have failed too.
    The overrides (--target, --track) stand in for the packet's own values.

    template=True (engine.authoring.packets only, while it builds `ladder new`'s template): the template's
    own placeholders are not reported.

    need_target=False (`ladder paths`): a packet with no level to be promoted to (the top of a
    track, an external candidate) is not an error; a target it does give is checked as ever."""
    data = doc.data if isinstance(doc.data, dict) else {}
    probs: list[Problem] = []
    ctx: dict[str, Any] = {}

    def add(pointer: str, message: str) -> None:
        probs.append(Problem(doc.source, pointer, message, line=doc.locate(pointer), kind="semantic"))

    period = got if isinstance(got := data.get("period"), dict) else {}
    start, end = _date(period.get("start")), _date(period.get("end"))
    for key in ("start", "end"):
        if _year_zero(period.get(key)):
            add(f"/period/{key}", _YEAR_ZERO)
    # (impossible dates are reported by the schema's format check)
    if start and end and start > end:
        add("/period/start", f"period starts ({start}) after it ends ({end})")
    today = today or clock.today()
    if end and end > today:
        add(
            "/period/end",
            f"the period ends on {end}, after today ({today}): evidence cannot be dated in "
            "the future (use --today DATE to replay a cycle as of another day)",
        )
    ctx["end"] = end

    cand = got if isinstance(got := data.get("candidate"), dict) else {}
    cid = cand.get("id") if isinstance(cand.get("id"), str) else None
    me = person_key(cid)
    current = target = None
    cur_raw = cand.get("current_level")
    if isinstance(cur_raw, str):
        current = EXTERNAL if cur_raw.strip().lower() == EXTERNAL else book.resolve(cur_raw)
        if current is None:
            add(
                "/candidate/current_level",
                f"unknown level {_show(cur_raw, ['level'])}{book.level_hint(cur_raw)} "
                f"(known: {', '.join(book.ordered_levels())}, or external)",
            )
    tgt_raw = target_override if target_override is not None else cand.get("target_level")
    tgt_ptr = "/candidate/target_level"
    if isinstance(tgt_raw, str):
        target = book.resolve(tgt_raw)
        if target is None:
            add(
                tgt_ptr if target_override is None else "",
                f"unknown target level {_show(tgt_raw, ['level'])}"
                f"{book.level_hint(tgt_raw)} (known: {', '.join(book.ordered_levels())})",
            )
    track_raw = track_override if track_override is not None else cand.get("track")
    track_ptr = "/candidate/track" if track_override is None else ""
    track = track_raw if isinstance(track_raw, str) and track_raw in book.tracks else None
    from_track = None
    if current is not None and (tgt_raw is None or target is not None) and (track_raw is None or track):
        if track is None:
            track = book.infer_track(current, target)
        from_track = book.own_track(track, current, track)
        if target is None:
            if current == EXTERNAL:
                if need_target:
                    add("/candidate/target_level", "an external candidate needs a target_level")
            else:
                target = book.next_level(track, current)
                if target is None and need_target:
                    add(
                        "/candidate/current_level",
                        f"{current} is the top of the {track} track; give a target_level on another track",
                    )
        if target is not None:
            # A move between tracks (docs/packets.md, `candidate.track`) is judged on the target's track; the
            # declared track is then the one the candidate is on now.
            declared = track
            if track not in book.levels[target].tracks:
                if track_override is not None:  # --track names the track to judge on: it must hold the target
                    add(
                        track_ptr,
                        f"{target} is not on the {track} track (it is on: {', '.join(book.levels[target].tracks)})",
                    )
                else:
                    track = book.levels[target].tracks[0]
            from_track = book.own_track(declared, current, track)
            if current != EXTERNAL and (target == current or book.levels[target].order < book.levels[current].order):
                add(
                    tgt_ptr if target_override is None else "",
                    f"target {target} is not above the current level {current}"
                    + (
                        ""
                        if target == current
                        else " (a move to another track is to a level of the same order or above)"
                    ),
                )
    ctx.update(track=track, current=current, target=target, cid=cid, from_track=from_track)
    if not template:
        template_problems(data, add, book.people)

    evidence = got if isinstance(got := data.get("evidence"), list) else []
    seen: dict[str, int] = {}
    target_order = book.levels[target].order if target in book.levels else None
    end_iso = end.isoformat() if end else None
    late = end_iso or "\uffff"  # ISO dates order as text: only a later text can be a later date
    for i, ev in enumerate(evidence):
        if type(ev) is not dict:
            continue
        eid = ev.get("id")
        if type(eid) is str:
            if eid in seen:
                add(
                    f"/evidence/{i}/id",
                    f"evidence id {_show(eid, ['id'])} is used twice (first at /evidence/{seen[eid]})",
                )
            else:
                seen[eid] = i
        day = ev.get("date")
        if _year_zero(day):
            add(f"/evidence/{i}/date", _YEAR_ZERO)
        if type(day) is str and day > late and (d := _date(day)) and end is not None and d > end:
            add(
                f"/evidence/{i}/date",
                f"dated {d}, after the period ends ({end}); evidence from the future cannot count",
            )
        if me and person_key(ev.get("verified_by")) == me:
            add(f"/evidence/{i}/verified_by", "a record cannot be verified by the candidate; name who confirms it")
        if ev.get("planned") is True:
            add(
                f"/evidence/{i}/planned",
                "a planned record (from ladder's plan) is advice, not evidence: replace it with the real record",
            )
        if _placeholder(ev.get("title")):
            add(f"/evidence/{i}/title", "placeholder text, not a title: say what the work was")
        etype = ev.get("type")
        pf = book.people.get(etype) if isinstance(etype, str) else None
        if pf is not None and etype not in PERSON_FIELD and me and person_key(_at(ev, pf)) == me:
            # a pack's own person field (vocabulary.yaml person:), as feedback's giver below
            add(
                f"/evidence/{i}/{pf.replace('.', '/')}",
                f"the candidate's own id: {etype} names in {pf} the person "
                "the record is from or about, never the candidate (self-assessment is not evidence)",
            )
        if not isinstance(etype, str) or etype not in _PERSON_TYPES:
            continue
        ptr = f"/evidence/{i}"
        if etype == "mentoring" and isinstance(ev.get("mentee"), dict):
            lvl = ev["mentee"].get("level")
            if isinstance(lvl, str):
                canon = book.resolve(lvl)
                if canon is None:
                    add(f"{ptr}/mentee/level", f"unknown level {_show(lvl, ['level'])}{book.level_hint(lvl)}")
                elif target_order is not None and book.levels[canon].order >= target_order:
                    add(
                        f"{ptr}/mentee/level",
                        f"mentee level {canon} is not below the target level {target}; "
                        "mentoring counts when the mentee is more junior",
                    )
            if me and person_key(ev["mentee"].get("id")) == me:
                add(f"{ptr}/mentee/id", "the candidate cannot mentor themselves")
        if etype == "stakeholder_feedback" and isinstance(ev.get("from"), dict):
            if me and person_key(ev["from"].get("id")) == me:
                add(f"{ptr}/from/id", "feedback is from the candidate's own id; self-assessment is not evidence")
        if etype == "people_leadership" and isinstance(ev.get("levels"), list):
            for j, lvl in enumerate(ev["levels"]):
                if isinstance(lvl, str) and book.resolve(lvl) is None:
                    add(f"{ptr}/levels/{j}", f"unknown level {_show(lvl, ['level'])}{book.level_hint(lvl)}")
    about_problems(evidence, seen, add)
    return probs, ctx


def about_problems(evidence: list, ids: dict[str, int], add: Callable[[str, str], None]) -> None:
    """A record's `about` names other records of the same packet, each once: the ids a rule's
    linked_to follows (engine.core.facts turns each into a link fact). Ids only are shown."""
    for i, ev in enumerate(evidence):
        about = ev.get("about") if type(ev) is dict else None
        if not isinstance(about, list):
            continue
        own = ev.get("id")
        first: dict[str, int] = {}
        for j, ref in enumerate(about):
            if type(ref) is not str or not _ID_RE.fullmatch(ref):
                continue  # the schema says what is wrong with it
            ptr = f"/evidence/{i}/about/{j}"
            if ref == own:
                add(ptr, "a record cannot build on itself: about names other records of the packet")
            elif ref in first:
                add(ptr, f"about names {ref!r} twice (also at /evidence/{i}/about/{first[ref]})")
            elif ref not in ids:
                add(
                    ptr,
                    f"about names {ref!r}, which is no record of this packet (about takes the ids of records "
                    f"in the same packet){did_you_mean(ref, ids)}",
                )
            first.setdefault(ref, j)


def check_document(
    doc: Document,
    book: RuleBook,
    target_override: str | None = None,
    normalised: bool = True,
    track_override: str | None = None,
    need_target: bool = True,
    anchors: Anchors | None = None,
    template: bool = False,
) -> Packet | None:
    """Validate one parsed packet against this book's ladder and packet schema, or raise
    EvidenceError with every problem. The Packet holds validated data only: the engine's facts
    belong to the rule book that fires them (engine.core.facts).

    normalised=False only validates (what `ladder validate` needs) and returns None. `anchors`
    (engine.org.anchors: a people directory, a cycle calendar) default to the pack's own."""
    if not isinstance(doc.data, dict):
        kind = {
            list: "a list",
            str: "text",
            int: "a number",
            float: "a number",
            bool: "true/false",
            type(None): "nothing",
        }.get(type(doc.data), "a value")
        raise EvidenceError(
            [
                Problem(
                    doc.source,
                    "",
                    f"a packet must be a mapping with schema_version, candidate, "
                    f"period and evidence; this document is {kind}",
                    line=doc.locate(""),
                    kind="schema",
                )
            ]
        )
    try:
        problems = schema_problems(doc, book.packet_schema)
    except ParseFailure as exc:  # nested too deep, or too large, to be a packet at all
        raise EvidenceError([exc.problem]) from None
    anchors = anchors if anchors is not None else for_book(book)
    sem, ctx = semantic_problems(doc, book, target_override, track_override, need_target, template, anchors.today)
    sem += direction_problems(doc, book.integrity)  # engine.book.integrity: the pack's metric direction words
    problems += [p for p in sem if p not in problems]
    problems += [p for p in anchors.problems(doc, book, ctx, track_override) if p not in problems]
    if len(problems) > MAX_PROBLEMS:
        # 150k bad list items made a 100 MB report in 30 s: list enough to act on, then stop
        problems = [p for p in problems if p != _too_many(doc)][:MAX_PROBLEMS] + [_too_many(doc)]
    if problems:
        raise EvidenceError(problems)
    if not normalised:
        return None
    data = doc.data
    cand = data["candidate"]
    # On a move between tracks no track is the candidate's throughout: direct reports are no
    # surprise from a manager moving to the IC track, nor needed of an IC moving to management.
    stays = ctx["track"] if ctx["from_track"] == ctx["track"] else None
    warnings, flagged, repeats = integrity_warnings(doc, stays, ctx["current"], ctx["end"], book.integrity)
    warnings += anchors.warnings(doc, ctx)
    return Packet(
        doc.source,
        cand["id"],
        cand.get("name"),
        ctx["track"],
        ctx["current"],
        ctx["target"],
        data["period"]["start"],
        data["period"]["end"],
        data["evidence"],
        {ev["id"]: ev for ev in data["evidence"]},
        book.ladder_version,
        warnings,
        repeats,
        flagged,
        org=cand.get("org"),
        cycle=cand.get("cycle"),
        manager=cand.get("manager"),
        data=data,
        from_track=ctx["from_track"],
        checked=anchors.checked(),
        today=anchors.today,
    )
