"""Model replies for the agent-loop tests: right, wrong and broken rewrites of the examples' functions."""

DIAGNOSIS = "The integer division drops the partly filled last page."

PAGE_FIX = """Here is the corrected function:

```python
def page_count(total_items: int, per_page: int) -> int:
    if per_page <= 0:
        raise ValueError(f"per_page must be positive, got {per_page}")
    if total_items <= 0:
        return 0
    return (total_items - 1) // per_page + 1
```
"""

# Valid Python that still fails every target test.
PAGE_WRONG = """```python
def page_count(total_items: int, per_page: int) -> int:
    if per_page <= 0:
        raise ValueError(f"per_page must be positive, got {per_page}")
    if total_items <= 0:
        return 0
    return (total_items - 1) // per_page - 1
```"""

# Makes the target tests pass, but drops the check another test relies on.
PAGE_BREAKS_A_PASSING_TEST = """```python
def page_count(total_items: int, per_page: int) -> int:
    if total_items <= 0:
        return 0
    return -(-total_items // per_page)
```"""

PAGE_TIDY = """```python
def page_count(total_items: int, per_page: int) -> int:
    if per_page <= 0:
        raise ValueError(f"per_page must be positive, got {per_page}")
    return max(total_items, 0) and (total_items - 1) // per_page + 1
```"""

PAGE_HANGS = """```python
def page_count(total_items: int, per_page: int) -> int:
    while True:
        pass
```"""

UNUSABLE = [
    "",
    "I believe the function is correct as written.",
    "```python\ndef count_pages(total_items, per_page):\n    return 1\n```",
    "```python\ndef page_count(total_items, per_page)\n    return (total_items + per_page - 1) // per_page\n```",
    "```python\ndef page_count(total_items, per_page):\n    nonlocal pages\n    return pages\n```",
]

DECODE_FIX = r"""```python
def decode_tags(text: str) -> list[str]:
    if not text:
        return []
    tags, current, escaped = [], [], False
    for char in text:
        if escaped:
            current.append(char)
            escaped = False
        elif char == ESCAPE:
            escaped = True
        elif char == SEPARATOR:
            tags.append("".join(current))
            current = []
        else:
            current.append(char)
    tags.append("".join(current))
    return tags
```"""

ENCODE_FIX = r"""```python
def encode_tags(tags: list[str]) -> str:
    for tag in tags:
        if not tag:
            raise ValueError("tags must not be empty")
    return SEPARATOR.join(t.replace(ESCAPE, ESCAPE * 2).replace(SEPARATOR, ESCAPE + SEPARATOR) for t in tags)
```"""
