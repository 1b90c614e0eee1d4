"""Encode, decode and edit URL query strings (application/x-www-form-urlencoded)."""

from formquery.codec import build_query, decode_component, encode_component, parse_query
from formquery.urls import get_param, set_params, strip_params

__all__ = ["build_query", "decode_component", "encode_component", "get_param", "parse_query", "set_params", "strip_params"]
