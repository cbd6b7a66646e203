"""The maps on the AIS, vessel, claim and team pages, and the open formats in the
API and the signed bundle: content, scoping and query counts."""

import geojson
import pytest
from django.urls import reverse

from evidence.maps.services import scene_update
from evidence.models import AISExtract
from provenance.publishing.exports.builders import ExportUrls
from provenance.publishing.exports.bundles import bundle_payload
from tests.evidence.maps.conftest import ACQUIRED
from tests.factories import (
    ClaimEvidenceFactory,
    ClaimFactory,
    MembershipFactory,
)
from tests.provenance.publishing.api.helpers import (
    made_public,
    make_publisher,
    published,
    publisher_client,
)

pytestmark = pytest.mark.django_db


def vessel_of(items):
    return AISExtract.objects.get(item=items[0]).vessels.get()


def test_the_vessel_page_maps_both_its_tracks_with_their_dark_periods(
    client, editor, light_tracks, django_assert_max_num_queries
):
    vessel = vessel_of(light_tracks)
    assert AISExtract.objects.filter(vessels=vessel).count() == 2
    client.force_login(editor)
    with django_assert_max_num_queries(45):
        response = client.get(vessel.get_absolute_url())
    payload = response.context["map"].payload
    kinds = [f["properties"]["feature"] for f in payload["features"]]
    assert kinds.count("track") == 2
    assert kinds.count("dark_period") == 2
    assert {
        f["properties"]["extract_id"]
        for f in payload["features"]
        if "extract_id" in f["properties"]
    } == {i.pk for i in light_tracks}
    page = response.content.decode()
    assert 'id="map-data-vessel" type="application/json"' in page
    assert '<div class="geo-map-fallback"><svg' in page  # without JavaScript


def test_the_extract_page_map_sits_over_its_stored_svg(client, editor, light_tracks):
    item = light_tracks[0]
    client.force_login(editor)
    response = client.get(reverse("evidence:ais-detail", args=[item.pk]))
    page = response.content.decode()
    assert f'data-map-data="map-data-{item.pk}"' in page
    assert item.ais.track_svg[:60] in page
    assert "js/map.js" in page


def test_the_claim_page_checks_where_its_images_were_taken(
    client, editor, team, ports, add_scene, settings
):
    settings.LOCATION_CHECK_FAR_KM = 50
    scene = add_scene()
    scene_update(item_id=scene.pk, actor=editor, acquired_at=ACQUIRED)
    claim = ClaimFactory(team=team, author=editor)
    claim.subjects.add(ports["dunai"])
    ClaimEvidenceFactory(claim=claim, item=scene, relation="supports")
    client.force_login(editor)
    response = client.get(claim.get_absolute_url())
    (check,) = response.context["locations"]
    assert check.kind == "scene"
    assert check.check.is_far
    assert check.check.nearest.name == "Dunai"
    assert "180 km from any place of this claim." in response.content.decode()
    covering = ClaimFactory(team=team, author=editor)
    covering.subjects.add(ports["rajin"], ports["dunai"])
    ClaimEvidenceFactory(claim=covering, item=scene, relation="supports")
    response = client.get(covering.get_absolute_url())
    assert response.context["locations"][0].check.sentence == "The scene covers Rajin."


def test_the_team_map_as_of_a_day_shows_only_what_had_happened(
    client, editor, light_tracks, add_scene
):
    client.force_login(editor)
    full = client.get(reverse("provenance:team-map")).context["map"].payload
    scene = add_scene()
    scene_update(item_id=scene.pk, actor=editor, acquired_at=ACQUIRED)
    early = client.get(
        reverse("provenance:team-map"), {"as_of": "2023-08-10", "axis": "happened"}
    ).context["map"]
    ends = [
        f["properties"]["end"]
        for f in early.payload["features"]
        if f["properties"]["feature"] == "track"
    ]
    assert ends
    assert all(e <= "2023-08-10T23:59:59.999999Z" for e in ends)
    assert early.footprints == 0  # the scene was acquired in October
    assert early.time_control
    assert len(full["features"]) > len(early.payload["features"])


def test_the_team_map_as_of_recorded_leaves_out_what_was_not_yet_recorded(
    client, editor, light_tracks
):
    client.force_login(editor)
    map_ = client.get(
        reverse("provenance:team-map"), {"as_of": "2023-08-10", "axis": "recorded"}
    ).context["map"]
    assert map_.tracks == 0  # the extracts were added today


def test_api_geojson_of_an_extract_is_rfc7946(client, editor, light_tracks):
    client.force_login(editor)
    response = client.get(reverse("api:evidence-geojson", args=[light_tracks[0].pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/geo+json"
    assert geojson.loads(response.content).is_valid


def test_api_mf_json_of_an_extract(client, editor, light_tracks):
    client.force_login(editor)
    data = client.get(reverse("api:evidence-mf-json", args=[light_tracks[0].pk])).json()
    (feature,) = data["features"]
    assert len(feature["properties"]["datetimes"]) == len(
        feature["geometry"]["coordinates"]
    )


def test_api_team_map_with_bounded_queries(
    client, editor, light_tracks, add_scene, django_assert_max_num_queries
):
    add_scene()
    client.force_login(editor)
    with django_assert_max_num_queries(30):
        response = client.get(reverse("api:map-features"))
    data = geojson.loads(response.content)
    assert data.is_valid
    assert [f["properties"]["feature"] for f in data["features"]].count("scene") == 1
    mf = client.get(reverse("api:map-tracks-mfjson")).json()
    assert len(mf["features"]) == 2


def test_another_teams_extract_is_404(client, light_tracks, other_team):
    outsider = MembershipFactory(team=other_team).user
    client.force_login(outsider)
    response = client.get(reverse("api:evidence-geojson", args=[light_tracks[0].pk]))
    assert response.status_code == 404


def test_a_publisher_reads_a_published_claims_geography_only(team, ports, add_scene):
    scene = add_scene()
    claim = published(team)
    claim.subjects.add(ports["rajin"])
    ClaimEvidenceFactory(claim=claim, item=scene, relation="supports")
    made_public(claim)
    draft = ClaimFactory(team=team, status="draft")
    client = publisher_client(make_publisher(team).key)
    data = client.get(reverse("api:claim-geojson", args=[claim.pk])).json()
    kinds = sorted(f["properties"]["feature"] for f in data["features"])
    assert kinds == ["port", "scene"]
    assert client.get(reverse("api:claim-geojson", args=[draft.pk])).status_code == 404
    assert client.get(reverse("api:map-features")).status_code == 403


def test_a_publisher_never_sees_a_restricted_scene(team, ports, add_scene):
    scene = add_scene(is_restricted=True)
    claim = published(team)
    ClaimEvidenceFactory(claim=claim, item=scene, relation="supports")
    made_public(claim)
    client = publisher_client(make_publisher(team).key)
    data = client.get(reverse("api:claim-geojson", args=[claim.pk])).json()
    assert data["features"] == []


def test_the_signed_bundle_carries_each_claims_geography(team, ports):
    claim = published(team)
    claim.subjects.add(ports["rajin"])
    plain = published(team)
    payload = bundle_payload(
        claims=type(claim).objects.filter(pk__in=[claim.pk, plain.pk]),
        public=True,
        urls=ExportUrls("https://example.org"),
        teams=[team],
    )
    assert list(payload["geo"]) == [str(claim.pk)]
    (feature,) = payload["geo"][str(claim.pk)]["features"]
    assert feature["geometry"] == {"type": "Point", "coordinates": [130.2833, 42.2167]}
