"""Shared test settings: one table of tolerances per dtype, and a deterministic seed."""

from __future__ import annotations

import pytest
import torch
from hypothesis import settings

settings.register_profile("ci", max_examples=60, deadline=None, derandomize=True)
settings.load_profile("ci")

# Tolerances for comparing a reference function with its production counterpart.
TOLERANCES: dict[torch.dtype, dict[str, float]] = {
    torch.float64: {"rtol": 1e-10, "atol": 1e-12},
    torch.float32: {"rtol": 1e-5, "atol": 1e-6},
}


def tol(dtype: torch.dtype) -> dict[str, float]:
    """Keyword tolerances for ``torch.testing.assert_close`` at ``dtype``."""
    return TOLERANCES[dtype]


@pytest.fixture(autouse=True)
def _seed() -> None:
    torch.manual_seed(0)
