"""Docstrings of reference/: every parameter documented, one shape notation.

Shapes are written as torchvision writes them, ``Tensor[N, 4]`` (``ndarray[H, W]`` for the
arrays of the image section), not ``(N, 4)``, ``[B, T]`` or ``H x W``.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SECTIONS = ("foundations", "cnn", "image", "training", "attention", "detection", "metrics")
SECTIONS += ("generative", "rl")

# A bracketed shape with no Tensor/ndarray in front: "[B, T]", "[..., A]", "mu_E [K]" (not a
# range such as "[0, S - 1]", which starts with a number, nor a token such as "[MASK]").
BARE_BRACKETS = re.compile(r"(?<![\w\]])\[(?![A-Z]{2,}\])(?:\.\.\.|[A-Z]\w*'?)(?:,[^\]\[]*)?\]")
# A shape in parentheses said to be one: "shape (N, 4)", "an ``(N, M)`` matrix".
SHAPE_PARENS = re.compile(
    r"shape\s+(?:``)?\((?:\.\.\.|[A-Z])"
    r"|\((?:\.\.\.|[A-Z]\w*'?)(?:, [^()]*)?\)(?:``)?\s+(?:tensor|matrix|array|bool)"
)
# "``H x W``" as a shape (prose such as "an 8 x 8 image" or "a ``k x k`` kernel" stays).
TIMES = re.compile(r"``[A-Z]\w* x [A-Z]\w*(?: x \w+)?``")


def _docstrings() -> list[tuple[str, str]]:
    found = []
    for path in sorted((ROOT / "reference").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef):
                doc = ast.get_docstring(node)
                if doc:
                    where = f"{path.relative_to(ROOT)}:{getattr(node, 'name', 'module')}"
                    found.append((where, doc))
    return found


def _shape_problems(doc: str) -> list[str]:
    problems = []
    for line in doc.splitlines():
        if "must have shape" in line or line.lstrip().startswith((">>>", "tensor(")):
            continue  # an error message or a doctest, quoted as it is
        for pattern in (BARE_BRACKETS, SHAPE_PARENS, TIMES):
            match = pattern.search(line)
            if match:
                problems.append(f"{match.group(0)!r} in: {line.strip()}")
    return problems


DOCSTRINGS = _docstrings()


@pytest.mark.parametrize(("where", "doc"), DOCSTRINGS, ids=[w for w, _ in DOCSTRINGS])
def test_shapes_are_written_as_tensor_brackets(where: str, doc: str) -> None:
    assert not _shape_problems(doc), _shape_problems(doc)


def test_the_shape_check_catches_the_other_notations() -> None:
    for bad in (
        "boxes of shape (N, 4)",
        "all fields are ``[B, T]``",
        "an ``H x W`` array",
        "values ``V [S]``",
        "an ``(N, M)`` matrix",
    ):
        assert _shape_problems(bad), bad
    for good in (
        "boxes (Tensor[N, 4]): corners",
        "in ``[0, 1]``",
        "the ``[MASK]`` token",
        "E[output] = input",
        "an 8 x 8 image",
        "ndarray[H, W, C]: the image",
    ):
        assert not _shape_problems(good), good


# --- every parameter documented -------------------------------------------------------

# Google style: "name (type): text", "name: text", and "a, b: text" for a shared entry.
ENTRY = re.compile(r"^\s{4,}(\*{0,2}\w+(?:,\s*\*{0,2}\w+)*)(?:\s*\([^)]*\))?:\s", re.M)


def _documented(doc: str) -> set[str]:
    args = re.search(r"^(?:Args|Arguments|Attributes):\n(.*?)(?=^\S|\Z)", doc, re.M | re.S)
    if args is None:
        return set()
    names: set[str] = set()
    for entry in ENTRY.findall(args.group(1)):
        names |= {n.strip().lstrip("*") for n in entry.split(",")}
    return names


def _callables() -> list[tuple[str, object, str]]:
    """(name, function, docstring that documents it) for every public callable."""
    out = []
    for section in SECTIONS:
        module = importlib.import_module(f"reference.{section}")
        for name in module.__all__:
            obj = getattr(module, name)
            if inspect.isfunction(obj):
                out.append((f"{section}.{name}", obj, inspect.getdoc(obj) or ""))
            elif inspect.isclass(obj) and "__init__" in vars(obj):
                out.append((f"{section}.{name}", obj.__init__, inspect.getdoc(obj) or ""))
                forward = vars(obj).get("forward")
                if forward is not None:
                    doc = inspect.getdoc(forward) or ""
                    out.append((f"{section}.{name}.forward", forward, doc))
    return out


CALLABLES = _callables()


@pytest.mark.parametrize(("name", "fn", "doc"), CALLABLES, ids=[n for n, _, _ in CALLABLES])
def test_every_parameter_is_documented(name: str, fn: object, doc: str) -> None:
    assert doc, f"{name} has no docstring"
    params = [p for p in inspect.signature(fn).parameters if p != "self"]  # type: ignore[arg-type]
    if name.endswith(".forward") and len(params) == 1:
        # a module's one input: its shape must be stated, in the docstring or the class's
        assert "Tensor[" in doc, f"{name}: state the input's shape"
        return
    missing = [p for p in params if p not in _documented(doc)]
    assert not missing, f"{name}: document {missing} under Args"
