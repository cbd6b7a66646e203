"""The claim page's cost does not grow with its events (issue 19): the same queries
for 1 and 500 events, long lists collapsed to their latest rows with a working
"show all" link; the claim list's queries do not grow with its page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from evidence.models import EvidenceItem, Statement
from provenance.claims.comments import comment_create
from provenance.claims.models import ClaimEvidence, ConfidenceAssessment
from provenance.claims.views import CLAIM_PAGE_ROWS
from provenance.templatetags.provenance_tags import confidence_badge
from tests.factories import ClaimFactory, EntityFactory
from tests.provenance.claims.test_back_dated import make_back_dated_claim

START = datetime(2023, 1, 1, 12, tzinfo=UTC)


def _assessments(claim, user, count):
    ConfidenceAssessment.objects.bulk_create(
        ConfidenceAssessment(
            claim=claim,
            level=("unlikely", "roughly_even_chance", "likely")[n % 3],
            rationale=f"Step {n}",
            assessed_by=user,
            recorded_at=START + timedelta(days=n),
            effective_at=START + timedelta(days=n),
        )
        for n in range(count)
    )


def _statements(claim, count):
    """`count` statements linked to the claim, two in three of them denials."""
    items = EvidenceItem.objects.bulk_create(
        EvidenceItem(
            team=claim.team,
            kind="statement",
            title=f"Statement {n}",
            url=f"https://example.org/statement/{n}",
            observed_at=START + timedelta(hours=n * 17),
        )
        for n in range(count)
    )
    Statement.objects.bulk_create(
        Statement(
            item=item,
            stated_at=START + timedelta(hours=n * 17),
            quote=f"Quote {n}",
        )
        for n, item in enumerate(items)
    )
    ClaimEvidence.objects.bulk_create(
        ClaimEvidence(
            claim=claim,
            item=item,
            relation="contradicts" if n % 3 else "supports",
            stance="denies" if n % 3 else "asserts",
            linked_at=START + timedelta(hours=n * 17),
        )
        for n, item in enumerate(items)
    )


def _page(client, claim, **query):
    client.get(claim.get_absolute_url(), query)  # warm: session, templates
    cache.clear()  # the page itself is drawn, not the page cache's copy
    return claim.get_absolute_url()


def test_claim_page_queries_are_the_same_for_1_and_500_events(
    reporter_client, team, reporter, django_assert_max_num_queries
):
    # The small page has one of each (an assessment, a statement), so both pages
    # read the same kinds of rows: what is compared is how many.
    small = ClaimFactory(team=team, author=reporter)
    _assessments(small, reporter, 1)
    _statements(small, 1)
    big = ClaimFactory(team=team, author=reporter)
    _assessments(big, reporter, 200)
    _statements(big, 300)
    counts = {}
    for name, claim, query in (
        ("small", small, {}),
        ("big", big, {}),
        ("big, all", big, {"all": "1"}),
    ):
        url = _page(reporter_client, claim, **query)
        with django_assert_max_num_queries(18) as captured:
            response = reporter_client.get(url, query)
        assert response.status_code == 200
        counts[name] = len(captured.captured_queries)
    assert counts["small"] == counts["big"] == counts["big, all"]


def test_a_reviewed_claim_page_reads_reviews_once_and_no_membership_row(
    team, reporter, editor, second_editor, django_assert_max_num_queries
):
    """The review lane, the review history and the corrections log share one read
    of the reviews; the viewer's role comes with the session's user, and the team
    with the claim's lookup."""
    claim = make_back_dated_claim(team, reporter, editor, second_editor)
    client = Client()
    client.force_login(editor, backend=settings.AUTHENTICATION_BACKENDS[-1])
    url = _page(client, claim)
    with django_assert_max_num_queries(22) as captured:
        page = client.get(url).content.decode()
    sqls = [q["sql"] for q in captured.captured_queries]
    assert sum('FROM "provenance_review"' in sql for sql in sqls) == 1
    assert not [sql for sql in sqls if 'FROM "provenance_membership"' in sql]
    assert not [sql for sql in sqls if 'FROM "provenance_team"' in sql]
    # What those reads feed is on the page: the history, the correction, the lane.
    assert 'id="review-history"' in page
    assert "Correction: the port is Rajin, not Najin." in page
    assert 'class="lane-review' in page


