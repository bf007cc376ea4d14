"""reference.cnn.blocks against torchvision's modules, parameter formulas and the equivalences."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
import torchvision
from hypothesis import given
from hypothesis import strategies as st
from skimage import data
from torch import nn
from torchvision.models.densenet import _Transition

from reference.cnn import (
    Bottleneck,
    DenseTransition,
    DepthwiseSeparableConv2d,
    Inception,
    LeNet5,
    add_as_concat_conv,
    channel_shuffle,
    conv2d_parameters,
    count_parameters,
    linear_as_conv,
    resnet50,
)
from tests.conftest import tol


class TestChannelShuffle:
    @given(st.integers(1, 4), st.integers(1, 4), st.integers(0, 2**31 - 1))
    def test_matches_torch(self, groups: int, per_group: int, seed: int) -> None:
        x = torch.randn(2, groups * per_group, 3, 4, generator=torch.Generator().manual_seed(seed))
        assert torch.equal(channel_shuffle(x, groups), F.channel_shuffle(x, groups))

    def test_order(self) -> None:
        x = torch.arange(6.0).view(1, 6, 1, 1)
        assert channel_shuffle(x, 2).flatten().tolist() == [0, 3, 1, 4, 2, 5]
        assert torch.equal(channel_shuffle(channel_shuffle(x, 2), 3), x)  # 2 then 3 undoes it

    def test_rejects_bad_groups(self) -> None:
        with pytest.raises(
            ValueError, match="groups must divide the input's 6 channels, but got 4"
        ):
            channel_shuffle(torch.zeros(1, 6, 2, 2), 4)


class TestDepthwiseSeparableConv2d:
    def test_parameter_count(self) -> None:
        block = DepthwiseSeparableConv2d(64, 128, 3, padding=1)
        want = conv2d_parameters(64, 64, 3, groups=64) + conv2d_parameters(64, 128, 1)
        assert count_parameters(block) == want == 64 * 9 + 64 + 64 * 128 + 128
        assert count_parameters(nn.Conv2d(64, 128, 3)) / count_parameters(block) > 8

    def test_equals_a_conv_with_rank_one_kernels(self) -> None:
        # without biases it is one conv: kernel [o, i] = pointwise[o, i] * depthwise[i]
        block = DepthwiseSeparableConv2d(3, 5, 3, padding=1).double()
        block.depthwise.bias.data.zero_()
        block.pointwise.bias.data.zero_()
        kernel = (
            block.pointwise.weight[:, :, 0, 0, None, None] * block.depthwise.weight[:, 0]
        )  # [5, 3, 3, 3]
        x = torch.from_numpy(data.astronaut()[:64, :64]).permute(2, 0, 1)[None].double() / 255
        torch.testing.assert_close(block(x), F.conv2d(x, kernel, padding=1), **tol(torch.float64))


class TestInception:
    def test_parameter_count_and_shape(self) -> None:
        block = Inception(192, 64, 96, 128, 16, 32, 32)  # GoogLeNet's inception (3a)
        shapes = [(192, 64, 1), (192, 96, 1), (96, 128, 3), (192, 16, 1), (16, 32, 5), (192, 32, 1)]
        want = sum(conv2d_parameters(*shape) for shape in shapes)
        assert count_parameters(block) == want == 163_696
        assert block(torch.zeros(1, 192, 28, 28)).shape == (1, 256, 28, 28)

    def test_bottleneck_saves_parameters(self) -> None:
        naive = conv2d_parameters(192, 128, 3) + conv2d_parameters(192, 32, 5)
        reduced = (
            conv2d_parameters(192, 96, 1)
            + conv2d_parameters(96, 128, 3)
            + conv2d_parameters(192, 16, 1)
            + conv2d_parameters(16, 32, 5)
        )
        assert naive > 2 * reduced


class TestResNet:
    def test_same_parameters_and_outputs_as_torchvision(self) -> None:
        ours, theirs = resnet50(), torchvision.models.resnet50(weights=None)
        assert count_parameters(ours) == count_parameters(theirs) == 25_557_032
        ours.load_state_dict(theirs.state_dict())  # same names, same shapes
        x = torch.randn(2, 3, 64, 64)
        torch.testing.assert_close(ours.eval()(x), theirs.eval()(x), **tol(torch.float32))

    def test_bottleneck_matches_torchvision_block(self) -> None:
        ours, theirs = (
            Bottleneck(256, 128, stride=2),
            torchvision.models.resnet50(weights=None).layer2[0],
        )
        assert count_parameters(ours) == count_parameters(theirs)
        ours.load_state_dict(theirs.state_dict())
        x = torch.randn(1, 256, 16, 16)
        torch.testing.assert_close(ours.eval()(x), theirs.eval()(x), **tol(torch.float32))
        assert ours(x).shape == (1, 512, 8, 8)

    def test_identity_block_is_residual(self) -> None:
        block = Bottleneck(256, 64).eval()
        nn.init.zeros_(block.bn3.weight)  # residual branch off: the block is relu(x)
        x = torch.randn(1, 256, 8, 8)
        assert block.downsample is None and torch.equal(block(x), x.relu())


class TestDenseTransition:
    def test_matches_torchvision(self) -> None:
        ours, theirs = DenseTransition(256, 128), _Transition(256, 128)
        ours.load_state_dict(theirs.state_dict())
        x = torch.randn(2, 256, 9, 9)
        torch.testing.assert_close(ours.eval()(x), theirs.eval()(x), **tol(torch.float32))
        assert ours(x).shape == (2, 128, 4, 4) and count_parameters(ours) == 256 * 2 + 256 * 128


class TestLeNet5:
    def test_parameter_count_and_shape(self) -> None:
        model = LeNet5()
        assert count_parameters(model) == 156 + 2416 + 48120 + 10164 + 850 == 61_706
        assert model(torch.zeros(3, 1, 32, 32)).shape == (3, 10)

    def test_forward_is_the_written_out_network(self) -> None:
        # The computation spelled out with torch.nn.functional on the model's own weights:
        # tanh after each convolution and hidden layer, 2x2 average pooling. Another
        # activation (ReLU for tanh, say) or pooling would change the output.
        model = LeNet5().double().eval()
        weights = [m for m in model.modules() if isinstance(m, torch.nn.Conv2d | torch.nn.Linear)]
        c1, c3, f5, f6, out = weights
        x = torch.randn(4, 1, 32, 32, dtype=torch.float64) * 3  # large: tanh saturates, ReLU clips
        h = F.avg_pool2d(torch.tanh(F.conv2d(x, c1.weight, c1.bias)), 2)
        h = F.avg_pool2d(torch.tanh(F.conv2d(h, c3.weight, c3.bias)), 2)
        h = torch.tanh(F.linear(h.flatten(1), f5.weight, f5.bias))
        h = torch.tanh(F.linear(h, f6.weight, f6.bias))
        torch.testing.assert_close(
            model(x), F.linear(h, out.weight, out.bias), **tol(torch.float64)
        )


class TestLinearAsConv:
    def test_flatten_linear_equals_full_size_conv(self) -> None:
        linear = nn.Linear(8 * 5 * 5, 10).double()
        conv = linear_as_conv(linear, 8, 5, 5)
        x = torch.randn(4, 8, 5, 5, dtype=torch.float64)
        torch.testing.assert_close(conv(x).flatten(1), linear(x.flatten(1)), **tol(torch.float64))
        assert count_parameters(conv) == count_parameters(linear)

    def test_gap_then_fc_equals_1x1_conv_then_gap(self) -> None:
        # global average pooling and a linear layer commute: both are linear
        linear = nn.Linear(16, 10).double()
        conv = linear_as_conv(linear, 16, 1, 1)
        x = torch.randn(2, 16, 7, 7, dtype=torch.float64)
        torch.testing.assert_close(
            linear(x.mean((2, 3))), conv(x).mean((2, 3)), **tol(torch.float64)
        )

    def test_slides_on_larger_input(self) -> None:
        linear = nn.Linear(3 * 4 * 4, 2).double()
        conv = linear_as_conv(linear, 3, 4, 4)
        x = torch.randn(1, 3, 6, 6, dtype=torch.float64)
        scores = conv(x)  # [1, 2, 3, 3]: the classifier applied at every 4x4 crop
        torch.testing.assert_close(
            scores[0, :, 1, 2], linear(x[:, :, 1:5, 2:6].flatten(1))[0], **tol(torch.float64)
        )

    def test_rejects_size_mismatch(self) -> None:
        with pytest.raises(
            ValueError,
            match=r"linear\.in_features must equal in_channels \* height \* width = 75, but got 10",
        ):
            linear_as_conv(nn.Linear(10, 2), 3, 5, 5)


class TestAddAsConcatConv:
    @given(st.integers(1, 3), st.booleans(), st.integers(0, 2**31 - 1))
    def test_equivalence(self, k: int, bias: bool, seed: int) -> None:
        torch.manual_seed(seed)
        conv = nn.Conv2d(4, 6, k, padding=k // 2, bias=bias).double()
        a, b = (
            torch.randn(2, 4, 7, 7, dtype=torch.float64),
            torch.randn(2, 4, 7, 7, dtype=torch.float64),
        )
        fused = add_as_concat_conv(conv)
        torch.testing.assert_close(fused(torch.cat([a, b], 1)), conv(a + b), **tol(torch.float64))

    @pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
    def test_keeps_the_padding_mode(self, mode: str) -> None:
        # Regression: the fused layer once fell back to zero padding.
        conv = nn.Conv2d(4, 6, 3, padding=1, padding_mode=mode).double()
        a, b = torch.randn(2, 2, 4, 7, 7, dtype=torch.float64)
        fused = add_as_concat_conv(conv)
        assert fused.padding_mode == mode
        torch.testing.assert_close(fused(torch.cat([a, b], 1)), conv(a + b), **tol(torch.float64))

    def test_concat_conv_is_more_general(self) -> None:
        # a free concat conv has twice the weights; tying its halves gives back add
        conv = nn.Conv2d(4, 6, 3)
        assert count_parameters(nn.Conv2d(8, 6, 3)) - count_parameters(conv) == 6 * 4 * 9

    def test_rejects_grouped(self) -> None:
        with pytest.raises(ValueError, match=r"conv\.groups must be 1, but got 2"):
            add_as_concat_conv(nn.Conv2d(4, 4, 3, groups=2))
