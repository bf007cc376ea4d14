"""The home page's generated parts: start path, section cards, topic map, local use.

``docs/index.md`` holds the prose and four markers that the build replaces:
``<!-- start-here -->``, ``<!-- section-cards -->``, ``<!-- topic-map -->`` and
``<!-- local-use -->``. Cards list a section's pages in reading order and show one figure
drawn for one of its pages; the figure is copied from that page's built HTML once every page
is rendered (:func:`insert_figures`), so the home page never draws anything itself.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from tools.glossary import link
from tools.manifest import SECTIONS, Topic
from tools.nav import reading_order, section_label

# A newcomer's path: what a network is, how it learns, one trained end to end, then images.
START_HERE = (
    ("foundations/fitting.md", "what a neural network is for"),
    ("foundations/backprop.md", "how it learns from its error"),
    ("training/optimizers.md", "how it takes a step"),
    ("foundations/spiral.py", "a small network trained end to end, measured at build time"),
    ("cnn/convolution.md", "the layer behind image models; from here, follow Next"),
)

# One figure per section card: the page that draws it and the start of its caption.
CARD_FIGURES = {
    "foundations": ("foundations/activations.md", "The activations and their derivatives"),
    "training": ("training/schedules.md", "Learning rate against step"),
    "cnn": ("cnn/receptive-field.md", "Theoretical receptive field after each layer"),
    "image": ("image/filters.md", "The notes' /273 kernel"),
    "attention": ("attention/seq2seq.py", "Attention weights while writing"),
    "detection": ("detection/nms.md", "Eight noisy detections of one object"),
    "metrics": ("metrics/ap-map.md", "One precision-recall curve"),
    "generative": ("generative/gan.py", "The trained generator"),
    "rl": ("rl/actor-critic.py", "Left: most likely action per cell"),
}

_FIGURE = re.compile(r'<figure class="kb-figure"[^>]*>(.*?)</figure>', re.S)
_CAPTION = re.compile(r"<figcaption>(.*?)</figcaption>", re.S)
_SVG = re.compile(r"<svg\b.*?</svg>", re.S)
_PLACEHOLDER = re.compile(r"<p>KB-CARD-FIGURE-([a-z]+)</p>")


def h1(path: Path) -> str:
    """The H1 of a page source: ``# Title`` in Markdown, ``# # Title`` in a jupytext notebook."""
    prefix = "# # " if path.suffix == ".py" else "# "
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith(prefix):
            return line.removeprefix(prefix).split(" {#", 1)[0].strip()
    raise ValueError(f"{path} has no H1 ({prefix!r} line)")


def _page_link(docs_dir: Path, page: str, from_page: str, text: str | None = None) -> str:
    depth = from_page.count("/")
    return f"[{text or h1(docs_dir / page)}]({'../' * depth}{page})"


def start_here(docs_dir: Path, from_page: str = "index.md") -> str:
    """The start path as a numbered Markdown list."""
    return "\n".join(
        f"{i}. {_page_link(docs_dir, page, from_page)}: {why}."
        for i, (page, why) in enumerate(START_HERE, 1)
    )


def section_cards(topics: list[Topic], docs_dir: Path, from_page: str = "index.md") -> str:
    """One Material grid card per section: its bilingual name, a figure marker, its pages."""
    out = ['<div class="grid cards kb-sections" markdown>', ""]
    for key, pages in reading_order(topics, docs_dir):
        if not pages:
            continue
        count = sum(t.section == key for t in topics)
        out.append(f"-   **{_page_link(docs_dir, pages[0], from_page, section_label(key))}**")
        out.append("")
        out.append(f"    KB-CARD-FIGURE-{key}")
        out.append("")
        for page in pages:
            out.append(f"    - {_page_link(docs_dir, page, from_page)}")
        out.append("")
        out.append(f"    {count} topics")
        out.append("")
    out.append("</div>")
    return "\n".join(out)


def topic_map(topics: list[Topic], from_page: str = "index.md") -> str:
    """Every topic with its 中文 term, one folded list per section (the cards come first).

    The glossary holds the same names for search, so the map stays out of the index.
    """
    out = []
    for key in SECTIONS:
        members = [t for t in topics if t.section == key]
        if not members:
            continue
        attributes = f'class="abstract kb-topic-map" id="map-{key}" data-search-exclude="1"'
        out.append(f"<details {attributes} markdown>")
        out.append(f"<summary>{section_label(key)} · {len(members)} topics</summary>\n")
        out.extend(f"- {link(t, from_page)} {t.zh}" for t in members)
        out.append("\n</details>\n")
    return "\n".join(out)


def local_use(repo_url: str | None) -> str:
    """The commands to build and test the site locally, with the real clone command.

    Args:
        repo_url: ``config.repo_url``; when empty, the text says where the commands run
            instead of printing a placeholder.
    """
    steps = [
        "python3 -m pip install nox",
        "nox -s serve   # build every page, running its code; serve it at 127.0.0.1:8000",
        "nox -s tests   # test the reference code against PyTorch, torchvision, OpenCV …",
    ]
    if repo_url:
        name = repo_url.rstrip("/").rsplit("/", 1)[-1].removesuffix(".git")
        steps.insert(0, f"git clone {repo_url} && cd {name}")
        intro = "With Python 3.11 and git:"
    else:
        intro = (
            "In a copy of the source repository this site is built from (its top folder holds "
            "`noxfile.py`), with Python 3.11:"
        )
    return "\n".join([intro, "", "```bash", *steps, "```"])


def _prefixed_ids(svg: str, prefix: str) -> str:
    """Give every id in ``svg`` (and every reference to one) a prefix, so copies can coexist."""
    ids = set(re.findall(r'\bid="([^"]+)"', svg))
    if not ids:
        return svg

    def rename(match: re.Match[str]) -> str:
        head, name, tail = match.groups()
        return f"{head}{prefix}{name}{tail}" if name in ids else match.group(0)

    svg = re.sub(r'(\bid=")([^"]+)(")', rename, svg)
    svg = re.sub(r"(url\(#)([^)]+)(\))", rename, svg)
    return re.sub(r'((?:xlink:)?href="#)([^"]+)(")', rename, svg)


def card_figure(page_html: str, caption_start: str, key: str) -> str:
    """The SVG of the figure whose caption starts with ``caption_start``, ready for a card.

    Raises ``ValueError`` when the page has no such figure (a caption was reworded).
    """
    for match in _FIGURE.finditer(page_html):
        caption = _CAPTION.search(match.group(1))
        text = re.sub(r"<[^>]+>", "", caption.group(1)) if caption else ""
        svg = _SVG.search(match.group(1))
        if svg and text.startswith(caption_start):
            label = text.replace('"', "&quot;")
            body = _prefixed_ids(svg.group(0), f"card-{key}-")
            body = body.replace("<svg ", f'<svg role="img" aria-label="{label}" ', 1)
            return f'<figure class="kb-card-figure">{body}</figure>'
    raise ValueError(f"no SVG figure captioned {caption_start!r}… for the {key} card")


def insert_figures(home_html: str, page_html: Mapping[str, str]) -> str:
    """Replace each card's marker with its figure; ``page_html`` maps page sources to HTML."""

    def figure(match: re.Match[str]) -> str:
        key = match.group(1)
        source, caption = CARD_FIGURES[key]
        return card_figure(page_html[source], caption, key)

    return _PLACEHOLDER.sub(figure, home_html)
