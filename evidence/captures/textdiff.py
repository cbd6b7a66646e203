"""The text diff between two captures of a page (no ORM, no HTML).

Built on ``difflib``: the lines of the earlier capture's text against the
later one's, as a unified diff (hunks with three lines of context) or as
side-by-side rows. The result is plain data; the template escapes it.

Bounded whatever the pages: the caller reads at most ``MAX_CHARS`` characters
of each text, each line is cut at ``MAX_LINE_CHARS``, the part that differs
(between the lines both share at the start and the end) at ``MAX_LINES`` lines
of each side, and the output at ``MAX_ROWS`` rows; a diff cut short says so
(``truncated``) rather than pretending to be whole. ``difflib``'s matcher is
quadratic in the worst case, so the line cap on the differing part is what
keeps an adversarial page's diff to about a second.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

MAX_CHARS = 1_000_000
MAX_LINES = 2_000
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
    """The text's lines, each cut at MAX_LINE_CHARS; and whether any was cut."""
    lines = text.splitlines()
    bounded = [line[:MAX_LINE_CHARS] for line in lines]
    cut = any(len(a) != len(b) for a, b in zip(lines, bounded, strict=True))
    return bounded, cut


def diff_texts(old: str, new: str, *, truncated: bool = False) -> TextDiff:
    """The diff from ``old`` to ``new``. ``truncated`` says the caller already
    cut one of them (read at most MAX_CHARS).

    The lines both share at the start and at the end are matched in linear
    time; only what lies between goes to difflib's matcher, at most
    MAX_LINES lines of each side (its worst case is quadratic: about a second
    at that size on adversarial text, milliseconds on real pages).
    """
    old_lines, old_cut = split(old)
    new_lines, new_cut = split(new)
    cut = truncated or old_cut or new_cut
    head = 0
    limit = min(len(old_lines), len(new_lines))
    while head < limit and old_lines[head] == new_lines[head]:
        head += 1
    tail = 0
    while (
        tail < limit - head
        and old_lines[len(old_lines) - 1 - tail] == new_lines[len(new_lines) - 1 - tail]
    ):
        tail += 1
    old_stop, new_stop = len(old_lines) - tail, len(new_lines) - tail
    if old_stop - head > MAX_LINES or new_stop - head > MAX_LINES:
        # Too much changed to compare whole: the first MAX_LINES of each middle.
        cut = True
        old_stop = min(old_stop, head + MAX_LINES)
        new_stop = min(new_stop, head + MAX_LINES)
        tail = 0
    # difflib's own heuristic (as unified_diff uses): lines that make up over 1%
    # of a long text (blank lines, repeated boilerplate) do not anchor matches.
    matcher = difflib.SequenceMatcher(
        None, old_lines[head:old_stop], new_lines[head:new_stop]
    )
    opcodes = [("equal", 0, head, 0, head)] if head else []
    opcodes += [
        (tag, i1 + head, i2 + head, j1 + head, j2 + head)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes()
    ]
    if tail:
        opcodes.append(("equal", old_stop, old_stop + tail, new_stop, new_stop + tail))
    lines: list[Line] = []
    rows: list[Row] = []
    added = removed = 0
    for tag, i1, i2, j1, j2 in opcodes:
        if tag in ("replace", "delete"):
            removed += i2 - i1
        if tag in ("replace", "insert"):
            added += j2 - j1
    for group in _grouped(opcodes, CONTEXT):
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
            if len(lines) > MAX_ROWS and len(rows) > MAX_ROWS:
                break
        if len(lines) > MAX_ROWS and len(rows) > MAX_ROWS:
            break
    if len(lines) > MAX_ROWS or len(rows) > MAX_ROWS:
        cut = True
    return TextDiff(
        lines=lines[:MAX_ROWS],
        rows=rows[:MAX_ROWS],
        added=added,
        removed=removed,
        truncated=cut,
    )


Opcode = tuple[str, int, int, int, int]


def _grouped(opcodes: list[Opcode], context: int) -> list[list[Opcode]]:
    """The changes with ``context`` lines around them, in hunks: difflib's
    ``SequenceMatcher.get_grouped_opcodes``, over opcodes built here."""
    if not opcodes or all(op[0] == "equal" for op in opcodes):
        return []
    codes = list(opcodes)
    if codes[0][0] == "equal":
        tag, i1, i2, j1, j2 = codes[0]
        codes[0] = tag, max(i1, i2 - context), i2, max(j1, j2 - context), j2
    if codes[-1][0] == "equal":
        tag, i1, i2, j1, j2 = codes[-1]
        codes[-1] = tag, i1, min(i2, i1 + context), j1, min(j2, j1 + context)
    span = context + context
    groups: list[list[Opcode]] = []
    group: list[Opcode] = []
    for tag, i1, i2, j1, j2 in codes:
        if tag == "equal" and i2 - i1 > span:
            group.append((tag, i1, min(i2, i1 + context), j1, min(j2, j1 + context)))
            groups.append(group)
            group = []
            i1, j1 = max(i1, i2 - context), max(j1, j2 - context)
        group.append((tag, i1, i2, j1, j2))
    if group and not (len(group) == 1 and group[0][0] == "equal"):
        groups.append(group)
    return groups


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
