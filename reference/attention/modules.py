"""Attention modules for convolutional feature maps Tensor[B, C, H, W].

Channel attention reweights channels (SENet, ECA-Net), spatial attention reweights positions,
CBAM and coordinate attention do both, SKNet selects between kernel sizes, and the non-local
block and DANet's modules are self-attention over positions or channels. Every module maps
``Tensor[B, C, H, W]`` to a tensor of the same shape.
"""

from __future__ import annotations

# --8<-- [start:imports]
import math
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from reference.checks import check_int, check_module_input

# --8<-- [end:imports]

__all__ = [
    "CBAM",
    "ECA",
    "ChannelQKVAttention",
    "ChannelSelfAttention",
    "CoordinateAttention",
    "NonLocalBlock",
    "PositionSelfAttention",
    "SelectiveKernel",
    "SqueezeExcitation",
    "eca_kernel_size",
]


# --8<-- [start:check]
def _check_input(
    module: nn.Module, x: Tensor, channels: int, name: str = "x", of: str = "channels"
) -> None:
    """A feature map Tensor[B, C, H, W] with the module's C, dtype and device."""
    check_module_input(name, x, module, ("B", channels, "H", "W"), of=of)


def _check_widths(**widths: int) -> None:
    """Channel counts and bottleneck widths: whole numbers, at least 1 each."""
    for name, width in widths.items():
        check_int(name, width, 1)


def _check_kernel_size(kernel_size: int) -> None:
    """A whole, odd kernel size, so that ``padding = k // 2`` keeps the length."""
    _check_widths(kernel_size=kernel_size)
    if kernel_size % 2 == 0:
        raise ValueError(f"kernel_size must be odd, but got {kernel_size}")


def _check_cbam(channels: int, reduction: int, kernel_size: int) -> None:
    _check_widths(channels=channels)
    check_int("reduction", reduction, 1, channels)  # at least one channel in the bottleneck
    _check_kernel_size(kernel_size)


def _check_eca(channels: int, kernel_size: int | None) -> None:
    _check_widths(channels=channels)
    if kernel_size is not None:  # else eca_kernel_size gives an odd one
        _check_kernel_size(kernel_size)


def _check_eca_mapping(channels: int, gamma: int, b: int) -> None:
    _check_widths(channels=channels, gamma=gamma)
    check_int("b", b)  # the offset may be 0 or negative


def _check_groups(channels: int, groups: int, **widths: int) -> None:
    _check_widths(channels=channels, groups=groups, **widths)
    if channels % groups:
        raise ValueError(f"channels must be divisible by groups, but got {channels} and {groups}")


# --8<-- [end:check]


# --8<-- [start:se]
class SqueezeExcitation(nn.Module):
    """SENet's block (Hu et al., 2018): ``x * sigmoid(W2 relu(W1 avgpool(x)))`` per channel.

    Arguments, parameter names and output are those of ``torchvision.ops.SqueezeExcitation``:
    the bottleneck width is given directly, so the paper's reduction ``r`` is
    ``SqueezeExcitation(C, C // r)``.

    Args:
        input_channels: C.
        squeeze_channels: width of the bottleneck (``C // 16`` in the paper).
        activation: the module between the two layers.
        scale_activation: the module that turns the excitation into weights in (0, 1).
    """

    def __init__(
        self,
        input_channels: int,
        squeeze_channels: int,
        activation: Callable[[], nn.Module] = nn.ReLU,
        scale_activation: Callable[[], nn.Module] = nn.Sigmoid,
    ) -> None:
        super().__init__()
        _check_widths(input_channels=input_channels, squeeze_channels=squeeze_channels)
        self.channels = input_channels
        # 1x1 convolutions on the pooled [B, C, 1, 1] vector: fully connected layers
        self.fc1 = nn.Conv2d(input_channels, squeeze_channels, 1)
        self.fc2 = nn.Conv2d(squeeze_channels, input_channels, 1)
        self.activation = activation()
        self.scale_activation = scale_activation()

    def forward(self, input: Tensor) -> Tensor:
        """Tensor[B, C, H, W] to the same shape, each channel scaled by its weight."""
        _check_input(self, input, self.channels, "input", of="input_channels")
        squeezed = input.mean(dim=(2, 3), keepdim=True)  # squeeze: [B, C, 1, 1]
        excitation = self.fc2(self.activation(self.fc1(squeezed)))  # [B, C, 1, 1]
        return input * self.scale_activation(excitation)  # scale each channel


# --8<-- [end:se]


