"""reference.detection.rpn against torchvision's detection utilities, and roi_align by hand."""

from __future__ import annotations

import math

import pytest
import torch
import torchvision.ops as tv
from hypothesis import given, settings
from hypothesis import strategies as st
from torchvision.models.detection._utils import BalancedPositiveNegativeSampler, BoxCoder, Matcher
from torchvision.models.detection.anchor_utils import AnchorGenerator
from torchvision.models.detection.image_list import ImageList

from reference.detection import (
    assign_anchors,
    decode_boxes,
    encode_boxes,
    rpn_anchors,
    sample_anchors,
)
from tests.detection.conftest import random_boxes


def torchvision_anchors(feature_size, stride, sizes, ratios, dtype=torch.float32):
    generator = AnchorGenerator(sizes=(tuple(sizes),), aspect_ratios=(tuple(ratios),))
    H, W = feature_size
    images = ImageList(
        torch.zeros(1, 3, H * stride, W * stride, dtype=dtype), [(H * stride, W * stride)]
    )
    return generator(images, [torch.zeros(1, 1, H, W, dtype=dtype)])[0]


def torchvision_labels(anchors, gt, high=0.7, low=0.3):
    """torchvision's RPN labels: Matcher, then matched >= 0 -> 1, below -> 0, between -> -1."""
    matcher = Matcher(high, low, allow_low_quality_matches=True)
    matched = matcher(tv.box_iou(gt, anchors))
    labels = (matched >= 0).to(anchors.dtype)
    labels[matched == Matcher.BELOW_LOW_THRESHOLD] = 0.0
    labels[matched == Matcher.BETWEEN_THRESHOLDS] = -1.0
    return labels, matched


class TestAnchors:
    @pytest.mark.parametrize(
        ("feature_size", "stride", "sizes", "ratios"),
        [
            ((50, 50), 16, (128, 256, 512), (0.5, 1.0, 2.0)),
            ((7, 11), 32, (32,), (1.0,)),
            ((3, 2), 8, (10, 20), (0.25, 0.7, 1.3, 3.0)),
        ],
    )
    @pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
    def test_equals_anchor_generator(self, feature_size, stride, sizes, ratios, dtype) -> None:
        want = torchvision_anchors(feature_size, stride, sizes, ratios, dtype)
        got = rpn_anchors(feature_size, stride, sizes, ratios, dtype=dtype)
        torch.testing.assert_close(got, want, rtol=0, atol=0)

    def test_hand_derived(self) -> None:
        # Size 16, ratio 1, stride 10 on a 1 x 2 map: squares of side 16 around x = 0 and x = 10.
        got = rpn_anchors((1, 2), 10, sizes=(16,), aspect_ratios=(1.0,))
        assert got.tolist() == [[-8, -8, 8, 8], [2, -8, 18, 8]]

    def test_rejects_bad_sizes(self) -> None:
        with pytest.raises(ValueError, match=r"sizes\[0\] must be in"):
            rpn_anchors((2, 2), 16, sizes=(0,))
        with pytest.raises(ValueError, match="stride must be in"):
            rpn_anchors((2, 2), 0)


