"""Read strings, integers and booleans from a mapping of string settings."""

from __future__ import annotations

from collections.abc import Mapping

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


class SettingsError(Exception):
    """A setting is missing or cannot be read as the requested type."""


class Settings:
    """Typed view of `values`, optionally restricted to names starting with `prefix`."""

    def __init__(self, values: Mapping[str, str], prefix: str = "") -> None:
        self._values = dict(values)
        self._prefix = prefix

    def name(self, key: str) -> str:
        """Full setting name for `key`, prefix included."""
        return self._prefix + key

    def get_str(self, key: str, default: str | None = None) -> str:
        """The raw string; SettingsError when missing and no default is given."""
        try:
            return self._values[self.name(key)]
        except KeyError:
            if default is None:
                raise SettingsError(f"missing setting {self.name(key)}") from None
            return default

    def get_int(self, key: str, default: int | None = None) -> int:
        """An integer setting; SettingsError when missing (without default) or not a number."""
        raw = self.get_str(key, None if default is None else str(default))
        try:
            return int(raw)
        except TypeError:
            raise SettingsError(f"{self.name(key)} must be an integer, got {raw!r}") from None

    def get_bool(self, key: str, default: bool | None = None) -> bool:
        """A yes/no setting: 1/true/yes/on or 0/false/no/off, any case."""
        raw = self.get_str(key, None if default is None else str(default))
        word = raw.strip().lower()
        if word in _TRUE:
            return True
        if word in _FALSE:
            return False
        raise SettingsError(f"{self.name(key)} must be a yes/no value, got {raw!r}")
