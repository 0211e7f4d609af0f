"""Loading the rules: rules/ladder.yaml (levels, tracks) and one YAML file per level.

Everything here is checked before use: each file against its JSON Schema, then the ladder's
structure and each criterion's predicates against the evidence schema. A broken rule is a
RulesError (exit 4) with file:line problems, never a surprise at evaluation time.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache, cached_property, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jsonschema_rs

if TYPE_CHECKING:  # jsonschema is imported only when a rule file is invalid (saves start-up time)
    import jsonschema

from ..base.errors import Problem, RulesError
from ..base.loader import Document, ParseFailure, load_pack_file
from ..base.resources import default_rules_dir, load_schema
from ..base.sourceforms import matches_any, retired_pattern_message
from ..base.suggest import closest, did_you_mean, listing
from .conditions import COMPOSITES, parts
from .fields import FieldChecker, evidence_fields, person_fields, scales_as_lists
from .integrity import IntegrityPolicy, policy_problems
from .schema import PacketSchema, bundled_packet_schema, canonical_json, packet_schema_beside, specialise
from .vocabulary import extend, vocabulary_doc

EXTERNAL = "external"


@dataclass(frozen=True)
class Level:
    id: str
    title: str
    guide_level: str
    order: int
    aliases: tuple[str, ...]
    tracks: tuple[str, ...]


@dataclass(frozen=True)
class Policy:
    min_supporting: int
    min_records: int
    within_days: int
    basis: str | None = None
    basis_note: str | None = None
    # aspect -> supporting criteria of that aspect that must be met (a competency's own threshold)
    per_aspect: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class Criterion:
    id: str
    level: str
    title: str
    source: str
    required: bool
    condition: dict
    aspect: str | None = None
    rationale: str | None = None
    file: str = ""
    line: int | None = None
    basis: str | None = None  # "policy": its numbers are the ladder's choice, not the guide's
    basis_note: str | None = None
    acknowledge: dict = field(default_factory=dict)  # lint warning code -> why it is not a problem here
    # the ladder's default window (days) when some leaf of the condition gives no window of its own:
    # a number the guide does not give, labelled policy wherever the criterion is shown
    window: int | None = None

    @property
    def evidence_types(self) -> list[str]:
        return sorted(set(leaf_types(self.condition)))


@dataclass(frozen=True)
class LevelRules:
    level: str
    policy: Policy
    criteria: tuple[Criterion, ...]
    file: str = ""
    line: int | None = None  # of the `criteria:` key
    includes: str | None = None  # the level below whose required criteria this level's verdict includes

    @property
    def usable_types(self) -> list[str]:
        """The evidence types this level's criteria read: all its sufficient-evidence rule counts
        (a pile of unrelated records is not evidence)."""
        return sorted({t for cr in self.criteria for t in leaf_types(cr.condition)})


@dataclass
class RuleBook:
    levels: dict[str, Level]
    tracks: dict[str, tuple[str, ...]]
    default_track: str
    level_rules: dict[str, LevelRules]
    version: str
    directory: str
    raw: dict = field(default_factory=dict, repr=False)  # canonical data, for audit diffs
    packet_schema: PacketSchema = field(default_factory=lambda: bundled_packet_schema(), repr=False)
    label_policy_numbers: bool = False  # ladder.yaml: lint rejects unlabelled policy numbers
    ladder_file: str = ""  # ladder.yaml, and the line of each level ("level:ID") and track ("track:NAME") in it
    ladder_lines: dict[str, int | None] = field(default_factory=dict, repr=False)
    # ladder.yaml `integrity:` (engine.book.integrity.policy_from): the pack's integrity policy, or its defaults
    integrity: IntegrityPolicy = field(default_factory=IntegrityPolicy, repr=False)
    # ladder.yaml's default window and its label: (days, basis, basis_note), or None without one
    default_window: tuple[int, str | None, str | None] | None = None

    @cached_property
    def ladder_version(self) -> str:
        """What checking a packet depends on besides the packet: the ladder (level ids, aliases,
        order, tracks) and the packet schema. Two books with the same value check every packet
        alike; anything else about them (criteria, policies) is for evaluation."""
        text = canonical_json(self.raw.get("ladder")) + self.packet_schema.version
        return "sha256:" + hashlib.sha256(text.encode()).hexdigest()

    @cached_property
    def people(self) -> Mapping[str, str]:
        """Evidence type -> the field naming the person its records are from or about (`from.id`,
        `mentee.id`, and a pack's own `person:` declarations): what min_people counts, the people
        directory checks, and the candidate may never be."""
        return person_fields(self.packet_schema)

    # -- level ids -------------------------------------------------------------------------
    @cached_property
    def aliases(self) -> dict[str, str]:
        out = {lv.id: lv.id for lv in self.levels.values()}
        for lv in self.levels.values():
            out.update({a: lv.id for a in lv.aliases})
        return out

    def resolve(self, name: str) -> str | None:
        return self.aliases.get(str(name).strip().lower())

    def level_hint(self, name: str) -> str:
        """'; did you mean 'mid-pm'?' naming a level id (or external), never a spelling that is
        not one: `Mid-level PM` is the alias mid-level-pm written as words, so it hints mid-pm."""
        word = re.sub(r"[\s_]+", "-", str(name).strip().lower().strip("\"'“”‘’"))
        if word in self.aliases:
            return f"; did you mean {self.aliases[word]!r}?"
        close = closest(word, list(self.aliases) + [EXTERNAL])
        return f"; did you mean {self.aliases.get(close, close)!r}?" if close else ""

    def criteria(self, level: str) -> tuple[Criterion, ...]:
        return self.level_rules[level].criteria

    def all_criteria(self) -> list[Criterion]:
        return [c for lv in self.ordered_levels() for c in self.level_rules[lv].criteria]

    def ordered_levels(self) -> list[str]:
        return sorted(self.levels, key=lambda i: (self.levels[i].order, i))

    # -- paths -----------------------------------------------------------------------------
    def infer_track(self, current: str, target: str | None) -> str:
        for lv in (target, current):
            if lv and lv in self.levels and len(self.levels[lv].tracks) == 1:
                return self.levels[lv].tracks[0]
        return self.default_track

    def next_level(self, track: str, current: str) -> str | None:
        order = self.levels[current].order if current != EXTERNAL else 0
        for lv in self.tracks[track]:
            if self.levels[lv].order > order:
                return lv
        return None

    def path(self, track: str, current: str, target: str) -> list[str]:
        """Levels whose criteria a candidate must meet, lowest first (skip-level: all between).

        The levels of `track` above the current level's order: a level of the same order on
        another track counts as held (the guide puts IC PMs at the influence of a Group PM or
        Director), so a lateral move is judged on the target's criteria alone."""
        if current == EXTERNAL or self.lateral(current, target):
            return [target]
        lo, hi = self.levels[current].order, self.levels[target].order
        return [lv for lv in self.tracks[track] if lo < self.levels[lv].order <= hi]

    def carried(self, track: str, current: str, target: str) -> list[str]:
        """Levels below the judged path whose required criteria the verdict includes, lowest first.

        Cumulative by construction: from the lowest level of the path, follow each level's
        `includes` down while the candidate has not held that level. The current level itself is
        included (its required criteria, with current evidence: the higher level still does
        them); a level below the current one on a track they share counts as held. A candidate
        from outside the ladder has held none, and a lateral move holds what the current level
        holds (docs/rules.md, "Cumulative levels")."""
        path = self.path(track, current, target)
        out: list[str] = []
        lv = self.level_rules[path[0]].includes if path[0] in self.level_rules else None
        while lv is not None and lv not in out and lv not in path and not self.held(current, lv):
            out.append(lv)
            if lv == current:
                break
            lv = self.level_rules[lv].includes if lv in self.level_rules else None
        return out[::-1]

    def held(self, current: str, level: str) -> bool:
        """A level the candidate has held: below the current level on a track they share."""
        if current == EXTERNAL or current not in self.levels or level not in self.levels:
            return False
        cur, lv = self.levels[current], self.levels[level]
        return lv.order < cur.order and bool(set(lv.tracks) & set(cur.tracks))

    def lateral(self, current: str, target: str) -> bool:
        """A move to another level of the same order (on another track: a track's order climbs)."""
        return (
            current != EXTERNAL
            and current != target
            and current in self.levels
            and target in self.levels
            and self.levels[current].order == self.levels[target].order
        )

    def own_track(self, declared: str, current: str, judged: str) -> str:
        """The track a candidate is on now: the one the packet declares (or infers) when the
        current level is on it, else the judged track when it is, else the current level's first.
        It differs from the judged track exactly when the candidate moves between tracks."""
        if current == EXTERNAL:
            return judged
        tracks = self.levels[current].tracks
        for t in (declared, judged):
            if t in tracks:
                return t
        return tracks[0]


def leaf_types(cond: dict) -> list[str]:
    """The evidence types a condition reads: its leaves' and their linked_to clauses'."""
    if "evidence" in cond:
        return [cond["evidence"]] + (leaf_types(cond["linked_to"]) if "linked_to" in cond else [])
    return [t for sub in parts(cond) for t in leaf_types(sub)]


# ---------------------------------------------------------------------------------------------
def load_rules(directory: str | Path | None = None) -> RuleBook:
    """Load and check a rules directory; raises RulesError listing every problem."""
    d = Path(directory) if directory is not None else default_rules_dir()
    return _load_cached(str(d.resolve()), _fingerprint(d))


def _fingerprint(d: Path) -> str:
    """What the rule book is read from, by content: every .yaml/.yml of the folder and of its
    paths/ folder, and the packet schema beside it (their bytes, a few milliseconds). The cache
    is keyed by it, so a rules folder edited while a process runs is read again, never stale."""
    h = hashlib.sha256()
    files = [f for sub in (d, d / "paths") for pat in ("*.yaml", "*.yml") for f in sorted(sub.glob(pat))]
    files.append(d.parent / "schemas" / "packet.schema.json")
    for f in files:
        try:
            data = f.read_bytes()
        except OSError:
            continue  # absent (no paths/, no schema beside): the loader says what is missing
        h.update(str(f).encode() + b"\0" + hashlib.sha256(data).digest())
    return h.hexdigest()


@lru_cache(maxsize=8)
def _load_cached(directory: str, fingerprint: str) -> RuleBook:  # `fingerprint`: the cache key, by content
    d = Path(directory)
    if not d.is_dir():
        raise RulesError([Problem(str(d), "", "rules folder not found", kind="rules")])
    return build_rulebook(read_yaml_folder(d), str(d), packet_schema_beside(d))


def read_yaml_folder(d: Path, pack: Path | str | None = None) -> dict[str, Document]:
    """Every .yaml and .yml file of a folder, parsed, by file name; RulesError listing every file
    that does not parse (the rules folder and rules/paths/ are read alike). A file that is a link
    out of the pack's folder (`pack`, default `d`) is refused unread."""
    docs, problems = {}, []
    for f in sorted(d.glob("*.yaml")) + sorted(d.glob("*.yml")):
        try:
            docs[f.name] = load_pack_file(f, d if pack is None else pack)
        except ParseFailure as exc:
            problems.append(exc.problem)
    if problems:
        raise RulesError(problems)
    return docs


def _schema_problems(doc: Document, schema_name: str) -> list[Problem]:
    if _fast_validator(schema_name).is_valid(doc.data):
        return []
    validator = _validator(schema_name)
    out = []
    for err in sorted(validator.iter_errors(doc.data), key=lambda e: list(map(str, e.absolute_path))):
        err = _deepest(err)
        parts = [str(p) for p in err.absolute_path]
        message = _without_content(_schema_message(err, parts), err)
        if err.validator == "additionalProperties" and isinstance(err.instance, dict):
            extra = sorted(k for k in err.instance if k not in err.schema.get("properties", {}))
            parts += extra[:1]  # point at the unknown key itself, on its own line
        elif "propertyNames" in err.schema_path and isinstance(err.instance, str):
            parts.append(err.instance)  # a badly formed name: point at it
        pointer = "".join(f"/{p}" for p in parts)
        out.append(Problem(doc.source, pointer, message, line=doc.locate(pointer), kind="rules"))
    return out


def _deepest(err: jsonschema.ValidationError) -> jsonschema.ValidationError:
    """For a failed oneOf (a condition, a predicate), the branch error that reaches deepest into
    the rule: `unknown operator 'one_of'` on its own line beats `not a valid condition`, and
    `in needs a list` on the predicate beats both, as does a number out of its range
    (`at_least: 0`). With nothing deeper, a leaf's `not` (keys that cannot go together) says more
    than the oneOf."""
    best = err
    together = None
    stack = list(err.context or [])
    while stack:
        e = stack.pop()
        stack.extend(e.context or [])
        deeper = len(e.absolute_path) > len(best.absolute_path)
        if e.validator == "additionalProperties" and (
            deeper or (best.validator == "type" and len(e.absolute_path) == len(best.absolute_path))
        ):
            best = e
        elif e.validator in ("type", "minimum", "maximum") and deeper and isinstance(e.validator_value, (str, int)):
            best = e
        elif e.validator == "not" and len(e.absolute_path) == len(err.absolute_path):
            together = e
    return together if best is err and together is not None else best


# Keys of one condition that cannot go together, and what to write instead.
_EXCLUSIVE = {
    ("distinct", "min_count"): "distinct already needs as many records as different values; use distinct alone, "
    "or an all_of of two conditions",
    ("mean", "min_count"): "mean counts its records with its own min_records; use that",
    ("distinct", "mean"): "write an all_of of two conditions, one with each",
    ("any_time", "within_days"): "any_time sets no window at all; within_days sets one: keep one",
    **{
        ("regularly", k): why
        for k, why in (
            ("within_days", "regularly sets its own window (periods x of_days): keep one"),
            ("any_time", "regularly sets its own window (periods x of_days): keep one"),
            ("min_count", "regularly counts periods, not records; write an all_of of two conditions, one with each"),
            ("distinct", "write an all_of of two conditions, one with each"),
            ("mean", "write an all_of of two conditions, one with each"),
            ("min_people", "write an all_of of two conditions, one with each"),
        )
    },
}


def brief(value: Any) -> str:
    """A value for a message: itself when short, else what it is (a file's content, a list of
    5,000 criteria, a private key read as one long text, is never repeated)."""
    text = repr(value)
    if len(text) <= 60 and "\\n" not in text:
        return text
    if isinstance(value, str):
        return f"a text of {len(value)} characters"
    if isinstance(value, list):
        return f"a list of {len(value)} entries"
    if isinstance(value, dict):
        return f"a mapping of {len(value)} keys"
    return f"a {type(value).__name__}"


_SIZE = {"maxLength": "characters", "maxItems": "entries", "maxProperties": "keys"}


def _without_content(message: str, err: jsonschema.ValidationError) -> str:
    """The message with a long value it quotes (jsonschema quotes the whole value) said briefly,
    and a size limit said with its number."""
    if err.validator in _SIZE:
        return f"{brief(err.instance)} is too long (at most {err.validator_value} {_SIZE[err.validator]})"
    text = repr(err.instance)
    return message.replace(text, brief(err.instance)) if len(text) > 60 or "\\n" in text else message


def _schema_message(err: jsonschema.ValidationError, path: list[str]) -> str:
    if len(path) >= 2 and path[-2] == "where" and err.validator == "additionalProperties":
        props = err.schema.get("properties", {})
        bad = sorted(k for k in err.instance if k not in props)[0]
        return f"unknown operator {bad!r}{did_you_mean(bad, props)} (known: {', '.join(props)})"
    if err.validator == "additionalProperties" and isinstance(err.instance, dict):
        extra = [k for k in err.instance if k not in err.schema.get("properties", {})]
        return f"unknown key{'s' * (len(extra) > 1)} " + listing(brief(k) for k in extra)
    if err.validator == "additionalProperties":
        return err.message.replace("Additional properties are not allowed", "unknown key")
    if "propertyNames" in err.schema_path and err.schema.get("description"):
        return f"{err.instance!r} is not {err.schema['description']}"
    if err.validator == "type" and err.validator_value == "array" and not isinstance(err.instance, (list, dict)):
        key = path[-1] if path else "this"
        return f"{key} needs a list, not a single value: write {key}: [{err.instance}]"
    if err.validator == "type" and err.validator_value == "array" and isinstance(err.instance, dict):
        key = path[-1] if path else "this"
        return f"{key} needs a list, not a single mapping: begin each of its entries with '- '"
    if err.validator == "type" and isinstance(err.instance, list) and len(path) >= 2 and path[-2] == "where":
        vals = listing(str(v) if len(str(v)) <= 60 else brief(v) for v in err.instance)
        return (
            f"a list is not a value to compare: write {path[-1]}: {{in: [{vals}]}} (one of these values), or "
            f"{{contains_any: [{vals}]}} for a list field"
        )
    if err.validator == "type" and err.validator_value == "object" and not isinstance(err.instance, dict):
        key = path[-1] if path else "this"
        keys = ", ".join(err.schema.get("properties", {})) or "name: value"
        return f"{key} needs a mapping ({{{keys}}}), not {err.instance!r}"
    if err.validator == "not" and isinstance(err.instance, dict):
        for (a, b), why in _EXCLUSIVE.items():
            if a in err.instance and b in err.instance:
                return f"{a} and {b} cannot go together in one condition: {why}"
    if err.validator == "not" and err.validator_value == {"pattern": "\\n"} and isinstance(err.instance, str):
        return f"{err.instance!r} holds a line break: it must be one line of {err.schema.get('pattern', 'text')}"
    if err.validator == "oneOf" and isinstance(err.instance, dict):
        keys = listing(k if len(k) <= 60 else brief(k) for k in sorted(err.instance)) or "nothing"
        return f"not a valid {err.schema_path[-2] if len(err.schema_path) > 1 else 'value'} (has: {keys})"
    return err.message


@cache
def _fast_validator(name: str) -> Any:
    return jsonschema_rs.validator_for(load_schema(name), validate_formats=True)


@cache
def _validator(name: str) -> jsonschema.protocols.Validator:
    import jsonschema

    schema = load_schema(name)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def with_default_window(cond: dict, days: int) -> dict:
    """The condition as evaluated: every leaf without a window of its own gets the ladder's
    default (`default_window`: at most `days` old and inside the packet's period). A criterion
    that gives `within_days` says how old its evidence may be, before the period included."""
    if "evidence" in cond:
        own = "within_days" in cond or cond.get("any_time") or "regularly" in cond
        out = cond if own else {**cond, "default_window": days}
        if "linked_to" in cond:  # the clause is a leaf too: the same window unless it gives its own
            out = {**out, "linked_to": with_default_window(cond["linked_to"], days)}
        return out
    key = next(k for k in COMPOSITES if k in cond)
    return {**cond, key: [with_default_window(c, days) for c in cond[key]]}


def uses_default_window(cond: dict) -> bool:
    """Some leaf of the (evaluated) condition relies on the ladder's default window."""
    if "evidence" in cond:
        return "default_window" in cond or ("linked_to" in cond and uses_default_window(cond["linked_to"]))
    return any(uses_default_window(c) for k in COMPOSITES if k in cond for c in cond[k])


def _source_forms(ladder_doc: Document, history: bool = False) -> tuple[list[str] | None, list[Problem]]:
    """ladder.yaml's `source_forms`: the forms a criterion's `source` may take in this pack (none:
    free text), matched by engine.base.sourceforms, never as a regular expression. The retired
    `source_pattern` is an error that says what to write instead, except in a pack read from
    history (an audit's revisions), where it is ignored: a source's form never changes a verdict."""
    data = ladder_doc.data
    if "source_pattern" in data and not history:
        return None, [
            Problem(
                ladder_doc.source,
                "/source_pattern",
                retired_pattern_message(data["source_pattern"]),
                line=ladder_doc.locate("/source_pattern"),
                kind="rules",
            )
        ]
    return data.get("source_forms"), []


def _includes_problems(doc: Document, lv: str, inc: str | None, levels: dict[str, Level]) -> list[Problem]:
    """`includes` names a level below this one on a track they share (so the chain ends)."""
    if inc is None:
        return []
    line = doc.locate("/includes")
    if inc not in levels:
        return [
            Problem(
                doc.source, "/includes", f"unknown level {inc!r}{did_you_mean(inc, levels)}", line=line, kind="rules"
            )
        ]
    me, low = levels[lv], levels[inc]
    if low.order >= me.order or not set(low.tracks) & set(me.tracks):
        return [
            Problem(
                doc.source,
                "/includes",
                f"level {inc!r} is not below {lv!r} on a track they share: a level includes the level beneath it",
                line=line,
                kind="rules",
            )
        ]
    return []


def _per_aspect_problems(doc: Document, per_aspect: dict[str, int], crits: list[Criterion]) -> list[Problem]:
    """Each per-aspect threshold can be met: the level has that many supporting criteria of the aspect."""
    out = []
    for aspect, n in per_aspect.items():
        have = [c.id for c in crits if not c.required and c.aspect == aspect]
        if n > len(have):
            ptr = f"/policy/min_supporting_per_aspect/{aspect}"
            aspects = sorted({c.aspect for c in crits if not c.required and c.aspect})
            out.append(
                Problem(
                    doc.source,
                    ptr,
                    f"asks for {n} supporting {aspect} criteria but the level has "
                    f"{len(have)}"
                    + (
                        f" ({listing(have)})"
                        if have
                        else f"{did_you_mean(aspect, aspects)} (supporting aspects here: {listing(aspects) or 'none'})"
                    ),
                    line=doc.locate(ptr),
                    kind="rules",
                )
            )
    return out


def build_rulebook(
    docs: dict[str, Document], directory: str, packet_schema: PacketSchema | None = None, history: bool = False
) -> RuleBook:
    """Check and build a rule book. Criteria are checked against `packet_schema` (default: the
    bundled one), which is also what packets evaluated with this book are checked against.
    `history`: the pack as it was at a revision, written before ladder.yaml's source_pattern was
    retired (its sources are then not checked)."""
    packet_schema = packet_schema or bundled_packet_schema()
    problems: list[Problem] = []
    ladder_doc = docs.pop("ladder.yaml", None)
    if ladder_doc is None:
        raise RulesError(
            [Problem(f"{directory}/ladder.yaml", "", "missing: it lists the levels and tracks", kind="rules")]
        )
    problems += _schema_problems(ladder_doc, "ladder")
    vocab_doc, vocab_problems = vocabulary_doc(docs, directory)
    problems += vocab_problems + (_schema_problems(vocab_doc, "vocabulary") if vocab_doc else [])
    for doc in docs.values():
        if not isinstance(doc.data, dict):
            problems.append(Problem(doc.source, "", "a level file must be a mapping", kind="rules"))
        else:
            problems += _schema_problems(doc, "rules")
    if problems:
        raise RulesError(problems)

    lad = ladder_doc.data
    # -- levels and tracks ------------------------------------------------------------------
    levels: dict[str, Level] = {}
    names: dict[str, str] = {}
    track_of: dict[str, list[str]] = {}
    for tname, members in lad["tracks"].items():
        for lv in members:
            track_of.setdefault(lv, []).append(tname)
    for i, lv in enumerate(lad["levels"]):
        ptr = f"/levels/{i}"
        for name in [lv["id"], *lv.get("aliases", [])]:
            if name in names or name == EXTERNAL:
                problems.append(
                    Problem(
                        ladder_doc.source,
                        ptr,
                        f"level id or alias {name!r} is used twice",
                        line=ladder_doc.locate(ptr),
                        kind="rules",
                    )
                )
            names[name] = lv["id"]
        levels[lv["id"]] = Level(
            lv["id"],
            lv["title"],
            lv["guide_level"],
            lv["order"],
            tuple(lv.get("aliases", [])),
            tuple(track_of.get(lv["id"], [])),
        )
    for tname, members in lad["tracks"].items():
        ptr = f"/tracks/{tname}"
        seen: set[str] = set()
        prev = 0
        for lv in members:
            if lv not in levels:
                problems.append(
                    Problem(
                        ladder_doc.source,
                        ptr,
                        f"unknown level {lv!r}{did_you_mean(lv, levels)}",
                        line=ladder_doc.locate(ptr),
                        kind="rules",
                    )
                )
                continue
            if lv in seen:
                problems.append(
                    Problem(
                        ladder_doc.source,
                        ptr,
                        f"level {lv!r} appears twice: the track has a cycle",
                        line=ladder_doc.locate(ptr),
                        kind="rules",
                    )
                )
            elif levels[lv].order <= prev:
                problems.append(
                    Problem(
                        ladder_doc.source,
                        ptr,
                        f"level {lv!r} (order {levels[lv].order}) does not rise above the level "
                        f"before it (order {prev}): the track must climb",
                        line=ladder_doc.locate(ptr),
                        kind="rules",
                    )
                )
            seen.add(lv)
            prev = max(prev, levels[lv].order)
    default_track = lad.get("default_track", next(iter(lad["tracks"])))
    if default_track not in lad["tracks"]:
        problems.append(
            Problem(
                ladder_doc.source,
                "/default_track",
                f"unknown track {default_track!r}",
                line=ladder_doc.locate("/default_track"),
                kind="rules",
            )
        )
    for lv in levels.values():
        if not lv.tracks:
            problems.append(
                Problem(
                    ladder_doc.source,
                    "/levels",
                    f"level {lv.id!r} is on no track",
                    kind="rules",
                    line=ladder_doc.locate("/levels"),
                )
            )
    if vocab_doc is not None:  # the pack's own words, before any criterion is checked against them
        packet_schema, vocab_problems = extend(packet_schema, vocab_doc)
        if vocab_problems:
            raise RulesError(problems + vocab_problems)
    # The pack is the authority on levels and tracks: packets are checked with the schema they specialise.
    packet_schema = specialise(packet_schema, list(names), list(lad["tracks"]))
    source_forms, source_problem = _source_forms(ladder_doc, history)
    problems += source_problem
    integrity, integrity_problems = policy_problems(
        ladder_doc, {lv.id: lv.order for lv in levels.values()}, set(lad["tracks"]), set(evidence_fields(packet_schema))
    )
    problems += integrity_problems

    # -- level files ------------------------------------------------------------------------
    checker = FieldChecker(set(levels), packet_schema)
    window = lad.get("default_window_days")
    level_rules: dict[str, LevelRules] = {}
    crit_seen: dict[str, str] = {}
    for doc in docs.values():
        data = doc.data
        lv = data["level"]
        if lv not in levels:
            problems.append(
                Problem(
                    doc.source,
                    "/level",
                    f"unknown level {lv!r}{did_you_mean(lv, levels)}",
                    line=doc.locate("/level"),
                    kind="rules",
                )
            )
            continue
        if lv in level_rules:
            problems.append(
                Problem(
                    doc.source,
                    "/level",
                    f"level {lv!r} already has a file ({level_rules[lv].file})",
                    line=doc.locate("/level"),
                    kind="rules",
                )
            )
            continue
        crits = []
        for i, c in enumerate(data["criteria"]):
            ptr = f"/criteria/{i}"
            if c["id"] in crit_seen:
                problems.append(
                    Problem(
                        doc.source,
                        f"{ptr}/id",
                        f"duplicate criterion id {c['id']!r} (also in {crit_seen[c['id']]})",
                        line=doc.locate(f"{ptr}/id"),
                        kind="rules",
                    )
                )
            crit_seen[c["id"]] = doc.source
            if source_forms is not None and not matches_any(source_forms, c["source"]):
                example = lad.get("source_example")
                problems.append(
                    Problem(
                        doc.source,
                        f"{ptr}/source",
                        f"source {c['source']!r} is not in this ladder's "
                        "form for sources (ladder.yaml source_forms)" + (f"; e.g. {example!r}" if example else ""),
                        line=doc.locate(f"{ptr}/source"),
                        kind="rules",
                    )
                )
            if not c["id"].startswith(lv + "."):
                problems.append(
                    Problem(
                        doc.source,
                        f"{ptr}/id",
                        f"criterion id must start with '{lv}.'",
                        line=doc.locate(f"{ptr}/id"),
                        kind="rules",
                    )
                )
            for path, msg, kind in checker.check_condition(c["condition"], f"{ptr}/condition"):
                problems.append(Problem(doc.source, path, msg, line=doc.locate(path), kind=kind))
            # an order comparison on a scale field is decided as the `in` list of the members it allows
            base = scales_as_lists(c["condition"], checker.types)
            cond = base if window is None else with_default_window(base, window)
            crits.append(
                Criterion(
                    c["id"],
                    lv,
                    c["title"],
                    c["source"],
                    c["required"],
                    cond,
                    c.get("aspect"),
                    c.get("rationale"),
                    doc.source,
                    doc.locate(ptr),
                    c.get("basis"),
                    c.get("basis_note"),
                    dict(c.get("acknowledge", {})),
                    window if cond is not base and uses_default_window(cond) else None,
                )
            )
        pol = data["policy"]
        supporting = sum(1 for c in crits if not c.required)
        if pol["min_supporting"] > supporting:
            problems.append(
                Problem(
                    doc.source,
                    "/policy/min_supporting",
                    f"asks for {pol['min_supporting']} supporting criteria but the level has only {supporting}",
                    line=doc.locate("/policy/min_supporting"),
                    kind="rules",
                )
            )
        per_aspect = pol.get("min_supporting_per_aspect", {})
        problems += _per_aspect_problems(doc, per_aspect, crits)
        level_rules[lv] = LevelRules(
            lv,
            Policy(
                pol["min_supporting"],
                pol["sufficient_evidence"]["min_records"],
                pol["sufficient_evidence"]["within_days"],
                pol.get("basis"),
                pol.get("basis_note"),
                tuple(sorted(per_aspect.items())),
            ),
            tuple(crits),
            doc.source,
            doc.locate("/criteria"),
            data.get("includes"),
        )
        problems += _includes_problems(doc, lv, data.get("includes"), levels)
    for lv in levels:
        if lv not in level_rules:
            problems.append(Problem(f"{directory}/{lv}.yaml", "", f"level {lv!r} has no rules file", kind="rules"))
    if problems:
        raise RulesError(problems)

    raw = {
        "ladder": lad,
        "levels": {lv: docs_data for lv, docs_data in sorted((d.data["level"], d.data) for d in docs.values())},
    }
    if vocab_doc is not None:  # (only then: a pack without one keeps its rules_version)
        raw["vocabulary"] = vocab_doc.data
    version = "sha256:" + hashlib.sha256(canonical_json(raw).encode()).hexdigest()
    tracks = {t: tuple(m) for t, m in lad["tracks"].items()}
    lines = {f"level:{lv['id']}": ladder_doc.locate(f"/levels/{i}") for i, lv in enumerate(lad["levels"])}
    lines.update({f"track:{t}": ladder_doc.locate(f"/tracks/{t}") for t in lad["tracks"]})
    lines["default_window_days"] = ladder_doc.locate("/default_window_days")
    return RuleBook(
        levels,
        tracks,
        default_track,
        level_rules,
        version,
        directory,
        raw,
        packet_schema,
        bool(lad.get("label_policy_numbers", False)),
        ladder_doc.source,
        lines,
        integrity,
        None if window is None else (window, lad.get("default_window_basis"), lad.get("default_window_note")),
    )
