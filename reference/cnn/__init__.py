"""CNN building blocks: convolution, pooling, upsampling, receptive fields, classic blocks."""

from reference.cnn.blocks import (
    Bottleneck,
    DenseTransition,
    DepthwiseSeparableConv2d,
    Inception,
    LeNet5,
    ResNet50,
    add_as_concat_conv,
    channel_shuffle,
    linear_as_conv,
    resnet50,
)
from reference.cnn.convolution import (
    conv2d,
    conv_output_size,
    conv_transpose2d,
    conv_transpose_output_size,
)
from reference.cnn.counting import FlopCount, conv2d_parameters, count_flops, count_parameters
from reference.cnn.pooling import avg_pool2d, bilinear_interpolate, max_pool2d, nearest_interpolate
from reference.cnn.receptive_field import (
    ReceptiveField,
    gradient_field,
    linearise,
    receptive_field,
    receptive_field_trace,
)

__all__ = [
    "Bottleneck",
    "DenseTransition",
    "DepthwiseSeparableConv2d",
    "FlopCount",
    "Inception",
    "LeNet5",
    "ReceptiveField",
    "ResNet50",
    "add_as_concat_conv",
    "avg_pool2d",
    "bilinear_interpolate",
    "channel_shuffle",
    "conv2d",
    "conv2d_parameters",
    "conv_output_size",
    "conv_transpose2d",
    "conv_transpose_output_size",
    "count_flops",
    "count_parameters",
    "gradient_field",
    "linear_as_conv",
    "linearise",
    "max_pool2d",
    "nearest_interpolate",
    "receptive_field",
    "receptive_field_trace",
    "resnet50",
]
