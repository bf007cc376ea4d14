"""Anchors, k-means on box shapes, SSD prior boxes and hard negative mining."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from torchvision.models.detection.anchor_utils import AnchorGenerator, DefaultBoxGenerator
from torchvision.models.detection.image_list import ImageList
from torchvision.ops import box_iou as tv_box_iou

from reference.detection import (
    cell_anchors,
    grid_anchors,
    hard_negative_mining,
    kmeans_anchors,
    ssd_prior_boxes,
    ssd_scales,
    wh_iou,
)
from tests.conftest import tol

SSD300_MAPS = [(38, 38), (19, 19), (10, 10), (5, 5), (3, 3), (1, 1)]
SSD300_RATIOS = [[2], [2, 3], [2, 3], [2, 3], [2], [2]]


def _torchvision_anchors(image_size, feature_sizes, sizes, ratios, dtype=torch.float32):
    generator = AnchorGenerator(sizes, ratios)
    images = ImageList(torch.zeros(1, 3, *image_size, dtype=dtype), [image_size])
    maps = [torch.zeros(1, 1, h, w, dtype=dtype) for h, w in feature_sizes]
    return generator(images, maps)[0]


class TestGridAnchors:
    @pytest.mark.parametrize(
        "image_size,feature_sizes,sizes,ratios",
        [
            # Faster R-CNN without FPN: one stride-16 map, 3 sizes x 3 ratios
            ((608, 800), [(38, 50)], ((128, 256, 512),), ((0.5, 1.0, 2.0),)),
            # an FPN: one size per level, the same three ratios everywhere
            (
                (256, 320),
                [(64, 80), (32, 40), (16, 20), (8, 10), (4, 5)],
                ((32,), (64,), (128,), (256,), (512,)),
                ((0.5, 1.0, 2.0),) * 5,
            ),
            # sizes that do not divide the image, odd ratios
            ((200, 300), [(25, 38), (7, 10)], ((30, 45), (101,)), ((0.7, 1.3), (0.25, 1.0, 4.0))),
        ],
    )
    @pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
    def test_matches_torchvision(self, image_size, feature_sizes, sizes, ratios, dtype) -> None:
        expected = _torchvision_anchors(image_size, feature_sizes, sizes, ratios, dtype)
        got = grid_anchors(image_size, feature_sizes, sizes, ratios, dtype=dtype)
        assert got.dtype == expected.dtype
        assert torch.equal(got, expected)

    def test_hand_values(self) -> None:
        # size 128, h / w = 2: w = 90.51, h = 181.02; the halves 45.25 and 90.51 round to 45, 91
        assert cell_anchors([128], [2.0]).tolist() == [[-45.0, -91.0, 45.0, 91.0]]
        anchors = grid_anchors((64, 64), [(2, 2)], [[16]], [[1.0]])
        assert anchors.tolist() == [
            [-8, -8, 8, 8],
            [24, -8, 40, 8],  # the next cell to the right: stride 64 // 2 = 32
            [-8, 24, 8, 40],
            [24, 24, 40, 40],
        ]

    def test_offset_moves_centres_by_half_a_stride(self) -> None:
        args = ((64, 96), [(4, 6)], [[16, 32]], [[0.5, 1.0]])
        shift = torch.tensor([8.0, 8.0, 8.0, 8.0])  # stride 16, half is 8
        torch.testing.assert_close(grid_anchors(*args, offset=0.5), grid_anchors(*args) + shift)

    def test_count(self) -> None:
        assert grid_anchors((600, 1000), [(38, 63)], [[128, 256, 512]], [[0.5, 1, 2]]).shape == (
            38 * 63 * 9,
            4,
        )

    def test_rejects_bad_arguments(self) -> None:
        with pytest.raises(ValueError, match="one entry per feature map"):
            grid_anchors((64, 64), [(4, 4)], [[8], [16]], [[1.0]])
        with pytest.raises(ValueError, match=r"aspect_ratios\[1\] must be in \(0, inf\)"):
            cell_anchors([8], [1.0, 0.0])
        with pytest.raises(ValueError, match="sizes must not be empty"):
            cell_anchors([], [1.0])
        with pytest.raises(ValueError, match="feature_sizes must be within"):
            grid_anchors((64, 64), [(128, 4)], [[8]], [[1.0]])


class TestWhIou:
    @given(st.integers(0, 2**31 - 1))
    def test_equals_iou_of_boxes_with_a_common_centre(self, seed) -> None:
        g = torch.Generator().manual_seed(seed)
        wh1 = torch.rand(7, 2, generator=g, dtype=torch.float64) * 50 + 0.5
        wh2 = torch.rand(5, 2, generator=g, dtype=torch.float64) * 50 + 0.5
        centre1 = torch.cat([-wh1 / 2, wh1 / 2], 1) + 13.0  # any common centre
        centre2 = torch.cat([-wh2 / 2, wh2 / 2], 1) + 13.0
        torch.testing.assert_close(
            wh_iou(wh1, wh2), tv_box_iou(centre1, centre2), **tol(torch.float64)
        )

    def test_hand_value(self) -> None:
        # 2 x 8 against 4 x 4: overlap 2 x 4 = 8, union 16 + 16 - 8 = 24
        assert wh_iou(
            torch.tensor([[2.0, 8.0]]), torch.tensor([[4.0, 4.0]])
        ).item() == pytest.approx(1 / 3)


def _kmeans_by_loops(wh: list[tuple[float, float]], k: int, seed: int, reduce: str):
    """Lloyd's k-means with 1 - IoU, written with Python lists and no tensor algebra."""

    def iou(a, b):
        inter = min(a[0], b[0]) * min(a[1], b[1])
        return inter / (a[0] * a[1] + b[0] * b[1] - inter)

    first = torch.randperm(len(wh), generator=torch.Generator().manual_seed(seed))[:k].tolist()
    centroids = [wh[i] for i in first]
    assignment = None
    for _ in range(300):
        new = []
        for box in wh:
            scores = [iou(box, c) for c in centroids]
            new.append(scores.index(max(scores)))  # first maximum, as argmax
        if new == assignment:
            break
        assignment = new
        for j in range(k):
            members = [box for box, a in zip(wh, assignment, strict=True) if a == j]
            if members:
                agg = np.mean if reduce == "mean" else np.median
                centroids[j] = (
                    float(agg([m[0] for m in members])),
                    float(agg([m[1] for m in members])),
                )
    return sorted(centroids, key=lambda c: c[0] * c[1])


