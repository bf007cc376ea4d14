"""Metrics cases: COCO mAP against pycocotools' COCOeval on 5,000 images with 10 classes."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable, Iterator

import torch
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from reference.metrics import mean_average_precision


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


def _cocoeval(gt: COCO, detections: list[dict]) -> float:
    with contextlib.redirect_stdout(io.StringIO()):
        evaluator = COCOeval(gt, gt.loadRes(detections), "bbox")
        evaluator.evaluate()
        evaluator.accumulate()
        evaluator.summarize()
    return evaluator.stats[0]


def cases() -> Iterator[tuple[str, int, Callable[[], object], Callable[[], object]]]:
    generator = torch.Generator().manual_seed(0)
    preds, targets = _dataset(5000, 10, generator)

    def xywh(b: list[float]) -> list[float]:
        return [b[0], b[1], b[2] - b[0], b[3] - b[1]]

    annotations, detections = [], []
    for i, (p, t) in enumerate(zip(preds, targets, strict=True)):
        for b, c in zip(t["boxes"].tolist(), t["labels"].tolist(), strict=True):
            area = (b[2] - b[0]) * (b[3] - b[1])
            annotations.append(
                {
                    "id": len(annotations) + 1,
                    "image_id": i + 1,
                    "category_id": c + 1,
                    "bbox": xywh(b),
                    "area": area,
                    "iscrowd": 0,
                }
            )
        for b, s, c in zip(
            p["boxes"].tolist(), p["scores"].tolist(), p["labels"].tolist(), strict=True
        ):
            detections.append(
                {"image_id": i + 1, "category_id": c + 1, "bbox": xywh(b), "score": s}
            )
    gt = COCO()
    gt.dataset = {
        "images": [{"id": i + 1} for i in range(len(targets))],
        "categories": [{"id": c + 1} for c in range(10)],
        "annotations": annotations,
    }
    with contextlib.redirect_stdout(io.StringIO()):
        gt.createIndex()
    yield (
        "mean_average_precision",
        5000,
        lambda: mean_average_precision(preds, targets),
        lambda: _cocoeval(gt, detections),
    )
