"""A valid call and its oracle for every public callable, section by section.

Each entry is small on purpose: the contract test derives the bad inputs itself. Where a
production counterpart exists it is the oracle; otherwise ``domains`` and ``accept`` say
which results are right, and the comment beside each says why.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.signal
import scipy.stats
import torch
import torch.nn.functional as F
import torchvision
from torch import Tensor, nn
from torchmetrics.functional.classification import accuracy as tm_accuracy

import reference.foundations as fo
from tests.contract.case import Args, Case, anything, at_least, nonneg, positive, unit

CASES: list[Case] = []

# Result records: NamedTuples and frozen dataclasses that functions return.
RECORDS = (
    "cnn.FlopCount",
    "cnn.ReceptiveField",
    "generative.AnomalyExperiment",
    "rl.IRLResult",
    "rl.Rollout",
    "rl.TrainingLog",
)


def add(*cases: Case) -> None:
    CASES.extend(cases)


def seeded(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def reseed() -> None:
    """Seed torch's global generator with 0 (for code that draws from it)."""
    # The CPU generator only: torch.manual_seed also queues lazy CUDA, XPU and MTIA seeds,
    # each with a captured stack trace: seconds over the thousands of calls made here.
    torch.default_generator.manual_seed(0)


def randn(*shape: int, seed: int = 0, dtype: torch.dtype = torch.float64) -> Tensor:
    return torch.randn(*shape, generator=seeded(seed), dtype=dtype)


def distribution(*shape: int, seed: int = 0) -> Tensor:
    return torch.softmax(randn(*shape, seed=seed), dim=-1)


def _scipy_entropy(
    pk: Tensor, qk: Tensor | None = None, base: float | None = None, axis: int = 0
) -> Tensor:
    """scipy.stats.entropy on tensors, in torch's dtype rules: integer and bool weights count
    as the default float dtype (scipy: float64), and ``pk`` and ``qk`` promote together."""

    def floating(x: Tensor) -> torch.dtype:
        return x.dtype if x.is_floating_point() else torch.get_default_dtype()

    out = scipy.stats.entropy(pk.numpy(), None if qk is None else qk.numpy(), base=base, axis=axis)
    dtype = floating(pk) if qk is None else torch.promote_types(floating(pk), floating(qk))
    return torch.from_numpy(np.asarray(out)).to(dtype)


def autograd_of(f):
    def derivative(x: Tensor, **kwargs: object) -> Tensor:
        x = x.detach().clone().requires_grad_()
        (grad,) = torch.autograd.grad(f(x, **kwargs).sum(), x)
        return grad

    return derivative


# ---------------------------------------------------------------------------- foundations
X = lambda: {"x": randn(3, 4)}  # noqa: E731
INPUT = lambda: {"input": randn(3, 4)}  # noqa: E731
for name, ours, theirs in [
    ("sigmoid", fo.sigmoid, torch.sigmoid),
    ("tanh", fo.tanh, torch.tanh),
    ("relu", fo.relu, F.relu),
]:
    add(Case(f"foundations.{name}", ours, INPUT, lambda input, f=theirs: f(input)))
for name, ours, theirs in [
    ("sigmoid_derivative", fo.sigmoid_derivative, torch.sigmoid),
    ("tanh_derivative", fo.tanh_derivative, torch.tanh),
    ("relu_derivative", fo.relu_derivative, F.relu),
]:
    add(Case(f"foundations.{name}", ours, X, lambda x, f=theirs: autograd_of(f)(x)))
add(
    Case(
        "foundations.leaky_relu",
        fo.leaky_relu,
        lambda: {"input": randn(3, 4), "negative_slope": 0.2},
        lambda input, negative_slope: F.leaky_relu(input, negative_slope),
    ),
    Case(
        "foundations.leaky_relu_derivative",
        fo.leaky_relu_derivative,
        lambda: {"x": randn(3, 4), "negative_slope": 0.2},
        lambda x, negative_slope: autograd_of(F.leaky_relu)(x, negative_slope=negative_slope),
    ),
    Case(
        "foundations.elu",
        fo.elu,
        lambda: {"input": randn(3, 4), "alpha": 0.5},
        lambda input, alpha: F.elu(input, alpha),
    ),
    Case(
        "foundations.elu_derivative",
        fo.elu_derivative,
        lambda: {"x": randn(3, 4), "alpha": 0.5},
        lambda x, alpha: autograd_of(F.elu)(x, alpha=alpha),
    ),
    Case(
        "foundations.softmax",
        fo.softmax,
        lambda: {"input": randn(3, 4), "dim": 1},
        lambda input, dim: torch.softmax(input, dim),
    ),
    Case(
        "foundations.log_softmax",
        fo.log_softmax,
        lambda: {"input": randn(3, 4), "dim": 0},
        lambda input, dim: torch.log_softmax(input, dim),
    ),
    Case(
        "foundations.vector_norm",
        fo.vector_norm,
        lambda: {"x": randn(3, 4), "ord": 3.0, "dim": 1},
        lambda x, ord, dim: torch.linalg.vector_norm(x, ord, dim),
    ),
    # scipy.stats.entropy is the oracle of the information trio (in nats, or bits, ...)
    Case(
        "foundations.entropy",
        fo.entropy,
        lambda: {"pk": randn(3, 4).exp(), "axis": 1, "base": 2.0},
        _scipy_entropy,
    ),
    Case(
        "foundations.entropy:kl",
        fo.entropy,
        lambda: {"pk": randn(3, 4).exp(), "qk": randn(3, 4, seed=1).exp()},
        _scipy_entropy,
    ),
    Case(
        "foundations.cross_entropy_between",
        fo.cross_entropy_between,
        lambda: {"p": distribution(3, 4), "q": distribution(3, 4, seed=1), "dim": -1, "base": 2.0},
        lambda p, q, dim, base: torch.from_numpy(
            np.asarray(
                scipy.stats.entropy(p.numpy(), base=base, axis=dim)
                + scipy.stats.entropy(p.numpy(), q.numpy(), base=base, axis=dim)
            )
        ),
    ),
    Case(
        "foundations.information_content",
        fo.information_content,
        lambda: {"p": distribution(5), "base": 2.0},
        lambda p, base: -torch.log(p) / math.log(base),
    ),
    Case(
        "foundations.numerical_gradient",
        fo.numerical_gradient,
        lambda: {"f": lambda t: (t**3).sum(), "x": randn(4), "eps": 1e-6},
        lambda f, x, eps: autograd_of(f)(x),
        tolerance={"rtol": 1e-6, "atol": 1e-8},
        # a float32 estimate is far from the exact slope (rounding / eps): documented
        accept={"x:dtype": "any"},
    ),
    Case(
        "foundations.directional_derivative",
        fo.directional_derivative,
        lambda: {"f": lambda t: (t**3).sum(), "x": randn(4), "direction": randn(4, seed=1)},
        lambda f, x, direction: torch.autograd.functional.jvp(f, x, direction / direction.norm())[
            1
        ],
    ),
    Case(
        "foundations.top1_accuracy",
        fo.top1_accuracy,
        lambda: {"logits": randn(8, 3), "labels": torch.randint(3, (8,), generator=seeded())},
        lambda logits, labels: tm_accuracy(
            logits, labels, task="multiclass", num_classes=logits.shape[1], average="micro"
        ).item(),
    ),
    Case(
        "foundations.make_spiral",
        fo.make_spiral,
        lambda: {"points_per_class": 5, "classes": 3, "noise": 0.1, "generator": seeded()},
        domains={"points_per_class": at_least(1), "classes": at_least(1), "noise": nonneg},
    ),
    Case(
        "foundations.layer_gradient_norms",
        fo.layer_gradient_norms,
        lambda: {"activation": "tanh", "depth": 3, "width": 4, "gain": 1.0, "generator": seeded()},
        domains={"depth": at_least(1), "width": at_least(1), "gain": nonneg},
    ),
)


def _net() -> Args:
    g = seeded()
    return {
        "w1": torch.randn(5, 3, generator=g, dtype=torch.float64),
        "b1": torch.randn(5, generator=g, dtype=torch.float64),
        "w2": torch.randn(4, 5, generator=g, dtype=torch.float64),
        "b2": torch.randn(4, generator=g, dtype=torch.float64),
        "x": torch.randn(6, 3, generator=g, dtype=torch.float64),
        "y": torch.randint(4, (6,), generator=g),
    }


def _two_layer_net(w1: Tensor, b1: Tensor, w2: Tensor, b2: Tensor, x: Tensor, y: Tensor) -> object:
    net = fo.TwoLayerNet(w1, b1, w2, b2)
    loss, cache = net.loss(x, y)
    return loss, net.backward(cache)


def _two_layer_net_autograd(
    w1: Tensor, b1: Tensor, w2: Tensor, b2: Tensor, x: Tensor, y: Tensor
) -> object:
    params = [t.detach().clone().requires_grad_() for t in (w1, b1, w2, b2)]
    loss = F.cross_entropy(F.relu(x @ params[0].T + params[1]) @ params[2].T + params[3], y)
    grads = torch.autograd.grad(loss, params)
    return loss.detach(), dict(zip(("w1", "b1", "w2", "b2"), grads, strict=True))


def _clipping_args(**extra: object) -> Callable[[], Args]:
    def make() -> Args:
        params = [randn(3, 2).requires_grad_(), randn(4, seed=1).requires_grad_()]
        for i, p in enumerate(params):
            p.grad = randn(*p.shape, seed=10 + i) * 5
        return {"parameters": params, **extra}

    return make


def _grads_after(clip):
    def run(parameters: object, **kwargs: object) -> object:
        value = clip(parameters, **kwargs)
        params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
        return value, [p.grad for p in params]

    return run


def _train_args() -> Args:
    reseed()
    model = nn.Linear(3, 2).double()
    return {
        "model": model,
        "x": randn(10, 3),
        "y": randn(10, 2, seed=1),
        "loss_fn": nn.MSELoss(),
        "optimizer": torch.optim.SGD(model.parameters(), lr=0.1),
        "steps": 3,
        "record_every": 1,
    }


add(
    Case(
        "foundations.TwoLayerNet",
        _two_layer_net,
        _net,
        _two_layer_net_autograd,
        accept={"y:dtype": "any"},  # any integer labels, where F.cross_entropy wants int64
    ),
    Case(
        "foundations.clip_grad_value_",
        _grads_after(fo.clip_grad_value_),
        _clipping_args(clip_value=0.5),
        _grads_after(torch.nn.utils.clip_grad_value_),
        accept={"parameters:meta": "valid"},  # no gradient: skipped, wherever it lives
    ),
    Case(
        "foundations.clip_grad_norm_",
        _grads_after(fo.clip_grad_norm_),
        _clipping_args(max_norm=1.0, norm_type=2.0),
        _grads_after(torch.nn.utils.clip_grad_norm_),
        accept={"parameters:meta": "valid"},  # no gradient: skipped, wherever it lives
    ),
    # Paddle's ClipGradByNorm; no library here has it
    Case(
        "foundations.clip_grad_norm_per_tensor_",
        _grads_after(fo.clip_grad_norm_per_tensor_),
        _clipping_args(max_norm=1.0),
        domains={"max_norm": lambda v: v >= 0},
        # only .grad is read: a parameter's values, dtype, shape or device are its own
        accept={
            f"parameters:{c}": "any" for c in ("nan", "inf", "dtype", "shape", "empty", "meta")
        },
    ),
    Case(
        "foundations.train",
        fo.train,
        _train_args,
        domains={"steps": at_least(0), "record_every": at_least(1)},
        accept={
            "x:nan": "propagate",  # the recorded losses show it
            "x:inf": "propagate",
            "y:nan": "propagate",
            "y:inf": "propagate",
            "*:dtype": "any",  # the caller's model and loss decide what they take
            "x:meta": "raises",
            "y:meta": "raises",
            "x:shape": "raises",
            "y:shape": "raises",
        },
    ),
)

from torch.utils.flop_counter import FlopCounterMode  # noqa: E402
from torchvision.models.densenet import _Transition  # noqa: E402
from torchvision.models.resnet import Bottleneck as TvBottleneck  # noqa: E402

# ------------------------------------------------------------------------------------ cnn
import reference.cnn as cnn  # noqa: E402


def _image(*shape: int, seed: int = 0) -> Tensor:
    return randn(*shape, seed=seed)


def _module_case(
    name: str,
    build: Callable[..., nn.Module],
    ctor: Callable[[], Args],
    forward: Callable[[], Args],
    production: Callable[..., nn.Module] | None = None,
    **options: object,
) -> Case:
    """A class: build it from ``ctor`` arguments (seeded) and run it on ``forward`` ones.

    ``production`` builds the production module; it receives our module's weights.
    """
    ctor_names = list(ctor())

    def split(args: Args) -> tuple[Args, Args]:
        return (
            {k: v for k, v in args.items() if k in ctor_names},
            {k: v for k, v in args.items() if k not in ctor_names},
        )

    def ours(**args: object) -> object:
        made, inputs = split(args)
        reseed()
        with torch.device("cpu"):  # the module's weights; the device test is about forward
            module = build(**made).double()
        return module(**inputs)

    def theirs(**args: object) -> object:
        made, inputs = split(args)
        reseed()
        reference_module = build(**made).double()
        module = production(**made).double()
        module.load_state_dict(reference_module.state_dict())
        return module(*inputs.values())  # torch names the input differently

    return Case(
        name,
        ours,
        lambda: {**ctor(), **forward()},
        theirs if production is not None else None,
        **options,  # type: ignore[arg-type]
    )


