"""Contract failures in code that another issue owns, listed so that they are not fixed twice.

``(callable, argument, category)`` -> what goes wrong; the category may name a variant
(``dtype=int64``) or, for all variants, only the kind (``dtype``). The test requires each listed
problem to still be there: once it is fixed, the entry must go.
"""

from __future__ import annotations

ALLOWED: dict[tuple[str, str, str], str] = {
    # issue 17 owns training.cross_entropy
    **{
        ("training.cross_entropy", "input", f"dtype={d}"): "integer logits: torch refuses them"
        for d in ("int64", "int32", "uint8", "bool", "complex64")
    },
    ("training.cross_entropy", "input", "empty"): "the target's shape error names target only",
    ("training.cross_entropy", "input", "meta"): "no device check: mixes meta and CPU",
    ("training.cross_entropy", "target", "dtype=int32"): "accepted, torch refuses int32",
    ("training.cross_entropy", "target", "dtype=uint8"): "differs from torch's uint8 targets",
    ("training.cross_entropy", "target", "meta"): "nonzero() on a meta tensor",
    # issue 17 owns the IoU core of reference/detection/boxes.py: eps is not validated
    ("detection.distance_box_iou", "eps", "type"): "TypeError from Tensor + str",
    ("detection.complete_box_iou", "eps", "type"): "TypeError from Tensor + str",
    ("detection.generalized_box_iou_loss", "eps", "type"): "TypeError from Tensor + str",
    ("detection.distance_box_iou_loss", "eps", "type"): "TypeError from Tensor + str",
    ("detection.complete_box_iou_loss", "eps", "type"): "TypeError from Tensor + str",
    ("detection.complete_box_iou_loss", "eps", "negative"): "alpha uses eps: differs from tv",
    ("detection.complete_box_iou_loss", "eps", "inf"): "alpha uses eps: differs from tv",
    ("detection.complete_box_iou_loss", "eps", "-inf"): "alpha uses eps: differs from tv",
}