# --8<-- [start:cbam]
class CBAM(nn.Module):
    """Convolutional Block Attention Module (Woo et al., 2018): channel, then spatial attention.

    Channel: a shared MLP applied to the average- *and* max-pooled vectors, summed, sigmoid.
    Spatial: the channel-wise mean and max maps, stacked, a 7x7 convolution, sigmoid.

    Args:
        channels: C.
        reduction: the shared MLP's bottleneck is ``C // reduction`` wide.
        kernel_size: side of the spatial attention's convolution, odd.
    """

    def __init__(self, channels: int, reduction: int = 16, kernel_size: int = 7) -> None:
        super().__init__()
        _check_cbam(channels, reduction, kernel_size)
        self.channels = channels
        self.mlp = nn.Sequential(
            nn.Conv2d(channels, channels // reduction, 1, bias=False),
            nn.ReLU(),
            nn.Conv2d(channels // reduction, channels, 1, bias=False),
        )
        self.spatial = nn.Conv2d(2, 1, kernel_size, padding=kernel_size // 2, bias=False)

    def channel_weights(self, x: Tensor) -> Tensor:
        """Tensor[B, C, 1, 1] in (0, 1)."""
        average = self.mlp(x.mean(dim=(2, 3), keepdim=True))  # [B, C, 1, 1]
        peak = self.mlp(x.amax(dim=(2, 3), keepdim=True))  # the same MLP on the max
        return torch.sigmoid(average + peak)

    def spatial_weights(self, x: Tensor) -> Tensor:
        """Tensor[B, 1, H, W] in (0, 1)."""
        mean, peak = x.mean(dim=1, keepdim=True), x.amax(dim=1, keepdim=True)  # [B, 1, H, W]
        return torch.sigmoid(self.spatial(torch.cat([mean, peak], dim=1)))

    def forward(self, x: Tensor) -> Tensor:
        """Tensor[B, C, H, W] to the same shape."""
        _check_input(self, x, self.channels)
        x = x * self.channel_weights(x)
        return x * self.spatial_weights(x)


# --8<-- [end:cbam]


# --8<-- [start:eca]
def eca_kernel_size(channels: int, gamma: int = 2, b: int = 1) -> int:
    """ECA-Net's kernel size: ``t = int((log2(C) + b) / gamma)``, plus 1 if ``t`` is even.

    This is the authors' code for the paper's "nearest odd number" ``|t|_odd``.

    The paper assumes ``C = 2^(gamma * k - b)`` (channels grow in powers of two) and inverts it.

    Args:
        channels: C.
        gamma: the mapping's slope.
        b: the mapping's offset.

    Returns:
        An odd kernel size.
    """
    _check_eca_mapping(channels, gamma, b)
    t = int(abs((math.log2(channels) + b) / gamma))
    return t if t % 2 else t + 1


class ECA(nn.Module):
    """Efficient Channel Attention (Wang et al., 2020): SENet without the bottleneck.

    The pooled channel vector goes through one 1-D convolution of size ``k`` across channels
    (each channel's weight depends on its ``k`` neighbours), then a sigmoid: ``k`` parameters.

    Args:
        channels: C.
        kernel_size: k; by default :func:`eca_kernel_size` of ``channels``.
    """

    def __init__(self, channels: int, kernel_size: int | None = None) -> None:
        super().__init__()
        _check_eca(channels, kernel_size)
        self.channels = channels
        k = eca_kernel_size(channels) if kernel_size is None else kernel_size
        self.conv = nn.Conv1d(1, 1, k, padding=(k - 1) // 2, bias=False)

    def forward(self, x: Tensor) -> Tensor:
        """Tensor[B, C, H, W] to the same shape."""
        _check_input(self, x, self.channels)
        pooled = x.mean(dim=(2, 3))[:, None, :]  # [B, 1, C]: channels as a sequence
        weights = torch.sigmoid(self.conv(pooled))  # [B, 1, C]
        return x * weights[:, 0, :, None, None]


# --8<-- [end:eca]


# --8<-- [start:coord]
class CoordinateAttention(nn.Module):
    """Coordinate attention (Hou et al., 2021): one weight per (channel, row) and (channel, column).

    Pooling along each axis separately keeps the position along the other axis, so the
    weights know *where* a feature is, at the cost of two 1-D maps instead of a full 2-D one.

    Args:
        channels: C.
        reduction: the shared layer is ``max(8, C // reduction)`` wide.
    """

    def __init__(self, channels: int, reduction: int = 32) -> None:
        super().__init__()
        _check_widths(channels=channels, reduction=reduction)
        self.channels = channels
        hidden = max(8, channels // reduction)
        self.conv1 = nn.Conv2d(channels, hidden, 1)
        self.bn1 = nn.BatchNorm2d(hidden)
        self.conv_h = nn.Conv2d(hidden, channels, 1)
        self.conv_w = nn.Conv2d(hidden, channels, 1)

    def forward(self, x: Tensor) -> Tensor:
        """Tensor[B, C, H, W] to the same shape."""
        _check_input(self, x, self.channels)
        H, W = x.shape[2:]
        along_h = x.mean(dim=3, keepdim=True)  # [B, C, H, 1]: each row averaged
        along_w = x.mean(dim=2, keepdim=True).transpose(2, 3)  # [B, C, W, 1]: each column
        both = torch.cat([along_h, along_w], dim=2)  # [B, C, H + W, 1]
        y = F.hardswish(self.bn1(self.conv1(both)))  # one shared layer for both directions
        y_h, y_w = y.split([H, W], dim=2)
        a_h = torch.sigmoid(self.conv_h(y_h))  # [B, C, H, 1]
        a_w = torch.sigmoid(self.conv_w(y_w.transpose(2, 3)))  # [B, C, 1, W]
        return x * a_h * a_w


# --8<-- [end:coord]


# --8<-- [start:sk]
class SelectiveKernel(nn.Module):
    """SKNet's block (Li et al., 2019): split into two kernel sizes, fuse, select per channel.

    Split: a 3x3 and a dilated 3x3 (5x5 receptive field) grouped convolution. Fuse: sum,
    pool, squeeze to ``d = max(C / r, 32)``. Select: one vector of logits per branch, a
    softmax *across branches* per channel, and the weighted sum of the two branches.

    Args:
        channels: C, divisible by ``groups``.
        reduction: the fused vector is squeezed to ``max(C // reduction, min_dim)``.
        groups: of the branches' grouped convolutions.
        min_dim: the smallest squeezed width.
    """

    def __init__(
        self, channels: int, reduction: int = 16, groups: int = 8, min_dim: int = 32
    ) -> None:
        super().__init__()
        _check_groups(channels, groups, reduction=reduction, min_dim=min_dim)
        self.channels = channels
        self.branches = nn.ModuleList(  # 3x3, and 3x3 dilated by 2: a 5x5 field
            nn.Sequential(
                nn.Conv2d(channels, channels, 3, padding=d, dilation=d, groups=groups, bias=False),
                nn.BatchNorm2d(channels),
                nn.ReLU(),
            )
            for d in (1, 2)
        )
        hidden = max(channels // reduction, min_dim)
        self.squeeze = nn.Sequential(
            nn.Conv2d(channels, hidden, 1, bias=False), nn.BatchNorm2d(hidden), nn.ReLU()
        )
        self.select = nn.Conv2d(hidden, 2 * channels, 1)  # logits for both branches

    def branch_weights(self, features: Tensor) -> Tensor:
        """From the branches' outputs (Tensor[B, 2, C, H, W]), each branch's share per channel,
        Tensor[B, 2, C, 1, 1] summing to 1 over the branches."""
        fused = features.sum(dim=1).mean(dim=(2, 3), keepdim=True)  # fuse: [B, C, 1, 1]
        z = self.squeeze(fused)  # [B, d, 1, 1]
        logits = self.select(z).reshape(features.shape[0], 2, self.channels, 1, 1)
        return torch.softmax(logits, dim=1)

    def forward(self, x: Tensor) -> Tensor:
        """Tensor[B, C, H, W] to the same shape."""
        _check_input(self, x, self.channels)
        features = torch.stack([branch(x) for branch in self.branches], dim=1)  # split
        return (self.branch_weights(features) * features).sum(dim=1)  # select


# --8<-- [end:sk]


# --8<-- [start:self_attention]
class NonLocalBlock(nn.Module):
    """Non-local block (Wang et al., 2018), embedded-Gaussian form: self-attention over positions.

    ``z = x + BN(W g(x) softmax(theta(x)^T phi(x)))``: every position is updated with a
    weighted sum over all positions. The BN's scale starts at 0, so the block starts as the
    identity and can be inserted into a pre-trained network without changing it.

    Args:
        channels: C.
        inter_channels: width of theta, phi and g; ``C // 2`` by default.
    """

    def __init__(self, channels: int, inter_channels: int | None = None) -> None:
        super().__init__()
        inner_width = {} if inter_channels is None else {"inter_channels": inter_channels}
        _check_widths(channels=channels, **inner_width)
        self.channels = channels
        inner = inter_channels or max(channels // 2, 1)
        self.theta = nn.Conv2d(channels, inner, 1)
        self.phi = nn.Conv2d(channels, inner, 1)
        self.g = nn.Conv2d(channels, inner, 1)
        norm = nn.BatchNorm2d(channels)
        nn.init.zeros_(norm.weight)
        self.out = nn.Sequential(nn.Conv2d(inner, channels, 1), norm)

    def forward(self, x: Tensor) -> Tensor:
        """Tensor[B, C, H, W] to the same shape."""
        _check_input(self, x, self.channels)
        B, _, H, W = x.shape
        query = self.theta(x).flatten(2).transpose(1, 2)  # [B, HW, C']
        key = self.phi(x).flatten(2)  # [B, C', HW]
        value = self.g(x).flatten(2).transpose(1, 2)  # [B, HW, C']
        # every position against every position; the paper has no 1/sqrt(d)
        weights = torch.softmax(query @ key, dim=-1)  # [B, HW, HW]
        y = (weights @ value).transpose(1, 2).reshape(B, value.shape[2], H, W)  # [B, C', H, W]
        return x + self.out(y)


class PositionSelfAttention(nn.Module):
    """DANet's position attention: ``x + alpha * attention(x)``; alpha starts at 0.

    Args:
        channels: C.
        reduction: queries and keys are ``C // reduction`` wide.
    """

    def __init__(self, channels: int, reduction: int = 8) -> None:
        super().__init__()
        _check_widths(channels=channels, reduction=reduction)
        self.channels = channels
        self.query = nn.Conv2d(channels, max(channels // reduction, 1), 1)
        self.key = nn.Conv2d(channels, max(channels // reduction, 1), 1)
        self.value = nn.Conv2d(channels, channels, 1)
        self.alpha = nn.Parameter(torch.zeros(1))

    def forward(self, x: Tensor) -> Tensor:
        """Tensor[B, C, H, W] to the same shape."""
        _check_input(self, x, self.channels)
        B, C, H, W = x.shape
        q = self.query(x).flatten(2).transpose(1, 2)  # [B, N, C'], N = H * W
        k = self.key(x).flatten(2)  # [B, C', N]
        attention = torch.softmax(q @ k, dim=-1)  # [B, N, N]: s_ij, how much i takes from j
        v = self.value(x).flatten(2)  # [B, C, N]
        out = (v @ attention.transpose(1, 2)).reshape(B, C, H, W)
        return x + self.alpha * out


class ChannelSelfAttention(nn.Module):
    """DANet's channel attention module: channels attend to channels, ``x + beta * out``.

    Args:
        channels: C.
    """

    def __init__(self, channels: int) -> None:
        super().__init__()
        _check_widths(channels=channels)
        self.channels = channels
        self.beta = nn.Parameter(torch.zeros(1))

    def forward(self, x: Tensor) -> Tensor:
        """Tensor[B, C, H, W] to the same shape."""
        _check_input(self, x, self.channels)
        B, C, H, W = x.shape
        flat = x.flatten(2)  # [B, C, N]
        energy = flat @ flat.transpose(1, 2)  # [B, C, C]
        # DANet subtracts each energy from its row maximum before the softmax, which
        # favours *dissimilar* channels; the code follows the authors' implementation.
        attention = torch.softmax(energy.amax(dim=-1, keepdim=True) - energy, dim=-1)
        out = (attention @ flat).reshape(B, C, H, W)
        return x + self.beta * out


# --8<-- [end:self_attention]


# --8<-- [start:channel_qkv]
class ChannelQKVAttention(nn.Module):
    """Channel attention written as query, key and value: each channel attends to every channel.

    Queries, keys and values are 1x1 convolutions of the input; channel ``i``'s output is
    the softmax-weighted sum of the value channels, weighted by the similarity of its query
    map with each key map (dot products over the ``H * W`` positions). DANet's channel
    attention module is this with the query and value convolutions the identity and the key
    convolution minus the identity (its ``max - energy`` is ``-energy`` to the softmax).

    Args:
        channels: C.
    """

    def __init__(self, channels: int) -> None:
        super().__init__()
        _check_widths(channels=channels)
        self.channels = channels
        self.query = nn.Conv2d(channels, channels, 1)
        self.key = nn.Conv2d(channels, channels, 1)
        self.value = nn.Conv2d(channels, channels, 1)
        self.gamma = nn.Parameter(torch.zeros(1))  # starts as the identity

    def forward(self, x: Tensor) -> Tensor:
        """Tensor[B, C, H, W] to the same shape."""
        _check_input(self, x, self.channels)
        B, C, H, W = x.shape
        q = self.query(x).flatten(2)  # [B, C, N]: each channel's map as one vector
        k = self.key(x).flatten(2)  # [B, C, N]
        v = self.value(x).flatten(2)  # [B, C, N]
        attention = torch.softmax(q @ k.transpose(1, 2), dim=-1)  # [B, C, C]
        out = (attention @ v).reshape(B, C, H, W)
        return x + self.gamma * out


# --8<-- [end:channel_qkv]
