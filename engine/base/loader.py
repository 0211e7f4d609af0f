"""Reading packet and rule files: bytes -> text -> plain JSON-like data.

Safe YAML only, duplicate keys are errors (a silently dropped value is lost evidence),
dates stay strings (the schema checks them), and only JSON types come out.
"""

from __future__ import annotations

import json
import math
import os
import re
import stat
import sys
from dataclasses import dataclass, field
from typing import Any, BinaryIO

import orjson
import yaml

from .errors import Problem

DEFAULT_MAX_BYTES = 5 * 1024 * 1024
MAX_DEPTH = 32  # packets and rules are shallow; deeper is an attack or an accident
MAX_NODES = 200_000  # bounds alias expansion ("billion laughs") and huge documents
# PyYAML composes at ~5 us an event, so 5 MB of tiny YAML values took seconds before MAX_NODES
# could refuse it. A packet of 500 records with every field set is ~100k events.
MAX_EVENTS = 120_000

_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class DuplicateKey(yaml.MarkedYAMLError):
    pass


class _Loader(_BaseLoader):  # type: ignore[misc, valid-type]
    """Safe loader with duplicate-key detection and no implicit timestamps."""


# Dates must stay strings: the schema checks their format and we check the calendar.
_Loader.yaml_implicit_resolvers = {
    ch: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for ch, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    loader.flatten_mapping(node)
    seen: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=deep)
        try:
            hash(key)
        except TypeError:
            raise yaml.constructor.ConstructorError(
                None, None, "a mapping key must be a plain string", key_node.start_mark
            ) from None
        if key in seen:
            raise DuplicateKey(
                None, None, f"duplicate key {_key(key)} (the earlier value would be lost)", key_node.start_mark
            )
        seen[key] = loader.construct_object(value_node, deep=deep)
    return seen


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _key(key: Any) -> str:
    """A mapping key for a message: keys name fields, but a megabyte key must not fill the log."""
    text = repr(key)
    return text if len(text) <= 60 else f"a {len(str(key))}-character key"


class _DupJSON(ValueError):
    def __init__(self, key: str):
        super().__init__(key)
        self.key = key


def _json_pairs(pairs: list[tuple[str, Any]]) -> dict:
    d = dict(pairs)
    if len(d) != len(pairs):
        seen: set[str] = set()
        for k, _ in pairs:
            if k in seen:
                raise _DupJSON(k)
            seen.add(k)
    return d


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text[:20]}{'…' if len(text) > 20 else ''} is beyond the range of a number (±1.8e308)")
    return value


def _bad_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


@dataclass
class Document:
    """A parsed document and where it came from; `text` is kept to locate problems by line."""

    source: str
    data: Any
    text: str
    fmt: str  # "json" | "yaml"
    line_offset: int | None = None  # for a JSONL line: its line number in the file, minus one
    _lines: dict | None = field(default=None, repr=False, compare=False)  # built on first locate, then kept
    # False when parsed by the fast JSON path: an integer beyond 64 bits may have become a float
    # there. No such number is schema-valid, so only an invalid packet is re-parsed (exactly()).
    exact: bool = True

    def exactly(self) -> None:
        """Re-parse a fast-parsed JSON text with the strict parser, so problems show exact values."""
        if not self.exact:
            self.data = None  # one tree at a time: a 5 MB mapping is ~40 MB parsed
            self.data = parse_text(self.text, self.source, self.fmt, self.line_offset, fast=False).data
            self.exact = True

    def locate(self, pointer: str) -> int | None:
        """Line number of a JSON pointer, computed only when a problem needs one."""
        if "\n" not in self.text.strip():  # one line (JSONL, minified JSON): no need to compose anything
            return (self.line_offset or 0) + 1
        if self._lines is None:  # a rules file locates every criterion: compose the YAML once, not each time
            self._lines = line_index(self.text)
        lines = self._lines
        parts = [p.replace("~1", "/").replace("~0", "~") for p in pointer.split("/")[1:]] if pointer else []
        while True:
            hit = lines.get(tuple(parts))
            if hit is not None:
                return hit + (self.line_offset or 0)
            if not parts:
                return None
            parts.pop()


def line_index(text: str) -> dict[tuple[str, ...], int]:
    """Map each path in a YAML/JSON text to the 1-based line its value starts on."""
    try:
        # libyaml when present: the pure-Python composer takes seconds on a 5 MB packet
        node = yaml.compose(text, Loader=_BaseLoader)
    except Exception:  # noqa: BLE001 - locating is best effort; the real error is reported elsewhere
        return {}
    return _node_lines(node)


