"""Contract failures in code that another issue owns, listed so that they are not fixed twice.

``(callable, argument, category)`` -> what goes wrong; the category may name a variant
(``dtype=int64``) or, for all variants, only the kind (``dtype``). The test requires each listed
problem to still be there: once it is fixed, the entry must go.
"""

from __future__ import annotations

ALLOWED: dict[tuple[str, str, str], str] = {
    # issue 17 owns training.cross_entropy
    **{
        ("training.cross_entropy", "input", f"dtype={d}"): "integer logits reach mean()"
        for d in ("int64", "int32", "uint8", "bool", "complex64")
    },
    ("training.cross_entropy", "input", "empty"): "the target's shape error names target only",
    ("training.cross_entropy", "input", "meta"): "no device check: mixes meta and CPU",
    ("training.cross_entropy", "target", "dtype=int32"): "accepted, torch refuses int32",
    ("training.cross_entropy", "target", "dtype=uint8"): "gather() RuntimeError",
    ("training.cross_entropy", "target", "dtype=bool"): "gather() RuntimeError",
    ("training.cross_entropy", "target", "dtype=complex64"): "min() NotImplementedError",
    ("training.cross_entropy", "target", "meta"): ".item() on a meta tensor: RuntimeError",
    # issue 17 rebuilds reference/detection/boxes.py as one IoU core: eps is not validated
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
        # error without 'hidden_dim': TypeError('empty(): argum
        "hidden_dim": "bool float negative type zero",
        # RuntimeError, not a ValueError or TypeError naming the
        "key": "dtype empty inf meta nan shape=lead",
        # error without 'key_dim': ValueError('key must have sh
        "key_dim": "bool float negative type zero",
        # RuntimeError, not a ValueError or TypeError naming the
        "query": "dtype empty inf meta nan shape=lead shape=drop",
        # error without 'query_dim': ValueError('query must hav
        "query_dim": "bool float negative type zero",
    },
    "attention.CBAM": {
        # error without 'channels': ValueError('reduction must
        "channels": "bool float negative type zero",
        # returned a result, and nothing can check it: refuse this input,
        "kernel_size": "bool float negative type",
        # error without 'reduction': TypeError('empty(): argum
        "reduction": "float",
        # RuntimeError, not a ValueError or TypeError naming the
        "x": "dtype empty inf meta nan shape=longer",
    },
    "attention.ChannelSelfAttention": {
        # error without 'channels': ValueError('x must have sha
        "channels": "bool float negative type zero",
        # returned a result, and nothing can check it: refuse th
        "x": "dtype empty inf meta nan shape=longer",
    },
    "attention.CoordinateAttention": {
        # error without 'channels': TypeError('empty(): argumen
        "channels": "bool float negative type zero",
        # returned a result, and nothing can check it: refuse this input,
        "reduction": "bool float negative type zero",
        # RuntimeError, not a ValueError or TypeError naming the
        "x": "dtype empty inf meta nan shape=longer",
    },
    "attention.ECA": {
        # error without 'channels': ValueError('x must have sha
        "channels": "bool float negative type zero",
        # returned a result, and nothing can check it: refuse this input,
        "kernel_size": "bool float negative type zero",
        # RuntimeError, not a ValueError or TypeError naming the
        "x": "dtype empty inf meta nan shape=longer",
    },
    "attention.MultiheadAttention": {
        # error without 'embed_dim': TypeError('empty() takes
        "embed_dim": "float type zero",
        # RuntimeError, not a ValueError or TypeError naming the
        "key": "dtype inf meta nan",
        # error without 'num_heads': TypeError('reshape(): arg
        "num_heads": "float",
        # RuntimeError, not a ValueError or TypeError naming the
        "query": "dtype empty inf meta nan",
        # RuntimeError, not a ValueError or TypeError naming the
        "value": "dtype inf meta nan",
    },
    "attention.NonLocalBlock": {
        # error without 'channels': TypeError('empty(): argumen
        "channels": "bool float negative type zero",
        # error without 'inter_channels': TypeError('empty(): a
        "inter_channels": "bool float negative type zero",
        # RuntimeError, not a ValueError or TypeError naming the
        "x": "dtype empty inf meta nan shape=longer",
    },
    "attention.PositionSelfAttention": {
        # error without 'channels': TypeError('empty(): argumen
        "channels": "bool float negative type zero",
        # returned a result, and nothing can check it: refuse this input,
        "reduction": "bool float negative type zero",
        # RuntimeError, not a ValueError or TypeError naming the
        "x": "dtype empty inf meta nan shape=longer",
    },
    "attention.SelectiveKernel": {
        # error without 'channels': TypeError('empty(): argume
        "channels": "float type zero",
        # error without 'groups': TypeError('empty(): argument
        "groups": "float type zero",
        # returned a result, and nothing can check it: refuse this input,
        "min_dim": "bool float negative type zero",
        # returned a result, and nothing can check it: refuse this input,
        "reduction": "bool float negative type zero",
        # RuntimeError, not a ValueError or TypeError naming the
        "x": "dtype empty inf meta nan shape=longer",
    },
    "attention.Seq2Seq": {
        # returned a result, and nothing can check it: refuse th
        "lengths": "dtype meta",
        # RuntimeError, not a ValueError or TypeError naming the
        "source": "dtype empty meta shape=longer",
        # RuntimeError, not a ValueError or TypeError naming the
        "target_in": "dtype empty list meta shape type",
    },
    "attention.SqueezeExcitation": {
        # error without 'channels': ValueError('reduction must
        "channels": "bool float negative type zero",
        # error without 'reduction': TypeError('empty(): argum
        "reduction": "float",
        # RuntimeError, not a ValueError or TypeError naming the
        "x": "dtype empty inf meta nan shape=longer",
    },
    "attention.TransformerEncoderLayer": {
        # error without 'd_model': ValueError('embed_dim must b
        "d_model": "bool float negative type zero",
        # error without 'dim_feedforward': TypeError('empty():
        "dim_feedforward": "bool float negative type zero",
        # error without 'nhead': TypeError('num_heads must be a
        "nhead": "bool float negative type zero",
        # RuntimeError, not a ValueError or TypeError naming the
        "src": "dtype empty inf list meta nan shape type",
    },
    "attention.beam_search": {
        # error without 'beam_width': TypeError('topk(): argum
        "beam_width": "float",
        # ZeroDivisionError, not a ValueError or TypeError naming the arg
        "length_penalty": "-inf inf nan negative type",
        # error without 'max_len': TypeError(''float' object c
        "max_len": "float",
    },
    "attention.cosine_similarity": {
        # torch refuses, this returns (RuntimeEr
        "eps": "-inf nan negative type",
        # RuntimeError, not a ValueError or TypeError naming the
        "key": "dtype empty meta",
        # RuntimeError, not a ValueError or TypeError naming the
        "query": "dtype empty meta shape=trail shape=drop shape=longer",
    },
    "attention.dot_similarity": {
        # RuntimeError, not a ValueError or TypeError naming the
        "key": "dtype empty",
        # RuntimeError, not a ValueError or TypeError naming the
        "query": "dtype empty meta shape=trail shape=drop shape=longer",
    },
    "attention.eca_kernel_size": {
        # returned a result, and nothing can check it: refuse this input,
        "b": "bool float type",
        # returned a result, and nothing can check it: refuse this input
        "channels": "float",
        # returned a result, and nothing can check it: refuse this input,
        "gamma": "bool float negative type zero",
    },
    "attention.greedy_decode": {
        # error without 'batch': TypeError('full(): argument 's
        "batch": "bool float negative type zero",
        # error without 'max_len': TypeError(''float' object c
        "max_len": "float",
    },
    "attention.gumbel_softmax": {
        # returned a result, and nothing can check it: refuse this in
        "dim": "negative zero",
        # returned a result, and nothing can check it: refuse th
        "logits": "dtype empty inf meta nan shape",
    },
    "attention.hard_attention": {
        # RuntimeError, not a ValueError or TypeError naming the
        "scores": "dtype empty inf meta nan shape",
        # RuntimeError, not a ValueError or TypeError naming the
        "values": "dtype empty inf meta nan shape=lead shape=longer",
    },
    "attention.local_attention": {
        # returned a result, and nothing can check it: refuse th
        "center": "dtype meta",
        # returned a result, and nothing can check it: refuse this input
        "half_width": "float",
        # RuntimeError, not a ValueError or TypeError naming the
        "scores": "dtype empty inf meta nan shape",
        # RuntimeError, not a ValueError or TypeError naming the
        "values": "dtype empty inf meta nan shape=lead shape=longer",
    },
    "attention.mask_tokens": {
        # returned a result, and nothing can check it: refuse th
        "input_ids": "dtype empty meta shape",
        # returned a result, and nothing can check it: refuse this input,
        "mask_token_id": "bool float negative type",
        # error without 'vocab_size': TypeError('randint() rece
        "vocab_size": "bool float negative type zero",
    },
    "attention.reversal_data": {
        # error without 'max_len': TypeError('randint() receiv
        "max_len": "float",
        # error without 'min_len': TypeError('randint() receiv
        "min_len": "float",
        # error without 'n': TypeError('randint() received an i
        "n": "bool float negative type",
    },
    "attention.scaled_dot_product_attention": {
        # torch refuses, this returns (Ru
        "attn_mask": (
            "dtype=int64 dtype=int32 dtype=uint8 dtype=complex64 empty list meta shape=trail "
            "shape=drop shape=longer type"
        ),
        # RuntimeError, not a ValueError or TypeError naming the
        "key": "dtype empty meta nan inf",
        # RuntimeError, not a ValueError or TypeError naming the
        "query": "dtype empty meta shape=trail shape=drop shape=longer inf",
        # error without 'scale': TypeError('only integer tensor
        "scale": "type",
        # RuntimeError, not a ValueError or TypeError naming the
        "value": "dtype empty meta",
    },
    "attention.scaled_dot_similarity": {
        # RuntimeError, not a ValueError or TypeError naming the
        "key": "dtype empty",
        # RuntimeError, not a ValueError or TypeError naming the
        "query": "dtype empty meta shape=trail shape=drop shape=longer",
    },
    "attention.sinusoidal_positional_encoding": {
        # accepted -inf, outside its domain
        "base": "-inf inf nan negative type zero",
        # error without 'dim': TypeError('reshape(): argument
        "dim": "float",
        # error without 'length': TypeError('reshape() takes 1
        "length": "float",
    },
    "attention.soft_attention": {
        # error without 'mask': TypeError('~ (operator
        "mask": "dtype empty list meta shape=trail shape=drop shape=longer type",
        # RuntimeError, not a ValueError or TypeError naming the
        "scores": "dtype empty meta shape=trail shape=drop shape=longer",
        # RuntimeError, not a ValueError or TypeError naming the
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
