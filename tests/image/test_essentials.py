"""The essentials helpers against OpenCV itself, on random arrays and on real photographs."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from skimage import data

from reference.image import (
    equalize_hist,
    gradient_magnitude,
    laplacian,
    sobel,
    sobel_kernels,
    to_gray,
    to_rgb,
)

# Real photographs, converted to OpenCV's BGR order where they have colour.
COLOUR_PHOTOS = {
    "astronaut": data.astronaut()[..., ::-1],
    "chelsea": data.chelsea()[..., ::-1],
    "coffee": data.coffee()[..., ::-1],
}
GRAY_PHOTOS = {
    "camera": data.camera(),
    "coins": data.coins(),
    "moon": data.moon(),
    "page": data.page(),
    "text": data.text(),
}

ODD_SIZES = [(1, 1), (1, 7), (6, 1), (2, 2), (3, 5), (17, 23), (64, 49)]

uint8_images = hnp.arrays(
    np.uint8,
    st.tuples(st.integers(1, 40), st.integers(1, 40)),
    elements=st.integers(0, 255),
)


def random_uint8(shape: tuple[int, ...], seed: int, high: int = 256) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, high, shape, dtype=np.uint8)


class TestToRgb:
    @pytest.mark.parametrize("name", COLOUR_PHOTOS)
    def test_matches_opencv_on_photos(self, name: str) -> None:
        bgr = np.ascontiguousarray(COLOUR_PHOTOS[name])
        np.testing.assert_array_equal(to_rgb(bgr), cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))

    @pytest.mark.parametrize("shape", ODD_SIZES)
    def test_matches_opencv_on_random(self, shape: tuple[int, int]) -> None:
        bgr = random_uint8((*shape, 3), seed=shape[0] * 100 + shape[1])
        np.testing.assert_array_equal(to_rgb(bgr), cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
        as_float = bgr.astype(np.float32) / 255
        np.testing.assert_array_equal(to_rgb(as_float), cv2.cvtColor(as_float, cv2.COLOR_BGR2RGB))

    def test_only_reorders_channels(self) -> None:
        bgr = random_uint8((9, 11, 3), seed=1)
        rgb = to_rgb(bgr)
        np.testing.assert_array_equal(rgb[..., 0], bgr[..., 2])
        np.testing.assert_array_equal(rgb[..., 1], bgr[..., 1])
        np.testing.assert_array_equal(rgb[..., 2], bgr[..., 0])
        np.testing.assert_array_equal(to_rgb(rgb), bgr)  # its own inverse
        assert rgb.flags.c_contiguous

    def test_rejects_bad_input(self) -> None:
        with pytest.raises(
            ValueError, match=r"image must have shape \(H, W, C\), but got \(4, 5\)"
        ):
            to_rgb(np.zeros((4, 5), np.uint8))
        with pytest.raises(
            ValueError, match=r"image must have shape \(H, W, 3\) in BGR order, but got \(4, 5, 4\)"
        ):
            to_rgb(np.zeros((4, 5, 4), np.uint8))
        with pytest.raises(TypeError, match="image must be a numpy array, but got list"):
            to_rgb([[[0, 0, 0]]])
        with pytest.raises(
            TypeError, match="image must be uint8, float32 or float64, but got int64"
        ):
            to_rgb(np.zeros((4, 5, 3), np.int64))
        with pytest.raises(ValueError, match=r"image must not be empty, but got shape \(0, 5, 3\)"):
            to_rgb(np.zeros((0, 5, 3), np.uint8))


class TestToGray:
    @pytest.mark.parametrize("name", COLOUR_PHOTOS)
    def test_matches_opencv_exactly_on_photos(self, name: str) -> None:
        bgr = np.ascontiguousarray(COLOUR_PHOTOS[name])
        np.testing.assert_array_equal(to_gray(bgr), cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY))

    @pytest.mark.parametrize("shape", ODD_SIZES)
    def test_matches_opencv_exactly_on_random(self, shape: tuple[int, int]) -> None:
        bgr = random_uint8((*shape, 3), seed=shape[0] * 100 + shape[1])
        np.testing.assert_array_equal(to_gray(bgr), cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY))

    def test_every_colour_of_a_cube_lattice(self) -> None:
        levels = np.arange(0, 256, 5, dtype=np.uint8)  # 52 levels: 140,608 colours
        bgr = np.stack(np.meshgrid(levels, levels, levels, indexing="ij"), axis=-1).reshape(
            -1, 52, 3
        )
        np.testing.assert_array_equal(to_gray(bgr), cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY))

    def test_float_matches_opencv(self) -> None:
        bgr = random_uint8((31, 17, 3), seed=2).astype(np.float32) / 255
        got = to_gray(bgr)
        assert got.dtype == np.float32
        np.testing.assert_allclose(got, cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY), rtol=0, atol=1e-6)
        # float64 is not an OpenCV type; it must agree with float32 OpenCV to float32 accuracy
        np.testing.assert_allclose(
            to_gray(bgr.astype(np.float64)),
            cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY),
            rtol=0,
            atol=1e-6,
        )

    def test_weights_the_channels_as_bt601(self) -> None:
        # a pure blue, green and red pixel: the weights themselves, within half a level
        pure = np.array([[[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 255]]], np.uint8)
        np.testing.assert_allclose(
            to_gray(pure)[0], [0.114 * 255, 0.587 * 255, 0.299 * 255, 255], atol=0.5
        )

    def test_rejects_bad_input(self) -> None:
        with pytest.raises(
            ValueError, match=r"image must have shape \(H, W, C\), but got \(4, 5\)"
        ):
            to_gray(np.zeros((4, 5), np.uint8))
        with pytest.raises(
            TypeError, match="image must be uint8, float32 or float64, but got uint16"
        ):
            to_gray(np.zeros((4, 5, 3), np.uint16))


def equalize_hist_loop(gray: np.ndarray) -> np.ndarray:
    """Equalisation as OpenCV's histogram.cpp writes it: a running sum, level by level."""
    hist = [0] * 256
    for value in gray.ravel().tolist():
        hist[value] += 1
    i = 0
    while hist[i] == 0:
        i += 1
    if hist[i] == gray.size:
        return np.full_like(gray, i)
    scale = np.float32(255.0) / np.float32(gray.size - hist[i])
    lut = [0] * 256
    running = 0
    for level in range(i + 1, 256):
        running += hist[level]
        lut[level] = int(np.clip(np.rint(np.float32(running) * scale), 0, 255))
    return np.array(lut, np.uint8)[gray]


