"""The API index: every public callable of ``reference``, generated from the package.

``api/index.md`` lists each public function and class of every section with its signature,
the page that teaches it and its production counterpart; ``api/<section>.md`` renders each
one's signature and docstring with mkdocstrings. Nothing here is written by hand: adding a
name to a section's ``__all__`` adds it to the index.
"""

from __future__ import annotations

import functools
import inspect
import posixpath
import re
from dataclasses import dataclass
from pathlib import Path

from tools.manifest import SECTIONS as SECTION_NAMES
from tools.page_code import fences, imported_from_reference
from tools.production import SECTIONS, production_pairs, public_callables

# Set by the build hook: whether MkDocs rebuilds only what changed (`mkdocs serve --dirty`).
STATE: dict[str, bool] = {}

_HEADING = re.compile(r"^(#{1,6}) (?P<title>.+?)(?:\s*\{#(?P<id>[\w-]+)\})?\s*$", re.M)


@dataclass(frozen=True)
class Entry:
    section: str
    name: str
    path: str  # where it is defined, e.g. reference.detection.nms.nms (the mkdocstrings id)
    kind: str  # "function" or "class"
    summary: str
    taught: tuple[str, str, str] | None  # page under docs/, heading title, anchor
    production: str | None


def _summary(obj: object) -> str:
    doc = inspect.getdoc(obj) or ""
    return doc.split("\n\n", 1)[0].replace("\n", " ").strip()


def teaching_pages(docs: Path) -> dict[str, tuple[str, str, str]]:
    """Public name → (page, heading, anchor) of the first page section that shows or uses it.

    A Markdown page teaches what its blocks show from ``reference/`` or import from it; a
    notebook page, what its cells import.
    """
    found: dict[str, tuple[str, str, str]] = {}
    for path in sorted(docs.rglob("*.md")):
        page = path.relative_to(docs).as_posix()
        text = path.read_text(encoding="utf-8")
        headings = [(m.start(), m["title"], m["id"] or "") for m in _HEADING.finditer(text)]
        for fence in fences(text):
            if not fence.shown:
                continue
            above = [h for h in headings if h[0] < fence.start] or headings[:1]
            _, title, anchor = above[-1] if above else (0, page, "")
            for _, name in [*fence.shown_public(), *fence.imported_from_reference()]:
                found.setdefault(name, (page, title, anchor))
    for path in sorted(docs.rglob("*.py")):
        page = path.relative_to(docs).as_posix()
        text = path.read_text(encoding="utf-8")
        title = next((line[4:] for line in text.splitlines() if line.startswith("# # ")), page)
        for cell in text.split("# %%")[1:]:
            if not cell.startswith(" [markdown]"):
                for _, name in imported_from_reference(cell):
                    found.setdefault(name, (page, title, ""))
    return found


def entries(docs: Path) -> list[Entry]:
    taught = teaching_pages(docs)
    production = {(p.section, p.name): p.production for p in production_pairs()}
    return [
        Entry(
            section,
            name,
            f"{obj.__module__}.{obj.__qualname__}",
            "class" if inspect.isclass(obj) else "function",
            _summary(obj),
            taught.get(name),
            production.get((section, name)),
        )
        for section, name, obj in public_callables()
    ]


def _link(entry: Entry, from_page: str) -> str:
    if entry.taught is None:
        return "—"
    page, title, anchor = entry.taught
    target = posixpath.relpath(page, posixpath.dirname(from_page))
    return f"[{title}]({target}{'#' + anchor if anchor else ''})"


def _production(entry: Entry) -> str:
    return f"`{entry.production}`" if entry.production else "—"


def index_page(all_entries: list[Entry]) -> str:
    """``api/index.md``: one table of every public callable."""
    lines = [
        "# API reference · API 索引",
        "",
        f"Every public function and class of the package `reference` ({len(all_entries)} in "
        "all), generated from its source: the page that teaches it, the production function "
        "it is named after and tested against, and its documentation with the signature.",
        "",
    ]
    for section in SECTIONS:
        members = [e for e in all_entries if e.section == section]
        english, chinese = SECTION_NAMES[section]
        lines += [
            f"## {english} · {chinese} {{#{section}}}",
            "",
            "| Name | What it does | Taught on | Production |",
            "|---|---|---|---|",
        ]
        for e in members:
            name = f"[`{e.name}`]({section}.md#{e.path})"
            summary = e.summary.replace("|", "\\|")
            lines.append(f"| {name} | {summary} | {_link(e, 'api/index.md')} | {_production(e)} |")
        lines.append("")
    return "\n".join(lines)


def section_page(section: str, all_entries: list[Entry]) -> str:
    """``api/<section>.md``: each callable's signature and docstring, via mkdocstrings."""
    english, chinese = SECTION_NAMES[section]
    lines = [
        "---",
        "search:",
        "  exclude: true",  # docstrings repeat the pages: keep the search index small
        "---",
        "",
        f"# API: {english} · {chinese}",
        "",
    ]
    for e in (e for e in all_entries if e.section == section):
        where = f"{e.kind.capitalize()}, taught on {_link(e, f'api/{section}.md')}"
        if e.production:
            where += f"; named after {_production(e)}"
        lines += [f"::: {e.path}", "", where + ".", ""]
    return "\n".join(lines)


@functools.cache
def pages(docs: Path) -> dict[str, str]:
    """Every API page, by path under docs/ (computed once per process: serve rebuilds reuse it)."""
    all_entries = entries(docs)
    out = {"api/index.md": index_page(all_entries)}
    for section in SECTIONS:
        out[f"api/{section}.md"] = section_page(section, all_entries)
    return out
