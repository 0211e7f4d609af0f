"""Text leaving the program: one escaping policy per output kind, and nothing else.

Every packet, results file, decisions file, rule pack and file name may be written by someone who
wants a different outcome, and what `ladder` prints is read on a terminal, in a spreadsheet, in a
browser and in a pull request. Each of those readers has characters that act instead of showing
(an escape sequence that moves the cursor, a cell that starts a formula, an attribute that runs
script, a line that becomes a heading). This module is the one place each output kind makes text
inert; the renderers call it where their text leaves them, never piecemeal.

It imports nothing from the engine, so every floor of it may use it.
"""

from __future__ import annotations

import base64
import hashlib
import re
import unicodedata
from collections.abc import Callable, Iterable

# -- terminal ---------------------------------------------------------------------------------------
# What acts on a terminal instead of showing: C0 controls (ESC starts CSI/OSC sequences, CR and
# backspace overwrite, BEL rings), DEL, the C1 controls (U+009B is a one-character CSI on some
# terminals), the bidirectional overrides, embeddings and isolates (text shown in another order than
# it is stored) and the line and paragraph separators. Each is shown as a visible escape: `\x1b` for
# a C0 control (never raw in JSON, which escapes them itself), `\u202e` for the rest (so a JSON line
# printed to a terminal stays valid JSON).
_BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u2028\u2029"
_UNSAFE = "".join(chr(c) for c in range(0x20)) + "\x7f" + "".join(chr(c) for c in range(0x80, 0xA0)) + _BIDI
_UNSAFE_RX = re.compile("[" + re.escape(_UNSAFE) + "]")
_UNSAFE_KEEP_NL_RX = re.compile("[" + re.escape(_UNSAFE.replace("\n", "")) + "]")


def _visible(m: re.Match) -> str:
    c = ord(m.group())
    return f"\\x{c:02x}" if c < 0x20 else f"\\u{c:04x}"


def terminal(text: str, newlines: bool = True) -> str:
    """`text` with every character that would act on a terminal shown as a visible escape. With
    `newlines`, line feeds stay (the program's own line structure); without, they are escaped too
    (one line of free text, or a file name, can then never start a line of its own)."""
    return (_UNSAFE_KEEP_NL_RX if newlines else _UNSAFE_RX).sub(_visible, text)


class TermText(str):
    """Text already made safe for a terminal line by line (`terminal_lines`): the terminal door
    passes it as it is, so the program's own colours survive and nothing is escaped twice."""


class Paint:
    """A piece of a line the program itself colours (a verdict word, a check mark). Its text is
    escaped like any other before the colour is put around it."""

    __slots__ = ("text", "style")

    def __init__(self, text: str, **style) -> None:
        self.text = text
        self.style = style


Line = str | tuple  # a line: text, or a tuple of text and Paint pieces


def terminal_lines(lines: Iterable[Line], style: Callable[..., str] | None = None) -> TermText:
    """Lines joined into terminal text. Each line is escaped whole, line feeds and carriage returns
    included, so text from a file can neither start a line nor rewrite one; colours (`style`, e.g.
    click.style, or None for none) come only from the program's own Paint pieces."""
    out = []
    for line in lines:
        if isinstance(line, str):
            out.append(terminal(line, newlines=False))
            continue
        parts = []
        for p in line:
            if isinstance(p, Paint):
                t = terminal(p.text, newlines=False)
                parts.append(style(t, **p.style) if style else t)
            else:
                parts.append(terminal(p, newlines=False))
        out.append("".join(parts))
    return TermText("\n".join(out))


def terminal_out(text: str) -> str:
    """The terminal door: what is printed to standard output or error. Text built by
    `terminal_lines` passes as it is; any other text keeps its line feeds and loses the rest."""
    return text if isinstance(text, TermText) else terminal(text)


# -- CSV ----------------------------------------------------------------------------------------------
# A cell a spreadsheet runs as a formula starts with = + - @ (after any leading spaces a spreadsheet
# strips), or with a tab or carriage return (which some importers drop before reading the rest).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")
_QUOTE_IF = re.compile('[",\r\n]')


