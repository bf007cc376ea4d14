"""Dropout and its relatives, and the L1 / L2 penalties.

``dropout`` is inverted dropout (``nn.Dropout``); ``classic_dropout`` scales at test time
instead. ``spatial_dropout`` drops whole channels (``nn.Dropout2d``), ``DropConnect`` drops
weights, ``stochastic_depth`` drops whole residual branches (``torchvision.ops``). Random
functions take a keyword-only ``generator`` (``None``: the global generator, as PyTorch).
"""

from __future__ import annotations

# --8<-- [start:imports]
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from reference.checks import (
    check_floating,
    check_in,
    check_int,
    check_module_input,
    check_range,
    check_real,
    check_sequence,
)

# --8<-- [end:imports]

__all__ = [
    "DropConnect",
    "classic_dropout",
    "dropout",
    "l1_penalty",
    "l2_penalty",
    "soft_threshold",
    "spatial_dropout",
    "stochastic_depth",
]


# --8<-- [start:checks]
def _check_dropout(input: Tensor, p: object, min_dim: int = 0, mode: object = "row") -> None:
    """A floating tensor with at least ``min_dim`` dimensions, ``p`` in ``[0, 1]``, a known
    ``mode``."""
    check_floating("input", input)
    if input.dim() < min_dim:
        raise ValueError(
            f"input must have at least {min_dim} dimensions (N, C, ...), but got {input.dim()}"
        )
    check_range("p", p, 0.0, 1.0)
    check_in("mode", mode, ("row", "batch"))


def _check_penalty(parameters: list[Tensor], weight: object) -> None:
    """A list (or tuple) of real tensors and a ``weight >= 0``."""
    check_sequence("parameters", parameters, "a list of tensors")
    for i, p in enumerate(parameters):
        check_real(f"parameters[{i}]", p)
    check_range("weight", weight, 0.0)


def _zero(parameters: list[Tensor]) -> Tensor:
    """The sum of no penalty, where the parameters live (the default device if none)."""
    return parameters[0].new_zeros(()) if parameters else torch.zeros(())


def _check_threshold(input: Tensor, threshold: object) -> None:
    check_floating("input", input)
    check_range("threshold", threshold, 0.0)


# --8<-- [end:checks]


# --8<-- [start:dropout]
def _keep_mask(
    shape: tuple[int, ...], p: float, like: Tensor, generator: torch.Generator | None
) -> Tensor:
    """Bernoulli(1 - p) mask of ``shape``, in ``like``'s dtype: 1 = keep."""
    return (torch.rand(shape, generator=generator, device=like.device) >= p).to(like.dtype)


def dropout(
    input: Tensor,
    p: float = 0.5,
    training: bool = True,
    *,
    generator: torch.Generator | None = None,
) -> Tensor:
    """Inverted dropout: zero each element with probability ``p``, scale the rest by ``1/(1 - p)``.

    Scaling during training keeps ``E[output] = input``, so evaluation is the identity.

    Args:
        input (Tensor[...]): activations.
        p: drop probability in ``[0, 1]``.
        training: drop only when True; otherwise return ``input``.
        generator: the random source (``None``: the global generator).

    Returns:
        Tensor[...]: same shape; with ``p = 1`` all zeros, still attached to the graph
        (its gradient is 0), as ``F.dropout``.
    """
    _check_dropout(input, p)
    if not training or p == 0:
        return input
    if p == 1:
        return input * 0.0  # not zeros_like: the output must stay in the autograd graph
    return input * _keep_mask(input.shape, p, input, generator) / (1 - p)


def classic_dropout(
    input: Tensor,
    p: float = 0.5,
    training: bool = True,
    *,
    generator: torch.Generator | None = None,
) -> Tensor:
    """The original dropout: drop with probability ``p`` in training, multiply by ``1 - p`` at test.

    Same expectation as :func:`dropout`, but the scaling is moved to inference.

    Args:
        input (Tensor[...]): activations.
        p: drop probability in ``[0, 1]``.
        training: drop in training; scale by ``1 - p`` otherwise.
        generator: the random source (``None``: the global generator).

    Returns:
        Tensor[...]: same shape.
    """
    _check_dropout(input, p)
    if not training:
        return input * (1 - p)
    return input * _keep_mask(input.shape, p, input, generator)


# --8<-- [end:dropout]


# --8<-- [start:spatial]
def spatial_dropout(
    input: Tensor,
    p: float = 0.5,
    training: bool = True,
    *,
    generator: torch.Generator | None = None,
) -> Tensor:
    """Drop whole channels, as ``nn.Dropout2d``: one Bernoulli draw per (sample, channel).

    Neighbouring pixels of a feature map are strongly correlated, so dropping single pixels
    hardly removes information; dropping the whole map does. Like ``nn.Dropout2d``, a 3-D
    input is read as ``(N, C, L)`` (not as one unbatched ``(C, H, W)`` image).

    Args:
        input (Tensor[N, C, ...]): at least 3-D.
        p: probability of dropping a channel, in ``[0, 1]``.
        training: drop only when True; otherwise return ``input``.
        generator: the random source (``None``: the global generator).

    Returns:
        Tensor[N, C, ...]: same shape; all zeros (still in the graph) for ``p = 1``.
    """
    _check_dropout(input, p, min_dim=3)
    if not training or p == 0:
        return input
    if p == 1:
        return input * 0.0  # stays in the autograd graph, as in dropout
    shape = (*input.shape[:2],) + (1,) * (input.dim() - 2)  # one draw per channel
    return input * _keep_mask(shape, p, input, generator) / (1 - p)


