"""reference.cnn.pooling against F.max_pool2d, F.avg_pool2d and F.interpolate."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from hypothesis import assume, given
from hypothesis import strategies as st
from skimage import data

from reference.cnn import avg_pool2d, bilinear_interpolate, max_pool2d, nearest_interpolate
from tests.conftest import tol


@st.composite
def pool_cases(draw: st.DrawFn) -> dict:
    k = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    s = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    p = (draw(st.integers(0, k[0] // 2)), draw(st.integers(0, k[1] // 2)))
    size = (draw(st.integers(1, 13)), draw(st.integers(1, 13)))
    for n, ki, pi in zip(size, k, p, strict=True):
        assume(n + 2 * pi >= ki)
    return dict(kernel_size=k, stride=s, padding=p, size=size, ceil_mode=draw(st.booleans()))


def image() -> torch.Tensor:
    """scikit-image's coffee photograph as a float64 [1, 3, 400, 600] batch in [0, 1]."""
    return torch.from_numpy(data.coffee()).permute(2, 0, 1)[None].double() / 255


class TestMaxPool2d:
    @given(pool_cases(), st.integers(1, 2), st.integers(0, 2**31 - 1))
    def test_matches_torch(self, case: dict, dilation: int, seed: int) -> None:
        size = case.pop("size")
        k, p = case["kernel_size"], case["padding"]
        assume(
            all(n + 2 * pi >= dilation * (ki - 1) + 1 for n, ki, pi in zip(size, k, p, strict=True))
        )
        x = torch.randn(
            2, 3, *size, generator=torch.Generator().manual_seed(seed), dtype=torch.float64
        )
        got = max_pool2d(x, dilation=dilation, return_indices=True, **case)
        want = F.max_pool2d(x, dilation=dilation, return_indices=True, **case)
        assume(torch.isfinite(want[0]).all())  # windows wholly in the padding have no argmax
        assert torch.equal(got[0], want[0])
        assert torch.equal(got[1], want[1])

    def test_real_image_and_unpool(self) -> None:
        x = image()
        values, indices = max_pool2d(x, 3, 2, 1, return_indices=True)
        assert torch.equal(values, F.max_pool2d(x, 3, 2, 1))
        # the indices are what max_unpool2d needs to put each maximum back where it was
        unpooled = F.max_unpool2d(values, indices, 2, 2, output_size=x.shape[2:])
        assert torch.equal(unpooled.flatten(2).gather(2, indices.flatten(2)), values.flatten(2))

    def test_padding_is_minus_infinity(self) -> None:
        x = -torch.ones(1, 1, 2, 2)
        assert torch.equal(max_pool2d(x, 3, 1, 1), -torch.ones(1, 1, 2, 2))  # never 0

    def test_nan_propagates(self) -> None:
        x = torch.tensor([[[[1.0, float("nan")], [3.0, 4.0]]]])
        assert max_pool2d(x, 2).isnan().all() and F.max_pool2d(x, 2).isnan().all()

    def test_gradient_only_to_argmax(self) -> None:
        x = torch.randn(1, 1, 4, 4, dtype=torch.float64, requires_grad=True)
        max_pool2d(x, 2).sum().backward()
        assert x.grad.sum() == 4 and ((x.grad == 0) | (x.grad == 1)).all()

    def test_rejects_large_padding(self) -> None:
        with pytest.raises(
            ValueError,
            match=r"padding must be at most half the kernel size \(3, 3\), but got \(2, 2\)",
        ):
            max_pool2d(torch.zeros(1, 1, 8, 8), 3, padding=2)

    def test_rejects_kernel_larger_than_input(self) -> None:
        with pytest.raises(ValueError, match="is larger than the padded input"):
            max_pool2d(torch.zeros(1, 1, 2, 2), 3)

    @pytest.mark.parametrize(("size", "kernel", "stride"), [(2, 3, 3), (2, 3, 2), (3, 4, 3)])
    def test_ceil_mode_kernel_larger_than_input(self, size: int, kernel: int, stride: int) -> None:
        # Regression: torch gives one window here (its division rounds towards -inf).
        x = torch.randn(1, 2, size, size + 1, dtype=torch.float64)
        for ours, theirs in ((max_pool2d, F.max_pool2d), (avg_pool2d, F.avg_pool2d)):
            want = theirs(x, kernel, stride, ceil_mode=True)
            assert want.shape[2] == 1
            torch.testing.assert_close(ours(x, kernel, stride, ceil_mode=True), want)

    @pytest.mark.parametrize(
        "case",
        [dict(kernel_size=2, stride=1), dict(kernel_size=3, stride=2, padding=1),
         dict(kernel_size=2, stride=2, ceil_mode=True),
         dict(kernel_size=3, stride=2, padding=1, dilation=2)],
    )  # fmt: skip
    def test_indices_of_minus_inf_and_nan_windows(self, case: dict) -> None:
        # Regression: an all -inf window once pointed at the padding (-1); torch points at
        # its first pixel inside the input, and at the last NaN of a window with NaNs.
        inf, nan = float("inf"), float("nan")
        x = torch.tensor([[-inf, -inf, 1.0, -inf], [-inf, -inf, 2.0, nan], [3.0, nan, 5.0, nan]])
        x = torch.cat([x[None, None], torch.full((1, 1, 3, 4), -inf)], dim=1)
        values, indices = max_pool2d(x, return_indices=True, **case)
        want_values, want_indices = F.max_pool2d(x, return_indices=True, **case)
        torch.testing.assert_close(values, want_values, equal_nan=True)
        assert indices.tolist() == want_indices.tolist()