def _node_lines(node: Any) -> dict[tuple[str, ...], int]:
    """line_index of a composed node (before it is constructed: merge keys rewrite the tree)."""
    out: dict[tuple[str, ...], int] = {}
    stack: list[tuple[Any, tuple[str, ...]]] = [(node, ())] if node is not None else []
    count = 0
    while stack and count < MAX_NODES:
        count += 1
        n, path = stack.pop()
        out.setdefault(path, n.start_mark.line + 1)
        if isinstance(n, yaml.MappingNode):
            for k, v in n.value:
                key = str(k.value)
                out.setdefault(path + (key,), k.start_mark.line + 1)
                stack.append((v, path + (key,)))
                # a key's own line is where its value is reported
        elif isinstance(n, yaml.SequenceNode):
            for i, v in enumerate(n.value):
                stack.append((v, path + (str(i),)))
    return out


def decode(raw: bytes, source: str) -> str:
    """UTF-8 (a BOM is tolerated), CRLF normalised; anything else is a located problem."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ParseFailure(
            Problem(
                source,
                "",
                f"not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start}); save the file as UTF-8",
                line=line,
                kind="encoding",
            )
        ) from None
    if "\x00" in text:
        raise ParseFailure(
            Problem(
                source,
                "",
                "binary data (NUL bytes), not a YAML or JSON document",
                line=text[: text.index("\x00")].count("\n") + 1,
                kind="encoding",
            )
        )
    return text.replace("\r\n", "\n")


class ParseFailure(Exception):
    def __init__(self, problem: Problem):
        super().__init__(str(problem))
        self.problem = problem


def guess_format(path: str, text: str) -> str:
    lower = path.lower()
    if lower.endswith((".json", ".jsonl")):
        return "json"
    if lower.endswith((".yaml", ".yml")):
        return "yaml"
    return "json" if text.lstrip()[:1] in ("{", "[") else "yaml"


def _fast_json(text: str) -> Any:
    """orjson's parse when it provably equals the strict one's (else _SLOW): two thirds of the
    strict parser's time on a bench line (50 against 76 us), for every packet of a batch.

    orjson keeps the last of duplicate keys silently, so the members are counted: outside strings
    every colon separates one member, and inside them a colon is written as itself unless escaped
    as \\u003a. So when the text has no such escape, a dropped duplicate leaves the text with more
    colons than the parsed value re-serialized (which writes each member once, colons as
    themselves). Any orjson error (NaN, 1e400, depth, bad surrogates) goes to the strict parser,
    whose messages are the documented ones."""
    try:
        data = orjson.loads(text)
        if "\\u003" in text or text.count(":") != orjson.dumps(data).count(b":"):
            return _SLOW
    except (orjson.JSONDecodeError, orjson.JSONEncodeError):  # (dumps stops at 254 levels)
        return _SLOW
    return data


_SLOW = object()
# The check builds the tree and its re-serialization at once (~15x the text in memory): packets
# are kilobytes, so texts larger than this take the strict parser, which peaks lower.
FAST_JSON_MAX = 1024 * 1024


def parse_text(
    text: str, source: str, fmt: str, line_offset: int | None = None, fast: bool = True, lines: bool = False
) -> Document:
    """`text` parsed (ParseFailure, located, if it is not one document of its format). `lines`: a
    YAML text's line numbers are indexed from the very node tree its data is built from, for a
    document that will locate many paths (a rules file), instead of composing it again later."""
    index: dict[tuple[str, ...], int] | None = None
    if not text.strip():
        raise ParseFailure(
            Problem(
                source,
                "",
                "empty document: expected a mapping (a packet, or a rules file)",
                line=line_offset + 1 if line_offset is not None else None,
                kind="parse",
            )
        )
    if fmt == "json" and fast and len(text) <= FAST_JSON_MAX and (data := _fast_json(text)) is not _SLOW:
        return Document(source, data, text, fmt, line_offset, exact=False)
    if fmt == "json":
        try:
            data = json.loads(
                text, object_pairs_hook=_json_pairs, parse_constant=_bad_constant, parse_float=_finite_float
            )
        except _DupJSON as exc:
            doc = Document(source, None, text, fmt, line_offset)
            raise ParseFailure(
                Problem(
                    source,
                    "",
                    f"duplicate key {_key(exc.key)} (the earlier value would be lost)",
                    line=_first_dup_line(text, exc.key, doc),
                    kind="parse",
                )
            ) from None
        except json.JSONDecodeError as exc:
            raise ParseFailure(
                Problem(
                    source,
                    "",
                    f"not valid JSON: {exc.msg} (column {exc.colno})",
                    line=exc.lineno + (line_offset or 0),
                    kind="parse",
                )
            ) from None
        except RecursionError:
            raise ParseFailure(Problem(source, "", f"nested deeper than {MAX_DEPTH} levels", kind="parse")) from None
        except ValueError as exc:  # NaN/Infinity, integers too long to convert
            raise ParseFailure(
                Problem(
                    source,
                    "",
                    f"not valid JSON: {_value_error(exc)}",
                    kind="parse",
                    line=line_offset + 1 if line_offset is not None else None,
                )
            ) from None
    else:
        try:
            if len(text) > 2 * MAX_EVENTS:  # an event takes at least two characters: smaller texts are fine
                _count_events(text, source, line_offset)
            loader = _Loader(text)
            try:
                node = loader.get_node() if loader.check_node() else None
                index = _node_lines(node) if lines and node is not None else None
                data = loader.construct_document(node) if node is not None else None
                # a second document is an error unless it is empty (a trailing `---`); its node gives the line
                second = loader.get_node() if loader.check_data() else None
            finally:
                loader.dispose()
            if second is not None and not (
                isinstance(second, yaml.ScalarNode) and second.tag == "tag:yaml.org,2002:null"
            ):
                raise ParseFailure(
                    Problem(
                        source,
                        "",
                        "several YAML documents in one file; put one packet per file",
                        line=second.start_mark.line + 1 + (line_offset or 0),
                        kind="parse",
                    )
                )
        except ParseFailure:
            raise
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            what = _capped(exc.problem or "invalid YAML")
            if isinstance(exc, yaml.constructor.ConstructorError) and "could not determine a constructor" in what:
                what = (
                    "YAML tags that construct objects are not allowed (" + _tag(what.split("for the tag", 1)[-1]) + ")"
                )
            raise ParseFailure(
                Problem(
                    source,
                    "",
                    f"not valid YAML: {what}",
                    line=(mark.line + 1 + (line_offset or 0)) if mark else None,
                    column=(mark.column + 1) if mark else None,
                    kind="parse",
                )
            ) from None
        except yaml.YAMLError as exc:
            raise ParseFailure(Problem(source, "", f"not valid YAML: {_capped(str(exc))}", kind="parse")) from None
        except RecursionError:
            raise ParseFailure(Problem(source, "", f"nested deeper than {MAX_DEPTH} levels", kind="parse")) from None
        except ValueError as exc:  # an integer of thousands of digits: int() refuses it (CVE-2020-10735 limit)
            raise ParseFailure(
                Problem(
                    source,
                    "",
                    f"not valid YAML: {_value_error(exc)}",
                    kind="parse",
                    line=line_offset + 1 if line_offset is not None else None,
                )
            ) from None
    doc = Document(source, data, text, fmt, line_offset)
    if index is not None:
        doc._lines = index
    if _ESCAPED_SURROGATE.search(text):
        _refuse_lone_surrogates(doc)
    if fmt == "yaml":
        # YAML needs the walk (tags, aliases, non-string keys). JSON holds only JSON types, and
        # its floats are checked as they are parsed (1e400 would be Infinity); its depth (the
        # decoder allows ~1000 levels) is checked by check_tree only if the schema rejects the
        # packet, since a schema-valid packet is shallow. That keeps the walk off the fast path.
        check_tree(doc)
    return doc


# An escape of a UTF-16 surrogate: JSON's \ud800, YAML's \ud800 or \U0000d800. A pair (an emoji
# written as two escapes) parses to one character; a lone one parses to a str no UTF-8 writer
# accepts (orjson, the engine's facts, a file): refused here, where the packet is read.
_ESCAPED_SURROGATE = re.compile(r"\\(?:u|U0000)[dD][89a-fA-F]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def _refuse_lone_surrogates(doc: Document) -> None:
    """A ParseFailure naming the first field (by JSON pointer and line) holding a lone surrogate;
    the value itself is never shown (it cannot be printed, and it may be personal data)."""
    stack: list[tuple[Any, str]] = [(doc.data, "")]
    while stack:
        value, path = stack.pop()
        if isinstance(value, str):
            if _SURROGATE.search(value):
                break
        elif isinstance(value, dict):
            if any(isinstance(k, str) and _SURROGATE.search(k) for k in value):
                path += "/"  # a key: the pointer is its mapping's; the message says it is a key
                break
            stack.extend((v, f"{path}/{_escape(k)}") for k, v in reversed(list(value.items())))
        elif isinstance(value, list):
            stack.extend((v, f"{path}/{i}") for i, v in reversed(list(enumerate(value))))
    else:
        return
    key = path.endswith("/")
    path = path[:-1] if key else path
    # Locating composes the text with libyaml, which refuses the escape: compose a copy with each
    # surrogate escape made a CJK character's (\ud8xx -> \u4exx: same length, same lines).
    where = Document(
        doc.source, None, _ESCAPED_SURROGATE.sub(lambda m: m.group(0)[:-2] + "4e", doc.text), doc.fmt, doc.line_offset
    )
    raise ParseFailure(
        Problem(
            doc.source,
            path,
            f"{'a field name' if key else 'the text'} holds a lone UTF-16 "
            "surrogate escape (\\ud800-\\udfff), which is not a character: write the character "
            "itself, or remove the escape",
            line=where.locate(path),
            kind="encoding",
        )
    )


def _count_events(text: str, source: str, line_offset: int | None) -> None:
    """Refuse a YAML text with more than MAX_EVENTS parser events, before composing it (cheap)."""
    parser = _BaseLoader(text)
    try:
        n = 0
        while parser.check_event():
            parser.get_event()
            n += 1
            if n > MAX_EVENTS:
                raise ParseFailure(
                    Problem(
                        source,
                        "",
                        f"document too large: more than {MAX_EVENTS} YAML values, "
                        "keys and brackets (a packet holds at most 500 evidence records)",
                        line=line_offset + 1 if line_offset is not None else None,
                        kind="parse",
                    )
                )
    finally:
        parser.dispose()


def _capped(words: str, limit: int = 120) -> str:
    """A parser's message names at most a token of the file (a tag, an alias, a character): a
    token of a thousand characters is cut, so no message repeats a file's content."""
    return words if len(words) <= limit else words[:limit] + "…"


