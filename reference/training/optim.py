"""Optimisers as ``torch.optim.Optimizer`` subclasses; each ``step`` is its update rule, in full.

Constructor arguments and defaults are those of ``torch.optim`` (a subset: no ``maximize``,
``foreach``, ``amsgrad`` ...), and the parameters follow ``torch.optim``'s trajectory to 1e-9
in float64 (``tests/training/test_optim.py``). ``g`` is the gradient, ``p`` the parameter.
"""

from __future__ import annotations

# --8<-- [start:imports]
from collections.abc import Callable, Iterable
from typing import overload

import torch
from torch import Tensor
from torch.optim import Optimizer

from reference.checks import check_range

# --8<-- [end:imports]

__all__ = ["SGD", "Adadelta", "Adagrad", "Adam", "AdamW", "RMSprop"]


# --8<-- [start:checks]
# torch.optim's words for each hyper-parameter in its messages, and the top of its range
# (rho may be 1: the bound is open, so a hair above). dampening: torch does not check it.
_HYPER: dict[str, tuple[str | None, float | None]] = {
    "lr": ("learning rate", None),
    "momentum": ("momentum value", None),
    "dampening": (None, None),
    "weight_decay": ("weight_decay value", None),
    "eps": ("epsilon value", None),
    "alpha": ("alpha value", None),
    "rho": ("rho value", 1.0 + 1e-12),
    "lr_decay": ("lr_decay", None),
    "initial_accumulator_value": ("initial_accumulator_value", None),
}


def _check_hyper(
    label: str, name: str, value: object, low: float = 0.0, high: float | None = None
) -> None:
    """torch.optim's ``Invalid learning rate: -0.1``, followed by the argument's name and range."""
    try:  # torch accepts an infinite rate: so do these
        check_range(name, value, low, high, high_inclusive=False, allow_inf=True)
    except ValueError as error:
        raise ValueError(f"Invalid {label}: {value} ({error})") from None


def _check_hypers(betas: object = None, **values: object) -> None:
    """Every value ``>= 0`` (``rho <= 1``, ``betas`` a pair in ``[0, 1)``), with torch.optim's
    messages."""
    for name, value in values.items():
        label, high = _HYPER[name]
        if label is None:
            check_range(name, value)
        else:
            _check_hyper(label, name, value, 0.0, high)
    if betas is None:
        return
    if not isinstance(betas, tuple | list) or len(betas) != 2:
        raise TypeError(f"betas must be a pair (beta1, beta2), but got {betas!r}")
    for i, beta in enumerate(betas):
        _check_hyper(f"beta parameter at index {i}", f"betas[{i}]", beta, 0.0, 1.0)


# --8<-- [end:checks]


# --8<-- [start:base]
class _Rule(Optimizer):
    """The loop every optimiser shares: visit each parameter with a gradient, apply ``update``."""

    def update(self, p: Tensor, g: Tensor, state: dict, group: dict) -> None:
        raise NotImplementedError

    def add_param_group(self, param_group: dict) -> None:
        super().add_param_group(param_group)  # torch's checks: leaves, no duplicates, ...
        for i, p in enumerate(self.param_groups[-1]["params"]):
            # the rules square gradients as real numbers; torch views complex ones as pairs
            if not p.is_floating_point():
                raise TypeError(f"params[{i}] must be a real floating tensor, but got {p.dtype}")

    @overload
    def step(self, closure: None = None) -> None: ...

    @overload
    def step(self, closure: Callable[[], float]) -> float: ...

    def step(self, closure: Callable[[], float] | None = None) -> float | None:
        """One update of every parameter with a gradient; ``closure`` recomputes the loss."""
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        with torch.no_grad():  # the update itself is not part of any graph
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is not None:
                        self.update(p, p.grad, self.state[p], group)
        return loss


# --8<-- [end:base]


