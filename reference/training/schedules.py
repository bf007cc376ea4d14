"""Learning-rate schedules as functions of the step, equal to ``torch.optim.lr_scheduler``.

Each returns the learning rates of steps ``0 .. steps - 1`` (the value the scheduler's
optimiser uses at each step, i.e. ``get_last_lr()`` before each ``scheduler.step()``), so a
schedule can be plotted or inspected without an optimiser; ``tests/training/test_schedules.py``
checks them against the scheduler classes for 200 steps.
"""

from __future__ import annotations

# --8<-- [start:imports]
import math
from collections.abc import Sequence

from reference.checks import check_in, check_int, check_range, check_sequence

# --8<-- [end:imports]

__all__ = [
    "cosine_annealing_lr",
    "cyclic_lr",
    "exponential_lr",
    "linear_lr",
    "reduce_lr_on_plateau",
    "step_lr",
]


# --8<-- [start:checks]
def _check_steps(base_lr: object, steps: object) -> tuple[float, int]:
    """A rate ``>= 0`` and a number of steps ``>= 0``, returned as a float and an int."""
    # a negative rate would climb the loss: torch.optim refuses it too
    return check_range("base_lr", base_lr, 0.0), check_int("steps", steps, 0)


def _check_linear(
    base_lr: object, start_factor: object, end_factor: object, total_iters: object, steps: object
) -> None:
    """As :func:`_check_steps`, a start factor in ``(0, 1]``, an end factor in ``[0, 1]`` and
    at least one step to go from one to the other."""
    _check_steps(base_lr, steps)
    check_range("start_factor", start_factor, 0.0, 1.0, low_inclusive=False)
    check_range("end_factor", end_factor, 0.0, 1.0)
    check_int("total_iters", total_iters, 1)


def _check_plateau(
    base_lr: object,
    metrics: Sequence[float],
    mode: object,
    factor: object,
    patience: object,
    threshold: object,
    cooldown: object,
    min_lr: object,
) -> list[float]:
    """A rate ``>= 0``, a sequence of numbers (returned as floats; infinities allowed),
    ``mode`` ``"min"`` or ``"max"``, ``factor`` in ``[0, 1)``, counts and bounds ``>= 0``."""
    check_range("base_lr", base_lr, 0.0)
    check_sequence("metrics", metrics, "a sequence of numbers")
    check_in("mode", mode, ("min", "max"))
    check_range("factor", factor, 0.0, 1.0, high_inclusive=False)
    check_int("patience", patience, 0)
    check_int("cooldown", cooldown, 0)
    check_range("threshold", threshold, 0.0)
    check_range("min_lr", min_lr, 0.0)
    return [check_range(f"metrics[{i}]", m, allow_inf=True) for i, m in enumerate(metrics)]


# --8<-- [end:checks]


# --8<-- [start:schedules]
def exponential_lr(base_lr: float, gamma: float, steps: int) -> list[float]:
    """``base_lr * gamma^t``: multiply by ``gamma`` after every step (``ExponentialLR``).

    Args:
        base_lr: the rate of step 0.
        gamma: the factor per step.
        steps: how many steps.

    Returns:
        The rate of each step.
    """
    base_lr, steps = _check_steps(base_lr, steps)
    gamma = check_range("gamma", gamma, 0.0)
    return [base_lr * gamma**t for t in range(steps)]


