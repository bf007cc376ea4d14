"""Standalone copies of reference functions: the definition with every helper and import it needs.

A page shows a function as it is written in ``reference/``, where it calls shared checks and
helpers from other modules. A reader who copies it wants a block that runs in a fresh Python
with only torch/numpy installed. :func:`standalone_source` builds that block from the package
source: it follows the names a definition uses through the module's own definitions and its
``from reference… import …`` statements (the transitive closure inside ``reference/``), and
gathers the third-party and standard-library imports those definitions need.

Everything is read with :mod:`ast` from the files, so the copy is always the tested code.
"""

from __future__ import annotations

import ast
import builtins
import sys
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "reference"
_BUILTINS = frozenset(dir(builtins))


@dataclass(frozen=True)
class Import:
    """A name imported from outside the package: ``import m as name`` or ``from m import x``."""

    name: str
    module: str
    orig: str | None  # None for ``import module [as name]``

    def statement_key(self) -> tuple[str, str]:
        return (self.module, "" if self.orig is None else "from")


@dataclass
class Definition:
    """A top-level statement of a module that binds ``name`` (def, class or assignment)."""

    module: str
    name: str
    source: str
    lineno: int
    uses: set[str] = field(default_factory=set)


@dataclass
class ModuleIndex:
    module: str
    path: Path
    future_annotations: bool
    definitions: dict[str, Definition]
    external: dict[str, Import]
    internal: dict[str, tuple[str, str]]  # local name -> (module, name there)


def module_path(module: str) -> Path:
    path = ROOT.joinpath(*module.split("."))
    return path / "__init__.py" if path.is_dir() else path.with_suffix(".py")


