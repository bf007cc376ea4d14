# %% [markdown]
# # Reinforcement learning: rewards, policy gradient, actor–critic and inverse RL · 强化学习
#
# Supervised learning is told the right answer for every input. Reinforcement learning
# is only told, now and then, how well things are going, and has to work out which of
# its earlier decisions deserve the credit. This page builds the whole loop on a world
# small enough to solve exactly, so every learned number can be checked against the
# optimum: a 4 × 5 gridworld, a policy-gradient learner with a baseline, a one-step
# actor–critic, and, in the other direction, inverse RL, which recovers a reward from an
# expert's behaviour. The code is in `reference/rl/` and its tests in `tests/rl/`; this
# page is an executed notebook, so the numbers below are the ones the site's build measured.

# %%
import ast
import inspect

import numpy as np
import torch
from IPython.display import HTML, Code
from matplotlib.patches import Rectangle

from reference.plotting import COLORS, INK, figure, figure_html
from reference.rl import (
    ACTIONS,
    GridWorld,
    actor_critic_loss,
    collect_rollout,
    demonstration_features,
    discounted_returns,
    feature_expectations,
    greedy_policy,
    one_step_advantages,
    policy_gradient_loss,
    projection_irl,
    train_actor_critic,
    value_iteration,
)


def source(*functions) -> Code:
    """The code of reference functions, docstrings left out (they are in the repository)."""
    texts = []
    for function in functions:
        lines = inspect.getsource(function).splitlines()
        first = ast.parse("\n".join(lines)).body[0].body[0]
        if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
            del lines[first.lineno - 1 : first.end_lineno]
        texts.append("\n".join(lines))
    return Code("\n\n\n".join(texts), language="python")


torch.manual_seed(0)
# The tables are tiny: waking a pool of threads for each operation costs far more than the
# arithmetic, so this notebook runs on one thread (a choice for the process, made here).
torch.set_num_threads(1)
env = GridWorld()
print("\n".join(env.layout))
print("features:", ".~XG", "true reward weights:", env.true_weights.tolist())

# %% [markdown]
# ## Reinforcement learning basics · 强化学习
# <a id="basics"></a>
#
# Five words carry the whole subject:
#
# * The **environment** is the world: it has a **state** <i>s<sub>t</sub></i> (here, the cell
#   the agent stands on) and changes when acted upon.
# * The **actor** (or agent) chooses an **action** <i>a<sub>t</sub></i> (up, right, down, left);
#   the environment moves to <i>s<sub>t+1</sub></i> and pays a **reward** <i>r<sub>t</sub></i>.
#   In this world, landing on floor costs 0.05 (time is not free), mud `~` costs 0.3, a pit `X`
#   costs 1 and ends the episode, and the goal `G` pays 1 and ends it.
# * A **policy** <i>π(a | s)</i> is the actor's rule: a probability for each action in each
#   state. Here it is a table of logits, one row per cell, through a softmax.
# * The **return** is what the actor tries to maximise: not the next reward but the discounted
#   sum of all that follow, <i>G<sub>t</sub> = r<sub>t</sub> + γ r<sub>t+1</sub> + γ²
#   r<sub>t+2</sub> + …</i> With <i>γ</i> = 0.9 a reward ten steps away is worth about a third
#   of one now.
#
# The layout is a trap for a greedy learner. The straight road from `S` to `G` crosses
# three mud cells; the best route climbs one row, walks along it and comes down: six
# steps instead of four, but no mud. Standing still is not safe either, since every
# step on the floor costs something. Planning with the known tables (value iteration)
# gives the optimum to compare against, and the exact expected return of the uniformly
# random policy shows where learning starts:

# %%
V, Q = value_iteration(env, gamma=0.9)
uniform = torch.full((env.n_states, env.n_actions), 0.25, dtype=torch.float64)
random_return = (feature_expectations(env, uniform) @ env.true_weights).item()
print(f"optimal return from S: {V[env.start]:.4f}")
print(f"random policy's expected return: {random_return:.4f}")
# terminal cells are never acted from: their value is not defined
print("optimal state values:")
print(V.masked_fill(env.terminal, float("nan")).reshape(env.height, -1).numpy().round(3))

