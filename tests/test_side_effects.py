"""The package leaves global state alone: RNGs, threads, the matplotlib backend, sys.path.

A fresh interpreter (so that import-time effects count) seeds every global generator, picks
a matplotlib backend and a thread count, spies on the functions that change global state,
imports every module of ``reference`` and calls every public function that draws random
numbers (with an explicit ``generator``), plus the plotting helpers and the functions that
used to seed or set threads. Afterwards everything must be as the caller left it.

Randomness is passed one way: a keyword-only ``generator`` (``None``: the global generator,
as in PyTorch; a ``numpy.random.Generator`` for the array functions of the image section).
"""

from __future__ import annotations

import importlib
import inspect
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SECTIONS = ("foundations", "cnn", "image", "training", "attention", "detection", "metrics")
SECTIONS += ("generative", "rl")

SCRIPT = r"""
import importlib, json, pkgutil, random, sys

import matplotlib
matplotlib.use("svg")  # the caller's choice of backend
import numpy as np
import torch

torch.set_num_threads(1)
torch.manual_seed(1234)
np.random.seed(99)
random.seed(7)


def settings():
    return {
        "threads": torch.get_num_threads(),
        "backend": matplotlib.get_backend(),
        "rc": {k: repr(v) for k, v in matplotlib.rcParams.items()},
        "path": list(sys.path),
        "pyplot": "matplotlib.pyplot" in sys.modules,
    }


def generators():
    return {
        "torch": torch.get_rng_state().tolist(),
        "numpy": np.random.get_state()[1].tolist(),
        "random": random.getstate()[1][:8],
    }


before = settings()  # before the first import: import-time effects count

import reference

for info in pkgutil.walk_packages(reference.__path__, "reference."):
    importlib.import_module(info.name)  # every module, plotting included

from reference import attention, detection, foundations, generative, image, plotting, rl, training

# Set-up that legitimately draws from the global generator, as torch.nn does: modules built
# with their default initialisation, by the caller, before the state is recorded.
mha = attention.MultiheadAttention(8, 2, dropout=0.5)
encoder = attention.TransformerEncoderLayer(8, 2, 16)
decoder = attention.TransformerDecoderLayer(8, 2, 16)
drop_connect = training.DropConnect(4, 3)
g_model, d_model = generative.mlp(2, 8, 2), generative.mlp(2, 8, 1)
autoencoder = generative.Autoencoder(64, 8, 2)
g_opt = torch.optim.SGD(g_model.parameters(), lr=0.01)
d_opt = torch.optim.SGD(d_model.parameters(), lr=0.01)
x = torch.linspace(-1, 1, 24).reshape(3, 8)

before |= generators()  # after the set-up's own draws
calls = []
for module, name in [
    (torch, "manual_seed"), (torch.random, "manual_seed"), (torch, "seed"),
    (torch, "set_rng_state"), (torch, "set_num_threads"), (torch, "set_num_interop_threads"),
    (torch, "set_default_dtype"), (np.random, "seed"), (random, "seed"), (matplotlib, "use"),
]:
    original = getattr(module, name)
    def spy(*args, _original=original, _name=f"{module.__name__}.{name}", **kwargs):
        calls.append(_name)
        return _original(*args, **kwargs)
    setattr(module, name, spy)

def gen():
    return torch.Generator().manual_seed(0)

called = []
def call(fn, *args, **kwargs):
    called.append(fn.__name__)
    return fn(*args, **kwargs)

call(foundations.make_spiral, 20, generator=gen())
call(foundations.layer_gradient_norms, "tanh", depth=3, generator=gen())
for fn in (training.dropout, training.classic_dropout, training.spatial_dropout):
    call(fn, x[None], 0.5, generator=gen())
call(training.stochastic_depth, x, 0.5, "row", generator=gen())
called.append("DropConnect")
drop_connect(torch.ones(2, 4), generator=gen())
q = x[None]
call(attention.scaled_dot_product_attention, q, q, q, dropout_p=0.5, generator=gen())
called.append("MultiheadAttention")
mha(x[:, None], x[:, None], x[:, None], generator=gen())
called.append("TransformerEncoderLayer")
encoder(x[:, None], generator=gen())
called.append("TransformerDecoderLayer")
decoder(x[:, None], x[:, None], generator=gen())
weights = (torch.ones(24, 8), None, torch.ones(8, 8), None)
call(attention.multi_head_attention, q, q, q, 2, *weights, dropout_p=0.5, generator=gen())
tokens = torch.ones(2, 4, dtype=torch.int64)
call(attention.scheduled_sampling, tokens, tokens, 0.5, generator=gen())
call(attention.gumbel_softmax, x, generator=gen())
call(attention.hard_attention, x, x[..., None], True, generator=gen())
call(attention.mask_tokens, torch.arange(20), 3, 20, generator=gen())
call(attention.reversal_data, 4, 2, 4, generator=gen())
wh = torch.tensor([[10.0, 20.0], [30.0, 10.0], [5.0, 5.0], [40.0, 40.0]])
call(detection.kmeans_anchors, wh, 2, generator=gen())
image_ = torch.zeros(8, 8, 3, dtype=torch.uint8)
box, label = torch.tensor([[1.0, 1.0, 6.0, 6.0]]), torch.tensor([1])
call(detection.mosaic, [image_] * 4, [box] * 4, [label] * 4, 16, generator=gen())
call(detection.sample_anchors, torch.tensor([1.0, 0.0, 0.0, -1.0]), 2, generator=gen())
digits, _ = call(generative.make_digits, 1, generator=gen())
call(generative.fit_autoencoder, autoencoder, digits, steps=3, batch_size=4, generator=gen())
call(generative.anomaly_experiment, per_class=6, steps=20, generator=gen())
call(generative.sample_ring, 16, generator=gen())
call(generative.mask_patches, torch.ones(1, 1, 4, 4), 2, 0.5, generator=gen())
call(generative.gan_step, g_model, d_model, g_opt, d_opt, torch.ones(4, 2), 2, generator=gen())
world = rl.GridWorld()
call(rl.collect_rollout, world, lambda s: torch.zeros(len(s), 4), 2, generator=gen())
call(rl.train_actor_critic, world, updates=2, generator=gen())
photo = np.zeros((6, 6), dtype=np.uint8)
call(image.salt_pepper_noise, photo, 0.2)  # no generator: fresh entropy, not numpy's global one
call(image.gaussian_noise, photo, 2.0, generator=np.random.default_rng(0))
with plotting.figure(1, 2, figsize=(3, 2)) as (fig, axes):
    axes[0].plot([0, 1], [1, 0])
    plotting.figure_html(fig, "a figure")
plotting.image_html(np.zeros((4, 4, 3), dtype=np.uint8), "an image")
plotting.table_html(["a"], [[1]], "a table")

after = settings() | generators()
print(json.dumps({"before": before, "after": after, "calls": calls, "called": called}))
"""


