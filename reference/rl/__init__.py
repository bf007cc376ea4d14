"""Reinforcement learning: a tiny gridworld, policy gradients, actor-critic, inverse RL."""

from reference.rl.gridworld import (
    ACTIONS,
    LAYOUT,
    GridWorld,
    Rollout,
    feature_expectations,
    greedy_policy,
    rollout,
    value_iteration,
)
from reference.rl.inverse import IRLResult, demonstration_features, projection_irl
from reference.rl.policy_gradient import (
    TabularActorCritic,
    TrainingLog,
    discounted_returns,
    one_step_advantages,
    policy_gradient_loss,
    train,
)

__all__ = [
    "ACTIONS",
    "LAYOUT",
    "GridWorld",
    "IRLResult",
    "Rollout",
    "TabularActorCritic",
    "TrainingLog",
    "demonstration_features",
    "discounted_returns",
    "feature_expectations",
    "greedy_policy",
    "one_step_advantages",
    "policy_gradient_loss",
    "projection_irl",
    "rollout",
    "train",
    "value_iteration",
]
