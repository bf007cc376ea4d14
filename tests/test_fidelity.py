"""Every public callable named after a production one keeps its signature and return structure.

The walk covers each name in ``reference.<section>.__all__`` that a production library also
exports (torch, torchvision, scipy, torchmetrics; OpenCV's CamelCase names in snake_case). The
rule, so that a reader can swap one for the other and never get a silently different call:

* the reference's positional parameters are the first positional parameters of the
  production callable, same names, same order;
* a parameter both have has the same default (the reference may add a default where
  production requires the argument: every production call still means the same);
* a parameter only the reference has is keyword-only;
* the return structure (a tensor, a tuple of two tensors, a dict ...) is the same.

Production parameters that the reference leaves out are allowed: passing one fails loudly.
Deliberate differences are listed in ``DEVIATIONS``, each with the page where it is
explained; the docstring and the page must both say "differs from" that production
callable.
"""

from __future__ import annotations

import ast
import inspect
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tools.production import Pair, production_pairs

ROOT = Path(__file__).resolve().parents[1]

# Production return structures that neither an annotation nor the docstring states, or that
# are annotated wider than what the call returns, taken from the libraries' documentation.
PRODUCTION_RETURNS = {
    # boolean dispatch on return_indices
    "torch.nn.functional.max_pool2d": "Tensor | tuple[Tensor, Tensor]",
    # annotated Union[Tensor, dict]; a dict for iou_type="bbox", the default
    "torchmetrics.functional.detection.mean_average_precision": "dict[str, Tensor]",
}


@dataclass(frozen=True)
class Deviation:
    """A deliberate difference: which checks it waives, and the page that explains it."""

    aspects: frozenset[str]
    page: str
    production: str  # the name the docstring and the page use after "differs from"


def deviation(aspects: str, page: str, production: str) -> Deviation:
    return Deviation(frozenset(aspects.split()), page, production)


DEVIATIONS: dict[str, Deviation] = {
    # dim defaults to -1 instead of F's deprecated implicit choice
    "softmax": deviation("default", "foundations/activations.md", "F.softmax"),
    "log_softmax": deviation("default", "foundations/activations.md", "F.log_softmax"),
    # same names, different functions (torchmetrics: scores and labels, task=...)
    "average_precision": deviation(
        "order return", "metrics/ap-map.md", "torchmetrics' average_precision"
    ),
    "confusion_matrix": deviation(
        "order default", "metrics/segmentation.md", "torchmetrics' confusion_matrix"
    ),
    # OpenCV: the image is "src"; no ddepth (always float64), dst or borderType
    "gaussian_blur": deviation("order", "image/filters.md", "cv2.GaussianBlur"),
    "median_blur": deviation("order", "image/filters.md", "cv2.medianBlur"),
    "equalize_hist": deviation("order", "image/opencv.md", "cv2.equalizeHist"),
    "sobel": deviation("order", "image/opencv.md", "cv2.Sobel"),
    "laplacian": deviation("order", "image/opencv.md", "cv2.Laplacian"),
    "pyr_down": deviation("order", "image/pyramids.md", "cv2.pyrDown"),
    "pyr_up": deviation("order", "image/pyramids.md", "cv2.pyrUp"),
    "mean_iou": deviation(
        "default", "metrics/segmentation.md", "torchmetrics' segmentation.mean_iou"
    ),
}


PAIRS = list(production_pairs())

# ---------------------------------------------------------------------------------------
# Signatures of production callables, including builtins and OpenCV (from their docstrings)
# ---------------------------------------------------------------------------------------


class _Unknown:
    """The default of an OpenCV optional argument: its docstring does not say."""

    def __repr__(self) -> str:
        return "<unstated>"


UNKNOWN = _Unknown()


