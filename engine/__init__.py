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
    "Document": "base.loader",
    "EvidenceError": "base.errors",
    "Evaluator": "core.evaluator",
    "LadderError": "base.errors",
    "Packet": "core.evidence",
    "Problem": "base.errors",
    "RuleBook": "book.rules",
    "RulesError": "base.errors",
    "UsageError": "base.errors",
    "Verdict": "core.verdict",
    "check_document": "core.evidence",
    "load_file": "base.loader",
    "load_rules": "book.rules",
}

__all__ = [
    "Document",
    "EvidenceError",
    "Evaluator",
    "LadderError",
    "Packet",
    "Problem",
    "RuleBook",
    "RulesError",
    "UsageError",
    "Verdict",
    "check_document",
    "load_file",
    "load_rules",
]

if TYPE_CHECKING:
    from .base.errors import EvidenceError, LadderError, Problem, RulesError, UsageError
    from .base.loader import Document, load_file
    from .book.rules import RuleBook, load_rules
    from .core.evaluator import Evaluator
    from .core.evidence import Packet, check_document
    from .core.verdict import Verdict


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value  # once: the next look-up is a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