# Issue 17 owns reference/attention: what the test finds there, per callable and argument,
# as the categories (or dtype/shape variants) that fail, under the first failure seen.
ATTENTION: dict[str, dict[str, str]] = {
    "attention.AdditiveSimilarity": {
        # the error does not name 'hidden_dim': TypeError("empty(): argument 'size' (posit
        "hidden_dim": "bool float negative type zero",
        # RuntimeError, not a ValueError or TypeError naming the argument: mat1 and mat2 m
        "key": "dtype empty inf meta nan shape=lead",
        # the error does not name 'key_dim': ValueError('key must have shape (..., S, True
        "key_dim": "bool float negative type zero",
        # RuntimeError, not a ValueError or TypeError naming the argument: expected m1 and
        "query": "dtype empty inf meta nan shape=lead shape=drop",
        # the error does not name 'query_dim': ValueError('query must have shape (..., L,
        "query_dim": "bool float negative type zero",
    },
    "attention.MultiheadAttention": {
        # ZeroDivisionError, not a ValueError or TypeError naming the argument: float divi
        "embed_dim": "zero float type",
        # the error does not name 'query': ValueError('key must have shape (0, S, 4), but
        "query": "empty list type",
    },
    "attention.TransformerDecoderLayer": {
        # the error does not name 'd_model': ValueError('embed_dim must be divisible by nu
        "d_model": "negative zero float bool type",
        # RuntimeError, not a ValueError or TypeError naming the argument: Trying to creat
        "dim_feedforward": "negative float bool type",
        # the error does not name 'layer_norm_eps': TypeError("layer_norm(): argument 'eps
        "layer_norm_eps": "type",
        # the error does not name 'nhead': ValueError('num_heads must be in [1, inf), but
        "nhead": "negative zero float bool type",
    },
    "attention.Seq2Seq": {
        # returned a result, and nothing can check it: refuse this input, or declare why t
        "lengths": "dtype meta",
        # RuntimeError, not a ValueError or TypeError naming the argument: Expected tensor
        "source": "dtype empty meta",
        # RuntimeError, not a ValueError or TypeError naming the argument: Expected tensor
        "target_in": "dtype empty list meta shape type",
    },
    "attention.TransformerEncoderLayer": {
        # the error does not name 'd_model': ValueError('embed_dim must be divisible by nu
        "d_model": "bool float negative type zero",
        # the error does not name 'dim_feedforward': TypeError("empty(): argument 'size' (
        "dim_feedforward": "bool float negative type",
        # the error does not name 'layer_norm_eps': TypeError("layer_norm(): argument 'eps
        "layer_norm_eps": "type",
        # the error does not name 'nhead': TypeError('num_heads must be a real number, but
        "nhead": "bool float negative type zero",
        # RuntimeError, not a ValueError or TypeError naming the argument: mat1 and mat2 m
        "src": "dtype list meta shape type",
    },
    "attention.attention_weights": {
        # RuntimeError, not a ValueError or TypeError naming the argument: The size of ten
        "attn_mask": "empty meta shape=trail shape=drop shape=longer",
        # RuntimeError, not a ValueError or TypeError naming the argument: expected scalar
        "key": "dtype empty meta",
        # RuntimeError, not a ValueError or TypeError naming the argument: expected scalar
        "query": "dtype empty meta shape=trail shape=drop shape=longer",
        # differs from production: Tensor-likes are not close! Mismatched elements: 5 / 30
        "scale": "-inf type",
    },
    "attention.beam_search": {
        # the error does not name 'beam_width': TypeError("topk(): argument 'k' (position
        "beam_width": "float",
        # ZeroDivisionError, not a ValueError or TypeError naming the argument: float divi
        "length_penalty": "-inf inf nan negative type",
        # the error does not name 'max_len': TypeError("'float' object cannot be interpret
        "max_len": "float",
    },
    "attention.cosine_similarity": {
        # returned a result where production refuses the input (RuntimeError: eps must be
        "eps": "-inf nan negative type",
        # RuntimeError, not a ValueError or TypeError naming the argument: linalg.vector_n
        "x1": (
            "dtype=int64 dtype=int32 dtype=uint8 dtype=bool dtype=complex64 empty meta "
            "shape=trail shape=drop shape=longer"
        ),
        # RuntimeError, not a ValueError or TypeError naming the argument: linalg.vector_n
        "x2": (
            "dtype=int64 dtype=int32 dtype=uint8 dtype=bool dtype=complex64 empty meta "
            "shape=trail shape=drop shape=longer"
        ),
    },
    "attention.cosine_similarity_matrix": {
        # returned a result where production refuses the input (RuntimeError: eps must be
        "eps": "-inf nan negative type",
        # RuntimeError, not a ValueError or TypeError naming the argument: expected scalar
        "key": "dtype empty meta",
        # RuntimeError, not a ValueError or TypeError naming the argument: expected scalar
        "query": "dtype empty meta shape=trail shape=drop shape=longer",
    },
    "attention.dot_similarity": {
        # RuntimeError, not a ValueError or TypeError naming the argument: expected scalar
        "key": "dtype empty",
        # RuntimeError, not a ValueError or TypeError naming the argument: expected scalar
        "query": "dtype empty meta shape=trail shape=drop shape=longer",
    },
    "attention.eca_kernel_size": {
        # returned a result, and nothing can check it: refuse this input, or declare why t
        "b": "bool float type",
        # returned a result, and nothing can check it: refuse this input, or declare why t
        "channels": "float",
        # returned a result, and nothing can check it: refuse this input, or declare why t
        "gamma": "bool float negative type zero",
    },
    "attention.greedy_decode": {
        # the error does not name 'batch': TypeError("full(): argument 'size' (position 1)
        "batch": "bool float negative type zero",
        # the error does not name 'max_len': TypeError("'float' object cannot be interpret
        "max_len": "float",
    },
    "attention.gumbel_softmax": {
        # returned a result, and nothing can check it: refuse this input, or declare why t
        "dim": "negative zero",
        # returned a result, and nothing can check it: refuse this input, or declare why t
        "logits": "dtype empty inf meta nan shape",
    },
    "attention.hard_attention": {
        # RuntimeError, not a ValueError or TypeError naming the argument: expected scalar
        "scores": "dtype empty inf meta nan shape",
        # RuntimeError, not a ValueError or TypeError naming the argument: expected scalar
        "values": "dtype empty meta shape=lead shape=longer",
    },
    "attention.local_attention": {
        # returned a result, and nothing can check it: refuse this input, or declare why t
        "center": "dtype meta",
        # returned a result, and nothing can check it: refuse this input, or declare why t
        "half_width": "float",
        # RuntimeError, not a ValueError or TypeError naming the argument: expected scalar
        "scores": "dtype empty inf meta nan shape",
        # RuntimeError, not a ValueError or TypeError naming the argument: expected scalar
        "values": "dtype empty meta shape=lead shape=longer",
    },
    "attention.mask_tokens": {
        # returned a result, and nothing can check it: refuse this input, or declare why t
        "input_ids": "dtype meta",
        # returned a result, and nothing can check it: refuse this input, or declare why t
        "mask_token_id": "bool float negative type",
        # the error does not name 'vocab_size': TypeError('randint() received an invalid c
        "vocab_size": "bool float negative type zero",
    },
    "attention.reversal_data": {
        # the error does not name 'max_len': TypeError('randint() received an invalid comb
        "max_len": "float",
        # the error does not name 'min_len': TypeError('randint() received an invalid comb
        "min_len": "float",
        # the error does not name 'n': TypeError('randint() received an invalid combinatio
        "n": "bool float negative type",
    },
    "attention.scaled_dot_product_attention": {
        # RuntimeError, not a ValueError or TypeError naming the argument: The size of ten
        "attn_mask": "empty meta shape=trail shape=drop shape=longer",
        # RuntimeError, not a ValueError or TypeError naming the argument: expected scalar
        "key": "dtype empty meta",
        # RuntimeError, not a ValueError or TypeError naming the argument: expected scalar
        "query": "dtype empty meta shape=trail shape=drop shape=longer",
        # differs from production: Tensor-likes are not close! Mismatched elements: 6 / 36
        "scale": "-inf type",
        # RuntimeError, not a ValueError or TypeError naming the argument: expected scalar
        "value": "dtype empty meta",
    },
    "attention.scaled_dot_similarity": {
        # RuntimeError, not a ValueError or TypeError naming the argument: expected scalar
        "key": "dtype empty",
        # RuntimeError, not a ValueError or TypeError naming the argument: expected scalar
        "query": "dtype empty meta shape=trail shape=drop shape=longer",
    },
    "attention.sinusoidal_positional_encoding": {
        # accepted -inf, outside its domain
        "base": "-inf inf nan negative type zero",
        # the error does not name 'dim': TypeError('reshape(): argument 'shape' failed t
        "dim": "float",
        # the error does not name 'length': TypeError('reshape() takes 1 positional argume
        "length": "float",
    },
    "attention.soft_attention": {
        # RuntimeError, not a ValueError or TypeError naming the argument: The size of ten
        "mask": "empty meta",
        # RuntimeError, not a ValueError or TypeError naming the argument: expected scalar
        "scores": "dtype empty meta shape=trail shape=drop shape=longer",
        # RuntimeError, not a ValueError or TypeError naming the argument: expected scalar
        "values": "dtype empty",
    },
}
ALLOWED.update(
    {
        (name, argument, category): "see ATTENTION"
        for name, arguments in ATTENTION.items()
        for argument, categories in arguments.items()
        for category in categories.split()
    }
)
ALLOWED[("attention.greedy_decode", "*", "device")] = "tokens made on the default device"
ALLOWED[("attention.beam_search", "*", "device")] = "tokens made on the default device"
