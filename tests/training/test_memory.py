"""Gradient accumulation equals one big batch (without BatchNorm) and differs with it."""

from __future__ import annotations

import torch
from torch import nn
from torch.testing import assert_close

from reference.training import SGD, Adam, accumulate_gradients, optimizer_state_bytes


def data():
    g = torch.Generator().manual_seed(0)
    return torch.randn(30, 6, generator=g, dtype=torch.float64), torch.randint(
        3, (30,), generator=g
    )


def grads_of(model: nn.Module) -> list[torch.Tensor]:
    return [p.grad.clone() for p in model.parameters()]


def test_accumulation_equals_one_big_batch() -> None:
    x, y = data()
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 3)).double()
    nn.functional.cross_entropy(model(x), y).backward()
    full = grads_of(model)
    model.zero_grad()
    loss = accumulate_gradients(
        model, nn.functional.cross_entropy, x, y, micro_batch_size=7
    )  # 7+7+7+7+2
    for a, b in zip(grads_of(model), full, strict=True):
        assert_close(a, b)
    assert_close(loss, nn.functional.cross_entropy(model(x), y).detach())


class ToFloat64(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.double() / 255


def test_integer_inputs() -> None:
    # Regression: the running sum was allocated in the inputs' dtype, so token ids (int64)
    # and uint8 images failed when the first float loss was added to it.
    g = torch.Generator().manual_seed(1)
    tokens, labels = torch.randint(50, (12, 5), generator=g), torch.randint(3, (12,), generator=g)
    images = torch.randint(0, 256, (12, 1, 4, 4), generator=g, dtype=torch.uint8)
    torch.manual_seed(0)
    text = nn.Sequential(nn.Embedding(50, 4), nn.Flatten(), nn.Linear(20, 3)).double()
    vision = nn.Sequential(ToFloat64(), nn.Flatten(), nn.Linear(16, 3)).double()
    for model, inputs in ((text, tokens), (vision, images)):
        model.zero_grad()
        full = nn.functional.cross_entropy(model(inputs), labels)
        full.backward()
        want = grads_of(model)
        model.zero_grad()
        loss = accumulate_gradients(model, nn.functional.cross_entropy, inputs, labels, 5)
        for a, b in zip(grads_of(model), want, strict=True):
            assert_close(a, b)
        assert_close(loss, full.detach())


def test_accumulation_differs_with_batchnorm() -> None:
    x, y = data()
    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Linear(6, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Linear(16, 3)
    ).double()
    nn.functional.cross_entropy(model(x), y).backward()
    full = grads_of(model)
    model.zero_grad()
    accumulate_gradients(model, nn.functional.cross_entropy, x, y, micro_batch_size=10)
    assert not torch.allclose(
        grads_of(model)[0], full[0]
    )  # micro-batch statistics change the result


def test_optimizer_state_sizes() -> None:
    params = [torch.zeros(1000, dtype=torch.float32, requires_grad=True)]
    params[0].grad = torch.ones(1000)
    sizes = {}
    for name, optimizer in [
        ("sgd", SGD(params, lr=0.1)),
        ("momentum", SGD(params, lr=0.1, momentum=0.9)),
        ("adam", Adam(params)),
    ]:
        optimizer.step()
        sizes[name] = optimizer_state_bytes(optimizer)
    assert sizes == {"sgd": 0, "momentum": 4000, "adam": 8000}  # 0, 1 and 2 float32 per parameter
