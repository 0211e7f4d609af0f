"""The organisation's own records that a packet is held against: the people directory, the cycle
calendar, and the anchoring of evidence to both. May import: engine.base, engine.book
(docs/architecture.md; tests/test_architecture.py holds it)."""
