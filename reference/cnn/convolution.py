"""2-D convolution as im2col + matrix product, its output-size arithmetic, and its transpose.

``conv2d`` equals ``torch.nn.functional.conv2d`` for every combination of stride, padding,
dilation and groups (ints or ``(height, width)`` pairs); ``conv_transpose2d`` equals
``F.conv_transpose2d`` and is computed, on purpose, as the gradient of ``conv2d``.
``conv_output_size`` and ``conv_transpose_output_size`` give the shapes that ``nn.Conv2d``,
``nn.MaxPool2d`` (both ``ceil_mode``) and ``nn.ConvTranspose2d`` produce. The tests in
``tests/cnn/test_convolution.py`` check all of it.
"""

# --8<-- [start:imports]
from __future__ import annotations

from typing import overload

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from reference.checks import check_floating, check_int, check_shape, check_tensor

IntPair = int | tuple[int, int]  # a size given once for both axes, or as (height, width)
# --8<-- [end:imports]

__all__ = ["conv2d", "conv_output_size", "conv_transpose2d", "conv_transpose_output_size"]


# --8<-- [start:pair]
def _pair(name: str, value: IntPair, low: int) -> tuple[int, int]:
    """``value`` as a ``(height, width)`` pair of ints, each at least ``low``."""
    pair = (value, value) if isinstance(value, int | np.integer) else value
    if (
        not isinstance(pair, tuple | list)
        or len(pair) != 2
        or not all(isinstance(v, int | np.integer) and not isinstance(v, bool) for v in pair)
    ):
        raise TypeError(f"{name} must be an int or a pair of ints, but got {value!r}")
    if min(pair) < low:
        raise ValueError(f"{name} must be at least {low}, but got {value!r}")
    return int(pair[0]), int(pair[1])


# --8<-- [end:pair]


# --8<-- [start:output_size_1d]
def _output_size_1d(size: int, k: int, s: int, p: int, d: int, ceil_mode: bool) -> int:
    """Output positions along one axis: ``floor((size + 2p - d(k-1) - 1) / s) + 1``."""
    span = size + 2 * p - d * (k - 1) - 1  # how far the first window's start can travel
    # // rounds towards -inf, as PyTorch's div_rtn: with ceil_mode a kernel a little larger
    # than the input still gives one window
    out = (span + (s - 1 if ceil_mode else 0)) // s + 1
    # PyTorch's rule: with ceil_mode, the last window must start inside the input or the
    # left padding, never entirely in the right padding.
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    if out < 1:
        raise ValueError(
            f"the kernel (extent {d * (k - 1) + 1}) is larger than the padded input "
            f"(size {size} + 2 * padding {p} = {size + 2 * p})"
        )
    return out


# --8<-- [end:output_size_1d]


