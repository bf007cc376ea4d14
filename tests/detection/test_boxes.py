"""reference.detection.boxes against torchvision.ops: values, gradients, edge cases, errors."""

from __future__ import annotations

import math

import pytest
import torch
import torchvision.ops as tv
from hypothesis import given
from hypothesis import strategies as st
from torch.testing import assert_close

from reference.detection import (
    box_area,
    box_iou,
    complete_box_iou,
    complete_box_iou_loss,
    distance_box_iou,
    distance_box_iou_loss,
    generalized_box_iou,
    generalized_box_iou_loss,
)
from tests.conftest import tol
from tests.detection.conftest import random_boxes

PAIRWISE = [
    (box_iou, tv.box_iou),
    (generalized_box_iou, tv.generalized_box_iou),
    (distance_box_iou, tv.distance_box_iou),
    (complete_box_iou, tv.complete_box_iou),
]
LOSSES = [
    (generalized_box_iou_loss, tv.generalized_box_iou_loss),
    (distance_box_iou_loss, tv.distance_box_iou_loss),
    (complete_box_iou_loss, tv.complete_box_iou_loss),
]
DTYPES = [torch.float64, torch.float32]

# Hand-made pairs: identical, touching on an edge, touching at a corner, disjoint, nested.
SPECIAL_A = torch.tensor(
    [[0, 0, 10, 10], [0, 0, 10, 10], [0, 0, 10, 10], [0, 0, 10, 10], [0, 0, 10, 10]],
    dtype=torch.float64,
)
SPECIAL_B = torch.tensor(
    [[0, 0, 10, 10], [10, 0, 20, 10], [10, 10, 20, 20], [30, 30, 40, 45], [2, 3, 5, 7]],
    dtype=torch.float64,
)


class TestBoxArea:
    def test_hand_derived(self) -> None:
        boxes = torch.tensor([[0.0, 0.0, 2.0, 3.0], [1.0, 1.0, 1.0, 5.0]])
        assert_close(box_area(boxes), torch.tensor([6.0, 0.0]))

    @pytest.mark.parametrize("dtype", [*DTYPES, torch.int64])
    def test_matches_torchvision(self, dtype: torch.dtype) -> None:
        boxes = random_boxes(50).round().to(dtype)
        expected = tv.box_area(boxes)
        assert box_area(boxes).dtype == expected.dtype
        assert_close(box_area(boxes), expected)

    def test_empty(self) -> None:
        assert box_area(torch.zeros(0, 4)).shape == (0,)