def _names_used(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def _segment(text: str, node: ast.stmt) -> str:
    """The exact source of a top-level statement, decorators included."""
    lines = text.splitlines()
    first = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
    return "\n".join(lines[first - 1 : node.end_lineno])


@cache
def index(module: str) -> ModuleIndex:
    """Parse one module of the package into its definitions and imports."""
    path = module_path(module)
    text = path.read_text(encoding="utf-8")
    tree = ast.parse(text)
    definitions: dict[str, Definition] = {}
    external: dict[str, Import] = {}
    internal: dict[str, tuple[str, str]] = {}
    future = False
    for node in tree.body:
        if isinstance(node, ast.ImportFrom):
            if node.module == "__future__":
                future = future or any(a.name == "annotations" for a in node.names)
                continue
            source = node.module or ""
            if node.level:
                raise ValueError(f"{path}:{node.lineno}: relative imports are not supported")
            for alias in node.names:
                local = alias.asname or alias.name
                if source == PACKAGE or source.startswith(PACKAGE + "."):
                    internal[local] = (source, alias.name)
                else:
                    external[local] = Import(local, source, alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == PACKAGE:
                    raise ValueError(f"{path}:{node.lineno}: use `from {PACKAGE}… import name`")
                local = alias.asname or alias.name.split(".")[0]
                external[local] = Import(local, alias.name if alias.asname else local, None)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            definitions[node.name] = Definition(
                module, node.name, _segment(text, node), node.lineno, _names_used(node)
            )
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                for name in (n.id for n in ast.walk(target) if isinstance(n, ast.Name)):
                    if name != "__all__":
                        used = _names_used(node.value) if node.value else set()
                        if isinstance(node, ast.AnnAssign):
                            used |= _names_used(node.annotation)
                        definitions[name] = Definition(
                            module, name, _segment(text, node), node.lineno, used
                        )
    return ModuleIndex(module, path, future, definitions, external, internal)


def _resolve(module: str, name: str) -> tuple[str, str]:
    """Follow re-exports (a subpackage's ``__init__``) to the module that defines ``name``."""
    seen = set()
    while (module, name) not in seen:
        seen.add((module, name))
        idx = index(module)
        if name in idx.definitions:
            return module, name
        if name in idx.internal:
            module, name = idx.internal[name]
            continue
        break
    raise LookupError(f"{name} is not defined in {module}")


@dataclass
class Standalone:
    """The pieces of a standalone block, in the order they are written."""

    future_annotations: bool
    imports: list[Import]
    definitions: list[Definition]
    aliases: dict[str, str] = field(default_factory=dict)  # ``from m import f as g``: g -> f

    def text(self) -> str:
        header = ["from __future__ import annotations"] if self.future_annotations else []
        stdlib, third = _import_lines(self.imports)
        header.extend(block for block in ("\n".join(stdlib), "\n".join(third)) if block)
        body = [d.source for d in self.definitions]
        if self.aliases:
            body.append("\n".join(f"{alias} = {name}" for alias, name in self.aliases.items()))
        return "\n\n\n".join(["\n\n".join(header), *body]) + "\n"


def _import_lines(imports: list[Import]) -> tuple[list[str], list[str]]:
    plain: set[str] = set()
    from_: dict[str, set[str]] = {}
    for imp in imports:
        if imp.orig is None:
            plain.add(imp.module if imp.module == imp.name else f"{imp.module} as {imp.name}")
        else:
            alias = imp.orig if imp.orig == imp.name else f"{imp.orig} as {imp.name}"
            from_.setdefault(imp.module, set()).add(alias)
    stdlib: list[str] = []
    third: list[str] = []
    modules = {m.split(" as ")[0] for m in plain} | set(from_)
    for top in sorted(modules, key=lambda m: (m.split(".")[0] not in sys.stdlib_module_names, m)):
        target = stdlib if top.split(".")[0] in sys.stdlib_module_names else third
        for line in sorted(p for p in plain if p.split(" as ")[0] == top):
            target.append(f"import {line}")
        if top in from_:
            target.append(f"from {top} import {', '.join(sorted(from_[top], key=str.lower))}")
    return stdlib, third


def standalone(targets: list[tuple[str, str]]) -> Standalone:
    """The closure of ``targets`` (pairs of module and name) inside the package.

    Raises ``ValueError`` when two different definitions of the closure share a name: a
    standalone block can hold only one of them.
    """
    order: list[tuple[str, str]] = []
    state: dict[tuple[str, str], str] = {}
    imports: dict[str, Import] = {}
    aliases: dict[str, str] = {}
    future = False

    def visit(key: tuple[str, str]) -> None:
        nonlocal future
        if state.get(key) == "done" or state.get(key) == "visiting":
            return  # mutual references between functions are resolved at call time
        state[key] = "visiting"
        module, name = key
        idx = index(module)
        future = future or idx.future_annotations
        definition = idx.definitions[name]
        for used in sorted(definition.uses - {name}):
            if used in idx.definitions:
                visit((module, used))
            elif used in idx.internal:
                target = _resolve(*idx.internal[used])
                visit(target)
                if target[1] != used:  # imported under another name
                    if aliases.get(used, target[1]) != target[1]:
                        raise ValueError(f"{used} names both {aliases[used]} and {target[1]}")
                    aliases[used] = target[1]
            elif used in idx.external:
                imp = idx.external[used]
                if used in imports and imports[used] != imp:
                    raise ValueError(f"{used} is imported differently in {module}: {imp}")
                imports[used] = imp
        state[key] = "done"
        order.append(key)

    for target in targets:
        visit(_resolve(*target))
    definitions = [index(m).definitions[n] for m, n in order]
    names: dict[str, Definition] = {}
    for d in definitions:
        if d.name in names:
            other = names[d.name]
            raise ValueError(
                f"{d.name} is defined in both {other.module} and {d.module}: "
                "a standalone block cannot hold both"
            )
        if d.name in imports or d.name in aliases:
            raise ValueError(f"{d.name} in {d.module} shadows an import of the same name")
        names[d.name] = d
    ordered = sorted(imports.values(), key=lambda i: i.name)
    return Standalone(future, ordered, definitions, dict(sorted(aliases.items())))


def standalone_source(targets: list[tuple[str, str]]) -> str:
    """Source code of a block defining ``targets`` that runs without the ``reference`` package."""
    return standalone(targets).text()


def module_of(path: str) -> str:
    """``reference/detection/boxes.py`` → ``reference.detection.boxes``."""
    return Path(path).with_suffix("").as_posix().replace("/", ".")
