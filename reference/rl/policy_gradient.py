"""Discounted returns, advantages, REINFORCE with a baseline and one-step actor-critic.

The actor is a table of action logits per state (a softmax policy) and the critic a table
of state values: with one-hot states these are exactly a linear layer, so the gradients
are easy to check by hand. Both methods share the rollout and the loss; they differ only
in what weights ``log pi(a|s)``:

* REINFORCE with a baseline: the Monte Carlo return minus the critic, ``G_t - V(s_t)``;
* one-step actor-critic: the TD error ``r_t + gamma V(s_{t+1}) - V(s_t)``.

Tests: ``tests/rl/test_policy_gradient.py``.
"""

# --8<-- [start:imports]
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from reference.checks import (
    as_floating,
    check_bounds,
    check_finite,
    check_floating,
    check_in,
    check_instance,
    check_int,
    check_integer,
    check_range,
    check_real,
    check_same_device,
    check_shape,
)
from reference.rl.gridworld import GridWorld, Rollout, collect_rollout

# --8<-- [end:imports]

__all__ = [
    "TabularActorCritic",
    "TrainingLog",
    "actor_critic_loss",
    "discounted_returns",
    "discounted_returns_loop",
    "one_step_advantages",
    "policy_gradient_loss",
    "train_actor_critic",
]


# --8<-- [start:checks]
def _check_rewards(rewards: Tensor, gamma: float) -> tuple[Tensor, float]:
    """Finite rewards, time last (integers promoted to float), and a discount in [0, 1]."""
    check_shape("rewards", rewards, ("...", "T"))
    rewards = check_finite("rewards", as_floating("rewards", rewards))
    return rewards, check_range("gamma", gamma, 0, 1)


def _check_td(
    rewards: Tensor, values: Tensor, next_values: Tensor, terminal: Tensor, gamma: float
) -> float:
    """Finite values, next values and terminal flags shaped like the rewards, on one device."""
    check_finite("rewards", as_floating("rewards", rewards))
    for name, x in (("values", values), ("next_values", next_values), ("terminal", terminal)):
        check_shape(name, x, tuple(rewards.shape), of="rewards")
    check_finite("values", check_real("values", values))
    check_finite("next_values", check_real("next_values", next_values))
    check_same_device(
        ("rewards", "values", "next_values", "terminal"), rewards, values, next_values, terminal
    )
    return check_range("gamma", gamma, 0, 1)


def _check_steps(logits: Tensor, actions: Tensor, weights: Tensor, mask: Tensor) -> Tensor:
    """B episodes of T steps: logits Tensor[B, T, A], the rest Tensor[B, T]; actions as int64."""
    check_shape("actions", actions, ("B", "T"))
    check_shape("logits", logits, (*actions.shape, "A"), of="actions")
    check_floating("logits", logits)
    check_shape("weights", weights, tuple(actions.shape), of="actions")
    check_shape("mask", mask, tuple(actions.shape), of="actions")
    check_same_device(("logits", "actions", "weights", "mask"), logits, actions, weights, mask)
    check_bounds("actions", check_integer("actions", actions), 0, logits.shape[-1] - 1)
    check_finite("weights", check_real("weights", weights))
    return actions.long()  # gather() takes int64 indices only


def _check_training(method: str, gamma: float, **rates: float) -> tuple[float, ...]:
    """A known method, a discount in [0, 1], and step sizes and weights >= 0 (a negative
    step size would climb the loss: gradient ascent, silently). Returns them as floats."""
    check_in("method", method, ("reinforce", "actor-critic"))
    gamma = check_range("gamma", gamma, 0, 1)
    return (gamma, *(check_range(name, rate, 0) for name, rate in rates.items()))


# --8<-- [end:checks]


# --8<-- [start:returns_loop]
def discounted_returns_loop(rewards: Tensor, gamma: float) -> Tensor:
    """``G_t = r_t + gamma G_{t+1}``, computed backwards from the last step.

    The readable form of :func:`discounted_returns`: the same result, one step at a time.

    Args:
        rewards (Tensor[..., T]): reward of each step, time last; 0 after an episode ended.
        gamma: discount in ``[0, 1]``.

    Returns:
        Tensor[..., T]: the return from each step on.
    """
    _check_rewards(rewards, gamma)
    returns = torch.zeros_like(rewards)
    future = torch.zeros_like(rewards[..., 0])  # G_T = 0: nothing after the last step
    for t in reversed(range(rewards.shape[-1])):
        future = rewards[..., t] + gamma * future  # G_t = r_t + gamma G_{t+1}
        returns[..., t] = future
    return returns


