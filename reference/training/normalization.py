"""Batch, layer and group normalisation, state-dict compatible with ``torch.nn``.

They share one formula, ``weight * (x - mean) / sqrt(var + eps) + bias``, and differ in which
values share ``mean`` and ``var``: BatchNorm2d one channel across the batch, LayerNorm one
sample, GroupNorm one group of channels of one sample (instance normalisation is GroupNorm
with one channel per group).
"""

from __future__ import annotations

# --8<-- [start:imports]
import math

import torch
from torch import Tensor, nn

from reference.checks import check_int, check_module_input, check_range, check_tensor

# --8<-- [end:imports]

__all__ = ["BatchNorm2d", "GroupNorm", "LayerNorm"]


# --8<-- [start:checks]
def _check_batchnorm(num_features: object, eps: object, momentum: object) -> None:
    """At least one channel, ``eps > 0`` and ``momentum`` in ``[0, 1]``."""
    check_int("num_features", num_features, 1)
    check_range("eps", eps, 0.0, low_inclusive=False)
    check_range("momentum", momentum, 0.0, 1.0)


def _check_groups(num_groups: object, num_channels: object, eps: object) -> None:
    """Positive counts, with ``num_channels`` a multiple of ``num_groups``, and ``eps > 0``."""
    groups = check_int("num_groups", num_groups, 1)
    channels = check_int("num_channels", num_channels, 1)
    if channels % groups:
        raise ValueError(
            f"num_channels must be divisible by num_groups={groups}, but got {channels}"
        )
    check_range("eps", eps, 0.0, low_inclusive=False)


def _check_channels(input: Tensor, module: nn.Module, num_channels: int) -> None:
    """``input`` must be a Tensor[B, C, ...] with C = ``num_channels``, of the module's dtype
    and device."""
    trailing = ("*",) * max(check_tensor("input", input).dim() - 2, 0)
    check_module_input("input", input, module, ("B", num_channels, *trailing), of="num_channels")


# --8<-- [end:checks]


# --8<-- [start:batchnorm]
class BatchNorm2d(nn.Module):
    """Batch normalisation over ``(B, H, W)`` for each channel, as ``nn.BatchNorm2d``.

    Training: normalise with the batch's mean and **biased** variance, then scale and shift
    (``weight``, ``bias``); update the running estimates with the **unbiased** variance,
    ``running = (1 - momentum) * running + momentum * batch``. Evaluation: normalise with the
    running estimates, so one image's output does not depend on the rest of its batch.

    Args:
        num_features: C, the channels.
        eps: added to the variance before the square root.
        momentum: weight of the current batch in the running estimates.
    """

    running_mean: Tensor
    running_var: Tensor
    num_batches_tracked: Tensor

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1) -> None:
        super().__init__()
        _check_batchnorm(num_features, eps, momentum)
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.weight = nn.Parameter(torch.ones(num_features))
        self.bias = nn.Parameter(torch.zeros(num_features))
        self.register_buffer("running_mean", torch.zeros(num_features))
        self.register_buffer("running_var", torch.ones(num_features))
        self.register_buffer("num_batches_tracked", torch.tensor(0, dtype=torch.long))

    def forward(self, input: Tensor) -> Tensor:
        """Tensor[B, C, H, W] to the same shape."""
        check_module_input(
            "input", input, self, ("B", self.num_features, "H", "W"), of="num_features"
        )
        if self.training:
            count = input.numel() // self.num_features  # values per channel: B * H * W
            if count < 2:
                raise ValueError(
                    "input must have more than 1 value per channel to train, "
                    f"but got {tuple(input.shape)}"
                )
            var, mean = torch.var_mean(input, dim=(0, 2, 3), unbiased=False)  # biased: to normalise
            with torch.no_grad():
                unbiased = var * count / (count - 1)  # used for the running estimate
                self.running_mean.lerp_(mean, self.momentum)
                self.running_var.lerp_(unbiased, self.momentum)
                self.num_batches_tracked += 1
        else:
            mean, var = self.running_mean, self.running_var

        def per_channel(t: Tensor) -> Tensor:  # [C] -> [1, C, 1, 1], to broadcast over B, H, W
            return t.reshape(1, -1, 1, 1)

        # the mean is subtracted before anything is scaled: folded into input * scale +
        # (bias - mean * scale), two large terms would cancel and a channel whose mean is
        # 1e4 would lose several bits in float32
        x_hat = (input - per_channel(mean)) / torch.sqrt(per_channel(var) + self.eps)
        return per_channel(self.weight) * x_hat + per_channel(self.bias)


