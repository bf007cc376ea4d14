"""reference.detection.yolo: hand-derived encodings, round trips, and the loss written as loops."""

from __future__ import annotations

import math

import pytest
import torch
import torchvision.ops as tv

from reference.detection import wh_iou, yolo_decode, yolo_encode, yolo_loss
from tests.detection.conftest import random_boxes

ANCHORS = torch.tensor([[10.0, 13.0], [30.0, 61.0], [62.0, 45.0]], dtype=torch.float64)
STRIDE = 32


def raw_from_target(target: torch.Tensor) -> torch.Tensor:
    raw = target.clone()
    raw[..., :2] = torch.logit(target[..., :2])
    return raw


class TestShapeIou:
    def test_equals_box_iou_of_centred_boxes(self) -> None:
        g = torch.Generator().manual_seed(0)
        wh1 = torch.rand(20, 2, generator=g, dtype=torch.float64) * 50 + 1
        wh2 = torch.rand(7, 2, generator=g, dtype=torch.float64) * 50 + 1
        centred = lambda wh: torch.cat([-wh / 2, wh / 2], dim=1)  # noqa: E731
        torch.testing.assert_close(wh_iou(wh1, wh2), tv.box_iou(centred(wh1), centred(wh2)))


class TestEncode:
    def test_hand_derived(self) -> None:
        # Centre (50, 70) on a stride-32 grid: column 1, row 2, offsets 18/32 and 6/32.
        # 28 x 58 fits the 30 x 61 anchor best (IoU 1624 / 1830 = 0.89, vs 0.40 and 0.08).
        box = torch.tensor([[36.0, 41.0, 64.0, 99.0]], dtype=torch.float64)
        target = yolo_encode(box, torch.tensor([2]), ANCHORS, (4, 4), STRIDE, num_classes=3)
        assert target.shape == (3, 4, 4, 8)
        assert torch.nonzero(target[..., 4]).tolist() == [[1, 2, 1]]
        want = [0.5625, 0.1875, math.log(28 / 30), math.log(58 / 61), 1.0, 0.0, 0.0, 1.0]
        torch.testing.assert_close(target[1, 2, 1], torch.tensor(want, dtype=torch.float64))
        assert target.abs().sum() == pytest.approx(sum(abs(v) for v in want))

    def test_small_box_takes_small_anchor_and_later_box_wins(self) -> None:
        boxes = torch.tensor([[1.0, 1.0, 11.0, 14.0], [2.0, 2.0, 12.0, 15.0]], dtype=torch.float64)
        target = yolo_encode(boxes, torch.tensor([0, 1]), ANCHORS, (2, 2), STRIDE, num_classes=2)
        assert torch.nonzero(target[..., 4]).tolist() == [[0, 0, 0]]
        assert target[0, 0, 0, 5:].tolist() == [0.0, 1.0]  # the second box overwrote the first
        assert target[0, 0, 0, 0].item() == pytest.approx(7 / 32)

    @pytest.mark.parametrize("seed", range(5))
    def test_decode_of_encode_is_identity(self, seed: int) -> None:
        g = torch.Generator().manual_seed(seed)
        boxes = random_boxes(6, generator=g, size=100)  # centres inside the 128 x 128 image
        labels = torch.randint(0, 4, (6,), generator=g)
        target = yolo_encode(boxes, labels, ANCHORS, (4, 4), STRIDE, num_classes=4)
        decoded, objectness, classes = yolo_decode(raw_from_target(target), ANCHORS, STRIDE)
        responsible = target[..., 4] > 0
        # Boxes that share a slot are overwritten: compare against the survivors.
        survivors = {tuple(b) for b in decoded[responsible].round(decimals=9).tolist()}
        originals = {tuple(b) for b in boxes.round(decimals=9).tolist()}
        assert survivors <= originals
        for box, label in zip(boxes, labels, strict=True):
            match = (decoded[responsible] - box).abs().amax(dim=1) < 1e-9
            if match.any():
                assert classes[responsible][match][0].argmax().item() == label.item()
        # Slots derived independently: centre cell, and the anchor torchvision's IoU prefers.
        centred = lambda wh: torch.cat([-wh / 2, wh / 2], dim=1)  # noqa: E731
        best = tv.box_iou(centred(boxes[:, 2:] - boxes[:, :2]), centred(ANCHORS)).argmax(dim=1)
        cells = ((boxes[:, :2] + boxes[:, 2:]) / 2 / STRIDE).floor().long()
        slots = {(a, row, col) for a, (col, row) in zip(best.tolist(), cells.tolist(), strict=True)}
        assert set(map(tuple, torch.nonzero(responsible).tolist())) == slots
        assert len(survivors) == len(slots)
        torch.testing.assert_close(
            objectness[responsible], torch.sigmoid(torch.ones(len(slots), dtype=torch.float64))
        )

    def test_decode_hand_derived(self) -> None:
        raw = torch.zeros(3, 2, 2, 6, dtype=torch.float64)  # sigmoid(0) = 0.5: cell centres
        raw[2, 1, 0, 2:4] = torch.tensor([math.log(2.0), 0.0])
        boxes, _, _ = yolo_decode(raw, ANCHORS, STRIDE)
        # Row 1, column 0: centre (16, 48); anchor 62 x 45 with the width doubled.
        assert boxes[2, 1, 0].tolist() == pytest.approx([16 - 62, 48 - 22.5, 16 + 62, 48 + 22.5])
        assert boxes[0, 0, 1].tolist() == pytest.approx([48 - 5, 16 - 6.5, 48 + 5, 16 + 6.5])

    def test_rejects_bad_input(self) -> None:
        box = torch.tensor([[0.0, 0.0, 10.0, 10.0]])
        with pytest.raises(ValueError, match=r"labels must hold values in \[0, 2\], but got 3"):
            yolo_encode(box, torch.tensor([3]), ANCHORS, (2, 2), STRIDE, 3)
        with pytest.raises(ValueError, match="centres must lie inside"):
            yolo_encode(box + 100, torch.tensor([0]), ANCHORS, (2, 2), STRIDE, 3)
        with pytest.raises(ValueError, match="positive width and height"):
            yolo_encode(
                torch.tensor([[5.0, 5.0, 5.0, 9.0]]), torch.tensor([0]), ANCHORS, (2, 2), STRIDE, 3
            )
        with pytest.raises(ValueError, match="output must have shape"):
            yolo_decode(torch.zeros(2, 2, 2, 7), ANCHORS, STRIDE)


