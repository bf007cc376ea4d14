"""Gradient accumulation equals one big batch (without BatchNorm) and differs with it."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.testing import assert_close

from reference.training import (
    SGD,
    Adam,
    accumulate_gradients,
    optimizer_state_bytes,
    update_loss_scale,
)


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


def torch_scale_updates(found: list[bool], scale: float, interval: int) -> list[tuple[float, int]]:
    s, tracker, out = torch.tensor(scale), torch.tensor(0, dtype=torch.int32), []
    for inf in found:
        torch._amp_update_scale_(s, tracker, torch.tensor(float(inf)), 2.0, 0.5, interval)
        out.append((s.item(), int(tracker)))
    return out


@pytest.mark.parametrize("interval", [1, 3, 7])
def test_loss_scale_follows_torch(interval: int) -> None:
    g = torch.Generator().manual_seed(interval)
    found = (torch.rand(200, generator=g) < 0.1).tolist()
    ours, scale, tracker = [], 65536.0, 0
    for inf in found:
        scale, tracker = update_loss_scale(scale, tracker, inf, growth_interval=interval)
        ours.append((scale, tracker))
    assert ours == torch_scale_updates(found, 65536.0, interval)


def test_loss_scale_does_not_grow_past_float32() -> None:
    assert update_loss_scale(3e38, 1, False, growth_interval=2) == (3e38, 0)
    assert torch_scale_updates([False, False], 3e38, 2)[-1] == (pytest.approx(3e38), 0)


def test_grad_scaler_on_cpu_uses_the_same_rule() -> None:
    # the real GradScaler, with an inf gradient injected every 5th step
    p = torch.zeros(3, requires_grad=True)
    optimizer = torch.optim.SGD([p], lr=0.1)
    scaler = torch.amp.GradScaler("cpu", init_scale=1024.0, growth_interval=3)
    scale, tracker = 1024.0, 0
    for step in range(20):
        optimizer.zero_grad()
        scaler.scale((p * torch.tensor([1.0, 2.0, 3.0])).sum()).backward()
        if step % 5 == 4:
            p.grad[0] = float("inf")
        scaler.step(optimizer)
        scaler.update()
        scale, tracker = update_loss_scale(scale, tracker, step % 5 == 4, growth_interval=3)
        assert scaler.get_scale() == scale
