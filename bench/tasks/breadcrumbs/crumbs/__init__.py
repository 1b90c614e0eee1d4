"""Breadcrumb navigation trails derived from URL paths."""

from crumbs.trail import Crumb, humanize, render, split_path, trail

__all__ = ["Crumb", "humanize", "render", "split_path", "trail"]
