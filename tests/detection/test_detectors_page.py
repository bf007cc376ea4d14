"""The numbers quoted on docs/detection/detectors.md, recomputed independently."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
import torchvision.ops as tv
from torchvision.models.detection._utils import Matcher
from torchvision.models.detection.anchor_utils import AnchorGenerator
from torchvision.models.detection.image_list import ImageList

from reference.detection import sample_anchors, yolo_encode, yolo_loss

GT = torch.tensor([[100.0, 120, 300, 400], [420, 300, 560, 380], [600, 500, 760, 760]])


def tv_rpn_labels() -> torch.Tensor:
    generator = AnchorGenerator(sizes=((128, 256, 512),), aspect_ratios=((0.5, 1.0, 2.0),))
    images = ImageList(torch.zeros(1, 3, 800, 800), [(800, 800)])
    anchors = generator(images, [torch.zeros(1, 1, 50, 50)])[0]
    matched = Matcher(0.7, 0.3, allow_low_quality_matches=True)(tv.box_iou(GT, anchors))
    labels = (matched >= 0).float()
    labels[matched == Matcher.BELOW_LOW_THRESHOLD] = 0.0
    labels[matched == Matcher.BETWEEN_THRESHOLDS] = -1.0
    return labels


def page_logits(labels: torch.Tensor) -> torch.Tensor:
    g = torch.Generator().manual_seed(0)
    return torch.where(
        labels == 1,
        torch.randn(len(labels), generator=g) + 0.5,
        torch.randn(len(labels), generator=g) * 1.5 - 4.0,
    )


def test_sample_balance_numbers() -> None:
    labels = tv_rpn_labels()
    assert [(labels == v).sum().item() for v in (1, 0, -1)] == [34, 21366, 1100]
    logits = page_logits(labels)
    target = (labels == 1).float()
    positive, negative = labels == 1, labels == 0
    bce = F.binary_cross_entropy_with_logits(logits, target, reduction="none")
    share = bce[negative].sum() / (bce[negative].sum() + bce[positive].sum())
    assert round(share.item(), 3) == 0.980
    pos, neg = sample_anchors(labels, 256, 0.5, generator=torch.Generator().manual_seed(0))
    assert (len(pos), len(neg)) == (34, 222)
    assert round((bce[neg].sum() / (bce[neg].sum() + bce[pos].sum())).item(), 3) == 0.331
    hardest = torch.sort(bce[negative], descending=True).values[: 3 * 34]
    assert round((hardest.mean() / bce[negative].mean()).item(), 1) == 18.0
    focal = tv.sigmoid_focal_loss(logits, target, alpha=0.25, gamma=2.0, reduction="none")
    easy = negative & (torch.sigmoid(logits) < 0.1)
    assert round((bce[easy].sum() / bce[negative].sum()).item(), 3) == 0.439
    assert round((focal[easy].sum() / focal[negative].sum()).item(), 3) == 0.021


def test_retinanet_anchor_count() -> None:
    sizes = tuple(tuple(32 * 2**k * 2 ** (j / 3) for j in range(3)) for k in range(5))
    generator = AnchorGenerator(sizes=sizes, aspect_ratios=((0.5, 1.0, 2.0),) * 5)
    features = [
        torch.zeros(1, 1, math.ceil(800 / s), math.ceil(800 / s)) for s in (8, 16, 32, 64, 128)
    ]
    anchors = generator(ImageList(torch.zeros(1, 3, 800, 800), [(800, 800)]), features)[0]
    assert len(anchors) == 120087


def test_yolo_loss_numbers() -> None:
    # Zero outputs: every BCE is log 2. One 28 x 58 object in a 128 x 128 image.
    anchors = torch.tensor([[10.0, 13.0], [30.0, 61.0], [62.0, 45.0]], dtype=torch.float64)
    box = torch.tensor([[36.0, 41.0, 64.0, 99.0]], dtype=torch.float64)
    target = yolo_encode(box, torch.tensor([2]), anchors, (4, 4), 32, 3)
    target = torch.stack([target, torch.zeros_like(target)])
    loss = yolo_loss(torch.zeros_like(target), target, anchors, 32)
    scale = 2 - 28 * 58 / 128**2
    wh = scale * 0.5 * (math.log(28 / 30) ** 2 + math.log(58 / 61) ** 2)
    want = {"xy": scale * 2 * math.log(2) / 2, "wh": wh / 2, "objectness": 96 * math.log(2) / 2}
    want["class"] = 3 * math.log(2) / 2
    for key, value in want.items():
        assert loss[key].item() == pytest.approx(value)
    assert [round(loss[k].item(), 3) for k in ("xy", "wh", "objectness", "class", "total")] == [
        1.318,
        0.003,
        33.271,
        1.04,
        35.632,
    ]