def _box_shapes(n: int, seed: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    size = torch.exp(torch.randn(n, generator=g, dtype=torch.float64) * 0.6 + 3.5)  # sqrt(area)
    ratio = torch.exp(torch.randn(n, generator=g, dtype=torch.float64) * 0.5)  # h / w
    return torch.stack([size / ratio.sqrt(), size * ratio.sqrt()], dim=1)  # [n, 2]


class TestKmeansAnchors:
    @pytest.mark.parametrize("reduction", ["mean", "median"])
    @pytest.mark.parametrize("seed", [0, 1, 2])
    def test_matches_loop_implementation(self, reduction, seed) -> None:
        wh = _box_shapes(40, seed)
        centroids, _, _ = kmeans_anchors(
            wh, 4, reduction, generator=torch.Generator().manual_seed(seed)
        )
        expected = torch.tensor(
            _kmeans_by_loops([tuple(r) for r in wh.tolist()], 4, seed, reduction),
            dtype=torch.float64,
        )
        torch.testing.assert_close(centroids, expected, **tol(torch.float64))

    @pytest.mark.parametrize("reduction", ["mean", "median"])
    def test_fixed_point(self, reduction) -> None:
        wh = _box_shapes(500, 7)
        centroids, assignment, mean_iou = kmeans_anchors(
            wh, 6, reduction, generator=torch.Generator().manual_seed(0)
        )
        ious = tv_box_iou(
            torch.cat([torch.zeros_like(wh), wh], 1),
            torch.cat([torch.zeros_like(centroids), centroids], 1),
        )
        assert torch.equal(assignment, ious.argmax(1))  # every box sits with its closest centroid
        for j in range(6):
            members = wh[assignment == j].numpy()
            agg = members.mean(0) if reduction == "mean" else np.median(members, axis=0)
            np.testing.assert_allclose(centroids[j].numpy(), agg, rtol=1e-12)
        assert mean_iou.item() == pytest.approx(ious.max(1).values.mean().item(), rel=1e-12)
        assert bool((centroids.prod(1).diff() > 0).all())  # sorted by area

    def test_deterministic_with_a_seed(self) -> None:
        wh = _box_shapes(300, 3)
        runs = [
            kmeans_anchors(wh, 5, generator=torch.Generator().manual_seed(11)) for _ in range(2)
        ]
        assert torch.equal(runs[0][0], runs[1][0]) and torch.equal(runs[0][1], runs[1][1])

    def test_beats_hand_picked_anchors(self) -> None:
        # YOLOv2's table 1: clustered priors fit better than as many picked by hand
        wh = _box_shapes(2000, 5)
        _, _, clustered = kmeans_anchors(wh, 9, generator=torch.Generator().manual_seed(0))
        hand = torch.tensor(
            [[s / math.sqrt(r), s * math.sqrt(r)] for s in (16, 32, 64) for r in (0.5, 1, 2)]
        )
        by_hand = wh_iou(wh, hand.double()).max(1).values.mean()
        assert clustered.item() > by_hand.item() + 0.03

    def test_k_equals_n_fits_every_box(self) -> None:
        wh = _box_shapes(12, 0)
        _, _, mean_iou = kmeans_anchors(wh, 12, generator=torch.Generator().manual_seed(0))
        assert mean_iou.item() == pytest.approx(1.0)

    def test_rejects_bad_arguments(self) -> None:
        wh = _box_shapes(5, 0)
        with pytest.raises(ValueError, match=r"k must be in \[1, 5\], but got 6"):
            kmeans_anchors(wh, 6)
        with pytest.raises(ValueError, match="reduction must be one of"):
            kmeans_anchors(wh, 2, "mode")
        with pytest.raises(ValueError, match="wh must be positive"):
            kmeans_anchors(torch.tensor([[1.0, 0.0], [2.0, 2.0]]), 1)


class TestSsdPriorBoxes:
    def test_scales_by_the_formula(self) -> None:
        expected = [0.2, 0.34, 0.48, 0.62, 0.76, 0.9, 1.0]  # 0.2 + 0.7 (k - 1) / 5, then s_7 = 1
        assert ssd_scales(6) == pytest.approx(expected)
        assert ssd_scales(6) == pytest.approx(DefaultBoxGenerator(SSD300_RATIOS, 0.2, 0.9).scales)

    def test_ssd300_has_8732_boxes(self) -> None:
        boxes = ssd_prior_boxes(SSD300_MAPS, SSD300_RATIOS, ssd_scales(6))
        # per cell 4, 6, 6, 6, 4, 4 boxes: 5776 + 2166 + 600 + 150 + 36 + 4
        assert boxes.shape == (8732, 4)

    def test_hand_values_of_the_first_cell(self) -> None:
        boxes = ssd_prior_boxes(SSD300_MAPS, SSD300_RATIOS, ssd_scales(6), dtype=torch.float64)
        c = 0.5 / 38
        r2 = math.sqrt(2)
        expected = [
            [c, c, 0.2, 0.2],
            [c, c, math.sqrt(0.2 * 0.34), math.sqrt(0.2 * 0.34)],  # 0.2608
            [c, c, 0.2 * r2, 0.2 / r2],
            [c, c, 0.2 / r2, 0.2 * r2],
        ]
        torch.testing.assert_close(
            boxes[:4], torch.tensor(expected, dtype=torch.float64), **tol(torch.float64)
        )
        # the last map's single cell: centred; extra square sqrt(0.9 * 1) = 0.949
        last = boxes[-4:]
        torch.testing.assert_close(last[:, :2], torch.full((4, 2), 0.5, dtype=torch.float64))
        assert last[1, 2].item() == pytest.approx(math.sqrt(0.9))
        assert last[2, 2].item() == 1.0  # 0.9 sqrt(2) = 1.27, clipped to 1

    @pytest.mark.parametrize("clip", [True, False])
    def test_matches_torchvision(self, clip) -> None:
        scales = ssd_scales(6)
        generator = DefaultBoxGenerator(SSD300_RATIOS, scales=scales, clip=clip)
        images = ImageList(torch.zeros(1, 3, 300, 300), [(300, 300)])
        expected = generator(images, [torch.zeros(1, 1, h, w) for h, w in SSD300_MAPS])[
            0
        ]  # xyxy pixels
        ours = ssd_prior_boxes(SSD300_MAPS, SSD300_RATIOS, scales, clip=clip)
        xyxy = torch.cat([ours[:, :2] - ours[:, 2:] / 2, ours[:, :2] + ours[:, 2:] / 2], 1) * 300
        torch.testing.assert_close(xyxy, expected, **tol(torch.float32))

    def test_rejects_mismatched_lists(self) -> None:
        with pytest.raises(ValueError, match="len\\(feature_sizes\\) \\+ 1 = 7 scales"):
            ssd_prior_boxes(SSD300_MAPS, SSD300_RATIOS, ssd_scales(6)[:6])
        with pytest.raises(ValueError, match=r"s_max must be in \[0.5, 1\]"):
            ssd_scales(6, 0.5, 0.3)


def _mining_by_loops(loss: torch.Tensor, labels: torch.Tensor, ratio: int) -> torch.Tensor:
    keep = torch.zeros_like(labels, dtype=torch.bool)
    for b in range(loss.shape[0]):
        positives = int((labels[b] > 0).sum())
        negatives = [p for p in range(loss.shape[1]) if labels[b, p] == 0]
        negatives.sort(key=lambda p: (-loss[b, p].item(), p))  # hardest first; ties: lower index
        for p in negatives[: ratio * positives]:
            keep[b, p] = True
    return keep


class TestHardNegativeMining:
    @given(
        seed=st.integers(0, 2**31 - 1),
        P=st.integers(1, 40),
        ratio=st.integers(0, 5),
        ties=st.booleans(),
    )
    def test_matches_loop_implementation(self, seed, P, ratio, ties) -> None:
        g = torch.Generator().manual_seed(seed)
        loss = torch.rand(3, P, generator=g, dtype=torch.float64)
        if ties:
            loss = (loss * 4).floor()  # many equal losses
        labels = torch.randint(0, 4, (3, P), generator=g) * (torch.rand(3, P, generator=g) < 0.2)
        got = hard_negative_mining(loss, labels, ratio)
        assert torch.equal(got, _mining_by_loops(loss, labels, ratio))

    def test_three_to_one(self) -> None:
        g = torch.Generator().manual_seed(0)
        loss = torch.rand(2, 8732, generator=g)
        labels = torch.zeros(2, 8732, dtype=torch.long)
        labels[0, :10] = 1
        labels[1, :5000] = 2  # more positives than a third of the rest: every negative is kept
        keep = hard_negative_mining(loss, labels)
        assert keep.sum(1).tolist() == [30, 3732]
        assert not bool((keep & (labels > 0)).any())
        hardest = loss[0][labels[0] == 0].topk(30).values.min()
        assert bool((loss[0][keep[0]] >= hardest).all())

    def test_no_positives_keeps_nothing(self) -> None:
        assert not hard_negative_mining(
            torch.rand(1, 10), torch.zeros(1, 10, dtype=torch.long)
        ).any()

    def test_rejects_bad_shapes(self) -> None:
        with pytest.raises(ValueError, match=r"labels must have shape \(2, 5\)"):
            hard_negative_mining(torch.rand(2, 5), torch.zeros(2, 4, dtype=torch.long))
