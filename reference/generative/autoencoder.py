"""Autoencoders: a small dense one, its reconstruction error as an anomaly score, ROC AUC,
and CycleGAN's cycle-consistency loss.

``make_digits`` renders 8 x 8 digits from the fonts that ship with matplotlib, so the
pages need no downloaded data set. Tests: ``tests/generative/test_autoencoder.py``.
"""

from __future__ import annotations

# --8<-- [start:imports]
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import matplotlib
import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, ImageDraw, ImageFont
from torch import Tensor, nn

from reference.checks import (
    check_callable,
    check_data,
    check_finite,
    check_floating,
    check_instance,
    check_int,
    check_module_input,
    check_nonempty,
    check_range,
    check_same_device,
    check_same_length,
    check_shape,
)

# --8<-- [end:imports]

__all__ = [
    "AnomalyExperiment",
    "Autoencoder",
    "anomaly_experiment",
    "cycle_consistency_loss",
    "fit_autoencoder",
    "make_digits",
    "reconstruction_error",
    "roc_auc",
]


# --8<-- [start:make_digits]
_FONTS = [
    "DejaVuSans.ttf",
    "DejaVuSans-Bold.ttf",
    "DejaVuSans-Oblique.ttf",
    "DejaVuSerif.ttf",
    "DejaVuSerif-Bold.ttf",
    "DejaVuSansMono.ttf",
    "STIXGeneral.ttf",
    "STIXGeneralBol.ttf",
    "cmr10.ttf",
    "cmss10.ttf",
]


def make_digits(per_class: int, size: int = 8, seed: int = 0) -> tuple[Tensor, Tensor]:
    """Handwriting-like digit images, rendered from ten fonts with random jitter.

    Each image is a digit drawn large in a random font, rotated by up to 12 degrees,
    scaled and shifted a little, then averaged down to ``size x size`` pixels: the
    format of the UCI 8 x 8 digits (values here in [0, 1] rather than 0..16).

    Returns:
        images (Tensor[N, size * size]) float32 in [0, 1], N = 10 * per_class;
        labels (Tensor[N]) int64 in 0..9, class by class.
    """
    per_class, size = check_int("per_class", per_class, 1), check_int("size", size, 1)
    rng = np.random.default_rng(check_int("seed", seed, 0))
    font_dir = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    fonts = [ImageFont.truetype(str(font_dir / name), 60) for name in _FONTS]
    canvas = 8 * size  # draw at 8x, then average 8 x 8 blocks into one pixel
    images = []
    for digit in range(10):
        for _ in range(per_class):
            picture = Image.new("L", (canvas, canvas), 0)
            font = fonts[rng.integers(len(fonts))]
            ImageDraw.Draw(picture).text(
                (canvas / 2, canvas / 2), str(digit), fill=255, font=font, anchor="mm"
            )
            scale = rng.uniform(0.8, 1.05)
            angle = np.deg2rad(rng.uniform(-12, 12))
            shift = rng.uniform(-3, 3, size=2)
            # inverse affine map (output -> input pixel) about the centre, for PIL
            c, s = np.cos(angle) / scale, np.sin(angle) / scale
            centre = canvas / 2
            a, b = c, -s
            d, e = s, c
            x0 = centre - a * (centre + shift[0]) - b * (centre + shift[1])
            y0 = centre - d * (centre + shift[0]) - e * (centre + shift[1])
            affine = (a, b, x0, d, e, y0)
            picture = picture.transform(
                picture.size, Image.Transform.AFFINE, affine, Image.Resampling.BILINEAR
            )
            small = np.asarray(picture, dtype=np.float32).reshape(size, 8, size, 8).mean((1, 3))
            images.append(small / max(small.max(), 1.0))
    x = torch.from_numpy(np.stack(images)).reshape(10 * per_class, size * size)
    y = torch.arange(10).repeat_interleave(per_class)
    return x, y


# --8<-- [end:make_digits]


# --8<-- [start:autoencoder]
class Autoencoder(nn.Module):
    """Dense encoder ``D -> hidden -> code`` and a mirrored decoder back to ``D``.

    The code is much smaller than the input, so the network cannot copy its input: it
    has to find the few directions along which the training images vary.
    """

    def __init__(self, in_features: int = 64, hidden: int = 32, code: int = 8) -> None:
        super().__init__()
        in_features, hidden = (
            check_int("in_features", in_features, 1),
            check_int("hidden", hidden, 1),
        )
        code = check_int("code", code, 1)
        self.in_features = in_features
        self.encoder = nn.Sequential(
            nn.Linear(in_features, hidden), nn.ReLU(), nn.Linear(hidden, code)
        )
        self.decoder = nn.Sequential(
            nn.Linear(code, hidden), nn.ReLU(), nn.Linear(hidden, in_features), nn.Sigmoid()
        )

    def forward(self, x: Tensor) -> Tensor:
        """Tensor[B, D] -> its reconstruction, Tensor[B, D] in (0, 1)."""
        check_module_input("x", x, self, ("B", self.in_features))
        return self.decoder(self.encoder(x))


def fit_autoencoder(
    model: nn.Module,
    x: Tensor,
    steps: int = 1500,
    batch_size: int = 64,
    lr: float = 3e-3,
    seed: int = 0,
) -> list[float]:
    """Minimise the mean squared reconstruction error with Adam on random mini-batches.

    Returns:
        The loss of every step.
    """
    check_instance("model", model, nn.Module)
    check_nonempty("x", check_floating("x", check_shape("x", x, ("N", "D"))))
    steps, batch_size = check_int("steps", steps, 0), check_int("batch_size", batch_size, 1)
    lr = check_range("lr", lr, 0)
    generator = torch.Generator(device=x.device).manual_seed(check_int("seed", seed))
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    losses = []
    for _ in range(steps):
        rows = torch.randint(len(x), (batch_size,), generator=generator, device=x.device)
        batch = x[rows]  # [B, D]
        loss = F.mse_loss(model(batch), batch)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


