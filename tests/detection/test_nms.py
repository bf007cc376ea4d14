"""reference.detection.nms against torchvision.ops.nms / batched_nms."""

from __future__ import annotations

import importlib

import numpy as np
import pytest
import torch
import torchvision.ops as tv
from hypothesis import given
from hypothesis import strategies as st

from reference.detection import batched_nms, box_iou, nms
from tests.detection.conftest import random_boxes


def slow_nms(boxes: torch.Tensor, scores: torch.Tensor, threshold: float) -> list[int]:
    """The textbook loop, written independently: pick the best, drop what overlaps it, repeat."""
    remaining = sorted(range(len(scores)), key=lambda i: -float(scores[i]))
    keep = []
    while remaining:
        best = remaining.pop(0)
        keep.append(best)
        remaining = [
            j
            for j in remaining
            if not box_iou(boxes[best : best + 1], boxes[j : j + 1]).item() > threshold
        ]
    return keep


def assert_same_indices(got: torch.Tensor, want: torch.Tensor) -> None:
    assert got.dtype == torch.int64
    assert got.tolist() == want.tolist()


class TestNms:
    @pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
    @pytest.mark.parametrize("threshold", [0.0, 0.1, 0.3, 0.5, 0.7, 1.0])
    @pytest.mark.parametrize("seed", range(4))
    def test_matches_torchvision(self, dtype: torch.dtype, threshold: float, seed: int) -> None:
        g = torch.Generator().manual_seed(seed)
        boxes = random_boxes(300, dtype, size=200, generator=g)
        scores = torch.rand(300, generator=g, dtype=dtype)
        assert_same_indices(nms(boxes, scores, threshold), tv.nms(boxes, scores, threshold))

    def test_matches_textbook_loop(self) -> None:
        boxes, scores = random_boxes(60, size=80), torch.rand(60, dtype=torch.float64)
        assert nms(boxes, scores, 0.4).tolist() == slow_nms(boxes, scores, 0.4)

    def test_iou_exactly_at_threshold_keeps_both(self) -> None:
        boxes = torch.tensor([[0.0, 0.0, 10.0, 10.0], [0.0, 0.0, 10.0, 5.0]])  # IoU = 50 / 100
        scores = torch.tensor([0.9, 0.8])
        assert box_iou(boxes[:1], boxes[1:]).item() == 0.5
        assert nms(boxes, scores, 0.5).tolist() == [0, 1] == tv.nms(boxes, scores, 0.5).tolist()
        assert nms(boxes, scores, 0.4999).tolist() == [0] == tv.nms(boxes, scores, 0.4999).tolist()

    @pytest.mark.parametrize("offset", [-1e-4, 0.0, 1e-4])
    def test_just_past_threshold(self, offset: float) -> None:
        # The second box's IoU with the first sits a hair away from 0.5 on either side.
        boxes = torch.tensor(
            [[0.0, 0.0, 10.0, 10.0], [0.0, 0.0, 10.0, 5.0 + offset]], dtype=torch.float64
        )
        scores = torch.tensor([0.9, 0.8], dtype=torch.float64)
        assert_same_indices(nms(boxes, scores, 0.5), tv.nms(boxes, scores, 0.5))
        assert len(nms(boxes, scores, 0.5)) == (1 if offset > 0 else 2)

    def test_tied_scores_keep_input_order(self) -> None:
        boxes = torch.tensor(
            [[0.0, 0, 10, 10], [50, 50, 60, 60], [1, 1, 11, 11], [100, 0, 110, 10]]
        )
        scores = torch.tensor([0.5, 0.5, 0.5, 0.5])
        # Box 0 comes first among equals and suppresses box 2.
        assert nms(boxes, scores, 0.5).tolist() == [0, 1, 3] == tv.nms(boxes, scores, 0.5).tolist()

    def test_zero_area_boxes_never_suppress_each_other(self) -> None:
        boxes = torch.tensor([[5.0, 5, 5, 5], [5.0, 5, 5, 5], [0, 0, 10, 10]])
        scores = torch.tensor([0.9, 0.8, 0.7])
        assert_same_indices(nms(boxes, scores, 0.5), tv.nms(boxes, scores, 0.5))
        assert nms(boxes, scores, 0.5).tolist() == [0, 1, 2]

    def test_identical_and_disjoint(self) -> None:
        box = torch.tensor([[0.0, 0, 10, 10]])
        identical = box.repeat(5, 1)
        assert nms(identical, torch.arange(5.0), 0.99).tolist() == [4]
        disjoint = torch.tensor(
            [[0.0, 0, 1, 1], [2, 2, 3, 3], [1, 0, 2, 1]]
        )  # the last touches the first
        assert nms(disjoint, torch.tensor([0.3, 0.2, 0.1]), 0.0).tolist() == [0, 1, 2]

    def test_empty(self) -> None:
        out = nms(torch.zeros(0, 4), torch.zeros(0), 0.5)
        assert out.shape == (0,) and out.dtype == torch.int64

    @given(st.integers(0, 2**31 - 1), st.floats(0.05, 0.95))
    def test_invariants(self, seed: int, threshold: float) -> None:
        g = torch.Generator().manual_seed(seed)
        boxes = random_boxes(40, size=60, generator=g)
        scores = torch.rand(40, generator=g, dtype=torch.float64)
        keep = nms(boxes, scores, threshold)
        kept_iou = box_iou(boxes[keep], boxes[keep]).fill_diagonal_(0)
        assert (kept_iou <= threshold).all()  # no two kept boxes overlap too much
        assert (scores[keep].diff() <= 0).all()  # sorted by decreasing score
        dropped = np.setdiff1d(np.arange(40), keep.numpy())
        # every dropped box overlaps some better kept box
        for j in dropped:
            better = keep[scores[keep] >= scores[j]]
            assert (box_iou(boxes[j : j + 1], boxes[better]) > threshold).any()


