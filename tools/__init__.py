"""Build-time helpers for the documentation site (not part of the reference package)."""