class TestAssign:
    @pytest.mark.parametrize("seed", range(6))
    def test_equals_matcher(self, seed: int) -> None:
        g = torch.Generator().manual_seed(seed)
        anchors = rpn_anchors((8, 8), 8, sizes=(12, 24), dtype=torch.float64)
        gt = random_boxes(1 + seed, generator=g, size=60)
        labels, matched = assign_anchors(anchors, gt)
        want_labels, want_matched = torchvision_labels(anchors, gt)
        assert labels.tolist() == want_labels.tolist()
        positive = want_matched >= 0
        assert matched[positive].tolist() == want_matched[positive].tolist()

    @given(
        st.integers(0, 10_000),
        st.floats(0.0, 1.0),
        st.floats(0.0, 1.0),
    )
    @settings(max_examples=15, deadline=None)
    def test_equals_matcher_any_thresholds(self, seed: int, a: float, b: float) -> None:
        low, high = sorted((a, b))
        g = torch.Generator().manual_seed(seed)
        anchors = random_boxes(40, generator=g, size=50)
        gt = random_boxes(3, generator=g, size=50)
        labels, _ = assign_anchors(anchors, gt, high, low)
        assert labels.tolist() == torchvision_labels(anchors, gt, high, low)[0].tolist()

    def test_hand_derived(self) -> None:
        gt = torch.tensor([[0.0, 0.0, 10.0, 10.0]])
        anchors = torch.tensor(
            [
                [0.0, 0.0, 10.0, 8.0],  # IoU 0.8: positive
                [0.0, 0.0, 10.0, 5.0],  # IoU 0.5: ignored
                [0.0, 0.0, 10.0, 2.0],  # IoU 0.2: negative
                [20.0, 20.0, 30.0, 30.0],  # IoU 0: negative
            ]
        )
        assert assign_anchors(anchors, gt)[0].tolist() == [1, -1, 0, 0]
        # Without the 0.8 anchor the best one (0.5) is promoted, however low its IoU.
        assert assign_anchors(anchors[1:], gt)[0].tolist() == [1, 0, 0]

    def test_low_quality_match_keeps_the_anchors_own_best_box(self) -> None:
        # Box B's best anchor overlaps box A more: it is positive but regresses to A.
        gt = torch.tensor([[0.0, 0.0, 10.0, 10.0], [5.0, 0.0, 25.0, 10.0]])
        anchors = torch.tensor([[1.0, 0.0, 11.0, 10.0], [40.0, 0.0, 50.0, 10.0]])
        labels, matched = assign_anchors(anchors, gt)
        assert labels.tolist() == [1, 0] and matched[0].item() == 0

    def test_rejects_empty_and_bad_thresholds(self) -> None:
        anchors = torch.tensor([[0.0, 0.0, 1.0, 1.0]])
        with pytest.raises(ValueError, match=r"gt_boxes must not be empty, but got shape \(0, 4\)"):
            assign_anchors(anchors, torch.zeros(0, 4))
        with pytest.raises(ValueError, match="low_threshold must be at most high_threshold"):
            assign_anchors(anchors, anchors, high_threshold=0.3, low_threshold=0.7)


class TestSample:
    @pytest.mark.parametrize(
        ("n_pos", "n_neg"), [(10, 1000), (300, 1000), (500, 40), (0, 50), (3, 2)]
    )
    def test_counts_and_membership_as_torchvision(self, n_pos: int, n_neg: int) -> None:
        labels = torch.cat([torch.ones(n_pos), torch.zeros(n_neg), -torch.ones(77)])
        labels = labels[torch.randperm(len(labels), generator=torch.Generator().manual_seed(1))]
        pos, neg = sample_anchors(labels, 256, 0.5, generator=torch.Generator().manual_seed(0))
        # torchvision's sampler takes matched indices: >= 1 positive, 0 negative, -1 ignored.
        tv_pos, tv_neg = BalancedPositiveNegativeSampler(256, 0.5)([labels.long()])
        assert len(pos) == int(tv_pos[0].sum()) and len(neg) == int(tv_neg[0].sum())
        assert len(set(pos.tolist())) == len(pos) and len(set(neg.tolist())) == len(neg)
        assert bool((labels[pos] == 1).all()) and bool((labels[neg] == 0).all())
        assert len(pos) == min(n_pos, 128) and len(neg) == min(n_neg, 256 - len(pos))

    def test_seeded_draw_is_reproducible_and_uniform(self) -> None:
        labels = torch.cat([torch.ones(20), torch.zeros(1000)])
        first = sample_anchors(labels, 16, 0.25, generator=torch.Generator().manual_seed(3))
        again = sample_anchors(labels, 16, 0.25, generator=torch.Generator().manual_seed(3))
        assert all(torch.equal(a, b) for a, b in zip(first, again, strict=True))
        # Every positive is equally likely: over many draws each is picked ~ 4/20 of the time.
        g = torch.Generator().manual_seed(0)
        counts = torch.zeros(20)
        for _ in range(2000):
            counts[sample_anchors(labels, 16, 0.25, generator=g)[0]] += 1
        assert counts.sum() == 2000 * 4
        assert float((counts / 2000 - 0.2).abs().max()) < 0.04


