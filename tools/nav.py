"""The site navigation: bilingual section labels, one home per page, a reading order.

A page lives in the section of its directory (``training/optimizers.md`` is in Training, even
though a foundations topic points to it), and the sections and their pages follow
:data:`READING_ORDER`, in which a page comes after the pages it relies on. Pages take their
navigation title from their H1, which is written "English · 中文".
"""

from __future__ import annotations

from pathlib import Path

from tools.manifest import SECTIONS, Topic

HOME = ("Home · 首页", "index.md")
GLOSSARY = "glossary.md"

# Section order is SECTIONS' order; within a section, a page comes after those it relies on.
READING_ORDER: dict[str, tuple[str, ...]] = {
    "foundations": (
        "fitting.md",  # what a network is for
        "tensors.py",  # the data structure
        "backprop.md",  # gradients, then the chain rule
        "activations.md",
        "information.md",  # norms and cross-entropy, used by every loss
        "gradients.md",  # vanishing gradients need backprop and the activations' slopes
        "spiral.py",  # a first training run, using all of the above
        "faq.md",
    ),
    "training": (
        "optimizers.md",  # gradient descent itself
        "schedules.md",
        "losses.md",
        "normalization.md",
        "regularization.md",
        "memory.md",  # refers to BatchNorm and the optimisers' state
    ),
    "cnn": (
        "convolution.md",
        "pooling.md",
        "receptive-field.md",  # grows through convolutions and pooling
        "conv-variants.md",
        "architectures.md",  # built from all of the above
    ),
    "image": ("filters.md", "pyramids.md", "opencv.md"),
    "attention": ("overview.md", "transformer.md", "cv-modules.md", "seq2seq.py"),
    "detection": (
        "iou.md",
        "nms.md",  # ranks boxes by IoU
        "anchors.md",
        "feature-pyramids.md",
        "detectors.md",  # anchors, FPN and NMS together
        "augmentation.md",
    ),
    "metrics": ("precision-recall.md", "ap-map.md", "segmentation.md"),
    "generative": ("gan.py", "autoencoder.md"),
    "rl": ("actor-critic.py",),
}


def section_label(key: str) -> str:
    """The navigation label of a section, e.g. ``"Training · 训练"``."""
    if key not in SECTIONS:
        raise ValueError(f"key must be one of {list(SECTIONS)}, got {key!r}")
    english, chinese = SECTIONS[key]
    return f"{english} · {chinese}"


def reading_order(
    topics: list[Topic], docs_dir: Path, order: dict[str, tuple[str, ...]] = READING_ORDER
) -> list[tuple[str, list[str]]]:
    """Sections in reading order, each with its pages (paths under ``docs/``).

    Raises ``ValueError`` unless ``order`` lists every page that hosts a topic exactly once,
    each in the section of its directory, and every listed page exists.
    """
    listed = [f"{key}/{name}" for key, names in order.items() for name in names]
    twice = sorted({page for page in listed if listed.count(page) > 1})
    if twice:
        raise ValueError(f"tools/nav.py: READING_ORDER lists {twice} more than once")
    unknown = sorted(set(order) - set(SECTIONS))
    if unknown:
        raise ValueError(f"tools/nav.py: READING_ORDER has unknown sections {unknown}")
    missing = sorted({t.page for t in topics if t.done} - set(listed))
    if missing:
        raise ValueError(f"tools/nav.py: add {missing} to READING_ORDER (in its directory)")
    absent = [page for page in listed if not (docs_dir / page).is_file()]
    if absent:
        raise ValueError(f"tools/nav.py: READING_ORDER lists pages that do not exist: {absent}")
    return [(key, [f"{key}/{name}" for name in order.get(key, ())]) for key in SECTIONS]


def build_nav(topics: list[Topic], docs_dir: Path) -> list[dict[str, object]]:
    """MkDocs ``nav``: home, one bilingual section per topic section, glossary."""
    nav: list[dict[str, object]] = [{HOME[0]: HOME[1]}]
    for key, pages in reading_order(topics, docs_dir):
        if pages:
            nav.append({section_label(key): pages})
    nav.append({"Glossary · 术语表": GLOSSARY})
    api = ["api/index.md", *(f"api/{key}.md" for key in SECTIONS)]  # tools/api_pages.py
    nav.append({"API reference · API 索引": api})
    return nav
