"""The textual run-length format: a count before every character that repeats."""

from __future__ import annotations

from rlecodec.runs import encode_runs


def encode(text: str) -> str:
    """Compress `text`: "aaabcc" becomes "3ab2c".

    A run of one character is written as the bare character. Digits cannot
    be encoded, since they would read back as counts.
    """
    if any(char.isdigit() for char in text):
        raise ValueError("text with digits cannot be run-length encoded")
    return "".join(f"{count}{char}" if count > 1 else char for char, count in encode_runs(text))


def decode(data: str) -> str:
    """Expand text written by `encode`: "3ab2c" becomes "aaabcc".

    A character without a count before it stands for itself once. Counts may
    have several digits: "12x" is twelve x's. A count must be followed by the
    character it repeats.
    """
    pieces: list[str] = []
    count = ""
    for char in data:
        if char.isdigit():
            count += char
            continue
        repeat = int(count) if count else 1
        if repeat == 0:
            raise ValueError(f"zero count before {char!r} in {data!r}")
        pieces.append(char * repeat)
    if count:
        raise ValueError(f"count {count!r} at the end of {data!r} repeats nothing")
    return "".join(pieces)


def compression_ratio(text: str) -> float:
    """Length of the encoded text over the length of `text` (1.0 for empty text)."""
    if not text:
        return 1.0
    return len(encode(text)) / len(text)
