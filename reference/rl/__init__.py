"""Reinforcement learning: a tiny gridworld, policy gradients, actor-critic, inverse RL."""

from reference.rl.gridworld import (
    ACTIONS,
    LAYOUT,
    GridWorld,
    Rollout,
    collect_rollout,
    feature_expectations,
    greedy_policy,
    policy_evaluation,
    value_iteration,
)
from reference.rl.inverse import IRLResult, demonstration_features, projection_irl
from reference.rl.policy_gradient import (
    TabularActorCritic,
    TrainingLog,
    actor_critic_loss,
    discounted_returns,
    discounted_returns_loop,
    one_step_advantages,
    policy_gradient_loss,
    train_actor_critic,
)

__all__ = [
    "ACTIONS",
    "LAYOUT",
    "GridWorld",
    "IRLResult",
    "Rollout",
    "TabularActorCritic",
    "TrainingLog",
    "actor_critic_loss",
    "collect_rollout",
    "demonstration_features",
    "discounted_returns",
    "discounted_returns_loop",
    "feature_expectations",
    "greedy_policy",
    "one_step_advantages",
    "policy_evaluation",
    "policy_gradient_loss",
    "projection_irl",
    "train_actor_critic",
    "value_iteration",
]
