"""Detection cases: ``nms`` and ``box_iou`` against torchvision at 1,000 and 10,000 boxes."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import torch
import torchvision.ops

from reference.detection import box_iou, nms


def random_boxes(n: int, generator: torch.Generator) -> torch.Tensor:
    """``n`` boxes of side 1-101 px scattered over a 1000x1000 image: typical detector output."""
    xy = torch.rand(n, 2, generator=generator) * 1000
    wh = torch.rand(n, 2, generator=generator) * 100 + 1
    return torch.cat([xy, xy + wh], dim=1)


def cases() -> Iterator[tuple[str, int, Callable[[], object], Callable[[], object]]]:
    generator = torch.Generator().manual_seed(0)
    for n in (1_000, 10_000):
        boxes = random_boxes(n, generator)
        scores = torch.rand(n, generator=generator)
        yield (
            "nms",
            n,
            lambda b=boxes, s=scores: nms(b, s, 0.5),
            lambda b=boxes, s=scores: torchvision.ops.nms(b, s, 0.5),
        )
        yield (
            "box_iou",
            n,
            lambda b=boxes: box_iou(b, b),
            lambda b=boxes: torchvision.ops.box_iou(b, b),
        )
