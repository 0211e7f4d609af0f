"""Killed mutants of engine/base/escape.py (tools/mutate.py): a piece the program colours is escaped
like any other text, line breaks included, and markdown shows a terminal control sequence from a
file as text."""
from __future__ import annotations


def test_a_painted_piece_is_escaped_before_its_colour_is_put_around_it():
    from engine.base.escape import Paint, terminal_lines

    shown = terminal_lines([("verdict: ", Paint("ready\x1b[2J\nFORGED", fg="green"))], style=None)
    assert "\x1b" not in shown and "\n" not in shown
    assert shown == "verdict: ready\\x1b[2J\\x0aFORGED"


def test_a_painted_piece_is_escaped_inside_the_style_too():
    from engine.base.escape import Paint, terminal_lines

    def style(text, **kw):
        return f"<{kw['fg']}>{text}</>"

    assert terminal_lines([(Paint("a\rb", fg="red"),)], style=style) == "<red>a\\x0db</>"


def test_markdown_shows_a_control_sequence_as_text():
    from engine.base.escape import markdown

    got = markdown("Checkout\x1b[31m redesign\x07")
    assert "\x1b" not in got and "\x07" not in got
    assert "\\x1b" in got and "\\x07" in got


def test_an_inline_code_span_shows_a_control_sequence_as_text():
    from engine.base.escape import markdown_code

    got = markdown_code("rules/\x1b]8;;evil\x07ladder.yaml")
    assert "\x1b" not in got and "\x07" not in got and got.startswith("`") and got.endswith("`")


def test_every_url_attribute_refuses_a_script_url():
    import pytest

    from engine.base.escape import html_attr

    for name in ("href", "src", "action", "formaction", "poster", "cite", "background", "srcset", "data", "ping"):
        with pytest.raises(ValueError, match="only a same-page fragment or an https: URL"):
            html_attr(name, "javascript:alert(1)")
        assert html_attr(name, "https://example.org/x") == f' {name}="https://example.org/x"'
    with pytest.raises(ValueError):  # a namespaced name is never written, URL or not
        html_attr("xlink:href", "javascript:alert(1)")