def _tag(quoted: str) -> str:
    """The tag a constructor refused, as the parser quotes it: a standard one (python/object...) or
    a short local one (!include) helps; anything else is text of the file, said by its length."""
    tag = quoted.strip()
    if tag.startswith("'tag:yaml.org,2002:") or len(tag) <= 42:
        return tag
    return f"a tag of {len(tag) - 2} characters"


def _value_error(exc: ValueError) -> str:
    """Python's words for a too-long integer advise a Python call; say what is wrong with the file."""
    msg = str(exc)
    if "integer string conversion" in msg:
        return f"a number with more than {sys.get_int_max_str_digits()} digits"
    return msg


def _first_dup_line(text: str, key: str, doc: Document) -> int | None:
    # The repeat inside one object, not the key's second use anywhere (JSON composes as YAML).
    try:
        stack = [yaml.compose(text, Loader=yaml.SafeLoader)]
    except Exception:  # noqa: BLE001 - best effort; fall back to a text search
        stack = []
    repeats = []
    while stack:
        node = stack.pop()
        if isinstance(node, yaml.MappingNode):
            names = [k.value for k, _ in node.value]
            repeats += [
                k.start_mark.line + 1 for i, (k, _) in enumerate(node.value) if k.value == key and key in names[:i]
            ]
            stack += [v for _, v in node.value]
        elif isinstance(node, yaml.SequenceNode):
            stack += node.value
    if repeats:
        return min(repeats) + (doc.line_offset or 0)
    hits = [m.start() for m in re.finditer(re.escape(json.dumps(key)) + r"\s*:", text)]
    if len(hits) >= 2:
        return text[: hits[1]].count("\n") + 1 + (doc.line_offset or 0)
    return doc.line_offset + 1 if doc.line_offset is not None else None


