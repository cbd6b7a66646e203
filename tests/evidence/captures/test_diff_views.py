"""The page comparing two captures of an item (issue 18), from stored captures."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.evidence.captures.site import NOTICE_EDITIONS
from tests.evidence.captures.stored import captured_item, stored_capture

FIRST, SECOND = ("\n".join(lines) for lines in NOTICE_EDITIONS)


@pytest.fixture
def versions(team, editor, reporter):
    item = captured_item(team, editor)
    start = timezone.now() - timedelta(hours=2)
    one = stored_capture(item, by=editor, text=FIRST, at=start)
    two = stored_capture(item, by=reporter, text=SECOND, at=start + timedelta(hours=1))
    return item, one, two


def _diff_url(item, **query) -> str:
    url = reverse("evidence:capture-diff", args=[item.pk])
    if query:
        url += "?" + "&".join(f"{k}={v}" for k, v in query.items())
    return url


def test_the_diff_of_the_two_latest_captures_shows_the_changed_lines_escaped(
    editor_client, versions
):
    item, _, two = versions

    response = editor_client.get(_diff_url(item))

    assert response.status_code == 200
    body = response.content.decode()
    opening = '<pre class="text-diff unified" data-diff="unified">'
    start = body.index(opening) + len(opening)
    pre = body[start : body.index("</pre>", start)]
    assert pre.splitlines() == [
        '<span class="hunk">@@ -1,4 +1,5 @@</span>',
        "<span> Port authority notice</span>",
        "<del>-The vessel left berth 4 at 06:10.</del>",
        "<ins>+The vessel left berth 4 at 07:45.</ins>",
        "<span> Cargo: 12,000 t of grain.</span>",
        "<span> Contact: the press office.</span>",
        "<ins>+Correction &lt;script&gt;alert(1)&lt;/script&gt; issued on 4 March."
        "</ins>",
    ]
    assert "<script>alert(1)" not in body
    assert "Capture 1 · " in body
    assert "Capture 2 · " in body
    assert f"asked by {two.requested_by.get_username()}" in body


def test_side_by_side_pairs_the_changed_line(editor_client, versions):
    item, one, two = versions

    response = editor_client.get(_diff_url(item, old=one.pk, new=two.pk, view="side"))

    assert response.status_code == 200
    body = response.content.decode()
    assert (
        '<tr class="changed"><td class="num">2</td><td class="old">'
        "<del>The vessel left berth 4 at 06:10.</del></td>"
        '<td class="num">2</td><td class="new">'
        "<ins>The vessel left berth 4 at 07:45.</ins></td></tr>"
    ) in body
    assert (
        '<tr class="added"><td class="num"></td><td class="old"></td>'
        '<td class="num">5</td><td class="new"><ins>Correction '
        "&lt;script&gt;alert(1)&lt;/script&gt; issued on 4 March.</ins></td></tr>"
    ) in body


def test_the_diff_can_run_backwards(editor_client, versions):
    item, one, two = versions

    response = editor_client.get(_diff_url(item, old=two.pk, new=one.pk))

    body = response.content.decode()
    assert "<ins>+The vessel left berth 4 at 06:10.</ins>" in body
    assert "<del>-The vessel left berth 4 at 07:45.</del>" in body


def test_comparing_a_capture_with_itself_is_a_field_error(editor_client, versions):
    item, one, _ = versions

    response = editor_client.get(_diff_url(item, old=one.pk, new=one.pk))

    assert response.status_code == 400
    assert "Choose two different captures." in response.content.decode()


def test_another_items_capture_is_not_a_choice(editor_client, team, editor, versions):
    item, one, _ = versions
    other = stored_capture(captured_item(team, editor), by=editor, text="x")

    response = editor_client.get(_diff_url(item, old=one.pk, new=other.pk))

    assert response.status_code == 400
    assert "Select a valid choice." in response.content.decode()


def test_a_single_capture_has_nothing_to_compare(editor_client, team, editor):
    item = captured_item(team, editor)
    stored_capture(item, by=editor, text=FIRST)

    response = editor_client.get(_diff_url(item))

    assert response.status_code == 200
    assert "At least two finished captures are needed" in response.content.decode()


def test_identical_texts_say_so(editor_client, team, editor):
    item = captured_item(team, editor)
    one = stored_capture(item, by=editor, text=FIRST)
    two = stored_capture(item, by=editor, text=FIRST)

    response = editor_client.get(_diff_url(item, old=one.pk, new=two.pk))

    assert "The text is the same in both captures." in response.content.decode()


def test_a_text_over_the_read_cap_is_compared_in_part_and_says_so(
    editor_client, team, editor, monkeypatch
):
    from evidence.captures import textdiff

    monkeypatch.setattr(textdiff, "MAX_CHARS", 40)
    item = captured_item(team, editor)
    one = stored_capture(item, by=editor, text=FIRST)
    two = stored_capture(item, by=editor, text=SECOND)

    response = editor_client.get(_diff_url(item, old=one.pk, new=two.pk))

    body = response.content.decode()
    assert "data-diff-truncated" in body
    # Only the first 40 characters of each were read: the correction is past them.
    assert "Correction" not in body
    assert "<ins>+The vessel left berth 4 at 07:45.</ins>" not in body


def test_another_teams_member_gets_404(outsider_client, versions):
    item, one, two = versions

    response = outsider_client.get(_diff_url(item, old=one.pk, new=two.pk))

    assert response.status_code == 404


def test_the_diff_page_query_count_does_not_grow_with_captures(
    editor_client, team, editor, django_assert_max_num_queries
):
    item = captured_item(team, editor)
    for n in range(12):
        stored_capture(item, by=editor, text=f"{FIRST}\nedition {n}")

    with django_assert_max_num_queries(12):
        response = editor_client.get(_diff_url(item))

    assert response.status_code == 200
    assert response.content.decode().count("<option") == 24


def test_the_item_page_numbers_the_captures_and_links_the_diff(editor_client, versions):
    item, one, two = versions

    response = editor_client.get(item.get_absolute_url())

    body = response.content.decode()
    assert f'data-capture="{two.pk}" data-capture-number="2"' in body
    assert f'data-capture="{one.pk}" data-capture-number="1"' in body
    assert body.index(f'data-capture="{two.pk}"') < body.index(
        f'data-capture="{one.pk}"'
    )
    assert reverse("evidence:capture-diff", args=[item.pk]) in body
    assert "Capture again" in body


def test_a_statements_page_shows_its_source_captures(editor_client, team, editor):
    from tests.factories import StatementFactory

    item = StatementFactory(item__team=team, item__url="https://example.org/s").item
    item.processing_state = "done"
    item.save(update_fields=["processing_state"])
    stored_capture(item, by=editor, text=FIRST)
    stored_capture(item, by=editor, text=SECOND)

    body = editor_client.get(item.get_absolute_url()).content.decode()

    assert 'data-capture-number="2"' in body
    assert reverse("evidence:capture-diff", args=[item.pk]) in body
    assert "Capture again" in body
    diff = editor_client.get(_diff_url(item)).content.decode()
    assert "<ins>+The vessel left berth 4 at 07:45.</ins>" in diff
