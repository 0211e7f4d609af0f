"""ladder: promotion-readiness evaluation for the product-management career ladder.

The library behind the `ladder` command. Typical use:

    book = load_rules()                       # bundled rules, checked
    packet = check_document(load_file(p), book)
    verdict = Evaluator(book).evaluate(packet)
"""
from .errors import EvidenceError, LadderError, Problem, RulesError, UsageError
from .evaluator import Evaluator
from .evidence import Packet, check_document
from .loader import Document, load_file
from .rules import RuleBook, load_rules
from .verdict import Verdict

__all__ = ["Document", "EvidenceError", "Evaluator", "LadderError", "Packet", "Problem", "RuleBook", "RulesError",
           "UsageError", "Verdict", "check_document", "load_file", "load_rules"]