# --8<-- [start:sgd]
class SGD(_Rule):
    """Gradient descent with optional momentum (heavy ball or Nesterov) and L2 weight decay.

    Args:
        params: the parameters to optimise (or parameter groups, as ``torch.optim`` takes).
        lr: the learning rate.
        momentum: the momentum factor ``mu``; 0 is plain gradient descent.
        dampening: ``tau``, damping of the gradient's share of the momentum buffer.
        weight_decay: the L2 penalty's factor, added to the gradient.
        nesterov: step with the look-ahead gradient (needs momentum and no dampening).
    """

    def __init__(
        self,
        params: Iterable,
        lr: float = 1e-3,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
    ) -> None:
        _check_hypers(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError(
                "Nesterov momentum requires a momentum and zero dampening, but got "
                f"momentum={momentum}, dampening={dampening}"
            )
        super().__init__(
            params,
            dict(
                lr=lr,
                momentum=momentum,
                dampening=dampening,
                weight_decay=weight_decay,
                nesterov=nesterov,
            ),
        )

    def update(self, p: Tensor, g: Tensor, state: dict, group: dict) -> None:
        lr, mu, tau = group["lr"], group["momentum"], group["dampening"]
        g = g + group["weight_decay"] * p  # L2 penalty: its gradient is added first
        if mu == 0:
            p -= lr * g  # plain gradient descent
            return
        if "buffer" not in state:
            state["buffer"] = g.clone()  # the first step starts from the gradient itself
        else:
            state["buffer"] = mu * state["buffer"] + (1 - tau) * g  # running sum of gradients
        b = state["buffer"]
        p -= lr * (g + mu * b) if group["nesterov"] else lr * b  # Nesterov: look ahead


# --8<-- [end:sgd]


# --8<-- [start:adagrad_rmsprop]
class Adagrad(_Rule):
    """Per-coordinate step ``lr / sqrt(sum of all past g^2)``: rare features keep large steps.

    Args:
        params: the parameters to optimise (or parameter groups, as ``torch.optim`` takes).
        lr: the learning rate.
        lr_decay: the step size at step ``t`` is ``lr / (1 + (t - 1) lr_decay)``.
        weight_decay: the L2 penalty's factor, added to the gradient.
        initial_accumulator_value: the starting sum of squared gradients.
        eps: added to the square root, against division by zero.
    """

    def __init__(
        self,
        params: Iterable,
        lr: float = 1e-2,
        lr_decay: float = 0.0,
        weight_decay: float = 0.0,
        initial_accumulator_value: float = 0.0,
        eps: float = 1e-10,
    ) -> None:
        _check_hypers(
            lr=lr,
            lr_decay=lr_decay,
            weight_decay=weight_decay,
            initial_accumulator_value=initial_accumulator_value,
            eps=eps,
        )
        super().__init__(
            params,
            dict(
                lr=lr,
                lr_decay=lr_decay,
                weight_decay=weight_decay,
                initial_accumulator_value=initial_accumulator_value,
                eps=eps,
            ),
        )

    def update(self, p: Tensor, g: Tensor, state: dict, group: dict) -> None:
        if not state:
            state["step"] = 0
            state["sum"] = torch.full_like(p, group["initial_accumulator_value"])
        state["step"] += 1
        g = g + group["weight_decay"] * p
        lr = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
        state["sum"] += g * g  # G = sum of all past g^2: it only grows, so steps shrink for good
        p -= lr * g / (state["sum"].sqrt() + group["eps"])


class RMSprop(_Rule):
    """Divide by a running RMS of the gradient: Adagrad with a forgetting factor ``alpha``.

    Args:
        params: the parameters to optimise (or parameter groups, as ``torch.optim`` takes).
        lr: the learning rate.
        alpha: the running average's decay.
        eps: added to the square root, against division by zero.
        weight_decay: the L2 penalty's factor, added to the gradient.
        momentum: momentum on the normalised step; 0 for none.
        centered: divide by the standard deviation (subtract the squared mean gradient).
    """

    def __init__(
        self,
        params: Iterable,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
    ) -> None:
        _check_hypers(lr=lr, alpha=alpha, eps=eps, momentum=momentum, weight_decay=weight_decay)
        super().__init__(
            params,
            dict(
                lr=lr,
                alpha=alpha,
                eps=eps,
                weight_decay=weight_decay,
                momentum=momentum,
                centered=centered,
            ),
        )

    def update(self, p: Tensor, g: Tensor, state: dict, group: dict) -> None:
        if not state:  # extra buffers only when their option is on, as in torch
            state["square_avg"] = torch.zeros_like(p)
            if group["centered"]:
                state["grad_avg"] = torch.zeros_like(p)
            if group["momentum"] > 0:
                state["buffer"] = torch.zeros_like(p)
        alpha, eps, lr = group["alpha"], group["eps"], group["lr"]
        g = g.add(p, alpha=group["weight_decay"])  # g + wd * p
        # torch's in-place operations, in its order: where E[g^2] - E[g]^2 is 0 up to
        # rounding (alpha = 0), other roundings would give other results
        v = state["square_avg"].mul_(alpha).addcmul_(g, g, value=1 - alpha)  # E[g^2]
        if group["centered"]:  # subtract E[g]^2: divide by the standard deviation instead
            mean = state["grad_avg"].lerp_(g, 1 - alpha)  # E[g] = alpha E[g] + (1 - alpha) g
            v = v.addcmul(mean, mean, value=-1)
        denom = v.sqrt() + eps  # eps outside the square root, no bias correction
        if group["momentum"] > 0:
            buffer = state["buffer"].mul_(group["momentum"]).addcdiv_(g, denom)  # mu b + g / denom
            p.add_(buffer, alpha=-lr)
        else:
            p.addcdiv_(g, denom, value=-lr)  # p - lr g / denom


# --8<-- [end:adagrad_rmsprop]


# --8<-- [start:adadelta]
class Adadelta(_Rule):
    """RMSprop whose step is scaled by a running RMS of past updates: lr = 1 works.

    Args:
        params: the parameters to optimise (or parameter groups, as ``torch.optim`` takes).
        lr: the learning rate.
        rho: the decay of both running averages.
        eps: added inside both square roots.
        weight_decay: the L2 penalty's factor, added to the gradient.
    """

    def __init__(
        self,
        params: Iterable,
        lr: float = 1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0.0,
    ) -> None:
        _check_hypers(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay)
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay))

    def update(self, p: Tensor, g: Tensor, state: dict, group: dict) -> None:
        if not state:
            state["square_avg"] = torch.zeros_like(p)
            state["acc_delta"] = torch.zeros_like(p)
        rho, eps = group["rho"], group["eps"]
        g = g + group["weight_decay"] * p
        v = state["square_avg"] = rho * state["square_avg"] + (1 - rho) * g * g  # E[g^2]
        u = state["acc_delta"]  # E[delta^2], the running size of past updates
        delta = (u + eps).sqrt() / (v + eps).sqrt() * g  # units of the parameter, not of g
        state["acc_delta"] = rho * u + (1 - rho) * delta * delta
        p -= group["lr"] * delta


