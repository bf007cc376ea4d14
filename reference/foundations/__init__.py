"""Foundations: activation functions and softmax."""

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

__all__ = [
    "elu",
    "elu_derivative",
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
]