# %% [markdown]
# **When RL beats supervised learning.** Three situations make labels the wrong tool:
#
# 1. *Nobody knows the right action.* A supervised learner needs the correct move for
#    each state. For a game or a robot, a human can say whether the outcome was good
#    much more easily than which move was right, and experts disagree on moves.
# 2. *The reward is delayed.* Here the first step (up) earns −0.05, exactly like a step
#    into a corner; only five steps later does the goal show that it was the right one.
#    Assigning that credit backwards through time is what returns and critics do.
# 3. *The actor's choices change its data.* A policy trained on expert states visits
#    states the expert never did and has no labels there; an RL agent collects its own
#    experience where it actually goes.
#
# The price is efficiency: reward is one number per step, not a label per decision, so
# RL needs many more trials. When labels are cheap, use them.
#
# The return of every step of an episode can be computed with the backward recursion
# <i>G<sub>t</sub> = r<sub>t</sub> + γ G<sub>t+1</sub></i>; `discounted_returns` computes all of
# them at once as a product with an upper-triangular matrix of powers of <i>γ</i> (tested
# against the loop):

# %%
source(discounted_returns)

# %%
rewards = torch.tensor([[-0.05, -0.05, -0.05, -0.05, -0.05, 1.0]], dtype=torch.float64)
print("rewards along the best route:", rewards.tolist()[0])
print("returns G_t:", discounted_returns(rewards, 0.9).numpy().round(4).tolist()[0])

# %% [markdown]
# ## Policy gradient and actor–critic · 策略梯度与演员-评论家
# <a id="actor-critic"></a>
#
# **Policy gradient.** Increase the log-probability of each action taken, in proportion
# to how good it turned out. The policy-gradient theorem makes this exact: the gradient
# of the expected return is
#
# $$
# \nabla_\theta J = \mathbb{E}\left[\sum_t \nabla_\theta \log \pi_\theta(a_t \mid s_t)
# \,\bigl(G_t - b(s_t)\bigr)\right]
# $$
#
# With $b = 0$ this is **REINFORCE**. Any baseline $b(s_t)$ that does not
# depend on the action leaves the expectation unchanged (the score <i>∇ log π</i> has mean zero
# under <i>π</i>), but a good one, the state value <i>V(s<sub>t</sub>)</i>, removes most of the
# variance: an action is now pushed up only if it did better than usual *from that state*. For a
# softmax policy the gradient with respect to the logits of one step is onehot(<i>a</i>) −
# <i>π</i>, which `tests/rl/test_policy_gradient.py` checks against autograd.
#
# **Actor–critic.** Learn the baseline as a second table, the **critic** <i>V(s)</i>, and use it
# a second time: instead of waiting for the episode's end to know <i>G<sub>t</sub></i>, estimate
# it after one step as <i>r<sub>t</sub> + γ V(s<sub>t+1</sub>)</i>. The weight of <i>log π</i>
# becomes the **TD error**
#
# $$\delta_t = r_t + \gamma V(s_{t+1}) - V(s_t),$$
#
# lower variance than <i>G<sub>t</sub> − V(s<sub>t</sub>)</i> (one random reward instead of all
# of them), at the cost of bias while the critic is wrong. The actor proposes, the critic judges
# each action against its own expectation, and both improve together, a division of labour that
# recalls a GAN's generator and discriminator, although here the critic learns from real rewards
# rather than from the actor's mistakes. The critic's regression target is the same quantity:
# <i>G<sub>t</sub></i> for REINFORCE, <i>r<sub>t</sub> + γ V(s<sub>t+1</sub>)</i> (no future
# after a terminal step) for actor–critic.

# %%
source(one_step_advantages, policy_gradient_loss, actor_critic_loss)

# %% [markdown]
# Both learners share everything else: 200 updates, each on 16 fresh episodes of at most
# 20 steps, Adam on both tables, and a small entropy bonus that keeps the policy from
# committing too early. Without it, some seeds settle for wading through the mud or for
# bumping into a wall forever, both local optima of this layout. Three seeds each:

