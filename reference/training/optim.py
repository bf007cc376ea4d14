"""Optimisers as ``torch.optim.Optimizer`` subclasses; each ``step`` is its update rule, in full.

Constructor arguments and defaults are those of ``torch.optim`` (a subset: no ``maximize``,
``foreach``, ``amsgrad`` ...), and the parameters follow ``torch.optim``'s trajectory to 1e-9
in float64 (``tests/training/test_optim.py``). ``g`` is the gradient, ``p`` the parameter.
"""

from __future__ import annotations

# --8<-- [start:imports]
import math
from collections.abc import Callable, Iterable
from typing import overload

import torch
from torch import Tensor
from torch.optim import Optimizer

from reference.checks import check_range

# --8<-- [end:imports]

__all__ = ["SGD", "Adadelta", "Adagrad", "Adam", "AdamW", "RMSprop"]


# --8<-- [start:base]
def _check_hyper(
    label: str, name: str, value: object, low: float = 0.0, high: float | None = None
) -> float:
    """torch.optim's ``Invalid learning rate: -0.1``, followed by the argument's name and range."""
    try:  # torch accepts an infinite rate: so do these
        return check_range(name, value, low, high, high_inclusive=False, allow_inf=True)
    except ValueError as error:
        raise ValueError(f"Invalid {label}: {value} ({error})") from None


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
        lr = _check_hyper("learning rate", "lr", lr)
        momentum = _check_hyper("momentum value", "momentum", momentum)
        dampening = check_range("dampening", dampening)
        weight_decay = _check_hyper("weight_decay value", "weight_decay", weight_decay)
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
        g = g.add(p, alpha=group["weight_decay"])  # L2 penalty: its gradient is added first
        mu = group["momentum"]
        if mu:
            if "buffer" not in state:
                state["buffer"] = g.clone()  # the first step starts from the gradient itself
            else:
                state["buffer"].mul_(mu).add_(
                    g, alpha=1 - group["dampening"]
                )  # b = mu b + (1 - tau) g
            # Nesterov: step with the gradient plus the look-ahead of the momentum
            g = g + mu * state["buffer"] if group["nesterov"] else state["buffer"]
        p.add_(g, alpha=-group["lr"])


# --8<-- [end:sgd]


# --8<-- [start:adaptive]
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
        lr = _check_hyper("learning rate", "lr", lr)
        lr_decay = _check_hyper("lr_decay", "lr_decay", lr_decay)
        weight_decay = _check_hyper("weight_decay value", "weight_decay", weight_decay)
        initial_accumulator_value = _check_hyper(
            "initial_accumulator_value", "initial_accumulator_value", initial_accumulator_value
        )
        eps = _check_hyper("epsilon value", "eps", eps)
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
        g = g.add(p, alpha=group["weight_decay"])
        lr = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
        state["sum"].addcmul_(g, g)  # the sum only grows: steps shrink for good
        p.addcdiv_(g, state["sum"].sqrt() + group["eps"], value=-lr)


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
        lr = _check_hyper("learning rate", "lr", lr)
        alpha = _check_hyper("alpha value", "alpha", alpha)
        eps = _check_hyper("epsilon value", "eps", eps)
        momentum = _check_hyper("momentum value", "momentum", momentum)
        weight_decay = _check_hyper("weight_decay value", "weight_decay", weight_decay)
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
        alpha = group["alpha"]
        g = g.add(p, alpha=group["weight_decay"])
        state["square_avg"].mul_(alpha).addcmul_(
            g, g, value=1 - alpha
        )  # E[g^2], no bias correction
        variance = state["square_avg"]
        if group["centered"]:  # subtract E[g]^2: divide by the standard deviation instead
            state["grad_avg"].lerp_(g, 1 - alpha)
            variance = variance.addcmul(state["grad_avg"], state["grad_avg"], value=-1)
        denom = variance.sqrt() + group["eps"]  # eps outside the square root
        if group["momentum"] > 0:
            state["buffer"].mul_(group["momentum"]).addcdiv_(g, denom)
            p.add_(state["buffer"], alpha=-group["lr"])
        else:
            p.addcdiv_(g, denom, value=-group["lr"])


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
        lr = _check_hyper("learning rate", "lr", lr)
        rho = _check_hyper("rho value", "rho", rho, 0.0, 1.0 + 1e-12)
        eps = _check_hyper("epsilon value", "eps", eps)
        weight_decay = _check_hyper("weight_decay value", "weight_decay", weight_decay)
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay))

    def update(self, p: Tensor, g: Tensor, state: dict, group: dict) -> None:
        if not state:
            state["square_avg"] = torch.zeros_like(p)
            state["acc_delta"] = torch.zeros_like(p)
        rho, eps = group["rho"], group["eps"]
        g = g.add(p, alpha=group["weight_decay"])
        state["square_avg"].mul_(rho).addcmul_(g, g, value=1 - rho)
        delta = (state["acc_delta"] + eps).sqrt() / (state["square_avg"] + eps).sqrt() * g
        state["acc_delta"].mul_(rho).addcmul_(delta, delta, value=1 - rho)
        p.add_(delta, alpha=-group["lr"])


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
        lr = _check_hyper("learning rate", "lr", lr)
        eps = _check_hyper("epsilon value", "eps", eps)
        if not isinstance(betas, tuple | list) or len(betas) != 2:
            raise TypeError(f"betas must be a pair (beta1, beta2), but got {betas!r}")
        betas = (
            _check_hyper("beta parameter at index 0", "betas[0]", betas[0], 0.0, 1.0),
            _check_hyper("beta parameter at index 1", "betas[1]", betas[1], 0.0, 1.0),
        )
        weight_decay = _check_hyper("weight_decay value", "weight_decay", weight_decay)
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay))

    def decay(self, p: Tensor, g: Tensor, group: dict) -> Tensor:
        return g.add(p, alpha=group["weight_decay"])  # coupled: later divided by sqrt(v) too

    def update(self, p: Tensor, g: Tensor, state: dict, group: dict) -> None:
        if not state:
            state["step"] = 0
            state["exp_avg"] = torch.zeros_like(p)
            state["exp_avg_sq"] = torch.zeros_like(p)
        state["step"] += 1
        t, (beta1, beta2) = state["step"], group["betas"]
        g = self.decay(p, g, group)
        state["exp_avg"].lerp_(g, 1 - beta1)  # m = beta1 m + (1 - beta1) g
        state["exp_avg_sq"].mul_(beta2).addcmul_(
            g, g, value=1 - beta2
        )  # v = beta2 v + (1 - beta2) g^2
        # m and v start at 0, so early on they underestimate; dividing by 1 - beta^t undoes
        # that. Written as torch.optim orders it: m's correction folded into the step size.
        step_size = group["lr"] / (1 - beta1**t)
        denom = state["exp_avg_sq"].sqrt() / math.sqrt(1 - beta2**t) + group["eps"]
        p.addcdiv_(state["exp_avg"], denom, value=-step_size)


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
        p.mul_(1 - group["lr"] * group["weight_decay"])  # shrink the weight, not the gradient
        return g


# --8<-- [end:adaptive]
