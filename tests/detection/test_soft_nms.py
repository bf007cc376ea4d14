"""Soft-NMS against a slow, independent rendering of the paper's algorithm, and against NMS."""

from __future__ import annotations

import math

import pytest
import torch
import torchvision.ops as tv
from torch.testing import assert_close

from reference.detection import soft_nms
from tests.detection.conftest import random_boxes


def iou(a: list[float], b: list[float]) -> float:
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = w * h
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union


def slow_soft_nms(boxes, scores, nt, sigma, threshold, method):
    """Algorithm 1 of the paper, one box at a time, in plain Python floats."""
    remaining = {i: float(s) for i, s in enumerate(scores) if float(s) >= threshold}
    box = [list(map(float, b)) for b in boxes]
    keep, kept = [], []
    while remaining:
        best = max(remaining, key=lambda i: (remaining[i], -i))  # highest score, then lowest index
        keep.append(best)
        kept.append(remaining.pop(best))
        for j in list(remaining):
            o = iou(box[best], box[j])
            if method == "linear":
                weight = 1 - o if o > nt else 1.0
            elif method == "gaussian":
                weight = math.exp(-(o * o) / sigma)
            else:
                weight = 0.0 if o > nt else 1.0
            remaining[j] *= weight
            if remaining[j] < threshold:
                del remaining[j]
    return keep, kept


class TestSoftNms:
    @pytest.mark.parametrize("method", ["linear", "gaussian", "hard"])
    @pytest.mark.parametrize(("nt", "sigma"), [(0.3, 0.5), (0.5, 0.1)])
    def test_matches_the_paper_algorithm(self, method: str, nt: float, sigma: float) -> None:
        g = torch.Generator().manual_seed(1)
        boxes = random_boxes(80, size=60, generator=g)
        scores = torch.rand(80, generator=g, dtype=torch.float64)
        keep, kept = soft_nms(boxes, scores, nt, sigma, 0.01, method)
        want_keep, want_scores = slow_soft_nms(boxes, scores, nt, sigma, 0.01, method)
        assert keep.tolist() == want_keep
        assert_close(kept, torch.tensor(want_scores, dtype=torch.float64))

    def test_hard_method_is_nms(self) -> None:
        g = torch.Generator().manual_seed(2)
        boxes = random_boxes(300, torch.float32, size=200, generator=g)
        scores = torch.rand(300, generator=g) * 0.99 + 0.01  # all above score_threshold
        keep, kept = soft_nms(boxes, scores, 0.5, method="hard")
        assert torch.equal(keep, tv.nms(boxes, scores, 0.5))
        assert torch.equal(kept, scores[keep])

    def test_gaussian_keeps_a_heavily_overlapping_box_with_a_lower_score(self) -> None:
        # Two people side by side: NMS at 0.3 would delete the second, Soft-NMS only lowers it.
        boxes = torch.tensor([[0.0, 0.0, 10.0, 20.0], [5.0, 0.0, 15.0, 20.0]])  # IoU = 1/3
        keep, kept = soft_nms(boxes, torch.tensor([0.9, 0.8]))
        assert keep.tolist() == [0, 1]
        assert kept[1].item() == pytest.approx(0.8 * math.exp(-(1 / 9) / 0.5), rel=1e-6)

    def test_zero_area_duplicates_are_not_overlaps(self) -> None:
        # Regression: two zero-area boxes have IoU 0 / 0 = NaN; "hard" gave them weight 0
        # (NaN <= t is false) where nms keeps both, and the Gaussian weight was NaN.
        boxes = torch.tensor([[5.0, 5, 5, 5], [5.0, 5, 5, 5], [0, 0, 10, 10], [0, 0, 10, 9]])
        scores = torch.tensor([0.9, 0.8, 0.7, 0.6])
        keep, kept = soft_nms(boxes, scores, 0.5, method="hard")
        assert keep.tolist() == tv.nms(boxes, scores, 0.5).tolist() == [0, 1, 2]
        for method in ("gaussian", "linear"):
            keep, kept = soft_nms(boxes, scores, 0.5, method=method)
            assert keep[:3].tolist() == [0, 1, 2]
            assert kept[:3].tolist() == scores[:3].tolist()  # nothing overlaps them

    def test_empty(self) -> None:
        keep, kept = soft_nms(torch.zeros(0, 4), torch.zeros(0))
        assert keep.shape == (0,) and kept.shape == (0,) and keep.dtype == torch.int64

    def test_rejects_bad_arguments(self) -> None:
        boxes, scores = random_boxes(3), torch.rand(3, dtype=torch.float64)
        with pytest.raises(
            ValueError, match="method must be one of 'linear', 'gaussian', 'hard', but got 'soft'"
        ):
            soft_nms(boxes, scores, method="soft")
        with pytest.raises(ValueError, match=r"sigma must be in \(0.0, inf\), but got 0"):
            soft_nms(boxes, scores, sigma=0)
        with pytest.raises(ValueError, match="scores must be finite"):
            soft_nms(boxes, torch.tensor([0.5, float("nan"), 0.1], dtype=torch.float64))
