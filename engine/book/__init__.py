"""The ladder as data: the rule book, its vocabulary, operator and field tables, the packet schema, the
integrity policy, adjacent-path profiles, and the rules compiled for durable_rules. May import:
engine.base (docs/architecture.md; tests/test_architecture.py holds it)."""
