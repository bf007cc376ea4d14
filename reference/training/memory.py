"""Training with less memory: gradient accumulation over micro-batches, optimiser state size,
and the dynamic loss scale of float16 mixed precision."""

from __future__ import annotations

# --8<-- [start:imports]
from collections.abc import Callable

import torch
from torch import Tensor, nn

from reference.checks import (
    check_callable,
    check_instance,
    check_int,
    check_nonempty,
    check_range,
    check_same_length,
    check_tensor,
)

# --8<-- [end:imports]

__all__ = ["accumulate_gradients", "optimizer_state_bytes", "update_loss_scale"]


# --8<-- [start:checks]
def _check_micro_batches(
    model: object, loss_fn: object, inputs: Tensor, targets: Tensor, micro_batch_size: object
) -> None:
    """A module, a callable loss, a non-empty batch with one target per row, and micro-batches
    of at least one row."""
    check_instance("model", model, nn.Module)
    check_callable("loss_fn", loss_fn)
    check_tensor("inputs", inputs)
    check_same_length(("inputs", "targets"), inputs, check_tensor("targets", targets))
    check_nonempty("inputs", inputs)  # the mean loss of no example is undefined
    check_int("micro_batch_size", micro_batch_size, 1)


def _check_scaling(
    scale: object,
    growth_tracker: object,
    found_inf: object,
    growth_factor: object,
    backoff_factor: object,
    interval: object,
) -> None:
    """A positive scale, a count ``>= 0``, a bool, a growth above 1, a backoff in ``(0, 1)``
    and an interval of at least one step."""
    check_range("scale", scale, 0.0, low_inclusive=False)
    check_int("growth_tracker", growth_tracker, 0)
    check_instance("found_inf", found_inf, bool)
    check_range("growth_factor", growth_factor, 1.0, low_inclusive=False)
    check_range(
        "backoff_factor", backoff_factor, 0.0, 1.0, low_inclusive=False, high_inclusive=False
    )
    check_int("growth_interval", interval, 1)


# --8<-- [end:checks]


# --8<-- [start:accumulate]
def accumulate_gradients(
    model: nn.Module,
    loss_fn: Callable[[Tensor, Tensor], Tensor],
    inputs: Tensor,
    targets: Tensor,
    micro_batch_size: int,
) -> Tensor:
    """Backpropagate a batch in micro-batches, leaving the batch's mean-loss gradient in ``.grad``.

    Only one micro-batch's activations are alive at a time. Each micro-batch's mean loss is
    weighted by its share of the batch, so the accumulated gradient equals that of one
    backward pass on the whole batch, for any model whose examples do not interact (no
    BatchNorm in training mode: its statistics would come from the micro-batch).

    Args:
        model: the network; its parameters' ``.grad`` receive the batch's gradient.
        loss_fn: the mean loss of a micro-batch, ``loss_fn(model(x), y)``.
        inputs (Tensor[N, ...]): the batch.
        targets (Tensor[N, ...]): its targets.
        micro_batch_size: rows per backward pass.

    Returns:
        Tensor[]: the batch's mean loss (detached).
    """
    _check_micro_batches(model, loss_fn, inputs, targets, micro_batch_size)
    total = inputs.shape[0]
    losses = []  # in the loss's dtype and device: inputs may be token ids or uint8 images
    for start in range(0, total, micro_batch_size):
        x, y = inputs[start : start + micro_batch_size], targets[start : start + micro_batch_size]
        loss = loss_fn(model(x), y) * (x.shape[0] / total)  # mean over the micro-batch, reweighted
        loss.backward()  # adds to .grad; the micro-batch's graph is freed here
        losses.append(loss.detach())
    return torch.stack(losses).sum()


def optimizer_state_bytes(optimizer: torch.optim.Optimizer) -> int:
    """Bytes held by the optimiser's per-parameter state (momentum buffers, moment estimates).

    Args:
        optimizer: any ``torch.optim.Optimizer``, after at least one step (state is lazy).

    Returns:
        The number of bytes.
    """
    check_instance("optimizer", optimizer, torch.optim.Optimizer)
    return sum(
        value.numel() * value.element_size()
        for state in optimizer.state.values()
        for value in state.values()
        if isinstance(value, Tensor)
    )


# --8<-- [end:accumulate]


# --8<-- [start:loss_scale]
def update_loss_scale(
    scale: float,
    growth_tracker: int,
    found_inf: bool,
    growth_factor: float = 2.0,
    backoff_factor: float = 0.5,
    growth_interval: int = 2000,
) -> tuple[float, int]:
    """One update of float16 training's loss scale, as ``torch.amp.GradScaler.update``.

    The loss is multiplied by ``scale`` before ``backward()`` so that small gradients do not
    underflow in float16, and the gradients are divided by it before the step. If a gradient
    came out infinite or NaN (``found_inf``), that step is skipped and the scale halves;
    after ``growth_interval`` clean steps in a row it doubles, probing for the largest scale
    that does not overflow. The scale is a float32, as in ``GradScaler``: a growth that would
    overflow it is not taken.

    Args:
        scale: the current loss scale, ``> 0`` (``GradScaler`` starts at 65536).
        growth_tracker: clean steps since the last change of scale.
        found_inf: whether this step's gradients held an inf or a NaN.
        growth_factor: what the scale is multiplied by after ``growth_interval`` clean steps.
        backoff_factor: what it is multiplied by after an overflow, in ``(0, 1)``.
        growth_interval: clean steps before a growth.

    Returns:
        The new scale and the new count of clean steps.
    """
    _check_scaling(scale, growth_tracker, found_inf, growth_factor, backoff_factor, growth_interval)
    if found_inf:
        return scale * backoff_factor, 0  # overflow: smaller scale, and start counting again
    if growth_tracker + 1 < growth_interval:
        return scale, growth_tracker + 1
    grown = scale * growth_factor
    if grown > torch.finfo(torch.float32).max:  # would be inf in float32: keep the scale
        return scale, 0
    return grown, 0


# --8<-- [end:loss_scale]
