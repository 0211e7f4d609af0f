"""Many packets and the committee: batch, the decisions file, calibrate, compare, reverify and the one-
page case. May import: engine.base, engine.book, engine.org, engine.core, engine.outputs
(docs/architecture.md; tests/test_architecture.py holds it)."""