# --8<-- [end:returns_loop]


# --8<-- [start:returns]
def discounted_returns(rewards: Tensor, gamma: float) -> Tensor:
    """``G_t = r_t + gamma r_{t+1} + gamma^2 r_{t+2} + ...`` for every step.

    Computed as one product with the upper-triangular matrix ``M[t', t] = gamma^(t'-t)``
    for ``t' >= t``, instead of the backward loop ``G_t = r_t + gamma G_{t+1}``.
    Rewards after an episode ended must be 0 (a :class:`Rollout` pads them so).

    Args:
        rewards (Tensor[..., T]): reward of each step, time last; finite. Integer rewards
            are promoted to the default float dtype.
        gamma: discount in ``[0, 1]``.

    Returns:
        Tensor[..., T]: the return from each step on.
    """
    rewards, gamma = _check_rewards(rewards, gamma)
    T = rewards.shape[-1]
    steps = torch.arange(T, device=rewards.device)
    lag = steps[:, None] - steps[None, :]  # [T', T]: t' - t
    # where(): gamma ** negative lag would overflow before the mask; gamma=0 needs 0 ** 0 = 1
    M = torch.where(lag >= 0, rewards.new_tensor(gamma) ** lag.clamp(min=0), 0.0)
    return rewards @ M


def one_step_advantages(
    rewards: Tensor, values: Tensor, next_values: Tensor, terminal: Tensor, gamma: float
) -> Tensor:
    """TD errors ``r_t + gamma * V(s_{t+1}) * (1 - terminal_t) - V(s_t)``.

    A terminal step has no future: its target is the reward alone. A step cut off by the
    horizon is not terminal, so it still bootstraps from ``V(s_{t+1})``.

    Args:
        rewards (Tensor[...]): reward of each step.
        values (Tensor[...]): ``V(s_t)``, same shape.
        next_values (Tensor[...]): ``V(s_{t+1})``, same shape.
        terminal (Tensor[...]): whether each step ended its episode, same shape.
        gamma: discount in ``[0, 1]``.

    Returns:
        Tensor[...]: the advantages, same shape.
    """
    gamma = _check_td(rewards, values, next_values, terminal, gamma)
    return rewards + gamma * next_values * (~terminal.bool()) - values


# --8<-- [end:returns]


# --8<-- [start:loss]
def policy_gradient_loss(logits: Tensor, actions: Tensor, weights: Tensor, mask: Tensor) -> Tensor:
    """``-sum_t weight_t * log pi(a_t|s_t)``, averaged over the episodes of the batch.

    Its gradient is the policy-gradient estimate; ``weights`` (returns or advantages)
    are constants, so pass them detached. For a softmax policy the gradient with respect
    to the logits of one step is ``-(weight / B) * (onehot(a) - pi)``.

    Args:
        logits (Tensor[B, T, A]): action scores of each step.
        actions (Tensor[B, T]): the action taken (int64).
        weights (Tensor[B, T]): what each step's log-probability is weighted by.
        mask (Tensor[B, T]): which steps happened (bool); the others count for nothing.
    """
    actions = _check_steps(logits, actions, weights, mask)
    log_pi = torch.log_softmax(logits, dim=-1).gather(-1, actions.unsqueeze(-1)).squeeze(-1)
    return -(mask * weights * log_pi).sum() / actions.shape[0]


# --8<-- [end:loss]


# --8<-- [start:model]
class TabularActorCritic(nn.Module):
    """A table of action logits and one of state values, all zero at the start.

    A zero logit table is the uniform random policy.

    Args:
        n_states: S.
        n_actions: A.
    """

    def __init__(self, n_states: int, n_actions: int) -> None:
        super().__init__()
        n_states, n_actions = (
            check_int("n_states", n_states, 1),
            check_int("n_actions", n_actions, 1),
        )
        self.logits = nn.Parameter(torch.zeros(n_states, n_actions, dtype=torch.float64))
        self.values = nn.Parameter(torch.zeros(n_states, dtype=torch.float64))

    def forward(self, states: Tensor) -> tuple[Tensor, Tensor]:
        """States Tensor[...] (integers) to their logits Tensor[..., A] and values Tensor[...]."""
        check_integer("states", states)
        check_same_device(("states", "self.logits"), states, self.logits)
        check_bounds("states", states, 0, self.logits.shape[0] - 1)
        return self.logits[states.long()], self.values[states.long()]

    def policy(self) -> Tensor:
        """Action probabilities of every state, Tensor[S, A]."""
        return torch.softmax(self.logits.detach(), dim=1)


