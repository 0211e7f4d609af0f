"""Rule and packet-schema diffs by meaning: parsed data, criteria keyed by id, equivalent
spellings equal, renames recognised."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..book.rules import RuleBook, canonical_json
from ..outputs.report import dumps


def _kind(required: bool | None) -> str:
    return "required" if required else "supporting"


class _Missing:
    def __repr__(self) -> str:
        return "(absent)"


MISSING: Any = _Missing()


@dataclass(frozen=True)
class FieldChange:
    path: str  # dotted, e.g. condition.min_count or condition.any_of.1.where.rating.gte
    old: Any = MISSING
    new: Any = MISSING

    def as_dict(self) -> dict:
        d: dict[str, Any] = {"path": self.path}
        if self.old is not MISSING:
            d["old"] = self.old
        if self.new is not MISSING:
            d["new"] = self.new
        return d

    def text(self) -> str:
        s = f"{self.path}: {show(self.old)} -> {show(self.new)}"
        if self.path == "required" and isinstance(self.old, bool) and isinstance(self.new, bool):
            return s + f" ({_kind(self.old)} -> {_kind(self.new)})"
        if isinstance(self.old, list) and isinstance(self.new, list) and _scalars(self.old + self.new):
            plus = [show(v) for v in self.new if v not in self.old]
            minus = [show(v) for v in self.old if v not in self.new]
            bits = ([f"added {', '.join(plus)}"] if plus else []) + ([f"removed {', '.join(minus)}"] if minus else [])
            if bits:
                s += f" ({'; '.join(bits)})"
        return s


@dataclass(frozen=True)
class CriterionChange:
    id: str
    level: str
    change: str  # added | removed | changed | renamed (id is the new id)
    required: bool | None = None  # for added / removed: which kind
    fields: tuple[FieldChange, ...] = ()
    old_id: str = ""  # renamed: the id at the base

    def as_dict(self) -> dict:
        if self.change == "renamed":
            return {"from": self.old_id, "to": self.id, "level": self.level}
        d: dict[str, Any] = {"id": self.id, "level": self.level}
        if self.change == "changed":
            d["changes"] = [f.as_dict() for f in self.fields]
        else:
            d["required"] = self.required
        return d


@dataclass
class RuleDiff:
    ladder: list[FieldChange] = field(default_factory=list)  # tracks, default track, ...
    levels_added: list[str] = field(default_factory=list)
    levels_removed: list[str] = field(default_factory=list)
    levels: dict[str, list[FieldChange]] = field(default_factory=dict)  # title, order, policy ...
    criteria: list[CriterionChange] = field(default_factory=list)
    level_contents: dict[str, dict] = field(default_factory=dict)  # added/removed level -> criteria, policy

    @property
    def empty(self) -> bool:
        return not (self.ladder or self.levels_added or self.levels_removed or self.levels or self.criteria)

    def of(self, change: str) -> list[CriterionChange]:
        return [c for c in self.criteria if c.change == change]

    def counts(self) -> str:
        parts = []
        for n, one, many in (
            (len(self.levels_added), "level added", "levels added"),
            (len(self.levels_removed), "level removed", "levels removed"),
            (len(self.levels), "level with changed settings or policy", "levels with changed settings or policy"),
            (len(self.of("added")), "criterion added", "criteria added"),
            (len(self.of("removed")), "criterion removed", "criteria removed"),
            (len(self.of("changed")), "criterion changed", "criteria changed"),
            (len(self.of("renamed")), "criterion renamed", "criteria renamed"),
            (len(self.ladder), "ladder change", "ladder changes"),
        ):
            if n:
                parts.append(f"{n} {one if n == 1 else many}")
        return ", ".join(parts) or "no rule change in meaning"

    def as_dict(self) -> dict:
        return {
            "ladder": [f.as_dict() for f in self.ladder],
            "levels_added": self.levels_added,
            "levels_removed": self.levels_removed,
            "levels": {lv: [f.as_dict() for f in fs] for lv, fs in self.levels.items()},
            "criteria_added": [c.as_dict() for c in self.of("added")],
            "criteria_removed": [c.as_dict() for c in self.of("removed")],
            "criteria_changed": [c.as_dict() for c in self.of("changed")],
            "criteria_renamed": [c.as_dict() for c in self.of("renamed")],
            "level_contents": self.level_contents,
        }


def _scalars(values: list) -> bool:
    return all(not isinstance(v, (dict, list)) for v in values)


def show(v: Any) -> str:
    """A rule value as a reviewer reads it: YAML-ish flow style, `(absent)` for no value."""
    if v is MISSING:
        return "(absent)"
    if isinstance(v, bool):
        return "true" if v else "false"
    if v is None:
        return "null"
    if isinstance(v, str):
        return v if v and v.strip() == v and not any(ch in v for ch in ",[]{}:#\n") else dumps(v)
    if isinstance(v, list):
        return "[" + ", ".join(show(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k}: {show(v[k])}" for k in sorted(v)) + "}"
    return str(v)


def _same_members(a: list, b: list) -> bool:
    return sorted(canonical_json(x) for x in a) == sorted(canonical_json(x) for x in b)


def diff_values(
    old: Any, new: Any, path: str = "", ordered: Callable[[str], bool] = lambda p: False
) -> list[FieldChange]:
    """Recursive diff of parsed data, one FieldChange per changed leaf, dotted paths.

    Mappings compare by key (key order never matters). Lists compare as collections unless
    `ordered(path)`: `in: [a, b]` and `in: [b, a]` mean the same. Lists of mappings (any_of
    branches, at_least parts, any_item clauses) set the items both sides hold aside, and when as
    many items changed on each side, diff them pairwise (numbered by their place in the new list),
    so a changed threshold in one branch shows as itself. On a condition leaf, a key written on one
    side only is compared with its default on the other (`min_count: 1 -> 2`), never shown as
    written when neither side wrote it.
    """
    if type(old) is type(new) and old == new:
        return []
    if isinstance(old, dict) and isinstance(new, dict):
        out: list[FieldChange] = []
        for k in sorted(set(old) | set(new), key=str):
            a, b = old.get(k, MISSING), new.get(k, MISSING)
            if (a is MISSING) != (b is MISSING):
                a, b = (_leaf_default(old, k) if a is MISSING else a), (_leaf_default(new, k) if b is MISSING else b)
            out += diff_values(a, b, f"{path}.{k}" if path else str(k), ordered)
        return out
    if isinstance(old, list) and isinstance(new, list):
        if not ordered(path) and _same_members(old, new):
            return []
        if not ordered(path) and all(isinstance(x, dict) for x in old + new):
            keys_old = [canonical_json(x) for x in old]
            keys_new = [canonical_json(x) for x in new]
            rest_old = list(range(len(old)))
            rest_new = []
            for j, k in enumerate(keys_new):
                hit = next((i for i in rest_old if keys_old[i] == k), None)
                if hit is None:
                    rest_new.append(j)
                else:
                    rest_old.remove(hit)
            if len(rest_old) == len(rest_new):
                out = []
                for i, j in zip(rest_old, rest_new):
                    out += diff_values(old[i], new[j], f"{path}.{j}", ordered)
                return out
        elif len(old) == len(new) and all(isinstance(x, dict) for x in old + new):
            out = []
            for i, (a, b) in enumerate(zip(old, new)):
                out += diff_values(a, b, f"{path}.{i}", ordered)
            return out
    return [FieldChange(path, old, new)]


# Defaults of a condition leaf: what an absent key means (rules.schema.json, docs/rules.md).
_COUNTS_RECORDS = ("distinct", "mean", "regularly")  # a leaf with one of these has no min_count
_LEAF_DEFAULTS: dict[str, Any] = {"min_count": 1, "unflagged": False}


def _leaf_default(cond: dict, key: str) -> Any:
    """The value an absent `key` has on the condition leaf `cond`, or MISSING (no default there)."""
    if "evidence" not in cond or key not in _LEAF_DEFAULTS:
        return MISSING
    if key == "min_count" and any(k in cond for k in _COUNTS_RECORDS):
        return MISSING
    return _LEAF_DEFAULTS[key]


def _ordered(path: str) -> bool:
    return path.startswith("tracks.")  # a track is a climb: its order is its meaning


def _norm_predicate(pred: Any) -> Any:
    """One spelling per meaning: `led`, `{eq: led}` and `{in: [led]}` are all `led`;
    `{not_in: [x]}` is `{ne: x}` (the compiler gives both the same test)."""
    if not isinstance(pred, dict):
        return pred
    ops = dict(pred)
    if isinstance(ops.get("in"), list) and len({canonical_json(x) for x in ops["in"]}) == 1 and "eq" not in ops:
        ops["eq"] = ops.pop("in")[0]
    if isinstance(ops.get("not_in"), list) and len({canonical_json(x) for x in ops["not_in"]}) == 1 and "ne" not in ops:
        ops["ne"] = ops.pop("not_in")[0]
    return ops["eq"] if list(ops) == ["eq"] else ops


def _norm_where(where: Any) -> Any:
    return {k: _norm_predicate(v) for k, v in where.items()} if isinstance(where, dict) else where


def _norm_clause(clause: Any) -> Any:
    if isinstance(clause, dict) and "where" in clause:
        return {**clause, "where": _norm_where(clause["where"])}
    return clause


def norm_condition(cond: Any, sort: bool = False) -> Any:
    """A condition in one normal form, at every depth, so that what the compiler tests alike reads
    alike: predicates in one spelling (`led` = `{eq: led}` = `{in: [led]}`); `at_least: 1` is
    `any_of` and `at_least: <all parts>` is `all_of`; with `sort`, parts and any_item clauses in
    one order (else as written, so a diff numbers them as the file does; diff_values compares
    them as collections either way); a
    single any_item clause written bare or as a one-item list is one clause; and defaults dropped
    (`min_count: 1` on a leaf that counts records, `unflagged: false`), so that a default is never
    shown as if someone wrote it."""
    if not isinstance(cond, dict):
        return cond
    out = dict(cond)
    if isinstance(out.get("at_least"), int) and isinstance(out.get("of"), list) and set(out) == {"at_least", "of"}:
        k, parts = out["at_least"], out["of"]
        if k == 1:
            out = {"any_of": parts}
        elif k == len(parts):
            out = {"all_of": parts}
    for key in ("all_of", "any_of", "of"):
        if isinstance(out.get(key), list):
            out[key] = _order([norm_condition(c, sort) for c in out[key]], sort)
    if "evidence" in out:
        if "where" in out:
            out["where"] = _norm_where(out["where"])
        if "linked_to" in out:
            out["linked_to"] = norm_condition(out["linked_to"], sort)
        if "any_item" in out:
            clauses = out["any_item"] if isinstance(out["any_item"], list) else [out["any_item"]]
            clauses = _order([_norm_clause(c) for c in clauses], sort)
            out["any_item"] = clauses[0] if len(clauses) == 1 else clauses
        for key, default in _LEAF_DEFAULTS.items():
            if (
                key in out
                and out[key] == default
                and type(out[key]) is type(default)
                and _leaf_default({k: v for k, v in out.items() if k != key}, key) == default
            ):
                del out[key]
    return out


def _order(parts: list, sort: bool) -> list:
    return sorted(parts, key=canonical_json) if sort else parts


def _body(c: dict, sort: bool = False) -> dict:
    """A criterion without its id, its condition in one spelling: what a rename keeps (compared
    with `sort`, so that reordered parts are the same body)."""
    body = {k: v for k, v in c.items() if k != "id"}
    if "condition" in body:
        body["condition"] = norm_condition(body["condition"], sort)
    return body


def _level_summary(book: RuleBook, lv: str) -> dict:
    f = book.raw["levels"].get(lv) or {}
    crits = [c for c in f.get("criteria", []) if isinstance(c, dict)]
    return {
        "criteria": [c["id"] for c in crits],
        "required": [c["id"] for c in crits if c.get("required")],
        "policy": f.get("policy"),
    }


def diff_rules(base: RuleBook | None, head: RuleBook) -> RuleDiff:
    """What changed in meaning between two rule books (formatting and ordering never show).
    `base` None: the pack does not exist at the base, so everything in it is added."""
    d = RuleDiff()
    if base is None:
        d.ladder = diff_values({}, {k: v for k, v in head.raw["ladder"].items() if k != "levels"}, "", _ordered)
        d.levels_added = head.ordered_levels()
        d.level_contents = {lv: {"change": "added", **_level_summary(head, lv)} for lv in d.levels_added}
        return d
    b_lad, h_lad = base.raw["ladder"], head.raw["ladder"]
    b_levels = {lv["id"]: lv for lv in b_lad.get("levels", [])}
    h_levels = {lv["id"]: lv for lv in h_lad.get("levels", [])}
    d.ladder = diff_values(
        {k: v for k, v in b_lad.items() if k != "levels"},
        {k: v for k, v in h_lad.items() if k != "levels"},
        "",
        _ordered,
    )
    order = head.ordered_levels() + [lv for lv in base.ordered_levels() if lv not in head.levels]
    d.levels_added = [lv for lv in order if lv in h_levels and lv not in b_levels]
    d.levels_removed = [lv for lv in order if lv in b_levels and lv not in h_levels]
    d.level_contents = {lv: {"change": "added", **_level_summary(head, lv)} for lv in d.levels_added}
    d.level_contents.update({lv: {"change": "removed", **_level_summary(base, lv)} for lv in d.levels_removed})
    for lv in order:
        if lv not in b_levels or lv not in h_levels:
            continue
        fs = diff_values(
            {k: v for k, v in b_levels[lv].items() if k != "id"}, {k: v for k, v in h_levels[lv].items() if k != "id"}
        )
        b_file, h_file = base.raw["levels"][lv], head.raw["levels"][lv]
        fs += diff_values(b_file.get("policy"), h_file.get("policy"), "policy")
        if fs:
            d.levels[lv] = fs
        b_crit = {c["id"]: c for c in b_file.get("criteria", [])}
        h_crit = {c["id"]: c for c in h_file.get("criteria", [])}
        # A removed id and an added id whose bodies (all but the id) mean the same: a rename.
        renamed: dict[str, str] = {}
        added_bodies: dict[str, list[str]] = {}
        for cid in h_crit:
            if cid not in b_crit:
                added_bodies.setdefault(canonical_json(_body(h_crit[cid], sort=True)), []).append(cid)
        for cid in b_crit:
            if cid not in h_crit:
                same = added_bodies.get(canonical_json(_body(b_crit[cid], sort=True)))
                if same:
                    renamed[cid] = same.pop(0)
        new_ids = set(renamed.values())
        for cid in list(b_crit) + [cid for cid in h_crit if cid not in b_crit]:
            if cid in renamed:
                d.criteria.append(
                    CriterionChange(renamed[cid], lv, "renamed", bool(h_crit[renamed[cid]]["required"]), old_id=cid)
                )
            elif cid in new_ids:
                continue
            elif cid not in h_crit:
                d.criteria.append(CriterionChange(cid, lv, "removed", bool(b_crit[cid]["required"])))
            elif cid not in b_crit:
                d.criteria.append(CriterionChange(cid, lv, "added", bool(h_crit[cid]["required"])))
            else:
                fs = diff_values(_body(b_crit[cid]), _body(h_crit[cid]))
                if fs:
                    d.criteria.append(CriterionChange(cid, lv, "changed", fields=tuple(fs)))
    return d


# =============================================================================================
# Impact: every packet under both rule books
# =============================================================================================
def diff_schemas(old: dict, new: dict, path: str = "") -> list[dict]:
    """What a packet schema change means for packets: fields, enum values and required fields
    added or removed (by name, whatever the order), and any other change by its JSON path."""
    out: list[dict] = []
    for key in sorted(old.keys() | new.keys()):
        here = f"{path}/{key}" if path else key
        a, b = old.get(key, MISSING), new.get(key, MISSING)
        if a == b:
            continue
        if key in ("enum", "required") and isinstance(a, list) and isinstance(b, list):
            what = "values" if key == "enum" else "required fields"
            added, removed = [v for v in b if v not in a], [v for v in a if v not in b]
            out += [{"path": here, "change": f"{what} added", "values": added}] if added else []
            out += [{"path": here, "change": f"{what} removed", "values": removed}] if removed else []
            if not added and not removed:
                out.append({"path": here, "change": "reordered"})
        elif key == "properties" and isinstance(a, dict) and isinstance(b, dict):
            added, removed = sorted(b.keys() - a.keys()), sorted(a.keys() - b.keys())
            out += [{"path": here, "change": "fields added", "values": added}] if added else []
            out += [{"path": here, "change": "fields removed", "values": removed}] if removed else []
            for k in sorted(a.keys() & b.keys()):
                if isinstance(a[k], dict) and isinstance(b[k], dict):
                    out += diff_schemas(a[k], b[k], f"{here}/{k}")
                elif a[k] != b[k]:
                    out.append({"path": f"{here}/{k}", "change": "changed"})
        elif isinstance(a, dict) and isinstance(b, dict):
            out += diff_schemas(a, b, here)
        else:
            out.append({"path": here, "change": "added" if a is MISSING else "removed" if b is MISSING else "changed"})
    return out


def schema_change_text(c: dict) -> str:
    return f"{c['path']}: {c['change']}" + (f": {', '.join(map(str, c['values']))}" if c.get("values") else "")
