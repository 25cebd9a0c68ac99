"""Reading a plan file's YAML mappings with the line of every key, for located errors."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode


class PlanError(ValueError):
    """The plan file is invalid; the message names the file and line."""


LABELS: dict[str, str] = {
    "id": "编号",
    "year": "年份",
    "group": "分组",
    "scope": "单位",
    "kind": "类型",
    "indicator": "指标",
    "value": "数值",
    "unit": "计量单位",
    "comparison": "比较方向",
    "baseline": "基期值",
    "growth_pct": "增长率",
    "deadline": "完成时限",
    "label": "简称",
    "source": "原文",
    "note": "备注",
    "baselines": "基期数据",
    "targets": "目标",
    "revisions": "调整",
}


def key_label(name: str) -> str:
    label = LABELS.get(name)
    return f"'{name}' ({label})" if label else f"'{name}'"


def node_line(node: Node) -> int:
    return int(node.start_mark.line) + 1


class Entry:
    """One YAML mapping: values by key, with the line of each key, for located errors."""

    def __init__(self, path: Path, what: str, node: Node, loader: yaml.SafeLoader) -> None:
        self.path = path
        self.what = what
        self.line = node_line(node)
        if not isinstance(node, MappingNode):
            raise self.error(f"expected a mapping, found {node.tag}")
        self.values: dict[str, Any] = {}
        self.lines: dict[str, int] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                raise PlanError(f"{path}:{node_line(key_node)}: {what}: keys must be plain strings")
            key = str(key_node.value)
            if key in self.values:
                raise PlanError(
                    f"{path}:{node_line(key_node)}: {what}: duplicate key {key_label(key)}"
                )
            self.values[key] = loader.construct_object(value_node, deep=True)
            self.lines[key] = node_line(key_node)

    def error(self, message: str, key: str | None = None) -> PlanError:
        line = self.lines.get(key, self.line) if key else self.line
        return PlanError(f"{self.path}:{line}: {self.what}: {message}")

    def check_keys(self, required: tuple[str, ...], optional: tuple[str, ...]) -> None:
        for key in self.values:
            if key not in required and key not in optional:
                raise self.error(f"unknown key {key!r}", key)
        for key in required:
            if key not in self.values or self.values[key] is None:
                raise self.error(f"missing required key {key_label(key)}")

    def has(self, key: str) -> bool:
        return self.values.get(key) is not None

    def text(self, key: str) -> str:
        value = self.values[key]
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise self.error(f"{key_label(key)} must be text, got {value!r}", key)
        text = str(value).strip()
        if not text:
            raise self.error(f"{key_label(key)} is empty", key)
        return text

    def optional_text(self, key: str) -> str | None:
        return self.text(key) if self.has(key) else None

    def number(self, key: str) -> float:
        value = self.values[key]
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.error(f"{key_label(key)} must be a number, got {value!r}", key)
        if not math.isfinite(value):
            raise self.error(f"{key_label(key)} must be finite, got {value!r}", key)
        return float(value)

    def optional_number(self, key: str) -> float | None:
        return self.number(key) if self.has(key) else None

    def integer(self, key: str) -> int:
        value = self.values[key]
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(f"{key_label(key)} must be an integer, got {value!r}", key)
        return value