def check_tree(doc: Document) -> None:
    """Only JSON types, bounded depth and size (also stops YAML alias bombs)."""
    stack: list[tuple[Any, str, int]] = [(doc.data, "", 0)]
    nodes = 1
    while stack:
        value, path, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ParseFailure(
                Problem(doc.source, path, f"nested deeper than {MAX_DEPTH} levels", kind="parse", line=doc.locate(path))
            )
        if isinstance(value, (dict, list)):
            # children are counted before they are stacked: a list of 2.4M zeros once stacked
            # 2.4M (value, path, depth) tuples, 300 MB, before the count stopped it
            nodes += len(value)
            if nodes > MAX_NODES:
                raise ParseFailure(
                    Problem(
                        doc.source,
                        "",
                        f"document too large: more than {MAX_NODES} values"
                        + (" (YAML aliases expanding?)" if doc.fmt == "yaml" else ""),
                        kind="parse",
                    )
                )
        if isinstance(value, dict):
            for k, v in value.items():
                if not isinstance(k, str):
                    raise ParseFailure(
                        Problem(
                            doc.source,
                            path,
                            f"mapping key {_key(k)} must be a string",
                            line=doc.locate(path),
                            kind="parse",
                        )
                    )
                stack.append((v, f"{path}/{_escape(k)}", depth + 1))
        elif isinstance(value, list):
            for i, v in enumerate(value):
                stack.append((v, f"{path}/{i}", depth + 1))
        elif isinstance(value, float):
            if not math.isfinite(value):
                raise ParseFailure(
                    Problem(
                        doc.source,
                        path,
                        "not a finite number (NaN and Infinity are not allowed; "
                        "a number beyond ±1.8e308 overflows to Infinity)",
                        line=doc.locate(path),
                        kind="parse",
                    )
                )
        elif value is None or isinstance(value, (str, int, bool)):
            pass
        else:
            raise ParseFailure(
                Problem(
                    doc.source,
                    path,
                    f"a {type(value).__name__} value is not allowed here; "
                    "use plain strings, numbers, lists and mappings",
                    line=doc.locate(path),
                    kind="parse",
                )
            )


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def open_input(path: str | os.PathLike) -> BinaryIO:
    """Open a packet file for reading without ever blocking on it.

    O_NONBLOCK: opening a fifo must not wait forever for a writer. A pipe is then read to its
    end (`ladder evaluate <(make-packet)` works; a fifo nobody writes to reads as empty).
    Sockets and devices (/dev/zero, a terminal) are refused. Raises OSError or ParseFailure.
    """
    src = str(path)
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    fh = os.fdopen(fd, "rb")
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(src)
        if stat.S_ISFIFO(mode):
            os.set_blocking(fd, True)
        elif not stat.S_ISREG(mode):
            raise ParseFailure(
                Problem(
                    src, "", "not a regular file (a socket or device); pass packet files, or - for stdin", kind="io"
                )
            )
    except BaseException:
        fh.close()
        raise
    return fh