def _flops(module: nn.Module, input: Tensor) -> cnn.FlopCount:
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        module(input)
    total = counter.get_total_flops()
    return cnn.FlopCount(total, total // 2)


def _conv_size(size, kernel_size, stride, padding, dilation, ceil_mode):
    """The output size torch's layers give: pooling for ceil_mode, else a convolution."""
    pair = (size, size) if isinstance(size, int) else size
    x = torch.zeros(1, 1, *pair)
    if ceil_mode:
        out = F.max_pool2d(x, kernel_size, stride, padding, dilation, ceil_mode=True)
    else:
        kernel = (kernel_size,) * 2 if isinstance(kernel_size, int) else kernel_size
        out = F.conv2d(x, torch.zeros(1, 1, *kernel), None, stride, padding, dilation)
    h, w = out.shape[2:]
    scalar = all(isinstance(a, int) for a in (size, kernel_size, stride, padding, dilation))
    return h if scalar else (h, w)


def _transpose_size(size, kernel_size, stride, padding, output_padding, dilation):
    pair = (size, size) if isinstance(size, int) else size
    kernel = (kernel_size,) * 2 if isinstance(kernel_size, int) else kernel_size
    out = F.conv_transpose2d(
        torch.zeros(1, 1, *pair),
        torch.zeros(1, 1, *kernel),
        None,
        stride,
        padding,
        output_padding,
        1,
        dilation,
    )
    args = (size, kernel_size, stride, padding, output_padding, dilation)
    return out.shape[2] if all(isinstance(a, int) for a in args) else tuple(out.shape[2:])


def _gradient_model() -> nn.Module:
    reseed()
    return nn.Sequential(nn.Conv2d(1, 2, 3), nn.Conv2d(2, 1, 3, stride=2)).double()


def _receptive_model() -> nn.Module:
    return nn.Sequential(nn.Conv2d(1, 2, 3), nn.MaxPool2d(2), nn.Conv2d(2, 1, 3, dilation=2))


add(
    Case(
        "cnn.conv2d",
        cnn.conv2d,
        lambda: {
            "input": _image(2, 4, 7, 6),
            "weight": _image(6, 2, 3, 2, seed=1),
            "bias": _image(6, seed=2),
            "stride": (2, 1),
            "padding": 1,
            "dilation": 1,
            "groups": 2,
        },
        F.conv2d,
    ),
    Case(
        "cnn.conv_transpose2d",
        cnn.conv_transpose2d,
        lambda: {
            "input": _image(2, 4, 5, 6),
            "weight": _image(4, 3, 3, 2, seed=1),
            "bias": _image(6, seed=2),
            "stride": 2,
            "padding": (1, 0),
            "output_padding": 1,
            "groups": 2,
            "dilation": 1,
        },
        F.conv_transpose2d,
    ),
    Case(
        "cnn.conv_output_size",
        cnn.conv_output_size,
        lambda: {
            "size": (9, 8),
            "kernel_size": 3,
            "stride": 2,
            "padding": 1,
            "dilation": 1,
            "ceil_mode": True,
        },
        _conv_size,
    ),
    Case(
        "cnn.conv_transpose_output_size",
        cnn.conv_transpose_output_size,
        lambda: {
            "size": (5, 4),
            "kernel_size": 3,
            "stride": 2,
            "padding": 1,
            "output_padding": 1,
            "dilation": 1,
        },
        _transpose_size,
    ),
    Case(
        "cnn.max_pool2d",
        cnn.max_pool2d,
        lambda: {
            "input": _image(2, 3, 7, 6),
            "kernel_size": 3,
            "stride": 2,
            "padding": 1,
            "dilation": 1,
            "ceil_mode": True,
            "return_indices": True,
        },
        F.max_pool2d,
    ),
    Case(
        "cnn.avg_pool2d",
        cnn.avg_pool2d,
        lambda: {
            "input": _image(2, 3, 7, 6),
            "kernel_size": (3, 2),
            "stride": 2,
            "padding": 1,
            "ceil_mode": True,
            "count_include_pad": False,
            "divisor_override": 5,
        },
        F.avg_pool2d,
    ),
    Case(
        "cnn.nearest_interpolate",
        cnn.nearest_interpolate,
        lambda: {"input": _image(2, 3, 5, 4), "size": (9, 7)},
        lambda input, size: F.interpolate(input, size=size, mode="nearest"),
        # indexing copies any dtype; torch has no nearest kernel for int64, bool, complex
        accept={"input:dtype": "any"},
    ),
    Case(
        "cnn.nearest_interpolate:scale",
        cnn.nearest_interpolate,
        lambda: {"input": _image(2, 3, 5, 4), "scale_factor": 1.7},
        lambda input, scale_factor: F.interpolate(input, scale_factor=scale_factor, mode="nearest"),
        accept={"input:dtype": "any"},
    ),
    Case(
        "cnn.bilinear_interpolate",
        cnn.bilinear_interpolate,
        lambda: {"input": _image(2, 3, 5, 4), "size": (9, 3), "align_corners": True},
        lambda input, size, align_corners: F.interpolate(
            input, size=size, mode="bilinear", align_corners=align_corners
        ),
    ),
    Case(
        "cnn.bilinear_interpolate:scale",
        cnn.bilinear_interpolate,
        lambda: {"input": _image(2, 3, 5, 4), "scale_factor": 2.5},
        lambda input, scale_factor: F.interpolate(
            input, scale_factor=scale_factor, mode="bilinear"
        ),
    ),
    Case(
        "cnn.channel_shuffle",
        cnn.channel_shuffle,
        lambda: {"input": _image(2, 6, 3, 3), "groups": 3},
        F.channel_shuffle,
    ),
    Case(
        "cnn.conv2d_parameters",
        cnn.conv2d_parameters,
        lambda: {"in_channels": 4, "out_channels": 6, "kernel_size": 3, "groups": 2, "bias": True},
        lambda in_channels, out_channels, kernel_size, groups, bias: sum(
            p.numel()
            for p in nn.Conv2d(
                in_channels, out_channels, kernel_size, groups=groups, bias=bias
            ).parameters()
        ),
    ),
    Case(
        "cnn.count_parameters",
        cnn.count_parameters,
        lambda: {"module": nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 2)), "trainable_only": True},
        lambda module, trainable_only: sum(
            p.numel() for p in module.parameters() if p.requires_grad or not trainable_only
        ),
    ),
    Case(
        "cnn.count_flops",
        cnn.count_flops,
        lambda: {
            "module": nn.Sequential(nn.Conv2d(3, 4, 3), nn.Flatten(), nn.Linear(64, 2)),
            "input": _image(2, 3, 6, 6).float(),
        },
        _flops,
        # the input is the caller's model's to judge
        accept={f"input:{c}": "raises" for c in ("dtype", "shape", "empty", "meta")},
    ),
    Case(
        "cnn.gradient_field",
        cnn.gradient_field,
        lambda: {"model": _gradient_model(), "input": _image(1, 1, 11, 11), "row": 1, "col": 2},
        domains={"row": at_least(0), "col": at_least(0)},
        # a linear model: the gradient holds the weights' products, whatever the input;
        # another batch or image size is just another input
        accept={
            "input:nan": "valid",
            "input:inf": "valid",
            "input:empty": "valid",
            "input:shape": "valid",
            "input:dtype": "raises",
        },
    ),
    Case(
        "cnn.receptive_field",
        cnn.receptive_field,
        lambda: {"model": _receptive_model()},
        fixed=(),
    ),
    Case(
        "cnn.receptive_field_trace",
        cnn.receptive_field_trace,
        lambda: {"model": _receptive_model()},
    ),
    Case("cnn.linearise", cnn.linearise, lambda: {"model": _receptive_model()}),
    Case(
        "cnn.linear_as_conv",
        lambda **a: cnn.linear_as_conv(**a).weight.shape,
        lambda: {"linear": nn.Linear(24, 5), "in_channels": 2, "height": 3, "width": 4},
        domains={"in_channels": at_least(1), "height": at_least(1), "width": at_least(1)},
    ),
    Case(
        "cnn.add_as_concat_conv",
        lambda conv: cnn.add_as_concat_conv(conv).weight.shape,
        lambda: {"conv": nn.Conv2d(3, 4, 3, padding=1, padding_mode="reflect")},
    ),
    Case(
        "cnn.resnet50",
        lambda num_classes: cnn.resnet50(num_classes=num_classes).fc.weight.shape,
        lambda: {"num_classes": 10},
        lambda num_classes: torchvision.models.resnet50(num_classes=num_classes).fc.weight.shape,
    ),
    Case(
        "cnn.ResNet50",
        lambda num_classes: cnn.ResNet50(num_classes).fc.weight.shape,
        lambda: {"num_classes": 10},
        lambda num_classes: torchvision.models.resnet50(num_classes=num_classes).fc.weight.shape,
    ),
    _module_case(
        "cnn.Bottleneck",
        cnn.Bottleneck,
        lambda: {"inplanes": 8, "planes": 4, "stride": 2},
        lambda: {"x": _image(2, 8, 6, 5)},
        lambda inplanes, planes, stride: TvBottleneck(
            inplanes,
            planes,
            stride,
            downsample=nn.Sequential(
                nn.Conv2d(inplanes, planes * 4, 1, stride, bias=False), nn.BatchNorm2d(planes * 4)
            ),
        ),
    ),
    _module_case(
        "cnn.DenseTransition",
        cnn.DenseTransition,
        lambda: {"in_channels": 6, "out_channels": 3},
        lambda: {"input": _image(2, 6, 6, 4)},
        lambda in_channels, out_channels: _Transition(in_channels, out_channels),
    ),
    _module_case(
        "cnn.DepthwiseSeparableConv2d",
        cnn.DepthwiseSeparableConv2d,
        lambda: {
            "in_channels": 3,
            "out_channels": 5,
            "kernel_size": 3,
            "stride": 2,
            "padding": 1,
        },
        lambda: {"x": _image(2, 3, 7, 7)},
        domains={
            "in_channels": at_least(1),
            "out_channels": at_least(1),
            "kernel_size": at_least(1),
            "stride": at_least(1),
            "padding": at_least(0),
        },
        accept={"x:nan": "propagate", "x:inf": "propagate", "x:empty": "valid", "x:shape": "valid"},
    ),
    _module_case(
        "cnn.Inception",
        cnn.Inception,
        lambda: {
            "in_channels": 4,
            "ch1x1": 2,
            "ch3x3red": 2,
            "ch3x3": 3,
            "ch5x5red": 1,
            "ch5x5": 2,
            "pool_proj": 2,
        },
        lambda: {"x": _image(2, 4, 6, 6)},
        domains={
            k: at_least(1)
            for k in ("in_channels", "ch1x1", "ch3x3red", "ch3x3", "ch5x5red", "ch5x5", "pool_proj")
        },
        accept={"x:nan": "propagate", "x:inf": "valid", "x:empty": "valid", "x:shape": "valid"},
    ),
    _module_case(
        "cnn.LeNet5",
        cnn.LeNet5,
        lambda: {"num_classes": 3},
        lambda: {"x": _image(2, 1, 32, 32)},
        domains={"num_classes": at_least(1)},
        # tanh saturates: an infinite pixel gives finite logits
        accept={"x:nan": "propagate", "x:inf": "valid", "x:empty": "valid"},
    ),
)

# ------------------------------------------------------------------------------- training
import torchvision.ops  # noqa: E402
from torch.optim import lr_scheduler  # noqa: E402

import reference.training as tr  # noqa: E402


def _pair_args(shape: tuple[int, ...] = (6, 3), **extra: object) -> Callable[[], Args]:
    return lambda: {"input": randn(*shape), "target": randn(*shape, seed=1), **extra}


for name, ours, theirs in [
    ("l1_loss", tr.l1_loss, F.l1_loss),
    ("mse_loss", tr.mse_loss, F.mse_loss),
    (
        "binary_cross_entropy_with_logits",
        tr.binary_cross_entropy_with_logits,
        F.binary_cross_entropy_with_logits,
    ),
]:
    add(Case(f"training.{name}", ours, _pair_args(reduction="sum"), theirs))