# --8<-- [start:conv_output_size]
# An int size with int arguments gives an int; a (height, width) size gives a pair.
@overload
def conv_output_size(
    size: int,
    kernel_size: int,
    stride: int = ...,
    padding: int = ...,
    dilation: int = ...,
    ceil_mode: bool = ...,
) -> int: ...
@overload
def conv_output_size(
    size: tuple[int, int],
    kernel_size: IntPair,
    stride: IntPair = ...,
    padding: IntPair = ...,
    dilation: IntPair = ...,
    ceil_mode: bool = ...,
) -> tuple[int, int]: ...
@overload
def conv_output_size(
    size: IntPair,
    kernel_size: IntPair,
    stride: IntPair = ...,
    padding: IntPair = ...,
    dilation: IntPair = ...,
    ceil_mode: bool = ...,
) -> IntPair: ...
def conv_output_size(
    size: IntPair,
    kernel_size: IntPair,
    stride: IntPair = 1,
    padding: IntPair = 0,
    dilation: IntPair = 1,
    ceil_mode: bool = False,
) -> IntPair:
    """Output size of a convolution or pooling: ``floor((H + 2p - d(k-1) - 1) / s) + 1``.

    Args:
        size: input height (or ``(height, width)``).
        kernel_size, stride, padding, dilation: as for ``nn.Conv2d``; ints or pairs.
        ceil_mode: round up instead of down (``nn.MaxPool2d``/``nn.AvgPool2d`` only),
            dropping a last window that would start in the right padding.

    Returns:
        An int if every argument is an int, else a ``(height, width)`` pair.

    Raises:
        ValueError: a negative size or padding, a kernel larger than the padded input.

    Example:
        >>> conv_output_size(224, 7, stride=2, padding=3)
        112
        >>> conv_output_size((5, 6), 2, stride=2, ceil_mode=True)
        (3, 3)
    """
    args = (size, kernel_size, stride, padding, dilation)
    scalar = all(isinstance(a, int | np.integer) for a in args)
    sizes = _pair("size", size, 0)
    ks, ss = _pair("kernel_size", kernel_size, 1), _pair("stride", stride, 1)
    ps, ds = _pair("padding", padding, 0), _pair("dilation", dilation, 1)
    out = tuple(_output_size_1d(sizes[i], ks[i], ss[i], ps[i], ds[i], ceil_mode) for i in range(2))
    return out[0] if scalar else out  # type: ignore[return-value]


# --8<-- [end:conv_output_size]


# --8<-- [start:transposed_size_1d]
def _transposed_size_1d(size: int, k: int, s: int, p: int, output_padding: int, d: int) -> int:
    """Output positions along one axis: ``(size - 1) s - 2p + d(k-1) + output_padding + 1``."""
    if output_padding >= max(s, d):
        raise ValueError(
            f"output_padding must be smaller than stride or dilation, but got "
            f"output_padding={output_padding}, stride={s}, dilation={d}"
        )
    n = (size - 1) * s - 2 * p + d * (k - 1) + output_padding + 1
    if n <= 0:
        raise ValueError(f"the output size would be {n}: padding {p} is too large")
    return n


# --8<-- [end:transposed_size_1d]


# --8<-- [start:conv_transpose_output_size]
@overload
def conv_transpose_output_size(
    size: int,
    kernel_size: int,
    stride: int = ...,
    padding: int = ...,
    output_padding: int = ...,
    dilation: int = ...,
) -> int: ...
@overload
def conv_transpose_output_size(
    size: tuple[int, int],
    kernel_size: IntPair,
    stride: IntPair = ...,
    padding: IntPair = ...,
    output_padding: IntPair = ...,
    dilation: IntPair = ...,
) -> tuple[int, int]: ...
@overload
def conv_transpose_output_size(
    size: IntPair,
    kernel_size: IntPair,
    stride: IntPair = ...,
    padding: IntPair = ...,
    output_padding: IntPair = ...,
    dilation: IntPair = ...,
) -> IntPair: ...
def conv_transpose_output_size(
    size: IntPair,
    kernel_size: IntPair,
    stride: IntPair = 1,
    padding: IntPair = 0,
    output_padding: IntPair = 0,
    dilation: IntPair = 1,
) -> IntPair:
    """Output size of a transposed convolution: ``(H - 1)s - 2p + d(k-1) + output_padding + 1``.

    A strided convolution maps several input sizes to the same output size (``floor``);
    ``output_padding`` (smaller than the stride or the dilation) picks which of them the
    transpose returns to.

    Args:
        size: input height (or ``(height, width)``).
        kernel_size, stride, padding, dilation: as for ``nn.ConvTranspose2d``; ints or pairs.
        output_padding: extra rows (columns) on one side, below the stride or dilation.

    Returns:
        An int if every argument is an int, else a ``(height, width)`` pair.

    Example:
        >>> conv_transpose_output_size(56, 3, stride=2, padding=1, output_padding=1)
        112
    """
    args = (size, kernel_size, stride, padding, output_padding, dilation)
    scalar = all(isinstance(a, int | np.integer) for a in args)
    sizes, ks = _pair("size", size, 0), _pair("kernel_size", kernel_size, 1)
    ss, ps = _pair("stride", stride, 1), _pair("padding", padding, 0)
    ops, ds = _pair("output_padding", output_padding, 0), _pair("dilation", dilation, 1)
    out = tuple(_transposed_size_1d(sizes[i], ks[i], ss[i], ps[i], ops[i], ds[i]) for i in range(2))
    return out[0] if scalar else out  # type: ignore[return-value]


