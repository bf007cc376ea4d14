"""Finite differences and the hand-written backward pass against autograd."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch.testing import assert_close

from reference.foundations import TwoLayerNet, directional_derivative, numerical_gradient


def bowl(t: torch.Tensor) -> torch.Tensor:
    return (
        t**2 * torch.arange(1, t.numel() + 1, dtype=t.dtype).reshape(t.shape)
    ).sum() + t.sum().sin()


def autograd(f, x: torch.Tensor) -> torch.Tensor:
    x = x.clone().requires_grad_()
    (grad,) = torch.autograd.grad(f(x), x)
    return grad


class TestNumericalGradient:
    @pytest.mark.parametrize("shape", [(5,), (2, 3)])
    def test_matches_autograd(self, shape) -> None:
        x = torch.randn(*shape, dtype=torch.float64)
        assert_close(numerical_gradient(bowl, x), autograd(bowl, x), rtol=1e-7, atol=1e-7)

    def test_hand_derived(self) -> None:
        # f(x, y) = x^2 y: gradient (2xy, x^2) = (12, 4) at (2, 3)
        grad = numerical_gradient(
            lambda t: t[0] ** 2 * t[1], torch.tensor([2.0, 3.0], dtype=torch.float64)
        )
        assert_close(grad, torch.tensor([12.0, 4.0], dtype=torch.float64), rtol=1e-8, atol=1e-8)

    def test_works_for_functions_with_python_control_flow(self) -> None:
        # one coordinate at a time, f can branch on values (a batched vmap could not)
        def piecewise(t: torch.Tensor) -> torch.Tensor:
            return t.pow(2).sum() if float(t.detach().sum()) > 0 else -t.pow(3).sum()

        x = torch.tensor([0.5, 1.5, -0.25], dtype=torch.float64)
        assert_close(numerical_gradient(piecewise, x), autograd(piecewise, x), rtol=1e-7, atol=1e-7)

    def test_rejects_bad_eps(self) -> None:
        with pytest.raises(ValueError, match=r"eps must be in \(0.0, inf\), but got 0"):
            numerical_gradient(bowl, torch.ones(2), eps=0)


class TestDirectionalDerivative:
    def test_largest_along_the_gradient(self) -> None:
        x = torch.randn(4, dtype=torch.float64)
        grad = autograd(bowl, x)
        along = directional_derivative(bowl, x, grad)
        assert along.item() == pytest.approx(grad.norm().item())
        for _ in range(20):
            assert (
                directional_derivative(bowl, x, torch.randn(4, dtype=torch.float64))
                <= along + 1e-12
            )

    def test_zero_across_the_gradient(self) -> None:
        x = torch.tensor([1.0, 2.0], dtype=torch.float64)
        f = lambda t: t[0] ** 2 + t[1] ** 2  # noqa: E731 - gradient (2, 4)
        assert (
            directional_derivative(f, x, torch.tensor([2.0, -1.0], dtype=torch.float64)).abs()
            < 1e-12
        )

    def test_rejects_wrong_direction_shape(self) -> None:
        with pytest.raises(
            ValueError, match=r"direction must have shape \(4,\) to match x, but got \(3,\)"
        ):
            directional_derivative(bowl, torch.ones(4), torch.ones(3))


class TestTwoLayerNet:
    def make(
        self, seed: int = 0
    ) -> tuple[TwoLayerNet, list[torch.Tensor], torch.Tensor, torch.Tensor]:
        g = torch.Generator().manual_seed(seed)
        shapes = [(16, 5), (16,), (3, 16), (3,)]
        params = [torch.randn(*s, generator=g, dtype=torch.float64) for s in shapes]
        x = torch.randn(32, 5, generator=g, dtype=torch.float64)
        y = torch.randint(3, (32,), generator=g)
        return TwoLayerNet(*params), params, x, y

    @pytest.mark.parametrize("seed", range(3))
    def test_loss_and_gradients_match_autograd(self, seed: int) -> None:
        net, params, x, y = self.make(seed)
        loss, cache = net.loss(x, y)
        ours = net.backward(cache)
        leaves = [p.clone().requires_grad_() for p in params]
        w1, b1, w2, b2 = leaves
        expected = F.cross_entropy(F.relu(x @ w1.T + b1) @ w2.T + b2, y)
        assert_close(loss, expected.detach())
        for name, want in zip(
            ["w1", "b1", "w2", "b2"], torch.autograd.grad(expected, leaves), strict=True
        ):
            assert_close(ours[name], want, rtol=1e-10, atol=1e-12)

    def test_gradient_descent_lowers_the_loss(self) -> None:
        net, _, x, y = self.make()
        first, _ = net.loss(x, y)
        for _ in range(50):
            _, cache = net.loss(x, y)
            for name, grad in net.backward(cache).items():
                net.params[name] = net.params[name] - 0.1 * grad
        assert net.loss(x, y)[0] < 0.7 * first

    def test_rejects_mismatched_shapes(self) -> None:
        with pytest.raises(
            ValueError, match=r"b1 must have shape \(16,\) to match w1, but got \(15,\)"
        ):
            TwoLayerNet(torch.zeros(16, 5), torch.zeros(15), torch.zeros(3, 16), torch.zeros(3))
        net, _, x, y = self.make()
        with pytest.raises(
            ValueError, match=r"x must have shape \(B, 5\) to match w1, but got \(32, 4\)"
        ):
            net.loss(x[:, :4], y)