# --8<-- [end:adadelta]


# --8<-- [start:adam]
class Adam(_Rule):
    """Momentum (first moment) divided by RMSprop's second moment, both bias-corrected.

    ``weight_decay`` is the coupled L2 penalty, added to the gradient (see :class:`AdamW`).

    Args:
        params: the parameters to optimise (or parameter groups, as ``torch.optim`` takes).
        lr: the learning rate.
        betas: the decays of the first and the second moment.
        eps: added to the second moment's square root.
        weight_decay: the L2 penalty's factor, added to the gradient.
    """

    def __init__(
        self,
        params: Iterable,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        _check_hypers(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay))

    def decay(self, p: Tensor, g: Tensor, group: dict) -> Tensor:
        return g + group["weight_decay"] * p  # coupled: later divided by sqrt(v) too

    def update(self, p: Tensor, g: Tensor, state: dict, group: dict) -> None:
        if not state:
            state["step"] = 0
            state["exp_avg"] = torch.zeros_like(p)
            state["exp_avg_sq"] = torch.zeros_like(p)
        state["step"] += 1
        t, (beta1, beta2) = state["step"], group["betas"]
        g = self.decay(p, g, group)
        m = state["exp_avg"] = beta1 * state["exp_avg"] + (1 - beta1) * g
        v = state["exp_avg_sq"] = beta2 * state["exp_avg_sq"] + (1 - beta2) * g * g
        m_hat = m / (1 - beta1**t)  # m and v start at 0: early on they are too small,
        v_hat = v / (1 - beta2**t)  # dividing by 1 - beta^t removes that bias
        p -= group["lr"] * m_hat / (v_hat.sqrt() + group["eps"])


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov and Hutter, 2019): ``p *= 1 - lr * wd`` first.

    The default ``weight_decay`` is 0.01, not 0.

    Args:
        params: the parameters to optimise (or parameter groups, as ``torch.optim`` takes).
        lr: the learning rate.
        betas: the decays of the first and the second moment.
        eps: added to the second moment's square root.
        weight_decay: the fraction of ``lr`` by which each weight shrinks every step.
    """

    def __init__(
        self,
        params: Iterable,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
    ) -> None:
        super().__init__(params, lr, betas, eps, weight_decay)

    def decay(self, p: Tensor, g: Tensor, group: dict) -> Tensor:
        p *= 1 - group["lr"] * group["weight_decay"]  # shrink the weight, not the gradient
        return g


# --8<-- [end:adam]
