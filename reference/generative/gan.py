"""A small GAN on a ring of Gaussians: data, networks, the two losses and one training step.

The losses are written with ``softplus`` so that they take logits, exactly as
``F.binary_cross_entropy_with_logits`` does: ``-log sigmoid(a) = softplus(-a)`` and
``-log(1 - sigmoid(a)) = softplus(a)``. Tests: ``tests/generative/test_gan.py``.
"""

from __future__ import annotations

# --8<-- [start:imports]
import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from reference.checks import (
    check_finite,
    check_floating,
    check_instance,
    check_int,
    check_nonempty,
    check_range,
    check_same_device,
    check_shape,
)

# --8<-- [end:imports]

__all__ = [
    "discriminator_loss",
    "gan_step",
    "generator_loss",
    "mlp",
    "ring_centres",
    "sample_ring",
]


# --8<-- [start:data]
def ring_centres(modes: int = 8, radius: float = 2.0) -> Tensor:
    """The ``modes`` centres, evenly spaced on a circle.

    Args:
        modes: number of centres.
        radius: the circle's radius.

    Returns:
        Tensor[modes, 2]: the first centre at ``(radius, 0)``, then counter-clockwise.
    """
    modes = check_int("modes", modes, 1)
    radius = check_range("radius", radius, 0, low_inclusive=False)
    angles = torch.arange(modes, dtype=torch.float32) * (2 * math.pi / modes)
    return radius * torch.stack([angles.cos(), angles.sin()], dim=1)  # [K, 2]


def sample_ring(
    n: int,
    modes: int = 8,
    radius: float = 2.0,
    std: float = 0.05,
    *,
    generator: torch.Generator | None = None,
) -> Tensor:
    """``n`` points from an equal mixture of ``modes`` isotropic Gaussians on a ring.

    Args:
        n: number of points.
        modes: number of Gaussians, centred by :func:`ring_centres`.
        radius: the ring's radius.
        std: each Gaussian's standard deviation.
        generator: the random source (``None``: the global generator).

    Returns:
        Tensor[n, 2]: each point is a centre (chosen uniformly) plus ``std`` * N(0, I).
    """
    n, modes = check_int("n", n, 0), check_int("modes", modes, 1)
    std = check_range("std", std, 0)
    draw_on = generator.device if generator is not None else None  # else the default device
    which = torch.randint(modes, (n,), generator=generator, device=draw_on)
    noise = torch.randn(n, 2, generator=generator, device=draw_on)
    return ring_centres(modes, radius)[which] + std * noise  # [n, 2]


# --8<-- [end:data]


# --8<-- [start:mlp]
def mlp(in_features: int, hidden: int, out_features: int) -> nn.Sequential:
    """Two hidden ReLU layers: big enough for a 2-D distribution, small enough for a CPU.

    Args:
        in_features: input size.
        hidden: width of both hidden layers.
        out_features: output size.

    Returns:
        nn.Sequential: maps Tensor[B, in_features] to Tensor[B, out_features].
    """
    in_features, hidden = check_int("in_features", in_features, 1), check_int("hidden", hidden, 1)
    out_features = check_int("out_features", out_features, 1)
    return nn.Sequential(
        nn.Linear(in_features, hidden),
        nn.ReLU(),
        nn.Linear(hidden, hidden),
        nn.ReLU(),
        nn.Linear(hidden, out_features),
    )


# --8<-- [end:mlp]


# --8<-- [start:losses]
def discriminator_loss(real_logits: Tensor, fake_logits: Tensor) -> Tensor:
    """Binary cross-entropy with real = 1 and fake = 0, averaged over each batch.

    ``-mean log D(x) - mean log(1 - D(G(z)))`` with ``D = sigmoid(logit)``.

    Args:
        real_logits (Tensor[B] or Tensor[B, 1]): the discriminator on real samples.
        fake_logits (Tensor[B'] or Tensor[B', 1]): the discriminator on generated samples.

    Returns:
        Tensor[]: the loss.
    """
    for name, logits in (("real_logits", real_logits), ("fake_logits", fake_logits)):
        check_finite(name, check_floating(name, check_shape(name, logits, ("...", None))))
    check_same_device(("real_logits", "fake_logits"), real_logits, fake_logits)
    return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()