# --8<-- [end:conv_transpose_output_size]


# --8<-- [start:like_input]
def _check_like_input(input: Tensor, weight: Tensor, bias: Tensor | None) -> None:
    """``weight`` and ``bias`` must have the input's dtype and device, as torch requires."""
    for name, value in (("weight", weight), ("bias", bias)):
        if value is None:
            continue
        check_tensor(name, value)
        if value.dtype != input.dtype or value.device != input.device:
            raise TypeError(
                f"{name} must have the input's dtype and device ({input.dtype}, "
                f"{input.device}), but got {value.dtype} on {value.device}"
            )


# --8<-- [end:like_input]


# --8<-- [start:conv2d_checks]
def _check_conv(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None,
    stride: IntPair,
    padding: IntPair,
    dilation: IntPair,
    groups: int,
) -> tuple[tuple[int, int], tuple[int, int], tuple[int, int], int]:
    """The arguments of :func:`conv2d`, checked: ``(stride, padding, dilation, groups)``."""
    check_floating("input", check_shape("input", input, ("B", "C", "H", "W")))
    check_floating("weight", check_shape("weight", weight, ("C_out", "C_in/groups", "kH", "kW")))
    groups = check_int("groups", groups, 1)
    _check_like_input(input, weight, bias)
    c_in, c_out = input.shape[1], weight.shape[0]
    if c_in % groups or c_out % groups:
        raise ValueError(
            f"in_channels ({c_in}) and out_channels ({c_out}) must both be divisible by "
            f"groups, but got groups={groups}"
        )
    if weight.shape[1] * groups != c_in:
        raise ValueError(
            f"weight must have shape (C_out, {c_in // groups}, kH, kW) for {c_in} input "
            f"channels in {groups} groups, but got {tuple(weight.shape)}"
        )
    if bias is not None:
        check_shape("bias", bias, (c_out,), of="weight")
    pairs = _pair("stride", stride, 1), _pair("padding", padding, 0)
    return *pairs, _pair("dilation", dilation, 1), groups


# --8<-- [end:conv2d_checks]