class TestEqualizeHist:
    @pytest.mark.parametrize("name", GRAY_PHOTOS)
    def test_matches_opencv_exactly_on_photos(self, name: str) -> None:
        gray = GRAY_PHOTOS[name]
        np.testing.assert_array_equal(equalize_hist(gray), cv2.equalizeHist(gray))

    @pytest.mark.parametrize("name", COLOUR_PHOTOS)
    def test_matches_opencv_exactly_on_grey_of_colour_photos(self, name: str) -> None:
        gray = cv2.cvtColor(np.ascontiguousarray(COLOUR_PHOTOS[name]), cv2.COLOR_BGR2GRAY)
        np.testing.assert_array_equal(equalize_hist(gray), cv2.equalizeHist(gray))

    @pytest.mark.parametrize("seed", range(200))
    def test_matches_opencv_exactly_on_random(self, seed: int) -> None:
        # narrow, shifted and skewed histograms, where rounding ties are most likely
        rng = np.random.default_rng(seed)
        h, w = (int(n) for n in rng.integers(1, 120, 2))
        low = int(rng.integers(0, 250))
        width = int(rng.integers(1, 256 - low))
        gray = (
            low + rng.integers(0, width + 1, (h, w)) ** rng.choice([1, 2]) % (width + 1)
        ).astype(np.uint8)
        np.testing.assert_array_equal(equalize_hist(gray), cv2.equalizeHist(gray))
        np.testing.assert_array_equal(equalize_hist(gray), equalize_hist_loop(gray))

    @given(uint8_images)
    def test_matches_opencv_exactly_hypothesis(self, gray: np.ndarray) -> None:
        np.testing.assert_array_equal(equalize_hist(gray), cv2.equalizeHist(gray))

    @pytest.mark.parametrize("value", [0, 1, 128, 254, 255])
    @pytest.mark.parametrize("shape", [(1, 1), (3, 7), (40, 40)])
    def test_constant_image_is_unchanged(self, value: int, shape: tuple[int, int]) -> None:
        gray = np.full(shape, value, np.uint8)
        np.testing.assert_array_equal(cv2.equalizeHist(gray), gray)
        np.testing.assert_array_equal(equalize_hist(gray), gray)

    def test_two_levels_become_black_and_white(self) -> None:
        gray = np.array([[100, 100, 101]], np.uint8)
        np.testing.assert_array_equal(equalize_hist(gray), [[0, 0, 255]])
        np.testing.assert_array_equal(cv2.equalizeHist(gray), [[0, 0, 255]])

    def test_is_monotone_and_spans_the_range(self) -> None:
        gray = GRAY_PHOTOS["moon"]
        out = equalize_hist(gray)
        order = np.argsort(gray.ravel(), kind="stable")
        assert (np.diff(out.ravel()[order].astype(int)) >= 0).all()
        assert out.min() == 0 and out.max() == 255

    def test_rejects_bad_input(self) -> None:
        with pytest.raises(ValueError, match=r"gray must have shape \(H, W\), but got \(4, 5, 3\)"):
            equalize_hist(np.zeros((4, 5, 3), np.uint8))
        with pytest.raises(TypeError, match="gray must be uint8, but got float32"):
            equalize_hist(np.zeros((4, 5), np.float32))
        with pytest.raises(ValueError, match=r"gray must not be empty, but got shape \(4, 0\)"):
            equalize_hist(np.zeros((4, 0), np.uint8))