# %%
runs = {
    method: [
        train_actor_critic(env, method, generator=torch.Generator().manual_seed(seed))
        for seed in range(3)
    ]
    for method in ("reinforce", "actor-critic")
}
for method, results in runs.items():
    for seed, (model, log) in enumerate(results):
        expected = (feature_expectations(env, model.policy()) @ env.true_weights).item()
        greedy = feature_expectations(env, greedy_policy(model.logits.detach()))
        print(
            f"{method:>12} seed {seed}: last 20 batches {np.mean(log.returns[-20:]):.3f}, "
            f"expected {expected:.3f}, greedy {(greedy @ env.true_weights).item():.4f}"
        )

# %% [markdown]
# "Expected" is the exact expected return of the learned, still stochastic policy;
# "greedy" is the return of always taking its most likely action, which matches the
# optimum 0.3857 for every run. The test asserts an expected return above 0.3 for seed 0
# of both methods (random: −1.00), and that the entropy bonus adds exactly its analytic
# gradient to the loss's; on one idle core a 200-update run takes about half a second.

# %%
window = 10
with figure(figsize=(7.5, 3.6)) as (fig, ax):
    for colour, (method, results) in zip(COLORS, runs.items(), strict=False):
        for seed, (_, log) in enumerate(results):
            smooth = np.convolve(log.returns, np.ones(window) / window, mode="valid")
            episodes = 16 * np.arange(window, len(log.returns) + 1)
            ax.plot(episodes, smooth, color=colour, lw=1.4, label=method if seed == 0 else None)
    ax.axhline(V[env.start].item(), color=COLORS[2], ls="--", lw=1, label="optimum")
    ax.axhline(random_return, color=COLORS[7], ls=":", lw=1, label="random policy")
    ax.set(xlabel="episodes", ylabel="discounted return", ylim=(-1.2, 0.6))
    ax.legend(loc="lower right")
    html = figure_html(
        fig,
        "Mean return of each batch of 16 episodes (moving average over 10 batches), "
        "three seeds per method.",
    )
HTML(html)

# %% [markdown]
# On this small world both methods reach the optimum at a similar pace; actor–critic's
# advantage, lower variance, matters more as episodes get long and rewards noisy, and
# its one-step updates do not need the episode to end.
#
# The learned policy of the first actor–critic run: the arrow in each cell is its most
# likely action, its length the probability, and the number the critic's value.

# %%
model = runs["actor-critic"][0][0]
probs = model.policy().numpy()
values = model.values.detach().numpy()
arrows = {0: (0, 0.35), 1: (0.35, 0), 2: (0, -0.35), 3: (-0.35, 0)}
shade = {"~": COLORS[5], "X": COLORS[3], "G": COLORS[2]}
with figure(figsize=(5.6, 4.6)) as (fig, ax):
    for s in range(env.n_states):
        row, col = divmod(s, env.width)
        y, cell = env.height - 1 - row, env.layout[row][col]
        ax.add_patch(Rectangle((col - 0.5, y - 0.5), 1, 1, fill=False, ec=INK, lw=0.3))
        if cell in shade:
            ax.add_patch(Rectangle((col - 0.5, y - 0.5), 1, 1, color=shade[cell], alpha=0.35, lw=0))
        if env.terminal[s]:
            ax.text(col, y, cell, ha="center", va="center", fontsize=14)
            continue
        if s == env.start:
            ax.text(col + 0.3, y + 0.25, "S", ha="center", va="center")
        a = int(probs[s].argmax())
        dx, dy = (probs[s, a] * np.array(arrows[a])).tolist()
        ax.arrow(col, y, dx, dy, width=0.04, color=COLORS[0], length_includes_head=True)
        ax.text(col - 0.42, y - 0.42, f"{values[s]:.2f}", fontsize=8)
    ax.set(xlim=(-0.5, env.width - 0.5), ylim=(-0.5, env.height - 0.5), aspect="equal")
    ax.set(xticks=[], yticks=[])
    ax.grid(False)
    ax.spines[:].set_visible(False)
    html = figure_html(
        fig, "Most likely action per cell (arrow length = probability) and the critic's V(s)."
    )
HTML(html)

# %%
s, route = env.start, []
while not env.terminal[s]:
    a = int(probs[s].argmax())
    route.append(f"{ACTIONS[a]} ({probs[s, a]:.2f})")
    s = int(env.next_state[s, a])
