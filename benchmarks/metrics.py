"""Metrics cases: COCO mAP against pycocotools' COCOeval on 5,000 images with 10 classes."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import torch

from reference.metrics import mean_average_precision
from tests.metrics.coco import run_cocoeval, to_coco


def _dataset(
    images: int, classes: int, generator: torch.Generator
) -> tuple[list[dict], list[dict]]:
    preds, targets = [], []
    for _ in range(images):
        n = int(torch.randint(1, 8, (1,), generator=generator))
        xy = torch.rand(n, 2, generator=generator) * 500
        gt = torch.cat([xy, xy + 10 + torch.rand(n, 2, generator=generator) * 150], 1)
        labels = torch.randint(classes, (n,), generator=generator)
        boxes = gt.repeat(2, 1) + torch.randn(2 * n, 4, generator=generator) * 5
        boxes = torch.cat(
            [torch.minimum(boxes[:, :2], boxes[:, 2:]), torch.maximum(boxes[:, :2], boxes[:, 2:])],
            1,
        )
        preds.append(
            {
                "boxes": boxes,
                "scores": torch.rand(2 * n, generator=generator),
                "labels": labels.repeat(2),
            }
        )
        targets.append({"boxes": gt, "labels": labels})
    return preds, targets


def cases() -> Iterator[tuple[str, int, Callable[[], object], Callable[[], object]]]:
    generator = torch.Generator().manual_seed(0)
    preds, targets = _dataset(5000, 10, generator)

    gt, detections = to_coco(preds, targets)
    yield (
        "mean_average_precision",
        5000,
        lambda: mean_average_precision(preds, targets),
        lambda: run_cocoeval(gt, detections),
    )
