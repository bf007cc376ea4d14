"""reference.cnn.counting against sum(p.numel()) and torch.utils.flop_counter.FlopCounterMode."""

from __future__ import annotations

import pytest
import torch
import torchvision
from hypothesis import given
from hypothesis import strategies as st
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from reference.cnn import conv2d_parameters, count_flops, count_parameters


def flop_counter(model: nn.Module, x: torch.Tensor) -> int:
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        model(x)
    return counter.get_total_flops()


class TestConv2dParameters:
    @given(
        st.integers(1, 4), st.integers(1, 8), st.integers(1, 8), st.integers(1, 7), st.booleans()
    )
    def test_matches_module(self, groups: int, cin: int, cout: int, k: int, bias: bool) -> None:
        layer = nn.Conv2d(cin * groups, cout * groups, k, groups=groups, bias=bias)
        assert conv2d_parameters(cin * groups, cout * groups, k, groups, bias) == count_parameters(
            layer
        )

    def test_notes_formula(self) -> None:
        # (C_in * K * K + 1) * C_out for an ordinary convolution with bias
        assert conv2d_parameters(64, 128, 3) == (64 * 3 * 3 + 1) * 128 == 73_856

    def test_rejects_groups(self) -> None:
        with pytest.raises(ValueError, match="must both be divisible by groups, but got groups=3"):
            conv2d_parameters(4, 6, 3, groups=3)


class TestCountParameters:
    def test_matches_numel_sum_on_torchvision(self) -> None:
        model = torchvision.models.resnet18(weights=None)
        assert count_parameters(model) == sum(p.numel() for p in model.parameters()) == 11_689_512

    def test_shared_and_frozen(self) -> None:
        shared = nn.Linear(3, 3)
        model = nn.Sequential(shared, nn.ReLU(), shared, nn.BatchNorm1d(3))
        assert count_parameters(model) == 12 + 6  # the shared layer once; BN's buffers not at all
        model[3].requires_grad_(False)
        assert count_parameters(model, trainable_only=True) == 12

    def test_rejects_non_module(self) -> None:
        with pytest.raises(TypeError, match=r"module must be a torch\.nn\.Module, but got Tensor"):
            count_parameters(torch.zeros(3))


class TestCountFlops:
    def test_matches_flop_counter_on_resnet18(self) -> None:
        model = torchvision.models.resnet18(weights=None).eval()
        x = torch.randn(2, 3, 64, 64)
        counts = count_flops(model, x)
        assert counts.flops == flop_counter(model, x) == 2 * counts.macs

    @given(st.integers(1, 3), st.integers(1, 2), st.integers(0, 1), st.integers(5, 12))
    def test_matches_flop_counter_on_layers(
        self, groups: int, stride: int, pad: int, size: int
    ) -> None:
        model = nn.Sequential(
            nn.Conv2d(3 * groups, 4 * groups, 3, stride, pad, groups=groups), nn.ReLU(),
            nn.ConvTranspose2d(4 * groups, 2 * groups, 3, stride, pad, groups=groups),
            nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(2 * groups, 5),
        )  # fmt: skip
        x = torch.randn(2, 3 * groups, size, size)
        assert count_flops(model, x).flops == flop_counter(model, x)

    def test_conv_by_hand(self) -> None:
        # 64 -> 128 channels, 3x3, on 56x56 with padding 1: every output value costs 64 * 9 MACs
        counts = count_flops(nn.Conv2d(64, 128, 3, padding=1), torch.zeros(1, 64, 56, 56))
        assert counts.macs == 128 * 56 * 56 * 64 * 9
        assert counts.flops == 2 * 64 * 3 * 3 * 56 * 56 * 128  # the notes' formula, bias excluded

    def test_hooks_are_removed(self) -> None:
        model = nn.Conv2d(1, 1, 3)
        count_flops(model, torch.zeros(1, 1, 5, 5))
        assert not model._forward_hooks

    def test_rejects_non_tensor_input(self) -> None:
        with pytest.raises(TypeError, match=r"input must be a torch\.Tensor, but got list"):
            count_flops(nn.Conv2d(1, 1, 3), [1, 2])


def test_elementwise_layers_are_under_one_percent_of_resnet50_flops() -> None:
    """The convolution page says ReLU, BatchNorm, pooling and the residual additions are
    under 1 % of ResNet-50's arithmetic, so counting only conv and linear layers is fair.
    Generous costs: 4 operations per BatchNorm output, 1 per ReLU, pooled and added value."""
    model = torchvision.models.resnet50(weights=None).eval()
    x = torch.zeros(1, 3, 224, 224)
    flops = count_flops(model, x).flops
    elementwise = 0

    def hook(layer: nn.Module, args: tuple[torch.Tensor, ...], output: torch.Tensor) -> None:
        nonlocal elementwise
        if isinstance(layer, nn.BatchNorm2d):
            elementwise += 4 * output.numel()
        elif isinstance(layer, nn.ReLU | nn.MaxPool2d | nn.AdaptiveAvgPool2d):
            elementwise += args[0].numel()
        elif isinstance(layer, torchvision.models.resnet.Bottleneck):
            elementwise += output.numel()  # the residual addition

    for module in model.modules():
        module.register_forward_hook(hook)
    with torch.no_grad():
        model(x)
    assert 0.001 * flops < elementwise < 0.01 * flops
