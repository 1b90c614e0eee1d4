"""Layered configuration: defaults, files and environment merged in order."""

from layercfg.merge import deep_merge, from_env, get_path, set_path
from layercfg.stack import ConfigStack

__all__ = ["ConfigStack", "deep_merge", "from_env", "get_path", "set_path"]
