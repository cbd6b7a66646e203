"""scene_update: the one writer of a scene's description, with custody and audit."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from evidence.maps.services import scene_update
from evidence.models import CustodyEvent, SatelliteScene
from provenance.audit.models import AuditEvent
from tests.evidence.maps.conftest import ACQUIRED
from tests.factories import EvidenceItemFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_describing_a_scene_writes_custody_and_audit(editor, add_scene):
    item = add_scene()
    scene = scene_update(
        item_id=item.pk, actor=editor, provider="Planet", cloud_cover_percent=20.0
    )
    assert (scene.provider, scene.cloud_cover_percent) == ("Planet", 20.0)
    event = AuditEvent.objects.get(action="evidence.scene_update")
    assert event.payload == {"provider": "Planet", "cloud_cover_percent": 20.0}
    custody = CustodyEvent.objects.filter(item=item, action="edited").get()
    assert custody.detail == {"scene": event.payload}


def test_only_the_fields_given_change_and_an_unchanged_save_writes_nothing(
    editor, add_scene
):
    item = add_scene()
    scene_update(item_id=item.pk, actor=editor, provider="Planet", gsd_m=3.0)
    scene_update(item_id=item.pk, actor=editor, sensor="PS2")
    scene = SatelliteScene.objects.get(item=item)
    assert (scene.provider, scene.sensor, scene.gsd_m) == ("Planet", "PS2", 3.0)
    before = AuditEvent.objects.count()
    scene_update(item_id=item.pk, actor=editor, sensor="PS2")
    assert AuditEvent.objects.count() == before


def test_an_image_without_a_footprint_is_not_a_scene(editor, team):
    item = EvidenceItemFactory(team=team, kind="image")
    with pytest.raises(ValidationError, match="georeferenced image"):
        scene_update(item_id=item.pk, actor=editor, provider="Planet")
    assert not SatelliteScene.objects.exists()


def test_cloud_cover_over_100_is_refused_and_nothing_is_stored(editor, add_scene):
    item = add_scene()
    with pytest.raises(ValidationError):
        scene_update(item_id=item.pk, actor=editor, cloud_cover_percent=130.0)
    assert not AuditEvent.objects.filter(action="evidence.scene_update").exists()


def test_someone_outside_the_team_cannot_describe_its_scene(add_scene):
    item = add_scene()
    with pytest.raises(PermissionDenied):
        scene_update(item_id=item.pk, actor=UserFactory(), provider="Planet")


def test_the_scene_form_saves_through_the_service(client, editor, add_scene):
    item = add_scene()
    client.force_login(editor)
    response = client.post(
        reverse("evidence:item-scene", args=[item.pk]),
        {
            "provider": "Maxar",
            "platform": "WorldView-3",
            "sensor": "",
            "acquired_at": "2023-10-14T02:00",
            "gsd_m": "0.31",
            "cloud_cover_percent": "3",
        },
    )
    assert response.status_code == 302
    scene = SatelliteScene.objects.get(item=item)
    assert (scene.provider, scene.platform, scene.acquired_at, scene.gsd_m) == (
        "Maxar",
        "WorldView-3",
        ACQUIRED,
        0.31,
    )


def test_a_bad_scene_form_is_400_with_the_field_error(client, editor, add_scene):
    item = add_scene()
    client.force_login(editor)
    response = client.post(
        reverse("evidence:item-scene", args=[item.pk]), {"cloud_cover_percent": "120"}
    )
    assert response.status_code == 400
    assert "less than or equal to 100" in response.content.decode()
    assert not SatelliteScene.objects.exists()


def test_the_scene_page_shows_its_footprint_map_and_the_place_it_covers(
    client, editor, add_scene, ports
):
    item = add_scene()
    client.force_login(editor)
    response = client.get(item.get_absolute_url())
    page = response.content.decode()
    assert response.status_code == 200
    assert f'data-map-data="map-data-scene-{item.pk}"' in page
    assert 'data-suggested-subjects>Covers <a href="/entities/rajin/">Rajin</a>' in page
    assert "vendor/leaflet-1.9.4/leaflet.js" in page