print(" -> ".join(route))

# %% [markdown]
# The route from `S` goes up, along the row, and down onto the goal, avoiding the mud.
# Cells the policy rarely visits (the top row, the corners) have flatter action
# probabilities and less accurate values: an agent learns only about where it goes.

# %% [markdown]
# ## Inverse reinforcement learning · 逆强化学习
# <a id="inverse-rl"></a>
#
# RL goes from a reward to behaviour. **Inverse RL** goes back: given demonstrations of
# an expert, find a reward under which the expert's behaviour is optimal. It is useful
# when good behaviour is easy to show and hard to score by hand (driving, manipulation),
# and a learned reward carries over to new layouts or bodies in a way that copied
# actions do not. Once a reward is learned, an ordinary RL agent can be trained on it,
# possibly with extra terms (finish faster, use less energy) so that it may end up
# better than the demonstrator.
#
# The problem is ill-posed as stated: the zero reward makes *every* behaviour optimal, and so do
# many others. The classic remedy (Abbeel and Ng, 2004) assumes the reward is linear in
# features, <i>r(s) = φ(s) · w</i>. Then a policy's expected return is <i>μ(π) · w</i>, where
# <i>μ(π) = E[Σ<sub>t</sub> γ<sup>t</sup> φ(s<sub>t+1</sub>)]</i> are its **feature
# expectations**, and a policy with the expert's <i>μ<sub>E</sub></i> earns the expert's return
# under every such reward. The **projection method** alternates: set <i>w = μ<sub>E</sub> −
# μ̄</i> (the direction in which the expert still beats what has been found), plan the optimal
# policy for that <i>w</i>, and project <i>μ<sub>E</sub></i> onto the segment toward the new
# policy's <i>μ</i> to get the next <i>μ̄</i>. It stops when a planned policy reproduces
# <i>μ<sub>E</sub></i>: the expert is then optimal under that <i>w</i>, normalised to length 1.
#
# The expert here is the optimal policy of the true reward; five demonstrations give
# <i>μ<sub>E</sub></i> (only the cells visited are used, never the rewards):

# %%
expert = greedy_policy(Q)
demos = collect_rollout(
    env, lambda s: expert[s].log(), 5, generator=torch.Generator().manual_seed(0)
)
mu_E = demonstration_features(env, demos)
result = projection_irl(env, mu_E)
true_w = env.true_weights / env.true_weights.norm()
print("expert feature expectations (floor, mud, pit, goal):", mu_E.numpy().round(4).tolist())
print("distance to expert per iteration:", np.round(result.distances, 3).tolist())
print("recovered w:", result.weights.numpy().round(3).tolist())
print("true w     :", true_w.numpy().round(3).tolist())
V_irl, _ = value_iteration(env, env.features @ result.weights)
print(
    f"optimum under recovered w {V_irl[env.start]:.4f}, expert under it {mu_E @ result.weights:.4f}"
)

# %%
source(projection_irl)

# %% [markdown]
# The recovered weights are not the true ones, and need not be: they penalise mud much
# more than the truth and pits much less, yet under them the expert's route is optimal
# (the two numbers above agree) and planning with them walks the same route. Where the
# expert never went, the reward is not identified, and the recovered policy shows it:

# %%
for name, policy in [("expert", expert), ("from recovered w", result.policy)]:
    grid = np.array([ACTIONS[int(a)][0].upper() for a in policy.argmax(dim=1)])
    grid[env.terminal.numpy()] = np.array(list("".join(env.layout)))[env.terminal.numpy()]
    print(f"{name}:\n" + "\n".join(" ".join(row) for row in grid.reshape(env.height, -1)))

# %% [markdown]
# Along the expert's route (up, along the row above the mud, down) both policies agree.
# From some cells next to a pit the recovered reward says stepping into the pit is
# cheaper than walking to the goal; the expert's demonstrations, which never pass there,
# cannot contradict it. More varied demonstrations (other start cells, a noisier expert)
# pin the reward down further; maximum-entropy IRL and adversarial imitation (GAIL) are
# the modern
# descendants of this feature-matching idea.
