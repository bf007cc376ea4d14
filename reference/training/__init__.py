"""Training: losses, normalisation, regularisation, optimisers, schedules, memory."""

from reference.training.losses import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    l1_loss,
    mse_loss,
    sigmoid_focal_loss,
    smooth_l1_loss,
)
from reference.training.memory import (
    accumulate_gradients,
    optimizer_state_bytes,
    update_loss_scale,
)
from reference.training.normalization import BatchNorm2d, GroupNorm, LayerNorm
from reference.training.optim import SGD, Adadelta, Adagrad, Adam, AdamW, RMSprop
from reference.training.regularization import (
    DropConnect,
    classic_dropout,
    dropout,
    l1_penalty,
    l2_penalty,
    soft_threshold,
    spatial_dropout,
    stochastic_depth,
)
from reference.training.schedules import (
    cosine_annealing_lr,
    cyclic_lr,
    exponential_lr,
    linear_lr,
    reduce_lr_on_plateau,
    step_lr,
)

__all__ = [
    "SGD",
    "Adadelta",
    "Adagrad",
    "Adam",
    "AdamW",
    "BatchNorm2d",
    "DropConnect",
    "GroupNorm",
    "LayerNorm",
    "RMSprop",
    "accumulate_gradients",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "classic_dropout",
    "cosine_annealing_lr",
    "cross_entropy",
    "cyclic_lr",
    "dropout",
    "exponential_lr",
    "l1_loss",
    "l1_penalty",
    "l2_penalty",
    "linear_lr",
    "mse_loss",
    "optimizer_state_bytes",
    "reduce_lr_on_plateau",
    "sigmoid_focal_loss",
    "smooth_l1_loss",
    "soft_threshold",
    "spatial_dropout",
    "step_lr",
    "stochastic_depth",
    "update_loss_scale",
]
