"""Image processing: OpenCV's everyday calls, in NumPy."""

from reference.image.essentials import (
    equalize_hist,
    gradient_magnitude,
    laplacian,
    sobel,
    sobel_kernels,
    to_gray,
    to_rgb,
)

__all__ = [
    "equalize_hist",
    "gradient_magnitude",
    "laplacian",
    "sobel",
    "sobel_kernels",
    "to_gray",
    "to_rgb",
]
