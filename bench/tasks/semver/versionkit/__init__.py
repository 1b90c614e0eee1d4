"""Semantic versions (https://semver.org): parse, order and bump."""

from versionkit.version import InvalidVersion, Version, bump, parse_version, sort_versions

__all__ = ["InvalidVersion", "Version", "bump", "parse_version", "sort_versions"]
