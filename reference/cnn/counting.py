"""Parameter and FLOP counts of a model.

``count_parameters`` equals ``sum(p.numel() for p in module.parameters())``;
``count_flops`` equals ``torch.utils.flop_counter.FlopCounterMode``'s total for networks
made of convolutions, transposed convolutions and linear layers. Tests:
``tests/cnn/test_counting.py``.
"""

from __future__ import annotations

# --8<-- [start:imports]
import math
from typing import NamedTuple

import torch
from torch import Tensor, nn

from reference.checks import check_int, check_tensor

# --8<-- [end:imports]

__all__ = ["FlopCount", "conv2d_parameters", "count_flops", "count_parameters"]


# --8<-- [start:count_parameters]
def conv2d_parameters(
    in_channels: int, out_channels: int, kernel_size: int, groups: int = 1, bias: bool = True
) -> int:
    """Weights of ``nn.Conv2d``: ``C_out * (C_in / groups) * k * k``, plus ``C_out`` biases.

    Args:
        in_channels: C_in.
        out_channels: C_out.
        kernel_size: k, of a square kernel.
        groups: the convolution's groups.
        bias: whether it has biases.

    Returns:
        The number of parameters.
    """
    in_channels, out_channels = (
        check_int("in_channels", in_channels, 1),
        check_int("out_channels", out_channels, 1),
    )
    kernel_size, groups = check_int("kernel_size", kernel_size, 1), check_int("groups", groups, 1)
    if in_channels % groups or out_channels % groups:
        raise ValueError(
            f"in_channels ({in_channels}) and out_channels ({out_channels}) must both be "
            f"divisible by groups, but got groups={groups}"
        )
    weights = out_channels * (in_channels // groups) * kernel_size * kernel_size
    return weights + (out_channels if bias else 0)


def count_parameters(module: nn.Module, trainable_only: bool = False) -> int:
    """Number of scalar parameters (buffers such as BatchNorm's running mean are not counted).

    Args:
        module: any ``nn.Module``; parameters shared between layers count once.
        trainable_only: count only parameters with ``requires_grad``.

    Returns:
        The number of scalars.
    """
    if not isinstance(module, nn.Module):
        raise TypeError(f"module must be a torch.nn.Module, but got {type(module).__name__}")
    return sum(p.numel() for p in module.parameters() if p.requires_grad or not trainable_only)


# --8<-- [end:count_parameters]


# --8<-- [start:count_flops]
class FlopCount(NamedTuple):
    """Multiply-accumulates of one forward pass and the FLOPs they cost (2 per MAC)."""

    flops: int
    macs: int


def _macs(layer: nn.Module, input: Tensor, output: Tensor) -> int:
    """Multiply-accumulates of one call of a conv or linear layer (bias not counted)."""
    if isinstance(layer, nn.Conv2d):  # every output value: C_in/groups * kH * kW products
        return output.numel() * (layer.in_channels // layer.groups) * math.prod(layer.kernel_size)
    if isinstance(layer, nn.ConvTranspose2d):  # every input value is scattered C_out/g * k*k times
        return input.numel() * (layer.out_channels // layer.groups) * math.prod(layer.kernel_size)
    if isinstance(layer, nn.Linear):
        return output.numel() * layer.in_features
    return 0


def count_flops(module: nn.Module, input: Tensor) -> FlopCount:
    """FLOPs and MACs of ``module(input)``, counted by hooks on its layers.

    What is counted, as ``FlopCounterMode`` does: ``nn.Conv2d``, ``nn.ConvTranspose2d`` and
    ``nn.Linear``, one multiply and one add per MAC, **without** the bias. ReLU, BatchNorm,
    pooling, the residual additions and ``F.*`` calls made outside these layers count 0.

    Args:
        module: the model; it is run once, under ``torch.no_grad()``.
        input (Tensor[B, C, H, W]): an example input; the counts scale with its size.

    Returns:
        FlopCount: ``(flops, macs)`` with ``flops == 2 * macs``.
    """
    count_parameters(module)  # validates module
    check_tensor("input", input)
    macs = 0

    def hook(layer: nn.Module, args: tuple[Tensor, ...], output: Tensor) -> None:
        nonlocal macs
        macs += _macs(layer, args[0], output)

    layers = (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)
    handles = [m.register_forward_hook(hook) for m in module.modules() if isinstance(m, layers)]
    try:
        with torch.no_grad():
            module(input)
    finally:
        for handle in handles:
            handle.remove()
    return FlopCount(flops=2 * macs, macs=macs)


# --8<-- [end:count_flops]
