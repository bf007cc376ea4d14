"""reference.cnn.receptive_field against torchvision's ResNet-50 and gradients of real networks."""

from __future__ import annotations

import pytest
import torch
import torchvision
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from reference.cnn import (
    ReceptiveField,
    gradient_field,
    linearise,
    receptive_field,
    receptive_field_trace,
)


def resnet50_body(v1: bool = False) -> nn.Sequential:
    """torchvision's ResNet-50 without its pooling and FC; ``v1`` moves each stride to the 1x1."""
    model = torchvision.models.resnet50(weights=None)
    if v1:
        for block in model.modules():
            if isinstance(block, torchvision.models.resnet.Bottleneck) and block.conv2.stride == (
                2,
                2,
            ):
                block.conv1.stride, block.conv2.stride = (2, 2), (1, 1)
    return nn.Sequential(*list(model.children())[:-2])


def support(grad: torch.Tensor) -> tuple[int, int]:
    """First and last row where the gradient is non-zero."""
    rows = grad.sum(1).nonzero()
    return int(rows.min()), int(rows.max())


class TestReceptiveField:
    def test_resnet50_is_427(self) -> None:
        assert receptive_field(torchvision.models.resnet50(weights=None)) == ReceptiveField(
            427, 32, 0.0
        )

    def test_resnet50_stages(self) -> None:
        model = torchvision.models.resnet50(weights=None)
        trace = dict(receptive_field_trace(model))
        assert [trace[f"layer{i}.{n}.conv3"].size for i, n in ((1, 2), (2, 3), (3, 5), (4, 2))] == [
            35,
            91,
            267,
            427,
        ]
        assert trace["maxpool"] == ReceptiveField(11, 4, 0.0)

    def test_resnet50_v1_is_483(self) -> None:
        assert receptive_field(resnet50_body(v1=True)).size == 483

    def test_independent_of_input_size(self) -> None:
        # it is computed from the layers alone; the measured support agrees at any input size
        body = linearise(resnet50_body())
        rf = receptive_field(body)
        for size in (224, 256):
            grad = gradient_field(body, torch.randn(1, 3, size, size), 0, 0)
            assert support(grad) == (0, int(rf.start + (rf.size - 1) / 2))  # 213: clipped at 0

    def test_resnet50_matches_gradient_support(self) -> None:
        body = linearise(resnet50_body())
        rf = receptive_field(body)
        grad = gradient_field(body, torch.randn(1, 3, 448, 448), 7, 7)
        centre = rf.start + 7 * rf.jump
        assert (
            support(grad) == (centre - (rf.size - 1) // 2, centre + (rf.size - 1) // 2) == (11, 437)
        )

    @settings(max_examples=25)
    @given(
        st.lists(
            st.tuples(
                st.integers(1, 4),
                st.integers(1, 3),
                st.integers(0, 2),
                st.integers(1, 2),
                st.booleans(),
            ),
            min_size=1,
            max_size=4,
        ),
        st.integers(0, 3),
    )
    def test_random_stacks_match_gradient_support(self, layers: list, unit: int) -> None:
        modules = []
        for k, s, p, d, pool in layers:
            if pool:
                modules.append(nn.AvgPool2d(k, s, min(p, k // 2)))
            else:
                modules.append(nn.Conv2d(1, 1, k, s, p, d))
        model = nn.Sequential(*modules).double()
        rf = receptive_field(model)
        x = torch.randn(1, 1, 160, 160, dtype=torch.float64)
        out = model(x)
        row = min(unit, out.shape[2] - 1)
        lo = rf.start + row * rf.jump - (rf.size - 1) / 2
        hi = rf.start + row * rf.jump + (rf.size - 1) / 2
        grad = gradient_field(model, x, row, 0)
        # a random kernel has no zero taps: every pixel of the field inside the image counts
        assert support(grad) == (max(0, int(lo)), min(159, int(hi)))

    def test_rejects_models_without_spatial_layers(self) -> None:
        with pytest.raises(
            ValueError, match="model must contain a Conv2d, MaxPool2d or AvgPool2d layer"
        ):
            receptive_field(nn.Linear(3, 3))
        with pytest.raises(TypeError, match=r"model must be a torch\.nn\.Module, but got str"):
            receptive_field("resnet")


class TestGradientField:
    def test_max_pooling_hides_pixels(self) -> None:
        # max pooling routes the gradient to one pixel per window; average pooling to all
        x = torch.randn(1, 1, 4, 4)
        assert (gradient_field(nn.MaxPool2d(4), x, 0, 0) > 0).sum() == 1
        assert (gradient_field(nn.AvgPool2d(4), x, 0, 0) > 0).sum() == 16

    def test_single_conv_is_its_kernel(self) -> None:
        conv = nn.Conv2d(1, 1, 3, bias=False).double()
        grad = gradient_field(conv, torch.zeros(1, 1, 6, 6, dtype=torch.float64), 2, 1)
        assert torch.equal(grad[2:5, 1:4], conv.weight[0, 0].detach().abs())
        assert grad.sum() == conv.weight.abs().sum()

    def test_rejects_bad_pixel(self) -> None:
        with pytest.raises(
            ValueError, match=r"row, col must index the output of shape \(4, 4\), but got \(4, 0\)"
        ):
            gradient_field(nn.Conv2d(1, 1, 3), torch.zeros(1, 1, 6, 6), 4, 0)
        with pytest.raises(ValueError, match=r"input must have shape \(B, C, H, W\)"):
            gradient_field(nn.Conv2d(1, 1, 3), torch.zeros(6, 6), 0, 0)


class TestLinearise:
    def test_is_an_affine_copy(self) -> None:
        model = torchvision.models.resnet18(weights=None).double()
        linear = linearise(model)
        assert model.training and not linear.training  # the original is untouched
        assert any(isinstance(m, nn.ReLU) for m in model.modules())
        assert not any(isinstance(m, nn.ReLU | nn.MaxPool2d) for m in linear.modules())
        x, y = (torch.randn(1, 3, 32, 32, dtype=torch.float64) for _ in range(2))
        zero = torch.zeros_like(x)
        with torch.no_grad():  # f(x + y) - f(0) = (f(x) - f(0)) + (f(y) - f(0))
            lhs = linear(x + y) - linear(zero)
            rhs = linear(x) + linear(y) - 2 * linear(zero)
        torch.testing.assert_close(lhs, rhs)

    def test_rejects_non_module(self) -> None:
        with pytest.raises(TypeError, match=r"model must be a torch\.nn\.Module, but got int"):
            linearise(3)
