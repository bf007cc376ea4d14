"""Which production callable each public function of ``reference`` is named after.

A reference function keeps the name of the production one it mirrors (``box_iou`` is
``torchvision.ops.box_iou``; OpenCV's ``GaussianBlur`` is ``gaussian_blur``). The lookup
goes through :data:`NAMESPACES` in order, so the functional API comes before the module API.
Used by the signature-fidelity test and by the API index of the site.
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from functools import cache
from typing import Any

SECTIONS = (
    "foundations",
    "cnn",
    "image",
    "training",
    "attention",
    "detection",
    "metrics",
    "generative",
    "rl",
)

# Where production names are looked up, first match wins (torch.nn.functional before torch:
# the functional API is what the reference functions mirror).
NAMESPACES = (
    "torch.nn.functional",
    "torch.nn",
    "torch.linalg",
    "torch.nn.utils",
    "torch.optim",
    "torchvision.ops",
    "torchvision.models",
    "torchvision.models.resnet",
    "torchvision.models.googlenet",
    "scipy.stats",
    "scipy.special",
    "torchmetrics.functional",
    "torchmetrics.functional.detection",
    "torchmetrics.functional.segmentation",
    "torch",
    "cv2",
)


@dataclass(frozen=True)
class Pair:
    """A reference callable and the production callable named like it."""

    section: str
    name: str
    ours: Any
    theirs: Any
    where: str  # the production namespace
    spelled: str  # the production name (OpenCV's CamelCase)

    def __str__(self) -> str:
        return f"{self.section}.{self.name}"

    @property
    def production(self) -> str:
        return f"{self.where}.{self.spelled}"


def snake(name: str) -> str:
    """OpenCV's CamelCase as a Python function name: GaussianBlur -> gaussian_blur."""
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def public_callables() -> list[tuple[str, str, Any]]:
    """``(section, name, object)`` of every callable in every ``reference.<section>.__all__``."""
    out = []
    for section in SECTIONS:
        module = importlib.import_module(f"reference.{section}")
        out.extend((section, n, getattr(module, n)) for n in module.__all__)
    return [(section, name, obj) for section, name, obj in out if callable(obj)]


@cache
def production_pairs() -> tuple[Pair, ...]:
    """Every public callable of ``reference.<section>.__all__`` with a production namesake."""
    modules = {name: importlib.import_module(name) for name in NAMESPACES}
    cv2_names = {snake(n): n for n in dir(modules["cv2"]) if callable(getattr(modules["cv2"], n))}
    pairs = []
    for section, name, ours in public_callables():
        for where, namespace in modules.items():
            spelled = cv2_names.get(name) if where == "cv2" else name
            theirs = getattr(namespace, spelled, None) if spelled else None
            if callable(theirs):
                pairs.append(Pair(section, name, ours, theirs, where, spelled))
                break
    return tuple(pairs)
