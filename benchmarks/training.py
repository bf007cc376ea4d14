"""Training cases: losses and BatchNorm2d against torch on typical batch sizes."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import torch
import torch.nn.functional as F
import torchvision.ops
from torch import nn

from reference.training import BatchNorm2d, cross_entropy, sigmoid_focal_loss, smooth_l1_loss


def cases() -> Iterator[tuple[str, int, Callable[[], object], Callable[[], object]]]:
    generator = torch.Generator().manual_seed(0)
    logits = torch.randn(4096, 1000, generator=generator)
    labels = torch.randint(1000, (4096,), generator=generator)
    yield (
        "cross_entropy (smoothing 0.1)",
        4096,
        lambda: cross_entropy(logits, labels, label_smoothing=0.1),
        lambda: F.cross_entropy(logits, labels, label_smoothing=0.1),
    )
    scores = torch.randn(100_000, 80, generator=generator)
    targets = (torch.rand(100_000, 80, generator=generator) < 0.01).float()
    yield (
        "sigmoid_focal_loss",
        100_000,
        lambda: sigmoid_focal_loss(scores, targets, reduction="mean"),
        lambda: torchvision.ops.sigmoid_focal_loss(scores, targets, reduction="mean"),
    )
    boxes, target_boxes = (
        torch.randn(100_000, 4, generator=generator),
        torch.randn(100_000, 4, generator=generator),
    )
    yield (
        "smooth_l1_loss",
        100_000,
        lambda: smooth_l1_loss(boxes, target_boxes),
        lambda: F.smooth_l1_loss(boxes, target_boxes),
    )
    x = torch.randn(32, 64, 56, 56, generator=generator)
    ours, theirs = BatchNorm2d(64), nn.BatchNorm2d(64)
    yield ("BatchNorm2d (train)", 32, lambda: ours(x), lambda: theirs(x))
