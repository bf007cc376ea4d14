"""Read and validate ``docs/topics.yml``, the map from topic id to page and heading."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

MANIFEST = Path(__file__).resolve().parent.parent / "docs" / "topics.yml"
STATUSES = ("planned", "done")
# In reading order: a section comes after the sections its pages rely on (the CNN pages use
# BatchNorm and dropout from Training; image filters are explained as convolutions; detection
# builds on CNN features and image pyramids; its metrics need IoU and detections).
SECTIONS = {
    "foundations": ("Foundations", "基础"),
    "training": ("Training", "训练"),
    "cnn": ("Convolutional networks", "卷积神经网络"),
    "image": ("Image processing", "图像处理"),
    "attention": ("Attention", "注意力机制"),
    "detection": ("Object detection", "目标检测"),
    "metrics": ("Evaluation metrics", "评价指标"),
    "generative": ("Generative models", "生成模型与无监督"),
    "rl": ("Reinforcement learning", "强化学习"),
}
FIELDS = ("id", "title", "zh", "page", "anchor", "status", "keywords")


@dataclass(frozen=True)
class Topic:
    """One manifest entry.

    ``keywords`` are other names a reader may search for, Chinese and English (synonyms,
    abbreviations, the notes' own variants): the search index attaches them to the topic's
    section, and the glossary lists them.
    """

    id: str
    title: str
    zh: str
    page: str
    anchor: str
    status: str
    keywords: tuple[str, ...] = ()

    @property
    def section(self) -> str:
        return self.id.split(".", 1)[0]

    @property
    def done(self) -> bool:
        return self.status == "done"


def _keywords(topic_id: str, value: object, names: tuple[str, str]) -> tuple[str, ...]:
    """Validate one entry's ``keywords``: a list of distinct, non-empty, new names."""
    if not isinstance(value, list):
        raise TypeError(
            f"topic {topic_id}: keywords must be a list of strings, got {type(value).__name__}"
        )
    seen: set[str] = set()
    for word in value:
        if not isinstance(word, str) or not word.strip():
            raise ValueError(f"topic {topic_id}: keywords must be non-empty strings, got {word!r}")
        if word != word.strip():
            raise ValueError(f"topic {topic_id}: keyword {word!r} has surrounding spaces")
        key = word.casefold()
        if key in seen:
            raise ValueError(f"topic {topic_id}: keyword {word!r} is listed twice")
        if key in {name.casefold() for name in names}:
            raise ValueError(f"topic {topic_id}: keyword {word!r} repeats the title or zh")
        seen.add(key)
    return tuple(value)


def load(path: Path = MANIFEST) -> list[Topic]:
    """Parse the manifest, raising ``ValueError``/``TypeError`` on a malformed entry."""
    entries = yaml.safe_load(path.read_text(encoding="utf-8"))["topics"]
    topics = []
    for entry in entries:
        unknown = set(entry) - set(FIELDS)
        if unknown:
            raise ValueError(
                f"{path}: topic {entry.get('id')} has unknown fields {sorted(unknown)}"
            )
        fields = dict(entry)
        if "keywords" in fields:
            fields["keywords"] = _keywords(
                str(entry.get("id")), fields["keywords"], (entry["title"], entry["zh"])
            )
        topic = Topic(**fields)
        if topic.section not in SECTIONS:
            raise ValueError(f"{path}: topic {topic.id} has unknown section {topic.section!r}")
        if topic.status not in STATUSES:
            raise ValueError(
                f"{path}: topic {topic.id} has status {topic.status!r}, not one of {STATUSES}"
            )
        topics.append(topic)
    ids = [t.id for t in topics]
    if len(ids) != len(set(ids)):
        raise ValueError(f"{path}: duplicate topic ids")
    return topics
