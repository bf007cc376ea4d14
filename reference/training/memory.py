"""Training with less memory: gradient accumulation over micro-batches, optimiser state size."""

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
    check_same_length,
    check_tensor,
)

# --8<-- [end:imports]

__all__ = ["accumulate_gradients", "optimizer_state_bytes"]


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
    check_instance("model", model, nn.Module)
    check_callable("loss_fn", loss_fn)
    check_tensor("inputs", inputs)
    check_tensor("targets", targets)
    check_same_length(("inputs", "targets"), inputs, targets)
    check_nonempty("inputs", inputs)  # the mean loss of no example is undefined
    micro_batch_size = check_int("micro_batch_size", micro_batch_size, 1)
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
