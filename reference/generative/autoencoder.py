"""Autoencoders: a small dense one, its reconstruction error as an anomaly score, ROC AUC,
and CycleGAN's cycle-consistency loss.

``make_digits`` renders 8 x 8 digits from the fonts that ship with matplotlib, so the
pages need no downloaded data set. Tests: ``tests/generative/test_autoencoder.py``.
"""

from __future__ import annotations

# --8<-- [start:imports]
import math
from collections.abc import Callable
from dataclasses import dataclass
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
    "roc_auc_pairs",
]


# --8<-- [start:checks]
def _check_generator(generator: torch.Generator | None) -> None:
    if generator is not None:
        check_instance("generator", generator, torch.Generator)


def _check_sizes(generator: torch.Generator | None, **sizes: int) -> tuple[int, ...]:
    """Counts and sizes: integers, at least 1 each (returned as Python ints)."""
    _check_generator(generator)
    return tuple(check_int(name, size, 1) for name, size in sizes.items())


def _check_training(
    model: nn.Module,
    x: Tensor,
    steps: int,
    batch_size: int,
    lr: float,
    generator: torch.Generator | None,
) -> tuple[int, int, float]:
    """A module, a non-empty float batch of rows, whole counts and a step size >= 0."""
    check_instance("model", model, nn.Module)
    check_nonempty("x", check_floating("x", check_shape("x", x, ("N", "D"))))
    _check_generator(generator)
    return (
        check_int("steps", steps, 0),
        check_int("batch_size", batch_size, 1),
        check_range("lr", lr, 0),
    )


def _check_scores_labels(scores: Tensor, labels: Tensor) -> None:
    """One finite score and one 0/1 label per input, both classes present."""
    check_shape("scores", scores, ("N",))
    check_shape("labels", labels, ("N",))
    check_same_length(("scores", "labels"), scores, labels)
    check_same_device(("scores", "labels"), scores, labels)
    check_finite("scores", check_floating("scores", scores))  # NaN has no rank
    check_data("labels", labels)
    if not bool(((labels == 0) | (labels == 1)).all()):
        bad = labels[(labels != 0) & (labels != 1)][0].item()
        raise ValueError(f"labels must be 0 or 1, but got {bad}")
    n_pos = int(labels.bool().sum())
    if n_pos in (0, len(labels)):
        raise ValueError(
            f"labels must contain both classes, but got {n_pos} positives and "
            f"{len(labels) - n_pos} negatives"
        )


def _check_domains(x: Tensor, y: Tensor, g: object, f: object) -> None:
    check_floating("x", x)
    check_floating("y", y)
    check_callable("g", g)
    check_callable("f", f)


# --8<-- [end:checks]


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