def derivative_cases() -> list[tuple[int, int, int]]:
    cases = []
    for ksize in (1, 3, 5, 7):
        limit = 3 if ksize == 1 else min(ksize, 4)
        cases += [(dx, dy, ksize) for dx in range(limit) for dy in range(limit) if dx + dy > 0]
    return cases


class TestSobel:
    @pytest.mark.parametrize(("dx", "dy", "ksize"), derivative_cases())
    def test_kernels_match_opencv(self, dx: int, dy: int, ksize: int) -> None:
        kx, ky = cv2.getDerivKernels(dx, dy, ksize)
        np.testing.assert_array_equal(sobel_kernels(dx, ksize), kx.ravel())
        np.testing.assert_array_equal(sobel_kernels(dy, ksize), ky.ravel())

    @pytest.mark.parametrize(("dx", "dy", "ksize"), derivative_cases())
    @pytest.mark.parametrize("shape", ODD_SIZES)
    def test_matches_opencv_exactly_on_random_uint8(
        self, dx: int, dy: int, ksize: int, shape: tuple[int, int]
    ) -> None:
        # uint8 sums are integers below 2**53, so float64 gives them exactly in any order
        image = random_uint8(shape, seed=dx + 3 * dy + 7 * ksize)
        np.testing.assert_array_equal(
            sobel(image, dx, dy, ksize), cv2.Sobel(image, cv2.CV_64F, dx, dy, ksize=ksize)
        )

    @pytest.mark.parametrize("name", GRAY_PHOTOS)
    @pytest.mark.parametrize(("dx", "dy"), [(1, 0), (0, 1), (1, 1), (2, 0)])
    def test_matches_opencv_exactly_on_photos(self, name: str, dx: int, dy: int) -> None:
        image = GRAY_PHOTOS[name]
        np.testing.assert_array_equal(
            sobel(image, dx, dy), cv2.Sobel(image, cv2.CV_64F, dx, dy, ksize=3)
        )

    @pytest.mark.parametrize("name", COLOUR_PHOTOS)
    def test_filters_channels_separately(self, name: str) -> None:
        image = np.ascontiguousarray(COLOUR_PHOTOS[name])
        np.testing.assert_array_equal(
            sobel(image, 1, 0, 5), cv2.Sobel(image, cv2.CV_64F, 1, 0, ksize=5)
        )

    @pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int16, np.uint16])
    def test_other_dtypes(self, dtype: type) -> None:
        rng = np.random.default_rng(3)
        image = (
            (rng.standard_normal((23, 19)) * 1000).astype(dtype)
            if dtype in (np.float32, np.float64)
            else (
                rng.integers(
                    np.iinfo(dtype).min, np.iinfo(dtype).max, (23, 19), endpoint=True
                ).astype(dtype)
            )
        )
        expected = cv2.Sobel(image, cv2.CV_64F, 1, 1, ksize=5)
        np.testing.assert_allclose(sobel(image, 1, 1, 5), expected, rtol=1e-12, atol=1e-9)

    @pytest.mark.parametrize("ksize", [9, 15, 31])
    def test_large_kernels(self, ksize: int) -> None:
        # taps up to C(30, 15) ~ 1.6e8: sums leave float64's exact integers, compare relatively
        image = random_uint8((40, 45), seed=ksize)
        expected = cv2.Sobel(image, cv2.CV_64F, 1, 2, ksize=ksize)
        np.testing.assert_allclose(
            sobel(image, 1, 2, ksize), expected, rtol=1e-12, atol=1e-9 * np.abs(expected).max()
        )

    def test_sign_of_a_ramp(self) -> None:
        ramp = np.tile(np.arange(0, 50, 5, dtype=np.uint8), (6, 1))  # brighter to the right
        gx = sobel(ramp, 1, 0)
        np.testing.assert_array_equal(gx[:, 1:-1], 4 * 10)  # (1+2+1) * (next - previous)
        np.testing.assert_array_equal(gx[:, [0, -1]], 0)  # reflect-101 mirrors the neighbours
        np.testing.assert_array_equal(sobel(ramp, 0, 1), 0)

    def test_constant_image_has_no_derivative(self) -> None:
        flat = np.full((7, 9, 3), 200, np.uint8)
        for dx, dy, ksize in derivative_cases():
            np.testing.assert_array_equal(sobel(flat, dx, dy, ksize), 0)

    def test_rejects_bad_input(self) -> None:
        image = np.zeros((5, 5), np.uint8)
        with pytest.raises(ValueError, match="ksize must be odd and in \\[1, 31\\], but got 4"):
            sobel(image, 1, 0, 4)
        with pytest.raises(ValueError, match="ksize must be in \\[1, 31\\], but got 0"):
            sobel(image, 1, 0, 0)
        with pytest.raises(ValueError, match="dx must be in \\[0, 2\\] for ksize=3, but got 3"):
            sobel(image, 3, 0, 3)
        with pytest.raises(ValueError, match="dy must be in \\[0, 2\\] for ksize=1, but got -1"):
            sobel(image, 1, -1, 1)
        with pytest.raises(ValueError, match="dx and dy must not both be 0"):
            sobel(image, 0, 0)
        with pytest.raises(
            ValueError,
            match=r"image must have shape \(H, W\) or \(H, W, C\), but got \(1, 5, 5, 1\)",
        ):
            sobel(image[None, ..., None], 1, 0)
        with pytest.raises(
            TypeError,
            match="image must be uint8, uint16, int16, float32 or float64, but got bool",
        ):
            sobel(image.astype(bool), 1, 0)


