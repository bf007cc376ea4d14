"""Max and average pooling, nearest and bilinear upsampling.

``max_pool2d`` and ``avg_pool2d`` equal ``F.max_pool2d`` / ``F.avg_pool2d`` including
``ceil_mode``, ``return_indices`` and ``count_include_pad``; ``nearest_interpolate`` and
``bilinear_interpolate`` equal ``F.interpolate`` with ``mode="nearest"`` and
``mode="bilinear"`` (both ``align_corners``). Tests: ``tests/cnn/test_pooling.py``.
"""

# --8<-- [start:imports]
from __future__ import annotations

import math
from typing import Literal, overload

import torch
import torch.nn.functional as F
from torch import Tensor

from reference.checks import check_floating, check_int, check_range, check_shape
from reference.cnn.convolution import IntPair, _pair, conv_output_size

# --8<-- [end:imports]

__all__ = ["avg_pool2d", "bilinear_interpolate", "max_pool2d", "nearest_interpolate"]


# --8<-- [start:windows]
def _windows(
    x: Tensor,
    kernel: tuple[int, int],
    stride: tuple[int, int],
    padding: tuple[int, int],
    dilation: tuple[int, int],
    ceil_mode: bool,
    value: float,
) -> Tensor:
    """Every pooling window of ``x`` (Tensor[B, C, H, W]) as Tensor[B, C, kH*kW, H', W'].

    The input is padded with ``value`` on all sides, plus on the bottom and right as far
    as ``ceil_mode``'s extra windows reach.
    """
    B, C, H, W = x.shape
    H_out, W_out = conv_output_size((H, W), kernel, stride, padding, dilation, ceil_mode)
    extra = [
        max(0, (n_out - 1) * s + d * (k - 1) + 1 - (n + 2 * p))  # beyond the padded input
        for n_out, s, d, k, n, p in zip(
            (H_out, W_out), stride, dilation, kernel, (H, W), padding, strict=True
        )
    ]
    ph, pw = padding
    x = F.pad(x, (pw, pw + extra[1], ph, ph + extra[0]), value=value)
    cols = F.unfold(x.reshape(B * C, 1, *x.shape[2:]), kernel, dilation=dilation, stride=stride)
    return cols.view(B, C, kernel[0] * kernel[1], H_out, W_out)


# --8<-- [end:windows]


# --8<-- [start:pool_checks]
def _check_pool(
    input: Tensor, kernel_size: IntPair, stride: IntPair | None, padding: IntPair
) -> tuple[tuple[int, int], tuple[int, int], tuple[int, int]]:
    """Kernel, stride and padding as pairs; no stride means the kernel size, as in torch."""
    check_floating("input", check_shape("input", input, ("B", "C", "H", "W")))
    ks = _pair("kernel_size", kernel_size, 1)
    # torch reads an empty tuple as "no stride given", like None
    if stride is None or (isinstance(stride, tuple | list) and len(stride) == 0):
        ss = ks
    else:
        ss = _pair("stride", stride, 1)
    ps = _pair("padding", padding, 0)
    if ps[0] > ks[0] // 2 or ps[1] > ks[1] // 2:
        raise ValueError(f"padding must be at most half the kernel size {ks}, but got {ps}")
    return ks, ss, ps


# --8<-- [end:pool_checks]


