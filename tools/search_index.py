"""What Material's search indexes, tuned for Chinese terms and for ranking.

Material's ``search`` plugin writes ``search/search_index.json`` (one entry per section of
a page: location, title, text); its web worker builds a lunr index from it in the browser, so
search also works offline and from ``file://`` (the ``offline`` plugin inlines the same file
into a script). This module rewrites that file at the end of the build, before ``offline``
copies it:

* Each page's entries are recomputed, with Material's own ``SearchIndex``, from a *search
  view* of the page: code blocks and the tick labels inside figures left out (code was over
  half of the index; it is read on the page, not in a search preview), notebook "¶" anchors
  removed, formulas as linear text instead of run-together MathML tokens, tab labels moved
  into their tabs.
* Three hidden fields, which the worker indexes (``fields`` in ``mkdocs.yml``) but never
  shows:

  - ``han_title`` and ``han_text``: the Chinese terms of the title and the text as
    :func:`han_terms` writes them: each whole term, and each of its suffixes.
  - ``keywords``: the topic's names from ``docs/topics.yml`` (title, 中文 term and
    keywords: synonyms, abbreviations), on the topic's section and on its page's first
    entry, so ``批标准化`` or ``BN`` finds batch normalisation.

Why suffixes, and why the odd characters: Material adds a trailing wildcard to every query
term, so a query matches a token by prefix, and with every suffix indexed any contiguous part
of a term (``抑制`` in ``非极大值抑制``) is the prefix of a token. But the worker first cuts a
typed run of Han characters at the longest prefix it knows as a token and drops the rest
(``梯度累加`` was searched as ``梯度``). ``docs/javascripts/search-han.js`` therefore writes
a typed run with :data:`JOINER` between its characters, which the worker leaves whole, and
the hidden fields hold the terms in the same form.
"""

from __future__ import annotations

import html
import json
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

from material.plugins.search.plugin import SearchIndex

from tools.manifest import Topic

HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# Between the characters of a Chinese term in the hidden fields and in the query: not Han,
# not whitespace for JavaScript's \\s, not in the separator, not lunr query syntax.
JOINER = "\u200c"
TERMINAL = "\u200d"  # ends a whole Chinese term in the hidden fields, never typed
HAN_RUN = re.compile(f"[{HAN}]+")
HIDDEN_FIELDS = ("han_title", "han_text", "keywords")

_LEFT_OUT = re.compile(r"<(pre|svg|thead)\b.*?</\1>", re.S)
_ANCHOR_LINK = re.compile(r'<a class="anchor-link"[^>]*>.*?</a>', re.S)
_MATH = re.compile(r"<math\b.*?</math>", re.S)
_TAB_LABELS = re.compile(r'<div class="tabbed-labels">(.*?)</div>', re.S)
_LABEL = re.compile(r"<label\b[^>]*>(.*?)</label>", re.S)
_TAB_BLOCK = '<div class="tabbed-block">'
_HEADING_OR_ID = re.compile(r'<(h[1-6])\b[^>]*(?<![\w-])id="([^"]+)"|(?<![\w-])id="([^"]+)"')
_MATHML = "{http://www.w3.org/1998/Math/MathML}"
# Operators that read better with a space on each side in a linear formula.
_SPACED = set("=<>≤≥≈≠≡∝→←↦∈∉⊂⊆+−±×·∗∘∧∨") | {"&lt;", "&gt;"}


