"""Foundations: activations, softmax, norms, entropy, backpropagation, gradient clipping."""

from reference.foundations.activations import (
    elu,
    elu_derivative,
    leaky_relu,
    leaky_relu_derivative,
    log_softmax,
    relu,
    relu_derivative,
    sigmoid,
    sigmoid_derivative,
    softmax,
    tanh,
    tanh_derivative,
)
from reference.foundations.backprop import TwoLayerNet, directional_derivative, numerical_gradient
from reference.foundations.fitting import make_spiral, top1_accuracy, train
from reference.foundations.gradients import (
    clip_grad_norm_,
    clip_grad_norm_per_tensor_,
    clip_grad_value_,
    layer_gradient_norms,
)
from reference.foundations.information import (
    cross_entropy_between,
    entropy,
    information_content,
    vector_norm,
)

__all__ = [
    "TwoLayerNet",
    "clip_grad_norm_",
    "clip_grad_norm_per_tensor_",
    "clip_grad_value_",
    "cross_entropy_between",
    "directional_derivative",
    "elu",
    "elu_derivative",
    "entropy",
    "information_content",
    "layer_gradient_norms",
    "leaky_relu",
    "leaky_relu_derivative",
    "log_softmax",
    "make_spiral",
    "numerical_gradient",
    "relu",
    "relu_derivative",
    "sigmoid",
    "sigmoid_derivative",
    "softmax",
    "tanh",
    "tanh_derivative",
    "top1_accuracy",
    "train",
    "vector_norm",
]
