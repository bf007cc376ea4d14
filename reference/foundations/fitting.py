"""Deep learning as function fitting: the training loop, and the spiral data set.

``train`` is the loop every later page builds on: forward, loss, backward, step. It is used
on a toy curve (``docs/foundations/fitting.md``) and on the spiral classification walkthrough
(``docs/foundations/spiral.py``).
"""

from __future__ import annotations

# --8<-- [start:imports]
import math
from collections.abc import Callable

import torch
from torch import Tensor, nn

from reference.checks import (
    check_bounds,
    check_callable,
    check_floating,
    check_instance,
    check_int,
    check_integer,
    check_range,
    check_same_device,
    check_same_length,
    check_shape,
    check_tensor,
)

# --8<-- [end:imports]

__all__ = ["make_spiral", "top1_accuracy", "train"]


# --8<-- [start:checks]
def _check_training(
    model: object,
    loss_fn: object,
    optimizer: object,
    x: Tensor,
    y: Tensor,
    steps: object,
    record_every: object,
) -> None:
    """A module, a callable loss, an optimiser, as many targets as inputs, ``steps >= 0``
    and ``record_every >= 1`` (both ints)."""
    check_instance("model", model, nn.Module)
    check_callable("loss_fn", loss_fn)
    check_instance("optimizer", optimizer, torch.optim.Optimizer)
    check_same_length(("x", "y"), check_tensor("x", x), check_tensor("y", y))
    check_int("steps", steps, 0)
    check_int("record_every", record_every, 1)


# --8<-- [end:checks]


# --8<-- [start:train]
def train(
    model: nn.Module,
    x: Tensor,
    y: Tensor,
    loss_fn: Callable[[Tensor, Tensor], Tensor],
    optimizer: torch.optim.Optimizer,
    steps: int,
    record_every: int = 1,
) -> list[float]:
    """Fit ``model`` to ``(x, y)`` by full-batch gradient descent; return the recorded losses.

    Args:
        model: maps ``x`` to predictions that ``loss_fn`` compares with ``y``.
        x (Tensor[N, ...]): the inputs.
        y (Tensor[N, ...]): the targets, with the same first dimension N.
        loss_fn: e.g. ``nn.MSELoss()`` for regression, ``nn.CrossEntropyLoss()`` for classes.
        optimizer: built on ``model.parameters()``.
        steps: how many updates.
        record_every: keep the loss of every ``record_every``-th step (before its update).

    Returns:
        The recorded losses, as floats.
    """
    _check_training(model, loss_fn, optimizer, x, y, steps, record_every)
    losses = []
    for step in range(steps):
        optimizer.zero_grad()  # gradients accumulate in .grad unless cleared
        loss = loss_fn(model(x), y)  # 1. predict, 2. measure how wrong the prediction is
        loss.backward()  # 3. gradient of the loss with respect to every parameter
        optimizer.step()  # 4. move every parameter a little against its gradient
        if step % record_every == 0:
            losses.append(loss.item())
    return losses


# --8<-- [end:train]


# --8<-- [start:spiral]
def make_spiral(
    points_per_class: int = 1000,
    classes: int = 4,
    noise: float = 0.2,
    *,
    generator: torch.Generator | None = None,
) -> tuple[Tensor, Tensor]:
    """Interleaved spiral arms, one per class: a data set no straight line can separate.

    Args:
        points_per_class: points on each arm.
        classes: number of arms.
        noise: standard deviation of the angle's noise, in radians.
        generator: the random source (``None``: the global generator).

    Returns:
        (Tensor[N, 2], Tensor[N]): the points and their class, ``N = points_per_class *
        classes``.
    """
    points_per_class = check_int("points_per_class", points_per_class, 1)
    classes = check_int("classes", classes, 1)
    noise = check_range("noise", noise, 0.0)
    radius = torch.linspace(0.0, 1.0, points_per_class).repeat(classes)  # [N]
    label = torch.arange(classes).repeat_interleave(points_per_class)  # [N]
    start = label * 2 * math.pi / classes
    angle = start + radius * 4 + noise * torch.randn(len(radius), generator=generator)
    x = torch.stack([radius * torch.sin(angle), radius * torch.cos(angle)], dim=1)
    return x, label


def top1_accuracy(logits: Tensor, labels: Tensor) -> float:
    """Fraction of rows whose largest logit is the true class.

    Args:
        logits (Tensor[N, K]): class scores, floating.
        labels (Tensor[N]): true classes, integers in ``[0, K)``.

    Returns:
        The accuracy in [0, 1].
    """
    check_floating("logits", check_shape("logits", logits, ("N", "K")))
    check_shape("labels", check_integer("labels", labels), (logits.shape[0],), of="logits")
    check_same_device(("logits", "labels"), logits, labels)
    check_bounds("labels", labels, 0, logits.shape[1] - 1)
    return (logits.argmax(dim=1) == labels).float().mean().item()


# --8<-- [end:spiral]
