"""CNN cases: ``conv2d`` (im2col + matmul) against ``F.conv2d``, and pooling against torch."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import torch
import torch.nn.functional as F

from reference.cnn import avg_pool2d, bilinear_interpolate, conv2d, max_pool2d


def cases() -> Iterator[tuple[str, int, Callable[[], object], Callable[[], object]]]:
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(1, 64, 56, 56, generator=generator)  # a ResNet stage-1 feature map
    w = torch.randn(64, 64, 3, 3, generator=generator)
    size = x.numel()
    yield (
        "conv2d 3x3",
        size,
        lambda: conv2d(x, w, padding=1),
        lambda: F.conv2d(x, w, padding=1),
    )
    yield (
        "max_pool2d 3x3/2",
        size,
        lambda: max_pool2d(x, 3, 2, 1),
        lambda: F.max_pool2d(x, 3, 2, 1),
    )
    yield (
        "avg_pool2d 2x2/2",
        size,
        lambda: avg_pool2d(x, 2),
        lambda: F.avg_pool2d(x, 2),
    )
    yield (
        "bilinear x2",
        size,
        lambda: bilinear_interpolate(x, scale_factor=2),
        lambda: F.interpolate(x, scale_factor=2, mode="bilinear"),
    )
