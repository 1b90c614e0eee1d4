"""Typed settings read from environment-style string mappings such as os.environ."""

from envsettings.settings import Settings, SettingsError

__all__ = ["Settings", "SettingsError"]