add(
    Case(
        "training.binary_cross_entropy_with_logits:weighted",
        tr.binary_cross_entropy_with_logits,
        _pair_args(
            reduction="none", weight=randn(6, 3, seed=2).abs(), pos_weight=randn(3, seed=3).abs()
        ),
        F.binary_cross_entropy_with_logits,
    ),
    Case(
        "training.smooth_l1_loss",
        tr.smooth_l1_loss,
        _pair_args(reduction="none", beta=0.5),
        F.smooth_l1_loss,
    ),
    Case(
        "training.cross_entropy",
        tr.cross_entropy,
        lambda: {
            "input": randn(5, 4),
            "target": torch.randint(4, (5,), generator=seeded()),
            "reduction": "mean",
            "label_smoothing": 0.1,
        },
        F.cross_entropy,
    ),
    Case(
        "training.sigmoid_focal_loss",
        tr.sigmoid_focal_loss,
        lambda: {
            "inputs": randn(6, 3),
            "targets": (randn(6, 3, seed=1) > 0).double(),
            "alpha": 0.25,
            "gamma": 2.0,
            "reduction": "mean",
        },
        torchvision.ops.sigmoid_focal_loss,
    ),
    Case(
        "training.l1_penalty",
        tr.l1_penalty,
        lambda: {"parameters": [randn(3, 2), randn(4, seed=1)], "weight": 0.1},
        lambda parameters, weight: weight * sum(p.abs().sum() for p in parameters),
    ),
    Case(
        "training.l2_penalty",
        tr.l2_penalty,
        lambda: {"parameters": [randn(3, 2), randn(4, seed=1)], "weight": 0.1},
        lambda parameters, weight: weight / 2 * sum((p**2).sum() for p in parameters),
    ),
)


def _steps_of(optimizer: type) -> Callable[..., object]:
    """Three steps of an optimiser on a fixed non-convex loss; the parameters after them."""

    def run(params: list[Tensor], **options: object) -> list[Tensor]:
        opt = optimizer(params, **options)
        for _ in range(3):
            opt.zero_grad()
            # elementwise and one parameter at a time, so that a parameter of any shape,
            # dtype or device still trains
            for p in params:
                if p.requires_grad:
                    (torch.sin(3 * p).abs() ** 2).sum().backward()
            opt.step()
        return [p.detach() for p in params]

    return run


def _optimizer_args(**options: object) -> Callable[[], Args]:
    return lambda: {
        "params": [randn(3, 2).requires_grad_(), randn(2, seed=1).requires_grad_()],
        **options,
    }


for cls, theirs, options in [
    (
        tr.SGD,
        torch.optim.SGD,
        {"lr": 0.1, "momentum": 0.9, "dampening": 0.0, "weight_decay": 0.01, "nesterov": True},
    ),
    (
        tr.Adagrad,
        torch.optim.Adagrad,
        {
            "lr": 0.1,
            "lr_decay": 0.01,
            "weight_decay": 0.01,
            "initial_accumulator_value": 0.1,
            "eps": 1e-10,
        },
    ),
    (
        tr.RMSprop,
        torch.optim.RMSprop,
        {
            "lr": 0.01,
            "alpha": 0.9,
            "eps": 1e-8,
            "weight_decay": 0.01,
            "momentum": 0.5,
            "centered": True,
        },
    ),
    (tr.Adadelta, torch.optim.Adadelta, {"lr": 1.0, "rho": 0.8, "eps": 1e-6, "weight_decay": 0.01}),
    (
        tr.Adam,
        torch.optim.Adam,
        {"lr": 0.01, "betas": (0.8, 0.99), "eps": 1e-8, "weight_decay": 0.01},
    ),
    (
        tr.AdamW,
        torch.optim.AdamW,
        {"lr": 0.01, "betas": (0.8, 0.99), "eps": 1e-8, "weight_decay": 0.1},
    ),
]:
    add(
        Case(
            f"training.{cls.__name__}",
            _steps_of(cls),
            _optimizer_args(**options),
            _steps_of(theirs),
        )
    )


def _torch_rates(
    make: Callable[[torch.optim.Optimizer], object], base_lr: float, steps: int
) -> list[float]:
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=base_lr)
    scheduler = make(optimizer)
    rates = []
    for _ in range(steps):
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()  # type: ignore[attr-defined]
    return rates


def _plateau(
    base_lr: float,
    metrics: list[float],
    mode: str,
    factor: float,
    patience: int,
    threshold: float,
    cooldown: int,
    min_lr: float,
) -> list[float]:
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=base_lr)
    scheduler = lr_scheduler.ReduceLROnPlateau(
        optimizer,
        mode=mode,
        factor=factor,
        patience=patience,
        threshold=threshold,
        cooldown=cooldown,
        min_lr=min_lr,
    )
    rates = []
    for value in metrics:
        scheduler.step(value)
        rates.append(optimizer.param_groups[0]["lr"])
    return rates


add(
    Case(
        "training.exponential_lr",
        tr.exponential_lr,
        lambda: {"base_lr": 0.1, "gamma": 0.9, "steps": 6},
        lambda base_lr, gamma, steps: _torch_rates(
            lambda o: lr_scheduler.ExponentialLR(o, gamma), base_lr, steps
        ),
    ),
    Case(
        "training.step_lr",
        tr.step_lr,
        lambda: {"base_lr": 0.1, "step_size": 2, "gamma": 0.5, "steps": 6},
        lambda base_lr, step_size, gamma, steps: _torch_rates(
            lambda o: lr_scheduler.StepLR(o, step_size, gamma), base_lr, steps
        ),
    ),
    Case(
        "training.cosine_annealing_lr",
        tr.cosine_annealing_lr,
        lambda: {"base_lr": 0.1, "t_max": 4, "steps": 9, "eta_min": 0.01},
        lambda base_lr, t_max, steps, eta_min: _torch_rates(
            lambda o: lr_scheduler.CosineAnnealingLR(o, t_max, eta_min), base_lr, steps
        ),
    ),
    Case(
        "training.cyclic_lr",
        tr.cyclic_lr,
        lambda: {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 3, "steps": 10},
        lambda base_lr, max_lr, step_size_up, steps: _torch_rates(
            lambda o: lr_scheduler.CyclicLR(o, base_lr, max_lr, step_size_up), base_lr, steps
        ),
    ),
    Case(
        "training.reduce_lr_on_plateau",
        tr.reduce_lr_on_plateau,
        lambda: {
            "base_lr": 0.1,
            "metrics": [1.0, 0.9, 0.95, 0.97, 0.99, 0.9, 0.8, 0.99, 1.0],
            "mode": "min",
            "factor": 0.5,
            "patience": 1,
            "threshold": 1e-4,
            "cooldown": 1,
            "min_lr": 0.001,
        },
        _plateau,
    ),
)


def _accumulate(
    model: nn.Module,
    loss_fn: Callable[[Tensor, Tensor], Tensor],
    inputs: Tensor,
    targets: Tensor,
    micro_batch_size: int,
) -> object:
    loss = tr.accumulate_gradients(model, loss_fn, inputs, targets, micro_batch_size)
    return loss, [p.grad for p in model.parameters()]


def _one_batch(
    model: nn.Module,
    loss_fn: Callable[[Tensor, Tensor], Tensor],
    inputs: Tensor,
    targets: Tensor,
    micro_batch_size: int,
) -> object:
    loss = loss_fn(model(inputs), targets)
    loss.backward()
    return loss.detach(), [p.grad for p in model.parameters()]


def _accumulate_args() -> Args:
    reseed()
    return {
        "model": nn.Linear(3, 2).double(),
        "loss_fn": F.mse_loss,
        "inputs": randn(7, 3),
        "targets": randn(7, 2, seed=1),
        "micro_batch_size": 3,
    }


def _adam_with_state() -> Args:
    p = randn(3, 2).requires_grad_()
    optimizer = torch.optim.Adam([p])
    p.grad = torch.ones_like(p)
    optimizer.step()
    return {"optimizer": optimizer}


add(
    Case(
        "training.accumulate_gradients",
        _accumulate,
        _accumulate_args,
        _one_batch,
        domains={"micro_batch_size": at_least(1)},
        # the caller's model and loss judge the data
        accept={
            f"{a}:{c}": "raises" for a in ("inputs", "targets") for c in ("dtype", "shape", "meta")
        },
    ),
    Case(
        "training.optimizer_state_bytes",
        tr.optimizer_state_bytes,
        _adam_with_state,
        lambda optimizer: sum(
            v.numel() * v.element_size()
            for state in optimizer.state.values()
            for v in state.values()
            if isinstance(v, Tensor)
        ),
    ),
    _module_case(
        "training.BatchNorm2d",
        tr.BatchNorm2d,
        lambda: {"num_features": 3, "eps": 1e-5, "momentum": 0.1},
        lambda: {"input": randn(4, 3, 2, 5)},
        nn.BatchNorm2d,
    ),
    _module_case(
        "training.LayerNorm",
        tr.LayerNorm,
        lambda: {"normalized_shape": (2, 5), "eps": 1e-5},
        lambda: {"input": randn(4, 3, 2, 5)},
        nn.LayerNorm,
    ),
    _module_case(
        "training.DropConnect",
        tr.DropConnect,
        lambda: {"in_features": 3, "out_features": 2, "p": 0.5, "bias": True},
        lambda: {"input": randn(4, 3), "generator": seeded()},
        domains={
            "in_features": at_least(1),
            "out_features": at_least(1),
            "p": lambda v: 0 <= v < 1,
        },
        # a drawn mask; any batch shape (..., in_features) is an input
        accept={
            "input:nan": "valid",
            "input:inf": "valid",
            "input:empty": "valid",
            "input:shape": "valid",
        },
    ),
)


def _amp_update(
    scale: float,
    growth_tracker: int,
    found_inf: bool,
    growth_factor: float,
    backoff_factor: float,
    growth_interval: int,
) -> tuple[float, int]:
    """GradScaler's update (its kernel), on a float32 scale as GradScaler keeps it."""
    s, tracker = torch.tensor(scale), torch.tensor(growth_tracker, dtype=torch.int32)
    found = torch.tensor(float(found_inf))
    torch._amp_update_scale_(s, tracker, found, growth_factor, backoff_factor, growth_interval)
    return s.item(), int(tracker)


add(
    Case(
        "training.binary_cross_entropy",
        tr.binary_cross_entropy,
        lambda: {
            "input": torch.sigmoid(randn(6, 3)),
            "target": torch.rand(6, 3, generator=seeded(1), dtype=torch.float64),
            "weight": randn(6, 3, seed=2).abs(),
            "reduction": "sum",
        },
        F.binary_cross_entropy,
    ),
    Case(
        "training.soft_threshold",
        tr.soft_threshold,
        lambda: {"input": randn(6, 3), "threshold": 0.5},
        lambda input, threshold: F.softshrink(input, threshold),
    ),
    Case(
        "training.linear_lr",
        tr.linear_lr,
        lambda: {
            "base_lr": 0.1,
            "start_factor": 0.25,
            "end_factor": 1.0,
            "total_iters": 4,
            "steps": 7,
        },
        lambda base_lr, start_factor, end_factor, total_iters, steps: _torch_rates(
            lambda o: lr_scheduler.LinearLR(o, start_factor, end_factor, total_iters),
            base_lr,
            steps,
        ),
    ),
    Case(
        "training.update_loss_scale",
        tr.update_loss_scale,
        lambda: {
            "scale": 1024.0,
            "growth_tracker": 2,
            "found_inf": False,
            "growth_factor": 2.0,
            "backoff_factor": 0.5,
            "growth_interval": 3,
        },
        _amp_update,
        device=False,
    ),
    _module_case(
        "training.GroupNorm",
        tr.GroupNorm,
        lambda: {"num_groups": 2, "num_channels": 4, "eps": 1e-5},
        lambda: {"input": randn(3, 4, 2, 5)},
        nn.GroupNorm,
    ),
)


# Random functions: one seeded generator each, so a call is reproducible; no production
# counterpart draws the same numbers. A NaN or infinity may be dropped or kept: "valid".
for name, fn, extra in [
    ("dropout", tr.dropout, {}),
    ("classic_dropout", tr.classic_dropout, {}),
    ("spatial_dropout", tr.spatial_dropout, {}),
    ("stochastic_depth", tr.stochastic_depth, {"mode": "row"}),
]:
    add(
        Case(
            f"training.{name}",
            fn,
            lambda extra=extra: {
                "input": randn(4, 3, 2, 2),
                "p": 0.3,
                "training": True,
                "generator": seeded(),
                **extra,
            },
            domains={"p": lambda v: 0 <= v <= 1},
            # any floating tensor of any shape (on any device) is an input
            accept={
                f"input:{c}": "valid" for c in ("nan", "inf", "empty", "shape", "meta", "dtype")
            },
        )
    )

# ------------------------------------------------------------------------------ detection
import torchvision.ops as tvops  # noqa: E402
from torchvision.models.detection._utils import BoxCoder  # noqa: E402
from torchvision.models.detection.anchor_utils import DefaultBoxGenerator  # noqa: E402
from torchvision.models.detection.image_list import ImageList  # noqa: E402
from torchvision.ops.poolers import initLevelMapper  # noqa: E402

import reference.detection as de  # noqa: E402
from tests.detection.test_anchors import _torchvision_anchors  # noqa: E402
from tests.detection.test_rpn import torchvision_anchors, torchvision_labels  # noqa: E402


def boxes(n: int, seed: int = 0, size: float = 60.0) -> Tensor:
    g = seeded(seed)
    xy = torch.rand(n, 2, generator=g, dtype=torch.float64) * size
    wh = torch.rand(n, 2, generator=g, dtype=torch.float64) * 30 + 1
    return torch.cat([xy, xy + wh], dim=1)


# torchvision wants boxes and scores of one float dtype; here scores only rank the boxes,
# and integer boxes are converted to float: other dtypes are a deliberate difference
NMS_DTYPES = {"boxes:dtype": "any", "scores:dtype": "any"}


def _two_sets() -> Args:
    return {"boxes1": boxes(5), "boxes2": boxes(4, seed=1)}


