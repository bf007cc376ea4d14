# %% [markdown]
# # Generative adversarial networks · 生成对抗网络
# <a id="gan"></a>
#
# A **generative adversarial network** (GAN, 生成对抗网络; Goodfellow et al., 2014) learns to
# produce new samples that look like its training data, without ever writing down a
# probability density. Two networks play against each other:
#
# * the **generator** *G* (生成器) turns a random vector *z ~ N(0, I)* into a
#   sample *G(z)*: an image, or here a point in the plane;
# * the **discriminator** *D* (判别器) takes a sample and outputs the probability that it
#   came from the data rather than from *G*: a binary classifier.
#
# This page trains a small GAN on a distribution whose answer is known: eight Gaussian
# blobs on a circle. Because the true modes are known, we can *count* what the generator
# gets right and what it misses, which is rarely possible with images. The page is an
# executed notebook: the numbers below are the ones measured when the site was built.
#
# ## Why a random input vector
#
# A network is a deterministic function: the same input always gives the same output. To
# produce *many different* samples, the generator needs a source of randomness, and the
# simplest is an input drawn afresh each time. *G* then transforms a distribution that is
# easy to sample (a standard Gaussian) into one that is hard to write down (the data).
# Every *z* gives one sample; nearby *z* give similar samples, which is what makes the
# latent space useful for interpolation (see the end of the page). Without *z*, a GAN
# could only learn a single output: a conditional model such as an image-to-image
# translator still needs noise (or dropout) to produce more than one answer per input.

# %%
import copy
import inspect

import torch
from IPython.display import HTML

from reference.generative import (
    discriminator_loss,
    gan_step,
    generator_loss,
    inception_score,
    mlp,
    mode_counts,
    mode_coverage,
    ring_centres,
    sample_ring,
    slerp,
)
from reference.plotting import COLORS, INK, figure, figure_html

# Networks this small train faster on one thread than on two.
torch.set_num_threads(1)
torch.manual_seed(0)
STD = 0.05
centres = ring_centres(8, radius=2.0)
data = sample_ring(2000, std=STD, generator=torch.Generator().manual_seed(1))
print(centres.shape, data.shape, f"{mode_coverage(data, centres, STD):.3f}")

# %% [markdown]
# ## The losses · 损失函数
#
# The discriminator is a classifier with labels real = 1 and fake = 0, trained with binary
# cross-entropy:
#
#     L_D = −E_x log D(x) − E_z log(1 − D(G(z))).
#
# The original minimax game gives the generator the other side of the same number: minimise
# *E_z log(1 - D(G(z)))*. Early in training, though, *D* rejects the fakes
# easily, *D(G(z)) ≈ 0*, and this loss is flat there: its gradient with respect to
# the logit *a* is *−σ(a) ≈ 0*. The **non-saturating** loss that everyone uses
# instead maximises *log D(G(z))*, whose gradient *−(1 − σ(a)) ≈ −1* is largest
# exactly when the generator is worst. Both are written on logits with `softplus`, so they
# never take the log of 0:

# %%
print(inspect.getsource(discriminator_loss))
print(inspect.getsource(generator_loss))

# %% [markdown]
# ## Alternating updates · 交替训练
#
# Each step trains *D* on a batch of real samples and a batch of fakes, with the fakes
# detached so that only *D* learns; then it trains *G* through a fixed *D*: the
# gradient of *G*'s loss flows back *through* *D* into *G*, but only *G*'s optimizer
# takes a step. One discriminator step per generator step works here; the original paper
# allowed *k* steps, and WGAN used five.

# %%
print(inspect.getsource(gan_step))

# %% [markdown]
# Both networks are MLPs with two hidden layers of 64 ReLU units; the latent vector is
# 2-D, so that the latent space can be drawn. Adam with *β₁ = 0.5* (a lower momentum
# than the default, as in DCGAN) and batches of 128:

# %%
LATENT, STEPS, EVERY = 2, 2000, 250
torch.manual_seed(0)
G, D = mlp(LATENT, 64, 2), mlp(2, 64, 1)
g_opt = torch.optim.Adam(G.parameters(), lr=1e-3, betas=(0.5, 0.999))
d_opt = torch.optim.Adam(D.parameters(), lr=1e-3, betas=(0.5, 0.999))
batches = torch.Generator().manual_seed(2)
z_fixed = torch.randn(1000, LATENT, generator=torch.Generator().manual_seed(3))

