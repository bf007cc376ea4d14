"""Theoretical receptive field of a CNN, layer by layer, and its measurement by gradients.

``receptive_field`` walks a model's convolutions and poolings in order (skipping the
shortcut branches of residual blocks, whose field is smaller) and returns size, jump and
start of the last layer's field; for torchvision's ResNet-50 it gives 427. ``gradient_field``
measures the region that actually influences one output pixel. Tests:
``tests/cnn/test_receptive_field.py``.
"""

# --8<-- [start:imports]
from __future__ import annotations

import copy
from typing import NamedTuple

import torch
from torch import Tensor, nn

from reference.checks import check_data, check_floating, check_instance, check_int, check_shape

# --8<-- [end:imports]

__all__ = [
    "ReceptiveField",
    "gradient_field",
    "linearise",
    "receptive_field",
    "receptive_field_trace",
]


# --8<-- [start:receptive_field]
class ReceptiveField(NamedTuple):
    """The input region seen by one unit of a layer, in input pixels.

    ``size``: side of the region; ``jump``: distance in the input between two neighbouring
    units (the product of the strides so far); ``start``: centre of the first unit's region
    (``< 0`` when it hangs over the top-left padding). Unit ``i`` sees the input pixels
    ``start + i * jump +- (size - 1) / 2``.
    """

    size: int
    jump: int
    start: float


def _geometry(layer: nn.Module) -> tuple[int, int, int, int] | None:
    """``(kernel, stride, padding, dilation)`` along the height of a conv or pooling layer."""
    if isinstance(layer, nn.Conv2d | nn.MaxPool2d | nn.AvgPool2d):

        def first(v: int | tuple[int, ...]) -> int:
            return v if isinstance(v, int) else v[0]

        if isinstance(layer.padding, str):  # "same" or "valid": no number to add up
            raise ValueError(
                f"padding must be numeric to compute a receptive field, got {layer.padding!r}"
            )
        k, s, p = first(layer.kernel_size), first(layer.stride), first(layer.padding)
        d = first(layer.dilation) if isinstance(layer, nn.Conv2d | nn.MaxPool2d) else 1
        return k, s, p, d
    return None


def receptive_field_trace(
    model: nn.Module, skip: tuple[str, ...] = ("downsample", "shortcut")
) -> list[tuple[str, ReceptiveField]]:
    """The receptive field after every convolution and pooling of ``model``, in order.

    The recursion, from ``(size, jump, start) = (1, 1, 0)`` at the input, for a layer with
    kernel ``k``, stride ``s``, padding ``p`` and dilation ``d``::

        size  += d (k - 1) * jump      # the kernel spans k taps, jump input pixels apart
        start += (d (k - 1) / 2 - p) * jump
        jump  *= s

    Args:
        model: layers are taken in registration order (``named_modules``), which is the
            order of the forward pass for sequential models and torchvision's CNNs.
        skip: modules whose name contains one of these parts are ignored: residual
            shortcuts, whose field is contained in the main path's.

    Returns:
        ``(name, ReceptiveField)`` for each conv/pool layer; empty if there is none.
        Anything else (activations, BatchNorm, global pooling, linear) is ignored.
    """
    check_instance("model", model, nn.Module)
    size, jump, start = 1, 1, 0.0
    trace = []
    for name, layer in model.named_modules():
        if any(part in skip for part in name.split(".")):
            continue
        geometry = _geometry(layer)
        if geometry is None:
            continue
        k, s, p, d = geometry
        start += (d * (k - 1) / 2 - p) * jump
        size += d * (k - 1) * jump
        jump *= s
        trace.append((name, ReceptiveField(size, jump, start)))
    return trace


def receptive_field(
    model: nn.Module, skip: tuple[str, ...] = ("downsample", "shortcut")
) -> ReceptiveField:
    """Theoretical receptive field of the last conv/pool layer of ``model``.

    It depends on the layers only, never on the input size, and may well exceed the image
    (427 px for ResNet-50, which is usually fed 224 px).

    Args:
        model: as for :func:`receptive_field_trace`.
        skip: as for :func:`receptive_field_trace`.

    Returns:
        ReceptiveField: of the last conv or pooling layer.

    Example:
        >>> receptive_field(nn.Sequential(nn.Conv2d(1, 1, 3), nn.Conv2d(1, 1, 3, stride=2)))
        ReceptiveField(size=5, jump=2, start=2.0)
    """
    trace = receptive_field_trace(model, skip)
    if not trace:
        raise ValueError("model must contain a Conv2d, MaxPool2d or AvgPool2d layer")
    return trace[-1][1]


# --8<-- [end:receptive_field]


# --8<-- [start:gradient_field]
def linearise(model: nn.Module) -> nn.Module:
    """A copy of ``model`` in eval mode with every ReLU replaced by the identity and every
    max pooling by an average pooling of the same geometry.

    The copy is affine (linear plus constants): each weight then passes gradient along
    every path, whatever the input, so the gradient's support is the whole receptive field.

    Args:
        model: left unchanged.

    Returns:
        nn.Module: the linear copy.
    """
    check_instance("model", model, nn.Module)
    model = copy.deepcopy(model).eval()
    for parent in list(model.modules()):
        for name, child in parent.named_children():
            if isinstance(child, nn.ReLU):
                setattr(parent, name, nn.Identity())
            elif isinstance(child, nn.MaxPool2d):
                pool = nn.AvgPool2d(child.kernel_size, child.stride, child.padding, child.ceil_mode)
                setattr(parent, name, pool)
    return model


def gradient_field(model: nn.Module, input: Tensor, row: int, col: int) -> Tensor:
    """``|d out[:, :, row, col] / d input|``, summed over batch and channels.

    The pixels where it is non-zero are the receptive field that the computation actually
    has (clipped to the image); its shape is the *effective* receptive field. For a faithful
    support, measure a linear copy of the model (identity activations, average instead of
    max pooling): ReLU and max pooling pass gradient only through active units and argmaxes,
    so they hide pixels that other inputs would make count.

    Args:
        model: maps ``Tensor[B, C, H, W]`` to ``Tensor[B, C', H', W']``.
        input (Tensor[B, C, H, W]): the input at which to take the gradient.
        row, col: the output pixel.

    Returns:
        Tensor[H, W]: non-negative.
    """
    check_instance("model", model, nn.Module)
    check_floating("input", check_data("input", check_shape("input", input, ("B", "C", "H", "W"))))
    row, col = check_int("row", row, 0), check_int("col", col, 0)
    x = input.detach().clone().requires_grad_(True)
    with torch.enable_grad():
        out = model(x)
        check_shape("model(input)", out, ("B", "C", "H", "W"))
        if not (0 <= row < out.shape[2] and 0 <= col < out.shape[3]):
            raise ValueError(
                f"row, col must index the output of shape {tuple(out.shape[2:])}, "
                f"but got ({row}, {col})"
            )
        (grad,) = torch.autograd.grad(out[:, :, row, col].sum(), x)
    return grad.abs().sum(dim=(0, 1))


# --8<-- [end:gradient_field]