@torch.no_grad()
def reconstruction_error(model: nn.Module, x: Tensor) -> Tensor:
    """Mean squared error of each row's reconstruction, Tensor[N]: the anomaly score."""
    check_instance("model", model, nn.Module)
    check_floating("x", check_shape("x", x, ("N", "D")))
    return (model(x) - x).pow(2).mean(dim=1)


# --8<-- [end:autoencoder]


# --8<-- [start:experiment]
@dataclass(frozen=True)
class AnomalyExperiment:
    model: Autoencoder
    x_test: Tensor  # [N, 64] held-out images of every digit
    y_test: Tensor  # [N] their digits
    errors: Tensor  # [N] reconstruction error of each
    is_anomaly: Tensor  # [N] 1 for the held-out digit
    auc: float


def anomaly_experiment(anomaly: int = 9, per_class: int = 150, seed: int = 0) -> AnomalyExperiment:
    """Train an autoencoder on every digit but ``anomaly``; score a held-out test set.

    Two thirds of the images (of the nine normal digits only) train the model; the
    remaining third of all ten digits is the test set, in which ``anomaly`` is the
    positive class. Cached: the page's figures share one trained model.
    """
    # checked before the cache, which would take 9.0 for 9
    anomaly = check_int("anomaly", anomaly, 0, 9)
    per_class, seed = check_int("per_class", per_class, 1), check_int("seed", seed, 0)
    return _anomaly_experiment(anomaly, per_class, seed)


@lru_cache(maxsize=4)
def _anomaly_experiment(anomaly: int, per_class: int, seed: int) -> AnomalyExperiment:
    x, y = make_digits(per_class, seed=seed)
    order = torch.randperm(len(x), generator=torch.Generator().manual_seed(seed))
    train, test = order[: 2 * len(x) // 3], order[2 * len(x) // 3 :]
    normal = train[y[train] != anomaly]
    if not bool((y[test] == anomaly).any()):
        raise ValueError(
            f"per_class={per_class} is too small: the held-out third has no digit {anomaly}"
        )
    torch.manual_seed(seed)
    model = Autoencoder(64, 32, 8)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # a network this small trains faster on one thread
    try:
        fit_autoencoder(model, x[normal], steps=1500, seed=seed)
    finally:
        torch.set_num_threads(threads)
    errors = reconstruction_error(model, x[test])
    is_anomaly = (y[test] == anomaly).long()
    return AnomalyExperiment(
        model, x[test], y[test], errors, is_anomaly, roc_auc(errors, is_anomaly)
    )


# --8<-- [end:experiment]


# --8<-- [start:roc_auc]
def roc_auc(scores: Tensor, labels: Tensor) -> float:
    """Area under the ROC curve: the probability that a random positive outscores a
    random negative, ties counting one half (the Mann-Whitney U statistic).

    Args:
        scores (Tensor[N]): finite; higher means "more likely positive" (here: more anomalous).
        labels (Tensor[N]): 1 for positives, 0 for negatives (bool, integer or float); both
            must occur.
    """
    check_shape("scores", scores, ("N",))
    check_shape("labels", labels, ("N",))
    check_same_length(("scores", "labels"), scores, labels)
    check_same_device(("scores", "labels"), scores, labels)
    check_finite("scores", check_floating("scores", scores))  # NaN has no rank
    check_data("labels", labels)
    if not bool(((labels == 0) | (labels == 1)).all()):
        bad = labels[(labels != 0) & (labels != 1)][0].item()
        raise ValueError(f"labels must be 0 or 1, but got {bad}")
    positive = labels.bool()
    n_pos, n_neg = int(positive.sum()), int((~positive).sum())
    if n_pos == 0 or n_neg == 0:
        raise ValueError(
            f"labels must contain both classes, but got {n_pos} positives and {n_neg} negatives"
        )
    # Average ranks of tied scores, so that a tie between a positive and a negative counts 1/2.
    _, inverse, counts = torch.unique(scores.double(), return_inverse=True, return_counts=True)
    last = counts.cumsum(0).double()  # rank of the last element of each group of ties
    ranks = (last - (counts.double() - 1) / 2)[inverse]  # [N], 1-based mean ranks
    u = ranks[positive].sum() - n_pos * (n_pos + 1) / 2
    return (u / (n_pos * n_neg)).item()


# --8<-- [end:roc_auc]


# --8<-- [start:cycle]
def cycle_consistency_loss(
    x: Tensor,
    y: Tensor,
    g: Callable[[Tensor], Tensor],
    f: Callable[[Tensor], Tensor],
) -> Tensor:
    """CycleGAN's cycle loss: ``E|f(g(x)) - x|_1 + E|g(f(y)) - y|_1``.

    ``g`` maps domain X to Y and ``f`` maps Y back to X. Each translation must be
    undoable: translated there and back, an image should come back unchanged. This is an
    autoencoder's reconstruction loss whose "code" is an image of the other domain.

    Args:
        x (Tensor[B, ...]): images from domain X; y (Tensor[B', ...]): images from Y.

    Returns:
        A scalar: the mean absolute error of each cycle, summed over the two cycles.
    """
    check_floating("x", x)
    check_floating("y", y)
    check_callable("g", g)
    check_callable("f", f)
    forward_cycle = (f(g(x)) - x).abs().mean()  # x -> g(x) -> f(g(x)) ~ x
    backward_cycle = (g(f(y)) - y).abs().mean()  # y -> f(y) -> g(f(y)) ~ y
    return forward_cycle + backward_cycle


# --8<-- [end:cycle]