def han_terms(text: str) -> list[str]:
    """The hidden-field tokens for the Han text in ``text``.

    Every run of two or more Han characters gives itself, ending with :data:`TERMINAL`,
    and each of its shorter suffixes of two or more characters; characters are joined by
    :data:`JOINER` (the form in which ``docs/javascripts/search-han.js`` sends a typed
    Chinese term to the worker). A query matches a token by prefix, so it finds every term
    that contains it; the terminal makes a whole term a token of its own, rarer than the
    same characters as the end of longer terms, so an exact match scores higher.

    Args:
        text: any string.

    Returns:
        The distinct tokens in order of first occurrence: for ``"非极大值抑制"`` the whole
        run with its terminal, then ``"极大值抑制"`` down to ``"抑制"``, each written as
        e.g. ``"抑\u200c制"``.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    found: dict[str, None] = {}
    for run in HAN_RUN.findall(text):
        if len(run) < 2:
            continue
        found[JOINER.join(run) + TERMINAL] = None
        for i in range(1, len(run) - 1):
            found[JOINER.join(run[i:])] = None
    return list(found)


def _linear(node: ET.Element) -> str:
    """A MathML element as one line of text, with ``<sub>``/``<sup>`` for scripts."""
    tag = node.tag.removeprefix(_MATHML)
    kids = list(node)
    if tag in {"mi", "mn", "mtext", "ms"}:
        return html.escape("".join(node.itertext()), quote=False)
    if tag == "mo":
        text = html.escape("".join(node.itertext()).strip(), quote=False)
        return f" {text} " if text in _SPACED else text
    if tag == "mspace":
        return " "
    parts = [_linear(kid) for kid in kids]
    if tag in {"msub", "munder"} and len(parts) == 2:
        return f"{parts[0]}<sub>{parts[1].strip()}</sub>"
    if tag in {"msup", "mover"} and len(parts) == 2:
        return f"{parts[0]}<sup>{parts[1].strip()}</sup>"
    if tag in {"msubsup", "munderover"} and len(parts) == 3:
        return f"{parts[0]}<sub>{parts[1].strip()}</sub><sup>{parts[2].strip()}</sup>"
    if tag == "mfrac" and len(parts) == 2:
        return "/".join(_grouped(p) for p in parts)
    if tag == "msqrt":
        return f"√{_grouped(''.join(parts))}"
    if tag == "mroot" and len(parts) == 2:
        return f"<sup>{parts[1].strip()}</sup>√{_grouped(parts[0])}"
    if tag == "mtr":
        return ", ".join(p.strip() for p in parts)
    if tag == "mtable":
        return "; ".join(p.strip() for p in parts)
    return "".join(parts)


def _grouped(text: str) -> str:
    """Parenthesise a fraction's part or a root's radicand unless it is one symbol."""
    text = text.strip()
    plain = re.sub(r"<[^>]+>", "", text)
    return text if len(plain) <= 1 or plain.isalnum() else f"({text})"


def linear_math(mathml: str) -> str:
    """A ``<math>`` element as linear text for a search preview.

    ``\\frac{a}{b+1}`` reads ``a/(b + 1)``, ``x^2`` reads ``x<sup>2</sup>``; the kept
    ``<sub>``/``<sup>`` tags are ones Material's index preserves and shows.

    Args:
        mathml: one ``<math>...</math>`` element (MathML namespace), as latex2mathml writes it.

    Returns:
        HTML text without tags other than ``<sub>`` and ``<sup>``.
    """
    try:
        root = ET.fromstring(mathml)
    except ET.ParseError as error:
        raise ValueError(f"mathml is not well-formed MathML ({error}): {mathml[:80]!r}") from error
    return re.sub(r" {2,}", " ", _linear(root)).strip()


def _label_tabs(html_text: str) -> str:
    """Put each tab's label at the start of its block, as a paragraph of its own."""
    out: list[str] = []
    pos = 0
    for match in _TAB_LABELS.finditer(html_text):
        if match.start() < pos:
            continue
        labels = _LABEL.findall(match.group(1))
        out.append(html_text[pos : match.start()])
        pos = match.end()
        for label in labels:
            block = html_text.find(_TAB_BLOCK, pos)
            if block < 0:
                break
            out.append(html_text[pos : block + len(_TAB_BLOCK)] + f"<p>{label}</p>")
            pos = block + len(_TAB_BLOCK)
    out.append(html_text[pos:])
    return "".join(out)


