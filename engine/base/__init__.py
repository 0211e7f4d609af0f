"""Foundations: errors and their exit codes, escaping for every output, the clock, reading files (YAML,
JSON, workbooks, many inputs), atomic writes, the worker pool, did-you-mean. May import: nothing
else in engine/ (docs/architecture.md; tests/test_architecture.py holds it)."""