class TestBatchedNms:
    @pytest.mark.parametrize("num_classes", [1, 3, 20, 80])
    @pytest.mark.parametrize("n", [50, 1500])  # 1500 boxes take torchvision's per-class loop path
    def test_matches_torchvision(self, num_classes: int, n: int) -> None:
        g = torch.Generator().manual_seed(num_classes)
        boxes = random_boxes(n, torch.float32, size=300, generator=g)
        scores = torch.rand(n, generator=g)
        idxs = torch.randint(num_classes, (n,), generator=g)
        assert_same_indices(
            batched_nms(boxes, scores, idxs, 0.5), tv.batched_nms(boxes, scores, idxs, 0.5)
        )

    def test_both_torchvision_strategies_keep_the_same_set(self) -> None:
        from torchvision.ops.boxes import _batched_nms_coordinate_trick, _batched_nms_vanilla

        boxes = random_boxes(400, torch.float64, size=150)
        scores, idxs = torch.rand(400, dtype=torch.float64), torch.randint(7, (400,))
        ours = set(batched_nms(boxes, scores, idxs, 0.45).tolist())
        assert ours == set(_batched_nms_coordinate_trick(boxes, scores, idxs, 0.45).tolist())
        assert ours == set(_batched_nms_vanilla(boxes, scores, idxs, 0.45).tolist())

    def test_other_classes_never_suppress(self) -> None:
        boxes = torch.tensor([[0.0, 0, 10, 10], [0, 0, 10, 10], [0, 0, 10, 10]])
        scores = torch.tensor([0.9, 0.8, 0.7])
        assert batched_nms(boxes, scores, torch.tensor([0, 1, 0]), 0.5).tolist() == [0, 1]

    def test_equals_per_class_nms(self) -> None:
        boxes, scores = random_boxes(200, size=100), torch.rand(200, dtype=torch.float64)
        idxs = torch.randint(5, (200,))
        expected = set()
        for c in range(5):
            members = torch.where(idxs == c)[0]
            expected |= set(members[nms(boxes[members], scores[members], 0.5)].tolist())
        assert set(batched_nms(boxes, scores, idxs, 0.5).tolist()) == expected

    def test_empty(self) -> None:
        out = batched_nms(torch.zeros(0, 4), torch.zeros(0), torch.zeros(0, dtype=torch.int64), 0.5)
        assert out.shape == (0,) and out.dtype == torch.int64