def _docstring_signature(obj: Any, name: str) -> tuple[inspect.Signature, str | None]:
    """``name(a, b=1, *, c=None) -> Tensor`` from the first lines of a docstring."""
    doc = inspect.getdoc(obj) or ""
    name = name.removeprefix("linalg_")  # torch.linalg's builtins document "linalg.vector_norm("
    match = re.search(
        rf"{re.escape(name)}\((.*?)\)\s*(?:->\s*([\w\[\], .|]+?))?\s*:?\s*$", doc, re.S | re.M
    )
    if match is None:
        raise LookupError(f"no signature in the docstring of {name}")
    params = " ".join(match[1].split())
    if "[" in params:  # OpenCV: "src, ksize, sigmaX[, dst[, sigmaY]]"
        required, _, optional = params.partition("[")
        names = [p.strip() for p in required.split(",") if p.strip()]
        extra = [p.strip(" []") for p in optional.split(",") if p.strip(" []")]
        parameters = [
            inspect.Parameter(p, inspect.Parameter.POSITIONAL_OR_KEYWORD) for p in names
        ] + [
            inspect.Parameter(p, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=UNKNOWN)
            for p in extra
        ]
        return inspect.Signature(parameters), match[2]
    tree = ast.parse(f"def f({params}): pass").body[0]
    assert isinstance(tree, ast.FunctionDef)
    args = tree.args
    positional = args.posonlyargs + args.args
    defaults = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
    parameters = [
        inspect.Parameter(
            a.arg,
            inspect.Parameter.POSITIONAL_OR_KEYWORD,
            default=inspect.Parameter.empty if d is None else ast.literal_eval(d),
        )
        for a, d in zip(positional, defaults, strict=True)
    ]
    parameters += [
        inspect.Parameter(
            a.arg,
            inspect.Parameter.KEYWORD_ONLY,
            default=inspect.Parameter.empty if d is None else ast.literal_eval(d),
        )
        for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True)
    ]
    return inspect.Signature(parameters), match[2]


def signature(obj: Any, name: str) -> tuple[list[inspect.Parameter], str | None]:
    """Parameters (without ``self``) and the return annotation as text, if known."""
    name = getattr(obj, "__name__", name)  # OpenCV's own spelling, e.g. GaussianBlur
    target = obj.__init__ if inspect.isclass(obj) else obj
    try:
        sig = inspect.signature(target)
        if all(p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in sig.parameters.values()):
            raise ValueError("a wrapper's (*args, **kwargs): read the docstring")
        ret = sig.return_annotation
        returns = None if ret is inspect.Signature.empty else _text(ret)
    except ValueError:
        sig, returns = _docstring_signature(target if not inspect.isclass(obj) else obj, name)
    params = [p for p in sig.parameters.values() if p.name != "self"]
    if returns is None and not inspect.isclass(obj):  # e.g. F.sigmoid(input): "-> Tensor"
        try:
            returns = _docstring_signature(obj, name)[1]
        except LookupError:
            returns = None
    return params, returns


def _text(annotation: Any) -> str:
    return annotation if isinstance(annotation, str) else inspect.formatannotation(annotation)


# ---------------------------------------------------------------------------------------
# Return structures
# ---------------------------------------------------------------------------------------

ARRAYS = {"Tensor", "ndarray", "dst", "number", "retval"}
SCALARS = {"float", "int", "bool", "str", "None", "NoneType"}


def _split(text: str, sep: str) -> list[str]:
    """Split at ``sep`` outside brackets."""
    parts, depth, current = [], 0, ""
    for ch in text:
        depth += ch == "["
        depth -= ch == "]"
        if ch == sep and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += ch
    return [*parts, current]


def structure(annotation: str | None) -> str | None:
    """An annotation reduced to what a caller unpacks: array, tuple of n, dict, list, scalar."""
    if annotation is None:
        return None
    text = re.sub(r"\b(?:torch|numpy|np|typing|collections\.abc|builtins)\.", "", annotation)
    text = re.sub(r"\bnumpy\._typing\.\w+\.", "", text).strip()
    text = re.sub(r"^Optional\[(.*)\]$", r"\1 | None", text)
    if text.startswith("Union["):
        text = " | ".join(_split(text[6:-1], ","))
    alternatives = [a.strip() for a in _split(text, "|")]
    if len(alternatives) > 1:
        return " | ".join(sorted({structure(a) or "?" for a in alternatives}))
    head, _, inner = text.partition("[")
    inner = inner[:-1]
    if head in ("tuple", "Tuple"):
        return "tuple[" + ", ".join(structure(p.strip()) or "?" for p in _split(inner, ",")) + "]"
    if head in ("dict", "Dict", "Mapping"):
        return "dict"
    if head in ("list", "List", "Sequence"):
        return "list"
    if head in ARRAYS:
        return "array"
    if head in SCALARS:
        return "None" if head == "NoneType" else head
    return "object"  # a class: a module, a named tuple, a dataclass


def production_returns(pair: Pair, returns: str | None) -> str | None:
    key = f"{pair.where}.{pair.name}"
    return PRODUCTION_RETURNS.get(key, returns)


# ---------------------------------------------------------------------------------------
# The comparison
# ---------------------------------------------------------------------------------------

POSITIONAL = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)


def _same_default(a: Any, b: Any) -> bool:
    if b is UNKNOWN:
        return True
    if isinstance(a, float | int) and isinstance(b, float | int) and not isinstance(a, bool):
        return math.isclose(a, b, rel_tol=1e-12)
    return a is b or a == b


