"""Training: losses, normalisation, regularisation."""

from reference.training.losses import (
    binary_cross_entropy_with_logits,
    cross_entropy,
    l1_loss,
    mse_loss,
    sigmoid_focal_loss,
    smooth_l1_loss,
)
from reference.training.normalization import BatchNorm2d, LayerNorm
from reference.training.regularization import (
    DropConnect,
    classic_dropout,
    dropout,
    l1_penalty,
    l2_penalty,
    spatial_dropout,
    stochastic_depth,
)

__all__ = [
    "BatchNorm2d",
    "DropConnect",
    "LayerNorm",
    "binary_cross_entropy_with_logits",
    "classic_dropout",
    "cross_entropy",
    "dropout",
    "l1_loss",
    "l1_penalty",
    "l2_penalty",
    "mse_loss",
    "sigmoid_focal_loss",
    "smooth_l1_loss",
    "spatial_dropout",
    "stochastic_depth",
]
