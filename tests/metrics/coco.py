"""pycocotools' COCOeval on the torchmetrics-style inputs that ``mean_average_precision`` takes."""

from __future__ import annotations

import contextlib
import io

import numpy as np
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval


def to_coco(preds: list[dict], targets: list[dict]) -> tuple[COCO, list[dict]]:
    """Ground truth as an indexed ``COCO`` object and detections as COCO results (xywh)."""

    def xywh(b: list[float]) -> list[float]:
        return [float(b[0]), float(b[1]), float(b[2] - b[0]), float(b[3] - b[1])]

    classes = sorted({int(c) for d in [*preds, *targets] for c in d["labels"].tolist()})
    annotations, detections = [], []
    for i, t in enumerate(targets):
        crowd = t.get("iscrowd", [0] * len(t["labels"]))
        crowd = crowd.tolist() if hasattr(crowd, "tolist") else crowd
        for b, c, k in zip(t["boxes"].tolist(), t["labels"].tolist(), crowd, strict=True):
            annotations.append(
                {
                    "id": len(annotations) + 1,
                    "image_id": i + 1,
                    "category_id": c + 1,
                    "bbox": xywh(b),
                    "area": (b[2] - b[0]) * (b[3] - b[1]),
                    "iscrowd": int(k),
                }
            )
    for i, p in enumerate(preds):
        for b, s, c in zip(
            p["boxes"].tolist(), p["scores"].tolist(), p["labels"].tolist(), strict=True
        ):
            detections.append(
                {"image_id": i + 1, "category_id": c + 1, "bbox": xywh(b), "score": s}
            )
    gt = COCO()
    gt.dataset = {
        "images": [{"id": i + 1} for i in range(len(targets))],
        "categories": [{"id": c + 1} for c in classes],
        "annotations": annotations,
    }
    with contextlib.redirect_stdout(io.StringIO()):
        gt.createIndex()
    return gt, detections


def run_cocoeval(gt: COCO, detections: list[dict]) -> np.ndarray:
    """COCOeval (bbox) summary statistics, its printout silenced."""
    with contextlib.redirect_stdout(io.StringIO()):
        evaluator = COCOeval(gt, gt.loadRes(detections), "bbox")
        evaluator.evaluate()
        evaluator.accumulate()
        evaluator.summarize()
    return evaluator.stats
