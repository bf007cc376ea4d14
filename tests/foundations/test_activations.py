"""reference.foundations.activations against torch: values, derivatives (autograd), extremes."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st
from torch.testing import assert_close

from reference.foundations import (
    elu,
    elu_derivative,
    leaky_relu,
    leaky_relu_derivative,
    log_softmax,
    relu,
    relu_derivative,
    sigmoid,
    sigmoid_derivative,
    softmax,
    tanh,
    tanh_derivative,
)
from tests.conftest import tol

# Points that include the kink at 0, values around it and large magnitudes.
X = torch.cat(
    [
        torch.linspace(-40, 40, 801, dtype=torch.float64),
        torch.tensor([0.0, -1e-9, 1e-9, 700.0, -700.0], dtype=torch.float64),
    ]
)

CASES = [
    ("sigmoid", sigmoid, sigmoid_derivative, torch.sigmoid),
    ("tanh", tanh, tanh_derivative, torch.tanh),
    ("relu", relu, relu_derivative, F.relu),
    ("leaky_relu", leaky_relu, leaky_relu_derivative, F.leaky_relu),
    ("elu", elu, elu_derivative, F.elu),
    (
        "leaky_relu_0.2",
        lambda x: leaky_relu(x, 0.2),
        lambda x: leaky_relu_derivative(x, 0.2),
        lambda x: F.leaky_relu(x, 0.2),
    ),
    ("elu_0.5", lambda x: elu(x, 0.5), lambda x: elu_derivative(x, 0.5), lambda x: F.elu(x, 0.5)),
]


def autograd_derivative(fn, x: torch.Tensor) -> torch.Tensor:
    x = x.clone().requires_grad_()
    (grad,) = torch.autograd.grad(fn(x).sum(), x)
    return grad


class TestActivations:
    @pytest.mark.parametrize(
        ("name", "ours", "derivative", "theirs"), CASES, ids=[c[0] for c in CASES]
    )
    @pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
    def test_matches_torch(self, name, ours, derivative, theirs, dtype) -> None:
        x = X.to(dtype)
        assert_close(ours(x), theirs(x), **tol(dtype))

    @pytest.mark.parametrize(
        ("name", "ours", "derivative", "theirs"), CASES, ids=[c[0] for c in CASES]
    )
    def test_derivative_matches_autograd_of_torch(self, name, ours, derivative, theirs) -> None:
        assert_close(derivative(X), autograd_derivative(theirs, X), **tol(torch.float64))

    @pytest.mark.parametrize(
        ("name", "ours", "derivative", "theirs"), CASES, ids=[c[0] for c in CASES]
    )
    def test_own_autograd_matches_derivative(self, name, ours, derivative, theirs) -> None:
        away_from_kink = X[X.abs() > 1e-6]
        assert_close(
            autograd_derivative(ours, away_from_kink),
            derivative(away_from_kink),
            **tol(torch.float64),
        )

    def test_hand_derived_values(self) -> None:
        zero = torch.zeros(1, dtype=torch.float64)
        assert sigmoid(zero).item() == 0.5
        assert (
            sigmoid_derivative(zero).item() == 0.25
        )  # the largest slope a sigmoid layer passes on
        assert tanh_derivative(zero).item() == 1.0
        assert elu(torch.tensor([-1e4])).item() == -1.0  # saturates at -alpha

    @pytest.mark.parametrize(
        ("ours", "theirs"), [(sigmoid, torch.sigmoid), (tanh, torch.tanh)], ids=["sigmoid", "tanh"]
    )
    def test_gradient_at_zero_matches_torch(self, ours, theirs) -> None:
        # Regression: |x| passes no gradient at 0, so both once had slope 0 there.
        zero = torch.zeros(3, dtype=torch.float64)
        assert_close(autograd_derivative(ours, zero), autograd_derivative(theirs, zero))

    def test_tanh_of_tiny_values_in_float32(self) -> None:
        # Regression: 1 - exp(-2|x|) rounds to 0 in float32 for |x| = 1e-8; expm1 does not.
        x = torch.tensor([1e-8, -3e-9, 1e-30, 2e-4], dtype=torch.float32)
        assert_close(tanh(x), torch.tanh(x), rtol=1e-6, atol=0.0)

    def test_integer_input_is_promoted_like_torch(self) -> None:
        x = torch.tensor([-2, 0, 3])
        for ours, theirs in ((sigmoid, torch.sigmoid), (tanh, torch.tanh)):
            assert ours(x).dtype == theirs(x).dtype == torch.float32
            assert_close(ours(x), theirs(x))

    def test_sigmoid_does_not_overflow(self) -> None:
        x = torch.tensor([-1e4, 1e4], dtype=torch.float32)
        assert_close(sigmoid(x), torch.tensor([0.0, 1.0]))
        assert torch.isfinite(sigmoid_derivative(x)).all()

    def test_keeps_shape(self) -> None:
        x = torch.randn(2, 3, 4, dtype=torch.float64)
        for _, ours, derivative, _ in CASES:
            assert ours(x).shape == derivative(x).shape == x.shape


class TestSoftmax:
    @pytest.mark.parametrize("dim", [0, 1, -1])
    def test_matches_torch(self, dim: int) -> None:
        x = torch.randn(5, 7, dtype=torch.float64) * 10
        assert_close(softmax(x, dim), torch.softmax(x, dim), **tol(torch.float64))
        assert_close(log_softmax(x, dim), torch.log_softmax(x, dim), **tol(torch.float64))

    def test_huge_logits_stay_finite(self) -> None:
        x = torch.tensor([[1e4, 0.0, -1e4], [1e4, 1e4, 1e4]])
        assert_close(softmax(x), torch.softmax(x, -1))
        assert_close(softmax(x)[1], torch.full((3,), 1 / 3))
        assert_close(log_softmax(x), torch.log_softmax(x, -1))
        assert torch.isfinite(log_softmax(x)).all()

    def test_gradcheck(self) -> None:
        x = torch.randn(3, 4, dtype=torch.float64, requires_grad=True)
        assert torch.autograd.gradcheck(lambda t: softmax(t, 1), (x,))
        assert torch.autograd.gradcheck(lambda t: log_softmax(t, 0), (x,))

    @given(st.lists(st.floats(-50, 50), min_size=1, max_size=10), st.floats(-100, 100))
    def test_invariants(self, logits: list[float], shift: float) -> None:
        x = torch.tensor(logits, dtype=torch.float64)
        p = softmax(x)
        assert (p >= 0).all() and abs(p.sum().item() - 1) < 1e-12
        assert_close(softmax(x + shift), p)  # adding a constant to every logit changes nothing
        assert p[torch.argmax(x)] == p.max()  # the largest logit gets the largest probability

    def test_rejects_bad_dim(self) -> None:
        with pytest.raises(
            ValueError, match=r"dim must be in \[-2, 1\] for input with 2 dimensions, but got 2"
        ):
            softmax(torch.zeros(2, 3), dim=2)


class TestErrors:
    def test_rejects_non_tensor(self) -> None:
        with pytest.raises(TypeError, match=r"input must be a torch\.Tensor, but got list"):
            sigmoid([1.0, 2.0])

    def test_rejects_negative_slope_below_zero(self) -> None:
        with pytest.raises(
            ValueError, match=r"negative_slope must be in \[0.0, inf\), but got -0.1"
        ):
            leaky_relu(torch.zeros(2), negative_slope=-0.1)

    def test_rejects_negative_alpha(self) -> None:
        with pytest.raises(ValueError, match=r"alpha must be in \[0.0, inf\), but got -1"):
            elu(torch.zeros(2), alpha=-1)
