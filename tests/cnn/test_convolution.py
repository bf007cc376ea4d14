"""reference.cnn.convolution against F.conv2d, F.conv_transpose2d and the layers' shapes."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from hypothesis import assume, given
from hypothesis import strategies as st
from skimage import data
from torch import nn
from torchvision.ops import deform_conv2d

from reference.cnn import conv2d, conv_output_size, conv_transpose2d, conv_transpose_output_size
from tests.conftest import tol

pairs = st.tuples(st.integers(1, 3), st.integers(1, 3))


@st.composite
def conv_cases(draw: st.DrawFn) -> dict:
    groups = draw(st.integers(1, 3))
    c_in, c_out = groups * draw(st.integers(1, 3)), groups * draw(st.integers(1, 3))
    kernel = draw(pairs)
    stride, dilation = draw(pairs), draw(pairs)
    padding = draw(st.tuples(st.integers(0, 2), st.integers(0, 2)))
    h, w = draw(st.integers(1, 12)), draw(st.integers(1, 12))
    for n, k, p, d in zip((h, w), kernel, padding, dilation, strict=True):
        assume(n + 2 * p >= d * (k - 1) + 1)
    return dict(c_in=c_in, c_out=c_out, groups=groups, kernel=kernel, stride=stride,
                padding=padding, dilation=dilation, size=(h, w))  # fmt: skip


class TestConv2d:
    @given(conv_cases(), st.integers(0, 2**31 - 1), st.booleans())
    def test_matches_torch(self, case: dict, seed: int, with_bias: bool) -> None:
        g = torch.Generator().manual_seed(seed)
        x = torch.randn(2, case["c_in"], *case["size"], generator=g, dtype=torch.float64)
        shape = (case["c_out"], case["c_in"] // case["groups"], *case["kernel"])
        w = torch.randn(shape, generator=g, dtype=torch.float64)
        b = torch.randn(case["c_out"], generator=g, dtype=torch.float64) if with_bias else None
        args = (case["stride"], case["padding"], case["dilation"], case["groups"])
        torch.testing.assert_close(
            conv2d(x, w, b, *args), F.conv2d(x, w, b, *args), **tol(torch.float64)
        )

    @pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
    def test_int_arguments_float32(self, dtype: torch.dtype) -> None:
        x, w = torch.randn(1, 64, 28, 28, dtype=dtype), torch.randn(32, 64, 3, 3, dtype=dtype)
        out = conv2d(x, w, None, 2, 1, 1)
        torch.testing.assert_close(out, F.conv2d(x, w, None, 2, 1), rtol=1e-4, atol=1e-4)
        assert out.shape == (1, 32, 14, 14)

    def test_real_image_sobel(self) -> None:
        image = torch.from_numpy(data.camera()).double()[None, None] / 255  # [1, 1, 512, 512]
        sobel = torch.tensor([[-1.0, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=torch.float64)
        w = torch.stack([sobel, sobel.T])[:, None]  # [2, 1, 3, 3]
        out = conv2d(image, w, padding=1)
        torch.testing.assert_close(out, F.conv2d(image, w, padding=1), **tol(torch.float64))
        # the first output pixel only sees the top-left corner: check one value by hand
        patch = F.pad(image, (1, 1, 1, 1))[0, 0, :3, :3]
        assert out[0, 0, 0, 0].item() == pytest.approx((patch * sobel).sum().item())

    def test_depthwise(self) -> None:
        x, w = (
            torch.randn(2, 8, 9, 9, dtype=torch.float64),
            torch.randn(8, 1, 3, 3, dtype=torch.float64),
        )
        torch.testing.assert_close(
            conv2d(x, w, groups=8), F.conv2d(x, w, groups=8), **tol(torch.float64)
        )

    def test_gradcheck(self) -> None:
        x = torch.randn(1, 4, 6, 5, dtype=torch.float64, requires_grad=True)
        w = torch.randn(4, 2, 3, 2, dtype=torch.float64, requires_grad=True)
        b = torch.randn(4, dtype=torch.float64, requires_grad=True)
        assert torch.autograd.gradcheck(
            lambda *a: conv2d(*a, stride=2, padding=1, groups=2), (x, w, b)
        )

    @pytest.mark.parametrize("layout", ["channels_last", "transposed"])
    def test_weight_with_other_strides(self, layout: str) -> None:
        # Regression: weight.view() once failed on a channels-last or non-contiguous weight.
        x = torch.randn(2, 4, 9, 9, dtype=torch.float64)
        w = torch.randn(6, 4, 3, 3, dtype=torch.float64)
        w = w.to(memory_format=torch.channels_last) if layout == "channels_last" else w
        w = w.transpose(2, 3).contiguous().transpose(2, 3) if layout == "transposed" else w
        assert not w.is_contiguous()
        torch.testing.assert_close(conv2d(x, w, padding=1), F.conv2d(x, w, padding=1))

    def test_rejects_groups_not_dividing_channels(self) -> None:
        with pytest.raises(
            ValueError,
            match=r"in_channels \(6\) and out_channels \(4\) must both be divisible by groups, "
            r"but got groups=4",
        ):
            conv2d(torch.zeros(1, 6, 5, 5), torch.zeros(4, 2, 3, 3), groups=4)

    def test_rejects_wrong_weight_channels(self) -> None:
        with pytest.raises(ValueError, match=r"weight must have shape \(C_out, 3, kH, kW\)"):
            conv2d(torch.zeros(1, 6, 5, 5), torch.zeros(4, 2, 3, 3), groups=2)

    def test_rejects_kernel_larger_than_padded_input(self) -> None:
        with pytest.raises(
            ValueError,
            match=r"kernel \(extent 5\) is larger than the padded input "
            r"\(size 2 \+ 2 \* padding 1 = 4\)",
        ):
            conv2d(torch.zeros(1, 1, 2, 2), torch.zeros(1, 1, 5, 5), padding=1)

    def test_rejects_3d_input(self) -> None:
        with pytest.raises(
            ValueError, match=r"input must have shape \(B, C, H, W\), but got \(3, 5, 5\)"
        ):
            conv2d(torch.zeros(3, 5, 5), torch.zeros(1, 3, 3, 3))

    def test_rejects_bad_bias_and_arguments(self) -> None:
        x, w = torch.zeros(1, 2, 5, 5), torch.zeros(3, 2, 3, 3)
        with pytest.raises(
            ValueError, match=r"bias must have shape \(3,\) to match weight, but got \(2,\)"
        ):
            conv2d(x, w, torch.zeros(2))
        with pytest.raises(ValueError, match="stride must be at least 1, but got 0"):
            conv2d(x, w, stride=0)
        with pytest.raises(ValueError, match=r"padding must be at least 0, but got \(-1, 0\)"):
            conv2d(x, w, padding=(-1, 0))
        with pytest.raises(
            TypeError, match=r"dilation must be an int or a pair of ints, but got 1\.5"
        ):
            conv2d(x, w, dilation=1.5)
        with pytest.raises(ValueError, match=r"groups must be in \[1, inf\), but got 0"):
            conv2d(x, w, groups=0)


class TestConvOutputSize:
    @given(
        st.integers(1, 40),
        st.integers(1, 7),
        st.integers(1, 4),
        st.integers(0, 3),
        st.integers(1, 3),
    )
    def test_matches_conv2d_layer(self, size: int, k: int, s: int, p: int, d: int) -> None:
        assume(size + 2 * p >= d * (k - 1) + 1)
        layer = nn.Conv2d(1, 1, k, s, p, d)
        assert layer(torch.zeros(1, 1, size, size)).shape[-1] == conv_output_size(size, k, s, p, d)

    @given(
        st.integers(1, 40),
        st.integers(1, 6),
        st.integers(1, 4),
        st.integers(0, 3),
        st.integers(1, 2),
        st.booleans(),
    )
    def test_matches_max_pool_ceil_mode(
        self, size: int, k: int, s: int, p: int, d: int, ceil: bool
    ) -> None:
        assume(p <= k // 2 and size + 2 * p >= d * (k - 1) + 1)
        layer = nn.MaxPool2d(k, s, p, d, ceil_mode=ceil)
        assert layer(torch.zeros(1, 1, size, size)).shape[-1] == conv_output_size(
            size, k, s, p, d, ceil
        )

    def test_last_window_must_start_inside(self) -> None:
        # 5 + 2*1 = 7 padded cells, k=2, s=2: ceil gives 4 windows, but the 4th would start
        # at padded position 6, which is the right padding: PyTorch drops it.
        assert conv_output_size(5, 2, 2, 1, ceil_mode=True) == 3
        assert nn.MaxPool2d(2, 2, 1, ceil_mode=True)(torch.zeros(1, 1, 5, 5)).shape[-1] == 3
        assert (
            conv_output_size(6, 2, 2, 0, ceil_mode=True) == 3
            and conv_output_size(7, 2, 2, 0, ceil_mode=True) == 4
        )

    def test_pairs(self) -> None:
        assert conv_output_size((224, 100), (7, 3), 2, (3, 1)) == (112, 50)
        assert conv_output_size(224, 7, 2, 3) == 112

    def test_rejects_bad_sizes(self) -> None:
        with pytest.raises(ValueError, match="size must be at least 0, but got -3"):
            conv_output_size(-3, 3)
        with pytest.raises(ValueError, match="kernel_size must be at least 1, but got 0"):
            conv_output_size(5, 0)
        with pytest.raises(
            ValueError, match=r"kernel \(extent 7\) is larger than the padded input"
        ):
            conv_output_size(5, 4, dilation=2)


class TestConvTransposeOutputSize:
    @given(
        st.integers(1, 20),
        st.integers(1, 5),
        st.integers(1, 4),
        st.integers(0, 2),
        st.integers(0, 3),
        st.integers(1, 3),
    )
    def test_matches_layer(self, size: int, k: int, s: int, p: int, op: int, d: int) -> None:
        assume(op < max(s, d))
        n = (size - 1) * s - 2 * p + d * (k - 1) + op + 1
        assume(n > 0)
        layer = nn.ConvTranspose2d(1, 1, k, s, p, op, dilation=d)
        assert layer(torch.zeros(1, 1, size, size)).shape[-1] == conv_transpose_output_size(
            size, k, s, p, op, d
        )

    def test_inverts_strided_conv_shape(self) -> None:
        # 111 and 112 both map to 56 under a stride-2 conv; output_padding picks one back
        assert conv_output_size(111, 3, 2, 1) == conv_output_size(112, 3, 2, 1) == 56
        assert conv_transpose_output_size(56, 3, 2, 1) == 111
        assert conv_transpose_output_size(56, 3, 2, 1, output_padding=1) == 112

    def test_rejects_large_output_padding(self) -> None:
        with pytest.raises(
            ValueError,
            match="output_padding must be smaller than stride or dilation, "
            "but got output_padding=2, stride=2",
        ):
            conv_transpose_output_size(5, 3, 2, output_padding=2)
        with pytest.raises(ValueError, match="the output size would be -1"):
            conv_transpose_output_size(1, 1, 1, padding=1)


class TestConvTranspose2d:
    @given(conv_cases(), st.integers(0, 2**31 - 1), st.integers(0, 2))
    def test_matches_torch(self, case: dict, seed: int, op: int) -> None:
        s, d = case["stride"], case["dilation"]
        ops = (min(op, max(s[0], d[0]) - 1), min(op, max(s[1], d[1]) - 1))
        h, w = case["size"]
        for n, k, p, si, di, o in zip(
            (h, w), case["kernel"], case["padding"], s, d, ops, strict=True
        ):
            assume((n - 1) * si - 2 * p + di * (k - 1) + o + 1 > 0)
        g = torch.Generator().manual_seed(seed)
        x = torch.randn(2, case["c_in"], h, w, generator=g, dtype=torch.float64)
        weight = torch.randn(
            case["c_in"],
            case["c_out"] // case["groups"],
            *case["kernel"],
            generator=g,
            dtype=torch.float64,
        )
        b = torch.randn(case["c_out"], generator=g, dtype=torch.float64)
        args = (s, case["padding"], ops, case["groups"], d)
        torch.testing.assert_close(
            conv_transpose2d(x, weight, b, *args),
            F.conv_transpose2d(x, weight, b, *args),
            **tol(torch.float64),
        )

    def test_is_the_adjoint_of_conv2d(self) -> None:
        # <conv(x), y> == <x, conv_transpose(y)> for every x, y: the defining property
        x, y = (
            torch.randn(2, 3, 9, 9, dtype=torch.float64),
            torch.randn(2, 4, 5, 5, dtype=torch.float64),
        )
        w = torch.randn(4, 3, 3, 3, dtype=torch.float64)
        lhs = (conv2d(x, w, stride=2, padding=1) * y).sum()
        rhs = (x * conv_transpose2d(y, w, stride=2, padding=1)).sum()
        torch.testing.assert_close(lhs, rhs, **tol(torch.float64))

    def test_gradcheck_and_no_grad(self) -> None:
        x = torch.randn(1, 2, 4, 4, dtype=torch.float64, requires_grad=True)
        w = torch.randn(2, 3, 3, 3, dtype=torch.float64, requires_grad=True)
        assert torch.autograd.gradcheck(
            lambda a, b: conv_transpose2d(a, b, stride=2, output_padding=1), (x, w)
        )
        with torch.no_grad():
            out = conv_transpose2d(x, w, stride=2)
        torch.testing.assert_close(out, F.conv_transpose2d(x, w, stride=2), **tol(torch.float64))

    def test_under_inference_mode(self) -> None:
        # Regression: autograd is off in inference_mode, and the gradient trick once failed.
        x, w = torch.randn(1, 2, 4, 4), torch.randn(2, 3, 3, 3)
        with torch.inference_mode():
            x_inf, w_inf = x.clone(), w.clone()  # inference tensors, as a model's would be
            ours = conv_transpose2d(x_inf, w_inf, stride=2, output_padding=1)
            theirs = F.conv_transpose2d(x_inf, w_inf, stride=2, output_padding=1)
        torch.testing.assert_close(ours, theirs)

    def test_rejects_channel_mismatch(self) -> None:
        with pytest.raises(
            ValueError,
            match=r"input must have shape \(B, 3, H, W\) to match weight, but got \(1, 2, 4, 4\)",
        ):
            conv_transpose2d(torch.zeros(1, 2, 4, 4), torch.zeros(3, 1, 3, 3))


class TestDeformableConvolution:
    """The page's claims about ``torchvision.ops.deform_conv2d``, checked against ``conv2d``."""

    def test_zero_offsets_are_ordinary_convolution(self) -> None:
        x, w = (
            torch.randn(2, 4, 9, 8, dtype=torch.float64),
            torch.randn(6, 2, 3, 3, dtype=torch.float64),
        )
        offset = torch.zeros(2, 18, 9, 8, dtype=torch.float64)
        w = w.repeat(1, 2, 1, 1)  # [6, 4, 3, 3]: deform_conv2d takes no groups argument
        torch.testing.assert_close(
            deform_conv2d(x, offset, w, padding=1), conv2d(x, w, padding=1), **tol(torch.float64)
        )

    @pytest.mark.parametrize(("dy", "dx"), [(0, 1), (1, 0), (-1, 2)])
    def test_whole_pixel_offsets_shift_the_input(self, dy: int, dx: int) -> None:
        x, w = (
            torch.randn(1, 3, 12, 12, dtype=torch.float64),
            torch.randn(5, 3, 3, 3, dtype=torch.float64),
        )
        offset = torch.zeros(1, 18, 12, 12, dtype=torch.float64)
        offset[:, 0::2], offset[:, 1::2] = dy, dx
        # every tap reads (dy, dx) further on: the same as moving the zero padding around
        moved = F.pad(x, (1 - dx, 1 + dx, 1 - dy, 1 + dy))  # a negative padding crops
        torch.testing.assert_close(
            deform_conv2d(x, offset, w, padding=1),
            conv2d(moved, w),
            **tol(torch.float64),
        )