def csv_cell(cell: object) -> str:
    """One CSV cell as text a spreadsheet shows and never runs: None empty, booleans as words, and a
    leading apostrophe on anything that would start a formula."""
    text = "" if cell is None else ("true" if cell is True else "false" if cell is False else str(cell))
    stripped = text.lstrip(" \u00a0")
    if text[:1] in _FORMULA_START or stripped[:1] in _FORMULA_START:
        return "'" + text
    return text


def sheet_cell(cell: object) -> object:
    """A value for a CSV that `ladder import` reads back (engine.outputs.spreadsheet): text as `csv_cell`
    writes it, and an apostrophe also before text that starts with one, so that import, which
    drops one leading apostrophe, gives back every value as it was. Numbers and booleans as
    `csv_cell` writes them (a negative number gets its apostrophe too)."""
    text = csv_cell(cell)
    return "'" + text if text.startswith("'") and text == _plain(cell) else text


def _plain(cell: object) -> str:
    return "" if cell is None else ("true" if cell is True else "false" if cell is False else str(cell))


def csv_line(cells: Iterable[object]) -> str:
    """One CSV record (RFC 4180 quoting, LF-terminated): every cell through `csv_cell`, and quoted
    when it holds a quote, a comma, a carriage return or a line feed. (The csv module quotes only
    the characters of its own line terminator, so a bare CR in a field would end the row in a
    spreadsheet and start the next one with whatever follows.)"""
    out = []
    for cell in cells:
        t = csv_cell(cell)
        out.append('"' + t.replace('"', '""') + '"' if _QUOTE_IF.search(t) else t)
    return ",".join(out) + "\n"


def csv_text(rows: Iterable[Iterable[object]]) -> str:
    return "".join(csv_line(r) for r in rows)


# -- markdown -------------------------------------------------------------------------------------------
# In a table cell, a list item or a heading, text from a file must stay text: a line break would end
# the row or start a heading, a pipe would open a column, and backticks, brackets, angle brackets,
# emphasis marks and entities would make code, links, images, raw HTML or other characters. Each is
# backslash-escaped (CommonMark and GitHub show the character itself); line breaks become spaces;
# and a block marker at the start of the text (`#`, `>`, `-`, `+`, `=`, `1.`) is escaped too, since
# a list item may hold a heading or a quote of its own.
# (An underscore between two letters or digits never makes emphasis, so `verified_by` stays as it is.)
_MD_SPECIAL = re.compile(r"([\\`*\[\]<>&|~]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9]))")
_MD_BREAK = re.compile(r"[\r\n\u2028\u2029\x0b\x0c\x85]+")
_MD_BLOCK = re.compile(r"^(\s*)(?:([#>+=-])|(\d+)([.)]))")


def markdown(text: object) -> str:
    """Free text for one markdown table cell, list item or heading: shown, never acting."""
    t = _MD_SPECIAL.sub(r"\\\1", terminal(_MD_BREAK.sub(" ", str(text)), newlines=False))
    return _MD_BLOCK.sub(
        lambda m: m.group(1) + ("\\" + m.group(2) if m.group(2) else m.group(3) + "\\" + m.group(4)), t
    )


def markdown_code(text: object) -> str:
    """Text for an inline code span: backticks inside are replaced (a code span cannot escape them)
    and an empty span is never written."""
    t = terminal(_MD_BREAK.sub(" ", str(text)), newlines=False).replace("`", "'")
    return f"`{t}`" if t.strip() else "(empty)"


# -- HTML -------------------------------------------------------------------------------------------------
# Text from a file reaches a page only as element content or as a double-quoted attribute value,
# both through `html_text` (& < > " ' escaped: nothing can open a tag, end the attribute or start
# an entity). Attribute names are the program's own, never an event handler (the page's policy
# blocks inline handlers; a name is checked, so a renderer cannot slip one in); an attribute that
# holds a URL takes only a same-page fragment or an https: URL (`safe_url`), never javascript:.
_ATTR_NAME = re.compile(r"^[a-z][a-z0-9-]*$")
_URL_ATTRS = frozenset(
    {"href", "src", "action", "formaction", "poster", "cite", "background", "srcset", "data", "ping", "xlink:href"}
)
_FRAGMENT = re.compile(r"^#[A-Za-z0-9_.:-]*$")
_NAMES_SEEN: set[str] = set()  # attribute names already checked (html_attr)


