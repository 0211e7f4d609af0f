"""ladder: promotion-readiness evaluation for the product-management career ladder.

The library behind the `ladder` command. Typical use:

    book = load_rules()                       # bundled rules, checked
    packet = check_document(load_file(p), book)
    verdict = Evaluator(book).evaluate(packet)
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# Each public name and the module it lives in, imported on first use (PEP 562): `import engine`,
# or a command that needs only the loader, does not pay for the evaluator and its rules engine.
_WHERE = {
    "Document": "loader", "EvidenceError": "errors", "Evaluator": "evaluator", "LadderError": "errors",
    "Packet": "evidence", "Problem": "errors", "RuleBook": "rules", "RulesError": "errors",
    "UsageError": "errors", "Verdict": "verdict", "check_document": "evidence", "load_file": "loader",
    "load_rules": "rules",
}

__all__ = ["Document", "EvidenceError", "Evaluator", "LadderError", "Packet", "Problem", "RuleBook", "RulesError",
           "UsageError", "Verdict", "check_document", "load_file", "load_rules"]

if TYPE_CHECKING:
    from .errors import EvidenceError, LadderError, Problem, RulesError, UsageError
    from .evaluator import Evaluator
    from .evidence import Packet, check_document
    from .loader import Document, load_file
    from .rules import RuleBook, load_rules
    from .verdict import Verdict


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value  # once: the next look-up is a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
