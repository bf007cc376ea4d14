"""CNN attention modules: equal to torchvision where it has one, else to the formula, by hand."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
import torchvision.ops
from torch.testing import assert_close

from reference.attention import (
    CBAM,
    ECA,
    ChannelQKVAttention,
    ChannelSelfAttention,
    CoordinateAttention,
    NonLocalBlock,
    PositionSelfAttention,
    SelectiveKernel,
    SqueezeExcitation,
    eca_kernel_size,
)
from tests.conftest import tol


def feature_map(channels: int = 32, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(2, channels, 6, 5, generator=g, dtype=torch.float64)


def randomise(module: torch.nn.Module) -> torch.nn.Module:
    """Random values for every parameter (zero-initialised gates included), in float64."""
    module = module.double().eval()
    g = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.randn(p.shape, generator=g, dtype=torch.float64) * 0.3)
    return module


class TestSqueezeExcitation:
    def test_matches_torchvision(self) -> None:
        theirs = torchvision.ops.SqueezeExcitation(32, 2).double()
        ours = SqueezeExcitation(32, 2).double()
        ours.load_state_dict(theirs.state_dict())
        x = feature_map()
        assert_close(ours(x), theirs(x), **tol(torch.float64))

    def test_parameter_count(self) -> None:
        # two 1x1 "fully connected" layers with biases: 2 C^2 / r + C / r + C
        assert (
            sum(p.numel() for p in SqueezeExcitation(256, 16).parameters())
            == 2 * 256 * 16 + 16 + 256
        )

    def test_rejects_bad_input(self) -> None:
        with pytest.raises(
            ValueError,
            match=r"input must have shape \(B, 32, H, W\) to match input_channels, but got \(2, 16",
        ):
            SqueezeExcitation(32, 2)(feature_map(16))

    def test_second_argument_is_the_bottleneck_width_as_torchvision(self) -> None:
        # Regression: SqueezeExcitation(64, 16) built 4 squeeze channels (64 // 16), where
        # torchvision's builds 16, so a state dict did not load and a swap changed the model.
        assert SqueezeExcitation(64, 16).fc1.out_channels == 16
        assert torchvision.ops.SqueezeExcitation(64, 16).fc1.out_channels == 16

    def test_custom_activations(self) -> None:
        theirs = torchvision.ops.SqueezeExcitation(8, 3, torch.nn.SiLU, torch.nn.Hardsigmoid)
        ours = SqueezeExcitation(8, 3, torch.nn.SiLU, torch.nn.Hardsigmoid)
        ours.double().load_state_dict(theirs.double().state_dict())
        x = feature_map(8)
        assert_close(ours(x), theirs(x), **tol(torch.float64))


class TestCbam:
    def test_equals_the_formula(self) -> None:
        module = randomise(CBAM(32, reduction=8))
        x = feature_map()
        w1, w2 = module.mlp[0].weight, module.mlp[2].weight

        def mlp(v: torch.Tensor) -> torch.Tensor:  # v: [B, C]
            return F.relu(v @ w1[:, :, 0, 0].T) @ w2[:, :, 0, 0].T

        channel = torch.sigmoid(mlp(x.mean((2, 3))) + mlp(x.amax((2, 3))))[:, :, None, None]
        y = x * channel
        maps = torch.stack([y.mean(1), y.amax(1)], dim=1)
        spatial = torch.sigmoid(F.conv2d(maps, module.spatial.weight, padding=3))
        assert_close(module(x), y * spatial, **tol(torch.float64))

    def test_parameter_count(self) -> None:
        assert sum(p.numel() for p in CBAM(64, 16).parameters()) == 2 * 64 * 4 + 2 * 7 * 7

    def test_rejects_even_kernel(self) -> None:
        with pytest.raises(ValueError, match="kernel_size must be odd, but got 6"):
            CBAM(32, kernel_size=6)


class TestEca:
    @pytest.mark.parametrize(
        ("channels", "k"), [(64, 3), (128, 5), (256, 5), (512, 5), (1024, 5), (2048, 7)]
    )
    def test_kernel_size_table(self, channels: int, k: int) -> None:
        assert eca_kernel_size(channels) == k
        assert sum(p.numel() for p in ECA(channels).parameters()) == k

    def test_each_channel_sees_its_neighbours(self) -> None:
        module = randomise(ECA(32, kernel_size=3))
        x = feature_map()
        pooled = F.pad(x.mean((2, 3)), (1, 1))  # zero padding at both ends of the channel axis
        w = module.conv.weight[0, 0]
        logits = w[0] * pooled[:, :-2] + w[1] * pooled[:, 1:-1] + w[2] * pooled[:, 2:]
        assert_close(module(x), x * torch.sigmoid(logits)[:, :, None, None], **tol(torch.float64))

    def test_rejects_even_kernel(self) -> None:
        # An even k with padding (k - 1) // 2 would drop a channel: [B, 1, C - 1] weights.
        with pytest.raises(ValueError, match="kernel_size must be odd, but got 4"):
            ECA(32, kernel_size=4)


class TestCoordinateAttention:
    def test_equals_the_formula(self) -> None:
        module = randomise(CoordinateAttention(32, reduction=4))
        x = feature_map()
        pooled_h, pooled_w = x.mean(3, keepdim=True), x.mean(2, keepdim=True)
        bn = module.bn1

        def shared(t: torch.Tensor) -> torch.Tensor:
            t = module.conv1(t)
            t = (t - bn.running_mean[:, None, None]) / torch.sqrt(
                bn.running_var[:, None, None] + bn.eps
            )
            return F.hardswish(t * bn.weight[:, None, None] + bn.bias[:, None, None])

        a_h = torch.sigmoid(module.conv_h(shared(pooled_h)))  # 1x1 convs act per position
        a_w = torch.sigmoid(module.conv_w(shared(pooled_w)))
        assert_close(module(x), x * a_h * a_w, **tol(torch.float64))


class TestSelectiveKernel:
    def test_branch_weights_sum_to_one(self) -> None:
        module = randomise(SelectiveKernel(32, groups=4))
        features = torch.stack([b(feature_map()) for b in module.branches], dim=1)
        weights = module.branch_weights(features)
        assert weights.shape == (2, 2, 32, 1, 1)
        assert_close(weights.sum(dim=1), torch.ones(2, 32, 1, 1, dtype=torch.float64))
        assert_close(module(feature_map()), (weights * features).sum(1), **tol(torch.float64))

    def test_rejects_indivisible_groups(self) -> None:
        with pytest.raises(
            ValueError, match="channels must be divisible by groups, but got 30 and 8"
        ):
            SelectiveKernel(30)


class TestSelfAttentionModules:
    @pytest.mark.parametrize(
        "module",
        [
            NonLocalBlock(16),
            PositionSelfAttention(16),
            ChannelSelfAttention(16),
            ChannelQKVAttention(16),
        ],
    )
    def test_identity_at_initialisation(self, module: torch.nn.Module) -> None:
        x = feature_map(16)
        assert_close(module.double().eval()(x), x)

    def test_non_local_is_attention_over_positions(self) -> None:
        module = randomise(NonLocalBlock(16, inter_channels=8))
        x = feature_map(16)

        def flat(t: torch.Tensor) -> torch.Tensor:
            return t.flatten(2).transpose(1, 2)  # [B, HW, C]

        attended = F.scaled_dot_product_attention(
            flat(module.theta(x)), flat(module.phi(x)), flat(module.g(x)), scale=1.0
        )
        y = attended.transpose(1, 2).reshape(2, 8, 6, 5)
        assert_close(module(x), x + module.out(y), **tol(torch.float64))

    def test_position_attention_formula(self) -> None:
        module = randomise(PositionSelfAttention(16, reduction=4))
        x = feature_map(16)
        q = module.query(x).flatten(2).transpose(1, 2)
        k = module.key(x).flatten(2).transpose(1, 2)
        v = module.value(x).flatten(2).transpose(1, 2)
        out = F.scaled_dot_product_attention(q, k, v, scale=1.0)  # [B, N, C]
        assert_close(
            module(x), x + module.alpha * out.transpose(1, 2).reshape(x.shape), **tol(torch.float64)
        )

    def test_channel_attention_formula(self) -> None:
        module = randomise(ChannelSelfAttention(16))
        x = feature_map(16)
        a = x.flatten(2)
        energy = a @ a.transpose(1, 2)
        weights = torch.softmax(energy.amax(-1, keepdim=True) - energy, dim=-1)
        assert_close(
            module(x), x + module.beta * (weights @ a).reshape(x.shape), **tol(torch.float64)
        )


class TestChannelQKVAttention:
    def test_is_sdpa_over_channels(self) -> None:
        module = randomise(ChannelQKVAttention(8))
        x = feature_map(8)
        q, k, v = (conv(x).flatten(2) for conv in (module.query, module.key, module.value))
        out = F.scaled_dot_product_attention(q, k, v, scale=1.0)  # [B, C, N]: channels attend
        assert_close(module(x), x + module.gamma * out.reshape(x.shape), **tol(torch.float64))

    def test_danet_channel_module_is_the_qkv_form_with_a_negated_key(self) -> None:
        danet = ChannelSelfAttention(8).double()
        qkv = ChannelQKVAttention(8).double()
        eye = torch.eye(8, dtype=torch.float64)[:, :, None, None]
        with torch.no_grad():
            for conv, weight in ((qkv.query, eye), (qkv.key, -eye), (qkv.value, eye)):
                conv.weight.copy_(weight)
                conv.bias.zero_()
            danet.beta.fill_(0.7)
            qkv.gamma.fill_(0.7)
        x = feature_map(8)
        assert_close(qkv(x), danet(x), **tol(torch.float64))


class TestEmptyBatch:
    @pytest.mark.parametrize(
        "module",
        [NonLocalBlock(8), PositionSelfAttention(8), ChannelSelfAttention(8), ECA(8)],
        ids=lambda m: type(m).__name__,
    )
    def test_empty_batch_gives_an_empty_batch(self, module) -> None:
        # Regression: NonLocalBlock reshaped an empty batch with -1 and raised.
        out = module.eval()(torch.zeros(0, 8, 5, 4))
        assert out.shape == (0, 8, 5, 4)