for name, ours, theirs in [
    ("box_iou", de.box_iou, tvops.box_iou),
    ("generalized_box_iou", de.generalized_box_iou, tvops.generalized_box_iou),
]:
    add(Case(f"detection.{name}", ours, _two_sets, theirs))
for name, ours, theirs in [
    ("distance_box_iou", de.distance_box_iou, tvops.distance_box_iou),
    ("complete_box_iou", de.complete_box_iou, tvops.complete_box_iou),
]:
    add(Case(f"detection.{name}", ours, lambda: {**_two_sets(), "eps": 1e-7}, theirs))
for name, ours, theirs in [
    ("generalized_box_iou_loss", de.generalized_box_iou_loss, tvops.generalized_box_iou_loss),
    ("distance_box_iou_loss", de.distance_box_iou_loss, tvops.distance_box_iou_loss),
    ("complete_box_iou_loss", de.complete_box_iou_loss, tvops.complete_box_iou_loss),
]:
    add(
        Case(
            f"detection.{name}",
            ours,
            lambda: {
                "boxes1": boxes(5),
                "boxes2": boxes(5, seed=1),
                "reduction": "sum",
                "eps": 1e-7,
            },
            theirs,
        )
    )


def _nms_args(**extra: object) -> Callable[[], Args]:
    return lambda: {
        "boxes": boxes(30),
        "scores": torch.rand(30, generator=seeded(1), dtype=torch.float64),
        **extra,
    }


def _torchvision_diou_nms(boxes: Tensor, scores: Tensor, iou_threshold: float) -> Tensor:
    """The greedy loop of NMS on torchvision's DIoU (torchvision has no DIoU-NMS)."""
    order = torch.argsort(scores, descending=True, stable=True)
    keep = []
    while len(order):
        keep.append(int(order[0]))
        diou = tvops.distance_box_iou(boxes[order[:1]], boxes[order[1:]])[0]
        order = order[1:][~(diou > iou_threshold)]
    return torch.tensor(keep, dtype=torch.int64)


def _fpn(
    in_channels_list: list[int], out_channels: int, extra_pool: bool, x: dict[str, Tensor]
) -> object:
    reseed()
    with torch.device("cpu"):
        fpn = de.FeaturePyramidNetwork(
            in_channels_list, out_channels, extra_pool=extra_pool
        ).double()
    return fpn(x)


def _torchvision_fpn(
    in_channels_list: list[int], out_channels: int, extra_pool: bool, x: dict[str, Tensor]
) -> object:
    reseed()
    ours = de.FeaturePyramidNetwork(in_channels_list, out_channels, extra_pool=extra_pool)
    ours = ours.double()
    blocks = tvops.feature_pyramid_network.LastLevelMaxPool() if extra_pool else None
    theirs = tvops.FeaturePyramidNetwork(in_channels_list, out_channels, blocks).double()
    with torch.no_grad():  # our weights into torchvision's layers
        for mine, block in zip(
            [*ours.lateral, *ours.output], [*theirs.inner_blocks, *theirs.layer_blocks], strict=True
        ):
            block[0].weight.copy_(mine.weight)
            block[0].bias.copy_(mine.bias)
    return theirs(x)


def _ssd_boxes(
    feature_sizes: list[tuple[int, int]],
    aspect_ratios: list[list[float]],
    scales: list[float],
    clip: bool,
    dtype: torch.dtype,
) -> Tensor:
    """torchvision's DefaultBoxGenerator on a 300 px image, turned back into (cx, cy, w, h)."""
    generator = DefaultBoxGenerator(aspect_ratios, scales=scales, clip=clip)
    images = ImageList(torch.zeros(1, 3, 300, 300, dtype=dtype), [(300, 300)])
    xyxy = generator(images, [torch.zeros(1, 1, h, w, dtype=dtype) for h, w in feature_sizes])[0]
    xyxy = xyxy / 300
    return torch.cat([(xyxy[:, :2] + xyxy[:, 2:]) / 2, xyxy[:, 2:] - xyxy[:, :2]], 1)


def _positives_only(
    labels: Tensor, matched: Tensor, float_dtype: torch.dtype | None = None
) -> tuple[Tensor, Tensor]:
    """An anchor's matched box means something only for positives (torchvision puts negative
    codes elsewhere); labels in the anchors' float dtype (float32 for integer anchors)."""
    labels = labels if float_dtype is None else labels.to(float_dtype)
    return labels, torch.where(labels == 1, matched, -1)


def _yolo_target() -> Args:
    anchors = torch.tensor([[10.0, 13.0], [16.0, 30.0], [33.0, 23.0]], dtype=torch.float64)
    encoded = de.yolo_encode(boxes(3, size=40.0), torch.tensor([0, 2, 1]), anchors, (4, 4), 16, 3)
    return {
        "output": randn(1, 3, 4, 4, 8),
        "target": encoded[None],
        "anchors": anchors,
        "stride": 16,
        "ignore_threshold": 0.5,
    }


