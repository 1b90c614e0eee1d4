"""An ordered stack of named configuration layers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from layercfg.merge import deep_merge, get_path


class ConfigStack:
    """Named layers merged in the order they were added; later layers win."""

    def __init__(self) -> None:
        self._layers: list[tuple[str, dict[str, Any]]] = []

    def add_layer(self, name: str, values: Mapping[str, Any]) -> None:
        """Add a layer on top; a layer with the same name is replaced in place."""
        for index, (existing, _) in enumerate(self._layers):
            if existing == name:
                self._layers[index] = (name, dict(values))
                return
        self._layers.append((name, dict(values)))

    def remove_layer(self, name: str) -> None:
        """Drop the layer called `name`; KeyError if there is none."""
        for index, (existing, _) in enumerate(self._layers):
            if existing == name:
                del self._layers[index]
                return
        raise KeyError(name)

    def layer(self, name: str) -> dict[str, Any]:
        """The values of one layer as they were added."""
        for existing, values in self._layers:
            if existing == name:
                return values
        raise KeyError(name)

    @property
    def names(self) -> list[str]:
        """Layer names, bottom first."""
        return [name for name, _ in self._layers]

    def resolved(self) -> dict[str, Any]:
        """All layers merged into one dict."""
        merged: dict[str, Any] = {}
        for _, values in self._layers:
            merged = deep_merge(merged, values)
        return merged

    def get(self, path: str, default: Any = None) -> Any:
        """A dotted path looked up in the merged configuration."""
        return get_path(self.resolved(), path, default)