def step_lr(base_lr: float, step_size: int, gamma: float, steps: int) -> list[float]:
    """``base_lr * gamma^(t // step_size)``: times ``gamma`` each ``step_size`` steps (StepLR).

    Args:
        base_lr: the rate of step 0.
        step_size: steps between two decays.
        gamma: the factor per decay.
        steps: how many steps.

    Returns:
        The rate of each step.
    """
    base_lr, steps = _check_steps(base_lr, steps)
    step_size = check_int("step_size", step_size, 1)
    gamma = check_range("gamma", gamma, 0.0)
    return [base_lr * gamma ** (t // step_size) for t in range(steps)]


def cosine_annealing_lr(
    base_lr: float, t_max: int, steps: int, eta_min: float = 0.0
) -> list[float]:
    """Half a cosine from ``base_lr`` to ``eta_min`` over ``t_max`` steps, then back up.

    Args:
        base_lr: the rate of step 0.
        t_max: the steps of half a period.
        steps: how many steps.
        eta_min: the lowest rate.

    Returns:
        The rate of each step.
    """
    base_lr, steps = _check_steps(base_lr, steps)
    t_max = check_int("t_max", t_max, 1)
    eta_min = check_range("eta_min", eta_min, 0.0)
    return [
        eta_min + (base_lr - eta_min) * (1 + math.cos(math.pi * t / t_max)) / 2
        for t in range(steps)
    ]


def linear_lr(
    base_lr: float,
    start_factor: float = 1 / 3,
    end_factor: float = 1.0,
    total_iters: int = 5,
    steps: int = 5,
) -> list[float]:
    """A straight line from ``base_lr * start_factor`` to ``base_lr * end_factor`` (``LinearLR``).

    With ``start_factor < 1`` it is the usual **warmup**: the first updates, taken while
    Adam's moment estimates and BatchNorm's statistics are still unreliable, are small.

    Args:
        base_lr: the optimiser's learning rate.
        start_factor: the fraction of ``base_lr`` at step 0, in ``(0, 1]``.
        end_factor: the fraction reached after ``total_iters`` steps, in ``[0, 1]``.
        total_iters: steps the line takes; the rate stays at the end value afterwards.
        steps: how many steps.

    Returns:
        The rate of each step.
    """
    _check_linear(base_lr, start_factor, end_factor, total_iters, steps)
    return [
        base_lr * (start_factor + (end_factor - start_factor) * min(t, total_iters) / total_iters)
        for t in range(steps)
    ]


def cyclic_lr(base_lr: float, max_lr: float, step_size_up: int, steps: int) -> list[float]:
    """Triangle wave between ``base_lr`` and ``max_lr``: ``step_size_up`` steps up, as many down.

    ``CyclicLR(mode="triangular")``: large rates let training escape sharp minima and
    saddles, small ones let it settle, and no schedule needs to be tuned to the run length.

    Args:
        base_lr: the lowest rate, at step 0.
        max_lr: the highest rate.
        step_size_up: steps from the lowest to the highest rate.
        steps: how many steps.

    Returns:
        The rate of each step.
    """
    base_lr, steps = _check_steps(base_lr, steps)
    max_lr = check_range("max_lr", max_lr, 0.0)
    step_size_up = check_int("step_size_up", step_size_up, 1)
    rates = []
    for t in range(steps):
        cycle = math.floor(1 + t / (2 * step_size_up))
        x = abs(t / step_size_up - 2 * cycle + 1)  # 1 at the cycle's ends, 0 at its peak
        rates.append(base_lr + (max_lr - base_lr) * max(0.0, 1 - x))
    return rates


def reduce_lr_on_plateau(
    base_lr: float,
    metrics: Sequence[float],
    mode: str = "min",
    factor: float = 0.1,
    patience: int = 10,
    threshold: float = 1e-4,
    cooldown: int = 0,
    min_lr: float = 0.0,
) -> list[float]:
    """Divide the rate when the metric stops improving (``ReduceLROnPlateau``, relative threshold).

    Returns the rate in force after each ``metrics[i]`` has been reported: after more than
    ``patience`` reports without a relative improvement of ``threshold``, the rate is
    multiplied by ``factor`` (not below ``min_lr``) and ``cooldown`` reports are ignored.

    Args:
        base_lr: the starting rate.
        metrics: the value reported after each epoch (a validation loss, say).
        mode: ``"min"`` if lower is better, ``"max"`` if higher is.
        factor: what the rate is multiplied by, in ``[0, 1)``.
        patience: reports without improvement tolerated before a decay.
        threshold: the relative improvement that counts.
        cooldown: reports ignored after a decay.
        min_lr: the lowest rate.

    Returns:
        The rate after each report.
    """
    metrics = _check_plateau(base_lr, metrics, mode, factor, patience, threshold, cooldown, min_lr)
    lr, bad, cooling, rates = base_lr, 0, 0, []
    best = math.inf if mode == "min" else -math.inf
    for value in metrics:
        improved = (
            value < best * (1 - threshold) if mode == "min" else value > best * (1 + threshold)
        )
        if improved:
            best, bad = value, 0
        else:
            bad += 1
        if cooling > 0:
            cooling, bad = cooling - 1, 0
        if bad > patience:
            new_lr = max(lr * factor, min_lr)
            if lr - new_lr > 1e-8:  # torch's eps: ignore changes smaller than this
                lr = new_lr
            cooling, bad = cooldown, 0
        rates.append(lr)
    return rates


# --8<-- [end:schedules]
