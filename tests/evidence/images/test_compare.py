"""The compare view offers the team's images of the same place first (a GPS
position or a scene footprint near this image's), then those of the same claim,
each labelled with its capture time and source; a bounded list in two queries."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.urls import reverse

from evidence import selectors
from evidence.models import EvidenceKind, ImageDetail
from tests.factories import ClaimEvidenceFactory, ClaimFactory, EvidenceItemFactory

pytestmark = pytest.mark.django_db

RAJIN = (42.2167, 130.2833)
WHEN = datetime(2023, 10, 14, 2, tzinfo=UTC)


def image(team, title, *, gps=None, footprint=None, display="display.jpg", **fields):
    item = EvidenceItemFactory(
        team=team,
        kind=EvidenceKind.IMAGE,
        title=title,
        url="",
        source=fields.pop("source", "Stringer"),
        observed_at=fields.pop("observed_at", WHEN),
        **fields,
    )
    geo = None
    if footprint:
        ring = footprint["coordinates"][0]
        lons, lats = [p[0] for p in ring], [p[1] for p in ring]
        geo = {
            "footprint": footprint,
            "bounds_wgs84": [min(lons), min(lats), max(lons), max(lats)],
        }
    ImageDetail.objects.create(
        item=item,
        width=800,
        height=600,
        display=display,
        gps_latitude=gps[0] if gps else None,
        gps_longitude=gps[1] if gps else None,
        captured_at=WHEN if gps else None,
        geo=geo,
    )
    return item


def box(west, south, east, north):
    return {
        "type": "Polygon",
        "coordinates": [
            [[west, south], [east, south], [east, north], [west, north], [west, south]]
        ],
    }


@pytest.fixture
def place(team, other_team):
    here = image(team, "Harbour photo", gps=RAJIN)
    found = {
        "here": here,
        # 0.5 km north-east: the same harbour.
        "near": image(team, "Quay photo", gps=(42.2200, 130.2870)),
        # A 20 km wide scene whose footprint covers the photo, centred 4.3 km away.
        "scene": image(
            team, "Rajin scene", footprint=box(130.19, 42.20, 130.43, 42.30)
        ),
        # Inside the query's box (1.9 km north and east) but 2.7 km away: out.
        "corner": image(team, "Corner photo", gps=(42.2338, 130.3064)),
        "far": image(team, "Dunai photo", gps=(42.8803, 132.3375)),
        "unprocessed": image(team, "Still processing", gps=RAJIN, display=""),
        "theirs": image(other_team, "Their harbour photo", gps=RAJIN),
    }
    return found


def test_the_same_place_comes_first_nearest_first_then_the_same_claim(
    team, place, django_assert_num_queries
):
    claim = ClaimFactory(team=team)
    ClaimEvidenceFactory(claim=claim, item=place["here"])
    ClaimEvidenceFactory(claim=claim, item=place["far"])
    ClaimEvidenceFactory(claim=claim, item=place["near"])  # listed once, as near
    here = type(place["here"]).objects.select_related("image").get(pk=place["here"].pk)
    with django_assert_num_queries(2):
        choices = selectors.images_to_compare(team=team, item=here)
    assert [(c.item.title, c.is_same_place) for c in choices] == [
        ("Rajin scene", True),
        ("Quay photo", True),
        ("Dunai photo", False),
    ]
    assert choices[0].distance_km == 0.0
    assert choices[1].distance_km == pytest.approx(0.477, abs=0.001)


def test_a_scene_offers_the_photos_its_footprint_covers(team, place):
    scene = (
        type(place["scene"]).objects.select_related("image").get(pk=place["scene"].pk)
    )
    choices = selectors.images_to_compare(team=team, item=scene)
    # The corner photo is inside the footprint too; Dunai is 170 km away.
    assert sorted(c.item.title for c in choices) == [
        "Corner photo",
        "Harbour photo",
        "Quay photo",
    ]
    assert {c.distance_km for c in choices} == {0.0}


def test_an_image_without_a_position_is_offered_its_claims_images_only(team, place):
    lone = image(team, "Undated crop")
    claim = ClaimFactory(team=team)
    ClaimEvidenceFactory(claim=claim, item=lone)
    ClaimEvidenceFactory(claim=claim, item=place["far"])
    lone = type(lone).objects.select_related("image").get(pk=lone.pk)
    choices = selectors.images_to_compare(team=team, item=lone)
    assert [(c.item.title, c.distance_km) for c in choices] == [("Dunai photo", None)]


def test_the_list_is_bounded(team, place, monkeypatch):
    monkeypatch.setattr(selectors, "MAX_COMPARE_CHOICES", 1)
    here = type(place["here"]).objects.select_related("image").get(pk=place["here"].pk)
    choices = selectors.images_to_compare(team=team, item=here)
    assert [c.item.title for c in choices] == ["Rajin scene"]


def test_the_page_labels_each_choice_with_time_source_and_distance(
    client, reporter, team, place, django_assert_max_num_queries
):
    client.force_login(reporter)
    url = reverse("evidence:compare", args=[place["here"].pk])
    with django_assert_max_num_queries(20):
        response = client.get(url)
    html = response.content.decode()
    assert response.context["other"] == place["scene"]
    assert '<optgroup label="Same place">' in html
    assert '<optgroup label="Same claim">' not in html
    assert (
        f'<option value="{place["near"].pk}">Quay photo — captured 14 Oct 2023 '
        "02:00 UTC · Stringer · 0.5 km away</option>"
    ) in html
    assert (
        f'<option value="{place["scene"].pk}" selected>Rajin scene — observed '
        "14 Oct 2023 02:00 UTC · Stringer · 0.0 km away</option>"
    ) in html
    for left_out in ("corner", "far", "unprocessed", "theirs"):
        assert f'value="{place[left_out].pk}"' not in html
    assert (
        "Same place: 0.5 km apart"
        in client.get(url, {"with": place["near"].pk}).content.decode()
    )


def test_another_teams_image_of_the_same_place_is_not_comparable(
    client, reporter, place
):
    client.force_login(reporter)
    url = reverse("evidence:compare", args=[place["here"].pk])
    assert client.get(url, {"with": place["theirs"].pk}).status_code == 404
