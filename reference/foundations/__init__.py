"""Foundations: activation functions, softmax, norms and information theory."""

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
from reference.foundations.information import (
    cross_entropy_between,
    entropy,
    information_content,
    vector_norm,
)

__all__ = [
    "cross_entropy_between",
    "elu",
    "elu_derivative",
    "entropy",
    "information_content",
    "leaky_relu",
    "leaky_relu_derivative",
    "log_softmax",
    "relu",
    "relu_derivative",
    "sigmoid",
    "sigmoid_derivative",
    "softmax",
    "tanh",
    "tanh_derivative",
    "vector_norm",
]