class TestLaplacian:
    @pytest.mark.parametrize("ksize", [1, 3, 5, 7])
    @pytest.mark.parametrize("shape", ODD_SIZES)
    def test_matches_opencv_exactly(self, ksize: int, shape: tuple[int, int]) -> None:
        image = random_uint8(shape, seed=ksize)
        np.testing.assert_array_equal(
            laplacian(image, ksize=ksize), cv2.Laplacian(image, cv2.CV_64F, ksize=ksize)
        )

    @pytest.mark.parametrize("name", GRAY_PHOTOS)
    def test_matches_opencv_exactly_on_photos(self, name: str) -> None:
        image = GRAY_PHOTOS[name]
        np.testing.assert_array_equal(laplacian(image), cv2.Laplacian(image, cv2.CV_64F))

    @pytest.mark.parametrize(
        ("ksize", "kernel"),
        [(1, [[0, 1, 0], [1, -4, 1], [0, 1, 0]]), (3, [[2, 0, 2], [0, -8, 0], [2, 0, 2]])],
    )
    def test_impulse_response_is_the_documented_kernel(
        self, ksize: int, kernel: list[list[int]]
    ) -> None:
        impulse = np.zeros((5, 5), np.uint8)
        impulse[2, 2] = 1
        np.testing.assert_array_equal(laplacian(impulse, ksize=ksize)[1:4, 1:4], kernel)


class TestGradientMagnitude:
    @pytest.mark.parametrize("name", GRAY_PHOTOS)
    @pytest.mark.parametrize("ksize", [1, 3, 5])
    def test_matches_opencv(self, name: str, ksize: int) -> None:
        image = GRAY_PHOTOS[name]
        gx = cv2.Sobel(image, cv2.CV_64F, 1, 0, ksize=ksize)
        gy = cv2.Sobel(image, cv2.CV_64F, 0, 1, ksize=ksize)
        np.testing.assert_allclose(
            gradient_magnitude(image, ksize), cv2.magnitude(gx, gy), rtol=1e-15, atol=0
        )

    @given(uint8_images)
    def test_matches_opencv_hypothesis(self, image: np.ndarray) -> None:
        gx = cv2.Sobel(image, cv2.CV_64F, 1, 0)
        gy = cv2.Sobel(image, cv2.CV_64F, 0, 1)
        np.testing.assert_allclose(
            gradient_magnitude(image), cv2.magnitude(gx, gy), rtol=1e-15, atol=0
        )

    def test_rejects_bad_input(self) -> None:
        with pytest.raises(ValueError, match="ksize must be odd"):
            gradient_magnitude(np.zeros((5, 5), np.uint8), ksize=2)
