"""Contract failures in code that another issue owns, listed so that they are not fixed twice.

``(callable, argument, category)`` -> what goes wrong. The test requires each listed
problem to still be there: once it is fixed, the entry must go.
"""

from __future__ import annotations

ALLOWED: dict[tuple[str, str, str], str] = {
    # issue 17 owns training.cross_entropy
    ("training.cross_entropy", "input", "dtype"): "integer logits reach mean(): RuntimeError",
    ("training.cross_entropy", "input", "empty"): "the target's shape error names target only",
    ("training.cross_entropy", "input", "meta"): "no device check: mixes meta and CPU",
    ("training.cross_entropy", "target", "dtype"): "int32 targets accepted, torch refuses them",
    ("training.cross_entropy", "target", "meta"): ".item() on a meta tensor: RuntimeError",
}
