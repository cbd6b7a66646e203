"""Shared builders for the maps tests: ports, GeoTIFF scenes, demo-like tracks."""

import io
import socket
from datetime import UTC, datetime

import pytest

from evidence.ais import services as ais_services
from evidence.ais.demo import demo_ais_extracts
from evidence.images.services import evidence_add_image
from evidence.maps.demo import synthetic_scene_geotiff
from provenance.entities.models import EntityKind
from tests.factories import EntityFactory

ACQUIRED = datetime(2023, 10, 14, 2, tzinfo=UTC)
# One synthetic vessel for both demo tracks: the vessel page then has two.
ONE_VESSEL = {"imo": "0000012", "mmsi": "400000001", "flag": "RU"}


@pytest.fixture
def ports(team):
    return {
        "rajin": EntityFactory(
            team=team,
            kind=EntityKind.PORT,
            name="Rajin",
            slug="rajin",
            latitude=42.2167,
            longitude=130.2833,
        ),
        "dunai": EntityFactory(
            team=team,
            kind=EntityKind.PORT,
            name="Dunai",
            slug="dunai",
            latitude=42.8803,
            longitude=132.3375,
        ),
    }


@pytest.fixture
def add_scene(team, editor, django_capture_on_commit_callbacks):
    def add(data: bytes | None = None, **fields):
        with django_capture_on_commit_callbacks(execute=True):
            item = evidence_add_image(
                team=team,
                actor=editor,
                upload=io.BytesIO(
                    data
                    or synthetic_scene_geotiff(
                        site="rajin", acquired_at=ACQUIRED, size=(300, 200), pixel_m=20
                    )
                ),
                filename="scene.tif",
                title=fields.pop("title", "Rajin scene (synthetic)"),
                is_synthetic=True,
                **fields,
            )
        item.refresh_from_db()
        return item

    return add


@pytest.fixture
def two_tracks(team, editor, ports, django_capture_on_commit_callbacks):
    """The demo's two synthetic tracks, both under one vessel's identifiers."""
    items = []
    for extract in demo_ais_extracts({"Angara": ONE_VESSEL, "Maria": ONE_VESSEL}):
        with django_capture_on_commit_callbacks(execute=True):
            item = ais_services.evidence_add_ais(
                team=team,
                actor=editor,
                upload=io.BytesIO(extract.content),
                filename=extract.filename,
                title=extract.title,
                is_synthetic=True,
            )
        item.refresh_from_db()
        items.append(item)
    return items


@pytest.fixture
def no_network(monkeypatch):
    """Any outside connection fails the test (loopback stays open)."""
    real_connect = socket.socket.connect

    def connect(self, address):
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and host not in ("127.0.0.1", "::1", "localhost"):
            raise AssertionError(f"network access to {address!r}")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)


@pytest.fixture
def light_tracks(team, editor, ports, django_capture_on_commit_callbacks):
    """Two small extracts of one synthetic vessel (a hundred reports each), each
    with one dark period at sea."""
    from datetime import timedelta

    from evidence.ais.demo import DUNAI, RAJIN
    from evidence.ais.synthetic import (
        SyntheticVessel,
        synthetic_track,
        to_marinecadastre_csv,
    )

    vessel = SyntheticVessel(mmsi=400000001, name="ANGARA", imo=12)
    items = []
    for n, start in enumerate(
        (datetime(2023, 8, 1, tzinfo=UTC), datetime(2023, 9, 1, tzinfo=UTC))
    ):
        departure = start + timedelta(days=1)
        dark = [(departure + timedelta(hours=4), departure + timedelta(hours=20))]
        track = synthetic_track(
            vessel=vessel,
            origin=RAJIN,
            destination=DUNAI,
            start=start,
            runs=2,
            interval=timedelta(hours=1),
            speed_knots=3.0,
            dwell=timedelta(days=1),
            dark=dark,
            seed=n,
        )
        with django_capture_on_commit_callbacks(execute=True):
            item = ais_services.evidence_add_ais(
                team=team,
                actor=editor,
                upload=io.BytesIO(to_marinecadastre_csv([track])),
                filename=f"light-{n}.csv",
                title=f"Light track {n} (synthetic)",
                is_synthetic=True,
            )
        item.refresh_from_db()
        items.append(item)
    return items
