"""Multi-scale features: the feature pyramid network (FPN), its level rule, and SPP.

``FeaturePyramidNetwork`` equals ``torchvision.ops.FeaturePyramidNetwork`` (without norm
layers) once the weights are copied across; ``fpn_level`` equals the level mapper of
``torchvision.ops.MultiScaleRoIAlign``; ``spatial_pyramid_pool`` equals concatenated
``F.adaptive_max_pool2d`` / ``F.adaptive_avg_pool2d``; ``spp_block`` and ``sppf`` equal
concatenated stride-1 ``F.max_pool2d``. Tests: ``tests/detection/test_pyramids.py``.
"""

from __future__ import annotations

# --8<-- [start:imports]
from collections.abc import Mapping, Sequence

import torch
from torch import Tensor, nn

from reference.checks import (
    check_finite,
    check_floating,
    check_in,
    check_int,
    check_module_input,
    check_range,
    check_sequence,
    check_shape,
)
from reference.cnn.pooling import max_pool2d, nearest_interpolate
from reference.detection.boxes import _check_boxes

# --8<-- [end:imports]

__all__ = [
    "FeaturePyramidNetwork",
    "fpn_level",
    "spatial_pyramid_pool",
    "spp_block",
    "sppf",
    "top_down_merge",
]


# --8<-- [start:top_down_merge]
def top_down_merge(laterals: Sequence[Tensor]) -> list[Tensor]:
    """FPN's top-down pathway: upsample the coarser merged map and add the lateral map.

    Args:
        laterals (list of Tensor[B, C, H_i, W_i]): the lateral (1x1-projected) maps, finest
            first; every map has the same ``C``, and sizes shrink from one map to the next.

    Returns:
        list of Tensor[B, C, H_i, W_i]: the merged maps, finest first. The coarsest map
        passes through unchanged; every other one is ``lateral_i + up(merged_{i+1})``,
        where ``up`` is nearest-neighbour resizing to exactly ``(H_i, W_i)``, so odd sizes
        (25 -> 13 -> 7) work too.
    """
    check_sequence("laterals", laterals, "a list of tensors", nonempty=True)
    first = check_floating(
        "laterals[0]", check_shape("laterals[0]", laterals[0], ("B", "C", "H", "W"))
    )
    B, C = first.shape[:2]
    for i, lateral in enumerate(laterals):
        check_shape(f"laterals[{i}]", lateral, (B, C, "H", "W"), of="laterals[0]")
        if lateral.dtype != first.dtype or lateral.device != first.device:
            raise TypeError(
                f"laterals[{i}] must have the dtype and device of laterals[0] ({first.dtype}, "
                f"{first.device}), but got {lateral.dtype} on {lateral.device}"
            )
    merged = [laterals[-1]]
    for lateral in reversed(laterals[:-1]):  # from coarse to fine
        H, W = lateral.shape[-2:]
        merged.insert(0, lateral + nearest_interpolate(merged[0], size=(H, W)))
    return merged


# --8<-- [end:top_down_merge]


