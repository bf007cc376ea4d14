"""Attention: dot-product and multi-head attention, positional encoding, Transformer, BERT."""

from reference.attention.modules import (
    CBAM,
    ECA,
    ChannelSelfAttention,
    CoordinateAttention,
    NonLocalBlock,
    PositionSelfAttention,
    SelectiveKernel,
    SqueezeExcitation,
    eca_kernel_size,
)
from reference.attention.transformer import (
    MultiheadAttention,
    TransformerEncoderLayer,
    mask_tokens,
    scaled_dot_product_attention,
    sinusoidal_positional_encoding,
)

__all__ = [
    "CBAM",
    "ECA",
    "ChannelSelfAttention",
    "CoordinateAttention",
    "MultiheadAttention",
    "NonLocalBlock",
    "PositionSelfAttention",
    "SelectiveKernel",
    "SqueezeExcitation",
    "TransformerEncoderLayer",
    "eca_kernel_size",
    "mask_tokens",
    "scaled_dot_product_attention",
    "sinusoidal_positional_encoding",
]