class TestPairwise:
    @pytest.mark.parametrize("dtype", DTYPES)
    @pytest.mark.parametrize(("ours", "theirs"), PAIRWISE, ids=lambda f: f.__name__)
    @pytest.mark.parametrize("seed", range(3))
    def test_matches_torchvision(self, ours, theirs, dtype: torch.dtype, seed: int) -> None:
        g = torch.Generator().manual_seed(seed)
        a, b = random_boxes(40, dtype, generator=g), random_boxes(30, dtype, generator=g)
        out = ours(a, b)
        assert out.shape == (40, 30)
        assert out.dtype == dtype
        assert_close(out, theirs(a, b), **tol(dtype))

    @pytest.mark.parametrize(("ours", "theirs"), PAIRWISE, ids=lambda f: f.__name__)
    def test_special_pairs_match_torchvision(self, ours, theirs) -> None:
        assert_close(ours(SPECIAL_A, SPECIAL_B), theirs(SPECIAL_A, SPECIAL_B), **tol(torch.float64))

    def test_iou_hand_derived(self) -> None:
        # identical 1, edge-touching 0, corner-touching 0, disjoint 0, nested 12/100
        assert_close(
            box_iou(SPECIAL_A, SPECIAL_B).diagonal(),
            torch.tensor([1.0, 0.0, 0.0, 0.0, 0.12], dtype=torch.float64),
        )

    def test_giou_of_disjoint_boxes_is_negative(self) -> None:
        # Union 250, enclosing box 40 x 45 = 1800: GIoU = 0 - (1800 - 250) / 1800.
        value = generalized_box_iou(SPECIAL_A[3:4], SPECIAL_B[3:4]).item()
        assert value == pytest.approx(-1550 / 1800)

    def test_diou_hand_derived(self) -> None:
        # Centres (5, 5) and (35, 37.5); enclosing diagonal^2 = 40^2 + 45^2.
        value = distance_box_iou(SPECIAL_A[3:4], SPECIAL_B[3:4]).item()
        assert value == pytest.approx(-(30**2 + 32.5**2) / (40**2 + 45**2), rel=1e-6)

    @pytest.mark.parametrize(("ours", "theirs"), PAIRWISE, ids=lambda f: f.__name__)
    def test_gradients_match_torchvision(self, ours, theirs) -> None:
        a = random_boxes(12).requires_grad_()
        b = random_boxes(9).requires_grad_()
        weights = torch.randn(12, 9, dtype=torch.float64)
        grads = torch.autograd.grad((ours(a, b) * weights).sum(), (a, b))
        expected = torch.autograd.grad((theirs(a, b) * weights).sum(), (a, b))
        for got, want in zip(grads, expected, strict=True):
            assert_close(got, want, **tol(torch.float64))

    # CIoU is left out: its alpha is detached on purpose, so its analytic gradient is
    # not the numerical one (test_gradients_match_torchvision covers it).
    @pytest.mark.parametrize(("ours", "theirs"), PAIRWISE[:3], ids=lambda f: f.__name__)
    def test_gradcheck(self, ours, theirs) -> None:
        a = random_boxes(4).requires_grad_()
        b = random_boxes(3).requires_grad_()
        assert torch.autograd.gradcheck(ours, (a, b))

    @pytest.mark.parametrize(("ours", "theirs"), PAIRWISE, ids=lambda f: f.__name__)
    @pytest.mark.parametrize(("n", "m"), [(0, 5), (5, 0), (0, 0)])
    def test_empty(self, ours, theirs, n: int, m: int) -> None:
        out = ours(torch.zeros(n, 4), torch.zeros(m, 4))
        assert out.shape == (n, m)
        assert out.shape == theirs(torch.zeros(n, 4), torch.zeros(m, 4)).shape

    @pytest.mark.parametrize(("ours", "theirs"), PAIRWISE, ids=lambda f: f.__name__)
    @pytest.mark.parametrize("dtype", [torch.int64, torch.int32, torch.int16, torch.uint8])
    def test_integer_boxes_match_torchvision(self, ours, theirs, dtype: torch.dtype) -> None:
        # Regression: box_iou divided in place (inter.div_(union)), which crashes on
        # integer tensors; torchvision returns a float32 IoU for integer boxes.
        a = random_boxes(20, size=60).round().to(dtype)
        b = random_boxes(15, size=60).round().to(dtype)
        out = ours(a, b)
        # int64 for torchvision: on uint8 it subtracts corners before upcasting and wraps.
        want = theirs(a.long(), b.long())
        assert out.dtype == want.dtype == torch.float32
        assert_close(out, want, **tol(torch.float32))

    def test_integer_boxes_work_downstream(self) -> None:
        # nms and batched_nms go through box_iou: they crashed on integer boxes too.
        from reference.detection import batched_nms, nms

        boxes = random_boxes(60, size=50).round().long()
        scores = torch.rand(60, dtype=torch.float64)
        idxs = torch.randint(3, (60,))
        assert torch.equal(nms(boxes, scores, 0.4), tv.nms(boxes.double(), scores, 0.4))
        assert torch.equal(
            batched_nms(boxes, scores, idxs, 0.4), tv.batched_nms(boxes.double(), scores, idxs, 0.4)
        )

    def test_zero_area_pair_is_nan_like_torchvision(self) -> None:
        point = torch.tensor([[5.0, 5.0, 5.0, 5.0]])
        assert math.isnan(box_iou(point, point).item())
        assert math.isnan(tv.box_iou(point, point).item())

    @given(st.integers(min_value=0, max_value=2**31 - 1))
    def test_invariants(self, seed: int) -> None:
        g = torch.Generator().manual_seed(seed)
        a, b = random_boxes(6, generator=g), random_boxes(5, generator=g)
        iou, giou = box_iou(a, b), generalized_box_iou(a, b)
        diou, ciou = distance_box_iou(a, b), complete_box_iou(a, b)
        assert ((iou >= 0) & (iou <= 1)).all()
        assert (giou <= iou + 1e-12).all() and (giou > -1).all()
        assert (diou <= iou + 1e-12).all() and (ciou <= diou + 1e-12).all()
        assert_close(box_iou(b, a), iou.T)  # symmetric
        assert_close(box_iou(a, a).diagonal(), torch.ones(6, dtype=torch.float64))


