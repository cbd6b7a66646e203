"""Issue 15, problem 2: a claim recorded today about events of 2023. The timeline
spans when the events happened, whatever the recording dates, with a switch to the
recording axis; events outside a chosen window are pinned with a note and listed;
the as-of view of any date is coherent (before creation: says so and nothing else;
after: the status, correction and controls of that date)."""

from datetime import UTC, datetime, timedelta
from xml.etree import ElementTree

import pytest
from django.urls import reverse
from django.utils import timezone

from provenance.claims import selectors, services
from provenance.claims.models import Claim
from tests.factories import EvidenceItemFactory, StatementFactory

SVG = "{http://www.w3.org/2000/svg}"


def day(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(hour=12, tzinfo=UTC)


@pytest.fixture
def back_dated(team, reporter, editor, second_editor):
    return make_back_dated_claim(team, reporter, editor, second_editor)


def make_back_dated_claim(team, reporter, editor, second_editor) -> Claim:
    """Recorded now (services, no `at`), about a 2023 story: a photo observed in
    Aug 2023, a denial stated in Oct 2023, an assessment speaking for Oct 2023;
    then submitted, approved, published and corrected now."""
    claim = services.claim_create(
        team=team,
        actor=reporter,
        text="Containers were loaded at Rajin in August 2023",
        first_appearance_source="White House briefing",
        first_appearance_at=day("2023-10-13"),
    )
    photo = EvidenceItemFactory(
        team=team, title="Rajin port scene", observed_at=day("2023-08-21")
    )
    denial = StatementFactory(
        item__team=team,
        item__title="Foreign ministry denial",
        item__source="Foreign ministry",
        stated_at=day("2023-10-14"),
        quote="There were no shipments.",
    ).item
    services.evidence_attach(
        claim_id=claim.pk, item_id=photo.pk, actor=reporter, relation="supports"
    )
    services.evidence_attach(
        claim_id=claim.pk,
        item_id=denial.pk,
        actor=reporter,
        relation="context",
        stance="denies",
    )
    services.confidence_assess(
        claim_id=claim.pk,
        actor=reporter,
        level="likely",
        rationale="Imagery and a denial.",
        effective_at=day("2023-10-20"),
    )
    claim.refresh_from_db()
    services.claim_submit(claim_id=claim.pk, actor=reporter)
    claim.refresh_from_db()
    services.claim_approve(
        claim_id=claim.pk, actor=editor, expected_version=claim.version
    )
    claim.refresh_from_db()
    services.claim_publish(
        claim_id=claim.pk, actor=editor, expected_version=claim.version
    )
    claim.refresh_from_db()
    services.claim_correct(
        claim_id=claim.pk,
        actor=second_editor,
        expected_version=claim.version,
        correction_note="Correction: the port is Rajin, not Najin.",
    )
    return Claim.objects.get(pk=claim.pk)


def axis_labels(svg: str) -> list[str]:
    root = ElementTree.fromstring(svg)
    axis_y = max(float(t.get("y")) for t in root.iter(f"{SVG}text"))
    return [t.text for t in root.iter(f"{SVG}text") if float(t.get("y")) == axis_y]


def test_the_chart_spans_2023_when_the_events_happened(back_dated):
    state = selectors.claim_as_of(claim=back_dated, when=timezone.now())
    events = selectors.claim_timeline(claim=back_dated, state=state)
    own = sorted(e.at.date().isoformat() for e in events if not e.recorded_only)
    assert own == ["2023-08-21", "2023-10-14", "2023-10-20"]
    from provenance.claims.timeline import natural_span

    start, end = natural_span(events)
    assert (start.date().isoformat(), end.date().isoformat()) == (
        "2023-08-21",
        "2023-10-20",
    )


def test_on_the_recording_axis_every_event_sets_the_span(back_dated):
    from provenance.claims.timeline import natural_span

    state = selectors.claim_as_of(claim=back_dated, when=timezone.now())
    events = selectors.claim_timeline(claim=back_dated, state=state, dates="recorded")
    assert not any(e.recorded_only for e in events)
    start, end = natural_span(events)
    # Everything was recorded today: the reviews are inside the span, none pinned.
    assert start == min(e.at for e in events)
    assert end == max(e.at for e in events)
    assert [e.lane for e in events].count("review") == 4


def test_claim_page_axis_is_2023_and_says_what_is_pinned(reporter_client, back_dated):
    url = reverse("provenance:claim-detail", args=[back_dated.pk])
    page = reporter_client.get(url).content.decode()
    svg = page[page.index("<svg") : page.index("</svg>") + 6]
    labels = axis_labels(svg)
    assert labels == ["20 Aug 2023", "3 Sep", "17 Sep", "1 Oct", "15 Oct"]
    # The review decisions of today have only a recording date: pinned, said, listed.
    assert "4 later events pinned to the right edge (listed below)" in svg
    assert "earlier event" not in svg
    assert page.count('class="lane-review"') == 4
    assert "Events sit at when they happened" in page


def test_recording_axis_places_everything_today(reporter_client, back_dated):
    url = reverse("provenance:claim-detail", args=[back_dated.pk])
    page = reporter_client.get(url, {"dates": "recorded"}).content.decode()
    svg = page[page.index("<svg") : page.index("</svg>") + 6]
    today = timezone.now()
    assert "pinned" not in svg
    labels = axis_labels(svg)
    assert str(today.year) in labels[0]
    assert "2023" not in "".join(labels)
    assert "Every event sits at the day the team recorded it." in page


def test_a_chosen_window_pins_the_rest_with_a_note_and_lists_them(
    reporter_client, back_dated
):
    url = reverse("provenance:claim-detail", args=[back_dated.pk])
    page = reporter_client.get(
        url, {"window_from": "2023-10-01", "window_to": "2023-10-31"}
    ).content.decode()
    assert 'data-outside="5"' in page  # the August photo and the four reviews
    assert "1 earlier event pinned to the left edge (listed below)" in page
    assert "Rajin port scene" in page.split('class="plain timeline-list"')[1]


def test_a_window_that_ends_before_it_starts_is_a_form_error(
    reporter_client, back_dated
):
    url = reverse("provenance:claim-detail", args=[back_dated.pk])
    response = reporter_client.get(
        url, {"window_from": "2023-10-31", "window_to": "2023-10-01"}
    )
    assert response.status_code == 200
    assert "The window&#x27;s start is after its end." in response.content.decode()


def test_background_long_before_the_first_appearance_is_left_out_of_the_window(
    team, reporter
):
    claim = services.claim_create(
        team=team,
        actor=reporter,
        text="A claim with old background",
        first_appearance_at=day("2023-10-13"),
    )
    study = EvidenceItemFactory(
        team=team, title="2020 study", observed_at=day("2020-06-01")
    )
    photo = EvidenceItemFactory(team=team, title="Photo", observed_at=day("2023-08-21"))
    for item in (study, photo):
        services.evidence_attach(
            claim_id=claim.pk, item_id=item.pk, actor=reporter, relation="context"
        )
    claim.refresh_from_db()
    state = selectors.claim_as_of(claim=claim, when=timezone.now())
    events = selectors.claim_timeline(claim=claim, state=state)
    since = selectors.timeline_window(state=state, events=events, dates="happened")
    assert since == day("2023-08-21")
    assert (
        selectors.timeline_window(state=state, events=events, dates="recorded") is None
    )


def test_as_of_before_creation_says_so_and_shows_nothing_else(
    reporter_client, back_dated
):
    url = reverse("provenance:claim-detail", args=[back_dated.pk])
    response = reporter_client.get(url, {"as_of": "2023-10-20"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "this claim had not been recorded" in page
    assert "<h1>Not yet recorded on 20 Oct 2023</h1>" in page
    assert back_dated.text not in page.split("</title>")[1]  # not even its text
    for absent in (
        "<svg",
        "Add evidence",
        ">Edit<",
        "Correct…",
        "Correction",
        "Review history",
        "Assessment history",
        "Rajin port scene",
        "Text as of",
        'class="badge status-',
    ):
        assert absent not in page, absent


def test_as_of_after_creation_shows_that_days_state_without_current_controls(
    reporter_client, editor_client, back_dated
):
    url = reverse("provenance:claim-detail", args=[back_dated.pk])
    today = timezone.now().date().isoformat()
    page = editor_client.get(url, {"as_of": today}).content.decode()
    assert "Add evidence" not in page
    assert "Correct…" not in page
    assert 'name="decision"' not in page
    # The correction was made today, so it is in force by the end of today; its
    # leading "Correction:" is not said twice.
    assert "Correction in force then:</strong> the port is Rajin, not Najin." in page
    notice = page[page.index('class="notice correction"') :]
    assert "Correction: the port" not in notice[: notice.index("</p>")]
    assert 'class="badge status-published">Published<' in page


def test_current_page_puts_the_correction_at_the_top(reporter_client, back_dated):
    url = reverse("provenance:claim-detail", args=[back_dated.pk])
    page = reporter_client.get(url).content.decode()
    note = page.index("the port is Rajin, not Najin.")
    assert note < page.index('<h1 class="claim-text">') < page.index("Review history")
    assert page.count("the port is Rajin, not Najin.") == 1 + page.count(
        "Correct</span>"
    )


def test_as_of_one_day_before_the_correction_hides_it(
    team, reporter, editor, second_editor, reporter_client
):
    start = timezone.now() - timedelta(days=10)
    claim = services.claim_create(team=team, actor=reporter, text="T", at=start)
    item = EvidenceItemFactory(team=team)
    services.evidence_attach(
        claim_id=claim.pk,
        item_id=item.pk,
        actor=reporter,
        relation="supports",
        at=start,
    )
    services.confidence_assess(
        claim_id=claim.pk, actor=reporter, level="likely", rationale="R", at=start
    )
    claim.refresh_from_db()
    services.claim_submit(claim_id=claim.pk, actor=reporter, at=start)
    claim.refresh_from_db()
    services.claim_approve(
        claim_id=claim.pk, actor=editor, expected_version=claim.version, at=start
    )
    claim.refresh_from_db()
    services.claim_publish(
        claim_id=claim.pk, actor=editor, expected_version=claim.version, at=start
    )
    claim.refresh_from_db()
    services.claim_correct(
        claim_id=claim.pk,
        actor=second_editor,
        expected_version=claim.version,
        correction_note="Fixed a name.",
    )
    url = reverse("provenance:claim-detail", args=[claim.pk])
    before = (timezone.now() - timedelta(days=2)).date().isoformat()
    page = reporter_client.get(url, {"as_of": before}).content.decode()
    assert "Fixed a name." not in page
    assert "Correct</span>" not in page  # the review list stops at that date
    assert "Fixed a name." in reporter_client.get(url).content.decode()
