"""Building blocks of classic CNNs, small enough to read top to bottom.

``channel_shuffle`` equals ``F.channel_shuffle``; ``Bottleneck`` and ``resnet50`` have
torchvision's parameter names and give the same outputs when loaded with a torchvision
``resnet50`` state dict; ``DenseTransition`` equals torchvision's ``_Transition``. The two
equivalences (a fully connected layer as a convolution; add as concat + a shared
convolution) are functions that build the equivalent layer. Tests: ``tests/cnn/test_blocks.py``.
"""

# --8<-- [start:imports]
from __future__ import annotations

import torch
from torch import Tensor, nn

from reference.checks import check_instance, check_int, check_module_input, check_shape

# --8<-- [end:imports]

__all__ = [
    "Bottleneck",
    "DenseTransition",
    "DepthwiseSeparableConv2d",
    "Inception",
    "LeNet5",
    "ResNet50",
    "add_as_concat_conv",
    "channel_shuffle",
    "linear_as_conv",
    "resnet50",
]


# --8<-- [start:checks]
def _channels(**sizes: int) -> tuple[int, ...]:
    """Positive ints (channel counts, kernel sizes, strides), checked by name."""
    return tuple(check_int(name, value, 1) for name, value in sizes.items())


# --8<-- [end:checks]