add(
    Case(
        "detection.box_area",
        de.box_area,
        lambda: {"boxes": boxes(5)},
        tvops.box_area,
    ),
    Case(
        "detection.nms",
        de.nms,
        _nms_args(iou_threshold=0.3),
        tvops.nms,
        accept=NMS_DTYPES,
    ),
    Case(
        "detection.box_iou_simple",
        de.box_iou_simple,
        _two_sets,
        tvops.box_iou,
    ),
    Case(
        "detection.nms_simple",
        de.nms_simple,
        _nms_args(iou_threshold=0.3),
        tvops.nms,
        accept=NMS_DTYPES,
    ),
    Case(
        "detection.diou_nms",
        de.diou_nms,
        _nms_args(iou_threshold=0.3),
        _torchvision_diou_nms,
        accept=NMS_DTYPES,
    ),
    Case(
        "detection.batched_nms",
        de.batched_nms,
        _nms_args(idxs=torch.randint(3, (30,), generator=seeded(2)), iou_threshold=0.3),
        tvops.batched_nms,
        accept=NMS_DTYPES,
    ),
    Case(
        "detection.soft_nms",
        de.soft_nms,
        _nms_args(iou_threshold=0.3, sigma=0.5, score_threshold=0.01, method="hard"),
        # method="hard" is nms, with the surviving scores
        lambda boxes, scores, iou_threshold, sigma, score_threshold, method: (
            (keep := tvops.nms(boxes, scores, iou_threshold))[scores[keep] >= score_threshold],
            scores[keep][scores[keep] >= score_threshold],
        ),
        accept=NMS_DTYPES,
    ),
    Case(
        "detection.soft_nms:gaussian",
        de.soft_nms,
        _nms_args(iou_threshold=0.3, sigma=0.5, score_threshold=0.01, method="gaussian"),
        domains={"iou_threshold": nonneg, "sigma": positive, "score_threshold": positive},
        accept={"boxes:dtype": "valid", "scores:dtype": "valid"},
    ),
    Case(
        "detection.wh_iou",
        de.wh_iou,
        lambda: {
            "wh1": boxes(5)[:, 2:] - boxes(5)[:, :2],
            "wh2": torch.tensor([[10.0, 13.0], [30.0, 20.0]], dtype=torch.float64),
        },
        lambda wh1, wh2: tvops.box_iou(
            torch.cat([torch.zeros_like(wh1), wh1], 1), torch.cat([torch.zeros_like(wh2), wh2], 1)
        ),
    ),
    Case(
        "detection.cell_anchors",
        de.cell_anchors,
        lambda: {"sizes": (32.0, 64.0), "aspect_ratios": (0.5, 1.0, 2.0), "dtype": torch.float64},
        lambda sizes, aspect_ratios, dtype: (
            torchvision.models.detection.anchor_utils.AnchorGenerator().generate_anchors(
                sizes, aspect_ratios, dtype
            )
        ),
        fixed=("dtype",),
    ),
    Case(
        "detection.grid_anchors",
        de.grid_anchors,
        lambda: {
            "image_size": (64, 96),
            "feature_sizes": [(8, 12), (4, 6)],
            "sizes": ((16.0,), (32.0, 40.0)),
            "aspect_ratios": ((0.5, 1.0), (1.0,)),
            "dtype": torch.float64,
        },
        lambda image_size, feature_sizes, sizes, aspect_ratios, dtype: _torchvision_anchors(
            image_size, feature_sizes, sizes, aspect_ratios, dtype
        ),
        fixed=("dtype",),
    ),
    Case(
        "detection.grid_anchors:offset",  # detectron2's option; torchvision has offset 0 only
        de.grid_anchors,
        lambda: {
            "image_size": (64, 96),
            "feature_sizes": [(8, 12)],
            "sizes": ((16.0,),),
            "aspect_ratios": ((1.0,),),
            "offset": 0.5,
            "dtype": torch.float64,
        },
        domains={"offset": lambda v: math.isfinite(v)},
        fixed=("dtype", "image_size", "feature_sizes", "sizes", "aspect_ratios"),
    ),
    Case(
        "detection.rpn_anchors",
        de.rpn_anchors,
        lambda: {
            "feature_size": (3, 4),
            "stride": 16,
            "sizes": (32.0, 64.0),
            "aspect_ratios": (0.5, 1.0),
            "dtype": torch.float64,
        },
        lambda feature_size, stride, sizes, aspect_ratios, dtype: torchvision_anchors(
            feature_size, stride, sizes, aspect_ratios, dtype
        ),
        fixed=("dtype",),
    ),
    Case(
        "detection.ssd_scales",
        de.ssd_scales,
        lambda: {"num_maps": 6, "s_min": 0.2, "s_max": 0.9},
        lambda num_maps, s_min, s_max: DefaultBoxGenerator([[2]] * num_maps, s_min, s_max).scales,
    ),
    Case(
        "detection.ssd_prior_boxes",
        de.ssd_prior_boxes,
        lambda: {
            "feature_sizes": [(3, 3), (1, 1)],
            "aspect_ratios": [[2.0], [2.0, 3.0]],
            "scales": [0.2, 0.55, 0.9],
            "clip": True,
            "dtype": torch.float64,
        },
        _ssd_boxes,
        fixed=("dtype",),
    ),
    Case(
        "detection.assign_anchors",
        lambda **a: _positives_only(*de.assign_anchors(**a)),
        lambda: {
            "anchors": boxes(20),
            "gt_boxes": boxes(3, seed=1),
            "high_threshold": 0.5,
            "low_threshold": 0.2,
        },
        lambda anchors, gt_boxes, high_threshold, low_threshold: _positives_only(
            *torchvision_labels(
                anchors if anchors.is_floating_point() else anchors.float(),
                gt_boxes,
                high_threshold,
                low_threshold,
            ),
        ),
    ),
    Case(
        "detection.sample_anchors",
        de.sample_anchors,
        lambda: {
            "labels": torch.tensor([1.0, 0, -1, 0, 1, 0, 0, -1]),
            "batch_size": 4,
            "positive_fraction": 0.5,
            "generator": seeded(),
        },
        domains={"batch_size": at_least(1), "positive_fraction": lambda v: 0 <= v <= 1},
        accept={"labels:dtype": "valid", "labels:empty": "valid", "labels:shape": "valid"},
    ),
    Case(
        "detection.encode_boxes",
        de.encode_boxes,
        lambda: {"boxes": boxes(5), "anchors": boxes(5, seed=1), "weights": (10.0, 10.0, 5.0, 5.0)},
        lambda boxes, anchors, weights: BoxCoder(weights).encode_single(boxes, anchors),
    ),
    Case(
        "detection.decode_boxes",
        de.decode_boxes,
        lambda: {
            "deltas": randn(5, 4),
            "anchors": boxes(5, seed=1),
            "weights": (10.0, 10.0, 5.0, 5.0),
            "clip": math.log(1000.0 / 16),
        },
        lambda deltas, anchors, weights, clip: BoxCoder(weights, clip).decode_single(
            deltas, anchors
        ),
    ),
    Case(
        "detection.fpn_level",
        de.fpn_level,
        lambda: {
            "boxes": boxes(8, size=400.0) * 4,
            "k_min": 2,
            "k_max": 5,
            "canonical_size": 224.0,
            "canonical_level": 4,
            "eps": 1e-6,
        },
        lambda boxes, k_min, k_max, canonical_size, canonical_level, eps: (
            initLevelMapper(k_min, k_max, canonical_size, canonical_level, eps)([boxes]) + k_min
        ),
    ),
    Case(
        "detection.spatial_pyramid_pool",
        de.spatial_pyramid_pool,
        lambda: {"input": randn(2, 3, 7, 5), "output_sizes": (1, 2, 3), "mode": "max"},
        lambda input, output_sizes, mode: torch.cat(
            [F.adaptive_max_pool2d(input, n).flatten(1) for n in output_sizes], 1
        ),
    ),
    Case(
        "detection.spp_block",
        de.spp_block,
        lambda: {"input": randn(2, 3, 7, 5), "kernel_sizes": (3, 5)},
        lambda input, kernel_sizes: torch.cat(
            [input, *(F.max_pool2d(input, k, 1, k // 2) for k in kernel_sizes)], 1
        ),
    ),
    Case(
        "detection.sppf",
        de.sppf,
        lambda: {"input": randn(2, 3, 7, 5), "kernel_size": 3, "repeats": 2},
        lambda input, kernel_size, repeats: torch.cat(
            [
                input,
                *(
                    F.max_pool2d(input, k, 1, k // 2)
                    for k in range(kernel_size, repeats * (kernel_size - 1) + 2, kernel_size - 1)
                ),
            ],
            1,
        ),
    ),
    Case(
        "detection.top_down_merge",
        de.top_down_merge,
        lambda: {
            "laterals": [randn(2, 3, 9, 7), randn(2, 3, 5, 4, seed=1), randn(2, 3, 2, 2, seed=2)]
        },
        # maps of other sizes are other valid inputs
        accept={
            "laterals:nan": "propagate",
            "laterals:inf": "propagate",
            "laterals:shape": "valid",
            "laterals:dtype": "valid",
        },
    ),
    Case(
        "detection.FeaturePyramidNetwork",
        _fpn,
        lambda: {
            "in_channels_list": [3, 5],
            "out_channels": 4,
            "extra_pool": True,
            "x": {"c3": randn(2, 3, 8, 6), "c4": randn(2, 5, 4, 3, seed=1)},
        },
        _torchvision_fpn,
    ),
    Case(
        "detection.hard_negative_mining",
        de.hard_negative_mining,
        lambda: {
            "loss": randn(2, 10).abs(),
            "labels": torch.tensor(
                [[0, 1, 0, 0, 0, 0, 2, 0, 0, 0], [0, 0, 0, 0, 0, 0, 0, 0, 0, 0]]
            ),
            "neg_pos_ratio": 2,
        },
        domains={"neg_pos_ratio": at_least(0)},
        accept={"loss:dtype": "valid", "labels:dtype": "valid", "loss:shape": "valid"},
    ),
    Case(
        "detection.kmeans_anchors",
        de.kmeans_anchors,
        lambda: {
            "wh": boxes(20)[:, 2:] - boxes(20)[:, :2],
            "k": 3,
            "reduction": "median",
            "max_iter": 50,
            "generator": seeded(),
        },
        domains={"k": at_least(1), "max_iter": at_least(1)},
        accept={"wh:dtype": "valid"},  # integer sizes, or float32
    ),
    Case(
        "detection.kl_box_loss",
        de.kl_box_loss,
        lambda: {
            "pred": boxes(5),
            "log_var": randn(5, 4),
            "target": boxes(5, seed=1),
            "reduction": "mean",
        },
        accept={
            **{
                f"{a}:{c}": "propagate"
                for a in ("pred", "log_var", "target")
                for c in ("nan", "inf")
            },
            "pred:dtype": "valid",
        },
    ),
    Case(
        "detection.variance_voting",
        de.variance_voting,
        lambda: {
            "boxes": boxes(10),
            "variances": randn(10, 4).abs() + 0.1,
            "keep": torch.tensor([0, 3, 7]),
            "sigma_t": 0.02,
        },
        domains={"sigma_t": positive},
        # no box, int32 or uint8 indices, or one more index
        accept={"keep:empty": "valid", "keep:dtype": "valid", "keep:shape": "valid"},
    ),
    Case(
        "detection.yolo_encode",
        de.yolo_encode,
        lambda: {
            "boxes": boxes(3, size=40.0),
            "labels": torch.tensor([0, 2, 1]),
            "anchors": torch.tensor([[10.0, 13.0], [16.0, 30.0]], dtype=torch.float64),
            "grid_size": (4, 4),
            "stride": 16,
            "num_classes": 3,
        },
        domains={"stride": at_least(1), "num_classes": at_least(3)},
        # integer boxes, anchors or labels of any integer dtype, and no box at all are valid
        accept={
            "boxes:dtype": "valid",
            "anchors:dtype": "valid",
            "labels:dtype": "valid",
            "boxes:empty": "valid",
        },
    ),
    Case(
        "detection.yolo_decode",
        de.yolo_decode,
        lambda: {
            "output": randn(2, 3, 4, 4, 8),
            "anchors": torch.tensor(
                [[10.0, 13.0], [16.0, 30.0], [33.0, 23.0]], dtype=torch.float64
            ),
            "stride": 16,
        },
        domains={"stride": at_least(1)},
        accept={
            "output:nan": "propagate",
            "output:inf": "valid",
            "output:empty": "valid",
            "output:dtype": "valid",
            "output:shape": "valid",
            "anchors:dtype": "valid",
        },
    ),
    Case(
        "detection.yolo_loss",
        de.yolo_loss,
        _yolo_target,
        domains={"stride": at_least(1), "ignore_threshold": lambda v: 0 <= v <= 1},
        accept={"output:nan": "propagate", "output:inf": "valid", "anchors:dtype": "valid"},
    ),
    Case(
        "detection.mosaic",
        de.mosaic,
        lambda: {
            "images": [torch.full((20 + 4 * k, 16, 3), k, dtype=torch.uint8) for k in range(4)],
            "boxes": [boxes(2, seed=k, size=10.0) for k in range(4)],
            "labels": [torch.tensor([k, k]) for k in range(4)],
            "size": 32,
            "min_size": 2.0,
            "fill": 114.0,
            "generator": seeded(),
        },
        domains={"size": at_least(2), "min_size": nonneg, "fill": lambda v: 0 <= v <= 255},
        # integer boxes and any label dtype are valid
        accept={"boxes:dtype": "valid", "labels:dtype": "valid"},
    ),
)


def _yolov1() -> Args:
    g = seeded(3)
    centres = torch.tensor([[40.0, 40.0], [230.0, 100.0], [400.0, 330.0]], dtype=torch.float64)
    sizes = 30 + torch.rand(3, 2, generator=g, dtype=torch.float64) * 60
    return {
        "output": torch.rand(7, 7, 30, generator=g, dtype=torch.float64),
        "boxes": torch.cat([centres - sizes / 2, centres + sizes / 2], 1),
        "labels": torch.tensor([3, 0, 19]),
        "image_size": 448,
        "num_boxes": 2,
        "lambda_coord": 5.0,
        "lambda_noobj": 0.5,
    }


def _ssd() -> Args:
    g = seeded(4)
    labels = torch.randint(0, 4, (2, 12), generator=g) * (torch.rand(2, 12, generator=g) < 0.3)
    return {
        "cls_logits": randn(2, 12, 4),
        "box_deltas": randn(2, 12, 4),
        "labels": labels,
        "target_deltas": randn(2, 12, 4),
        "neg_pos_ratio": 3,
        "alpha": 1.0,
    }


add(
    Case(
        "detection.yolov1_loss",
        de.yolov1_loss,
        _yolov1,
        domains={
            "image_size": at_least(1),
            "num_boxes": at_least(1),
            "lambda_coord": nonneg,
            "lambda_noobj": nonneg,
        },
        # float32 output or boxes, int boxes, int32 labels and one more class are valid
        accept={"*:dtype": "valid", "output:shape": "valid"},
    ),
    Case(
        "detection.ssd_loss",
        de.ssd_loss,
        _ssd,
        domains={"neg_pos_ratio": nonneg, "alpha": nonneg},
        # float32 tensors, int32 labels and one more class are valid
        accept={"*:dtype": "valid", "cls_logits:shape": "valid"},
    ),
)

# -------------------------------------------------------------------------------- metrics
from torchmetrics.functional.classification import (  # noqa: E402
    binary_stat_scores,
    multiclass_confusion_matrix,
    multiclass_jaccard_index,
)

import reference.metrics as me  # noqa: E402


def _segmentation() -> Args:
    g = seeded()
    return {
        "preds": torch.randint(4, (3, 5, 5), generator=g),
        "target": torch.randint(4, (3, 5, 5), generator=g),
        "num_classes": 4,
        "ignore_index": 3,
    }


def _counts(pred: Tensor, target: Tensor) -> dict[str, int]:
    tp, fp, tn, fn, _ = binary_stat_scores(pred.long(), target.long()).tolist()
    return {"tp": tp, "fp": fp, "fn": fn, "tn": tn}


def _detections(images: int = 3) -> Args:
    preds, targets = [], []
    for i in range(images):
        truth = boxes(3, seed=10 + i, size=200.0)
        found = torch.cat([truth[:2] + 1.0, boxes(2, seed=20 + i, size=200.0)])
        preds.append(
            {
                "boxes": found,
                "scores": torch.rand(4, generator=seeded(i), dtype=torch.float64),
                "labels": torch.tensor([0, 1, 0, 1]),
            }
        )
        targets.append({"boxes": truth, "labels": torch.tensor([0, 1, 1])})
    return {"preds": preds, "target": targets}


def _coco_class_ap(
    preds: list[dict[str, Tensor]],
    target: list[dict[str, Tensor]],
    label: int,
    iou_threshold: float,
) -> float:
    """pycocotools' COCOeval at one IoU threshold: the AP of one class (all areas, 100 dets)."""
    from tests.metrics.coco import cocoeval_per_class

    return cocoeval_per_class(preds, target, iou_threshold).get(label, -1.0)


def _torchmetrics_mask_iou(preds: Tensor, target: Tensor) -> Tensor:
    """torchmetrics' segmentation mean_iou per class, 0 (not -1) for a class in neither mask."""
    from torchmetrics.functional.segmentation import mean_iou as tm_mean_iou

    iou = tm_mean_iou(preds.long()[None], target.long()[None], len(preds), per_class=True)[0]
    return iou.double().clamp(min=0)


add(
    Case(
        "metrics.confusion_matrix",
        me.confusion_matrix,
        _segmentation,
        lambda preds, target, num_classes, ignore_index: multiclass_confusion_matrix(
            preds, target, num_classes, ignore_index=ignore_index
        ),
    ),
    Case(
        "metrics.iou_per_class",
        me.iou_per_class,
        _segmentation,
        lambda preds, target, num_classes, ignore_index: (
            multiclass_jaccard_index(
                preds, target, num_classes, average="none", ignore_index=ignore_index
            )
            .double()
            .where(torch.arange(num_classes) != ignore_index, 0.0)
        ),
        # torchmetrics puts its zero_division value (0) where a class never occurs; and the
        # ignored class, which it reports as 0 too
    ),
    Case(
        "metrics.mean_iou",
        me.mean_iou,
        _segmentation,
        lambda preds, target, num_classes, ignore_index: multiclass_jaccard_index(
            preds, target, num_classes, average="macro", ignore_index=ignore_index
        ).double(),
    ),
    Case(
        "metrics.binary_counts",
        me.binary_counts,
        lambda: {"pred": torch.tensor([1, 0, 1, 1, 0]), "target": torch.tensor([1, 1, 0, 1, 0])},
        _counts,
    ),
    Case(
        "metrics.precision_recall",
        me.precision_recall,
        lambda: {"is_tp": torch.tensor([True, False, True, True]), "num_gt": 5},
        domains={"num_gt": at_least(3)},
        accept={"is_tp:empty": "valid", "is_tp:dtype": "valid", "is_tp:shape": "valid"},
    ),
    Case(
        "metrics.average_precision",
        me.average_precision,
        lambda: {
            "recall": torch.tensor([0.2, 0.4, 0.4, 0.6], dtype=torch.float64),
            "precision": torch.tensor([1.0, 1.0, 0.67, 0.75], dtype=torch.float64),
            "method": "coco",
        },
        accept={
            f"{a}:{c}": "valid"
            for a in ("recall", "precision")
            for c in ("dtype", "empty", "shape")
        },
    ),
    Case(
        "metrics.match_detections",
        me.match_detections,
        lambda: {
            "boxes": boxes(6),
            "scores": torch.rand(6, generator=seeded(), dtype=torch.float64),
            "gt_boxes": boxes(3, seed=1),
            "iou_threshold": 0.3,
            "convention": "coco",
        },
        domains={"iou_threshold": lambda v: 0 <= v <= 1},
        accept={
            "boxes:dtype": "valid",
            "gt_boxes:dtype": "valid",
            "scores:dtype": "valid",
            "gt_boxes:empty": "valid",
            "boxes:empty": "any",
        },
    ),
    Case(
        "metrics.voc_box_iou",
        me.voc_box_iou,
        lambda: {"boxes1": boxes(4), "boxes2": boxes(3, seed=1)},
        accept={
            "boxes1:dtype": "valid",
            "boxes2:dtype": "valid",
            "boxes1:empty": "valid",
            "boxes2:empty": "valid",
        },
    ),
    Case(
        "metrics.voc_match",
        me.voc_match,
        lambda: {
            "overlaps": torch.rand(5, 3, generator=seeded(), dtype=torch.float64),
            "iou_threshold": 0.5,
        },
        domains={"iou_threshold": lambda v: 0 <= v <= 1},
        accept={"overlaps:dtype": "valid", "overlaps:empty": "valid", "overlaps:shape": "valid"},
    ),
    Case(
        "metrics.mean_average_precision",
        me.mean_average_precision,
        _detections,
        accept={"*:dtype": "valid", "*:empty": "valid"},  # another valid data set
    ),
    Case(
        "metrics.class_average_precision",
        me.class_average_precision,
        lambda: {**_detections(), "label": 1, "iou_threshold": 0.5},
        _coco_class_ap,
        accept={"*:dtype": "valid", "*:empty": "valid"},  # another valid data set
    ),
    Case(
        "metrics.binary_mask_iou",
        me.binary_mask_iou,
        lambda: {
            "preds": torch.rand(3, 6, 5, generator=seeded(5)) < 0.5,
            "target": torch.rand(3, 6, 5, generator=seeded(6)) < 0.5,
        },
        _torchmetrics_mask_iou,
    ),
    Case(
        "metrics.voc_mean_average_precision",
        me.voc_mean_average_precision,
        lambda: {**_detections(), "method": "voc", "iou_threshold": 0.5},
        domains={"iou_threshold": lambda v: 0 <= v <= 1},
        accept={"*:dtype": "valid", "*:empty": "valid"},
    ),
)

# ----------------------------------------------------------------------------- generative
import reference.generative as ge  # noqa: E402


def _gan() -> Args:
    reseed()
    g, d = ge.mlp(2, 8, 2).double(), ge.mlp(2, 8, 1).double()
    return {
        "g_model": g,
        "d_model": d,
        "g_optimizer": torch.optim.Adam(g.parameters(), lr=1e-3),
        "d_optimizer": torch.optim.Adam(d.parameters(), lr=1e-3),
        "real": randn(8, 2),
        "latent_dim": 2,
        "non_saturating": True,
        "generator": seeded(),
    }


def _one_thread(f: Callable[..., Any]) -> Callable[..., Any]:
    """``f`` on one thread, as the autoencoder's documentation advises (several times faster)."""

    def run(**args: object) -> Any:
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            return f(**args)
        finally:
            torch.set_num_threads(threads)

    return run


def _autoencoder() -> nn.Module:
    reseed()
    return ge.Autoencoder(6, 4, 2).double()


add(
    Case(
        "generative.discriminator_loss",
        ge.discriminator_loss,
        lambda: {"real_logits": randn(5, 1), "fake_logits": randn(4, 1, seed=1)},
        lambda real_logits, fake_logits: (
            F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))
            + F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
        ),
    ),
    Case(
        "generative.generator_loss",
        ge.generator_loss,
        lambda: {"fake_logits": randn(5, 1), "non_saturating": True},
        lambda fake_logits, non_saturating: F.binary_cross_entropy_with_logits(
            fake_logits, torch.ones_like(fake_logits)
        ),
    ),
    Case(
        "generative.info_nce",
        ge.info_nce,
        lambda: {"query": randn(5, 3), "key": randn(5, 3, seed=1), "temperature": 0.1},
        lambda query, key, temperature: F.cross_entropy(
            F.normalize(query, dim=1) @ F.normalize(key, dim=1).T / temperature,
            torch.arange(len(query)),
        ),
    ),
    Case(
        "generative.rotation_pretext",
        ge.rotation_pretext,
        lambda: {"images": randn(2, 3, 4, 4)},
        lambda images: (
            torch.cat([torch.rot90(images, k, (2, 3)) for k in range(4)]),
            torch.arange(4, device=images.device).repeat_interleave(len(images)),
        ),
    ),
    Case(
        "generative.mask_patches",
        ge.mask_patches,
        lambda: {"images": randn(2, 3, 8, 8), "patch": 4, "ratio": 0.5, "generator": seeded()},
        domains={"patch": at_least(1), "ratio": lambda v: 0 <= v <= 1},
        accept={
            "images:nan": "valid",
            "images:inf": "valid",
            "images:dtype": "valid",
            "images:empty": "valid",
            "images:meta": "valid",
        },
    ),
    Case(
        "generative.cycle_consistency_loss",
        ge.cycle_consistency_loss,
        lambda: {
            "x": randn(3, 4),
            "y": randn(2, 4, seed=1),
            "g": lambda t: 2 * t,
            "f": lambda t: t / 2 + 0.1,
        },
        lambda x, y, g, f: F.l1_loss(f(g(x)), x) + F.l1_loss(g(f(y)), y),
    ),
    Case(
        "generative.inception_score",
        ge.inception_score,
        lambda: {"probs": distribution(6, 4), "eps": 1e-12},
        lambda probs, eps: torch.exp(
            F.kl_div(probs.mean(0, keepdim=True).log().expand_as(probs), probs, reduction="none")
            .sum(1)
            .mean()
        ),
        tolerance={"rtol": 1e-9, "atol": 1e-9},
        fixed=("eps",),  # the guard against log 0, which the oracle does not need
    ),
    Case(
        "generative.mode_counts",
        ge.mode_counts,
        lambda: {
            "samples": ge.sample_ring(40, generator=seeded()).double(),
            "centres": ge.ring_centres().double(),
            "std": 0.05,
            "n_sigma": 3.0,
        },
        domains={"std": positive, "n_sigma": positive},
        accept={"samples:empty": "valid", "samples:dtype": "valid", "centres:dtype": "valid"},
    ),
    Case(
        "generative.mode_coverage",
        ge.mode_coverage,
        lambda: {
            "samples": ge.sample_ring(40, generator=seeded()).double(),
            "centres": ge.ring_centres().double(),
            "std": 0.05,
            "n_sigma": 3.0,
            "min_count": 2,
        },
        domains={"std": positive, "n_sigma": positive, "min_count": at_least(0)},
        accept={"samples:empty": "valid", "samples:dtype": "valid", "centres:dtype": "valid"},
    ),
    Case(
        "generative.slerp",
        ge.slerp,
        lambda: {
            "z0": randn(4),
            "z1": randn(4, seed=1),
            "t": torch.linspace(0, 1, 5, dtype=torch.float64),
        },
        accept={
            "*:nan": "propagate",
            "*:inf": "any",
            "t:empty": "valid",
            "t:dtype": "valid",
            "t:shape": "any",
        },
    ),
    Case(
        "generative.roc_auc",
        ge.roc_auc,
        lambda: {
            "scores": torch.tensor([0.1, 0.4, 0.35, 0.8, 0.5]),
            "labels": torch.tensor([0, 0, 1, 1, 0]),
        },
        lambda scores, labels: binary_auroc_score(scores, labels),
        accept={"labels:dtype": "any"},  # bool and float 0/1 labels, where torchmetrics wants int
    ),
    Case(
        "generative.roc_auc_pairs",
        ge.roc_auc_pairs,
        lambda: {
            "scores": torch.tensor([0.1, 0.4, 0.35, 0.8, 0.5]),
            "labels": torch.tensor([0, 0, 1, 1, 0]),
        },
        lambda scores, labels: binary_auroc_score(scores, labels),
        accept={"labels:dtype": "any"},  # bool and float 0/1 labels, where torchmetrics wants int
    ),
    Case(
        "generative.ring_centres",
        ge.ring_centres,
        lambda: {"modes": 5, "radius": 2.0},
        domains={"modes": at_least(1), "radius": positive},
    ),
    Case(
        "generative.sample_ring",
        ge.sample_ring,
        lambda: {"n": 6, "modes": 5, "radius": 2.0, "std": 0.1, "generator": seeded()},
        domains={"n": at_least(0), "modes": at_least(1), "radius": positive, "std": nonneg},
    ),
    Case(
        "generative.mlp",
        lambda **a: ge.mlp(**a)(torch.zeros(2, a["in_features"])).shape,
        lambda: {"in_features": 3, "hidden": 4, "out_features": 2},
        domains={k: at_least(1) for k in ("in_features", "hidden", "out_features")},
    ),
    Case(
        "generative.gan_step",
        ge.gan_step,
        _gan,
        domains={"latent_dim": at_least(1)},
        # the caller's networks judge the batch
        accept={
            **{f"real:{c}": "raises" for c in ("dtype", "shape", "meta")},
        },
        fixed=("g_model", "d_model", "g_optimizer", "d_optimizer"),
    ),
    _module_case(
        "generative.Autoencoder",
        ge.Autoencoder,
        lambda: {"in_features": 6, "hidden": 4, "code": 2},
        lambda: {"x": randn(3, 6)},
        domains={k: at_least(1) for k in ("in_features", "hidden", "code")},
        accept={"x:nan": "propagate", "x:inf": "valid", "x:empty": "valid"},
    ),
    Case(
        "generative.reconstruction_error",
        ge.reconstruction_error,
        lambda: {"model": _autoencoder(), "x": randn(3, 6)},
        accept={
            "x:nan": "propagate",
            "x:inf": "propagate",
            "x:empty": "valid",
            "x:dtype": "raises",
            "x:meta": "raises",
            "x:shape": "raises",
        },
    ),
    Case(
        "generative.fit_autoencoder",
        ge.fit_autoencoder,
        lambda: {
            "model": _autoencoder(),
            "x": randn(10, 6),
            "steps": 3,
            "batch_size": 4,
            "lr": 1e-3,
            "generator": seeded(),
        },
        domains={"steps": at_least(0), "batch_size": at_least(1), "lr": nonneg},
        # the NaN is in a row the random mini-batches may or may not draw
        accept={"x:nan": "valid", "x:inf": "valid", "x:dtype": "raises", "x:meta": "raises"},
    ),
    Case(
        "generative.make_digits",
        ge.make_digits,
        lambda: {"per_class": 1, "size": 8, "generator": seeded()},
        domains={"per_class": at_least(1), "size": at_least(1)},
    ),
    Case(
        "generative.anomaly_experiment",
        lambda **a: _one_thread(ge.anomaly_experiment)(**a).auc,
        # 20 steps: the contract is about the arguments, not about what training reaches
        lambda: {"anomaly": 3, "per_class": 9, "steps": 20, "generator": seeded()},
        domains={"anomaly": lambda v: 0 <= v <= 9, "per_class": at_least(2), "steps": at_least(1)},
    ),
)


def binary_auroc_score(scores: Tensor, labels: Tensor) -> float:
    from torchmetrics.functional.classification import binary_auroc

    return binary_auroc(scores, labels).item()


# -------------------------------------------------------------------------------------- rl
import reference.rl as rl  # noqa: E402


def _expert() -> Tensor:
    env = rl.GridWorld()
    _, Q = rl.value_iteration(env)
    return rl.feature_expectations(env, rl.greedy_policy(Q))


def _rollout() -> rl.Rollout:
    env = rl.GridWorld()
    policy = lambda s: torch.zeros(len(s), 4, dtype=torch.float64)  # noqa: E731
    return rl.collect_rollout(env, policy, 3, generator=seeded())


add(
    Case(
        "rl.GridWorld",
        lambda **a: rl.GridWorld(**a).next_state,
        lambda: {"layout": ("S..", ".XG"), "horizon": 5},
        domains={"horizon": at_least(1)},
    ),
    Case(
        "rl.value_iteration",
        rl.value_iteration,
        lambda: {
            "env": rl.GridWorld(),
            "reward": rl.GridWorld().reward,
            "gamma": 0.8,
            "tol": 1e-10,
        },
        domains={"gamma": lambda v: 0 <= v < 1, "tol": positive},
        accept={"reward:dtype": "valid"},
    ),
    Case(
        "rl.greedy_policy",
        rl.greedy_policy,
        lambda: {"Q": randn(6, 4)},
        lambda Q: F.one_hot(Q.argmax(1), Q.shape[1]).double(),
    ),
    Case(
        "rl.feature_expectations",
        rl.feature_expectations,
        lambda: {
            "env": rl.GridWorld(),
            "policy": torch.full((20, 4), 0.25, dtype=torch.float64),
            "gamma": 0.9,
        },
        domains={"gamma": lambda v: 0 <= v <= 1},
        accept={"policy:dtype": "valid"},
    ),
    Case(
        "rl.collect_rollout",
        lambda **a: rl.collect_rollout(**a).states,
        lambda: {
            "env": rl.GridWorld(),
            "policy": lambda s: torch.zeros(len(s), 4),
            "episodes": 3,
            "generator": seeded(),
        },
        domains={"episodes": at_least(1)},
    ),
    Case(
        "rl.demonstration_features",
        rl.demonstration_features,
        lambda: {"env": rl.GridWorld(), "demos": _rollout(), "gamma": 0.9},
        domains={"gamma": lambda v: 0 <= v <= 1},
    ),
    Case(
        "rl.projection_irl",
        lambda **a: rl.projection_irl(**a).weights,
        lambda: {
            "env": rl.GridWorld(),
            "expert_mu": _expert(),
            "gamma": 0.9,
            "iterations": 20,
            "tol": 1e-9,
        },
        domains={"gamma": lambda v: 0 <= v < 1, "iterations": at_least(1), "tol": positive},
        accept={"expert_mu:dtype": "any"},  # float32 features cannot match to 1e-9: error
    ),
    Case(
        "rl.discounted_returns",
        rl.discounted_returns,
        lambda: {"rewards": randn(2, 5), "gamma": 0.9},
        domains={"gamma": lambda v: 0 <= v <= 1},
        accept={"rewards:dtype": "valid", "rewards:empty": "valid", "rewards:shape": "valid"},
    ),
    Case(
        "rl.discounted_returns_loop",
        rl.discounted_returns_loop,
        lambda: {"rewards": randn(2, 5), "gamma": 0.9},
        # G_t = r_t + gamma G_{t+1} is the IIR filter 1 / (1 - gamma z^-1) run backwards
        lambda rewards, gamma: torch.from_numpy(
            scipy.signal.lfilter([1.0], [1.0, -gamma], rewards.numpy()[..., ::-1])[..., ::-1].copy()
        ),
        accept={"rewards:dtype": "valid", "rewards:empty": "valid", "rewards:shape": "valid"},
    ),
    Case(
        "rl.policy_evaluation",
        rl.policy_evaluation,
        lambda: {
            "env": rl.GridWorld(),
            "policy": torch.full((20, 4), 0.25, dtype=torch.float64),
            "gamma": 0.8,
            "reward": rl.GridWorld().reward,
        },
        domains={"gamma": lambda v: 0 <= v < 1},
        accept={"policy:dtype": "valid", "reward:dtype": "valid"},
    ),
    Case(
        "rl.one_step_advantages",
        rl.one_step_advantages,
        lambda: {
            "rewards": randn(2, 5),
            "values": randn(2, 5, seed=1),
            "next_values": randn(2, 5, seed=2),
            "terminal": torch.zeros(2, 5, dtype=torch.bool),
            "gamma": 0.9,
        },
        domains={"gamma": lambda v: 0 <= v <= 1},
        accept={"*:dtype": "valid", "*:empty": "any"},
    ),
    Case(
        "rl.policy_gradient_loss",
        rl.policy_gradient_loss,
        lambda: {
            "logits": randn(2, 3, 4),
            "actions": torch.randint(4, (2, 3), generator=seeded()),
            "weights": randn(2, 3, seed=1),
            "mask": torch.ones(2, 3, dtype=torch.bool),
        },
        accept={
            "logits:nan": "propagate",
            "logits:inf": "any",
            "*:dtype": "valid",
            "*:empty": "any",
            "logits:shape": "valid",
        },
    ),
    _module_case(
        "rl.TabularActorCritic",
        rl.TabularActorCritic,
        lambda: {"n_states": 5, "n_actions": 3},
        lambda: {"states": torch.tensor([0, 4, 2])},
        domains={"n_states": at_least(1), "n_actions": at_least(1)},
        # any integer dtype and any shape of states index the tables
        accept={"states:empty": "valid", "states:shape": "valid", "states:dtype": "valid"},
    ),
    Case(
        "rl.train_actor_critic",
        lambda **a: rl.train_actor_critic(**a)[1].returns,
        lambda: {
            "env": rl.GridWorld(),
            "method": "reinforce",
            "updates": 2,
            "episodes": 2,
            "gamma": 0.9,
            "lr": 0.1,
            "critic_lr": 0.1,
            "entropy": 0.01,
            "generator": seeded(),
        },
        domains={
            "updates": at_least(1),
            "episodes": at_least(1),
            "gamma": lambda v: 0 <= v <= 1,
            "lr": nonneg,
            "critic_lr": nonneg,
            "entropy": nonneg,
        },
    ),
    Case(
        "rl.actor_critic_loss",
        rl.actor_critic_loss,
        lambda: {
            "model": rl.TabularActorCritic(20, 4).double(),
            "batch": _rollout(),
            "method": "actor-critic",
            "gamma": 0.9,
            "entropy": 0.01,
        },
        domains={"gamma": lambda v: 0 <= v <= 1, "entropy": nonneg},
        fixed=("model",),
    ),
)

# ---------------------------------------------------------------------------------- image
import cv2  # noqa: E402

import reference.image as im  # noqa: E402
from tests.image.conftest import random_image  # noqa: E402


def _opencv_shape(result: np.ndarray, like: np.ndarray) -> np.ndarray:
    """OpenCV drops a trailing axis of size 1: put it back."""
    if like.ndim == 3 and like.shape[2] == 1 and result.ndim == 2:
        return result[..., None]
    return result


def _image_case(
    name: str,
    ours: Callable[..., object],
    theirs: Callable[..., np.ndarray],
    shape: tuple[int, ...] = (9, 7, 3),
    dtype: type = np.uint8,
    accept: dict[str, str] | None = None,
    **extra: object,
) -> Case:
    """A filter with an OpenCV counterpart called as ``theirs(image, **extra)``."""
    return Case(
        f"image.{name}",
        ours,
        lambda: {"image": random_image(shape, dtype), **extra},
        lambda image, **kw: _opencv_shape(theirs(image, **kw), image),
        tolerance={"rtol": 1e-5, "atol": 1e-5},
        accept=accept or {},
    )


def _opencv_pyramid(image: np.ndarray, levels: int) -> list[np.ndarray]:
    pyramid = [image]
    for _ in range(levels):
        pyramid.append(_opencv_shape(cv2.pyrDown(pyramid[-1]), pyramid[-1][::2, ::2]))
    return pyramid


# OpenCV has no kernel for some dtype combinations that these functions handle (float64
# colour conversion and median, float32 to float64 Laplacian): a deliberate difference
BEYOND_OPENCV = {"image:dtype": "any"}


add(
    _image_case(
        "to_rgb",
        im.to_rgb,
        lambda image: cv2.cvtColor(image, cv2.COLOR_BGR2RGB),
        accept=BEYOND_OPENCV,
    ),
    _image_case(
        "to_gray",
        im.to_gray,
        lambda image: cv2.cvtColor(image, cv2.COLOR_BGR2GRAY),
        accept=BEYOND_OPENCV,
    ),
    Case(
        "image.equalize_hist",
        im.equalize_hist,
        lambda: {"gray": random_image((9, 7), np.uint8)},
        lambda gray: cv2.equalizeHist(gray),
    ),
    _image_case(
        "gaussian_blur",
        im.gaussian_blur,
        lambda image, ksize, sigma: cv2.GaussianBlur(image, (ksize, ksize), sigma),
        ksize=5,
        sigma=1.2,
    ),
    _image_case(
        "box_blur", im.box_blur, lambda image, ksize: cv2.blur(image, (ksize, ksize)), ksize=3
    ),
    _image_case(
        "median_blur",
        im.median_blur,
        lambda image, ksize: cv2.medianBlur(image, ksize),
        ksize=3,
        accept=BEYOND_OPENCV,
    ),
    _image_case(
        "max_filter",
        im.max_filter,
        lambda image, ksize: cv2.dilate(image, np.ones((ksize, ksize), np.uint8)),
        ksize=3,
    ),
    _image_case(
        "min_filter",
        im.min_filter,
        lambda image, ksize: cv2.erode(image, np.ones((ksize, ksize), np.uint8)),
        ksize=3,
    ),
    # the readable versions shown first on the filters page, against the same oracles
    _image_case(
        "gaussian_blur_simple",
        im.gaussian_blur_simple,
        lambda image, ksize, sigma: cv2.GaussianBlur(image, (ksize, ksize), sigma),
        ksize=5,
        sigma=1.2,
    ),
    _image_case(
        "median_blur_simple",
        im.median_blur_simple,
        lambda image, ksize: cv2.medianBlur(image, ksize),
        ksize=3,
        accept=BEYOND_OPENCV,
    ),
    _image_case(
        "max_filter_simple",
        im.max_filter_simple,
        lambda image, ksize: cv2.dilate(image, np.ones((ksize, ksize), np.uint8)),
        ksize=3,
    ),
    _image_case(
        "min_filter_simple",
        im.min_filter_simple,
        lambda image, ksize: cv2.erode(image, np.ones((ksize, ksize), np.uint8)),
        ksize=3,
    ),
    _image_case(
        "sobel",
        im.sobel,
        lambda image, dx, dy, ksize: cv2.Sobel(image, cv2.CV_64F, dx, dy, ksize=ksize),
        dx=1,
        dy=0,
        ksize=3,
    ),
    _image_case(
        "laplacian",
        im.laplacian,
        lambda image, ksize: cv2.Laplacian(image, cv2.CV_64F, ksize=ksize),
        ksize=3,
        accept=BEYOND_OPENCV,
    ),
    _image_case(
        "gradient_magnitude",
        im.gradient_magnitude,
        lambda image, ksize: cv2.magnitude(
            cv2.Sobel(image, cv2.CV_64F, 1, 0, ksize=ksize),
            cv2.Sobel(image, cv2.CV_64F, 0, 1, ksize=ksize),
        ),
        ksize=3,
    ),
    _image_case("pyr_down", im.pyr_down, cv2.pyrDown),
    _image_case(
        "pyr_up",
        im.pyr_up,
        lambda image, dstsize: cv2.pyrUp(image, dstsize=dstsize),
        dstsize=(13, 17),
    ),
    Case(
        "image.gaussian_kernel",
        im.gaussian_kernel,
        lambda: {"ksize": 7, "sigma": 1.5},
        lambda ksize, sigma: cv2.getGaussianKernel(ksize, sigma).ravel(),
    ),
    Case(
        "image.sobel_kernels",
        im.sobel_kernels,
        lambda: {"order": 1, "ksize": 5},
        # OpenCV wants some derivative: ask for order 1 along the other axis, read this one
        lambda order, ksize: (
            cv2.getDerivKernels(order, 1 if order == 0 else 0, ksize)[0].ravel().astype(np.float64)
        ),
    ),
    Case(
        "image.correlate_loop",
        im.correlate_loop,
        lambda: {
            "image": random_image((7, 6), np.float64),
            "kernel": random_image((3, 3), np.float64, seed=1),
        },
        lambda image, kernel: cv2.filter2D(image, -1, kernel, borderType=cv2.BORDER_REFLECT_101),
        accept={"image:dtype": "any"},  # computed in float64 whatever the image's dtype
    ),
    Case(
        "image.gaussian_pyramid",
        im.gaussian_pyramid,
        lambda: {"image": random_image((17, 13, 3), np.uint8), "levels": 2},
        _opencv_pyramid,
    ),
    Case(
        "image.laplacian_pyramid",
        im.laplacian_pyramid,
        lambda: {"image": random_image((17, 13), np.float64), "levels": 2},
        domains={"levels": at_least(0)},
        accept={
            "image:nan": "propagate",
            "image:inf": "any",
            "image:dtype": "valid",
            "image:shape": "valid",
        },
    ),
    Case(
        "image.reconstruct",
        im.reconstruct,
        lambda: {"pyramid": im.laplacian_pyramid(random_image((17, 13), np.float64), 2)},
        accept={
            "pyramid:nan": "propagate",
            "pyramid:inf": "any",
            "pyramid:dtype": "valid",
            "pyramid:shape": "valid",
        },
    ),
    Case(
        "image.blend",
        im.blend,
        lambda: {
            "a": random_image((16, 12, 3), np.uint8),
            "b": random_image((16, 12, 3), np.uint8, seed=1),
            "mask": (random_image((16, 12), np.float64) > 0.5).astype(np.float64),
            "levels": 2,
        },
        domains={"levels": at_least(0)},
        accept={"mask:dtype": "valid"},
    ),
    Case(
        "image.gamma_correct",
        im.gamma_correct,
        lambda: {"image": random_image((9, 7, 3), np.uint8), "gamma": 0.7},
        domains={"gamma": positive},
        # uint8 or floats in [0, 1], others refused; a grey or 4-channel image is valid too
        accept={"image:dtype": "any", "image:shape": "valid"},
    ),
    Case(
        "image.gaussian_noise",
        im.gaussian_noise,
        lambda: {
            "image": random_image((9, 7, 3), np.uint8),
            "sigma": 10.0,
            "generator": np.random.default_rng(0),
        },
        domains={"sigma": nonneg},
        accept={"image:dtype": "any", "image:shape": "valid"},
    ),
    Case(
        "image.salt_pepper_noise",
        im.salt_pepper_noise,
        lambda: {
            "image": random_image((9, 7, 3), np.uint8),
            "amount": 0.2,
            "salt_vs_pepper": 0.5,
            "generator": np.random.default_rng(0),
        },
        domains={"amount": lambda v: 0 <= v <= 1, "salt_vs_pepper": lambda v: 0 <= v <= 1},
        accept={"image:dtype": "any", "image:shape": "valid"},
    ),
)

# ------------------------------------------------------------------------------ attention
import reference.attention as at  # noqa: E402


def _seq2seq() -> at.Seq2Seq:
    reseed()
    with torch.device("cpu"):
        return at.Seq2Seq(vocab_size=13, embed_dim=4, hidden_dim=6).double().eval()


def _multi_head_args() -> Args:
    reseed()
    layer = nn.MultiheadAttention(4, 2, dtype=torch.float64)
    return {
        "query": randn(2, 3, 4),
        "key": randn(2, 5, 4, seed=1),
        "value": randn(2, 5, 4, seed=2),
        "num_heads": 2,
        "in_proj_weight": layer.in_proj_weight.detach(),
        "in_proj_bias": layer.in_proj_bias.detach(),
        "out_proj_weight": layer.out_proj.weight.detach(),
        "out_proj_bias": layer.out_proj.bias.detach(),
    }


def _torch_multi_head(
    query: Tensor, key: Tensor, value: Tensor, num_heads: int, **weights: Tensor
) -> tuple[Tensor, Tensor]:
    """torch's functional multi-head attention, sequence first, one weight map per head."""
    out, attention = F.multi_head_attention_forward(
        *(t.transpose(0, 1) for t in (query, key, value)),
        query.shape[-1],
        num_heads,
        weights["in_proj_weight"],
        weights["in_proj_bias"],
        None,
        None,
        False,
        0.0,
        weights["out_proj_weight"],
        weights["out_proj_bias"],
        need_weights=True,
        average_attn_weights=False,
    )
    return out.transpose(0, 1), attention


def _gumbel_softmax(
    logits: Tensor, tau: float, hard: bool, generator: torch.Generator, dim: int
) -> Tensor:
    """F.gumbel_softmax draws from the global generator: seed it as ``generator`` was."""
    with torch.random.fork_rng():
        torch.manual_seed(generator.initial_seed())
        return F.gumbel_softmax(logits, tau, hard, dim=dim)


def _decoding() -> Args:
    source, lengths, _ = at.reversal_data(1, 3, 4, generator=seeded())
    step, state = _seq2seq().step_function(source, lengths)
    return {"step": step, "state": state}


add(
    Case(
        "attention.soft_attention",
        lambda **a: at.soft_attention(**a)[0],
        lambda: {
            "scores": randn(2, 5),
            "values": randn(2, 5, 3, seed=1),
            "mask": torch.tensor([[True, True, False, True, True]] * 2),
        },
        lambda scores, values, mask: (
            torch.softmax(scores.masked_fill(~mask, -torch.inf), -1)[..., None, :] @ values
        ).squeeze(-2),
        accept={"*:nan": "propagate"},
    ),
    Case(
        "attention.hard_attention",
        at.hard_attention,
        lambda: {
            "scores": randn(2, 5),
            "values": randn(2, 5, 3, seed=1),
            "sample": True,
            "generator": seeded(),
        },
        # any values are valid values: a NaN in one that is not picked is rightly dropped;
        # a -inf score rules its position out (NaN and +inf are refused); batch dimensions
        # broadcast and values may have any width
        accept={
            "values:nan": "valid",
            "values:inf": "valid",
            "scores:inf": "valid",
            "scores:shape": "valid",
            "values:shape": "valid",
        },
    ),
    Case(
        "attention.local_attention",
        at.local_attention,
        lambda: {
            "scores": randn(2, 7),
            "values": randn(2, 7, 3, seed=1),
            "center": torch.tensor([2.0, 5.5], dtype=torch.float64),
            "half_width": 2,
            "gaussian": True,
        },
        domains={"half_width": at_least(0)},
        # any values and scores are valid: one outside the window rightly has no weight;
        # batch dimensions broadcast, values may have any width, an integer centre is a
        # position too
        accept={
            "values:nan": "valid",
            "values:inf": "valid",
            "scores:nan": "valid",
            "scores:inf": "valid",
            "values:shape": "valid",
            "center:dtype": "converts",
        },
    ),
    Case(
        "attention.gumbel_softmax",
        at.gumbel_softmax,
        lambda: {
            "logits": randn(3, 4),
            "tau": 0.5,
            "hard": False,
            "generator": seeded(),
            "dim": -1,
        },
        _gumbel_softmax,
        domains={"tau": positive},
    ),
    Case(
        "attention.dot_similarity",
        at.dot_similarity,
        lambda: {"query": randn(2, 3, 4), "key": randn(2, 5, 4, seed=1)},
        lambda query, key: query @ key.transpose(-2, -1),
    ),
    Case(
        "attention.scaled_dot_similarity",
        at.scaled_dot_similarity,
        lambda: {"query": randn(2, 3, 4), "key": randn(2, 5, 4, seed=1)},
        lambda query, key: query @ key.transpose(-2, -1) / math.sqrt(query.shape[-1]),
    ),
    Case(
        "attention.cosine_similarity",
        at.cosine_similarity,
        lambda: {"x1": randn(2, 3, 4), "x2": randn(2, 3, 4, seed=1), "dim": -1, "eps": 1e-8},
        F.cosine_similarity,
    ),
    Case(
        "attention.cosine_similarity_matrix",
        at.cosine_similarity_matrix,
        lambda: {"query": randn(2, 3, 4), "key": randn(2, 5, 4, seed=1), "eps": 1e-8},
        lambda query, key, eps: F.cosine_similarity(
            query[..., :, None, :], key[..., None, :, :], dim=-1, eps=eps
        ),
    ),
    Case(
        "attention.attention_weights",
        at.attention_weights,
        lambda: {
            "query": randn(2, 3, 4),
            "key": randn(2, 5, 4, seed=1),
            "attn_mask": torch.rand(3, 5, generator=seeded()) > 0.3,
            "is_causal": False,
            "scale": 0.3,
        },
        # the weights F.scaled_dot_product_attention applies: its output for value = I
        lambda query, key, attn_mask, is_causal, scale: F.scaled_dot_product_attention(
            query,
            key,
            torch.eye(key.shape[-2], dtype=key.dtype).expand(*key.shape[:-1], -1),
            attn_mask=attn_mask,
            is_causal=is_causal,
            scale=scale,
        ),
    ),
    Case(
        "attention.scaled_dot_product_attention",
        at.scaled_dot_product_attention,
        lambda: {
            "query": randn(2, 3, 4),
            "key": randn(2, 5, 4, seed=1),
            "value": randn(2, 5, 6, seed=2),
            "attn_mask": torch.rand(3, 5, generator=seeded()) > 0.3,
            "dropout_p": 0.0,
            "is_causal": False,
            "scale": 0.3,
        },
        F.scaled_dot_product_attention,
    ),
    Case(
        "attention.sinusoidal_positional_encoding",
        at.sinusoidal_positional_encoding,
        lambda: {"length": 5, "dim": 6, "base": 10000.0},
        domains={"length": at_least(1), "dim": at_least(2), "base": positive},
    ),
    Case(
        "attention.mask_tokens",
        at.mask_tokens,
        lambda: {
            "input_ids": torch.randint(5, 20, (2, 8), generator=seeded()),
            "mask_token_id": 4,
            "vocab_size": 20,
            "mlm_probability": 0.3,
            "generator": seeded(1),
        },
        domains={
            "mask_token_id": at_least(0),
            "vocab_size": at_least(1),
            "mlm_probability": lambda v: 0 <= v <= 1,
        },
        # any batch of ids, in any signed integer dtype
        accept={"input_ids:empty": "valid", "input_ids:shape": "valid", "input_ids:dtype": "valid"},
    ),
    Case(
        "attention.reversal_data",
        at.reversal_data,
        lambda: {"n": 3, "min_len": 2, "max_len": 5, "generator": seeded()},
        domains={"n": at_least(0), "min_len": at_least(1), "max_len": at_least(2)},
    ),
    Case(
        "attention.eca_kernel_size",
        at.eca_kernel_size,
        lambda: {"channels": 64, "gamma": 2, "b": 1},
        domains={"channels": at_least(1), "gamma": at_least(1), "b": anything},
    ),
    Case(
        "attention.greedy_decode",
        at.greedy_decode,
        lambda: {**_decoding(), "batch": 1, "max_len": 6},
        domains={"batch": at_least(1), "max_len": at_least(1)},
        fixed=("step", "state"),
    ),
    Case(
        "attention.beam_search",
        at.beam_search,
        lambda: {**_decoding(), "beam_width": 3, "max_len": 6, "length_penalty": 0.5},
        domains={"beam_width": at_least(1), "max_len": at_least(1), "length_penalty": nonneg},
        fixed=("step", "state"),
    ),
    Case(
        "attention.Seq2Seq",
        lambda **a: _seq2seq()(**a)[0],
        lambda: {
            "source": torch.tensor([[3, 4, 5, 0]]),
            "lengths": torch.tensor([3]),
            "target_in": torch.tensor([[1, 5, 4]]),
        },
        # a longer padded source or target is another valid batch; int32 ids and lengths
        # (uint8 lengths too) are what nn.Embedding and pack_padded_sequence take
        accept={
            "source:shape": "valid",
            "target_in:shape": "valid",
            "source:dtype": "valid",
            "lengths:dtype": "valid",
            "target_in:dtype": "valid",
        },
    ),
    _module_case(
        "attention.MultiheadAttention",
        at.MultiheadAttention,
        lambda: {"embed_dim": 4, "num_heads": 2, "dropout": 0.0, "batch_first": True},
        lambda: {
            "query": randn(2, 3, 4),
            "key": randn(2, 5, 4, seed=1),
            "value": randn(2, 5, 4, seed=2),
        },
        nn.MultiheadAttention,
        domains={"embed_dim": at_least(1), "num_heads": at_least(1), "dropout": unit},
    ),
    _module_case(
        "attention.TransformerEncoderLayer",
        at.TransformerEncoderLayer,
        lambda: {
            "d_model": 4,
            "nhead": 2,
            "dim_feedforward": 8,
            "dropout": 0.0,
            "layer_norm_eps": 1e-5,
            "batch_first": True,
        },
        lambda: {"src": randn(2, 3, 4)},
        nn.TransformerEncoderLayer,
        domains={
            "d_model": at_least(1),
            "nhead": at_least(1),
            "dim_feedforward": at_least(1),
            "dropout": unit,
            "layer_norm_eps": positive,
        },
    ),
    _module_case(
        "attention.TransformerDecoderLayer",
        at.TransformerDecoderLayer,
        lambda: {
            "d_model": 4,
            "nhead": 2,
            "dim_feedforward": 8,
            "dropout": 0.0,
            "layer_norm_eps": 1e-5,
            "batch_first": True,
        },
        lambda: {"tgt": randn(2, 3, 4), "memory": randn(2, 5, 4, seed=1)},
        nn.TransformerDecoderLayer,
        domains={
            "d_model": at_least(1),
            "nhead": at_least(1),
            "dim_feedforward": at_least(1),
            "dropout": unit,
            "layer_norm_eps": positive,
        },
    ),
    Case(
        "attention.multi_head_attention",
        at.multi_head_attention,
        _multi_head_args,
        _torch_multi_head,
        # an infinite weight makes NaN and inf in other entries than torch's fused kernel
        # (another order of operations): a deliberate difference
        accept={"in_proj_weight:inf": "any", "in_proj_bias:inf": "any"},
    ),
    Case(
        "attention.scheduled_sampling",
        at.scheduled_sampling,
        lambda: {
            "target_in": torch.randint(3, 9, (2, 5), generator=seeded()),
            "predicted": torch.randint(3, 9, (2, 5), generator=seeded(1)),
            "p": 0.5,
            "generator": seeded(2),
        },
        domains={"p": unit},
    ),
    Case(
        "attention.copy_distribution",
        at.copy_distribution,
        lambda: {
            "vocab_probs": distribution(2, 6),
            "attention": distribution(2, 4, seed=1),
            "source": torch.tensor([[1, 3, 3, 5], [0, 2, 4, 2]]),
            "p_gen": torch.tensor([0.3, 0.8], dtype=torch.float64),
        },
        # the copy term as a sum of one-hot rows, weighted by the attention
        lambda vocab_probs, attention, source, p_gen: (
            p_gen[:, None] * vocab_probs
            + (1 - p_gen[:, None])
            * (attention[..., None] * F.one_hot(source.long(), vocab_probs.shape[1])).sum(1)
        ),
    ),
    Case(
        "attention.guided_attention_loss",
        at.guided_attention_loss,
        lambda: {"weights": distribution(2, 3, 5), "g": 0.2},
        domains={"g": positive},
        # any floating dtype and any T x S (with batch dimensions before) are valid weights
        accept={
            "weights:nan": "propagate",
            "weights:inf": "propagate",
            "weights:dtype": "valid",
            "weights:shape": "valid",
            "weights:meta": "valid",  # computed without reading values: a meta loss
        },
    ),
    _module_case(
        "attention.SqueezeExcitation",
        at.SqueezeExcitation,
        lambda: {"input_channels": 8, "squeeze_channels": 2},
        lambda: {"input": randn(2, 8, 5, 4)},
        torchvision.ops.SqueezeExcitation,
    ),
    _module_case(
        "attention.AdditiveSimilarity",
        at.AdditiveSimilarity,
        lambda: {"query_dim": 3, "key_dim": 4, "hidden_dim": 5},
        lambda: {"query": randn(2, 3, 3), "key": randn(2, 5, 4, seed=1)},
        domains={"query_dim": at_least(1), "key_dim": at_least(1), "hidden_dim": at_least(1)},
        # a NaN shows in its row or column; tanh saturates at an infinity; batch dimensions
        # broadcast
        accept={"*:nan": "propagate", "*:inf": "valid", "*:shape": "valid"},
    ),
)
for cls, ctor in [
    (at.CBAM, {"channels": 8, "reduction": 4, "kernel_size": 3}),
    (at.ECA, {"channels": 8, "kernel_size": 3}),
    (at.CoordinateAttention, {"channels": 8, "reduction": 4}),
    (at.SelectiveKernel, {"channels": 8, "reduction": 4, "groups": 2, "min_dim": 4}),
    (at.NonLocalBlock, {"channels": 8, "inter_channels": 4}),
    (at.PositionSelfAttention, {"channels": 8, "reduction": 4}),
    (at.ChannelSelfAttention, {"channels": 8}),
    (at.ChannelQKVAttention, {"channels": 8}),
]:
    add(
        _module_case(
            f"attention.{cls.__name__}",
            cls,
            lambda ctor=ctor: dict(ctor),
            lambda: {"x": randn(2, 8, 5, 4)},
            domains={k: at_least(1) for k in ctor},
            # an empty batch or another spatial size is valid; a NaN pixel must show, an
            # infinite one may saturate
            accept={
                "x:nan": "propagate",
                "x:inf": "valid",
                "x:empty": "valid",
                "x:shape": "valid",
            },
        )
    )