class TestAvgPool2d:
    @given(pool_cases(), st.booleans(), st.integers(0, 2**31 - 1))
    def test_matches_torch(self, case: dict, include_pad: bool, seed: int) -> None:
        size = case.pop("size")
        x = torch.randn(
            2, 3, *size, generator=torch.Generator().manual_seed(seed), dtype=torch.float64
        )
        got = avg_pool2d(x, count_include_pad=include_pad, **case)
        want = F.avg_pool2d(x, count_include_pad=include_pad, **case)
        torch.testing.assert_close(got, want, **tol(torch.float64))

    def test_real_image(self) -> None:
        x = image()
        for ceil_mode in (False, True):
            torch.testing.assert_close(
                avg_pool2d(x, 3, 2, 1, ceil_mode=ceil_mode, count_include_pad=False),
                F.avg_pool2d(x, 3, 2, 1, ceil_mode=ceil_mode, count_include_pad=False),
                **tol(torch.float64),
            )

    def test_divisor_override(self) -> None:
        x = torch.randn(1, 2, 7, 7, dtype=torch.float64)
        torch.testing.assert_close(
            avg_pool2d(x, 3, 2, 1, divisor_override=5),
            F.avg_pool2d(x, 3, 2, 1, divisor_override=5),
            **tol(torch.float64),
        )

    def test_constant_stays_constant_without_pad(self) -> None:
        x = torch.full((1, 1, 5, 5), 2.0, dtype=torch.float64)
        assert torch.equal(
            avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False),
            torch.full((1, 1, 3, 3), 2.0, dtype=torch.float64),
        )
        assert avg_pool2d(x, 3, 2, 1)[0, 0, 0, 0] == pytest.approx(2.0 * 4 / 9)  # zeros counted

    def test_gradcheck(self) -> None:
        x = torch.randn(1, 2, 5, 6, dtype=torch.float64, requires_grad=True)
        assert torch.autograd.gradcheck(lambda t: avg_pool2d(t, 3, 2, 1, ceil_mode=True), (x,))

    def test_rejects_bad_input(self) -> None:
        with pytest.raises(
            ValueError, match=r"input must have shape \(B, C, H, W\), but got \(5, 5\)"
        ):
            avg_pool2d(torch.zeros(5, 5), 2)
        with pytest.raises(ValueError, match=r"divisor_override must be in \[1, inf\), but got 0"):
            avg_pool2d(torch.zeros(1, 1, 5, 5), 2, divisor_override=0)


interp_sizes = st.tuples(st.integers(1, 9), st.integers(1, 9))