snapshots, history = {}, []
for step in range(STEPS + 1):
    if step == 250:
        G_early = copy.deepcopy(G)  # kept for the instability experiment below
    if step in (0, 250, 500, 1000, STEPS):
        with torch.no_grad():
            snapshots[step] = G(z_fixed)
    if step % EVERY == 0:
        with torch.no_grad():
            fake = G(z_fixed)
        near = mode_counts(fake, centres, STD).sum().item() / len(fake)
        history.append((step, mode_coverage(fake, centres, STD), near))
    if step < STEPS:
        losses = gan_step(G, D, g_opt, d_opt, sample_ring(128, std=STD, generator=batches), LATENT)
print(f"last losses: D {losses[0]:.3f}, G {losses[1]:.3f}")
for step, coverage, near in history:
    print(f"step {step:4d}: modes covered {coverage:.3f}, samples within 3 sigma {near:.3f}")

# %% [markdown]
# ## Samples over training

# %%
with figure(1, 5, figsize=(9.6, 2.3), sharex=True, sharey=True) as (fig, axes):
    for ax, (step, points) in zip(axes, snapshots.items(), strict=True):
        ax.scatter(data[:, 0], data[:, 1], s=2, color=COLORS[7], alpha=0.3, rasterized=True)
        ax.scatter(points[:, 0], points[:, 1], s=2, color=COLORS[0], rasterized=True)
        ax.set(title=f"step {step}", aspect="equal", xlim=(-2.8, 2.8), ylim=(-2.8, 2.8))
        ax.set(xticks=[], yticks=[])
    html = figure_html(
        fig, "1000 generator samples (blue) for one fixed set of latent vectors; data in grey."
    )
HTML(html)

# %% [markdown]
# The untrained generator sends every latent vector to nearly the same point, so at step 0
# its samples are a dot near the origin. The discriminator's gradient then pushes them
# around as a whole (at step 250 they form a sheet leaving the picture), by step 500 they
# fill the disc, and from then on the generator moves its mass onto the eight blobs. The
# printed log shows the two things we can measure on this toy problem: which fraction of the
# eight modes receives any sample, and which fraction of the samples lands on a mode at all
# (within three standard deviations).
#
# ## GAN difficulties and evaluation · GAN的问题与评估
# <a id="gan-issues"></a>
#
# ### Mode collapse · 模式崩溃
#
# The generator is rewarded for samples that fool the *current* discriminator, not for
# covering the data. If one mode fools *D* best, moving every sample there lowers *G*'s
# loss; *D* then learns that this mode is suspicious, *G* jumps to another, and so on:
# the generator chases the discriminator around the modes instead of covering them all.
# The extreme case is easy to provoke: freeze the trained discriminator and keep training
# the generator alone (with a larger step, 0.01, to get there in a few hundred steps). The
# best response to a *fixed* *D* is to put every sample where
# *D* is most convinced.

# %%
G_alone = copy.deepcopy(G)
alone_opt = torch.optim.Adam(G_alone.parameters(), lr=1e-2, betas=(0.5, 0.999))
frozen = torch.optim.SGD(D.parameters(), lr=0.0)  # D's steps change nothing
for _ in range(300):
    gan_step(G_alone, D, alone_opt, frozen, sample_ring(128, std=STD, generator=batches), LATENT)
with torch.no_grad():
    trained, collapsed = G(z_fixed), G_alone(z_fixed)
print("modes covered, trained:  ", mode_coverage(trained, centres, STD))
print("modes covered, collapsed:", mode_coverage(collapsed, centres, STD))
print("samples per mode, trained:  ", mode_counts(trained, centres, STD).tolist())
print("samples per mode, collapsed:", mode_counts(collapsed, centres, STD).tolist())

# %%
with figure(1, 2, figsize=(6.0, 3.0), sharex=True, sharey=True) as (fig, axes):
    for ax, points, title in [(axes[0], trained, "alternating"), (axes[1], collapsed, "D frozen")]:
        ax.scatter(data[:, 0], data[:, 1], s=2, color=COLORS[7], alpha=0.3, rasterized=True)
        ax.scatter(points[:, 0], points[:, 1], s=2, color=COLORS[1], rasterized=True)
        ax.set(title=title, aspect="equal", xticks=[], yticks=[])
    caption = "The trained generator, then the same after 300 steps against a frozen discriminator."
    html = figure_html(fig, caption)