# --8<-- [end:model]


# --8<-- [start:train]
def actor_critic_loss(
    model: TabularActorCritic,
    batch: Rollout,
    method: str = "actor-critic",
    gamma: float = 0.9,
    entropy: float = 0.03,
) -> Tensor:
    """The loss of one update: policy gradient + critic regression - entropy bonus.

    Args:
        model: the actor and critic tables.
        batch: a :class:`Rollout` of ``B`` episodes sampled with the model's policy.
        method: ``"reinforce"`` (weights ``G_t - V(s_t)``; the critic regresses on
            ``G_t``) or ``"actor-critic"`` (weights ``r_t + gamma V(s') - V(s_t)``; the
            critic regresses on that one-step target).
        gamma: discount in ``[0, 1]``.
        entropy: weight of the policy's mean entropy per episode, subtracted from the loss:
            a bonus that keeps the policy exploring.

    Returns:
        Tensor[]: the loss, whose gradient is the update's direction.
    """
    check_instance("model", model, TabularActorCritic)
    check_instance("batch", batch, Rollout)
    gamma, entropy = _check_training(method, gamma, entropy=entropy)
    episodes = batch.states.shape[0]
    logits, values = model(batch.states)  # [B, T, A], [B, T]
    if method == "actor-critic":
        next_values = model(batch.next_states)[1].detach()
        advantages = one_step_advantages(
            batch.rewards, values.detach(), next_values, batch.terminal, gamma
        )
    else:
        advantages = discounted_returns(batch.rewards, gamma) - values.detach()
    targets = values.detach() + advantages  # r + gamma V(s') or G_t: the critic's target
    critic_loss = (batch.mask * (values - targets) ** 2).sum() / episodes
    log_pi = torch.log_softmax(logits, dim=-1)  # [B, T, A]
    bonus = -(batch.mask * (log_pi.exp() * log_pi).sum(-1)).sum() / episodes  # entropy
    actor_loss = policy_gradient_loss(logits, batch.actions, advantages, batch.mask)
    return actor_loss + critic_loss - entropy * bonus


@dataclass(frozen=True)
class TrainingLog:
    """What :func:`train_actor_critic` recorded.

    Attributes:
        returns: the mean discounted return ``G_0`` of each update's batch of episodes.
    """

    returns: list[float]


def train_actor_critic(
    env: GridWorld,
    method: str = "actor-critic",
    updates: int = 200,
    episodes: int = 16,
    gamma: float = 0.9,
    lr: float = 0.1,
    critic_lr: float = 0.3,
    entropy: float = 0.03,
    *,
    generator: torch.Generator | None = None,
) -> tuple[TabularActorCritic, TrainingLog]:
    """Train a tabular actor and critic with Adam, one batch of episodes per update.

    The tensors are tiny, so one thread is much faster than several (waking a pool of
    threads for each op costs more than the arithmetic); the function leaves the thread
    count alone: call ``torch.set_num_threads(1)`` first if that suits the program.

    Args:
        env: the world.
        method: ``"reinforce"`` or ``"actor-critic"``, as in :func:`actor_critic_loss`.
        updates: number of gradient steps, each on ``episodes`` fresh episodes.
        episodes: episodes per update.
        gamma: discount in ``[0, 1]``.
        lr: Adam's step size for the actor's table.
        critic_lr: Adam's step size for the critic's table.
        entropy: weight of the entropy bonus; without it some seeds settle for standing
            still or wading through the mud.
        generator: the random source of the actions (``None``: the global generator); seed
            it for a reproducible run.

    Returns:
        The trained model and a :class:`TrainingLog`.
    """
    check_instance("env", env, GridWorld)
    updates, episodes = check_int("updates", updates, 1), check_int("episodes", episodes, 1)
    gamma, lr, critic_lr, entropy = _check_training(
        method, gamma, lr=lr, critic_lr=critic_lr, entropy=entropy
    )
    model = TabularActorCritic(env.n_states, env.n_actions)
    optimiser = torch.optim.Adam(
        [{"params": [model.logits], "lr": lr}, {"params": [model.values], "lr": critic_lr}]
    )
    history: list[float] = []
    for _ in range(updates):
        with torch.no_grad():
            batch = collect_rollout(env, lambda s: model(s)[0], episodes, generator=generator)
        loss = actor_critic_loss(model, batch, method, gamma, entropy)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        g0 = discounted_returns(batch.rewards, gamma)[:, 0]  # the whole episode's return
        history.append(g0.mean().item())
    return model, TrainingLog(history)


# --8<-- [end:train]
