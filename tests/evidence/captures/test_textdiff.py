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


def test_a_huge_page_is_cut_at_the_line_cap_and_says_so():
    old = "\n".join(f"row {n}" for n in range(textdiff.MAX_LINES + 500))
    new = old.replace("row 1\n", "row one\n", 1)

    diff = textdiff.diff_texts(old, new)

    assert diff.truncated is True
    assert (diff.added, diff.removed) == (1, 1)
    assert _unified(diff)[:5] == [
        "@@ -1,5 +1,5 @@",
        " row 0",
        "-row 1",
        "+row one",
        " row 2",
    ]


def test_changes_past_the_line_cap_are_not_compared():
    old = "\n".join(f"row {n}" for n in range(textdiff.MAX_LINES + 10))
    new = old + "\nrow added far below"

    diff = textdiff.diff_texts(old, new)

    assert (diff.is_same, diff.truncated) == (True, True)


def test_long_lines_are_cut_and_the_output_rows_bounded():
    old = "\n".join(f"{n} " + "x" * (textdiff.MAX_LINE_CHARS * 2) for n in range(4000))
    new = "\n".join(f"{n} " + "y" * 10 for n in range(4000))

    diff = textdiff.diff_texts(old, new)

    assert diff.truncated is True
    assert len(diff.lines) == textdiff.MAX_ROWS
    assert len(diff.rows) == textdiff.MAX_ROWS
    assert max(len(line.text) for line in diff.lines) == textdiff.MAX_LINE_CHARS
    assert (diff.added, diff.removed) == (4000, 4000)


def test_a_text_cut_by_the_caller_is_marked_truncated():
    assert textdiff.diff_texts("a", "b", truncated=True).truncated is True
