"""Contract failures in code that another issue owns, listed so that they are not fixed twice.

``(callable, argument, category)`` -> what goes wrong. The test requires each listed
problem to still be there: once it is fixed, the entry must go.
"""

from __future__ import annotations

ALLOWED: dict[tuple[str, str, str], str] = {}