# --8<-- [end:batchnorm]


# --8<-- [start:layernorm]
class LayerNorm(nn.Module):
    """Normalise each sample over its last dimensions (``normalized_shape``), as ``nn.LayerNorm``.

    The statistics come from one sample only, so training and evaluation behave the same and
    the batch size does not matter: the normalisation of Transformers and RNNs.

    Args:
        normalized_shape: the trailing dimensions to normalise over (an int for one).
        eps: added to the variance before the square root.
    """

    def __init__(self, normalized_shape: int | tuple[int, ...], eps: float = 1e-5) -> None:
        super().__init__()
        sizes = (
            normalized_shape if isinstance(normalized_shape, tuple | list) else (normalized_shape,)
        )
        if len(sizes) == 0:
            raise ValueError("normalized_shape must name at least one dimension, but got ()")
        shape = tuple(check_int("normalized_shape", n, 1) for n in sizes)
        eps = check_range("eps", eps, 0.0, low_inclusive=False)
        self.normalized_shape, self.eps = shape, eps
        self.weight = nn.Parameter(torch.ones(shape))
        self.bias = nn.Parameter(torch.zeros(shape))

    def forward(self, input: Tensor) -> Tensor:
        """Tensor[..., *normalized_shape] to the same shape."""
        check_module_input(
            "input", input, self, ("...", *self.normalized_shape), of="normalized_shape"
        )
        dims = tuple(range(-len(self.normalized_shape), 0))
        mean = input.mean(dim=dims, keepdim=True)
        var = input.var(dim=dims, keepdim=True, unbiased=False)
        return (input - mean) / torch.sqrt(var + self.eps) * self.weight + self.bias


# --8<-- [end:layernorm]


# --8<-- [start:groupnorm]
class GroupNorm(nn.Module):
    """Normalise each sample over groups of channels (Wu and He, 2018), as ``nn.GroupNorm``.

    The ``C`` channels are split into ``num_groups`` groups of ``C / num_groups``; mean and
    variance come from one group of one sample (its channels and all positions), then a
    learnt scale and shift per channel. No statistic crosses the batch. ``num_groups = C``
    is instance normalisation (``nn.InstanceNorm2d(C, affine=True)``), ``num_groups = 1``
    normalises the whole sample, as a LayerNorm over ``(C, H, W)`` does.

    Args:
        num_groups: how many groups the channels are split into.
        num_channels: C, a multiple of ``num_groups``.
        eps: added to the variance before the square root.
    """

    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5) -> None:
        super().__init__()
        _check_groups(num_groups, num_channels, eps)
        self.num_groups, self.num_channels, self.eps = num_groups, num_channels, eps
        self.weight = nn.Parameter(torch.ones(num_channels))
        self.bias = nn.Parameter(torch.zeros(num_channels))

    def forward(self, input: Tensor) -> Tensor:
        """Tensor[B, C, ...] to the same shape."""
        _check_channels(input, self, self.num_channels)
        batch = input.shape[0]
        per_group = math.prod(input.shape[1:]) // self.num_groups  # C/G * H * W (maybe 0)
        groups = input.reshape(batch, self.num_groups, per_group)  # [B, G, C/G * H * W]
        mean = groups.mean(dim=-1, keepdim=True)  # [B, G, 1]: one statistic per group
        var = groups.var(dim=-1, unbiased=False, keepdim=True)
        x_hat = ((groups - mean) / torch.sqrt(var + self.eps)).reshape(input.shape)
        per_channel = (1, -1) + (1,) * (input.dim() - 2)  # [C] -> [1, C, 1, ...]
        return self.weight.reshape(per_channel) * x_hat + self.bias.reshape(per_channel)


# --8<-- [end:groupnorm]
