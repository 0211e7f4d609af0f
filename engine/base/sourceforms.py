"""The forms a criterion's `source` may take: ladder.yaml's `source_forms`, matched by plain code.

A rule pack is data, not code, and arrives in pull requests: it holds no regular expression for
Python's backtracking engine to run (`^(a|a)*$` against a long source took minutes). A form is
literal text in which `*` stands for one or more characters of any kind; everything else,
spaces and case included, is itself. Matching splits the form at its stars and finds each piece
in turn, leftmost first (enough, since a star only asks for some text): linear in the lengths
of the form and the source, never a search through alternatives.
"""

from __future__ import annotations

import json

STAR = "*"


def matches(form: str, text: str) -> bool:
    """`text` has the form `form`: its literal pieces in order, with at least one character where
    each `*` stands (so `Level * · *` takes `Level 3 · Scope` but neither `Level  · Scope` nor
    `Level 3 · `)."""
    first, *rest = form.split(STAR)
    if not rest:
        return text == form
    *middle, last = rest
    if not text.startswith(first):
        return False
    pos = len(first)  # the end of the text matched so far; the next star takes text[pos]
    for piece in middle:
        at = text.find(piece, pos + 1)
        if at < 0:
            return False
        pos = at + len(piece)
    return len(text) - len(last) >= pos + 1 and text.endswith(last)


def matches_any(forms: list[str], text: str) -> bool:
    return any(matches(f, text) for f in forms)


# -- ladder.yaml's retired `source_pattern`: what to write instead -----------------------------
MAX_FORMS = 30  # a suggestion longer than this is no help; the message then says how to write one
_SMALL_CLASS = 10  # [1-5] becomes five forms; [A-Z] becomes a star
_WILD = "\0"  # a wildcard while translating (a pattern cannot hold NUL: it is YAML text)


def forms_for(pattern: str) -> list[str] | None:
    """The source_forms a simple `source_pattern` becomes, or None when it is not simple: anchored
    (^...$), literal text, escaped characters, one level of (a|b) groups, small character classes
    ([1-5]) and wildcards (.+, [A-Z]+, a large class) that become `*`. It reads the pattern once,
    left to right, and gives up on anything else; it never runs it."""
    if len(pattern) > 300 or not (pattern.startswith("^") and pattern.endswith("$")) or pattern.endswith("\\$"):
        return None
    body = pattern[1:-1]
    seq: list[list[str]] = []  # each element: the alternatives at that place
    i = 0
    while i < len(body):
        ch = body[i]
        if ch == "(":
            end = body.find(")", i)
            if end < 0:
                return None
            inner = body[i + 1 : end]
            if inner.startswith("?:"):
                inner = inner[2:]
            alts: list[str] = []
            for alt in inner.split("|"):
                sub = forms_for("^" + alt + "$") if alt else None
                if sub is None:
                    return None
                alts += [s.replace(STAR, _WILD) for s in sub]
            seq.append(alts)
            i = end + 1
        elif ch == "[":
            end = body.find("]", i + 2)
            if end < 0 or "\\" in body[i + 1 : end]:  # an escape may hide the class's real end: give up
                return None
            members = _class_members(body[i + 1 : end])
            i = end + 1
            if members is None or len(members) > _SMALL_CLASS or body[i : i + 1] in ("+", "*"):
                seq.append([_WILD])
                i += body[i : i + 1] in ("+", "*")
            else:
                seq.append(members)
        elif ch == "." or (ch == "\\" and body[i + 1 : i + 2] in ("w", "W", "s", "S", "d", "D")):
            i += 1 if ch == "." else 2
            if body[i : i + 1] in ("+", "*"):
                i += 1
            seq.append([_WILD])
        elif ch == "\\" and i + 1 < len(body) and not body[i + 1].isalnum():
            seq.append([body[i + 1]])
            i += 2
        elif ch in "+*?{}|)$^\\":
            return None
        else:
            seq.append([ch])
            i += 1
        if body[i : i + 1] in ("+", "*", "?", "{"):  # a quantifier on something that is not a wildcard
            return None
    out = [""]
    for alts in seq:
        out = [o + a for o in out for a in alts]
        if len(out) > MAX_FORMS:
            return None
    forms = []
    for o in out:
        while _WILD * 2 in o:
            o = o.replace(_WILD * 2, _WILD)
        if STAR in o:  # a literal star cannot be written in a form
            return None
        forms.append(o.replace(_WILD, STAR))
    return list(dict.fromkeys(forms))


def _class_members(spec: str) -> list[str] | None:
    """The characters of a simple class body (`1-5`, `abc`), or None for anything else (^, escapes)."""
    if not spec or spec.startswith("^") or "\\" in spec or "[" in spec:
        return None
    out: list[str] = []
    i = 0
    while i < len(spec):
        if i + 2 < len(spec) and spec[i + 1] == "-":
            lo, hi = ord(spec[i]), ord(spec[i + 2])
            if hi < lo or hi - lo > 60:
                return None
            out += [chr(c) for c in range(lo, hi + 1)]
            i += 3
        else:
            out.append(spec[i])
            i += 1
    return list(dict.fromkeys(out))


def retired_pattern_message(pattern: object) -> str:
    """What to write instead of ladder.yaml's `source_pattern`, as exactly as the pattern allows."""
    head = (
        "source_pattern (a regular expression) is no longer read: a rule pack holds no regular expressions. "
        "Delete it and list the allowed forms of a source as source_forms, where * stands for any text "
        "(one or more characters)"
    )
    forms = forms_for(pattern) if isinstance(pattern, str) else None
    if forms:
        return f"{head}; for this pattern write: source_forms: {json.dumps(forms, ensure_ascii=False)}"
    return (
        f"{head}, one form for each alternative of the pattern, e.g. source_forms: "
        '["Level * · *", "Closing principles · *"] (docs/rules.md, Bring your own ladder, step 3)'
    )
