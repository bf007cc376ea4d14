"""Batch normalisation and layer normalisation, state-dict compatible with ``torch.nn``."""

from __future__ import annotations

# --8<-- [start:imports]
import torch
from torch import Tensor, nn

from reference.checks import check_int, check_module_input, check_range

# --8<-- [end:imports]

__all__ = ["BatchNorm2d", "LayerNorm"]


# --8<-- [start:batchnorm]
class BatchNorm2d(nn.Module):
    """Batch normalisation over ``(B, H, W)`` for each channel, as ``nn.BatchNorm2d``.

    Training: normalise with the batch's mean and **biased** variance, then scale and shift
    (``weight``, ``bias``); update the running estimates with the **unbiased** variance,
    ``running = (1 - momentum) * running + momentum * batch``. Evaluation: normalise with the
    running estimates, so one image's output does not depend on the rest of its batch.

    Args:
        num_features: C, the channels.
        eps: added to the variance before the square root.
        momentum: weight of the current batch in the running estimates.
    """

    running_mean: Tensor
    running_var: Tensor
    num_batches_tracked: Tensor

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1) -> None:
        super().__init__()
        num_features = check_int("num_features", num_features, 1)
        eps = check_range("eps", eps, 0.0, low_inclusive=False)
        momentum = check_range("momentum", momentum, 0.0, 1.0)
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.weight = nn.Parameter(torch.ones(num_features))
        self.bias = nn.Parameter(torch.zeros(num_features))
        self.register_buffer("running_mean", torch.zeros(num_features))
        self.register_buffer("running_var", torch.ones(num_features))
        self.register_buffer("num_batches_tracked", torch.tensor(0, dtype=torch.long))

    def forward(self, input: Tensor) -> Tensor:
        """Tensor[B, C, H, W] to the same shape."""
        check_module_input(
            "input", input, self, ("B", self.num_features, "H", "W"), of="num_features"
        )
        if self.training:
            count = input.numel() // self.num_features  # values per channel: B * H * W
            if count < 2:
                raise ValueError(
                    "input must have more than 1 value per channel to train, "
                    f"but got {tuple(input.shape)}"
                )
            var, mean = torch.var_mean(input, dim=(0, 2, 3), unbiased=False)  # biased: to normalise
            with torch.no_grad():
                unbiased = var * count / (count - 1)  # used for the running estimate
                self.running_mean.lerp_(mean, self.momentum)
                self.running_var.lerp_(unbiased, self.momentum)
                self.num_batches_tracked += 1
        else:
            mean, var = self.running_mean, self.running_var
        # weight * (input - mean) / std + bias. The mean is subtracted first: folded into
        # input * scale + (bias - mean * scale), two large terms would cancel and a channel
        # whose mean is 1e4 would lose several bits in float32.
        scale = self.weight * torch.rsqrt(var + self.eps)  # [C]
        centred = input - mean.reshape(1, -1, 1, 1)
        return centred * scale.reshape(1, -1, 1, 1) + self.bias.reshape(1, -1, 1, 1)


# --8<-- [end:batchnorm]


# --8<-- [start:layernorm]
class LayerNorm(nn.Module):
    """Normalise each sample over its last dimensions (``normalized_shape``), as ``nn.LayerNorm``.

    The statistics come from one sample only, so training and evaluation behave the same and
    the batch size does not matter: the normalisation of Transformers and RNNs.

    Args:
        normalized_shape: the trailing dimensions to normalise over (an int for one).
        eps: added to the variance before the square root.
    """

    def __init__(self, normalized_shape: int | tuple[int, ...], eps: float = 1e-5) -> None:
        super().__init__()
        sizes = (
            normalized_shape if isinstance(normalized_shape, tuple | list) else (normalized_shape,)
        )
        if len(sizes) == 0:
            raise ValueError("normalized_shape must name at least one dimension, but got ()")
        shape = tuple(check_int("normalized_shape", n, 1) for n in sizes)
        eps = check_range("eps", eps, 0.0, low_inclusive=False)
        self.normalized_shape, self.eps = shape, eps
        self.weight = nn.Parameter(torch.ones(shape))
        self.bias = nn.Parameter(torch.zeros(shape))

    def forward(self, input: Tensor) -> Tensor:
        """Tensor[..., *normalized_shape] to the same shape."""
        check_module_input(
            "input", input, self, ("...", *self.normalized_shape), of="normalized_shape"
        )
        dims = tuple(range(-len(self.normalized_shape), 0))
        mean = input.mean(dim=dims, keepdim=True)
        var = input.var(dim=dims, keepdim=True, unbiased=False)
        return (input - mean) / torch.sqrt(var + self.eps) * self.weight + self.bias


# --8<-- [end:layernorm]