# --8<-- [start:fpn]
class FeaturePyramidNetwork(nn.Module):
    """Feature pyramid network (Lin et al., 2017, https://arxiv.org/abs/1612.03144).

    A 1x1 *lateral* convolution brings each backbone map ``C_i`` to ``out_channels``; the
    top-down pathway adds each coarser merged map, upsampled, to the next finer one; a
    3x3 convolution on every merged map gives ``P_i``. Arguments, and the dict of named
    maps in and out, are those of ``torchvision.ops.FeaturePyramidNetwork``; its parameters
    are named ``inner_blocks`` (here ``lateral``) and ``layer_blocks`` (here ``output``).

    Args:
        in_channels_list: channels of the backbone maps, finest first.
        out_channels: channels of every output map (256 in the paper).
        extra_pool: also return ``P_{top+1}`` under the name ``"pool"``: the coarsest output
            subsampled with stride 2 (torchvision's ``extra_blocks=LastLevelMaxPool()``, a 1x1
            max pool; Faster R-CNN's P6).
    """

    def __init__(
        self, in_channels_list: Sequence[int], out_channels: int, *, extra_pool: bool = False
    ) -> None:
        super().__init__()
        check_sequence("in_channels_list", in_channels_list, "a list of ints", nonempty=True)
        in_channels_list = [
            check_int(f"in_channels_list[{i}]", c, 1) for i, c in enumerate(in_channels_list)
        ]
        out_channels = check_int("out_channels", out_channels, 1)
        self.in_channels_list = in_channels_list
        self.lateral = nn.ModuleList(nn.Conv2d(c, out_channels, 1) for c in in_channels_list)
        # the 3x3 convolution smooths the aliasing that nearest upsampling adds
        self.output = nn.ModuleList(
            nn.Conv2d(out_channels, out_channels, 3, padding=1) for _ in in_channels_list
        )
        self.extra_pool = extra_pool

    def forward(self, x: Mapping[str, Tensor]) -> dict[str, Tensor]:
        """The pyramid of one batch.

        Args:
            x: the backbone maps by name, finest first, each Tensor[B, in_channels_list[i],
                H_i, W_i].

        Returns:
            dict[str, Tensor]: the same names in the same order, each
            Tensor[B, out_channels, H_i, W_i], then ``"pool"`` with ``extra_pool``.
        """
        if not isinstance(x, Mapping):
            raise TypeError(
                f"x must be a dict of named feature maps, as torchvision's FPN takes, "
                f"but got {type(x).__name__}"
            )
        if len(x) != len(self.lateral):
            raise ValueError(
                f"x must hold {len(self.lateral)} maps, one per entry of in_channels_list, "
                f"but got {len(x)}"
            )
        maps = list(x.values())
        first = next(iter(x))
        batch = check_shape(f"x[{first!r}]", maps[0], ("B", "C", "H", "W")).shape[0]
        for (name, m), c in zip(x.items(), self.in_channels_list, strict=True):
            check_module_input(f"x[{name!r}]", m, self, (batch, c, "H", "W"))
        laterals = [conv(m) for conv, m in zip(self.lateral, maps, strict=True)]
        merged = top_down_merge(laterals)
        outputs = [conv(m) for conv, m in zip(self.output, merged, strict=True)]
        result = dict(zip(x.keys(), outputs, strict=True))
        if self.extra_pool:
            result["pool"] = outputs[-1][:, :, ::2, ::2]  # max over a 1x1 window = subsampling
        return result


# --8<-- [end:fpn]


# --8<-- [start:fpn_level]
def fpn_level(
    boxes: Tensor,
    k_min: int = 2,
    k_max: int = 5,
    canonical_size: float = 224.0,
    canonical_level: int = 4,
    eps: float = 1e-6,
) -> Tensor:
    """The pyramid level ``P_k`` whose features an RoI is pooled from (FPN paper, eq. 1).

    ``k = floor(k0 + log2(sqrt(w h) / 224))``, clamped to ``[k_min, k_max]``: a box of
    224 x 224 pixels (an ImageNet-sized object) reads ``P4``; half as large reads ``P3``.

    Args:
        boxes (Tensor[N, 4]): ``(x1, y1, x2, y2)`` in input-image pixels.
        k_min: the finest level there is.
        k_max: the coarsest level there is.
        canonical_size: the box side that reads ``canonical_level``.
        canonical_level: k0.
        eps: guards the rounding of a box exactly on a level boundary.

    Returns:
        Tensor[N] (int64): the level ``k``. (torchvision returns ``k - k_min``, an index
        into its list of maps.)
    """
    check_finite("boxes", _check_boxes("boxes", boxes))
    k_min, k_max = check_int("k_min", k_min), check_int("k_max", k_max)
    canonical_level = check_int("canonical_level", canonical_level)
    canonical_size = check_range("canonical_size", canonical_size, 0, low_inclusive=False)
    eps = check_range("eps", eps, 0)
    if k_min > k_max:
        raise ValueError(f"k_min must be at most k_max, but got {k_min} > {k_max}")
    size = ((boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])).sqrt()  # [N]
    k = torch.floor(canonical_level + torch.log2(size / canonical_size) + eps)
    return k.clamp(k_min, k_max).long()


# --8<-- [end:fpn_level]