class TestLosses:
    @pytest.mark.parametrize("dtype", DTYPES)
    @pytest.mark.parametrize(("ours", "theirs"), LOSSES, ids=lambda f: f.__name__)
    @pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
    def test_matches_torchvision(self, ours, theirs, dtype: torch.dtype, reduction: str) -> None:
        a, b = random_boxes(64, dtype), random_boxes(64, dtype)
        assert_close(
            ours(a, b, reduction=reduction), theirs(a, b, reduction=reduction), **tol(dtype)
        )

    @pytest.mark.parametrize(("ours", "theirs"), LOSSES, ids=lambda f: f.__name__)
    def test_special_pairs_and_gradients(self, ours, theirs) -> None:
        a = SPECIAL_A.clone().requires_grad_()
        b = SPECIAL_B.clone()
        got, want = ours(a, b), theirs(a, b)
        assert_close(got, want, **tol(torch.float64))
        assert_close(torch.autograd.grad(got.sum(), a)[0], torch.autograd.grad(want.sum(), a)[0])

    @pytest.mark.parametrize(("ours", "theirs"), LOSSES, ids=lambda f: f.__name__)
    def test_batched_leading_dims(self, ours, theirs) -> None:
        a, b = random_boxes(24).reshape(2, 3, 4, 4), random_boxes(24).reshape(2, 3, 4, 4)
        assert ours(a, b).shape == (2, 3, 4)
        assert_close(ours(a, b), theirs(a, b), **tol(torch.float64))

    @pytest.mark.parametrize(("ours", "theirs"), LOSSES, ids=lambda f: f.__name__)
    def test_random_gradients_and_gradcheck(self, ours, theirs) -> None:
        a, b = random_boxes(16).requires_grad_(), random_boxes(16).requires_grad_()
        got = torch.autograd.grad(ours(a, b, reduction="sum"), (a, b))
        want = torch.autograd.grad(theirs(a, b, reduction="sum"), (a, b))
        for g1, g2 in zip(got, want, strict=True):
            assert_close(g1, g2, **tol(torch.float64))
        if ours is not complete_box_iou_loss:  # detached alpha: see TestPairwise.test_gradcheck
            assert torch.autograd.gradcheck(lambda x, y: ours(x, y), (a[:3], b[:3]))

    @pytest.mark.parametrize(("ours", "theirs"), LOSSES, ids=lambda f: f.__name__)
    def test_disjoint_boxes_still_get_a_gradient(self, ours, theirs) -> None:
        # Plain 1 - IoU is flat here; the generalisations pull the box towards the target.
        a = SPECIAL_A[3:4].clone().requires_grad_()
        (grad,) = torch.autograd.grad(ours(a, SPECIAL_B[3:4]).sum(), a)
        assert grad.abs().sum() > 0
        assert (
            grad[0, 2] < 0 and grad[0, 3] < 0
        )  # growing x2, y2 towards the target lowers the loss

    def test_identical_boxes_give_zero_loss(self) -> None:
        boxes = random_boxes(10)
        for ours, _ in LOSSES:
            assert_close(
                ours(boxes, boxes), torch.zeros(10, dtype=torch.float64), atol=1e-6, rtol=0
            )

    @pytest.mark.parametrize(("ours", "theirs"), LOSSES, ids=lambda f: f.__name__)
    def test_empty(self, ours, theirs) -> None:
        empty = torch.zeros(0, 4)
        for reduction in ("none", "mean", "sum"):
            assert_close(
                ours(empty, empty, reduction=reduction), theirs(empty, empty, reduction=reduction)
            )


class TestErrors:
    @pytest.mark.parametrize("fn", [box_area, lambda b: box_iou(b, b)])
    def test_rejects_bad_shape(self, fn) -> None:
        with pytest.raises(
            ValueError, match=r"boxes\d? must have shape \(N, 4\), but got \(3, 5\)"
        ):
            fn(torch.zeros(3, 5))

    def test_rejects_non_tensor(self) -> None:
        with pytest.raises(TypeError, match=r"boxes must be a torch\.Tensor, but got list"):
            box_area([[0, 0, 1, 1]])

    @pytest.mark.parametrize("fn", [f for f, _ in PAIRWISE])
    def test_rejects_inverted_box(self, fn) -> None:
        bad = torch.tensor([[0.0, 0.0, 10.0, 10.0], [5.0, 0.0, 4.0, 10.0]])
        with pytest.raises(
            ValueError, match=r"boxes1 must satisfy x1 <= x2 and y1 <= y2, but got the box \[5"
        ):
            fn(bad, bad[:1])

    @pytest.mark.parametrize("fn", [f for f, _ in LOSSES])
    def test_loss_rejects_mismatched_shapes(self, fn) -> None:
        with pytest.raises(
            ValueError,
            match=r"boxes1 and boxes2 must have the same shape, but got \(3, 4\) and \(2, 4\)",
        ):
            fn(random_boxes(3), random_boxes(2))

    @pytest.mark.parametrize("fn", [f for f, _ in LOSSES])
    def test_loss_rejects_unknown_reduction(self, fn) -> None:
        with pytest.raises(
            ValueError, match="reduction must be one of 'none', 'mean', 'sum', but got 'avg'"
        ):
            fn(random_boxes(3), random_boxes(3), reduction="avg")

    def test_loss_rejects_inverted_target(self) -> None:
        bad = torch.tensor([[0.0, 5.0, 10.0, 4.0]])
        with pytest.raises(ValueError, match="boxes2 must satisfy x1 <= x2 and y1 <= y2"):
            generalized_box_iou_loss(random_boxes(1, torch.float32), bad)

    @pytest.mark.parametrize(
        "fn",
        [distance_box_iou, complete_box_iou, *(f for f, _ in LOSSES)],
        ids=lambda f: f.__name__,
    )
    def test_rejects_eps_that_is_no_small_number(self, fn) -> None:
        # Regression: a string eps failed inside a tensor sum without naming eps, and
        # complete_box_iou_loss gave another answer than torchvision for eps < 0 or inf
        # (torchvision applies eps only to alpha there).
        boxes = random_boxes(3)
        for eps in (-1e-3, math.inf, math.nan):
            with pytest.raises(ValueError, match=rf"eps must be in \[0\.0, inf\), but got {eps}"):
                fn(boxes, boxes, eps=eps)
        with pytest.raises(TypeError, match="eps must be a real number, but got str"):
            fn(boxes, boxes, eps="1e-7")