HTML(html)

# %% [markdown]
# Remedies change what the generator is rewarded for: minibatch discrimination lets *D*
# compare samples within a batch (a batch of identical samples is then easy to spot);
# unrolled GANs let *G* anticipate *D*'s response; Wasserstein GANs replace the
# classifier by a critic whose gradients do not vanish.
#
# ### Divergence and instability · 训练不稳定
#
# Real data occupy a thin, low-dimensional set in the input space (here, eight small
# blobs; for images, a manifold of far lower dimension than the number of pixels), and so
# does the generator's output. Two such sets barely overlap, so a discriminator with
# enough capacity can separate them perfectly. In theory, with an optimal *D*, the
# minimax generator minimises the Jensen–Shannon divergence between the two distributions,
# and that divergence is the constant *log 2* whenever they do not overlap, however close
# or far the fakes are: **no signal about which direction is better.** In practice this
# shows as a discriminator that wins (its loss falls towards 0) while the generator's
# gradient shrinks. Train *D* alone against a frozen generator (the one from step 250, whose
# samples are still off the data) and watch it:

# %%
G_frozen = copy.deepcopy(G_early)
D_strong = copy.deepcopy(D)
strong_opt = torch.optim.Adam(D_strong.parameters(), lr=1e-3)
still = torch.optim.SGD(G_frozen.parameters(), lr=0.0)
for step in range(301):
    real = sample_ring(128, std=STD, generator=batches)
    d_loss, _ = gan_step(G_frozen, D_strong, still, strong_opt, real, LATENT)
    if step % 100 == 0:
        logits = D_strong(G_frozen(z_fixed))
        grads = []
        for non_saturating in (True, False):
            G_frozen.zero_grad()
            generator_loss(logits, non_saturating).backward(retain_graph=True)
            grads.append(torch.cat([p.grad.flatten() for p in G_frozen.parameters()]).norm().item())
        fooled = torch.sigmoid(logits).mean().item()
        print(
            f"D step {step:3d}: D loss {d_loss:.3f}, mean D(G(z)) {fooled:.3f}, "
            f"|grad G|: non-saturating {grads[0]:.2f}, minimax {grads[1]:.2f}"
        )

# %% [markdown]
# As *D* becomes sure, its loss falls and *D(G(z))* drops towards 0. The minimax loss's
# gradient is *−σ(a)* per sample, so it stays small (below 1 here, measured over all of
# *G*'s parameters), while the non-saturating loss's gradient grows as *D* wins: it is
# several times, and by the end more than ten times, larger. That is why the non-saturating
# loss is the default. Other sources of instability: the two
# players' updates can orbit a solution instead of converging to it (a game, unlike a
# single loss, has no guarantee that gradient steps go downhill); and the losses printed
# during training say little about sample quality, because each is measured against an
# opponent that keeps changing. Text is harder still: sampling a discrete token is not
# differentiable, so *D*'s gradient cannot reach *G* through it at all (text GANs use
# policy-gradient estimators or a continuous relaxation such as Gumbel-softmax).
#
# ### Quality and diversity: the Inception Score
#
# A good generator has two properties: each sample on its own looks real (**quality**),
# and the samples together cover the data (**diversity**). For images, the Inception Score
# (Salimans et al., 2016) measures both with a pretrained classifier giving *p(y | x)*:
#
# * quality: a convincing image is classified confidently, so *p(y | x)* is peaked;
# * diversity: over many images, the classes are used evenly, so the marginal
#   *p(y) = E_x  p(y | x)* is flat.
#
#     IS = exp( E_x KL( p(y | x) ‖ p(y) ) ),
#
# which ranges from 1 (all images get the same distribution) to the number of classes
# *C* (every image certain, all classes equally often). It cannot see diversity *within* a
# class, nor whether the generator merely copies training images, and its value depends on
# the classifier; FID, which compares feature statistics of real and generated images, is
# the usual replacement.

# %%
print(inspect.getsource(inception_score))

# %% [markdown]
# On the ring we can build the "classifier" ourselves: *p(y | x)* is the posterior of
# mode *y* under the true mixture, a softmax of *−‖x − μ_y‖² / 2σ²*.
# We use *σ = 0.5* rather than the data's 0.05, so that points between modes get an
# uncertain (low-quality) prediction instead of a confident one.

