"""A bound on how deeply a JSON text nests, checked before anything parses it.

Python's json module (and rfc8785's encoder) recurse once per level: `[` x 100,000
is a RecursionError, not a parse error. No document of ours nests more than a dozen
levels, so 64 refuses only hostile input. Pure: no Django, no ORM.
"""

from __future__ import annotations

import numpy as np

MAX_JSON_DEPTH = 64

_KEPT = b'"[]{}'
_NOT_KEPT = bytes(b for b in range(256) if b not in _KEPT)
# Opening brackets become +1 and closing ones -1 (as signed bytes).
_STEPS = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")


def json_depth_exceeds(text: str | bytes, *, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether the arrays and objects of `text` (UTF-8 if bytes) nest more than
    `limit` deep. Brackets inside strings do not count.

    Meant for input about to be parsed: on malformed JSON the answer may be either,
    and the parser refuses it anyway. Every step is one C-level pass over the bytes.
    Measured on 1 MB bodies: about 1 ms when brackets are few (the usual body, text
    in strings; json.loads takes as long), 0.2-0.6x of json.loads when they are
    many, 17 ms to refuse 1 MB of `[`.
    """
    data = text.encode("utf-8", errors="replace") if isinstance(text, str) else text
    if data.count(b"[") + data.count(b"{") <= limit:
        return False
    # Escaped backslashes first, so that in `\\"` the quote still closes a string;
    # then every quote left delimits one.
    data = data.replace(b"\\\\", b"").replace(b'\\"', b"")
    marks = data.translate(None, delete=_NOT_KEPT)
    # Two adjacent quotes enclose (or sit between) no bracket: dropping the pair
    # leaves every bracket inside or outside a string as it was.
    marks = marks.replace(b'""', b"")
    if b'"' in marks:  # strings with brackets in them: keep what is outside
        marks = b"".join(marks.split(b'"')[::2])
    steps = np.frombuffer(marks.translate(_STEPS), dtype=np.int8)
    # The running sum is the depth at each bracket (4x faster than accumulate).
    return bool(steps.size) and int(steps.cumsum(dtype=np.int64).max()) > limit
