"""A `du`-like tree of files and folders with recursive sizes."""

from diskusage.tree import Node, count_files, file, find, folder, largest, total_size

__all__ = ["Node", "count_files", "file", "find", "folder", "largest", "total_size"]