# %%
def ring_posterior(points: torch.Tensor, sigma: float = 0.5) -> torch.Tensor:
    return (-torch.cdist(points, centres).pow(2) / (2 * sigma**2)).softmax(dim=1)  # [N, 8]


for name, points in [("real data", data), ("trained G", trained), ("collapsed G", collapsed),
                     ("G at step 0", snapshots[0])]:
    print(f"{name:12s} IS = {inception_score(ring_posterior(points)).item():.2f}")

# %% [markdown]
# The real data score close to 8 (not exactly: the blobs overlap a little under the
# classifier's wide *σ*); a generator that covers all modes is close behind; the
# collapsed generator scores about its number of modes; the untrained one, a blob at the
# centre, scores near 1. The notes' rule of thumb, "confident predictions and many
# different classes", is exactly this formula.
#
# ### Latent interpolation · 隐空间插值
#
# Walking in a straight line (or along a great circle, `slerp`, for high-dimensional
# Gaussian latents whose length is nearly fixed) between two latent vectors and decoding
# each point shows what the generator does between its samples. For image GANs this is
# the familiar smooth morph from one face to another: the generator has learnt a
# continuous map, not a lookup table of training images, which is evidence against
# memorisation (and the basis of "image blending" in latent space, once an image is
# mapped back to its *z* by optimisation, i.e. GAN inversion). A continuous map from
# a connected latent space cannot jump between separated modes, so it must pass
# through the empty space between them: the left panel colours the latent plane by
# the mode each *z* is sent to.

# %%
with torch.no_grad():
    axis = torch.linspace(-3, 3, 200)
    zy, zx = torch.meshgrid(axis, axis, indexing="ij")
    grid = torch.stack([zx.flatten(), zy.flatten()], dim=1)  # [40000, 2]
    out = G(grid)
    distance, nearest = torch.cdist(out, centres).min(dim=1)
    region = torch.where(distance < 3 * STD, nearest, -1).view(200, 200)
    z0, z1 = torch.tensor([-2.0, -1.0]), torch.tensor([2.0, 1.5])
    t = torch.linspace(0, 1, 40)
    path_lerp = torch.lerp(z0, z1, t[:, None])
    path_slerp = slerp(z0, z1, t)

from matplotlib.colors import ListedColormap

with torch.no_grad(), figure(1, 2, figsize=(8.0, 3.8)) as (fig, axes):
    cmap = ListedColormap(["#94a3b833", *COLORS[:8]])
    axes[0].imshow(region + 1, origin="lower", extent=(-3, 3, -3, 3), cmap=cmap, vmin=0, vmax=8,
                   interpolation="nearest")
    axes[0].plot(path_lerp[:, 0], path_lerp[:, 1], "-", color=INK, lw=1.5, label="lerp")
    axes[0].plot(path_slerp[:, 0], path_slerp[:, 1], "--", color=INK, lw=1.5, label="slerp")
    axes[0].set(title="latent plane: mode of G(z)", xlabel="$z_1$", ylabel="$z_2$")
    axes[0].legend(loc="lower right")
    axes[0].grid(False)
    axes[1].scatter(data[:, 0], data[:, 1], s=2, color=COLORS[7], alpha=0.3, rasterized=True)
    for path, marker in [(path_lerp, "o"), (path_slerp, "s")]:
        decoded = G(path)
        axes[1].scatter(*decoded.T, c=t, cmap="viridis", s=14, marker=marker, rasterized=True)
    axes[1].set(title="G along the two paths", aspect="equal", xticks=[], yticks=[])
    caption = (
        "Left: each latent vector coloured by the mode its sample lands on (grey: on none). "
        "Right: the decoded paths, coloured from start (purple) to end (yellow)."
    )
    html = figure_html(fig, caption)
HTML(html)

# %% [markdown]
# Inside a coloured region the samples stay on one blob; crossing a border, they travel
# quickly through empty space to the next. The grey areas are the latent vectors whose
# samples land on no blob at all. On images, these are the blurry or malformed in-between
# pictures; a generator that made its border regions narrower would produce fewer of them
# at the same diversity, one way to see the trade-off between quality and diversity that
# truncation tricks (sampling *z* closer to the origin) exploit in large GANs.