def loop_loss(output, target, anchors, stride, ignore):
    """The YOLOv3 loss slot by slot, with math on Python floats and torchvision's box_iou."""

    def bce(logit: float, y: float) -> float:
        p = 1 / (1 + math.exp(-logit))
        return -(y * math.log(p) + (1 - y) * math.log(1 - p))

    B, A, H, W, D = output.shape
    totals = {"xy": 0.0, "wh": 0.0, "objectness": 0.0, "class": 0.0}

    def box_of(vector, a, i, j, raw_xy):
        fx, fy = (1 / (1 + math.exp(-v)) for v in vector[:2]) if raw_xy else vector[:2]
        cx, cy = (j + fx) * stride, (i + fy) * stride
        w, h = (
            anchors[a, 0].item() * math.exp(vector[2]),
            anchors[a, 1].item() * math.exp(vector[3]),
        )
        return [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2]

    for b in range(B):
        slots = [(a, i, j) for a in range(A) for i in range(H) for j in range(W)]
        truths = [
            box_of(target[b, a, i, j].tolist(), a, i, j, False)
            for a, i, j in slots
            if target[b, a, i, j, 4] == 1
        ]
        for a, i, j in slots:
            o, t = output[b, a, i, j].tolist(), target[b, a, i, j].tolist()
            if t[4] == 1:
                w, h = box_of(t, a, i, j, False)[2:]
                w, h = w - box_of(t, a, i, j, False)[0], h - box_of(t, a, i, j, False)[1]
                scale = 2 - w * h / (W * stride * H * stride)
                totals["xy"] += scale * (bce(o[0], t[0]) + bce(o[1], t[1]))
                totals["wh"] += scale * 0.5 * ((o[2] - t[2]) ** 2 + (o[3] - t[3]) ** 2)
                totals["objectness"] += bce(o[4], 1.0)
                totals["class"] += sum(bce(o[5 + c], t[5 + c]) for c in range(D - 5))
            else:
                predicted = torch.tensor([box_of(o, a, i, j, True)], dtype=torch.float64)
                best = (
                    tv.box_iou(predicted, torch.tensor(truths, dtype=torch.float64)).max().item()
                    if truths
                    else 0.0
                )
                if best <= ignore:
                    totals["objectness"] += bce(o[4], 0.0)
    return {k: v / B for k, v in totals.items()}


