"""The code of a page: its ``python`` fences, their snippets resolved, and the functions they show.

Shared by the build hook (which runs every shown block and adds standalone copies) and by
the site tests (which run the same blocks as a reader would), so both read a page the
same way.
"""

from __future__ import annotations

import ast
import re
import textwrap
from dataclasses import dataclass
from pathlib import Path

from tools.standalone import ROOT, module_of, standalone

FENCE = re.compile(
    r"^(?P<indent>[ \t]*)```python(?P<options>[^\n]*)\n(?P<body>.*?)^(?P=indent)```[ \t]*$",
    re.M | re.S,
)
SNIPPET = re.compile(r'^[ \t]*--8<-- "(?P<path>[^":]+)(?::(?P<section>[\w-]+))?"[ \t]*$', re.M)
MARKER = re.compile(r"#\s*--8<--\s*\[(start|end):([\w-]+)\]")
OPTION = re.compile(r'(?P<key>[\w-]+)="(?P<value>[^"]*)"')


def snippet(path: str, section: str | None) -> str:
    """A snippet section as ``pymdownx.snippets`` shows it: markers removed, dedented."""
    text = (ROOT / path).read_text(encoding="utf-8")
    if section is None:
        return text
    match = re.search(
        rf"^[^\n]*#\s*--8<--\s*\[start:{section}\][^\n]*\n(?P<body>.*?)"
        rf"^[^\n]*#\s*--8<--\s*\[end:{section}\]",
        text,
        re.M | re.S,
    )
    if match is None:
        raise LookupError(f"{path} has no snippet section {section!r}")
    body = "\n".join(line for line in match["body"].splitlines() if not MARKER.search(line))
    return textwrap.dedent(body)


@dataclass(frozen=True)
class Fence:
    """One ```` ```python ```` block of a Markdown page."""

    start: int  # character offsets of the whole fence in the page
    end: int
    indent: str
    options: dict[str, str]
    body: str  # dedented, snippet directives unresolved

    @property
    def executed_at_build(self) -> bool:
        """A markdown-exec block written as such on the page (a figure or a shown plot)."""
        return self.options.get("exec") in {"on", "1", "true"}

    @property
    def shown(self) -> bool:
        """The reader sees the code (plain blocks, and exec blocks that show their source)."""
        return not self.executed_at_build or "source" in self.options

    @property
    def html_output(self) -> bool:
        """A build-time block that prints HTML (a figure) rather than text."""
        return self.executed_at_build and self.options.get("html") in {"1", "on", "true"}

    @property
    def code(self) -> str:
        """The code with every snippet directive replaced by its section."""
        return SNIPPET.sub(lambda m: snippet(m["path"], m["section"]), self.body)

    def snippets(self) -> list[tuple[str, str | None]]:
        return [(m["path"], m["section"]) for m in SNIPPET.finditer(self.body)]

    def shown_public(self) -> list[tuple[str, str]]:
        """``(module, name)`` of each public function or class this block's snippets define."""
        found: list[tuple[str, str]] = []
        for path, section in self.snippets():
            if not path.startswith("reference/"):
                continue
            for node in ast.parse(snippet(path, section)).body:
                if isinstance(node, ast.FunctionDef | ast.ClassDef) and not node.name.startswith(
                    "_"
                ):
                    found.append((module_of(path), node.name))
        return found

    def imported_from_reference(self) -> list[tuple[str, str]]:
        """``(module, name)`` of each name the block imports from the ``reference`` package."""
        return imported_from_reference(self.code)

    def standalone_targets(self) -> list[tuple[str, str]]:
        """Everything the block gives the reader from the package: what a standalone copy holds."""
        return list(dict.fromkeys([*self.shown_public(), *self.imported_from_reference()]))

    def standalone_code(self) -> str:
        """The block as a reader who copied the standalone copies has it, without the package.

        Shown plotting code, which draws with the site's own helper (``reference.plotting``),
        has no standalone form: ``""``.
        """
        if self.html_output:
            return ""
        if not self.snippets() and not self.imported_from_reference():
            return self.code
        return standalone_version(self.code, self.standalone_targets())


def standalone_version(code: str, targets: list[tuple[str, str]]) -> str:
    """``code`` with ``targets`` defined by their standalone copy and no import from the package.

    Definitions in ``code`` of names that the standalone copy defines are dropped (they are
    the same source), as are ``from reference… import`` and ``from __future__`` lines.
    """
    block = standalone(targets) if targets else None
    defined = {d.name for d in block.definitions} if block else set()
    kept = []
    for node in ast.parse(code).body:
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in {
            "reference",
            "__future__",
        }:
            continue
        names = {getattr(node, "name", None)} | {
            t.id for t in getattr(node, "targets", []) if isinstance(t, ast.Name)
        }
        if not names & defined:
            kept.append(ast.get_source_segment(code, node) or "")
    return (block.text() + "\n\n" if block else "") + "\n\n".join(kept)


def imported_from_reference(code: str) -> list[tuple[str, str]]:
    """``(module, name)`` of each name that ``code`` imports from the ``reference`` package."""
    found: list[tuple[str, str]] = []
    for node in ast.parse(code).body:
        if isinstance(node, ast.Import) and any(
            a.name.split(".")[0] == "reference" for a in node.names
        ):
            raise ValueError("import names from reference (`from reference.x import f`)")
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "reference":
            found.extend((node.module, a.name) for a in node.names)
    return found


def fences(markdown: str) -> list[Fence]:
    """Every ``python`` fence of a page, in document order (the order they run in)."""
    out = []
    for m in FENCE.finditer(markdown):
        indent = m["indent"]
        body = textwrap.dedent(m["body"]) if indent else m["body"]
        options = {o["key"]: o["value"] for o in OPTION.finditer(m["options"])}
        out.append(Fence(m.start(), m.end(), indent, options, body))
    return out


def page_source(path: Path) -> str:
    return path.read_text(encoding="utf-8")
