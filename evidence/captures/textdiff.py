"""The text diff between two captures of a page (no ORM, no HTML).

Built on ``difflib``: the lines of the earlier capture's text against the
later one's, as a unified diff (hunks with three lines of context) or as
side-by-side rows. The result is plain data; the template escapes it.

Bounded whatever the pages: each text is cut at ``MAX_LINES`` lines (the
caller reads at most ``MAX_CHARS`` characters of it), each line at
``MAX_LINE_CHARS``, and the output at ``MAX_ROWS`` rows; a diff cut short says
so (``truncated``) rather than pretending to be whole. ``difflib``'s matcher is
quadratic in the worst case, so the line cap is what keeps a huge page's diff
from taking minutes.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

MAX_CHARS = 1_000_000
MAX_LINES = 5_000
MAX_LINE_CHARS = 2_000
MAX_ROWS = 3_000
CONTEXT = 3


@dataclass(frozen=True)
class Line:
    """One line of a unified diff: kind is "hunk", "context", "added" or
    "removed"; numbers are 1-based (None where the line has no side)."""

    kind: str
    text: str
    old_number: int | None = None
    new_number: int | None = None


@dataclass(frozen=True)
class Row:
    """One side-by-side row: kind is "equal", "changed", "added", "removed" or
    "skipped" (unchanged lines left out, ``text`` says how many)."""

    kind: str
    old_text: str = ""
    new_text: str = ""
    old_number: int | None = None
    new_number: int | None = None


@dataclass(frozen=True)
class TextDiff:
    lines: list[Line] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)
    added: int = 0
    removed: int = 0
    truncated: bool = False

    @property
    def is_same(self) -> bool:
        return not (self.added or self.removed)


def split(text: str) -> tuple[list[str], bool]:
    """The text's lines, bounded; and whether anything was cut."""
    lines = text.splitlines()
    cut = len(lines) > MAX_LINES
    lines = lines[:MAX_LINES]
    bounded = [line[:MAX_LINE_CHARS] for line in lines]
    cut = cut or any(len(a) != len(b) for a, b in zip(lines, bounded, strict=True))
    return bounded, cut


def diff_texts(old: str, new: str, *, truncated: bool = False) -> TextDiff:
    """The diff from ``old`` to ``new``. ``truncated`` says the caller already
    cut one of them (read at most MAX_CHARS)."""
    old_lines, old_cut = split(old)
    new_lines, new_cut = split(new)
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    groups = list(matcher.get_grouped_opcodes(CONTEXT))
    lines: list[Line] = []
    rows: list[Row] = []
    added = removed = 0
    cut = truncated or old_cut or new_cut
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag in ("replace", "delete"):
            removed += i2 - i1
        if tag in ("replace", "insert"):
            added += j2 - j1
    for group in groups:
        first, last = group[0], group[-1]
        lines.append(
            Line(
                "hunk",
                f"@@ -{_range(first[1], last[2])} +{_range(first[3], last[4])} @@",
            )
        )
        if rows:
            rows.append(Row("skipped", old_text="…", new_text="…"))
        for tag, i1, i2, j1, j2 in group:
            lines.extend(_unified(tag, old_lines, new_lines, i1, i2, j1, j2))
            rows.extend(_side_by_side(tag, old_lines, new_lines, i1, i2, j1, j2))
    if len(lines) > MAX_ROWS or len(rows) > MAX_ROWS:
        cut = True
    return TextDiff(
        lines=lines[:MAX_ROWS],
        rows=rows[:MAX_ROWS],
        added=added,
        removed=removed,
        truncated=cut,
    )


def _range(start: int, stop: int) -> str:
    """A unified diff's range, as difflib writes it."""
    length = stop - start
    if length == 1:
        return str(start + 1)
    return f"{start + 1 if length else start},{length}"


def _unified(
    tag: str, old: list[str], new: list[str], i1: int, i2: int, j1: int, j2: int
) -> list[Line]:
    if tag == "equal":
        return [
            Line("context", old[i], old_number=i + 1, new_number=j1 + k + 1)
            for k, i in enumerate(range(i1, i2))
        ]
    out = [Line("removed", old[i], old_number=i + 1) for i in range(i1, i2)]
    out += [Line("added", new[j], new_number=j + 1) for j in range(j1, j2)]
    return out


def _side_by_side(
    tag: str, old: list[str], new: list[str], i1: int, i2: int, j1: int, j2: int
) -> list[Row]:
    if tag == "equal":
        return [
            Row(
                "equal",
                old_text=old[i],
                new_text=old[i],
                old_number=i + 1,
                new_number=j1 + k + 1,
            )
            for k, i in enumerate(range(i1, i2))
        ]
    rows = []
    for k in range(max(i2 - i1, j2 - j1)):
        i, j = i1 + k, j1 + k
        has_old, has_new = i < i2, j < j2
        kind = "changed" if has_old and has_new else "removed" if has_old else "added"
        rows.append(
            Row(
                kind,
                old_text=old[i] if has_old else "",
                new_text=new[j] if has_new else "",
                old_number=i + 1 if has_old else None,
                new_number=j + 1 if has_new else None,
            )
        )
    return rows
