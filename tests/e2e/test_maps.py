"""The vessel map in Chromium: Leaflet (vendored) over the offline Natural Earth
land layer shows both of the vessel's synthetic tracks and their dark periods.
Checked by sampling pixels of a screenshot (land colour on land, sea colour at
sea, each track's colour along its track, white-and-colour dashes along a dark
period), not only the DOM; with the site's strict CSP (no inline script)."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
from PIL import Image

from evidence.ais import services as ais_services
from evidence.ais.analyse import Port
from evidence.ais.demo import DUNAI, RAJIN, SHIPS, dark_windows, demo_ais_extracts
from evidence.ais.synthetic import (
    SyntheticVessel,
    synthetic_track,
    to_marinecadastre_csv,
)
from evidence.models import AISExtract
from provenance.entities.models import EntityKind
from tests.factories import EntityFactory, MembershipFactory, TeamFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

VESTOCHNY = Port(key="vostochny", name="Vostochny", lat=42.767, lon=133.05)
IDS = {"imo": "0000012", "mmsi": "400000001", "flag": "RU"}
LAND = (0xE4, 0xDF, 0xD3)
SEA = (0xCF, 0xE2, 0xF0)
TRACK_COLOURS = [(0x00, 0x72, 0xB2), (0xD5, 0x5E, 0x00)]  # map.js PALETTE[0], [1]
WHITE = (0xFF, 0xFF, 0xFF)


def near(pixel, colour, tolerance=8):
    return all(abs(a - b) <= tolerance for a, b in zip(pixel[:3], colour, strict=True))


def arrange(editor, team):
    """The demo's Angara extract, and a second synthetic extract of the same
    vessel shuttling Rajin - Vostochny (so the two tracks can be told apart)."""
    for name, lat, lon in (
        ("Rajin", RAJIN.lat, RAJIN.lon),
        ("Dunai", DUNAI.lat, DUNAI.lon),
        ("Vostochny", VESTOCHNY.lat, VESTOCHNY.lon),
    ):
        EntityFactory(
            team=team,
            kind=EntityKind.PORT,
            name=name,
            slug=name.lower(),
            latitude=lat,
            longitude=lon,
        )
    angara = demo_ais_extracts({"Angara": IDS})[0]
    ship = SHIPS[0]
    second = synthetic_track(
        vessel=SyntheticVessel(mmsi=int(IDS["mmsi"]), name="ANGARA", imo=12),
        origin=RAJIN,
        destination=VESTOCHNY,
        start=ship.start + timedelta(days=80),
        runs=2,
        interval=timedelta(minutes=30),
        speed_knots=6.0,
        dwell=timedelta(days=2),
        dark=[
            (
                ship.start + timedelta(days=82, hours=3),
                ship.start + timedelta(days=82, hours=17),
            )
        ],
        seed=5,
    )
    uploads = [
        (angara.content, angara.filename),
        (to_marinecadastre_csv([second]), "second.csv"),
    ]
    for content, filename in uploads:
        ais_services.evidence_add_ais(
            team=team,
            actor=editor,
            upload=io.BytesIO(content),
            filename=filename,
            title=f"Synthetic AIS {filename}",
            is_synthetic=True,
        )
    assert dark_windows(ship)  # the demo's Angara goes dark at sea


def test_vessel_map_shows_both_tracks_dark_periods_and_land_by_pixels(
    live_server, new_page, log_in, console, screenshots
):
    team = TeamFactory(name="Desk", slug="desk")
    editor = MembershipFactory(team=team, role="editor", user__username="ed").user
    arrange(editor, team)
    extract = AISExtract.objects.filter(item__team=team).first()
    vessel = extract.vessels.get()
    assert (
        AISExtract.objects.filter(vessels=vessel, analysed_at__isnull=False).count()
        == 2
    )
    shot = screenshots("maps-")
    page = new_page()
    log_in(page, "ed")
    page.goto(vessel.get_absolute_url())
    page.locator('.geo-map[data-land-ready="1"][data-map-drawn="1"]').wait_for()
    page.wait_for_function(
        "document.querySelectorAll('.geo-map path.leaflet-interactive').length > 3"
    )
    canvas = page.locator(".geo-map-canvas")
    canvas.scroll_into_view_if_needed()
    png = canvas.screenshot()
    shot.element(canvas, "vessel map 1280")
    image = Image.open(io.BytesIO(png)).convert("RGB")

    payload = json.loads(page.locator("#map-data-vessel").text_content())
    tracks = [f for f in payload["features"] if f["properties"]["feature"] == "track"]
    # Dark periods at sea (the one in port starts and ends at the quay).
    darks = [
        f
        for f in payload["features"]
        if f["properties"]["feature"] == "dark_period"
        and f["properties"]["distance_km"] > 50
    ]
    assert len(tracks) == 2
    assert len(darks) >= 2

    def to_pixel(lat, lon):
        point = page.evaluate(
            "([lat, lon]) => "
            "window.provenanceMaps[0].latLngToContainerPoint([lat, lon])",
            [lat, lon],
        )
        return round(point["x"]), round(point["y"])

    def window(x, y, r=3):
        return [
            image.getpixel((i, j))
            for i in range(max(0, x - r), min(image.width, x + r + 1))
            for j in range(max(0, y - r), min(image.height, y + r + 1))
        ]

    # Land: inland Russia north-west of the routes; sea: the open Sea of Japan.
    assert near(image.getpixel(to_pixel(42.95, 130.75)), LAND)
    assert near(image.getpixel(to_pixel(42.15, 131.6)), SEA)

    # Each track in its own colour along its own route (the routes part after
    # Rajin): a point two thirds along each passage line, away from the ports.
    for track, colour in zip(tracks, TRACK_COLOURS, strict=True):
        line = max(track["geometry"]["coordinates"], key=len)
        found = False
        for lon, lat in line[len(line) // 3 : 2 * len(line) // 3 : 7]:
            x, y = to_pixel(lat, lon)
            if any(near(p, colour, 30) for p in window(x, y, 2)):
                found = True
                break
        assert found, f"no {colour} pixel along track {track['id']}"

    # A dark period: white and the track's colour alternate along its dashes.
    for dark in darks:
        (lon1, lat1), (lon2, lat2) = dark["geometry"]["coordinates"]
        samples = []
        for k in range(30, 71, 2):
            t = k / 100
            x, y = to_pixel(lat1 + (lat2 - lat1) * t, lon1 + (lon2 - lon1) * t)
            samples.extend(window(x, y, 1))  # the line's core, give or take 1 px
        assert any(near(p, WHITE, 12) for p in samples), (dark["id"], samples)
        assert any(any(near(p, c, 30) for c in TRACK_COLOURS) for p in samples), (
            dark["id"],
            samples,
        )

    # No CSP violation or script error on the way.
    assert console.errors == []

    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_timeout(
        300
    )  # Leaflet re-lays out on resize (a frame, not a duration)
    box = canvas.bounding_box()
    assert box["width"] <= 390
    shot.element(canvas, "vessel map 390")
    shot(page, "vessel page 390")