class TestNearestInterpolate:
    @given(interp_sizes, interp_sizes)
    def test_matches_torch_size(self, size_in: tuple[int, int], size_out: tuple[int, int]) -> None:
        x = torch.randn(1, 2, *size_in, dtype=torch.float64)
        assert torch.equal(
            nearest_interpolate(x, size_out), F.interpolate(x, size_out, mode="nearest")
        )

    @given(interp_sizes, st.floats(0.3, 4.0))
    def test_matches_torch_scale(self, size_in: tuple[int, int], scale: float) -> None:
        assume(min(size_in) * scale >= 1)
        x = torch.randn(1, 2, *size_in, dtype=torch.float64)
        assert torch.equal(
            nearest_interpolate(x, scale_factor=scale),
            F.interpolate(x, scale_factor=scale, mode="nearest"),
        )

    def test_real_image_integer_scale_repeats_pixels(self) -> None:
        x = image()[:, :, :50, :60]
        up = nearest_interpolate(x, scale_factor=2)
        assert torch.equal(up, x.repeat_interleave(2, 2).repeat_interleave(2, 3))

    def test_every_size_pair_matches_torch(self) -> None:
        # Regression: torch computes in / out in float32, which picks another row for a few
        # pairs (14 -> 46, an FPN's, among them) than the exact quotient does.
        x = torch.arange(80.0)
        for n_in in range(1, 80):
            column = x[:n_in].view(1, 1, n_in, 1)
            for n_out in range(1, 120):
                want = F.interpolate(column, size=(n_out, 1), mode="nearest")
                assert torch.equal(nearest_interpolate(column, size=(n_out, 1)), want)

    def test_rejects_size_and_scale(self) -> None:
        with pytest.raises(ValueError, match="exactly one of size and scale_factor must be given"):
            nearest_interpolate(torch.zeros(1, 1, 4, 4), 8, 2.0)
        with pytest.raises(ValueError, match=r"scale_factor must be in \(0, inf\), but got -1"):
            nearest_interpolate(torch.zeros(1, 1, 4, 4), scale_factor=-1)


class TestBilinearInterpolate:
    @given(interp_sizes, interp_sizes, st.booleans())
    def test_matches_torch_size(
        self, size_in: tuple[int, int], size_out: tuple[int, int], align: bool
    ) -> None:
        x = torch.randn(2, 2, *size_in, dtype=torch.float64)
        want = F.interpolate(x, size_out, mode="bilinear", align_corners=align)
        torch.testing.assert_close(
            bilinear_interpolate(x, size_out, align_corners=align), want, **tol(torch.float64)
        )

    @given(interp_sizes, st.floats(0.3, 4.0), st.booleans())
    def test_matches_torch_scale(self, size_in: tuple[int, int], scale: float, align: bool) -> None:
        assume(min(size_in) * scale >= 1)
        x = torch.randn(1, 2, *size_in, dtype=torch.float64)
        want = F.interpolate(x, scale_factor=scale, mode="bilinear", align_corners=align)
        torch.testing.assert_close(
            bilinear_interpolate(x, scale_factor=scale, align_corners=align),
            want,
            **tol(torch.float64),
        )

    def test_real_image(self) -> None:
        x = image()
        for align in (False, True):
            want = F.interpolate(x, (123, 777), mode="bilinear", align_corners=align)
            torch.testing.assert_close(
                bilinear_interpolate(x, (123, 777), align_corners=align), want, **tol(torch.float64)
            )

    def test_linear_ramp_is_reproduced(self) -> None:
        # bilinear interpolation is exact on a linear function (away from the clamped border)
        ramp = torch.arange(8, dtype=torch.float64).view(1, 1, 1, 8).expand(1, 1, 2, 8)
        up = bilinear_interpolate(ramp, (2, 15), align_corners=True)
        torch.testing.assert_close(up[0, 0, 0], torch.linspace(0, 7, 15, dtype=torch.float64))

    def test_gradcheck(self) -> None:
        x = torch.randn(1, 1, 4, 5, dtype=torch.float64, requires_grad=True)
        assert torch.autograd.gradcheck(lambda t: bilinear_interpolate(t, (7, 3)), (x,))

    def test_rejects_integer_images(self) -> None:
        # Regression: the weights were cast to uint8 (0 or 1) and the result was silently
        # wrong; torch has a separate fixed-point kernel for uint8.
        with pytest.raises(TypeError, match="input must be a floating-point tensor, but got"):
            bilinear_interpolate(torch.zeros(1, 1, 4, 4, dtype=torch.uint8), (7, 3))

    def test_rejects_bad_input(self) -> None:
        with pytest.raises(ValueError, match=r"input must have shape \(B, C, H, W\)"):
            bilinear_interpolate(torch.zeros(4, 4), (8, 8))
        with pytest.raises(ValueError, match="size must be at least 1, but got 0"):
            bilinear_interpolate(torch.zeros(1, 1, 4, 4), 0)
