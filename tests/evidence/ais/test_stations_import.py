"""An AIS import classifies its stations: only vessels become vessel entities, the
extract records its stations and the vessels it created, and its page lists them."""

import io

import pytest
from django.urls import reverse
from pyais import TagBlock, encode_dict

from evidence.ais import services as ais_services
from evidence.models import EvidenceItem
from provenance.audit.models import AuditEvent
from provenance.entities.models import Entity
from tests.evidence.ais.helpers import DATA
from tests.evidence.ais.test_views import PAGE_QUERIES
from tests.factories import EntityFactory

T0 = 1697155200  # 2023-10-13T00:00:00Z
SHIP, ATON, BASE = 219999001, 992111840, 2190066  # 002190066


def sentence(fields: dict) -> list[str]:
    return encode_dict(fields, sentence_type="VDM")


def tagged(seconds: int, text: str) -> str:
    return f"\\{TagBlock.create(receiver_timestamp=seconds).decode()}\\{text}"


def mixed_nmea() -> bytes:
    """A ship (types 1 and 5), an aid to navigation (21) and a base station (4),
    every line timed by a tag block."""
    ship = [
        sentence(
            {
                "type": 1,
                "mmsi": SHIP,
                "lat": 55.6761 + i / 100,
                "lon": 12.5683,
                "speed": 10.0,
                "course": 0.0,
                "heading": 0,
            }
        )[0]
        for i in range(3)
    ]
    static = sentence(
        {
            "type": 5,
            "mmsi": SHIP,
            "imo": 9999993,
            "callsign": "OXXX2",
            "shipname": "SYNTHETIC DANE",
            "ship_type": 70,
        }
    )
    aton = sentence(
        {
            "type": 21,
            "mmsi": ATON,
            "aid_type": 1,
            "name": "WIND FARM",
            "lon": 12.63,
            "lat": 54.61,
        }
    )
    base = sentence(
        {
            "type": 4,
            "mmsi": BASE,
            "year": 2023,
            "month": 10,
            "day": 13,
            "lon": 8.17,
            "lat": 56.53,
        }
    )
    lines = [tagged(T0 + 600 * i, s) for i, s in enumerate(ship)]
    lines += [tagged(T0 + 60, s) for s in [*static, *aton, *base]]
    return ("\n".join(lines) + "\n").encode()


@pytest.fixture
def add_ais(team, editor, django_capture_on_commit_callbacks):
    def add(content: bytes, filename: str, **fields):
        with django_capture_on_commit_callbacks(execute=True):
            item = ais_services.evidence_add_ais(
                team=team,
                actor=editor,
                upload=io.BytesIO(content),
                filename=filename,
                **fields,
            )
        return EvidenceItem.objects.get(pk=item.pk)

    return add


def test_an_aton_and_a_base_station_make_no_vessel_entity(add_ais, team):
    item = add_ais(mixed_nmea(), "mixed.nmea")

    vessel = Entity.objects.get(team=team)
    assert (vessel.kind, vessel.mmsi, vessel.imo, vessel.is_auto_created) == (
        "vessel",
        "219999001",
        "9999993",
        True,
    )
    assert list(item.ais.vessels.all()) == [vessel]
    assert list(item.ais.vessels_created.all()) == [vessel]
    assert item.ais.stations == {
        "counts": {"vessel": 1, "aton": 1, "base_station": 1},
        "non_vessels": [
            {
                "mmsi": "002190066",
                "class": "base_station",
                "reason": "message 4 (base station message)",
            },
            {
                "mmsi": "992111840",
                "class": "aton",
                "reason": "message 21 (aid-to-navigation report)",
            },
        ],
        "non_vessels_omitted": 0,
        "vessel_notes": [],
    }
    assert AuditEvent.objects.filter(action="entity.create").count() == 1


def test_processing_again_keeps_the_vessels_the_import_created(add_ais, team):
    item = add_ais(mixed_nmea(), "mixed.nmea")

    ais_services.ais_process(item_id=item.pk)  # finds its entity, creates none

    item = EvidenceItem.objects.get(pk=item.pk)
    assert [e.mmsi for e in item.ais.vessels_created.all()] == ["219999001"]
    assert Entity.objects.filter(team=team).count() == 1


def test_a_vessel_the_team_already_had_is_not_listed_as_created(add_ais, team):
    known = EntityFactory(team=team, kind="vessel", name="Dane", mmsi="219999001")

    item = add_ais(mixed_nmea(), "mixed.nmea")

    assert list(item.ais.vessels.all()) == [known]
    assert list(item.ais.vessels_created.all()) == []


def test_real_dma_sample_creates_no_entity_for_its_aids_to_navigation(add_ais, team):
    real = DATA.parent / "real" / "ais_stations" / "dma_aisdk_20180601_head.csv"

    item = add_ais(real.read_bytes(), "aisdk_20180601_head.csv")

    mmsis = set(Entity.objects.filter(team=team).values_list("mmsi", flat=True))
    assert len(mmsis) == 123
    assert not mmsis & {"992111840", "992441004", "992191500", "992111924"}
    assert "999999000" not in mmsis
    assert item.ais.vessels_created.count() == 123
    assert item.ais.stations["counts"] == {"vessel": 123, "aton": 4, "invalid": 1}


def test_extract_page_lists_stations_and_created_vessels_in_constant_queries(
    add_ais, editor_client, django_assert_max_num_queries
):
    item = add_ais(mixed_nmea(), "mixed.nmea")
    url = reverse("evidence:ais-detail", args=[item.pk])

    with django_assert_max_num_queries(PAGE_QUERIES):
        response = editor_client.get(url)

    html = response.content.decode()
    vessel = item.ais.vessels_created.get()
    assert response.status_code == 200
    assert "<h2>Stations</h2>" in html
    assert "<strong>1</strong> aid to navigation" in html
    assert "<strong>1</strong> base station" in html
    assert '<td class="mono">992111840</td><td>Aid to navigation</td>' in html
    assert '<td class="mono">002190066</td><td>Base station</td>' in html
    assert "Vessels created by this import — review them" in html
    created = html[html.index('class="plain ais-vessels-created"') :]
    assert f'<a href="{vessel.get_absolute_url()}">SYNTHETIC DANE</a>' in created


def test_status_poll_shows_the_same_stations(add_ais, editor_client):
    item = add_ais(mixed_nmea(), "mixed.nmea")

    response = editor_client.get(reverse("evidence:ais-status", args=[item.pk]))

    assert "Aid to navigation" in response.json()["html"]