_HTML_SPECIAL = re.compile("[&<>\"']")
_HTML_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;"})


def html_text(text: object) -> str:
    """Text for an element's content or a quoted attribute value (both quotes escaped): exactly
    `html.escape(text, quote=True)`, in one pass, and no copy when there is nothing to escape (a
    10,000-candidate report escapes over a million values)."""
    s = "" if text is None else text if type(text) is str else str(text)
    return s.translate(_HTML_ESCAPES) if _HTML_SPECIAL.search(s) else s


def html_shown(text: object) -> str:
    """Text for an element's content or a quoted attribute value, as `html_text` makes it, with
    every character that would act on a terminal shown as a visible escape too (`\\x1b`, as the
    markdown door does): a page written to standard output, or printed with `cat`, carries no
    live control character, and the reader of the page sees that one was there."""
    return html_text(terminal("" if text is None else str(text), newlines=False))


def html_attr(name: str, value: object) -> str:
    """` name="value"`: every attribute quoted and escaped, whatever it holds. `name` is the
    program's own (lower case, never `on...`); a URL attribute's value must be a same-page
    fragment (`"#" + html_id(...)`) or an https: URL that `safe_url` keeps: anything else is a
    bug in the caller, refused (ValueError) rather than written."""
    if name not in _NAMES_SEEN:
        if not _ATTR_NAME.match(name) or name.startswith("on"):
            raise ValueError(f"not an attribute name the page may write: {name!r}")
        _NAMES_SEEN.add(name)  # the program's own names: a few dozen, checked once each
    if name in _URL_ATTRS:
        v = "" if value is None else str(value)
        if not (_FRAGMENT.match(v) or safe_url(v) == v):
            raise ValueError(f"{name}: only a same-page fragment or an https: URL")
    return f' {name}="{html_text(value)}"'


_ID_UNSAFE = re.compile(r"[^A-Za-z0-9.:-]")


def html_id(*parts: object) -> str:
    """A fragment id built from values (a level id, an evidence id), its parts joined by `-`. Every
    character outside letters, digits, `.`, `:` and `-` (the `_` of the escape included) becomes
    `_xx_` hex, so the id holds nothing that ends an attribute or a selector, and two different
    values of a part never make one id. The parts are joined by `-`, which a part may also hold:
    give at most one part that may contain `-`, the others fixed words or numbers without it
    (`html_id("k", level, 3)`, `html_id("c12", evidence_id)`), and distinct values stay distinct."""
    return "-".join(_ID_UNSAFE.sub(lambda m: f"_{ord(m.group()):x}_", str(p)) for p in parts)


def safe_url(url: object) -> str | None:
    """An evidence `link` shown as a link only when it is an https: URL without controls or spaces;
    None for anything else (javascript:, data:, http:, relative), which is then shown as text."""
    if not isinstance(url, str):
        return None
    u = unicodedata.normalize("NFKC", url).strip()
    if not u.lower().startswith("https://") or _UNSAFE_RX.search(u) or any(ch.isspace() for ch in u):
        return None
    return u


def csp_hash(text: str) -> str:
    """The CSP source that allows exactly one inline script or style: 'sha256-' and the base64
    sha256 of its text as it stands between its tags."""
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


def html_csp(script: str | None, style: str) -> str:
    """The page's Content-Security-Policy: nothing is fetched, nothing is submitted, no <base>, and
    the only script and style that run are the page's own, named by hash (an injected <script>,
    <style>, event handler, style attribute or javascript: URL is blocked)."""
    return (
        "default-src 'none'; script-src "
        + (csp_hash(script) if script is not None else "'none'")
        + f"; style-src {csp_hash(style)}; base-uri 'none'; form-action 'none'"
    )
