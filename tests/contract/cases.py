"""A valid call and its oracle for every public callable, section by section.

Each entry is small on purpose: the contract test derives the bad inputs itself. Where a
production counterpart exists it is the oracle; otherwise ``domains`` and ``accept`` say
which results are right, and the comment beside each says why.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.stats
import torch
import torch.nn.functional as F
import torchvision
from torch import Tensor, nn
from torchmetrics.functional.classification import accuracy as tm_accuracy

import reference.foundations as fo
from tests.contract.case import Args, Case, anything, at_least, nonneg, positive

CASES: list[Case] = []

# Result records: NamedTuples and frozen dataclasses that functions return.
RECORDS = (
    "cnn.FlopCount",
    "cnn.ReceptiveField",
    "generative.AnomalyExperiment",
    "rl.IRLResult",
    "rl.Rollout",
    "rl.TrainingLog",
)


def add(*cases: Case) -> None:
    CASES.extend(cases)


def seeded(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def randn(*shape: int, seed: int = 0, dtype: torch.dtype = torch.float64) -> Tensor:
    return torch.randn(*shape, generator=seeded(seed), dtype=dtype)


def distribution(*shape: int, seed: int = 0) -> Tensor:
    return torch.softmax(randn(*shape, seed=seed), dim=-1)


def autograd_of(f):  # noqa: ANN001, ANN202 - a test helper: d f(x).sum() / dx
    def derivative(x: Tensor, **kwargs: object) -> Tensor:
        x = x.detach().clone().requires_grad_()
        (grad,) = torch.autograd.grad(f(x, **kwargs).sum(), x)
        return grad

    return derivative


# ---------------------------------------------------------------------------- foundations
X = lambda: {"x": randn(3, 4)}  # noqa: E731
for name, ours, theirs in [
    ("sigmoid", fo.sigmoid, torch.sigmoid),
    ("tanh", fo.tanh, torch.tanh),
    ("relu", fo.relu, F.relu),
]:
    add(Case(f"foundations.{name}", ours, X, lambda x, f=theirs: f(x)))
for name, ours, theirs in [
    ("sigmoid_derivative", fo.sigmoid_derivative, torch.sigmoid),
    ("tanh_derivative", fo.tanh_derivative, torch.tanh),
    ("relu_derivative", fo.relu_derivative, F.relu),
]:
    add(Case(f"foundations.{name}", ours, X, lambda x, f=theirs: autograd_of(f)(x)))
add(
    Case(
        "foundations.leaky_relu",
        fo.leaky_relu,
        lambda: {"x": randn(3, 4), "negative_slope": 0.2},
        lambda x, negative_slope: F.leaky_relu(x, negative_slope),
    ),
    Case(
        "foundations.leaky_relu_derivative",
        fo.leaky_relu_derivative,
        lambda: {"x": randn(3, 4), "negative_slope": 0.2},
        lambda x, negative_slope: autograd_of(F.leaky_relu)(x, negative_slope=negative_slope),
    ),
    Case(
        "foundations.elu",
        fo.elu,
        lambda: {"x": randn(3, 4), "alpha": 0.5},
        lambda x, alpha: F.elu(x, alpha),
    ),
    Case(
        "foundations.elu_derivative",
        fo.elu_derivative,
        lambda: {"x": randn(3, 4), "alpha": 0.5},
        lambda x, alpha: autograd_of(F.elu)(x, alpha=alpha),
    ),
    Case(
        "foundations.softmax",
        fo.softmax,
        lambda: {"x": randn(3, 4), "dim": 1},
        lambda x, dim: torch.softmax(x, dim),
    ),
    Case(
        "foundations.log_softmax",
        fo.log_softmax,
        lambda: {"x": randn(3, 4), "dim": 0},
        lambda x, dim: torch.log_softmax(x, dim),
    ),
    Case(
        "foundations.vector_norm",
        fo.vector_norm,
        lambda: {"x": randn(3, 4), "ord": 3.0, "dim": 1},
        lambda x, ord, dim: torch.linalg.vector_norm(x, ord, dim),
    ),
    # scipy.stats.entropy is the oracle of the information trio (in nats, or bits, ...)
    Case(
        "foundations.entropy",
        fo.entropy,
        lambda: {"p": distribution(3, 4), "dim": -1, "base": 2.0},
        lambda p, dim, base: torch.from_numpy(
            np.asarray(scipy.stats.entropy(p.numpy(), base=base, axis=dim))
        ),
    ),
    Case(
        "foundations.cross_entropy_between",
        fo.cross_entropy_between,
        lambda: {"p": distribution(3, 4), "q": distribution(3, 4, seed=1), "dim": -1, "base": 2.0},
        lambda p, q, dim, base: torch.from_numpy(
            np.asarray(
                scipy.stats.entropy(p.numpy(), base=base, axis=dim)
                + scipy.stats.entropy(p.numpy(), q.numpy(), base=base, axis=dim)
            )
        ),
    ),
    Case(
        "foundations.information_content",
        fo.information_content,
        lambda: {"p": distribution(5), "base": 2.0},
        lambda p, base: -torch.log(p) / math.log(base),
    ),
    Case(
        "foundations.numerical_gradient",
        fo.numerical_gradient,
        lambda: {"f": lambda t: (t**3).sum(), "x": randn(4), "eps": 1e-6},
        lambda f, x, eps: autograd_of(f)(x),
        tolerance={"rtol": 1e-6, "atol": 1e-8},
        # a float32 estimate is far from the exact slope (rounding / eps): documented
        accept={"x:dtype": "any"},
    ),
    Case(
        "foundations.directional_derivative",
        fo.directional_derivative,
        lambda: {"f": lambda t: (t**3).sum(), "x": randn(4), "direction": randn(4, seed=1)},
        lambda f, x, direction: torch.autograd.functional.jvp(f, x, direction / direction.norm())[
            1
        ],
    ),
    Case(
        "foundations.accuracy",
        fo.accuracy,
        lambda: {"logits": randn(8, 3), "y": torch.randint(3, (8,), generator=seeded())},
        lambda logits, y: tm_accuracy(
            logits, y, task="multiclass", num_classes=logits.shape[1], average="micro"
        ).item(),
    ),
    Case(
        "foundations.make_spiral",
        fo.make_spiral,
        lambda: {"points_per_class": 5, "classes": 3, "noise": 0.1, "seed": 0},
        domains={
            "points_per_class": at_least(1),
            "classes": at_least(1),
            "noise": nonneg,
            "seed": anything,
        },
    ),
    Case(
        "foundations.layer_gradient_norms",
        fo.layer_gradient_norms,
        lambda: {"activation": "tanh", "depth": 3, "width": 4, "gain": 1.0, "seed": 0},
        domains={"depth": at_least(1), "width": at_least(1), "gain": nonneg, "seed": anything},
    ),
)


def _net() -> Args:
    g = seeded()
    return {
        "w1": torch.randn(5, 3, generator=g, dtype=torch.float64),
        "b1": torch.randn(5, generator=g, dtype=torch.float64),
        "w2": torch.randn(4, 5, generator=g, dtype=torch.float64),
        "b2": torch.randn(4, generator=g, dtype=torch.float64),
        "x": torch.randn(6, 3, generator=g, dtype=torch.float64),
        "y": torch.randint(4, (6,), generator=g),
    }


def _two_layer_net(w1: Tensor, b1: Tensor, w2: Tensor, b2: Tensor, x: Tensor, y: Tensor) -> object:
    net = fo.TwoLayerNet(w1, b1, w2, b2)
    loss, cache = net.loss(x, y)
    return loss, net.backward(cache)


def _two_layer_net_autograd(
    w1: Tensor, b1: Tensor, w2: Tensor, b2: Tensor, x: Tensor, y: Tensor
) -> object:
    params = [t.detach().clone().requires_grad_() for t in (w1, b1, w2, b2)]
    loss = F.cross_entropy(F.relu(x @ params[0].T + params[1]) @ params[2].T + params[3], y)
    grads = torch.autograd.grad(loss, params)
    return loss.detach(), dict(zip(("w1", "b1", "w2", "b2"), grads, strict=True))


def _clipping_args(**extra: object) -> Callable[[], Args]:
    def make() -> Args:
        params = [randn(3, 2).requires_grad_(), randn(4, seed=1).requires_grad_()]
        for i, p in enumerate(params):
            p.grad = randn(*p.shape, seed=10 + i) * 5
        return {"parameters": params, **extra}

    return make


def _grads_after(clip):  # noqa: ANN001, ANN202 - return what clipping changed, and its value
    def run(parameters: object, **kwargs: object) -> object:
        value = clip(parameters, **kwargs)
        params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
        return value, [p.grad for p in params]

    return run


def _train_args() -> Args:
    torch.manual_seed(0)
    model = nn.Linear(3, 2).double()
    return {
        "model": model,
        "x": randn(10, 3),
        "y": randn(10, 2, seed=1),
        "loss_fn": nn.MSELoss(),
        "optimizer": torch.optim.SGD(model.parameters(), lr=0.1),
        "steps": 3,
        "record_every": 1,
    }


add(
    Case(
        "foundations.TwoLayerNet",
        _two_layer_net,
        _net,
        _two_layer_net_autograd,
        accept={"y:dtype": "any"},  # any integer labels, where F.cross_entropy wants int64
    ),
    Case(
        "foundations.clip_grad_value_",
        _grads_after(fo.clip_grad_value_),
        _clipping_args(clip_value=0.5),
        _grads_after(torch.nn.utils.clip_grad_value_),
    ),
    Case(
        "foundations.clip_grad_norm_",
        _grads_after(fo.clip_grad_norm_),
        _clipping_args(max_norm=1.0, norm_type=2.0),
        _grads_after(torch.nn.utils.clip_grad_norm_),
    ),
    # Paddle's ClipGradByNorm; no library here has it
    Case(
        "foundations.clip_grad_norm_per_tensor_",
        _grads_after(fo.clip_grad_norm_per_tensor_),
        _clipping_args(max_norm=1.0),
        domains={"max_norm": lambda v: v >= 0},
        # only .grad is read: a parameter's values, dtype, shape or device are its own
        accept={
            f"parameters:{c}": "any" for c in ("nan", "inf", "dtype", "shape", "empty", "meta")
        },
    ),
    Case(
        "foundations.train",
        fo.train,
        _train_args,
        domains={"steps": at_least(0), "record_every": at_least(1)},
        accept={
            "x:nan": "propagate",  # the recorded losses show it
            "x:inf": "propagate",
            "y:nan": "propagate",
            "y:inf": "propagate",
            "*:dtype": "any",  # the caller's model and loss decide what they take
            "x:meta": "raises",
            "y:meta": "raises",
            "x:shape": "raises",
            "y:shape": "raises",
        },
    ),
)

from collections.abc import Callable  # noqa: E402 - used by the helpers above
