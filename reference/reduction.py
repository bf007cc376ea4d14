"""The one reduction helper behind every loss of the package.

A loss is first computed per element (``reduction="none"``); ``reduce_loss`` then sums or
averages it. Two conventions of production code need options: a weighted mean divides by
the sum of the weights (``F.cross_entropy(weight=...)``), and torchvision's box losses
return 0, not NaN, for the mean of nothing.
"""

from __future__ import annotations

# --8<-- [start:imports]
from torch import Tensor

from reference.checks import check_in

# --8<-- [end:imports]

__all__ = ["REDUCTIONS", "reduce_loss"]


# --8<-- [start:reduce]
REDUCTIONS = ("none", "mean", "sum")


def reduce_loss(
    loss: Tensor,
    reduction: str,
    *,
    mean_divisor: Tensor | None = None,
    zero_if_empty: bool = False,
) -> Tensor:
    """Reduce per-element losses as ``torch.nn.functional``'s losses do.

    Args:
        loss (Tensor[...]): the loss of every element.
        reduction: ``"none"`` (return ``loss``), ``"mean"`` or ``"sum"``.
        mean_divisor (Tensor[]): what ``"mean"`` divides the sum by instead of the element
            count, e.g. the total weight of a weighted loss.
        zero_if_empty: ``"mean"`` of no elements is 0 (torchvision's box losses) instead
            of NaN (0 / 0, as ``torch.mean``).

    Returns:
        Tensor[...] for ``"none"``, else Tensor[] (a scalar).

    Example:
        >>> import torch
        >>> reduce_loss(torch.tensor([1.0, 2.0, 6.0]), "mean")
        tensor(3.)
        >>> reduce_loss(torch.zeros(0), "mean", zero_if_empty=True)
        tensor(0.)
    """
    check_in("reduction", reduction, REDUCTIONS)
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    if zero_if_empty and loss.numel() == 0:
        return 0.0 * loss.sum()  # keeps the graph, so backward() still works
    return loss.mean() if mean_divisor is None else loss.sum() / mean_divisor


# --8<-- [end:reduce]
