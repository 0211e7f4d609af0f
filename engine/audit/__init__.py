"""`ladder audit`: what a rule change changes, before it merges.

Audit is evaluation done twice: each revision's rules and packet schema are read from git
(git.py), compared by meaning (diff.py), and every packet goes through the same pipeline as
`ladder evaluate` under each revision (impact.py); the result is a value (result.py) that
renderers turn into text, JSON or markdown (render.py); run.py is the command as the CLI calls
it. tests/test_audit_differential.py checks the flips equal separate evaluations.
"""

from .diff import FieldChange, RuleDiff, diff_rules, diff_schemas, diff_values
from .git import locate_rules, resolve_rev, rules_at
from .impact import assess
from .render import RENDERERS, render_json, render_markdown, render_text
from .result import AuditResult
from .run import AuditOptions, execute, run_audit

__all__ = [
    "RENDERERS",
    "AuditOptions",
    "AuditResult",
    "FieldChange",
    "RuleDiff",
    "assess",
    "diff_rules",
    "diff_schemas",
    "diff_values",
    "execute",
    "locate_rules",
    "render_json",
    "render_markdown",
    "render_text",
    "resolve_rev",
    "rules_at",
    "run_audit",
]