class TestLoss:
    @pytest.mark.parametrize("seed", range(3))
    @pytest.mark.parametrize("ignore", [0.5, 0.2])
    def test_equals_loop(self, seed: int, ignore: float) -> None:
        g = torch.Generator().manual_seed(seed)
        targets = []
        for n in (3, 0, 5):  # an image without objects contributes only no-object terms
            boxes = random_boxes(n, generator=g, size=65)  # centres inside 96 x 96
            targets.append(
                yolo_encode(
                    boxes, torch.randint(0, 3, (n,), generator=g), ANCHORS, (3, 3), STRIDE, 3
                )
            )
        target = torch.stack(targets)
        # Outputs near the targets, so that some non-responsible boxes cross the ignore IoU.
        output = raw_from_target(target).clamp(-4, 4) + torch.randn(
            target.shape, generator=g, dtype=torch.float64
        )
        got = yolo_loss(output, target, ANCHORS, STRIDE, ignore_threshold=ignore)
        want = loop_loss(output, target, ANCHORS, STRIDE, ignore)
        for key, value in want.items():
            assert got[key].item() == pytest.approx(value, rel=1e-10), key
        assert got["total"].item() == pytest.approx(sum(want.values()), rel=1e-10)

    def test_ignore_matters(self) -> None:
        box = torch.tensor([[20.0, 20.0, 50.0, 80.0]], dtype=torch.float64)
        target = yolo_encode(box, torch.tensor([0]), ANCHORS, (3, 3), STRIDE, 1)[None]
        # Centre (35, 50): row 1, column 1, anchor 1. Every other slot predicts a tiny box,
        # except anchor 2 of the same cell, which predicts the object's box exactly.
        output = torch.zeros_like(target)
        output[..., 2:4] = -10.0
        output[0, 1, 1, 1] = raw_from_target(target)[0, 1, 1, 1]
        output[0, 2, 1, 1, :4] = output[0, 1, 1, 1, :4]
        output[0, 2, 1, 1, 2:4] += torch.log(ANCHORS[1] / ANCHORS[2])
        output[0, 2, 1, 1, 4] = 3.0
        with_ignore = yolo_loss(output, target, ANCHORS, STRIDE, 0.5)["objectness"]
        without = yolo_loss(output, target, ANCHORS, STRIDE, 1.0)["objectness"]
        assert (without - with_ignore).item() == pytest.approx(math.log1p(math.exp(3.0)))

    def test_gradient_of_the_responsible_slot(self) -> None:
        # 32 x 60 box centred at (36, 50): row 1, column 1, anchor 1 (30 x 61), offsets
        # (0.125, 0.5625). At zero outputs d/dlogit BCE = sigmoid(0) - y = 0.5 - y.
        box = torch.tensor([[20.0, 20.0, 52.0, 80.0]], dtype=torch.float64)
        target = yolo_encode(box, torch.tensor([0]), ANCHORS, (3, 3), STRIDE, 2)[None]
        output = torch.zeros_like(target, requires_grad=True)
        yolo_loss(output, target, ANCHORS, STRIDE)["total"].backward()
        scale = 2 - 32 * 60 / 96**2
        want = [
            scale * (0.5 - 0.125),
            scale * (0.5 - 0.5625),
            -scale * math.log(32 / 30),
            -scale * math.log(60 / 61),
            -0.5,
            -0.5,
            0.5,
        ]
        assert output.grad[0, 1, 1, 1].tolist() == pytest.approx(want)

    def test_rejects_mismatched_target(self) -> None:
        with pytest.raises(ValueError, match="target must have the output's shape"):
            yolo_loss(torch.zeros(1, 3, 2, 2, 6), torch.zeros(1, 3, 2, 3, 6), ANCHORS, STRIDE)
