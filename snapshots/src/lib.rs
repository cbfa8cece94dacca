//! Snapshot tests live in `tests/`; the corpus in `corpus/`.
