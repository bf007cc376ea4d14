"""Image cases: every filter and pyramid step against OpenCV on a 512 x 512 x 3 uint8 photo."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import cv2
import numpy as np
from skimage import data

from reference.image import (
    box_blur,
    gaussian_blur,
    max_filter,
    median_blur,
    min_filter,
    pyr_down,
    pyr_up,
)


def cases() -> Iterator[tuple[str, int, Callable[[], object], Callable[[], object]]]:
    photo = np.ascontiguousarray(data.astronaut())  # 512 x 512 x 3, uint8
    size = photo.size
    square = np.ones((5, 5), np.uint8)
    small = cv2.pyrDown(photo)
    yield (
        "GaussianBlur 5x5",
        size,
        lambda: gaussian_blur(photo, 5),
        lambda: cv2.GaussianBlur(photo, (5, 5), 0),
    )
    yield (
        "GaussianBlur 9x9 s=2",
        size,
        lambda: gaussian_blur(photo, 9, 2.0),
        lambda: cv2.GaussianBlur(photo, (9, 9), 2.0),
    )
    yield "blur 5x5", size, lambda: box_blur(photo, 5), lambda: cv2.blur(photo, (5, 5))
    yield "medianBlur 3", size, lambda: median_blur(photo, 3), lambda: cv2.medianBlur(photo, 3)
    yield "medianBlur 5", size, lambda: median_blur(photo, 5), lambda: cv2.medianBlur(photo, 5)
    yield "medianBlur 7", size, lambda: median_blur(photo, 7), lambda: cv2.medianBlur(photo, 7)
    yield "dilate 5x5", size, lambda: max_filter(photo, 5), lambda: cv2.dilate(photo, square)
    yield "erode 5x5", size, lambda: min_filter(photo, 5), lambda: cv2.erode(photo, square)
    yield "pyrDown", size, lambda: pyr_down(photo), lambda: cv2.pyrDown(photo)
    yield "pyrUp (256 -> 512)", size, lambda: pyr_up(small), lambda: cv2.pyrUp(small)