def search_view(html_text: str) -> str:
    """The page's HTML as the search index should see it.

    Code blocks (``<pre>``), the text inside figures' SVG (tick labels), table header rows
    (column names, repeated in every preview of a table's section) and notebook anchor
    links are dropped, ``<math>`` becomes
    linear text (:func:`linear_math`), and tab labels move into their tabs.

    Args:
        html_text: a page's rendered content (``page.content``).

    Returns:
        HTML for Material's ``SearchIndex``; never shown to a reader.
    """
    view = _LEFT_OUT.sub("", html_text)
    view = _ANCHOR_LINK.sub("", view)
    view = _MATH.sub(lambda m: linear_math(m.group(0)), view)
    return _label_tabs(view)


def section_of(html_text: str, anchor: str) -> str | None:
    """The id of the heading whose section holds the element ``id=anchor``.

    ``None`` when the anchor lies in the page's first section (Material's entry for it has
    no ``#id``); raises ``ValueError`` when no element has that id.
    """
    heading: str | None = None
    first = True
    for match in _HEADING_OR_ID.finditer(html_text):
        if match.group(1):
            heading = None if first else match.group(2)
            first = False
            if match.group(2) == anchor:
                return heading
        elif match.group(3) == anchor:
            return heading
    raise ValueError(f"anchor {anchor!r} is not an id on this page")


@dataclass
class Collector:
    """Entries per page, gathered while pages are built, written into the index at the end."""

    topics: list[Topic]
    pages: dict[str, list[dict[str, object]]] = field(default_factory=dict)

    def collect(self, page: object) -> None:
        """Index ``page`` (a built ``mkdocs.structure.pages.Page``) from its search view."""
        view = SimpleNamespace(
            content=search_view(page.content),  # type: ignore[attr-defined]
            toc=page.toc,  # type: ignore[attr-defined]
            url=page.url,  # type: ignore[attr-defined]
            meta=page.meta,  # type: ignore[attr-defined]
            title=page.title,  # type: ignore[attr-defined]
        )
        index = SearchIndex()
        index.add_entry_from_context(view)
        entries: list[dict[str, object]] = index.entries
        # A topic's names (title, 中文 term, keywords) go on its section, and on the page's
        # first entry: Material ranks a page by its best entry and favours that one.
        names: dict[str, list[str]] = {}
        for topic in self.topics:
            if topic.page == page.file.src_uri:  # type: ignore[attr-defined]
                section = section_of(view.content, topic.anchor)
                location = page.url + (f"#{section}" if section else "")  # type: ignore[attr-defined]
                words = [topic.title, topic.zh, *topic.keywords]
                names.setdefault(location, []).extend(words)
                if section:
                    names.setdefault(page.url, []).extend(words)  # type: ignore[attr-defined]
        for entry in entries:
            entry["han_title"] = " ".join(han_terms(str(entry["title"])))
            entry["han_text"] = " ".join(han_terms(re.sub(r"<[^>]+>", " ", str(entry["text"]))))
            words = list(dict.fromkeys(names.pop(str(entry["location"]), [])))
            if words:
                entry["keywords"] = " ".join([*words, *han_terms(" ".join(words))])
        if names:
            raise ValueError(f"{page.file.src_uri}: no search section for {sorted(names)}")  # type: ignore[attr-defined]
        self.pages[page.url] = entries  # type: ignore[attr-defined]

    def write(self, site_dir: str | Path) -> None:
        """Replace the entries of every collected page in ``search/search_index.json``."""
        path = Path(site_dir) / "search" / "search_index.json"
        index = json.loads(path.read_text(encoding="utf-8"))
        missing = [name for name in HIDDEN_FIELDS if name not in index["config"]["fields"]]
        if missing:
            raise ValueError(f"mkdocs.yml: the search plugin's fields lack {missing}")
        docs: list[dict[str, object]] = []
        done: set[str] = set()
        for doc in index["docs"]:
            page = str(doc["location"]).split("#", 1)[0]
            if page not in self.pages:
                docs.append(doc)
            elif page not in done:
                docs.extend(self.pages[page])
                done.add(page)
        index["docs"] = docs
        path.write_text(json.dumps(index, ensure_ascii=False, separators=(",", ":")), "utf-8")
