"""Box generators shared by the detection tests."""

from __future__ import annotations

import torch


def random_boxes(
    n: int,
    dtype: torch.dtype = torch.float64,
    size: float = 100.0,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """``n`` valid boxes ``(x1, y1, x2, y2)`` with sides in [1, 31) inside a ``size`` square."""
    xy = torch.rand(n, 2, generator=generator, dtype=torch.float64) * size
    wh = torch.rand(n, 2, generator=generator, dtype=torch.float64) * 30 + 1
    return torch.cat([xy, xy + wh], dim=1).to(dtype)