# --8<-- [start:max_pool2d]
# With return_indices=True the result is a pair: say so to the type checker.
@overload
def max_pool2d(
    input: Tensor,
    kernel_size: IntPair,
    stride: IntPair | None = ...,
    padding: IntPair = ...,
    dilation: IntPair = ...,
    ceil_mode: bool = ...,
    return_indices: Literal[False] = ...,
) -> Tensor: ...
@overload
def max_pool2d(
    input: Tensor,
    kernel_size: IntPair,
    stride: IntPair | None,
    padding: IntPair,
    dilation: IntPair,
    ceil_mode: bool,
    return_indices: Literal[True],
) -> tuple[Tensor, Tensor]: ...
@overload
def max_pool2d(
    input: Tensor,
    kernel_size: IntPair,
    stride: IntPair | None = ...,
    padding: IntPair = ...,
    dilation: IntPair = ...,
    ceil_mode: bool = ...,
    *,
    return_indices: Literal[True],
) -> tuple[Tensor, Tensor]: ...
def max_pool2d(
    input: Tensor,
    kernel_size: IntPair,
    stride: IntPair | None = None,
    padding: IntPair = 0,
    dilation: IntPair = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Tensor | tuple[Tensor, Tensor]:
    """The largest value in each window; padding never wins (it is ``-inf``, not 0).

    Args:
        input (Tensor[B, C, H, W]): floating-point feature maps.
        kernel_size: window size.
        stride: the windows' step; defaults to ``kernel_size``.
        padding: at most half the kernel size, as PyTorch requires.
        dilation, ceil_mode: as ``F.max_pool2d``.
        return_indices: also return where each maximum came from, as a flat index
            ``row * W + col`` into each input map of H x W (what ``max_unpool2d`` takes).

    Returns:
        Tensor[B, C, H', W'], and Tensor[B, C, H', W'] of int64 indices if asked. A
        window that lies wholly in the padding (possible with dilation) gives ``-inf``.
        The index is PyTorch's: the last NaN of the window if it has one, else the first
        maximum, else (all ``-inf``) the window's first pixel inside the input.
    """
    ks, ss, ps = _check_pool(input, kernel_size, stride, padding)
    ds = _pair("dilation", dilation, 1)
    windows = _windows(input, ks, ss, ps, ds, ceil_mode, -math.inf)  # [B, C, kH*kW, H', W']
    values = windows.amax(dim=2)  # NaN wins, as in PyTorch
    if not return_indices:
        return values
    B, C, H, W = input.shape
    flat = torch.arange(H * W, dtype=torch.float64, device=input.device).view(1, 1, H, W)
    positions = _windows(flat, ks, ss, ps, ds, ceil_mode, -1.0)  # [1, 1, kH*kW, H', W']
    # PyTorch scans a window in order and takes a value that is larger or NaN: so the last
    # NaN, or the first maximum, starting from the first pixel inside the input
    inside = positions >= 0
    nan = windows.isnan()
    last_nan = windows.shape[2] - 1 - nan.flip(2).byte().argmax(dim=2)  # [B, C, H', W']
    first_max = ((windows == values.unsqueeze(2)) & inside).byte().argmax(dim=2)
    which = torch.where(nan.any(dim=2), last_nan, first_max)
    indices = positions.expand(B, C, -1, -1, -1).gather(2, which.unsqueeze(2)).squeeze(2)
    return values, indices.long()  # meaningless where a window lies wholly in the padding


# --8<-- [end:max_pool2d]


# --8<-- [start:avg_pool2d]
def _window_counts(
    n: int, n_out: int, k: int, s: int, p: int, include_pad: bool, like: Tensor
) -> Tensor:
    """How many cells of each window along one axis the mean divides by."""
    start = torch.arange(n_out, device=like.device) * s - p
    end = (start + k).clamp(max=n + p)  # cells that only ceil_mode added never count
    if not include_pad:
        start, end = start.clamp(min=0), end.clamp(max=n)
    return (end - start).to(like.dtype)


def avg_pool2d(
    input: Tensor,
    kernel_size: IntPair,
    stride: IntPair | None = None,
    padding: IntPair = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> Tensor:
    """The mean of each window.

    The divisor is PyTorch's: the window clipped to the zero-padded input
    (``count_include_pad=True``) or to the input itself (``False``); cells that only
    ``ceil_mode`` added are never counted. ``divisor_override`` replaces it.

    Args:
        input (Tensor[B, C, H, W]): floating-point feature maps.
        kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override:
            as ``F.avg_pool2d``.

    Returns:
        Tensor[B, C, H', W'].
    """
    ks, ss, ps = _check_pool(input, kernel_size, stride, padding)
    if divisor_override is not None:
        divisor_override = check_int("divisor_override", divisor_override, 1)
    ones = (1, 1)
    sums = _windows(input, ks, ss, ps, ones, ceil_mode, 0.0).sum(dim=2)  # [B, C, H', W']
    if divisor_override is not None:
        return sums / divisor_override
    H, W = input.shape[2:]
    H_out, W_out = sums.shape[2:]
    rows = _window_counts(H, H_out, ks[0], ss[0], ps[0], count_include_pad, input)  # [H']
    cols = _window_counts(W, W_out, ks[1], ss[1], ps[1], count_include_pad, input)  # [W']
    return sums / (rows.view(-1, 1) * cols)


# --8<-- [end:avg_pool2d]


# --8<-- [start:interpolate]
def _output_size(
    input: Tensor, size: IntPair | None, scale_factor: float | tuple[float, float] | None
) -> tuple[tuple[int, int], tuple[float, float]]:
    """Output ``(H', W')`` and the source step per output pixel, as ``F.interpolate``."""
    check_shape("input", input, ("B", "C", "H", "W"))
    if (size is None) == (scale_factor is None):
        raise ValueError("exactly one of size and scale_factor must be given, but got both or none")
    H, W = input.shape[2:]
    if size is not None:
        out = _pair("size", size, 1)
        return out, (H / out[0], W / out[1])
    assert scale_factor is not None  # exactly one of the two is given, checked above
    sf = (scale_factor, scale_factor) if isinstance(scale_factor, int | float) else scale_factor
    for f in sf:
        check_range("scale_factor", f, 0, low_inclusive=False)
    out = (math.floor(H * sf[0]), math.floor(W * sf[1]))
    if min(out) < 1:
        raise ValueError(f"scale_factor {scale_factor} gives an empty output {out}")
    # F.interpolate maps back with the given factor, not with in/out (they differ when
    # H * scale_factor is not an integer), except along an axis whose size is unchanged
    step_h, step_w = (
        1.0 if n_out == n else 1 / f for n_out, n, f in zip(out, (H, W), sf, strict=True)
    )
    return out, (step_h, step_w)


def nearest_interpolate(
    input: Tensor, size: IntPair | None = None, scale_factor: float | None = None
) -> Tensor:
    """``F.interpolate(mode="nearest")``: output pixel ``i`` copies input ``floor(i * in / out)``.

    This is PyTorch's (and OpenCV's ``INTER_NEAREST``) legacy rule, which is not centred:
    it shifts the image by up to half a pixel. ``mode="nearest-exact"`` uses
    ``floor((i + 0.5) * in / out)``. It only copies values, so it works for every dtype
    (PyTorch has no kernel for some integer types).

    Args:
        input (Tensor[B, C, H, W]): images or feature maps.
        size: the output ``(H', W')`` (or one int for both).
        scale_factor: instead of ``size``: ``H' = floor(H * scale_factor)``.

    Returns:
        Tensor[B, C, H', W'].
    """
    (H_out, W_out), (step_h, step_w) = _output_size(input, size, scale_factor)
    H, W = input.shape[2:]
    given = size is None  # the step comes from scale_factor, not from the two sizes
    rows = _nearest_indices(H, H_out, step_h if given else None, input.device)  # [H']
    cols = _nearest_indices(W, W_out, step_w if given else None, input.device)  # [W']
    return input[:, :, rows][:, :, :, cols]


def _nearest_indices(n_in: int, n_out: int, step: float | None, device: torch.device) -> Tensor:
    """PyTorch's source rows, to the bit: it computes the step in float32, as ``in / out``
    or, when a ``scale_factor`` is given, as ``1 / scale_factor``."""
    i = torch.arange(n_out, device=device)
    if n_out == n_in:
        return i
    if n_out == 2 * n_in:  # PyTorch's shortcut, which wins over a scale_factor of e.g. 2.2
        return i // 2
    if step is None:
        scale = torch.tensor(float(n_in), dtype=torch.float32, device=device) / n_out
    else:
        scale = torch.tensor(step, dtype=torch.float32, device=device)
    return (i.float() * scale).floor().long().clamp(max=n_in - 1)


def _linear_weights(
    n_in: int, n_out: int, step: float, align_corners: bool, device: torch.device
) -> tuple[Tensor, Tensor, Tensor]:
    """For each output index: the two source indices and the weight of the second."""
    i = torch.arange(n_out, device=device, dtype=torch.float64)
    if align_corners:  # the corner pixels' centres coincide
        src = i * ((n_in - 1) / (n_out - 1) if n_out > 1 else 0.0)
    else:  # the corner pixels' edges coincide; never read left of pixel 0's centre
        src = ((i + 0.5) * step - 0.5).clamp(min=0)
    lo = src.floor().long().clamp(max=n_in - 1)
    hi = (lo + 1).clamp(max=n_in - 1)
    return lo, hi, src - lo


def bilinear_interpolate(
    input: Tensor,
    size: IntPair | None = None,
    scale_factor: float | None = None,
    align_corners: bool = False,
) -> Tensor:
    """``F.interpolate(mode="bilinear")``: linear interpolation along rows, then columns.

    Args:
        input (Tensor[B, C, H, W]): floating-point images or feature maps (PyTorch also
            takes ``uint8``, with a fixed-point kernel; convert to float here).
        size: the output ``(H', W')`` (or one int for both).
        scale_factor: instead of ``size``: ``H' = floor(H * scale_factor)``.
        align_corners: ``True`` maps the centres of the corner pixels onto each other
            (``src = i (H - 1) / (H' - 1)``); ``False`` maps the image edges onto each
            other (``src = (i + 0.5) H / H' - 0.5``), which is also OpenCV's rule.

    Returns:
        Tensor[B, C, H', W'].
    """
    (H_out, W_out), (step_h, step_w) = _output_size(input, size, scale_factor)
    check_floating("input", input)  # weights cast to uint8 would be 0 or 1
    H, W = input.shape[2:]
    top, bottom, wy = _linear_weights(H, H_out, step_h, align_corners, input.device)
    left, right, wx = _linear_weights(W, W_out, step_w, align_corners, input.device)
    wy = wy.to(input.dtype).view(-1, 1)  # [H', 1]
    wx = wx.to(input.dtype)  # [W']
    rows = input[:, :, top] * (1 - wy) + input[:, :, bottom] * wy  # [B, C, H', W]
    return rows[..., left] * (1 - wx) + rows[..., right] * wx  # [B, C, H', W']


# --8<-- [end:interpolate]