def generator_loss(fake_logits: Tensor, non_saturating: bool = True) -> Tensor:
    """The generator's loss on the discriminator's logits for generated samples.

    ``non_saturating=True``: ``-mean log D(G(z))``, the generator maximises the log-odds
    that its samples are real. ``False``: the original minimax form
    ``mean log(1 - D(G(z)))``, whose gradient vanishes when D confidently rejects the
    samples, which is exactly the situation early in training.

    Args:
        fake_logits (Tensor[B] or Tensor[B, 1]): the discriminator on generated samples.
        non_saturating: which of the two forms.

    Returns:
        Tensor[]: the loss.
    """
    check_floating("fake_logits", check_shape("fake_logits", fake_logits, ("...", None)))
    check_finite("fake_logits", fake_logits)  # softplus(inf) = inf where BCE gives NaN
    if non_saturating:
        return F.softplus(-fake_logits).mean()
    return -F.softplus(fake_logits).mean()


# --8<-- [end:losses]


# --8<-- [start:gan_step]
def gan_step(
    g_model: nn.Module,
    d_model: nn.Module,
    g_optimizer: torch.optim.Optimizer,
    d_optimizer: torch.optim.Optimizer,
    real: Tensor,
    latent_dim: int,
    non_saturating: bool = True,
    *,
    generator: torch.Generator | None = None,
) -> tuple[float, float]:
    """One alternating update: the discriminator first, then the generator.

    Args:
        g_model: the generator network G, latent Tensor[B, latent_dim] to Tensor[B, D].
        d_model: the discriminator D, Tensor[B, D] to logits Tensor[B, 1].
        g_optimizer: steps G's parameters.
        d_optimizer: steps D's parameters.
        real (Tensor[B, D]): a batch of real samples.
        latent_dim: size of the random input ``z ~ N(0, I)`` of the generator.
        non_saturating: the generator's loss, as :func:`generator_loss`.
        generator: the random source of ``z`` (a ``torch.Generator``; ``None``: the global one).

    Returns:
        The discriminator's and the generator's loss, as floats.
    """
    for name, network in (("g_model", g_model), ("d_model", d_model)):
        check_instance(name, network, nn.Module)
    for name, opt in (("g_optimizer", g_optimizer), ("d_optimizer", d_optimizer)):
        check_instance(name, opt, torch.optim.Optimizer)
    check_floating("real", check_shape("real", real, ("B", "D")))
    check_finite("real", check_nonempty("real", real))  # the mean loss of no sample is NaN
    latent_dim = check_int("latent_dim", latent_dim, 1)
    if generator is not None:
        check_instance("generator", generator, torch.Generator)
    B = real.shape[0]

    draw_on = generator.device if generator is not None else real.device

    def latent() -> Tensor:  # z ~ N(0, I), drawn on the generator's device, used as real's
        z = torch.randn(B, latent_dim, generator=generator, device=draw_on)
        return z.to(device=real.device, dtype=real.dtype)

    # Discriminator: the generator's output is a constant here (detach), so only D learns.
    fake = g_model(latent()).detach()  # [B, D]
    d_loss = discriminator_loss(d_model(real), d_model(fake))
    d_optimizer.zero_grad()
    d_loss.backward()
    d_optimizer.step()
    # Generator: gradients flow through D into G, but only G's optimizer steps, so D
    # stays fixed; D's stale .grad is cleared by its zero_grad at the next call.
    g_loss = generator_loss(d_model(g_model(latent())), non_saturating)
    g_optimizer.zero_grad()
    g_loss.backward()
    g_optimizer.step()
    return d_loss.item(), g_loss.item()


# --8<-- [end:gan_step]