# --8<-- [end:spatial]


# --8<-- [start:dropconnect]
class DropConnect(nn.Linear):
    """A linear layer whose **weights** are dropped (Wan et al., 2013), one mask per forward pass.

    Dropout zeroes activations (whole columns of the next layer's weight matrix); DropConnect
    zeroes individual weights, with inverted scaling so that evaluation uses the weights
    unchanged. (TensorFlow's EfficientNet calls its per-sample residual drop "drop_connect";
    that is stochastic depth, below.)

    Args:
        in_features: size of each input sample.
        out_features: size of each output sample.
        p: probability of dropping a weight, in ``[0, 1)``.
        bias: learn an additive bias (never dropped).
    """

    def __init__(
        self, in_features: int, out_features: int, p: float = 0.5, bias: bool = True
    ) -> None:
        in_features = check_int("in_features", in_features, 1)
        out_features = check_int("out_features", out_features, 1)
        super().__init__(in_features, out_features, bias=bias)
        self.p = check_range("p", p, 0.0, 1.0, high_inclusive=False)  # 1 would drop every weight

    def forward(self, input: Tensor, *, generator: torch.Generator | None = None) -> Tensor:
        """The layer with a fresh weight mask in training.

        Args:
            input (Tensor[..., in_features]): the inputs.
            generator: the random source of the mask (``None``: the global generator).

        Returns:
            Tensor[..., out_features].
        """
        check_module_input("input", input, self, ("...", self.in_features))
        weight = self.weight
        if self.training and self.p > 0:
            weight = weight * _keep_mask(weight.shape, self.p, weight, generator) / (1 - self.p)
        return F.linear(input, weight, self.bias)


# --8<-- [end:dropconnect]


# --8<-- [start:stochastic_depth]
def stochastic_depth(
    input: Tensor,
    p: float,
    mode: str,
    training: bool = True,
    *,
    generator: torch.Generator | None = None,
) -> Tensor:
    """Randomly drop a residual branch, as ``torchvision.ops.stochastic_depth``.

    Apply to the output of a residual block's branch before it is added to the shortcut:
    with probability ``p`` the branch is zeroed (the block becomes the identity), otherwise it
    is scaled by ``1/(1 - p)``. ``mode="row"`` draws per sample, ``"batch"`` once per batch.

    Args:
        input (Tensor[N, ...]): the branch output.
        p: probability of dropping the branch, in ``[0, 1]``.
        mode: ``"row"`` (one draw per sample) or ``"batch"`` (one for the whole batch).
        training: drop only when True; otherwise return ``input``.
        generator: the random source (``None``: the global generator).

    Returns:
        Tensor[N, ...]: same shape.
    """
    _check_dropout(input, p, mode=mode)
    if not training or p == 0:
        return input
    shape = (input.shape[0],) + (1,) * (input.dim() - 1) if mode == "row" else (1,) * input.dim()
    keep = _keep_mask(shape, p, input, generator)
    return input * keep / (1 - p) if p < 1 else input * keep


# --8<-- [end:stochastic_depth]


# --8<-- [start:penalties]
def l1_penalty(parameters: list[Tensor], weight: float) -> Tensor:
    """``weight * sum |w|``: a pull of constant size ``weight`` towards 0 on every weight.

    Added to the loss, its gradient ``weight * sign(w)`` moves the weights towards 0 but, with
    plain gradient steps, makes the small ones oscillate around 0 rather than land on it:
    exact zeros need the proximal step, :func:`soft_threshold`, instead of this term.

    Args:
        parameters: the tensors to penalise (usually the weights, not the biases).
        weight: the penalty's strength, ``>= 0``.

    Returns:
        Tensor[]: the penalty, to add to the loss.
    """
    _check_penalty(parameters, weight)
    return weight * sum((p.abs().sum() for p in parameters), _zero(parameters))


def l2_penalty(parameters: list[Tensor], weight: float) -> Tensor:
    """``weight / 2 * sum w^2``: its gradient is ``weight * w`` (weight decay).

    Args:
        parameters: the tensors to penalise (usually the weights, not the biases).
        weight: the penalty's strength, ``>= 0``.

    Returns:
        Tensor[]: the penalty, to add to the loss.
    """
    _check_penalty(parameters, weight)
    return weight / 2 * sum(((p**2).sum() for p in parameters), _zero(parameters))


def soft_threshold(input: Tensor, threshold: float) -> Tensor:
    """The L1 penalty's proximal step: shrink every entry towards 0 by ``threshold``, stop at 0.

    ``sign(w) * max(|w| - threshold, 0)``, equal to ``F.softshrink(input, threshold)``. After a
    gradient step of size ``lr`` on the loss alone, applying it with ``threshold = lr *
    weight`` minimises ``loss + weight * sum |w|`` (proximal gradient descent, ISTA), and
    every entry smaller than the threshold becomes exactly 0.

    Args:
        input (Tensor[...]): the weights.
        threshold: how far each entry moves towards 0, ``>= 0``.

    Returns:
        Tensor[...]: same shape.
    """
    _check_threshold(input, threshold)
    return torch.sign(input) * (input.abs() - threshold).clamp(min=0)


# --8<-- [end:penalties]
