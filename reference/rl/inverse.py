"""Inverse RL: recover reward weights under which an expert's behaviour is optimal.

The reward is assumed linear in cell features, ``r(s) = phi(s) @ w``, so a policy's
expected discounted return is ``mu(pi) @ w`` with ``mu`` its *feature expectations*.
Matching the expert's ``mu_E`` therefore matches its return under *every* such reward.
The projection algorithm of Abbeel and Ng, "Apprenticeship learning via inverse
reinforcement learning" (ICML 2004), alternates planning and a projection:

1. ``w = mu_E - mu_bar``: the direction in which the expert still beats the policies
   found so far (``mu_bar`` is the closest point to ``mu_E`` on their mixtures).
2. Plan the optimal policy for reward ``phi @ w`` and compute its ``mu``.
3. Project ``mu_E`` onto the segment from ``mu_bar`` to ``mu``: the new ``mu_bar``.

It stops when a planned policy has the expert's feature expectations; the ``w`` it was
planned for is then a reward under which the expert is optimal. Tests:
``tests/rl/test_inverse.py``.
"""

# --8<-- [start:imports]
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from reference.checks import (
    as_floating,
    check_finite,
    check_instance,
    check_int,
    check_range,
    check_shape,
)
from reference.rl.gridworld import (
    GridWorld,
    Rollout,
    feature_expectations,
    greedy_policy,
    value_iteration,
)

# --8<-- [end:imports]

__all__ = ["IRLResult", "demonstration_features", "projection_irl"]


# --8<-- [start:demonstrations]
def demonstration_features(env: GridWorld, demos: Rollout, gamma: float = 0.9) -> Tensor:
    """The expert's feature expectations ``mu_E``, averaged over demonstrated episodes.

    ``mu_E = mean_b sum_t gamma^t phi(s_{t+1})`` over the steps that happened: only the
    cells the expert landed on are used, never its rewards.

    Args:
        env: the world whose features are counted.
        demos: the expert's episodes.
        gamma: discount in ``[0, 1]``.

    Returns:
        Tensor[K]: float64.
    """
    check_instance("env", env, GridWorld)
    check_instance("demos", demos, Rollout)
    gamma = check_range("gamma", gamma, 0, 1)
    T = demos.next_states.shape[1]
    discount = gamma ** torch.arange(T, dtype=torch.float64, device=demos.mask.device)  # [T]
    phi = env.features[demos.next_states]  # [B, T, K]
    weights = demos.mask.double() * discount  # [B, T]
    return (weights[..., None] * phi).sum(dim=1).mean(dim=0)


# --8<-- [end:demonstrations]


# --8<-- [start:projection_irl]
@dataclass(frozen=True)
class IRLResult:
    """What :func:`projection_irl` found.

    Attributes:
        weights (Tensor[K]): unit reward weights.
        policy (Tensor[S, A]): their optimal policy.
        distances: per iteration, ``||mu_E - mu_bar||`` from the expert to the policies
            found so far.
    """

    weights: Tensor
    policy: Tensor
    distances: list[float]


def projection_irl(
    env: GridWorld, expert_mu: Tensor, gamma: float = 0.9, iterations: int = 50, tol: float = 1e-9
) -> IRLResult:
    """Abbeel and Ng's projection method on ``env``'s features.

    Args:
        env: the world.
        expert_mu (Tensor[K]): the expert's feature expectations.
        gamma: discount in ``[0, 1)``.
        iterations: at most this many planning steps.
        tol: feature expectations closer than this (max-norm) count as equal.

    Returns:
        An :class:`IRLResult`; its weights are all zero when the start policy already has
        the expert's feature expectations (then every reward explains the expert).

    Raises:
        ValueError: no planned policy matched the expert within ``iterations``, or a planned
            policy stopped moving the mixture towards it (the expert may be a mixture that
            no single deterministic policy reproduces).
    """
    check_instance("env", env, GridWorld)
    check_shape("expert_mu", expert_mu, (env.features.shape[1],))
    expert_mu = check_finite("expert_mu", as_floating("expert_mu", expert_mu)).double()
    gamma = check_range("gamma", gamma, 0, 1, high_inclusive=False)
    iterations = check_int("iterations", iterations, 1)
    tol = check_range("tol", tol, 0, low_inclusive=False)
    # start from the policy that is optimal for a zero reward (always the first action)
    zero_reward = torch.zeros(
        env.n_states, env.n_actions, dtype=torch.float64, device=expert_mu.device
    )
    policy = greedy_policy(zero_reward)
    mu_bar = feature_expectations(env, policy, gamma)  # [K]
    if (mu_bar - expert_mu).abs().max() < tol:  # every reward, w = 0 included, explains it
        return IRLResult(torch.zeros_like(expert_mu), policy, [])
    distances: list[float] = []
    for _ in range(iterations):
        w = expert_mu - mu_bar  # [K]
        distances.append(w.norm().item())
        _, Q = value_iteration(env, env.features @ w, gamma)
        policy = greedy_policy(Q)
        mu = feature_expectations(env, policy, gamma)
        if (mu - expert_mu).abs().max() < tol:
            return IRLResult(w / w.norm(), policy, distances)
        step = mu - mu_bar
        if (step @ step).item() == 0:  # the new policy adds nothing: no progress is possible
            break
        mu_bar = mu_bar + (step @ (expert_mu - mu_bar)) / (step @ step) * step
    raise ValueError(
        f"no policy matched expert_mu within {len(distances)} of iterations={iterations} "
        f"(distance {distances[-1]:.3g} > tol={tol}, gamma={gamma}): the expert may be a "
        "mixture that no single deterministic policy reproduces, or come from another gamma"
    )


# --8<-- [end:projection_irl]
