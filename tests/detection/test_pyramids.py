"""FPN, its level rule and SPP against torchvision and torch.nn.functional."""

from __future__ import annotations

from collections import OrderedDict

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st
from torchvision.ops import FeaturePyramidNetwork as TorchvisionFPN
from torchvision.ops.poolers import _setup_scales

from reference.detection import (
    FeaturePyramidNetwork,
    fpn_level,
    spatial_pyramid_pool,
    spp_block,
    sppf,
    top_down_merge,
)
from tests.conftest import tol
from tests.detection.conftest import random_boxes


def _copy_weights(ours: FeaturePyramidNetwork, theirs: TorchvisionFPN) -> None:
    with torch.no_grad():
        for mine, block in zip(ours.lateral, theirs.inner_blocks, strict=True):
            mine.weight.copy_(block[0].weight)
            mine.bias.copy_(block[0].bias)
        for mine, block in zip(ours.output, theirs.layer_blocks, strict=True):
            mine.weight.copy_(block[0].weight)
            mine.bias.copy_(block[0].bias)


def _backbone_maps(sizes, channels, batch=2):
    return [
        torch.randn(batch, c, h, w, dtype=torch.float64)
        for (h, w), c in zip(sizes, channels, strict=True)
    ]


class TestFeaturePyramidNetwork:
    @pytest.mark.parametrize(
        "sizes",
        [
            [(32, 32), (16, 16), (8, 8), (4, 4)],  # powers of two
            [(25, 38), (13, 19), (7, 10), (4, 5)],  # odd sizes: ceil-halving, as a ResNet does
            [(9, 9)],  # a single level: the top-down pathway has nothing to add
        ],
    )
    @pytest.mark.parametrize("extra_pool", [False, True])
    def test_matches_torchvision(self, sizes, extra_pool) -> None:
        channels = [4, 8, 16, 32][: len(sizes)]
        extra = None
        if extra_pool:
            from torchvision.ops.feature_pyramid_network import LastLevelMaxPool

            extra = LastLevelMaxPool()
        theirs = TorchvisionFPN(channels, 6, extra_blocks=extra).double()
        ours = FeaturePyramidNetwork(channels, 6, extra_pool=extra_pool).double()
        _copy_weights(ours, theirs)
        maps = OrderedDict((f"c{i}", m) for i, m in enumerate(_backbone_maps(sizes, channels)))
        expected = theirs(maps)
        got = ours(maps)
        assert list(got) == list(expected)  # the same names, "pool" last
        for name, want in expected.items():
            torch.testing.assert_close(got[name], want, **tol(torch.float64))

    def test_output_shapes(self) -> None:
        channels = [16, 32, 64, 128]  # ResNet-50's 256 ... 2048, scaled down by 16
        fpn = FeaturePyramidNetwork(channels, 32, extra_pool=True)
        maps = {f"c{i}": torch.randn(1, c, 64 // 2**i, 48 // 2**i) for i, c in enumerate(channels)}
        shapes = [tuple(p.shape) for p in fpn(maps).values()]
        assert shapes == [
            (1, 32, 64, 48),
            (1, 32, 32, 24),
            (1, 32, 16, 12),
            (1, 32, 8, 6),
            (1, 32, 4, 3),
        ]

    def test_gradients_match_torchvision(self) -> None:
        channels, sizes = [3, 5], [(10, 9), (5, 5)]
        theirs = TorchvisionFPN(channels, 4).double()
        ours = FeaturePyramidNetwork(channels, 4).double()
        _copy_weights(ours, theirs)
        maps = OrderedDict(enumerate(_backbone_maps(sizes, channels, batch=1)))
        sum(p.square().sum() for p in ours(maps).values()).backward()
        sum(p.square().sum() for p in theirs(maps).values()).backward()
        for mine, block in zip(ours.lateral, theirs.inner_blocks, strict=True):
            torch.testing.assert_close(mine.weight.grad, block[0].weight.grad, **tol(torch.float64))

    def test_rejects_wrong_number_of_maps(self) -> None:
        fpn = FeaturePyramidNetwork([4, 8], 6)
        with pytest.raises(ValueError, match="x must hold 2 maps"):
            fpn({"c2": torch.randn(1, 4, 8, 8)})
        with pytest.raises(TypeError, match="x must be a dict of named feature maps"):
            fpn([torch.randn(1, 4, 8, 8), torch.randn(1, 8, 4, 4)])

    def test_rejects_bad_channels(self) -> None:
        with pytest.raises(ValueError, match=r"in_channels_list\[1\] must be in \[1, inf\)"):
            FeaturePyramidNetwork([4, 0], 6)
        with pytest.raises(ValueError, match="in_channels_list must be a list of ints with at"):
            FeaturePyramidNetwork([], 6)


class TestTopDownMerge:
    def test_hand_computed(self) -> None:
        fine = torch.zeros(1, 1, 3, 4)
        coarse = torch.tensor([[[[1.0, 2.0], [3.0, 4.0]]]])
        merged = top_down_merge([fine, coarse])
        # 3 rows from 2: source rows floor(i * 2 / 3) = 0, 0, 1; 4 columns: 0, 0, 1, 1
        expected = torch.tensor([[1.0, 1.0, 2.0, 2.0], [1.0, 1.0, 2.0, 2.0], [3.0, 3.0, 4.0, 4.0]])
        torch.testing.assert_close(merged[0][0, 0], expected)
        assert merged[1] is coarse

    def test_rejects_channel_mismatch(self) -> None:
        with pytest.raises(
            ValueError, match=r"laterals\[1\] must have shape \(1, 3, H, W\) to match laterals\[0\]"
        ):
            top_down_merge([torch.zeros(1, 3, 4, 4), torch.zeros(1, 2, 2, 2)])
        with pytest.raises(ValueError, match="at least one"):
            top_down_merge([])


class TestFpnLevel:
    @pytest.mark.parametrize("k_min,k_max", [(2, 5), (3, 6)])
    def test_matches_torchvision_level_mapper(self, k_min, k_max) -> None:
        from torchvision.ops.poolers import initLevelMapper

        g = torch.Generator().manual_seed(3)
        boxes = random_boxes(300, size=800.0, generator=g)
        boxes[:, 2:] = boxes[:, :2] + torch.rand(300, 2, generator=g, dtype=torch.float64) * 900 + 1
        mapper = initLevelMapper(k_min, k_max)
        expected = mapper([boxes]) + k_min
        assert torch.equal(fpn_level(boxes, k_min, k_max), expected)

    def test_hand_values(self) -> None:
        boxes = torch.tensor(
            [
                [0, 0, 224, 224],
                [0, 0, 112, 112],
                [0, 0, 448, 448],
                [0, 0, 10, 10],
                [0, 0, 5000, 5000],
            ],
            dtype=torch.float64,
        )
        assert fpn_level(boxes).tolist() == [4, 3, 5, 2, 5]

    def test_scale_setup_agrees(self) -> None:
        # torchvision infers k_min, k_max from the map strides: P2 (stride 4) ... P5 (stride 32)
        images = [(800, 800)]
        maps = [torch.zeros(1, 1, 800 // s, 800 // s) for s in (4, 8, 16, 32)]
        _, mapper = _setup_scales(maps, images, 224, 4)
        assert mapper.k_min == 2 and mapper.k_max == 5

    def test_rejects_bad_levels(self) -> None:
        with pytest.raises(ValueError, match="k_min must be at most k_max"):
            fpn_level(torch.zeros(1, 4), 5, 2)


def _adaptive_reference(x: torch.Tensor, sizes, pool) -> torch.Tensor:
    return torch.cat([pool(x, n).flatten(1) for n in sizes], dim=1)


class TestSpatialPyramidPool:
    @given(
        H=st.integers(1, 23),
        W=st.integers(1, 23),
        sizes=st.lists(st.integers(1, 6), min_size=1, max_size=4),
        mode=st.sampled_from(["max", "avg"]),
    )
    def test_matches_adaptive_pooling(self, H, W, sizes, mode) -> None:
        x = torch.randn(2, 3, H, W, dtype=torch.float64)
        pool = F.adaptive_max_pool2d if mode == "max" else F.adaptive_avg_pool2d
        torch.testing.assert_close(
            spatial_pyramid_pool(x, sizes, mode),
            _adaptive_reference(x, sizes, pool),
            **tol(torch.float64),
        )

    @pytest.mark.parametrize("H,W", [(13, 13), (7, 30), (50, 9), (1, 1)])
    def test_fixed_length_for_any_size(self, H, W) -> None:
        out = spatial_pyramid_pool(torch.randn(2, 256, H, W), (1, 2, 4))
        assert out.shape == (2, 256 * 21)

    def test_bins_by_the_formula(self) -> None:
        # bin i of n over 7 cells: [floor(7 i / n), ceil(7 (i + 1) / n)); n = 3: [0,3) [2,5) [4,7)
        x = torch.arange(7.0).view(1, 1, 1, 7).expand(1, 1, 7, 7) * 10 + torch.arange(7.0).view(
            1, 1, 7, 1
        )
        out = spatial_pyramid_pool(x, (3,)).view(3, 3)
        last = [2, 4, 6]
        expected = torch.tensor([[c * 10 + r for c in last] for r in last], dtype=torch.float32)
        torch.testing.assert_close(out, expected)

    def test_divisible_size_is_plain_pooling(self) -> None:
        x = torch.randn(1, 2, 12, 8, dtype=torch.float64)
        torch.testing.assert_close(
            spatial_pyramid_pool(x, (4,)), F.max_pool2d(x, (3, 2)).flatten(1), **tol(torch.float64)
        )

    def test_rejects_bad_arguments(self) -> None:
        x = torch.randn(1, 2, 4, 4)
        with pytest.raises(ValueError, match="mode must be one of"):
            spatial_pyramid_pool(x, (1,), "min")
        with pytest.raises(ValueError, match=r"output_sizes\[1\] must be in \[1, inf\)"):
            spatial_pyramid_pool(x, (1, 0))
        with pytest.raises(ValueError, match="input must have shape"):
            spatial_pyramid_pool(x[0], (1,))


class TestSppBlock:
    @pytest.mark.parametrize("H,W", [(13, 13), (19, 10), (3, 4)])
    def test_matches_max_pool2d(self, H, W) -> None:
        x = torch.randn(2, 3, H, W, dtype=torch.float64)
        expected = torch.cat([x] + [F.max_pool2d(x, k, 1, k // 2) for k in (5, 9, 13)], dim=1)
        out = spp_block(x)
        assert out.shape == (2, 12, H, W)
        torch.testing.assert_close(out, expected, **tol(torch.float64))

    @pytest.mark.parametrize("k,repeats", [(5, 3), (3, 2), (7, 1)])
    def test_sppf_equals_spp(self, k, repeats) -> None:
        x = torch.randn(1, 4, 17, 14, dtype=torch.float64)
        sizes = [r * (k - 1) + 1 for r in range(1, repeats + 1)]  # 5, 9, 13 for k = 5
        torch.testing.assert_close(sppf(x, k, repeats), spp_block(x, sizes), rtol=0, atol=0)

    def test_rejects_even_kernels(self) -> None:
        with pytest.raises(ValueError, match=r"kernel_sizes\[1\] must be a positive odd int"):
            spp_block(torch.zeros(1, 1, 4, 4), (5, 4))
        with pytest.raises(ValueError, match="kernel_size must be odd"):
            sppf(torch.zeros(1, 1, 4, 4), 4)
