from datetime import UTC, datetime, timedelta
from xml.etree import ElementTree

from provenance.claims.timeline import TimelineEvent, render_timeline_svg

SVG = "{http://www.w3.org/2000/svg}"


def _events(count: int) -> list[TimelineEvent]:
    start = datetime(2023, 8, 1, tzinfo=UTC)
    lanes = ["confidence", "statement", "evidence", "quantity", "review"]
    levels = ["roughly_even_chance", "likely", "very_likely"]
    return [
        TimelineEvent(
            lane=lanes[n % 5],
            at=start + timedelta(hours=n * 7),
            label=f"Event <{n}> & co",
            level=levels[n % 3],
            marker="denies" if n % 2 else "asserts",
        )
        for n in range(count)
    ]


def test_timeline_is_valid_xml_from_one_to_five_hundred_events():
    for count in (0, 1, 2, 50, 500):
        root = ElementTree.fromstring(render_timeline_svg(_events(count)))
        assert root.tag == f"{SVG}svg"
        assert root.get("role") == "img"


def test_every_marker_has_a_title_with_escaped_text():
    svg = render_timeline_svg(_events(10))
    root = ElementTree.fromstring(svg)
    shapes = [
        el
        for el in root.iter()
        if el.tag in {f"{SVG}circle", f"{SVG}polygon", f"{SVG}rect"}
    ]
    # The full-width rects are the lane bands behind the markers, not markers.
    markers = [el for el in shapes if el.get("width") != "786"]
    assert len(markers) == 10
    assert all(m.find(f"{SVG}title") is not None for m in markers)
    start = datetime(2023, 8, 1, tzinfo=UTC)
    expected = [
        f"{start + timedelta(hours=n * 7):%d %b %Y}: Event <{n}> & co"
        for n in range(10)
        if n % 5  # events 0 and 5 are confidence: titled by their level
    ] + [
        "01 Aug 2023: Roughly even chance (45–55 %)",
        "02 Aug 2023: Very likely (80–95 %)",
    ]
    assert sorted(m.find(f"{SVG}title").text for m in markers) == sorted(expected)
    assert "<1>" not in svg
    assert "Event &lt;1&gt; &amp; co" in svg


def test_denials_are_drawn_apart_from_assertions():
    start = datetime(2023, 10, 1, tzinfo=UTC)
    events = [
        TimelineEvent("statement", start, "White House", marker="asserts"),
        TimelineEvent(
            "statement", start + timedelta(days=2), "Russia", marker="denies"
        ),
    ]
    root = ElementTree.fromstring(render_timeline_svg(events))
    kinds = [p.get("data-kind") for p in root.iter(f"{SVG}polygon")]
    assert kinds == ["assertion", "denial"]


def test_confidence_step_line_has_two_points_per_assessment_plus_joins():
    start = datetime(2023, 9, 5, tzinfo=UTC)
    events = [
        TimelineEvent("confidence", start, "a", level="roughly_even_chance"),
        TimelineEvent("confidence", start + timedelta(days=38), "b", level="likely"),
        TimelineEvent(
            "confidence", start + timedelta(days=41), "c", level="very_likely"
        ),
    ]
    root = ElementTree.fromstring(render_timeline_svg(events))
    (line,) = root.iter(f"{SVG}polyline")
    points = line.get("points").split()
    assert len(points) == 3 * 2 + 2
    heights = [float(p.split(",")[1]) for p in points]
    assert heights[0] > heights[-1]  # rises from even chance to very likely


def test_as_of_date_is_marked():
    as_of = datetime(2023, 10, 12, 23, 59, tzinfo=UTC)
    svg = render_timeline_svg(_events(5), as_of=as_of)
    assert "as of 12 Oct 2023" in svg


def test_timeline_svg_endpoint_serves_the_chart_to_team_members_only(
    reporter_client, outsider_client, team
):
    from django.urls import reverse

    from tests.factories import ClaimFactory

    claim = ClaimFactory(team=team)
    url = reverse("provenance:claim-timeline-svg", args=[claim.pk])
    response = reporter_client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml; charset=utf-8"
    assert ElementTree.fromstring(response.content).tag == f"{SVG}svg"
    assert outsider_client.get(url).status_code == 404


def test_healthz_answers_without_login(client):
    response = client.get("/healthz")
    assert (response.status_code, response.content) == (200, b"ok\n")


def test_events_before_the_window_are_pinned_and_labelled():
    since = datetime(2023, 8, 15, tzinfo=UTC)
    events = [
        TimelineEvent("evidence", datetime(2020, 6, 1, tzinfo=UTC), "RAND study"),
        TimelineEvent("statement", datetime(2022, 9, 22, tzinfo=UTC), "Denial"),
        TimelineEvent("confidence", since, "a", level="likely"),
    ]
    svg = render_timeline_svg(events, since=since)
    assert "2 earlier events pinned to the left edge" in svg
    assert "01 Jun 2020: RAND study" in svg


def test_recording_only_events_join_the_span_only_near_the_story():
    from provenance.claims.timeline import natural_span

    story = [
        TimelineEvent("statement", datetime(2023, 9, 1, tzinfo=UTC), "a"),
        TimelineEvent("statement", datetime(2023, 9, 21, tzinfo=UTC), "b"),
    ]
    near = TimelineEvent(
        "review", datetime(2023, 9, 30, tzinfo=UTC), "Approve", recorded_only=True
    )
    far = TimelineEvent(
        "review", datetime(2026, 12, 1, tzinfo=UTC), "Publish", recorded_only=True
    )
    assert natural_span([*story, near, far]) == (
        datetime(2023, 9, 1, tzinfo=UTC),
        datetime(2023, 9, 30, tzinfo=UTC),
    )
    assert natural_span([far]) == (far.at, far.at)
    assert natural_span([]) is None