# --8<-- [start:spatial_pyramid_pool]
def _bin_edges(n_in: int, n_bins: int) -> list[tuple[int, int]]:
    """Bin ``i`` covers ``[floor(i n_in / n_bins), ceil((i + 1) n_in / n_bins))``.

    Neighbouring bins overlap by a cell when ``n_bins`` does not divide ``n_in``, and no
    bin is ever empty (when ``n_in >= 1``), which is what ``F.adaptive_*_pool2d`` does.
    """
    return [(i * n_in // n_bins, -(-(i + 1) * n_in // n_bins)) for i in range(n_bins)]


def spatial_pyramid_pool(
    input: Tensor, output_sizes: Sequence[int] = (1, 2, 4), mode: str = "max"
) -> Tensor:
    """Spatial pyramid pooling (He et al., 2014, https://arxiv.org/abs/1406.4729).

    Each map is cut into an ``n x n`` grid for every ``n`` in ``output_sizes`` and each
    cell is pooled, so the output length ``C * sum(n^2)`` does not depend on ``H, W``:
    a classifier with a fixed input size can sit on top of images of any size.

    Args:
        input (Tensor[B, C, H, W]): feature maps of any size ``H, W >= 1``.
        output_sizes: the grid sizes, e.g. ``(1, 2, 4)`` gives 1 + 4 + 16 = 21 cells.
        mode: ``"max"`` or ``"avg"``.

    Returns:
        Tensor[B, C * sum(n^2)]: per level, the ``C x n x n`` pooled values flattened
        channel-major, levels concatenated in the order given.
    """
    check_floating("input", check_shape("input", input, ("B", "C", "H", "W")))
    check_in("mode", mode, ("max", "avg"))
    check_sequence("output_sizes", output_sizes, "a sequence of ints", nonempty=True)
    output_sizes = [check_int(f"output_sizes[{i}]", n, 1) for i, n in enumerate(output_sizes)]
    B, C, H, W = input.shape
    # max and mean over a rectangle are separable: pool the rows of each bin, then the columns
    reduce = (lambda t, dim: t.amax(dim)) if mode == "max" else (lambda t, dim: t.mean(dim))
    levels = []
    for n in output_sizes:
        rows = torch.stack([reduce(input[:, :, r0:r1], 2) for r0, r1 in _bin_edges(H, n)], dim=2)
        cells = [reduce(rows[..., c0:c1], 3) for c0, c1 in _bin_edges(W, n)]  # rows: [B, C, n, W]
        levels.append(torch.stack(cells, dim=3).reshape(B, C * n * n))  # [B, C*n*n]
    return torch.cat(levels, dim=1)


# --8<-- [end:spatial_pyramid_pool]


# --8<-- [start:spp_block]
def spp_block(input: Tensor, kernel_sizes: Sequence[int] = (5, 9, 13)) -> Tensor:
    """The SPP block of YOLOv3-SPP / YOLOv4: the input and its stride-1 max pools, stacked.

    Unlike He et al.'s SPP the output keeps the spatial size; what it adds is context:
    each position also sees the strongest response within 13 x 13 cells around it.

    Args:
        input (Tensor[B, C, H, W]): feature maps.
        kernel_sizes: odd window sizes; each pool pads by ``k // 2`` (with ``-inf``).

    Returns:
        Tensor[B, C * (1 + len(kernel_sizes)), H, W]: ``[x, pool_5(x), pool_9(x), pool_13(x)]``
        concatenated along channels.
    """
    check_shape("input", input, ("B", "C", "H", "W"))
    check_sequence("kernel_sizes", kernel_sizes, "a sequence of ints")
    kernel_sizes = [check_int(f"kernel_sizes[{i}]", k, 1) for i, k in enumerate(kernel_sizes)]
    for i, k in enumerate(kernel_sizes):
        if k % 2 == 0:
            raise ValueError(f"kernel_sizes[{i}] must be a positive odd int, but got {k!r}")
    pooled = [max_pool2d(input, k, stride=1, padding=k // 2) for k in kernel_sizes]
    return torch.cat([input, *pooled], dim=1)  # [B, C*(1+len(kernel_sizes)), H, W]


def sppf(input: Tensor, kernel_size: int = 5, repeats: int = 3) -> Tensor:
    """YOLOv5's SPPF: ``repeats`` chained ``k x k`` pools, equal to ``spp_block(k, 2k-1, 3k-2)``.

    Two stride-1 max pools of size ``k`` in a row are one pool of size ``2k - 1`` (the
    maximum of maxima over overlapping windows is the maximum over their union), so
    5, 5, 5 in a row give the 5, 9 and 13 windows of ``spp_block`` with fewer comparisons.

    Args:
        input (Tensor[B, C, H, W]): feature maps.
        kernel_size: k, odd.
        repeats: how many pools are chained.

    Returns:
        Tensor[B, C * (1 + repeats), H, W]: the input and each pool's output, concatenated.
    """
    check_shape("input", input, ("B", "C", "H", "W"))
    repeats, kernel_size = (
        check_int("repeats", repeats, 1),
        check_int("kernel_size", kernel_size, 1),
    )
    if kernel_size % 2 == 0:
        raise ValueError(f"kernel_size must be odd and positive, but got {kernel_size}")
    outputs = [input]
    for _ in range(repeats):
        outputs.append(max_pool2d(outputs[-1], kernel_size, stride=1, padding=kernel_size // 2))
    return torch.cat(outputs, dim=1)  # [B, C*(1+repeats), H, W]


# --8<-- [end:spp_block]
