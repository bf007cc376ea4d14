"""The glossary, generated from ``docs/topics.yml``: by English name and by pinyin.

Two lists of the same topics, each grouped under letter headings (which give the page a
table of contents, and search results a place to land): one sorted by the English name, for a
reader who knows the English term, and one by the pinyin of the Chinese term, for a reader who
knows only the Chinese. Each row links to the topic's section and names its other names (the
manifest's keywords), so a synonym is found on the page too.
"""

from __future__ import annotations

import posixpath
import re
import unicodedata
from collections.abc import Callable, Iterable

from pypinyin import Style, lazy_pinyin, load_phrases_dict, pinyin

from tools.manifest import SECTIONS, Topic

# On a heading (attr_list), leaves its section out of Material's search index.
_NOT_INDEXED = 'data-search-exclude="1"'
HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
# Readings that pypinyin's phrase table gets wrong for these terms (差 is chā in 残差 and
# 方差, 调 is tiáo in 微调).
load_phrases_dict(
    {"残差": [["cán"], ["chā"]], "方差": [["fāng"], ["chā"]], "微调": [["wēi"], ["tiáo"]]}
)


def link(topic: Topic, from_page: str, text: str | None = None) -> str:
    """A Markdown link from ``from_page`` (a path under ``docs/``) to the topic's section."""
    target = posixpath.relpath(topic.page, posixpath.dirname(from_page) or ".")
    return f"[{text or topic.title}]({target}#{topic.anchor})"


def pinyin_key(term: str) -> tuple[str, ...]:
    """Sort key of a Chinese term: its toneless pinyin syllables, Latin text lower-cased.

    ``"批量归一化"`` gives ``("pi", "liang", "gui", "yi", "hua")``; text that is not Han
    (``"Softmax 归一化指数函数"``) keeps its letters, so it sorts with the S's.
    """
    if not isinstance(term, str) or not term.strip():
        raise ValueError(f"term must be a non-empty string, got {term!r}")
    syllables = [s.strip().lower() for s in lazy_pinyin(term)]
    return tuple(s for s in syllables if any(c.isalnum() for c in s))


def pinyin_with_tones(term: str) -> str:
    """``term`` in pinyin with tone marks, other text kept: ``"梯度, 方向导数"`` gives
    ``"tī dù, fāng xiàng dǎo shù"``."""
    parts = [item[0].strip() for item in pinyin(term, style=Style.TONE)]
    text = re.sub(r" ([,，、])", r"\1", " ".join(p for p in parts if p))
    return re.sub(r"\s*([/-])\s*", r"\1", text)


def english_key(title: str) -> tuple[str, ...]:
    """Sort key of an English name: case-folded, accents and punctuation ignored."""
    plain = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    return tuple(re.findall(r"[a-z0-9]+", plain.casefold()))


def _letter(key: tuple[str, ...]) -> str:
    first = key[0][0] if key and key[0] else "0"
    return first.upper() if first.isalpha() else "0–9"


def _grouped(
    topics: Iterable[Topic], key: Callable[[Topic], tuple[str, ...]]
) -> dict[str, list[Topic]]:
    groups: dict[str, list[Topic]] = {}
    for topic in sorted(topics, key=lambda t: (key(t), t.id)):
        groups.setdefault(_letter(key(topic)), []).append(topic)
    return groups


def _section(topic: Topic) -> str:
    english, chinese = SECTIONS[topic.section]
    return f"{english} · {chinese}"


def _names(words: Iterable[str]) -> str:
    return ", ".join(w.replace("|", "\\|") for w in words)


def _letters(groups: dict[str, list[Topic]], prefix: str) -> str:
    return " · ".join(f"[{letter}](#{prefix}-{_slug(letter)})" for letter in groups)


def _slug(letter: str) -> str:
    return letter.lower() if letter.isalpha() else "num"


def glossary(topics: list[Topic], page: str) -> str:
    """The glossary's body in Markdown: the English list, then the pinyin list.

    Args:
        topics: the manifest's topics.
        page: the path under ``docs/`` of the page the Markdown goes into (for links).
    """
    by_english = _grouped(topics, lambda t: english_key(t.title))
    by_pinyin = _grouped(topics, lambda t: pinyin_key(t.zh))
    out = [
        "## By English name · 按英文排序 {#by-english}\n",
        _letters(by_english, "en") + "\n",
    ]
    for letter, members in by_english.items():
        out.append(f"\n### {letter} {{#en-{_slug(letter)}}}\n")
        out.append("| English | 中文 | Also called | Section |\n|---|---|---|---|")
        for t in members:
            others = _names(w for w in t.keywords if not HAN.search(w))
            out.append(f"| {link(t, page)} | {t.zh} | {others} | {_section(t)} |")
    # The pinyin list repeats the English one in another order: left out of the search index.
    out += [
        f"\n## By pinyin · 按拼音排序 {{#by-pinyin {_NOT_INDEXED}}}\n",
        _letters(by_pinyin, "zh") + "\n",
    ]
    for letter, members in by_pinyin.items():
        out.append(f"\n### {letter} {{#zh-{_slug(letter)} {_NOT_INDEXED}}}\n")
        out.append("| 中文 | 拼音 | 又称 | English | Section |\n|---|---|---|---|---|")
        for t in members:
            others = _names(w for w in t.keywords if HAN.search(w))
            out.append(
                f"| {link(t, page, t.zh)} | {pinyin_with_tones(t.zh)} | {others} "
                f"| {t.title} | {_section(t)} |"
            )
    return "\n".join(out) + "\n"
