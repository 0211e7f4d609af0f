"""Verdicts written for people and programs: text, JSON, markdown, the HTML report and its charts, CSV
and workbooks, and the results file read back. May import: engine.base, engine.book, engine.org,
engine.core (docs/architecture.md; tests/test_architecture.py holds it)."""
