"""Losses against torch.nn.functional and torchvision.ops: values, gradients, extremes, errors."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
import torchvision.ops
from torch.testing import assert_close

from reference.training import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    l1_loss,
    mse_loss,
    sigmoid_focal_loss,
    smooth_l1_loss,
)
from tests.conftest import tol

REDUCTIONS = ["none", "mean", "sum"]


def grads(fn, *inputs):
    leaves = [t.clone().requires_grad_() for t in inputs]
    value = fn(*leaves)
    return value, torch.autograd.grad(value.sum(), leaves[0])[0]


class TestRegressionLosses:
    @pytest.mark.parametrize("reduction", REDUCTIONS)
    @pytest.mark.parametrize(
        ("ours", "theirs"),
        [(l1_loss, F.l1_loss), (mse_loss, F.mse_loss), (smooth_l1_loss, F.smooth_l1_loss)],
        ids=["l1", "mse", "smooth_l1"],
    )
    def test_matches_torch(self, ours, theirs, reduction: str) -> None:
        x, y = torch.randn(40, 3, dtype=torch.float64) * 3, torch.randn(40, 3, dtype=torch.float64)
        got, got_grad = grads(lambda a, b: ours(a, b, reduction=reduction), x, y)
        want, want_grad = grads(lambda a, b: theirs(a, b, reduction=reduction), x, y)
        assert_close(got, want, **tol(torch.float64))
        assert_close(got_grad, want_grad, **tol(torch.float64))

    @pytest.mark.parametrize("beta", [0.0, 0.3, 1.0, 5.0])
    def test_smooth_l1_beta(self, beta: float) -> None:
        x, y = torch.randn(50, dtype=torch.float64) * 4, torch.zeros(50, dtype=torch.float64)
        assert_close(
            smooth_l1_loss(x, y, beta=beta), F.smooth_l1_loss(x, y, beta=beta), **tol(torch.float64)
        )

    def test_rejects_shape_mismatch(self) -> None:
        with pytest.raises(
            ValueError, match=r"target must have shape \(3,\) to match input, but got \(4,\)"
        ):
            mse_loss(torch.zeros(3), torch.zeros(4))

    def test_rejects_unknown_reduction(self) -> None:
        with pytest.raises(
            ValueError, match="reduction must be one of 'none', 'mean', 'sum', but got 'avg'"
        ):
            l1_loss(torch.zeros(3), torch.zeros(3), reduction="avg")


class TestCrossEntropy:
    @pytest.mark.parametrize("reduction", REDUCTIONS)
    @pytest.mark.parametrize("smoothing", [0.0, 0.1, 0.4, 1.0])
    def test_matches_torch(self, reduction: str, smoothing: float) -> None:
        x, y = torch.randn(30, 6, dtype=torch.float64) * 3, torch.randint(6, (30,))
        got, got_grad = grads(
            lambda a: cross_entropy(a, y, reduction=reduction, label_smoothing=smoothing), x
        )
        want, want_grad = grads(
            lambda a: F.cross_entropy(a, y, reduction=reduction, label_smoothing=smoothing), x
        )
        assert_close(got, want, **tol(torch.float64))
        assert_close(got_grad, want_grad, **tol(torch.float64))

    @pytest.mark.parametrize("reduction", REDUCTIONS)
    @pytest.mark.parametrize("smoothing", [0.0, 0.3])
    @pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
    def test_weight_and_ignore_index_match_torch(
        self, reduction: str, smoothing: float, weighted: bool
    ) -> None:
        x = torch.randn(40, 5, dtype=torch.float64) * 2
        y = torch.randint(5, (40,))
        y[::3] = -100  # the label mask_tokens leaves at unmasked positions
        weight = torch.rand(5, dtype=torch.float64) + 0.5 if weighted else None
        kwargs = {"reduction": reduction, "label_smoothing": smoothing}
        got, got_grad = grads(lambda a: cross_entropy(a, y, weight, **kwargs), x)
        want, want_grad = grads(lambda a: F.cross_entropy(a, y, weight, **kwargs), x)
        assert_close(got, want, **tol(torch.float64))
        assert_close(got_grad, want_grad, **tol(torch.float64))

    def test_custom_ignore_index(self) -> None:
        x, y = torch.randn(6, 3, dtype=torch.float64), torch.tensor([0, 7, 2, 7, 1, 1])
        want = F.cross_entropy(x, y, ignore_index=7)
        assert_close(cross_entropy(x, y, ignore_index=7), want, **tol(torch.float64))

    def test_consumes_mask_tokens_labels(self) -> None:
        from reference.attention import mask_tokens

        ids = torch.randint(5, 50, (4, 12), generator=torch.Generator().manual_seed(1))
        _, labels = mask_tokens(ids, 3, 50, 0.3, generator=torch.Generator().manual_seed(2))
        logits = torch.randn(48, 50, dtype=torch.float64)
        assert (labels == -100).any() and (labels != -100).any()
        assert_close(
            cross_entropy(logits, labels.flatten()),
            F.cross_entropy(logits, labels.flatten()),
            **tol(torch.float64),
        )

    def test_masked_logit_is_not_nan(self) -> None:
        # Regression: a -inf logit gave 0 * inf = NaN through the unused smoothing term.
        x = torch.tensor([[2.0, -torch.inf, 0.5]], dtype=torch.float64, requires_grad=True)
        y = torch.tensor([0])
        loss = cross_entropy(x, y)
        (grad,) = torch.autograd.grad(loss, x)
        want = F.cross_entropy(x, y)
        assert_close(loss, want, **tol(torch.float64))
        assert_close(loss.item(), 0.2014132779827524, rtol=1e-12, atol=0)  # log(1 + e^-1.5)
        assert_close(grad, torch.autograd.grad(want, x)[0], **tol(torch.float64))

    def test_smoothing_with_masked_logit_matches_torch(self) -> None:
        x = torch.tensor([[2.0, -torch.inf, 0.5]], dtype=torch.float64)
        y = torch.tensor([0])
        assert_close(
            cross_entropy(x, y, label_smoothing=0.1), F.cross_entropy(x, y, label_smoothing=0.1)
        )

    def test_every_target_ignored_is_nan_as_torch(self) -> None:
        x, y = torch.randn(3, 4, dtype=torch.float64), torch.full((3,), -100)
        assert torch.isnan(cross_entropy(x, y)) and torch.isnan(F.cross_entropy(x, y))
        assert_close(cross_entropy(x, y, reduction="sum"), F.cross_entropy(x, y, reduction="sum"))

    def test_smoothing_targets_every_class(self) -> None:
        # (1 - eps) onehot + eps / K, the true class included: the gradient is p - target.
        x, y = torch.zeros(1, 4, dtype=torch.float64, requires_grad=True), torch.tensor([2])
        (grad,) = torch.autograd.grad(cross_entropy(x, y, label_smoothing=0.2), x)
        target = torch.tensor([[0.05, 0.05, 0.85, 0.05]], dtype=torch.float64)
        assert_close(grad, 0.25 - target)

    def test_all_one_class_batch(self) -> None:
        x, y = torch.randn(16, 5, dtype=torch.float64), torch.full((16,), 3)
        for smoothing in (0.0, 0.2):
            got = cross_entropy(x, y, label_smoothing=smoothing)
            assert_close(got, F.cross_entropy(x, y, label_smoothing=smoothing), rtol=1e-10, atol=0)

    def test_finite_for_huge_logits(self) -> None:
        x = torch.tensor([[1e4, -1e4, 0.0], [-1e4, 1e4, 1e4]], requires_grad=True)
        y = torch.tensor([1, 0])
        loss = cross_entropy(x, y, label_smoothing=0.1)
        (grad,) = torch.autograd.grad(loss, x)
        assert torch.isfinite(loss) and torch.isfinite(grad).all()
        assert_close(loss, F.cross_entropy(x, y, label_smoothing=0.1))

    def test_gradcheck(self) -> None:
        x = torch.randn(4, 3, dtype=torch.float64, requires_grad=True)
        assert torch.autograd.gradcheck(
            lambda a: cross_entropy(a, torch.tensor([0, 2, 1, 1]), label_smoothing=0.1), (x,)
        )

    def test_rejects_bad_targets(self) -> None:
        with pytest.raises(
            ValueError,
            match=r"target must be in \[0, 3\) or equal ignore_index=-100, but got values in "
            r"\[0, 3\]",
        ):
            cross_entropy(torch.zeros(2, 3), torch.tensor([0, 3]))
        with pytest.raises(TypeError, match="target must hold integer class indices"):
            cross_entropy(torch.zeros(2, 3), torch.zeros(2))
        with pytest.raises(ValueError, match=r"weight must have shape \(3,\), but got \(2,\)"):
            cross_entropy(torch.zeros(2, 3), torch.tensor([0, 1]), torch.ones(2))

    def test_target_dtypes_as_torch(self) -> None:
        # Regression: uint8 targets crashed in gather(), where torch takes them as indices;
        # int32 targets were accepted, where torch refuses them.
        x = torch.randn(6, 4, dtype=torch.float64) * 2
        y = torch.tensor([0, 3, 1, 2, 2, 0])
        for reduction in REDUCTIONS:
            got = cross_entropy(x, y.byte(), reduction=reduction, label_smoothing=0.2)
            want = F.cross_entropy(x, y.byte(), reduction=reduction, label_smoothing=0.2)
            assert_close(got, want, **tol(torch.float64))
        with pytest.raises(RuntimeError):
            F.cross_entropy(x, y.int())
        with pytest.raises(TypeError, match=r"target must hold integer class .* torch\.int32"):
            cross_entropy(x, y.int())

    def test_rejects_what_torch_refuses_naming_the_argument(self) -> None:
        y = torch.tensor([0, 1])
        for logits in (torch.zeros(2, 3, dtype=torch.long), torch.zeros(2, 3, device="meta")):
            with pytest.raises((RuntimeError, NotImplementedError)):
                F.cross_entropy(logits, y)
        with pytest.raises(TypeError, match="input must be a floating-point tensor"):
            cross_entropy(torch.zeros(2, 3, dtype=torch.long), y)
        with pytest.raises(ValueError, match="input, target must be on the same device"):
            cross_entropy(torch.zeros(2, 3, device="meta"), y)
        with pytest.raises(ValueError, match=r"target must have shape \(0,\) to match input"):
            cross_entropy(torch.zeros(0, 3), y)

    def test_reduction_is_keyword_only(self) -> None:
        # F.cross_entropy's 4th position is the deprecated size_average: a positional
        # "sum" there would silently average. Ours refuses it.
        with pytest.raises(TypeError):
            cross_entropy(torch.zeros(2, 3), torch.tensor([0, 1]), None, "sum")  # type: ignore[misc]


class TestBinaryCrossEntropy:
    @pytest.mark.parametrize("reduction", REDUCTIONS)
    def test_matches_torch(self, reduction: str) -> None:
        x, y = torch.randn(50, dtype=torch.float64) * 5, torch.rand(50, dtype=torch.float64)
        got, got_grad = grads(
            lambda a: binary_cross_entropy_with_logits(a, y, reduction=reduction), x
        )
        want, want_grad = grads(
            lambda a: F.binary_cross_entropy_with_logits(a, y, reduction=reduction), x
        )
        assert_close(got, want, **tol(torch.float64))
        assert_close(got_grad, want_grad, **tol(torch.float64))

    @pytest.mark.parametrize("reduction", REDUCTIONS)
    def test_weight_and_pos_weight_match_torch(self, reduction: str) -> None:
        x = torch.randn(30, 4, dtype=torch.float64) * 3
        y = torch.randint(2, (30, 4)).double()
        weight = torch.rand(30, 1, dtype=torch.float64)
        pos_weight = torch.tensor([1.0, 2.0, 0.5, 4.0], dtype=torch.float64)
        kwargs = {"reduction": reduction, "pos_weight": pos_weight}
        got, got_grad = grads(lambda a: binary_cross_entropy_with_logits(a, y, weight, **kwargs), x)
        want, want_grad = grads(
            lambda a: F.binary_cross_entropy_with_logits(a, y, weight, **kwargs), x
        )
        assert_close(got, want, **tol(torch.float64))
        assert_close(got_grad, want_grad, **tol(torch.float64))

    def test_rejects_weights_torch_mishandles(self) -> None:
        # Regression: a uint8 pos_weight reached (pos_weight - 1) in PyTorch, which wraps
        # around to 255 for a weight of 0; and a weight of shape (1, N) made the loss (1, N).
        x, y = torch.zeros(5, dtype=torch.float64), torch.ones(5, dtype=torch.float64)
        with pytest.raises(TypeError, match="pos_weight must be a floating-point tensor"):
            binary_cross_entropy_with_logits(x, y, pos_weight=torch.zeros(5, dtype=torch.uint8))
        wide = torch.ones(1, 5, dtype=torch.float64)
        with pytest.raises(RuntimeError):  # PyTorch refuses it too, without naming it
            F.binary_cross_entropy_with_logits(x, y, wide, reduction="none")
        with pytest.raises(ValueError, match=r"weight must broadcast to input's shape \(5,\)"):
            binary_cross_entropy_with_logits(x, y, wide)

    def test_finite_for_huge_logits(self) -> None:
        x, y = torch.tensor([1e4, -1e4, 1e4]), torch.tensor([0.0, 1.0, 1.0])
        assert_close(
            binary_cross_entropy_with_logits(x, y, reduction="none"),
            torch.tensor([1e4, 1e4, 0.0]),
        )


class TestBinaryCrossEntropyOfProbabilities:
    @pytest.mark.parametrize("reduction", REDUCTIONS)
    def test_matches_torch(self, reduction: str) -> None:
        g = torch.Generator().manual_seed(0)
        p = torch.rand(40, 3, generator=g, dtype=torch.float64) * 0.98 + 0.01
        y = torch.rand(40, 3, generator=g, dtype=torch.float64)
        weight = torch.rand(40, 1, generator=g, dtype=torch.float64)
        for w in (None, weight):
            got, got_grad = grads(
                lambda a, w=w: binary_cross_entropy(a, y, w, reduction=reduction), p
            )
            want, want_grad = grads(
                lambda a, w=w: F.binary_cross_entropy(a, y, w, reduction=reduction), p
            )
            assert_close(got, want, **tol(torch.float64))
            assert_close(got_grad, want_grad, **tol(torch.float64))

    def test_clamps_the_log_at_minus_100_as_torch(self) -> None:
        p = torch.tensor([0.0, 1.0, 1e-50, 1 - 1e-17, 0.5], dtype=torch.float64)
        y = torch.tensor([1.0, 0.0, 1.0, 0.0, 1.0], dtype=torch.float64)
        assert_close(
            binary_cross_entropy(p, y, reduction="none"),
            F.binary_cross_entropy(p, y, reduction="none"),
        )

    def test_equals_the_logit_form_where_the_sigmoid_is_exact(self) -> None:
        x = torch.linspace(-8, 8, 33, dtype=torch.float64)
        y = torch.rand(33, dtype=torch.float64)
        assert_close(
            binary_cross_entropy(torch.sigmoid(x), y),
            F.binary_cross_entropy_with_logits(x, y),
        )

    def test_rejects_values_outside_0_1(self) -> None:
        outside = r"input must hold values in \[0.0, 1.0\], but got "
        with pytest.raises(ValueError, match=outside + "1.5"):
            binary_cross_entropy(torch.tensor([0.5, 1.5]), torch.ones(2))
        with pytest.raises(RuntimeError, match="between 0 and 1"):  # PyTorch refuses it too
            F.binary_cross_entropy(torch.tensor([0.5, 1.5]), torch.ones(2))
        with pytest.raises(ValueError, match=outside + "nan"):
            binary_cross_entropy(torch.tensor([0.5, math.nan]), torch.ones(2))
        with pytest.raises(RuntimeError, match="between 0 and 1"):
            F.binary_cross_entropy(torch.tensor([0.5, math.nan]), torch.ones(2))


class TestFocalLoss:
    @pytest.mark.parametrize(
        ("alpha", "gamma"), [(0.25, 2.0), (0.5, 0.5), (-1.0, 0.0), (-1.0, 3.0)]
    )
    @pytest.mark.parametrize("reduction", REDUCTIONS)
    def test_matches_torchvision(self, alpha: float, gamma: float, reduction: str) -> None:
        x, y = torch.randn(60, dtype=torch.float64) * 3, torch.randint(2, (60,)).double()
        got, got_grad = grads(lambda a: sigmoid_focal_loss(a, y, alpha, gamma, reduction), x)
        want, want_grad = grads(
            lambda a: torchvision.ops.sigmoid_focal_loss(a, y, alpha, gamma, reduction), x
        )
        assert_close(got, want, **tol(torch.float64))
        assert_close(got_grad, want_grad, **tol(torch.float64))

    def test_no_alpha_no_gamma_is_bce(self) -> None:
        x, y = torch.randn(20, dtype=torch.float64), torch.randint(2, (20,)).double()
        assert_close(
            sigmoid_focal_loss(x, y, alpha=-1, gamma=0),
            binary_cross_entropy_with_logits(x, y, reduction="none"),
        )

    def test_easy_examples_are_down_weighted(self) -> None:
        easy, hard = torch.tensor([4.0]), torch.tensor([-1.0])  # both positives: p = 0.98 vs 0.27
        target = torch.ones(1)
        ratio_focal = sigmoid_focal_loss(easy, target) / sigmoid_focal_loss(hard, target)
        ratio_bce = binary_cross_entropy_with_logits(
            easy, target
        ) / binary_cross_entropy_with_logits(hard, target)
        assert ratio_focal < ratio_bce / 100