def record_iou_sizes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Make the nms module's box_iou record the size of every matrix it computes."""
    module = importlib.import_module("reference.detection.nms")  # the name nms is the function
    sizes: list[int] = []

    def recording(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        sizes.append(len(a) * len(b))
        return box_iou(a, b)

    monkeypatch.setattr(module, "box_iou", recording)
    return sizes


class TestScale:
    """Regressions: both once built one N x N IoU matrix (400 MB at 10,000 boxes), and
    batched_nms one across all categories."""

    def test_nms_of_10000_boxes(self, monkeypatch: pytest.MonkeyPatch) -> None:
        sizes = record_iou_sizes(monkeypatch)
        g = torch.Generator().manual_seed(0)
        xy = torch.rand(10_000, 2, generator=g) * 1000
        boxes = torch.cat([xy, xy + torch.rand(10_000, 2, generator=g) * 100 + 1], 1)
        scores = torch.rand(10_000, generator=g)
        assert_same_indices(nms(boxes, scores, 0.5), tv.nms(boxes, scores, 0.5))
        assert max(sizes) <= 256 * 2_000  # one block against its run, never N x N
        assert sum(sizes) < 10_000**2 / 6  # pairs that cannot overlap are skipped

    def test_batched_nms_of_8000_boxes_in_80_classes(self, monkeypatch: pytest.MonkeyPatch) -> None:
        sizes = record_iou_sizes(monkeypatch)
        g = torch.Generator().manual_seed(1)
        xy = torch.rand(8_000, 2, generator=g, dtype=torch.float64) * 1000
        wh = torch.rand(8_000, 2, generator=g, dtype=torch.float64) * 100 + 1
        boxes = torch.cat([xy, xy + wh], 1)
        # float64: 8,000 float32 scores tie somewhere, and torchvision orders ties unstably
        scores = torch.rand(8_000, generator=g, dtype=torch.float64)
        classes = torch.randint(80, (8_000,), generator=g)
        keep = batched_nms(boxes, scores, classes, 0.5)
        assert_same_indices(keep, tv.batched_nms(boxes, scores, classes, 0.5))
        # about 100 boxes per class: each block meets its own classes' runs, not the rest
        assert sum(sizes) < 8_000 * 400

    def test_every_box_overlapping_every_other(self) -> None:
        # The worst case for the sweep: one long run. Still torchvision's answer.
        g = torch.Generator().manual_seed(2)
        boxes = torch.tensor([[0.0, 0, 100, 100]]).repeat(600, 1)
        boxes = boxes + torch.rand(600, 4, generator=g) * torch.tensor([30.0, 30, 30, 30])
        scores = torch.rand(600, generator=g)
        for t in (0.0, 0.5, 0.9):
            assert_same_indices(nms(boxes, scores, t), tv.nms(boxes, scores, t))


class TestErrors:
    def test_rejects_negative_threshold(self) -> None:
        # A deliberate difference: torchvision suppresses every pair (IoU >= 0 > t).
        with pytest.raises(
            ValueError, match=r"iou_threshold must be in \[0.0, inf\), but got -0.1"
        ):
            nms(random_boxes(3), torch.zeros(3), -0.1)

    def test_rejects_non_finite_boxes(self) -> None:
        boxes = random_boxes(3)
        boxes[1, 2] = float("inf")
        with pytest.raises(ValueError, match="boxes must be finite, but got a value of inf"):
            nms(boxes, torch.zeros(3), 0.5)

    def test_rejects_bad_box_shape(self) -> None:
        with pytest.raises(ValueError, match=r"boxes must have shape \(N, 4\), but got \(5,\)"):
            nms(torch.zeros(5), torch.zeros(5), 0.5)

    def test_rejects_mismatched_lengths(self) -> None:
        with pytest.raises(
            ValueError, match="boxes and scores must have the same length, but got 3 and 2"
        ):
            nms(random_boxes(3), torch.zeros(2), 0.5)

    def test_rejects_2d_scores(self) -> None:
        with pytest.raises(ValueError, match=r"scores must have shape \(N,\), but got \(3, 1\)"):
            nms(random_boxes(3), torch.zeros(3, 1), 0.5)

    def test_rejects_nan_scores(self) -> None:
        with pytest.raises(ValueError, match="scores must be finite, but got a value of nan"):
            nms(random_boxes(3), torch.tensor([0.1, float("nan"), 0.3]), 0.5)

    def test_rejects_inverted_box(self) -> None:
        boxes = torch.tensor([[0.0, 0, 10, 10], [10, 0, 5, 10]])
        with pytest.raises(
            ValueError, match=r"boxes must satisfy x1 <= x2 and y1 <= y2, but got the box \[10"
        ):
            nms(boxes, torch.zeros(2), 0.5)

    def test_rejects_non_numeric_threshold(self) -> None:
        with pytest.raises(TypeError, match="iou_threshold must be a real number, but got str"):
            nms(random_boxes(2), torch.zeros(2), "0.5")

    def test_batched_rejects_float_idxs(self) -> None:
        with pytest.raises(
            TypeError, match=r"idxs must hold integers, but got dtype torch\.float32"
        ):
            batched_nms(random_boxes(2), torch.zeros(2), torch.zeros(2), 0.5)

    def test_batched_rejects_mismatched_idxs(self) -> None:
        with pytest.raises(
            ValueError, match="boxes and idxs must have the same length, but got 2 and 3"
        ):
            batched_nms(random_boxes(2), torch.zeros(2), torch.zeros(3, dtype=torch.int64), 0.5)
