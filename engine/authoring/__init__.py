"""Writing ladders and packets: rule tests and lint, new packs, `ladder new`'s template and the field
reference. May import: engine.base, engine.book, engine.core, engine.outputs (docs/architecture.md;
tests/test_architecture.py holds it)."""