class TestBoxCoding:
    @pytest.mark.parametrize(
        "weights", [(1.0, 1.0, 1.0, 1.0), (10.0, 10.0, 5.0, 5.0), (2.0, 3.0, 0.5, 4.0)]
    )
    @pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
    def test_equals_box_coder(self, weights, dtype) -> None:
        g = torch.Generator().manual_seed(0)
        boxes, anchors = random_boxes(50, dtype, generator=g), random_boxes(50, dtype, generator=g)
        coder = BoxCoder(weights)
        deltas = encode_boxes(boxes, anchors, weights)
        torch.testing.assert_close(deltas, coder.encode_single(boxes, anchors))
        torch.testing.assert_close(
            decode_boxes(deltas, anchors, weights), coder.decode_single(deltas, anchors)
        )
        torch.testing.assert_close(decode_boxes(deltas, anchors, weights), boxes)

    def test_clip_equals_box_coder(self) -> None:
        anchors = torch.tensor([[0.0, 0.0, 16.0, 16.0]], dtype=torch.float64)
        deltas = torch.tensor([[0.0, 0.0, 50.0, -2.0]], dtype=torch.float64)
        got = decode_boxes(deltas, anchors)
        torch.testing.assert_close(
            got, BoxCoder((1.0, 1.0, 1.0, 1.0)).decode_single(deltas, anchors)
        )
        assert got[0, 2] - got[0, 0] == pytest.approx(1000.0)  # exp(log(1000 / 16)) * 16

    def test_hand_derived(self) -> None:
        anchor = torch.tensor([[0.0, 0.0, 10.0, 20.0]], dtype=torch.float64)  # centre (5, 10)
        box = torch.tensor(
            [[2.0, 5.0, 22.0, 15.0]], dtype=torch.float64
        )  # centre (12, 10), 20 x 10
        want = [[0.7, 0.0, math.log(2.0), math.log(0.5)]]
        torch.testing.assert_close(
            encode_boxes(box, anchor), torch.tensor(want, dtype=torch.float64)
        )

    def test_rejects_mismatched(self) -> None:
        with pytest.raises(ValueError, match="same shape"):
            encode_boxes(torch.zeros(2, 4), torch.zeros(3, 4))
        with pytest.raises(ValueError, match="deltas must have shape"):
            decode_boxes(torch.zeros(2, 5), torch.zeros(2, 4))


class TestRoiAlign:
    """What torchvision.ops.roi_align computes, derived by hand on maps we can integrate."""

    def test_linear_map_gives_bin_centres(self) -> None:
        # Pixel j holds the value j, so its centre sits at x = j + 0.5: with aligned=True the
        # map reads x - 0.5 at any continuous x, and bilinear sampling of a linear map is
        # exact. A bin's mean is therefore its centre minus 0.5, along x.
        x = torch.arange(32, dtype=torch.float64).repeat(32, 1)[None, None]  # [1, 1, 32, 32]
        box = torch.tensor([[0, 4.0, 6.0, 12.0, 10.0]], dtype=torch.float64)  # x 4..12, y 6..10
        out = tv.roi_align(
            x, box, output_size=(2, 4), spatial_scale=1.0, sampling_ratio=2, aligned=True
        )
        bin_centres = 4.0 + (torch.arange(4, dtype=torch.float64) + 0.5) * 2.0
        torch.testing.assert_close(out[0, 0], (bin_centres - 0.5).repeat(2, 1))

    def test_spatial_scale_and_constant_map(self) -> None:
        # A box in image pixels on a stride-16 map: same bins as the box / 16 on the map.
        x = torch.arange(16, dtype=torch.float64).repeat(16, 1)[None, None]
        image_box = torch.tensor([[0, 32.0, 32.0, 160.0, 96.0]], dtype=torch.float64)
        out = tv.roi_align(
            x, image_box, (1, 2), spatial_scale=1 / 16, sampling_ratio=2, aligned=True
        )
        torch.testing.assert_close(
            out[0, 0, 0], torch.tensor([4.0 - 0.5, 8.0 - 0.5], dtype=torch.float64)
        )
        constant = torch.full((1, 3, 16, 16), 2.5, dtype=torch.float64)
        out = tv.roi_align(constant, image_box, (7, 7), spatial_scale=1 / 16, aligned=True)
        torch.testing.assert_close(out, torch.full((1, 3, 7, 7), 2.5, dtype=torch.float64))
