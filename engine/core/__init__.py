"""The pipeline: check a packet, evaluate it (facts, durable_rules firing, explanations), plan what
would make it ready; engine.core.pipeline is its four stages, and firing.py the only module that
imports durable_rules. May import: engine.base, engine.book, engine.org (docs/architecture.md;
tests/test_architecture.py holds it)."""
