"""Learning-rate schedules against torch.optim.lr_scheduler, 200 steps."""

from __future__ import annotations

import math

import pytest
import torch
from torch.optim import lr_scheduler as S

from reference.training import (
    cosine_annealing_lr,
    cyclic_lr,
    exponential_lr,
    linear_lr,
    reduce_lr_on_plateau,
    step_lr,
)


def torch_rates(make, steps: int = 200) -> list[float]:
    p = torch.zeros(1, requires_grad=True)
    optimizer = torch.optim.SGD([p], lr=0.1, momentum=0.9)
    scheduler = make(optimizer)
    rates = []
    for _ in range(steps):
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return rates


@pytest.mark.parametrize(
    ("ours", "make"),
    [
        (exponential_lr(0.1, 0.97, 200), lambda o: S.ExponentialLR(o, 0.97)),
        (step_lr(0.1, 30, 0.5, 200), lambda o: S.StepLR(o, 30, 0.5)),
        (
            cosine_annealing_lr(0.1, 50, 200, eta_min=0.001),
            lambda o: S.CosineAnnealingLR(o, 50, 0.001),
        ),
        (cosine_annealing_lr(0.1, 200, 200), lambda o: S.CosineAnnealingLR(o, 200)),
        (cyclic_lr(0.001, 0.1, 25, 200), lambda o: S.CyclicLR(o, 0.001, 0.1, 25)),
        (cyclic_lr(0.01, 0.05, 7, 200), lambda o: S.CyclicLR(o, 0.01, 0.05, 7)),
        (linear_lr(0.1, steps=200), lambda o: S.LinearLR(o)),
        (linear_lr(0.1, 0.01, 1.0, 40, 200), lambda o: S.LinearLR(o, 0.01, 1.0, 40)),
        (linear_lr(0.1, 1.0, 0.2, 60, 200), lambda o: S.LinearLR(o, 1.0, 0.2, 60)),
        (
            linear_lr(0.1, 0.1, 1.0, 20, 20) + cosine_annealing_lr(0.1, 180, 180),
            lambda o: S.SequentialLR(
                o, [S.LinearLR(o, 0.1, 1.0, 20), S.CosineAnnealingLR(o, 180)], milestones=[20]
            ),
        ),
    ],
    ids=[
        "exponential",
        "step",
        "cosine",
        "cosine-full",
        "cyclic",
        "cyclic-odd",
        "linear-default",
        "warmup",
        "linear-decay",
        "warmup-then-cosine",
    ],
)
def test_matches_torch(ours: list[float], make) -> None:
    assert ours == pytest.approx(torch_rates(make), rel=1e-12, abs=1e-15)


@pytest.mark.parametrize(
    ("mode", "patience", "cooldown"), [("min", 5, 0), ("min", 3, 4), ("max", 2, 1)]
)
def test_reduce_on_plateau_matches_torch(mode: str, patience: int, cooldown: int) -> None:
    sign = 1 if mode == "min" else -1
    metrics = [sign * (max(0.2, 1 - t / 50) + 0.01 * math.sin(t)) for t in range(200)]
    p = torch.zeros(1, requires_grad=True)
    optimizer = torch.optim.SGD([p], lr=0.1)
    scheduler = S.ReduceLROnPlateau(
        optimizer, mode=mode, patience=patience, cooldown=cooldown, min_lr=1e-5
    )
    expected = []
    for value in metrics:
        scheduler.step(value)
        expected.append(optimizer.param_groups[0]["lr"])
    ours = reduce_lr_on_plateau(
        0.1, metrics, mode, patience=patience, cooldown=cooldown, min_lr=1e-5
    )
    assert ours == pytest.approx(expected, rel=1e-12)
    assert ours[-1] < 0.1  # it did reduce


def test_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="mode must be one of 'min', 'max', but got 'mean'"):
        reduce_lr_on_plateau(0.1, [1.0], mode="mean")
    with pytest.raises(ValueError, match=r"step_size must be in \[1, inf\), but got 0"):
        step_lr(0.1, 0, 0.5, 10)