def read_bytes(path: str | os.PathLike, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """Read at most max_bytes; a larger file is a problem, not a memory spike."""
    src = str(path)
    try:
        with open_input(path) as fh:
            raw = fh.read(max_bytes + 1)
    except IsADirectoryError:
        raise ParseFailure(Problem(src, "", "is a folder, not a file", kind="io")) from None
    except FileNotFoundError:
        raise ParseFailure(Problem(src, "", "no such file", kind="io")) from None
    except PermissionError:
        raise ParseFailure(Problem(src, "", "permission denied", kind="io")) from None
    except OSError as exc:
        raise ParseFailure(Problem(src, "", f"cannot read: {exc.strerror or exc}", kind="io")) from None
    if len(raw) > max_bytes:
        raise ParseFailure(
            Problem(
                src, "", f"file is larger than the limit of {max_bytes} bytes (raise it with --max-bytes)", kind="io"
            )
        )
    return raw


LEAVES_PACK = (
    "a symbolic link that leads out of the rules pack's folder; a pack's files must be inside it "
    "(the link was not followed): copy the file into the pack instead"
)


def inside(path: str | os.PathLike, folder: str | os.PathLike) -> bool:
    """`path`, every link on its way followed, is `folder` (links followed too) or inside it."""
    real, root = os.path.realpath(path), os.path.realpath(folder)
    return real == root or real.startswith(root.rstrip(os.sep) + os.sep)


def load_pack_file(path: str | os.PathLike, pack: str | os.PathLike, max_bytes: int = DEFAULT_MAX_BYTES) -> Document:
    """A file of a rules pack. A pack arrives in pull requests: a file that is a link out of the
    pack's folder (ladder.yaml -> ~/.ssh/id_ed25519) is refused before it is opened, so no
    message can repeat what it holds. The file read is the one checked (its resolved path)."""
    if not inside(path, pack):
        raise ParseFailure(Problem(str(path), "", LEAVES_PACK, kind="rules"))
    src = str(path)
    text = decode(read_bytes(os.path.realpath(path), max_bytes), src)
    return parse_text(text, src, guess_format(src, text), lines=True)  # a rules file locates every criterion


def load_file(path: str | os.PathLike, max_bytes: int = DEFAULT_MAX_BYTES) -> Document:
    src = str(path)
    text = decode(read_bytes(path, max_bytes), src)
    return parse_text(text, src, guess_format(src, text))
