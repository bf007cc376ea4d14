"""A tiny gridworld, vectorised over episodes, with exact planning on its tables.

The world is a grid of typed cells: floor (``.``, reward -0.05), the start (``S``, floor),
mud (``~``, reward -0.3, walkable), a pit (``X``, reward -1, ends the episode) and the
goal (``G``, reward +1, ends the episode). An action moves one cell up, right, down or
left; a move into the border leaves the agent where it is. The reward is that of the
cell the agent lands on, so standing still on mud keeps costing.

Everything the agent can meet is in three tables (next state, reward, terminal), so a
batch of episodes steps with one indexing operation, and value iteration and exact policy
evaluation are a few matrix operations. Tests: ``tests/rl/test_gridworld.py``.
"""

# --8<-- [start:imports]
from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
from torch import Tensor

from reference.checks import (
    as_floating,
    check_callable,
    check_data,
    check_distribution,
    check_finite,
    check_floating,
    check_instance,
    check_int,
    check_range,
    check_shape,
)

# --8<-- [end:imports]

__all__ = [
    "ACTIONS",
    "CELL_REWARDS",
    "LAYOUT",
    "GridWorld",
    "Rollout",
    "collect_rollout",
    "feature_expectations",
    "greedy_policy",
    "policy_evaluation",
    "value_iteration",
]

# --8<-- [start:gridworld]
ACTIONS = ("up", "right", "down", "left")
_MOVES = ((-1, 0), (0, 1), (1, 0), (0, -1))  # (row, column) step of each action
CELL_REWARDS = {".": -0.05, "S": -0.05, "~": -0.3, "X": -1.0, "G": 1.0}
FEATURES = (".", "~", "X", "G")  # the reward is linear in these cell-type indicators
LAYOUT = (
    ".....",
    ".X.X.",
    ".....",
    "S~~~G",
)