def make_digits(
    per_class: int, size: int = 8, *, generator: torch.Generator | None = None
) -> tuple[Tensor, Tensor]:
    """Handwriting-like digit images, rendered from ten fonts with random jitter.

    Each image is a digit drawn large in a random font, rotated by up to 12 degrees,
    scaled and shifted a little, then averaged down to ``size x size`` pixels: the
    format of the UCI 8 x 8 digits (values here in [0, 1] rather than 0..16).

    Args:
        per_class: images of each digit.
        size: side of the images in pixels.
        generator: the random source of fonts and jitter (``None``: the global generator).

    Returns:
        (Tensor[N, size * size], Tensor[N]): float32 images in [0, 1], ``N = 10 * per_class``,
        and their digits (int64, class by class).
    """
    per_class, size = _check_sizes(generator, per_class=per_class, size=size)
    n = 10 * per_class
    font_dir = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    fonts = [ImageFont.truetype(str(font_dir / name), 60) for name in _FONTS]
    which_font = torch.randint(len(fonts), (n,), generator=generator).tolist()
    # per image: scale in [0.8, 1.05), angle in [-12, 12) degrees, shift in [-3, 3)^2 pixels
    u = torch.rand(n, 4, generator=generator, dtype=torch.float64)
    scales = (0.8 + 0.25 * u[:, 0]).tolist()
    angles = torch.deg2rad(24 * u[:, 1] - 12).tolist()
    shifts = (6 * u[:, 2:] - 3).tolist()
    canvas = 8 * size  # draw at 8x, then average 8 x 8 blocks into one pixel
    images = []
    for i in range(n):  # one PIL drawing per image
        picture = Image.new("L", (canvas, canvas), 0)
        ImageDraw.Draw(picture).text(
            (canvas / 2, canvas / 2),
            str(i // per_class),
            fill=255,
            font=fonts[which_font[i]],
            anchor="mm",
        )
        # inverse affine map (output -> input pixel) about the centre, for PIL
        c, s = math.cos(angles[i]) / scales[i], math.sin(angles[i]) / scales[i]
        centre, (dx, dy) = canvas / 2, shifts[i]
        x0 = centre - c * (centre + dx) + s * (centre + dy)
        y0 = centre - s * (centre + dx) - c * (centre + dy)
        picture = picture.transform(
            picture.size, Image.Transform.AFFINE, (c, -s, x0, s, c, y0), Image.Resampling.BILINEAR
        )
        small = np.asarray(picture, dtype=np.float32).reshape(size, 8, size, 8).mean((1, 3))
        images.append(small / max(small.max(), 1.0))
    x = torch.from_numpy(np.stack(images)).reshape(n, size * size)
    y = torch.arange(10).repeat_interleave(per_class)
    return x, y


# --8<-- [end:make_digits]


# --8<-- [start:autoencoder]
class Autoencoder(nn.Module):
    """Dense encoder ``D -> hidden -> code`` and a mirrored decoder back to ``D``.

    The code is much smaller than the input, so the network cannot copy its input: it
    has to find the few directions along which the training images vary.

    Args:
        in_features: D, the size of a flattened image.
        hidden: width of the hidden layers.
        code: size of the code.
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
    *,
    generator: torch.Generator | None = None,
) -> list[float]:
    """Minimise the mean squared reconstruction error with Adam on random mini-batches.

    A network this small trains several times faster on one thread than on several (the
    threads' hand-offs cost more than the arithmetic): call ``torch.set_num_threads(1)``
    around it if that is what you want; the function leaves the setting alone.

    Args:
        model: maps Tensor[B, D] to Tensor[B, D].
        x (Tensor[N, D]): the training images, flattened.
        steps: number of updates.
        batch_size: images per update, drawn with replacement.
        lr: Adam's step size.
        generator: the random source of the batches (``None``: the global generator).

    Returns:
        The loss of every step.
    """
    steps, batch_size, lr = _check_training(model, x, steps, batch_size, lr, generator)
    draw_on = generator.device if generator is not None else x.device
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    losses = []
    for _ in range(steps):
        rows = torch.randint(len(x), (batch_size,), generator=generator, device=draw_on)
        batch = x[rows]  # [B, D]
        loss = F.mse_loss(model(batch), batch)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


@torch.no_grad()
def reconstruction_error(model: nn.Module, x: Tensor) -> Tensor:
    """Mean squared error of each row's reconstruction: the anomaly score.

    Args:
        model: maps Tensor[N, D] to Tensor[N, D].
        x (Tensor[N, D]): the inputs, flattened.

    Returns:
        Tensor[N]: one score per row.
    """
    check_instance("model", model, nn.Module)
    check_floating("x", check_shape("x", x, ("N", "D")))
    return (model(x) - x).pow(2).mean(dim=1)


# --8<-- [end:autoencoder]


# --8<-- [start:experiment]
@dataclass(frozen=True)
class AnomalyExperiment:
    """What :func:`anomaly_experiment` trained and measured.

    Attributes:
        model: the trained autoencoder.
        x_test (Tensor[N, 64]): held-out images of every digit.
        y_test (Tensor[N]): their digits.
        errors (Tensor[N]): the reconstruction error of each.
        is_anomaly (Tensor[N]): 1 for the held-out digit.
        auc: the ROC AUC of the errors as anomaly scores.
    """

    model: Autoencoder
    x_test: Tensor
    y_test: Tensor
    errors: Tensor
    is_anomaly: Tensor
    auc: float


def _initialised_autoencoder(generator: torch.Generator | None) -> Autoencoder:
    """``Autoencoder(64, 32, 8)`` with ``nn.Linear``'s default initialisation drawn from
    ``generator``: ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))`` for weights and biases."""
    with torch.device("meta"):  # built without parameters, so without global draws
        model = Autoencoder(64, 32, 8)
    model.to_empty(device="cpu")
    with torch.no_grad():
        for layer in model.modules():
            if isinstance(layer, nn.Linear):
                bound = 1 / math.sqrt(layer.in_features)
                layer.weight.uniform_(-bound, bound, generator=generator)
                layer.bias.uniform_(-bound, bound, generator=generator)
    return model


def anomaly_experiment(
    anomaly: int = 9,
    per_class: int = 150,
    *,
    steps: int = 1500,
    generator: torch.Generator | None = None,
) -> AnomalyExperiment:
    """Train an autoencoder on every digit but ``anomaly``; score a held-out test set.

    Two thirds of the images (of the nine normal digits only) train the model; the
    remaining third of all ten digits is the test set, in which ``anomaly`` is the
    positive class. Every random draw (data, split, initial weights, batches) comes from
    ``generator``, so a seeded generator reproduces the run, and the global generator is
    left alone. Training takes a few seconds; see :func:`fit_autoencoder` on threads.

    Args:
        anomaly: the digit left out of training.
        per_class: images of each digit.
        steps: training steps (:func:`fit_autoencoder`).
        generator: the random source (``None``: the global generator).

    Returns:
        AnomalyExperiment: the model, the test set, its errors and the ROC AUC.
    """
    anomaly = check_int("anomaly", anomaly, 0, 9)
    per_class = check_int("per_class", per_class, 1)
    steps = check_int("steps", steps, 1)
    x, y = make_digits(per_class, generator=generator)
    order = torch.randperm(len(x), generator=generator)
    train, test = order[: 2 * len(x) // 3], order[2 * len(x) // 3 :]
    normal = train[y[train] != anomaly]
    if not bool((y[test] == anomaly).any()):
        raise ValueError(
            f"per_class={per_class} is too small: the held-out third has no digit {anomaly}"
        )
    model = _initialised_autoencoder(generator)
    fit_autoencoder(model, x[normal], steps=steps, generator=generator)
    errors = reconstruction_error(model, x[test])
    is_anomaly = (y[test] == anomaly).long()
    return AnomalyExperiment(
        model, x[test], y[test], errors, is_anomaly, roc_auc(errors, is_anomaly)
    )


# --8<-- [end:experiment]


# --8<-- [start:roc_auc_pairs]
def roc_auc_pairs(scores: Tensor, labels: Tensor) -> float:
    """Area under the ROC curve by its definition: the share of (positive, negative) pairs
    in which the positive scores higher, ties counting one half.

    The readable form of :func:`roc_auc`; it compares every pair, ``n_pos * n_neg``
    comparisons, where ranks need one sort.

    Args:
        scores (Tensor[N]): finite; higher means "more likely positive" (here: more anomalous).
        labels (Tensor[N]): 1 for positives, 0 for negatives (bool, integer or float); both
            must occur.

    Returns:
        The area, in [0, 1]: 0.5 is chance, 1 a perfect ranking.
    """
    _check_scores_labels(scores, labels)
    positive, negative = scores[labels.bool()], scores[~labels.bool()]
    higher = positive[:, None] > negative[None, :]  # [n_pos, n_neg]: every pair
    tied = positive[:, None] == negative[None, :]
    return (higher.double() + 0.5 * tied.double()).mean().item()


# --8<-- [end:roc_auc_pairs]


# --8<-- [start:roc_auc]
def roc_auc(scores: Tensor, labels: Tensor) -> float:
    """Area under the ROC curve: the probability that a random positive outscores a
    random negative, ties counting one half (the Mann-Whitney U statistic).

    Args:
        scores (Tensor[N]): finite; higher means "more likely positive" (here: more anomalous).
        labels (Tensor[N]): 1 for positives, 0 for negatives (bool, integer or float); both
            must occur.

    Returns:
        The area, in [0, 1], equal to :func:`roc_auc_pairs` from one sort.
    """
    _check_scores_labels(scores, labels)
    positive = labels.bool()
    n_pos, n_neg = int(positive.sum()), int((~positive).sum())
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
        x (Tensor[B, ...]): images from domain X.
        y (Tensor[B', ...]): images from domain Y.
        g: the translation from X to Y.
        f: the translation from Y to X.

    Returns:
        A scalar: the mean absolute error of each cycle, summed over the two cycles.
    """
    _check_domains(x, y, g, f)
    forward_cycle = (f(g(x)) - x).abs().mean()  # x -> g(x) -> f(g(x)) ~ x
    backward_cycle = (g(f(y)) - y).abs().mean()  # y -> f(y) -> g(f(y)) ~ y
    return forward_cycle + backward_cycle


# --8<-- [end:cycle]
