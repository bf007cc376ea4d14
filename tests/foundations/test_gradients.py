"""Gradient clipping against torch.nn.utils; the vanishing/exploding probe against theory."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn
from torch.testing import assert_close

from reference.foundations import (
    clip_grad_norm_,
    clip_grad_norm_per_tensor_,
    clip_grad_value_,
    layer_gradient_norms,
)


def two_copies(seed: int = 0, scale: float = 10.0) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
    g = torch.Generator().manual_seed(seed)
    params = []
    for shape in [(4, 3), (7,), (2, 2, 2)]:
        p = torch.zeros(shape, dtype=torch.float64, requires_grad=True)
        p.grad = torch.randn(shape, generator=g, dtype=torch.float64) * scale
        params.append(p)
    copies = []
    for p in params:
        q = p.detach().clone().requires_grad_()
        q.grad = p.grad.clone()
        copies.append(q)
    return params, copies


class TestClipGradValue:
    @pytest.mark.parametrize("value", [0.0, 0.5, 3.0, 100.0])
    def test_matches_torch(self, value: float) -> None:
        ours, theirs = two_copies()
        clip_grad_value_(ours, value)
        torch.nn.utils.clip_grad_value_(theirs, value)
        for a, b in zip(ours, theirs, strict=True):
            assert_close(a.grad, b.grad)
            assert a.grad.abs().max() <= value

    def test_rejects_negative(self) -> None:
        with pytest.raises(ValueError, match=r"clip_value must be in \[0.0, inf\], but got -1"):
            clip_grad_value_(torch.zeros(1), -1)


class TestClipGradNorm:
    @pytest.mark.parametrize("max_norm", [0.1, 1.0, 5.0, 1e3])
    @pytest.mark.parametrize("norm_type", [1.0, 2.0, 3.0, math.inf])
    def test_matches_torch(self, max_norm: float, norm_type: float) -> None:
        ours, theirs = two_copies()
        total = clip_grad_norm_(ours, max_norm, norm_type)
        expected = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type)
        assert_close(total, expected)
        for a, b in zip(ours, theirs, strict=True):
            assert_close(a.grad, b.grad)

    def test_keeps_direction(self) -> None:
        ours, _ = two_copies()
        before = torch.cat([p.grad.flatten() for p in ours])
        clip_grad_norm_(ours, 1.0)
        after = torch.cat([p.grad.flatten() for p in ours])
        assert after.norm().item() == pytest.approx(1.0, rel=1e-5)
        assert_close(after / after.norm(), before / before.norm())

    def test_single_tensor_and_no_grads(self) -> None:
        p = torch.zeros(3, requires_grad=True)
        p.grad = torch.tensor([3.0, 4.0, 0.0])
        assert clip_grad_norm_(p, 1.0).item() == pytest.approx(5.0)
        assert clip_grad_norm_([torch.zeros(2, requires_grad=True)], 1.0).item() == 0.0


class TestClipGradNormPerTensor:
    def test_each_tensor_is_clipped_alone(self) -> None:
        ours, theirs = two_copies()
        clip_grad_norm_per_tensor_(ours, 2.0)
        for a, b in zip(ours, theirs, strict=True):
            torch.nn.utils.clip_grad_norm_([b], 2.0)  # torch, one tensor at a time
            assert_close(a.grad, b.grad, rtol=1e-6, atol=1e-9)  # torch adds 1e-6 to the norm
            assert a.grad.norm() <= 2.0 + 1e-12

    def test_small_gradients_unchanged(self) -> None:
        ours, theirs = two_copies(scale=1e-3)
        clip_grad_norm_per_tensor_(ours, 1.0)
        for a, b in zip(ours, theirs, strict=True):
            assert torch.equal(a.grad, b.grad)


def gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


class TestLayerGradientNorms:
    @pytest.mark.parametrize(
        ("activation", "module"), [("sigmoid", nn.Sigmoid), ("tanh", nn.Tanh), ("relu", nn.ReLU)]
    )
    def test_matches_autograd_through_nn_modules(self, activation: str, module: type) -> None:
        # The same draws, in the same order, fed through nn.Linear layers; the gradient with
        # respect to each layer's input is caught by a forward pre-hook.
        depth, width, gain = 5, 16, 1.5
        inputs_norms, weight_norms = layer_gradient_norms(
            activation, depth=depth, width=width, gain=gain, generator=gen(2)
        )
        g = gen(2)
        layers = []
        for _ in range(depth):
            linear = nn.Linear(width, width, bias=False).double()
            with torch.no_grad():
                linear.weight.copy_(
                    torch.randn(width, width, generator=g, dtype=torch.float64)
                    * gain
                    / math.sqrt(width)
                )
            layers += [linear, module()]
        model = nn.Sequential(*layers)
        x = torch.randn(32, width, generator=g, dtype=torch.float64)
        seen: list[torch.Tensor] = []
        for layer in model[::2]:
            layer.register_forward_pre_hook(lambda _, args: seen.append(args[0]))
        x.requires_grad_()
        out = model(x).mean()
        grads = torch.autograd.grad(out, seen + [layer.weight for layer in model[::2]])
        assert_close(inputs_norms, torch.stack([g.norm() for g in grads[:depth]]))
        assert_close(weight_norms, torch.stack([g.norm() for g in grads[depth:]]))

    def test_sigmoid_vanishes_towards_the_input(self) -> None:
        inputs, weights = layer_gradient_norms("sigmoid", depth=20, generator=gen())
        assert inputs.shape == weights.shape == (20,)
        assert inputs[0] < 1e-10 * inputs[-1]  # each layer multiplies by at most 0.25 * |W|
        assert weights[0] < 1e-10 * weights[-1]

    def test_relu_with_he_gain_keeps_the_scale(self) -> None:
        inputs, weights = layer_gradient_norms("relu", depth=20, gain=math.sqrt(2), generator=gen())
        assert 0.1 < (inputs[0] / inputs[-1]).item() < 10
        assert 0.1 < (weights[0] / weights[-1]).item() < 10

    def test_large_gain_explodes_towards_the_input(self) -> None:
        # gain 2 is sqrt(2) times He's: the signal grows by about sqrt(2) per layer backwards
        inputs, _ = layer_gradient_norms("relu", gain=2.0, generator=gen())
        slope = (inputs[:-1] / inputs[1:]).log().mean().exp().item()  # geometric mean factor
        assert 1.2 < slope < 1.7
        assert inputs[0] > 100 * inputs[-1]

    def test_large_gain_inflates_every_weight_gradient_alike(self) -> None:
        # the weight gradient is the signal times the layer's input: one grows backwards, the
        # other forwards, so their product is about the same at every depth, and large
        _, stable = layer_gradient_norms("relu", gain=math.sqrt(2), generator=gen())
        _, large = layer_gradient_norms("relu", gain=2.0, generator=gen())  # the same draws
        assert (large > 100 * stable).all()
        assert large.max() < 3 * large.min()

    def test_leaves_the_global_generator_alone(self) -> None:
        state = torch.get_rng_state()
        layer_gradient_norms("tanh", depth=3, generator=gen())
        assert torch.equal(torch.get_rng_state(), state)

    def test_generator_makes_it_reproducible(self) -> None:
        first = layer_gradient_norms("tanh", depth=4, generator=gen(1))
        second = layer_gradient_norms("tanh", depth=4, generator=gen(1))
        assert all(torch.equal(a, b) for a, b in zip(first, second, strict=True))

    def test_rejects_unknown_activation(self) -> None:
        with pytest.raises(
            ValueError, match="activation must be one of 'sigmoid', 'tanh', 'relu', but got 'gelu'"
        ):
            layer_gradient_norms("gelu")