class GridWorld:
    """A deterministic grid; states are cell indices ``row * width + column``.

    Args:
        layout: equal-length strings of ``. S ~ X G``, exactly one ``S``.
        horizon: the most steps an episode may take before it is cut off.

    Attributes:
        next_state (Tensor[S, A]): where each action leads from each cell.
        reward (Tensor[S]): the reward for landing on each cell (float64).
        terminal (Tensor[S]): cells that end the episode.
        features (Tensor[S, K]): floor, mud, pit and goal indicators; ``reward == features @ w``
            with ``w = true_weights``.
    """

    def __init__(self, layout: Sequence[str] = LAYOUT, horizon: int = 20) -> None:
        if isinstance(layout, str) or not all(isinstance(row, str) for row in layout):
            raise TypeError(f"layout must be a sequence of row strings, but got {layout!r}")
        widths = {len(row) for row in layout}
        if not layout or len(widths) != 1 or 0 in widths:
            raise ValueError(f"layout must be non-empty rows of equal length, but got {layout}")
        cells = "".join(layout)
        unknown = sorted(set(cells) - set(CELL_REWARDS))
        if unknown:
            raise ValueError(f"layout cells must be one of '.S~XG', but got {unknown}")
        if cells.count("S") != 1:
            raise ValueError(f"layout must have exactly one 'S', but got {cells.count('S')}")
        self.layout = tuple(layout)
        self.height, self.width = len(layout), widths.pop()
        self.horizon = check_int("horizon", horizon, 1)
        self.start = cells.index("S")
        S, W = len(cells), self.width
        rows, cols = torch.arange(S) // W, torch.arange(S) % W  # [S]
        moves = torch.tensor(_MOVES)  # [A, 2]
        new_rows = (rows[:, None] + moves[:, 0]).clamp(0, self.height - 1)  # [S, A]
        new_cols = (cols[:, None] + moves[:, 1]).clamp(0, W - 1)  # [S, A]
        self.next_state = new_rows * W + new_cols  # [S, A]
        self.reward = torch.tensor([CELL_REWARDS[c] for c in cells], dtype=torch.float64)
        self.terminal = torch.tensor([c in "XG" for c in cells])
        self.features = torch.tensor(
            [[float(c.replace("S", ".") == f) for f in FEATURES] for c in cells],
            dtype=torch.float64,
        )  # [S, K]
        self.true_weights = torch.tensor([CELL_REWARDS[f] for f in FEATURES], dtype=torch.float64)

    @property
    def n_states(self) -> int:
        return self.height * self.width

    @property
    def n_actions(self) -> int:
        return len(ACTIONS)

    def step(self, states: Tensor, actions: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """One step of every episode.

        Args:
            states (Tensor[B]): where each episode stands.
            actions (Tensor[B]): the action each takes.

        Returns:
            (Tensor[B], Tensor[B], Tensor[B]): next states, rewards, whether each ended.
        """
        next_states = self.next_state[states, actions]
        return next_states, self.reward[next_states], self.terminal[next_states]


# --8<-- [end:gridworld]


# --8<-- [start:rollout]
@dataclass(frozen=True)
class Rollout:
    """``B`` episodes padded to the horizon ``T``; steps after an episode ended are masked.

    Attributes:
        states (Tensor[B, T]): where episode ``b`` stood before step ``t``.
        actions (Tensor[B, T]): the action taken at step ``t``.
        rewards (Tensor[B, T]): what step ``t`` earned (0 once the episode is over).
        next_states (Tensor[B, T]): where step ``t`` led.
        terminal (Tensor[B, T]): whether step ``t`` ended the episode.
        mask (Tensor[B, T]): whether step ``t`` happened (bool).
    """

    states: Tensor
    actions: Tensor
    rewards: Tensor
    next_states: Tensor
    terminal: Tensor
    mask: Tensor


def collect_rollout(
    env: GridWorld,
    policy: Callable[[Tensor], Tensor],
    episodes: int,
    *,
    generator: torch.Generator | None = None,
) -> Rollout:
    """Run ``episodes`` episodes in parallel, sampling actions from ``policy``.

    Args:
        env: the world; every episode starts at ``env.start``.
        policy: maps states Tensor[B] to action logits Tensor[B, A].
        episodes: the batch size ``B``.
        generator: the random source of the actions (``None``: the global generator).

    Returns:
        A :class:`Rollout` of ``T = env.horizon`` steps.
    """
    check_instance("env", env, GridWorld)
    check_callable("policy", policy)
    B, T = check_int("episodes", episodes, 1), env.horizon
    device = env.next_state.device  # the world's tables decide where the episodes run
    state = torch.full((B,), env.start, device=device)
    alive = torch.ones(B, dtype=torch.bool, device=device)
    fields: dict[str, list[Tensor]] = {k: [] for k in ("s", "a", "r", "s2", "term", "mask")}
    for _ in range(T):
        probs = torch.softmax(policy(state), dim=-1)  # [B, A]
        action = torch.multinomial(probs, 1, generator=generator).squeeze(1)  # [B]
        next_state, reward, term = env.step(state, action)
        fields["s"].append(state)
        fields["a"].append(action)
        fields["r"].append(torch.where(alive, reward, 0.0))
        fields["s2"].append(next_state)
        fields["term"].append(term & alive)
        fields["mask"].append(alive)
        alive = alive & ~term
        state = torch.where(alive, next_state, state)  # finished episodes stay put
    s, a, r, s2, term, mask = (torch.stack(fields[k], dim=1) for k in fields)  # each [B, T]
    return Rollout(s, a, r, s2, term, mask)


# --8<-- [end:rollout]


# --8<-- [start:planning]
def _check_policy(env: GridWorld, policy: Tensor) -> None:
    """A world and one probability distribution over its actions per cell."""
    check_instance("env", env, GridWorld)
    check_shape("policy", policy, (env.n_states, env.n_actions))
    check_distribution("policy", as_floating("policy", policy), dim=1)


def _check_reward(env: GridWorld, reward: Tensor | None) -> Tensor:
    """A finite reward per cell of the world; the world's own for ``None``."""
    check_instance("env", env, GridWorld)
    if reward is None:
        return env.reward
    return check_finite(
        "reward", as_floating("reward", check_shape("reward", reward, (env.n_states,)))
    )


def value_iteration(
    env: GridWorld, reward: Tensor | None = None, gamma: float = 0.9, tol: float = 1e-12
) -> tuple[Tensor, Tensor]:
    """Optimal state values and action values for a reward on landing in each cell.

    ``Q(s, a) = r(s') + gamma * V(s')`` with ``s'`` the cell ``a`` leads to, and no
    future after a terminal ``s'``; ``V(s) = max_a Q(s, a)``. The horizon is ignored
    (it is long enough on the default layout not to change the optimum).

    Args:
        env: the world.
        reward (Tensor[S]): reward for landing on each cell; the world's own by default.
        gamma: discount in ``[0, 1)``.
        tol: stop when no value changes by this much in one sweep.

    Returns:
        (Tensor[S], Tensor[S, A]): ``V`` and ``Q``, float64.
    """
    reward = _check_reward(env, reward)
    gamma = check_range("gamma", gamma, 0, 1, high_inclusive=False)
    tol = check_range("tol", tol, 0, low_inclusive=False)
    r = reward.double()[env.next_state]  # [S, A]
    future = (~env.terminal).double()[env.next_state]  # [S, A]: 0 where the move ends it
    # The update is a gamma-contraction: after k steps |V_k+1 - V_k| <= gamma^k max|r|, so
    # this many iterations reach tol unless tol is below the rounding error of V.
    scale = r.abs().max().item()
    bound = math.log(tol / scale) / math.log(gamma) if 0 < gamma and tol < scale else 1.0
    max_iter = math.ceil(bound) + 10
    V = torch.zeros(env.n_states, dtype=torch.float64, device=r.device)
    for _ in range(max_iter):
        Q = r + gamma * future * V[env.next_state]  # [S, A]
        V_new = Q.max(dim=1).values
        if (V_new - V).abs().max() < tol:
            return V_new, Q
        V = V_new
    raise ValueError(
        f"value_iteration did not reach tol={tol} within {max_iter} iterations (the bound "
        f"for gamma={gamma}): tol must be above the rounding error of the values, "
        f"about {2.2e-16 * V.abs().max().item():.1e}"
    )


def policy_evaluation(
    env: GridWorld, policy: Tensor, gamma: float = 0.9, reward: Tensor | None = None
) -> Tensor:
    """The exact value ``V_pi(s)`` of every cell under a (stochastic) policy.

    Solves the Bellman equations ``V(s) = sum_a pi(a|s) (r(s') + gamma V(s') [s' not
    terminal])`` as one linear system; as :func:`value_iteration`, the horizon is ignored,
    which is what a critic that bootstraps at the horizon estimates.

    Args:
        env: the world.
        policy (Tensor[S, A]): action probabilities in each state (rows sum to 1).
        gamma: discount in ``[0, 1)``.
        reward (Tensor[S]): reward for landing on each cell; the world's own by default.

    Returns:
        Tensor[S]: float64; a terminal cell, never acted from, gets the value of acting as
        the equations say (it is not used).
    """
    _check_policy(env, policy)
    gamma = check_range("gamma", gamma, 0, 1, high_inclusive=False)
    reward = _check_reward(env, reward)
    S = env.n_states
    moves = torch.nn.functional.one_hot(env.next_state, S).double()  # [S, A, S']
    P = torch.einsum("sa,sat->st", policy.double(), moves)  # [S, S']: where a step leads
    r = P @ reward.double()  # [S]: the expected reward of one step
    continues = P * (~env.terminal).double()  # no future after landing on a terminal cell
    eye = torch.eye(S, dtype=torch.float64, device=P.device)
    return torch.linalg.solve(eye - gamma * continues, r)


def greedy_policy(Q: Tensor) -> Tensor:
    """The deterministic policy that picks the best action (lowest index on ties).

    Args:
        Q (Tensor[S, A]): action values.

    Returns:
        Tensor[S, A]: one-hot rows, float64.
    """
    check_floating("Q", check_shape("Q", Q, ("S", "A")))
    check_data("Q", Q)
    return torch.nn.functional.one_hot(Q.argmax(dim=1), Q.shape[1]).double()


def feature_expectations(env: GridWorld, policy: Tensor, gamma: float = 0.9) -> Tensor:
    """Exact ``E[sum_t gamma^t phi(s_{t+1})]`` over ``env.horizon`` steps.

    The state distribution is pushed forward through the policy's transition matrix;
    probability mass that lands on a terminal cell counts once and then leaves. With
    ``reward = features @ w`` the expected discounted return is ``result @ w``.

    Args:
        env: the world.
        policy (Tensor[S, A]): action probabilities in each state (rows sum to 1).
        gamma: discount in ``[0, 1]``.

    Returns:
        Tensor[K]: one expectation per feature.
    """
    _check_policy(env, policy)
    gamma = check_range("gamma", gamma, 0, 1)
    S = env.n_states
    moves = torch.nn.functional.one_hot(env.next_state, S).double()  # [S, A, S']
    P = torch.einsum("sa,sat->st", policy.double(), moves)  # [S, S']
    d = torch.zeros(S, dtype=torch.float64, device=P.device)
    d[env.start] = 1.0
    mu = torch.zeros(env.features.shape[1], dtype=torch.float64, device=P.device)
    for t in range(env.horizon):
        landed = d @ P  # [S']: where the mass stands after step t
        mu = mu + gamma**t * (landed @ env.features)
        d = landed * (~env.terminal).double()
    return mu


# --8<-- [end:planning]