def test_a_long_claim_page_shows_the_latest_rows_and_links_to_all(
    reporter_client, team, reporter
):
    claim = ClaimFactory(team=team, author=reporter)
    _assessments(claim, reporter, 200)
    _statements(claim, 300)
    response = reporter_client.get(claim.get_absolute_url())
    context, html = response.context, response.content.decode()
    assert CLAIM_PAGE_ROWS == 20
    events = context["timeline_list"]
    assert (len(events.rows), events.total, events.hidden) == (20, 500, 480)
    # The latest events, oldest first as in the full list.
    assert events.rows == context["timeline_events"][-20:]
    assert [a.rationale for a in context["assessments_shown"].rows] == [
        f"Step {n}" for n in range(180, 200)
    ]
    assert [link.item.title for link in context["links_shown"].rows] == [
        f"Statement {n}" for n in range(280, 300)
    ]
    # Denials newest first: the 20 newest of the 200.
    newest = [n for n in range(299, -1, -1) if n % 3][:20]
    assert [link.item.title for link in context["denials_shown"].rows] == [
        f"Statement {n}" for n in newest
    ]
    all_url = f"{claim.get_absolute_url()}?all=1"
    assert f'href="{all_url}#timeline-heading">Show all 500 events</a>' in html
    assert f'href="{all_url}#evidence-heading">Show all 300 evidence links</a>' in html
    assert f'href="{all_url}#denials-heading">Show all 200 denials</a>' in html
    assert f'href="{all_url}#assessments-heading">Show all 200 assessments</a>' in html
    assert "The latest 20 of 500 events as a list" in html
    assert html.count('<li class="lane-') == 20
    # Outside the chart (which still draws every event), only the rows shown.
    chart = str(context["timeline_svg"])
    assert chart.count("<title>") >= 500
    assert "Step 179" in chart
    lists = html.replace(chart, "")
    assert "Step 179" not in lists
    assert "Step 199" in lists


def test_the_show_all_link_shows_every_row(reporter_client, team, reporter):
    claim = ClaimFactory(team=team, author=reporter)
    _assessments(claim, reporter, 30)
    _statements(claim, 30)
    response = reporter_client.get(claim.get_absolute_url(), {"all": "1"})
    context, html = response.context, response.content.decode()
    assert context["timeline_list"].rows == context["timeline_events"]
    assert context["timeline_list"].total == 60
    assert len(context["links_shown"].rows) == 30
    assert len(context["assessments_shown"].rows) == 30
    assert len(context["denials_shown"].rows) == 20  # 20 of the 30 deny
    assert "Show all" not in html
    assert "All 60 events as a list" in html
    assert html.count('<li class="lane-') == 60
    assert "Step 0<" in html


def test_a_short_claim_page_shows_everything_without_a_link(
    reporter_client, team, reporter
):
    claim = ClaimFactory(team=team, author=reporter)
    _assessments(claim, reporter, 5)
    _statements(claim, 6)
    html = reporter_client.get(claim.get_absolute_url()).content.decode()
    assert "Show all" not in html
    assert "All 11 events as a list" in html
    assert html.count('<li class="lane-') == 11


def test_the_show_all_link_keeps_the_as_of_date(reporter_client, team, reporter):
    claim = ClaimFactory(team=team, author=reporter)
    _assessments(claim, reporter, 30)
    today = timezone.now().date().isoformat()
    html = reporter_client.get(claim.get_absolute_url(), {"as_of": today}).content
    assert (
        f'href="{claim.get_absolute_url()}?as_of={today}&amp;all=1'
        '#assessments-heading">Show all 30 assessments</a>'
    ) in html.decode()


def test_a_refused_assessment_page_links_to_the_claim_page(
    reporter_client, team, reporter
):
    claim = ClaimFactory(team=team, author=reporter)
    _assessments(claim, reporter, 30)
    response = reporter_client.post(
        reverse("provenance:claim-assess", args=[claim.pk]), {"level": "nonsense"}
    )
    assert response.status_code == 400
    assert (
        f'href="{claim.get_absolute_url()}?all=1#assessments-heading"'
        in response.content.decode()
    )


