"""Optimisers against torch.optim, every option: the same 150 gradients in, the same
parameters out to 1e-12; and 30 steps of training on a non-convex problem to 1e-9.

The update rules are written as their formulas, not in torch's order of floating-point
operations, so the two differ by rounding. Fed a fixed stream of gradients, that difference
stays at rounding level. When the gradients come from the loss at the current parameters,
the non-convex problem amplifies it (chaotically: to 1e-3 after 150 steps), so that test
stops at 30 steps, where it is still below 1e-10.
"""

from __future__ import annotations

import itertools

import pytest
import torch

from reference.training import SGD, Adadelta, Adagrad, Adam, AdamW, RMSprop


def non_convex_loss(params: list[torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    w, b = params
    return (torch.sin(x @ w + b) ** 2).sum() + 0.01 * (w**4).sum()


def trajectory(cls, options: dict, steps: int = 30, closure: bool = False) -> list[torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    params = [
        torch.randn(5, 3, generator=g, dtype=torch.float64).requires_grad_(),
        torch.randn(3, generator=g, dtype=torch.float64).requires_grad_(),
    ]
    x = torch.randn(20, 5, generator=g, dtype=torch.float64)
    optimizer = cls(params, **options)
    for _ in range(steps):
        if closure:

            def evaluate() -> torch.Tensor:
                optimizer.zero_grad()
                loss = non_convex_loss(params, x)
                loss.backward()
                return loss

            optimizer.step(evaluate)
        else:
            optimizer.zero_grad()
            non_convex_loss(params, x).backward()
            optimizer.step()
    return [p.detach() for p in params]


def fed_gradients(cls, options: dict, steps: int = 150) -> list[torch.Tensor]:
    """Parameters after ``steps`` updates with the same random gradients, whatever they are."""
    g = torch.Generator().manual_seed(0)
    params = [
        torch.randn(5, 3, generator=g, dtype=torch.float64).requires_grad_(),
        torch.randn(3, generator=g, dtype=torch.float64).requires_grad_(),
    ]
    optimizer = cls(params, **options)
    for _ in range(steps):
        for p in params:
            p.grad = torch.randn(p.shape, generator=g, dtype=torch.float64)
        optimizer.step()
    return [p.detach() for p in params]


def grid(**options: list) -> list[dict]:
    keys = list(options)
    return [dict(zip(keys, values, strict=True)) for values in itertools.product(*options.values())]


SGD_OPTIONS = [
    o
    for o in grid(
        lr=[0.01],
        momentum=[0.0, 0.9],
        dampening=[0.0, 0.3],
        weight_decay=[0.0, 0.1],
        nesterov=[False, True],
    )
    if not (o["nesterov"] and (o["momentum"] == 0 or o["dampening"] != 0))
]
CASES = (
    [(SGD, torch.optim.SGD, o) for o in SGD_OPTIONS]
    + [
        (RMSprop, torch.optim.RMSprop, o)
        for o in grid(
            lr=[0.01],
            alpha=[0.99, 0.9],
            eps=[1e-8],
            weight_decay=[0.0, 0.1],
            momentum=[0.0, 0.5],
            centered=[False, True],
        )
    ]
    + [
        (Adam, torch.optim.Adam, o)
        for o in grid(lr=[0.01], betas=[(0.9, 0.999), (0.5, 0.9)], weight_decay=[0.0, 0.1])
    ]
    + [
        (AdamW, torch.optim.AdamW, o)
        for o in grid(lr=[0.01], betas=[(0.9, 0.999)], weight_decay=[0.0, 0.01, 0.3])
    ]
    + [
        (Adagrad, torch.optim.Adagrad, o)
        for o in grid(
            lr=[0.1],
            lr_decay=[0.0, 0.01],
            weight_decay=[0.0, 0.1],
            initial_accumulator_value=[0.0, 0.5],
        )
    ]
    + [
        (Adadelta, torch.optim.Adadelta, o)
        for o in grid(lr=[1.0, 0.5], rho=[0.9, 0.5], weight_decay=[0.0, 0.1])
    ]
)


@pytest.mark.parametrize(
    ("ours", "theirs", "options"),
    CASES,
    ids=lambda v: v.__name__ if isinstance(v, type) else str(v),
)
def test_trajectory_matches_torch(ours, theirs, options: dict) -> None:
    for a, b in zip(trajectory(ours, options), trajectory(theirs, options), strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-9)


@pytest.mark.parametrize(
    ("ours", "theirs", "options"),
    CASES,
    ids=lambda v: v.__name__ if isinstance(v, type) else str(v),
)
def test_same_gradients_give_the_same_parameters(ours, theirs, options: dict) -> None:
    for a, b in zip(fed_gradients(ours, options), fed_gradients(theirs, options), strict=True):
        torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [(SGD, torch.optim.SGD), (Adam, torch.optim.Adam), (RMSprop, torch.optim.RMSprop)],
)
def test_closure(ours, theirs) -> None:
    options = {"lr": 0.01}
    for a, b in zip(
        trajectory(ours, options, 30, True), trajectory(theirs, options, 30, True), strict=True
    ):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-9)


def test_defaults_match_torch() -> None:
    p = [torch.zeros(1, requires_grad=True)]
    for ours, theirs in [
        (SGD, torch.optim.SGD),
        (RMSprop, torch.optim.RMSprop),
        (Adam, torch.optim.Adam),
        (AdamW, torch.optim.AdamW),
        (Adagrad, torch.optim.Adagrad),
        (Adadelta, torch.optim.Adadelta),
    ]:
        mine, reference = ours(p).defaults, theirs(p).defaults
        assert {k: reference[k] for k in mine} == mine, ours.__name__
    assert AdamW(p).defaults["weight_decay"] == 0.01  # not 0, unlike Adam


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: SGD(p, lr=-0.1), "Invalid learning rate: -0.1"),
        (lambda p: Adam(p, betas=(1.0, 0.999)), "Invalid beta parameter at index 0: 1.0"),
        (lambda p: Adam(p, betas=(0.9, -0.1)), "Invalid beta parameter at index 1: -0.1"),
        (
            lambda p: SGD(p, lr=0.1, nesterov=True),
            "Nesterov momentum requires a momentum and zero dampening",
        ),
        (lambda p: RMSprop(p, eps=-1.0), "Invalid epsilon value: -1.0"),
    ],
)
def test_bad_hyper_parameters_raise_like_torch(make, message: str) -> None:
    params = [torch.zeros(1, requires_grad=True)]
    with pytest.raises(ValueError, match=message):
        make(params)
