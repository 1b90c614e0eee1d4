"""Compute file checksums and verify directories against checksum manifests."""

from digestcheck.digest import bytes_digest, file_digest, list_files
from digestcheck.manifest import Problem, build_manifest, parse_manifest, verify

__all__ = [
    "Problem",
    "build_manifest",
    "bytes_digest",
    "file_digest",
    "list_files",
    "parse_manifest",
    "verify",
]
