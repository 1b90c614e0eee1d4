"""Store a list of tags in one text column, e.g. "python,web,async"."""

from tagcodec.codec import decode_tags, encode_tags
from tagcodec.tags import normalize_tags

__all__ = ["decode_tags", "encode_tags", "normalize_tags"]
