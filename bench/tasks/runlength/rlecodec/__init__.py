"""Run-length encoding: "aaabcc" <-> "3ab2c", and runs of arbitrary items."""

from rlecodec.codec import compression_ratio, decode, encode
from rlecodec.runs import decode_runs, encode_runs, longest_run

__all__ = ["compression_ratio", "decode", "decode_runs", "encode", "encode_runs", "longest_run"]
