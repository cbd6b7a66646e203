"""The text diff between two captures (pure: evidence/captures/textdiff.py)."""

from __future__ import annotations

import difflib

from evidence.captures import textdiff

OLD = "\n".join(f"line {n}" for n in range(1, 21))
NEW = OLD.replace("line 3", "line three").replace("line 18\n", "") + "\nline 21"


def _unified(diff: textdiff.TextDiff) -> list[str]:
    marks = {"hunk": "", "context": " ", "added": "+", "removed": "-"}
    return [marks[line.kind] + line.text for line in diff.lines]


def test_unified_lines_are_difflibs_with_three_lines_of_context():
    diff = textdiff.diff_texts(OLD, NEW)

    assert _unified(diff) == [
        "@@ -1,6 +1,6 @@",
        " line 1",
        " line 2",
        "-line 3",
        "+line three",
        " line 4",
        " line 5",
        " line 6",
        "@@ -15,6 +15,6 @@",
        " line 15",
        " line 16",
        " line 17",
        "-line 18",
        " line 19",
        " line 20",
        "+line 21",
    ]
    reference = difflib.unified_diff(
        OLD.splitlines(), NEW.splitlines(), lineterm="", n=3
    )
    assert _unified(diff) == list(reference)[2:]
    assert (diff.added, diff.removed, diff.is_same) == (2, 2, False)


def test_side_by_side_pairs_changed_lines_and_marks_the_gap():
    diff = textdiff.diff_texts(OLD, NEW)

    rows = [
        (r.kind, r.old_number, r.old_text, r.new_number, r.new_text) for r in diff.rows
    ]
    assert rows[2] == ("changed", 3, "line 3", 3, "line three")
    assert rows[6] == ("skipped", None, "…", None, "…")
    assert rows[10] == ("removed", 18, "line 18", None, "")
    assert rows[-1] == ("added", None, "", 20, "line 21")
    assert len(rows) == 14


def test_the_same_text_has_no_lines():
    diff = textdiff.diff_texts(OLD, OLD)

    assert (diff.lines, diff.rows, diff.is_same, diff.truncated) == (
        [],
        [],
        True,
        False,
    )


def test_a_huge_page_with_one_change_is_compared_whole():
    old = "\n".join(f"row {n}" for n in range(textdiff.MAX_LINES * 10))
    new = old.replace("row 1\n", "row one\n", 1)

    diff = textdiff.diff_texts(old, new)

    assert diff.truncated is False
    assert (diff.added, diff.removed) == (1, 1)
    assert _unified(diff) == [
        "@@ -1,5 +1,5 @@",
        " row 0",
        "-row 1",
        "+row one",
        " row 2",
        " row 3",
        " row 4",
    ]


def test_changes_further_apart_than_the_line_cap_are_compared_in_part():
    old = "\n".join(f"row {n}" for n in range(textdiff.MAX_LINES * 10))
    new = old.replace("row 1\n", "row one\n", 1) + "\nrow added far below"

    diff = textdiff.diff_texts(old, new)

    assert diff.truncated is True
    assert (diff.added, diff.removed) == (1, 1)  # the far change is past the cap


def test_a_change_longer_than_the_line_cap_is_compared_in_part_and_says_so():
    count = textdiff.MAX_LINES + 1000
    old = "\n".join(["Same start", *(f"a {n}" for n in range(count)), "Same end"])
    new = "\n".join(["Same start", *(f"b {n}" for n in range(count)), "Same end"])

    diff = textdiff.diff_texts(old, new)

    assert diff.truncated is True
    assert (diff.added, diff.removed) == (textdiff.MAX_LINES, textdiff.MAX_LINES)
    assert _unified(diff)[:3] == [
        f"@@ -1,{textdiff.MAX_LINES + 1} +1,{textdiff.MAX_LINES + 1} @@",
        " Same start",
        "-a 0",
    ]


def test_long_lines_are_cut_and_the_output_rows_bounded():
    old = "\n".join(f"{n} " + "x" * (textdiff.MAX_LINE_CHARS * 2) for n in range(4000))
    new = "\n".join(f"{n} " + "y" * 10 for n in range(4000))

    diff = textdiff.diff_texts(old, new)

    assert diff.truncated is True
    assert len(diff.lines) == textdiff.MAX_ROWS
    assert len(diff.rows) == textdiff.MAX_LINES
    assert max(len(line.text) for line in diff.lines) == textdiff.MAX_LINE_CHARS
    assert (diff.added, diff.removed) == (textdiff.MAX_LINES, textdiff.MAX_LINES)


def test_a_text_cut_by_the_caller_is_marked_truncated():
    assert textdiff.diff_texts("a", "b", truncated=True).truncated is True
