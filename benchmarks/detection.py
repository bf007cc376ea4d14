"""Detection cases against torchvision: ``nms`` and ``box_iou`` at 1,000 and 10,000 boxes,
and ``batched_nms`` at 8,000 boxes in 80 classes (a COCO detector's output before NMS)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import torch
import torchvision.ops

from reference.detection import batched_nms, box_iou, nms


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
    boxes = random_boxes(8_000, generator)
    scores = torch.rand(8_000, generator=generator)
    classes = torch.randint(80, (8_000,), generator=generator)
    yield (
        "batched_nms (80 classes)",
        8_000,
        lambda: batched_nms(boxes, scores, classes, 0.5),
        lambda: torchvision.ops.batched_nms(boxes, scores, classes, 0.5),
    )