def compare(ours: list[inspect.Parameter], theirs: list[inspect.Parameter]) -> dict[str, list[str]]:
    """The differences between two parameter lists, by aspect: ``order``, ``default``, ``kind``."""
    found: dict[str, list[str]] = {}

    def note(aspect: str, text: str) -> None:
        found.setdefault(aspect, []).append(text)

    theirs_positional = [p.name for p in theirs if p.kind in POSITIONAL]
    by_name = {p.name: p for p in theirs}
    for i, p in enumerate(q for q in ours if q.kind in POSITIONAL):
        want = theirs_positional[i] if i < len(theirs_positional) else None
        if want != p.name:
            note("order", f"positional {i} is {p.name!r}, production's is {want!r}")
    for p in ours:
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            note("kind", f"{p.name} is variadic")
            continue
        q = by_name.get(p.name)
        if q is None:  # ours only: keyword-only (or positional, already noted as order)
            continue
        if p.default is p.empty and q.default is not q.empty:
            note("default", f"{p.name!r} is required, production's defaults to {q.default!r}")
        elif p.default is not p.empty and q.default is not q.empty:
            if not _same_default(p.default, q.default):
                note("default", f"{p.name!r} defaults to {p.default!r}, production's {q.default!r}")
    return found


def differences(pair: Pair) -> dict[str, list[str]]:
    """Everything in which the pair differs, by aspect (``return`` included)."""
    found = compare(signature(pair.ours, pair.name)[0], signature(pair.theirs, pair.name)[0])
    if inspect.isclass(pair.ours):
        forward = getattr(pair.theirs, "forward", None)
        if forward is None:  # an optimiser: its constructor is its interface
            return found
        call_ours, call_theirs, name = pair.ours.forward, forward, "forward"
        for aspect, notes in compare(
            signature(call_ours, name)[0], signature(call_theirs, name)[0]
        ).items():
            found.setdefault(aspect, []).extend(f"forward: {n}" for n in notes)
    else:
        call_ours, call_theirs, name = pair.ours, pair.theirs, pair.name
    returns_ours = structure(signature(call_ours, name)[1])
    returns_theirs = structure(production_returns(pair, signature(call_theirs, name)[1]))
    assert returns_theirs is not None, f"{pair}: production's return is unknown, add it above"
    if returns_ours != returns_theirs:
        found.setdefault("return", []).append(f"{returns_ours} vs {returns_theirs}")
    return found


def _normalised(text: str) -> str:
    return " ".join(text.replace("`", "").lower().split())


# ---------------------------------------------------------------------------------------
# Tests
# ---------------------------------------------------------------------------------------


def test_the_walk_finds_the_production_named_callables() -> None:
    found = {str(p) for p in PAIRS}
    expected = {
        "detection.nms",
        "detection.box_iou",
        "attention.scaled_dot_product_attention",
        "attention.MultiheadAttention",
        "attention.TransformerEncoderLayer",
        "attention.cosine_similarity",
        "attention.SqueezeExcitation",
        "foundations.entropy",
        "training.cross_entropy",
        "training.dropout",
        "training.Adam",
        "cnn.conv2d",
        "cnn.Bottleneck",
        "image.gaussian_blur",
        "metrics.mean_average_precision",
    }
    assert expected <= found, expected - found
    assert len(PAIRS) >= 60


@pytest.mark.parametrize("pair", PAIRS, ids=str)
def test_signature_matches_production(pair: Pair) -> None:
    found = differences(pair)
    allowed = DEVIATIONS.get(pair.name)
    waived = allowed.aspects if allowed else frozenset()
    unexpected = {a: notes for a, notes in found.items() if a not in waived}
    assert not unexpected, f"{pair} differs from {pair.where}.{pair.name}: {unexpected}"
    stale = waived - set(found)
    assert not stale, f"{pair}: DEVIATIONS waives {sorted(stale)}, which no longer differ"


@pytest.mark.parametrize("name", sorted(DEVIATIONS), ids=str)
def test_every_deviation_is_documented(name: str) -> None:
    entry = DEVIATIONS[name]
    pair = next((p for p in PAIRS if p.name == name), None)
    assert pair is not None, f"{name} is in DEVIATIONS but no longer production-named"
    phrase = _normalised(f"differs from {entry.production}")
    assert phrase in _normalised(inspect.getdoc(pair.ours) or ""), f"docstring of {name}"
    page = _normalised((ROOT / "docs" / entry.page).read_text(encoding="utf-8"))
    assert phrase in page, f"docs/{entry.page} must say '{phrase}'"
