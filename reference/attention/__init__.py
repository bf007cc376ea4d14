"""Attention: dot-product and multi-head attention, positional encoding, Transformer, BERT."""

from reference.attention.transformer import (
    MultiheadAttention,
    TransformerEncoderLayer,
    mask_tokens,
    scaled_dot_product_attention,
    sinusoidal_positional_encoding,
)

__all__ = [
    "MultiheadAttention",
    "TransformerEncoderLayer",
    "mask_tokens",
    "scaled_dot_product_attention",
    "sinusoidal_positional_encoding",
]