# --8<-- [start:conv2d]
def conv2d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: IntPair = 1,
    padding: IntPair = 0,
    dilation: IntPair = 1,
    groups: int = 1,
) -> Tensor:
    """2-D cross-correlation (what deep learning calls convolution) by im2col + matmul.

    Every output pixel is the dot product of the kernel with the patch under it.
    ``unfold`` copies each patch into a column (im2col), so the whole layer becomes one
    batched matrix product per group.

    Args:
        input (Tensor[B, C_in, H, W]): the feature maps.
        weight (Tensor[C_out, C_in / groups, kH, kW]): one kernel per output channel.
        bias (Tensor[C_out] | None): added to every pixel of each output channel.
        stride, padding, dilation: ints or ``(height, width)`` pairs, as ``F.conv2d``.
        groups: split the channels into this many independent convolutions.

    Returns:
        Tensor[B, C_out, H', W']: with ``H'`` from :func:`conv_output_size`.

    Raises:
        ValueError: bad shapes, channels not divisible by ``groups``, a kernel larger
            than the padded input.
        TypeError: an integer input, or a weight or bias of another dtype or device.
    """
    s, p, d, g = _check_conv(input, weight, bias, stride, padding, dilation, groups)
    B, C_in, H, W = input.shape
    C_out, _, kH, kW = weight.shape  # [C_out, C_in / g, kH, kW]
    H_out, W_out = conv_output_size((H, W), (kH, kW), s, p, d)
    cols = F.unfold(input, (kH, kW), d, p, s)  # [B, C_in kH kW, H' W']
    cols = cols.view(B, g, C_in // g * kH * kW, H_out * W_out)  # per group
    # reshape, not view: a channels-last or transposed weight has other strides
    kernels = weight.reshape(g, C_out // g, C_in // g * kH * kW)  # a row per filter
    out = kernels @ cols  # [B, g, C_out / g, H' W']: all dot products at once
    out = out.view(B, C_out, H_out, W_out)
    return out if bias is None else out + bias.view(1, C_out, 1, 1)


# --8<-- [end:conv2d]


# --8<-- [start:conv_transpose_checks]
def _check_transpose(input: Tensor, weight: Tensor, bias: Tensor | None, groups: int) -> int:
    """The tensors and ``groups`` of :func:`conv_transpose2d`, checked; returns ``groups``."""
    check_floating("input", input)
    check_floating("weight", check_shape("weight", weight, ("C_in", "C_out/groups", "kH", "kW")))
    check_shape("input", input, ("B", weight.shape[0], "H", "W"), of="weight")
    groups = check_int("groups", groups, 1)
    _check_like_input(input, weight, bias)
    if bias is not None:
        check_shape("bias", bias, (weight.shape[1] * groups,), of="weight and groups")
    return groups


# --8<-- [end:conv_transpose_checks]


# --8<-- [start:conv_transpose2d]
def conv_transpose2d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: IntPair = 1,
    padding: IntPair = 0,
    output_padding: IntPair = 0,
    groups: int = 1,
    dilation: IntPair = 1,
) -> Tensor:
    """Transposed convolution, computed as the gradient of :func:`conv2d` w.r.t. its input.

    A convolution is linear, ``y = A x``; its transpose is ``x = A^T y``, which is exactly
    what backpropagation computes for ``dL/dx`` given ``dL/dy``. So the layer is: take a
    zero tensor of the output's shape, convolve it, and backpropagate ``input``.

    Args:
        input (Tensor[B, C_in, H, W]): the feature maps to upsample.
        weight (Tensor[C_in, C_out / groups, kH, kW]): ``F.conv_transpose2d``'s layout,
            which is the layout of the convolution being transposed.
        bias (Tensor[C_out], optional): added to every pixel of each output channel.
        stride, padding, output_padding, groups, dilation: as ``F.conv_transpose2d`` (note
            its argument order: groups before dilation).

    Returns:
        Tensor[B, C_out, H', W']: with ``H'`` from :func:`conv_transpose_output_size`.
    """
    groups = _check_transpose(input, weight, bias, groups)
    B, _, H, W = input.shape
    C_out = weight.shape[1] * groups  # weight: [C_in, C_out / groups, kH, kW]
    size = conv_transpose_output_size(
        (H, W), (weight.shape[2], weight.shape[3]), stride, padding, output_padding, dilation
    )
    # Autograd is off under inference_mode and refuses its tensors: leave that mode and
    # work on ordinary copies (clone() outside inference_mode makes one).
    with torch.inference_mode(False), torch.enable_grad():
        if input.is_inference() or weight.is_inference():
            input, weight = input.clone(), weight.clone()
        x = input.new_zeros(B, C_out, *size, requires_grad=True)
        y = conv2d(x, weight, None, stride, padding, dilation, groups)  # [B, C_in, >= H, >= W]
        # an output_padding of at least the stride (allowed when dilation > stride) lets the
        # convolution fit more windows than the input has pixels: those windows do not exist
        y = y[:, :, :H, :W]  # [B, C_in, H, W]
        (out,) = torch.autograd.grad(y, x, grad_outputs=input, create_graph=True)
    return out if bias is None else out + bias.view(1, C_out, 1, 1)


# --8<-- [end:conv_transpose2d]
