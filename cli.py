"""`ladder` command line: parse options, call engine.commands, map results to exit codes.

Exit codes: 0 done · 1 rules-test failures / audit --exit-code with flips · 2 usage error ·
3 invalid packet(s) · 4 invalid rules · 70 internal error (a bug; please report it).
"""
from __future__ import annotations

import sys
from typing import NoReturn

import click

from engine import commands
from engine.errors import EvidenceError, LadderError, RulesError, UsageError
from engine.loader import DEFAULT_MAX_BYTES
from engine.report import FORMATS
from engine.rules import load_rules

RULES_OPT = click.option("--rules", "rules_dir", type=click.Path(file_okay=False), default=None,
                         help="Rules folder (default: the bundled rules).")
FORMAT_OPT = click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True,
                          help="Output format.")
MAXB_OPT = click.option("--max-bytes", type=click.IntRange(1), default=DEFAULT_MAX_BYTES, show_default=True,
                        help="Largest packet file accepted.")


def _fail(exc: LadderError, code: int) -> NoReturn:
    click.echo(str(exc), err=True)
    sys.exit(code)


def _run(fn, *args, **kwargs) -> None:
    """Call a command; print its output; exit with its code. Errors become messages, not tracebacks."""
    try:
        out, code = fn(*args, **kwargs)
    except RulesError as exc:
        _fail(exc, commands.EXIT_INVALID_RULES)
    except EvidenceError as exc:
        _fail(exc, commands.EXIT_INVALID_PACKET)
    except UsageError as exc:
        _fail(exc, commands.EXIT_USAGE)
    if out:
        click.echo(out)
    sys.exit(code)


def _book(rules_dir):
    try:
        return load_rules(rules_dir)
    except RulesError as exc:
        _fail(exc, commands.EXIT_INVALID_RULES)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="ladder")
def main() -> None:
    """Promotion readiness for the product-management career ladder.

    Reads a candidate's evidence packet, fires the ladder's criteria as declarative rules
    (durable_rules) and explains, criterion by criterion, what is met and what is missing.

    Exit codes: 0 done, 1 test failures or audit flips (with --exit-code), 2 usage error,
    3 invalid packet(s), 4 invalid rules.
    """


@main.command()
@click.argument("packets", nargs=-1, required=True)
@RULES_OPT
@FORMAT_OPT
@MAXB_OPT
@click.option("-r", "--recursive", is_flag=True, help="Check the packets inside folders too.")
def validate(packets, rules_dir, fmt, max_bytes, recursive):
    """Check packets against the schema and the semantic rules; list every problem.

    \b
    Example:
      ladder validate fixtures/*.yaml
      ladder validate --format json packet.yaml
      ladder validate -r fixtures/invalid
    """
    s = commands.Settings(rules_dir, "json" if fmt == "json" else "text", max_bytes)
    _run(commands.validate, _book(rules_dir), list(packets), s, recursive)


@main.command()
@click.argument("packet")
@click.option("--target", default=None, help="Target level id or alias (default: the packet's, else the next level).")
@RULES_OPT
@FORMAT_OPT
@MAXB_OPT
@click.option("--redact", is_flag=True, help="Leave names and free text (titles, quotes) out of the output.")
def evaluate(packet, target, rules_dir, fmt, max_bytes, redact):
    """Evaluate one packet and explain the verdict criterion by criterion.

    \b
    Example:
      ladder evaluate fixtures/ada-obi-mid-to-senior.yaml
      ladder evaluate packet.yaml --target director --format markdown
    """
    s = commands.Settings(rules_dir, fmt, max_bytes, redact)
    colour = sys.stdout.isatty()
    _run(commands.evaluate, _book(rules_dir), packet, target, s,
         style=(lambda t, **kw: click.style(t, **kw)) if colour else None)


def run() -> None:  # pragma: no cover - thin wrapper used by the console script
    main()


if __name__ == "__main__":  # pragma: no cover
    main()