@pytest.mark.parametrize("count", [5, 60])
def test_claim_list_queries_do_not_grow_with_the_page(
    reporter_client, team, reporter, count, django_assert_max_num_queries
):
    subjects = EntityFactory.create_batch(3, team=team)
    for claim in ClaimFactory.create_batch(count, team=team, author=reporter):
        claim.subjects.set(subjects)
        _assessments(claim, reporter, 2)
    url = reverse("provenance:claim-list")
    reporter_client.get(url)  # warm: session, templates
    cache.clear()  # the page itself is drawn, not the page cache's copy
    with django_assert_max_num_queries(12) as captured:
        response = reporter_client.get(url)
    assert len(response.context["page"].object_list) == min(count, 25)
    # The user (the session is cached), the count, the page with its confidence,
    # denial and evidence counts, its subjects and its tags: the same for 5 claims
    # and for a full page of 25.
    assert len(captured.captured_queries) == 5


def test_the_timeline_svg_is_the_page_chart_for_fewer_queries(
    team, reporter, editor, second_editor, django_assert_max_num_queries
):
    """The embeddable chart reads only what the chart draws (no subjects, tags,
    people or map), and draws the same chart as the claim page."""
    claim = make_back_dated_claim(team, reporter, editor, second_editor)
    _assessments(claim, reporter, 3)
    _statements(claim, 4)
    # The chart names each statement's speaker: read with the links, not one by one.
    speaker = EntityFactory(team=team, name="Spokesperson of the ministry")
    Statement.objects.filter(item__claim_links__claim=claim).update(speaker=speaker)
    client = Client()
    client.force_login(reporter, backend=settings.AUTHENTICATION_BACKENDS[-1])
    page_url = _page(client, claim)
    page = client.get(page_url)
    assert "Spokesperson of the ministry" in str(page.context["timeline_svg"])
    svg_url = reverse("provenance:claim-timeline-svg", args=[claim.pk])
    client.get(svg_url)
    cache.clear()
    with django_assert_max_num_queries(10) as captured:
        svg = client.get(svg_url)
    assert svg.status_code == 200
    assert svg.content.decode() == str(page.context["timeline_svg"])
    sqls = [q["sql"] for q in captured.captured_queries]
    for table in ("provenance_claim_subjects", "provenance_claim_tags"):
        assert not [sql for sql in sqls if f'"{table}"' in sql]
    # The session's user; the claim, its links (with their statements'
    # speakers) and reviews (no estimates to read: it has none); its version
    # then, assessments (not their assessors nor cited items: the chart draws
    # neither) and quantity history.
    assert len(sqls) == 7


def test_the_comment_thread_is_read_only_when_the_claim_has_comments(
    reporter_client, team, reporter, django_assert_max_num_queries
):
    claim = ClaimFactory(team=team, author=reporter)
    url = _page(reporter_client, claim)

    def comment_reads() -> tuple[int, str]:
        cache.clear()
        with django_assert_max_num_queries(20) as captured:
            html = reporter_client.get(url).content.decode()
        sqls = [q["sql"] for q in captured.captured_queries]
        # The thread's own read (the claim's query only asks whether one exists).
        return sum(sql.startswith('SELECT "provenance_comment"') for sql in sqls), html

    reads, html = comment_reads()
    assert reads == 0
    assert 'name="body"' in html  # the form to start the thread is there
    comment_create(actor=reporter, claim_id=claim.pk, body="First note")
    reads, html = comment_reads()
    assert reads == 1
    assert "First note" in html


@pytest.mark.parametrize(
    ("level", "html"),
    [
        (
            "likely",
            '<span class="conf" data-confidence="likely" title="55–80 %">Likely</span>',
        ),
        ("", '<span class="muted">Not assessed</span>'),
        (None, '<span class="muted">Not assessed</span>'),
    ],
)
def test_the_confidence_badge(level, html):
    assert confidence_badge(level) == html
