"""Softer-NMS: the KL box loss against smooth L1 and its hand-derived gradient; variance voting."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from torch.testing import assert_close

from reference.detection import box_iou, kl_box_loss, nms, variance_voting
from tests.conftest import tol
from tests.detection.conftest import random_boxes


class TestKlBoxLoss:
    def test_zero_log_variance_is_smooth_l1(self) -> None:
        pred, target = random_boxes(20), random_boxes(20)
        zeros = torch.zeros_like(pred)
        for reduction in ("none", "mean", "sum"):
            expected = F.smooth_l1_loss(pred, target, reduction=reduction, beta=1.0)
            assert_close(
                kl_box_loss(pred, zeros, target, reduction), expected, **tol(torch.float64)
            )

    def test_gradients_match_the_hand_derived_ones(self) -> None:
        g = torch.Generator().manual_seed(0)
        pred = (torch.randn(50, 4, generator=g, dtype=torch.float64) * 2).requires_grad_()
        log_var = torch.randn(50, 4, generator=g, dtype=torch.float64).requires_grad_()
        target = torch.zeros(50, 4, dtype=torch.float64)
        d_pred, d_alpha = torch.autograd.grad(
            kl_box_loss(pred, log_var, target, "sum"), (pred, log_var)
        )
        error = (target - pred).detach()
        small = error.abs() <= 1
        # d/dpred: -exp(-a) * d (small) or -exp(-a) * sign(d) (large); d/da: -exp(-a) * dist + 1/2
        expected_pred = -torch.exp(-log_var.detach()) * torch.where(small, error, error.sign())
        distance = torch.where(small, error**2 / 2, error.abs() - 0.5)
        expected_alpha = -torch.exp(-log_var.detach()) * distance + 0.5
        assert_close(d_pred, expected_pred, **tol(torch.float64))
        assert_close(d_alpha, expected_alpha, **tol(torch.float64))

    def test_best_variance_is_the_squared_error(self) -> None:
        # For |d| <= 1 the loss is minimised over alpha at exp(alpha) = d^2: uncertainty is learned.
        error = torch.tensor([0.1, 0.5, 0.9], dtype=torch.float64)
        alphas = torch.linspace(-8, 2, 20001, dtype=torch.float64)
        pred = torch.zeros(len(alphas), 3, 4, dtype=torch.float64)
        target = error[None, :, None].expand_as(pred)
        loss = kl_box_loss(pred, alphas[:, None, None].expand_as(pred), target, "none")[..., 0]
        best = alphas[loss.argmin(dim=0)]
        assert_close(best, torch.log(error**2), atol=1e-3, rtol=0)

    def test_rejects_mismatched_shapes(self) -> None:
        with pytest.raises(
            ValueError, match=r"log_var must have shape \(3, 4\) to match pred, but got \(3, 2\)"
        ):
            kl_box_loss(torch.zeros(3, 4), torch.zeros(3, 2), torch.zeros(3, 4))


def slow_voting(boxes, variances, keep, sigma_t):
    out = []
    for i in keep.tolist():
        num, den = torch.zeros(4, dtype=torch.float64), torch.zeros(4, dtype=torch.float64)
        for j in range(len(boxes)):
            o = box_iou(boxes[i : i + 1], boxes[j : j + 1]).item()
            if o > 0:
                p = math.exp(-((1 - o) ** 2) / sigma_t)
                num += p * boxes[j] / variances[j]
                den += p / variances[j]
        out.append(num / den)
    return torch.stack(out)


class TestVarianceVoting:
    @pytest.mark.parametrize("sigma_t", [0.02, 0.1, 1.0])
    def test_matches_the_per_box_formula(self, sigma_t: float) -> None:
        g = torch.Generator().manual_seed(3)
        boxes = random_boxes(40, size=40, generator=g)
        variances = torch.rand(40, 4, generator=g, dtype=torch.float64) + 0.05
        keep = nms(boxes, torch.rand(40, generator=g, dtype=torch.float64), 0.5)
        expected = slow_voting(boxes, variances, keep, sigma_t)
        assert_close(
            variance_voting(boxes, variances, keep, sigma_t), expected, **tol(torch.float64)
        )

    def test_isolated_box_is_unchanged(self) -> None:
        boxes = torch.tensor([[0.0, 0, 10, 10], [50, 50, 60, 60]], dtype=torch.float64)
        refined = variance_voting(
            boxes, torch.ones(2, 4, dtype=torch.float64), torch.tensor([0, 1])
        )
        assert_close(refined, boxes)

    def test_confident_neighbour_pulls_harder(self) -> None:
        boxes = torch.tensor([[0.0, 0, 10, 10], [1, 0, 11, 10]], dtype=torch.float64)
        unsure_neighbour = torch.tensor([[1.0] * 4, [10.0] * 4], dtype=torch.float64)
        sure_neighbour = torch.tensor([[1.0] * 4, [0.1] * 4], dtype=torch.float64)
        keep = torch.tensor([0])
        weak = variance_voting(boxes, unsure_neighbour, keep, sigma_t=1.0)[0, 0]
        strong = variance_voting(boxes, sure_neighbour, keep, sigma_t=1.0)[0, 0]
        assert 0 < weak < strong < 1

    def test_rejects_non_positive_variances(self) -> None:
        with pytest.raises(ValueError, match=r"variances must be > 0, but got 0\.0"):
            variance_voting(
                random_boxes(2), torch.zeros(2, 4, dtype=torch.float64), torch.tensor([0])
            )