# --8<-- [start:channel_shuffle]
def channel_shuffle(input: Tensor, groups: int) -> Tensor:
    """Interleave the channels of ``groups`` groups (ShuffleNet, Zhang et al., 2017).

    After a grouped convolution each output group has only seen its own input group;
    shuffling hands every next group a slice of every previous group.

    Args:
        input (Tensor[B, C, H, W]): ``C`` divisible by ``groups``.
        groups: number of groups.

    Returns:
        Tensor[B, C, H, W]: channel ``g * (C / groups) + i`` moved to ``i * groups + g``.
    """
    check_shape("input", input, ("B", "C", "H", "W"))
    B, C, H, W = input.shape
    groups = check_int("groups", groups, 1)
    if C % groups:
        raise ValueError(f"groups must divide the input's {C} channels, but got {groups}")
    x = input.view(B, groups, C // groups, H, W)  # [B, g, C/g, H, W]
    return x.transpose(1, 2).reshape(B, C, H, W)  # [B, C/g, g, H, W] -> [B, C, H, W]


# --8<-- [end:channel_shuffle]


# --8<-- [start:separable]
class DepthwiseSeparableConv2d(nn.Module):
    """A ``k x k`` convolution per channel (``groups=C_in``), then a 1x1 convolution.

    Parameters: ``C_in k^2 + C_in C_out`` (plus biases) instead of ``C_in C_out k^2``: the
    spatial filtering and the mixing of channels are learnt separately (MobileNet, Xception).

    Args:
        in_channels: C_in.
        out_channels: C_out.
        kernel_size: k, of the depthwise convolution.
        stride: of the depthwise convolution.
        padding: of the depthwise convolution.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        stride: int = 1,
        padding: int = 0,
    ) -> None:
        super().__init__()
        in_channels, out_channels = _channels(in_channels=in_channels, out_channels=out_channels)
        kernel_size, stride = _channels(kernel_size=kernel_size, stride=stride)
        padding = check_int("padding", padding, 0)
        self.in_channels = in_channels
        self.depthwise = nn.Conv2d(
            in_channels, in_channels, kernel_size, stride, padding, groups=in_channels
        )
        self.pointwise = nn.Conv2d(in_channels, out_channels, 1)

    def forward(self, x: Tensor) -> Tensor:
        """Tensor[B, C_in, H, W] to Tensor[B, C_out, H', W']."""
        check_module_input("x", x, self, ("B", self.in_channels, "H", "W"))
        return self.pointwise(self.depthwise(x))


# --8<-- [end:separable]


# --8<-- [start:inception]
class Inception(nn.Module):
    """GoogLeNet's Inception module: four branches side by side, concatenated.

    1x1; 1x1 then 3x3; 1x1 then 5x5; 3x3 max pooling then 1x1. The 1x1 convolutions in
    front of the 3x3 and 5x5 ones shrink the channels first (the "bottleneck"), which is
    what makes the large kernels affordable. Arguments are torchvision's ``Inception``'s.

    Differs from torchvision's ``Inception``: the "5x5" branch has a 5x5 kernel, as in the
    paper (torchvision's has 3x3, a known quirk kept for its pretrained weights), and no
    BatchNorm (``conv_block`` is not taken).

    Args:
        in_channels: input channels.
        ch1x1: output channels of the 1x1 branch.
        ch3x3red: channels the 3x3 branch reduces to first.
        ch3x3: output channels of the 3x3 branch.
        ch5x5red: channels the 5x5 branch reduces to first.
        ch5x5: output channels of the 5x5 branch.
        pool_proj: output channels of the pooling branch's 1x1 projection.
    """

    def __init__(
        self,
        in_channels: int,
        ch1x1: int,
        ch3x3red: int,
        ch3x3: int,
        ch5x5red: int,
        ch5x5: int,
        pool_proj: int,
    ) -> None:
        super().__init__()
        in_channels, ch1x1, ch3x3red, ch3x3, ch5x5red, ch5x5, pool_proj = _channels(
            in_channels=in_channels, ch1x1=ch1x1, ch3x3red=ch3x3red, ch3x3=ch3x3,
            ch5x5red=ch5x5red, ch5x5=ch5x5, pool_proj=pool_proj,
        )  # fmt: skip
        self.in_channels = in_channels

        def conv(i: int, o: int, k: int) -> nn.Sequential:
            return nn.Sequential(nn.Conv2d(i, o, k, padding=k // 2), nn.ReLU(inplace=True))

        self.branch1 = conv(in_channels, ch1x1, 1)
        self.branch2 = nn.Sequential(conv(in_channels, ch3x3red, 1), conv(ch3x3red, ch3x3, 3))
        self.branch3 = nn.Sequential(conv(in_channels, ch5x5red, 1), conv(ch5x5red, ch5x5, 5))
        self.branch4 = nn.Sequential(nn.MaxPool2d(3, 1, 1), conv(in_channels, pool_proj, 1))

    def forward(self, x: Tensor) -> Tensor:
        """Tensor[B, in_channels, H, W] to Tensor[B, ch1x1 + ch3x3 + ch5x5 + pool_proj, H, W]."""
        check_module_input("x", x, self, ("B", self.in_channels, "H", "W"))
        branches = (self.branch1, self.branch2, self.branch3, self.branch4)
        return torch.cat([branch(x) for branch in branches], dim=1)  # [B, sum of C, H, W]


# --8<-- [end:inception]


# --8<-- [start:bottleneck]
class Bottleneck(nn.Module):
    """ResNet's bottleneck block: ``relu(x' + conv1x1(conv3x3(conv1x1(x))))``.

    The first 1x1 convolution shrinks the channels to ``width``, the 3x3 works at that
    width, the last 1x1 expands to ``4 * width``. The stride sits on the 3x3 convolution
    (torchvision's "ResNet v1.5"; the paper's v1 puts it on the first 1x1). ``x'`` is ``x``,
    or a strided 1x1 convolution + BN of ``x`` when the shape changes. Arguments and
    parameter names are those of torchvision's ``Bottleneck``.

    Differs from torchvision's ``Bottleneck``: the block builds its own ``downsample``
    branch when the shape changes, where torchvision's takes it as an argument (as it takes
    ``groups``, ``base_width``, ``dilation`` and ``norm_layer``, which are not taken here).

    Args:
        inplanes: input channels.
        planes: the bottleneck's width; the block outputs ``4 * planes`` channels.
        stride: of the 3x3 convolution (and of the shortcut).
    """

    expansion = 4

    def __init__(self, inplanes: int, planes: int, stride: int = 1) -> None:
        super().__init__()
        inplanes, planes, stride = _channels(inplanes=inplanes, planes=planes, stride=stride)
        self.inplanes = inplanes
        out_channels = planes * self.expansion
        self.conv1 = nn.Conv2d(inplanes, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, out_channels, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(out_channels)
        self.relu = nn.ReLU(inplace=True)
        self.downsample: nn.Module | None = None
        if stride != 1 or inplanes != out_channels:
            self.downsample = nn.Sequential(
                nn.Conv2d(inplanes, out_channels, 1, stride, bias=False),
                nn.BatchNorm2d(out_channels),
            )

    def forward(self, x: Tensor) -> Tensor:
        """Tensor[B, inplanes, H, W] to Tensor[B, 4 planes, H / stride, W / stride]."""
        check_module_input("x", x, self, ("B", self.inplanes, "H", "W"))
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))  # [B, planes, H, W]
        out = self.relu(self.bn2(self.conv2(out)))  # [B, planes, H/s, W/s]
        out = self.bn3(self.conv3(out))  # [B, 4 planes, H/s, W/s]
        return self.relu(out + identity)


class ResNet50(nn.Module):
    """ResNet-50: a 7x7 stem, then 3, 4, 6 and 3 bottlenecks, global pooling, one FC.

    Args:
        num_classes: outputs of the final layer.
    """

    layer1: nn.Sequential  # set in the loop below, under torchvision's names
    layer2: nn.Sequential
    layer3: nn.Sequential
    layer4: nn.Sequential

    def __init__(self, num_classes: int = 1000) -> None:
        super().__init__()
        (num_classes,) = _channels(num_classes=num_classes)
        self.conv1 = nn.Conv2d(3, 64, 7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
        channels = 64
        for stage, (width, blocks, stride) in enumerate(
            [(64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2)], start=1
        ):
            layers = []
            for i in range(blocks):
                layers.append(Bottleneck(channels, width, stride if i == 0 else 1))
                channels = width * Bottleneck.expansion
            setattr(self, f"layer{stage}", nn.Sequential(*layers))
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(channels, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        """Images Tensor[B, 3, H, W] to class scores Tensor[B, num_classes]."""
        check_module_input("x", x, self, ("B", 3, "H", "W"))
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))  # [B, 64, H/4, W/4]
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))  # [B, 2048, H/32, W/32]
        return self.fc(self.avgpool(x).flatten(1))  # [B, num_classes]


def resnet50(*, num_classes: int = 1000) -> ResNet50:
    """A randomly initialised ResNet-50 (25,557,032 parameters for 1000 classes).

    Keyword-only, as ``torchvision.models.resnet50(*, weights=None, progress=True, **kwargs)``
    takes ``num_classes``; there are no pretrained weights here.

    Args:
        num_classes: outputs of the final layer.

    Returns:
        ResNet50: its state dict loads into torchvision's ``resnet50`` and back.
    """
    return ResNet50(num_classes)


# --8<-- [end:bottleneck]


# --8<-- [start:dense_transition]
class DenseTransition(nn.Sequential):
    """DenseNet's transition between dense blocks: BN, ReLU, 1x1 conv, 2x2 average pooling.

    The 1x1 convolution halves the channels (compression), the average pooling halves the
    resolution; averaging keeps a share of every position of the concatenated features.

    Args:
        in_channels: channels in (the dense block's concatenated output).
        out_channels: channels out (half, with DenseNet's compression 0.5).
    """

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        in_channels, out_channels = _channels(in_channels=in_channels, out_channels=out_channels)
        self.in_channels = in_channels
        self.norm = nn.BatchNorm2d(in_channels)
        self.relu = nn.ReLU(inplace=True)
        self.conv = nn.Conv2d(in_channels, out_channels, 1, bias=False)
        self.pool = nn.AvgPool2d(2, stride=2)

    def forward(self, input: Tensor) -> Tensor:
        """Tensor[B, in_channels, H, W] to Tensor[B, out_channels, H / 2, W / 2]."""
        check_module_input("input", input, self, ("B", self.in_channels, "H", "W"))
        return super().forward(input)


# --8<-- [end:dense_transition]


# --8<-- [start:lenet]
class LeNet5(nn.Module):
    """LeNet-5 (LeCun et al., 1998) on 32x32 grey images: 61,706 parameters.

    Two 5x5 convolutions with sigmoid-like activations and 2x2 average pooling, then three
    fully connected layers. (The original's sparse C3 connections and RBF output are
    replaced by full connections and a linear layer, as usual.)

    Args:
        num_classes: outputs of the last layer.
    """

    def __init__(self, num_classes: int = 10) -> None:
        super().__init__()
        (num_classes,) = _channels(num_classes=num_classes)
        self.features = nn.Sequential(
            nn.Conv2d(1, 6, 5), nn.Tanh(), nn.AvgPool2d(2),  # [B, 6, 14, 14]
            nn.Conv2d(6, 16, 5), nn.Tanh(), nn.AvgPool2d(2),  # [B, 16, 5, 5]
        )  # fmt: skip
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(16 * 5 * 5, 120), nn.Tanh(),
            nn.Linear(120, 84), nn.Tanh(), nn.Linear(84, num_classes),
        )  # fmt: skip

    def forward(self, x: Tensor) -> Tensor:
        """Grey images Tensor[B, 1, 32, 32] to class scores Tensor[B, num_classes]."""
        check_module_input("x", x, self, ("B", 1, 32, 32))
        return self.classifier(self.features(x))


# --8<-- [end:lenet]


# --8<-- [start:linear_as_conv]
def linear_as_conv(linear: nn.Linear, in_channels: int, height: int, width: int) -> nn.Conv2d:
    """The convolution that computes ``linear(x.flatten(1))`` for ``x``: Tensor[B, C, H, W].

    A fully connected layer on a flattened map of C x H x W values is a convolution whose
    kernel covers the whole map (H x W), one kernel per output feature. With ``H = W = 1``
    (after global average pooling) it is a 1x1 convolution. On a larger input the
    convolution slides, giving a map of class scores: the idea behind fully convolutional
    networks.

    Args:
        linear: the layer, ``in_features = C * H * W``.
        in_channels: C.
        height: H.
        width: W.

    Returns:
        nn.Conv2d: ``C -> out_features`` with an H x W kernel; its output is
        Tensor[B, out_features, 1, 1] on a Tensor[B, C, H, W] input.
    """
    check_instance("linear", linear, nn.Linear)
    in_channels, height, width = _channels(in_channels=in_channels, height=height, width=width)
    if linear.in_features != in_channels * height * width:
        raise ValueError(
            f"linear.in_features must equal in_channels * height * width = "
            f"{in_channels * height * width}, but got {linear.in_features}"
        )
    conv = nn.Conv2d(
        in_channels,
        linear.out_features,
        (height, width),
        bias=linear.bias is not None,
        device=linear.weight.device,
        dtype=linear.weight.dtype,
    )
    with torch.no_grad():
        conv.weight.copy_(linear.weight.view(linear.out_features, in_channels, height, width))
        if conv.bias is not None and linear.bias is not None:
            conv.bias.copy_(linear.bias)
    return conv


# --8<-- [end:linear_as_conv]


# --8<-- [start:add_as_concat_conv]
def add_as_concat_conv(conv: nn.Conv2d) -> nn.Conv2d:
    """The convolution ``f`` with ``f(cat([a, b], 1)) == conv(a + b)``.

    Convolution is linear, so ``conv(a + b) = W*a + W*b``: a convolution over the
    concatenation whose two halves of input channels share one kernel ``W``. Fusing by
    addition is concatenation plus a convolution with that constraint built in: half the
    parameters, and the assumption that ``a`` and ``b`` mean the same thing channel by
    channel.

    Args:
        conv: a convolution with ``groups=1``.

    Returns:
        nn.Conv2d: ``2 C_in -> C_out``, same kernel size, stride, padding (mode included)
        and bias.
    """
    check_instance("conv", conv, nn.Conv2d)
    if conv.groups != 1:
        raise ValueError(f"conv.groups must be 1, but got {conv.groups}")

    def pair(t: tuple[int, ...]) -> tuple[int, int]:
        return t[0], t[1]

    fused = nn.Conv2d(
        2 * conv.in_channels,
        conv.out_channels,
        pair(conv.kernel_size),
        pair(conv.stride),
        conv.padding if isinstance(conv.padding, str) else pair(conv.padding),
        pair(conv.dilation),
        bias=conv.bias is not None,
        # every padding mode is linear: pad(a + b) = pad(a) + pad(b)
        padding_mode=conv.padding_mode,
        device=conv.weight.device,
        dtype=conv.weight.dtype,
    )
    with torch.no_grad():
        fused.weight.copy_(torch.cat([conv.weight, conv.weight], dim=1))  # [C_out, 2 C_in, k, k]
        if fused.bias is not None and conv.bias is not None:
            fused.bias.copy_(conv.bias)
    return fused


# --8<-- [end:add_as_concat_conv]
