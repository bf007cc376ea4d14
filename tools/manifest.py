"""Read and validate ``docs/topics.yml``, the map from topic id to page and heading."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

MANIFEST = Path(__file__).resolve().parent.parent / "docs" / "topics.yml"
STATUSES = ("planned", "done")
SECTIONS = {
    "foundations": ("Foundations", "基础"),
    "cnn": ("Convolutional networks", "卷积神经网络"),
    "image": ("Image processing", "图像处理"),
    "training": ("Training", "训练"),
    "attention": ("Attention", "注意力机制"),
    "detection": ("Object detection", "目标检测"),
    "metrics": ("Evaluation metrics", "评价指标"),
    "generative": ("Generative models", "生成模型与无监督"),
    "rl": ("Reinforcement learning", "强化学习"),
}


@dataclass(frozen=True)
class Topic:
    """One manifest entry."""

    id: str
    title: str
    zh: str
    page: str
    anchor: str
    status: str

    @property
    def section(self) -> str:
        return self.id.split(".", 1)[0]

    @property
    def done(self) -> bool:
        return self.status == "done"


def load(path: Path = MANIFEST) -> list[Topic]:
    """Parse the manifest, raising ``ValueError`` on a malformed entry."""
    entries = yaml.safe_load(path.read_text(encoding="utf-8"))["topics"]
    topics = []
    for entry in entries:
        topic = Topic(**entry)
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