@pytest.fixture(scope="module")
def report() -> dict:
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=ROOT,
        env=os.environ | {"PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_nothing_seeds_sets_threads_or_switches_the_backend(report: dict) -> None:
    assert report["calls"] == []


@pytest.mark.parametrize(
    "key", ["torch", "numpy", "random", "threads", "backend", "rc", "path", "pyplot"]
)
def test_global_state_is_unchanged(report: dict, key: str) -> None:
    assert report["after"][key] == report["before"][key]


def _public() -> list[tuple[str, object]]:
    out = []
    for section in SECTIONS:
        module = importlib.import_module(f"reference.{section}")
        out += [(f"{section}.{n}", getattr(module, n)) for n in module.__all__]
    return out


def _signatures(obj: object) -> list[inspect.Signature]:
    if inspect.isclass(obj):
        methods = [obj.__init__, getattr(obj, "forward", None)]
        return [inspect.signature(m) for m in methods if inspect.isfunction(m)]
    return [inspect.signature(obj)] if inspect.isfunction(obj) else []  # type: ignore[arg-type]


def test_every_random_function_was_called(report: dict) -> None:
    random_ones = {
        name.split(".")[1]
        for name, obj in _public()
        if any("generator" in s.parameters for s in _signatures(obj))
    }
    assert random_ones <= set(report["called"]), random_ones - set(report["called"])


@pytest.mark.parametrize(("name", "obj"), _public(), ids=[n for n, _ in _public()])
def test_randomness_is_passed_as_a_keyword_only_generator(name: str, obj: object) -> None:
    for sig in _signatures(obj):
        assert not {"seed", "rng", "random_state"} & set(sig.parameters), sig
        if "generator" in sig.parameters:
            assert sig.parameters["generator"].kind is inspect.Parameter.KEYWORD_ONLY, sig
    assert not hasattr(obj, "cache_info"), f"{name} caches its results at module level"
    if inspect.isclass(obj):
        assert "generator" not in vars(obj), f"{name} keeps a generator as an attribute"
