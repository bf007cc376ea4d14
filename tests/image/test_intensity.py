"""Gamma correction against scikit-image; noise statistics against their definitions."""

from __future__ import annotations

import numpy as np
import pytest
from skimage import exposure

from reference.image import gamma_correct, gaussian_noise, salt_pepper_noise
from tests.image.conftest import random_image


@pytest.mark.parametrize("gamma", [0.25, 0.5, 1.0, 1.8, 2.2, 4.0])
def test_gamma_correct_equals_scikit_image(photos, gamma: float) -> None:
    photo = photos["astronaut"]
    np.testing.assert_array_equal(gamma_correct(photo, gamma), exposure.adjust_gamma(photo, gamma))
    floats = random_image((17, 9, 3), np.float64)
    np.testing.assert_allclose(gamma_correct(floats, gamma), exposure.adjust_gamma(floats, gamma))


def test_gamma_below_one_brightens_the_darks_and_keeps_the_ends() -> None:
    ramp = np.arange(256, dtype=np.uint8).reshape(16, 16)
    brighter = gamma_correct(ramp, 0.5)
    assert brighter[0, 0] == 0 and brighter[-1, -1] == 255
    assert np.all(brighter >= ramp) and brighter.ravel()[64] == 128  # sqrt(64/255) * 255 = 127.7


def test_gamma_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match=r"gamma must be in \(0, inf\), but got 0"):
        gamma_correct(np.zeros((2, 2), np.uint8), 0)
    with pytest.raises(ValueError, match=r"gamma must be in \(0, inf\), but got -1\.0"):
        gamma_correct(np.zeros((2, 2), np.uint8), -1.0)
    with pytest.raises(ValueError, match=r"a float image must hold values in \[0, 1\]"):
        gamma_correct(np.full((2, 2), 3.0), 0.5)


@pytest.mark.parametrize("amount, salt", [(0.05, 0.5), (0.2, 0.9), (0.5, 0.0)])
def test_salt_pepper_hits_the_requested_fraction(amount: float, salt: float) -> None:
    image = np.full((200, 300, 3), 128, np.uint8)
    noisy = salt_pepper_noise(image, amount, salt, generator=np.random.default_rng(0))
    n = 200 * 300
    white = np.all(noisy == 255, axis=2).sum()
    black = np.all(noisy == 0, axis=2).sum()
    untouched = np.all(noisy == 128, axis=2).sum()
    assert white + black + untouched == n  # whole pixels change, never single channels
    for count, p in [(white, amount * salt), (black, amount * (1 - salt))]:
        assert abs(count - n * p) <= 5 * np.sqrt(n * p * (1 - p)) + 1  # binomial, 5 sigma


def test_salt_pepper_is_reproducible_and_leaves_the_input_alone() -> None:
    image = random_image((20, 30), np.float32)
    before = image.copy()
    a = salt_pepper_noise(image, 0.3, generator=np.random.default_rng(5))
    b = salt_pepper_noise(image, 0.3, generator=np.random.default_rng(5))
    np.testing.assert_array_equal(a, b)
    # numpy's legacy global generator, the one np.random.rand draws from, is never used
    state = np.random.get_state()[1].copy()  # noqa: NPY002
    salt_pepper_noise(image, 0.3)
    gaussian_noise(image, 0.1)
    np.testing.assert_array_equal(np.random.get_state()[1], state)  # noqa: NPY002
    with pytest.raises(TypeError, match=r"generator must be a numpy\.random\.Generator"):
        salt_pepper_noise(image, 0.3, generator=5)
    np.testing.assert_array_equal(image, before)
    changed = a != image
    assert set(np.unique(a[changed])) <= {0.0, 1.0}
    np.testing.assert_array_equal(
        salt_pepper_noise(image, 0.0, generator=np.random.default_rng(1)), image
    )


def test_gaussian_noise_has_the_requested_spread() -> None:
    image = np.full((300, 300), 128, np.uint8)
    noise = gaussian_noise(image, 10.0, generator=np.random.default_rng(0)).astype(float) - 128
    assert abs(noise.mean()) < 0.2 and abs(noise.std() - 10) < 0.2  # rounding adds 1/12 var
    clipped = gaussian_noise(np.zeros((100, 100)), 0.5, generator=np.random.default_rng(0))
    assert clipped.min() == 0 and clipped.max() <= 1 and 0.4 < (clipped == 0).mean() < 0.6


@pytest.mark.parametrize(
    "call, message",
    [
        (
            lambda im: salt_pepper_noise(im, 1.5),
            r"amount must be a number in \[0, 1\], but got 1.5",
        ),
        (
            lambda im: salt_pepper_noise(im, 0.1, -0.1),
            r"salt_vs_pepper must be a number in \[0, 1\]",
        ),
        (lambda im: gaussian_noise(im, -2), r"sigma must be in \[0, inf\), but got -2"),
    ],
)
def test_noise_rejects_bad_input(call, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call(np.zeros((4, 4), np.uint8))
