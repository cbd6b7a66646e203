import xml.etree.ElementTree as ET
from datetime import UTC, datetime

import numpy as np

from evidence.ais.analyse import Gap, Port
from evidence.ais.draw import downsample, draw_track_svg

SVG = "{http://www.w3.org/2000/svg}"
RAJIN = Port("KPRJN", "Rajin", 42.2167, 130.2833)
DUNAI = Port("DUNAI", "Dunai & <Fokino>", 42.8803, 132.3375)
TRACKS = {
    "SYNTHETIC ANGARA": ([42.2167, 42.5, 42.8803], [130.2833, 131.3, 132.3375]),
    "SYNTHETIC <MARIA>": ([42.88, 42.4], [132.33, 130.9]),
}
GAP = Gap(
    mmsi=273999001,
    start=datetime(2023, 8, 3, 6, tzinfo=UTC),
    end=datetime(2023, 8, 3, 21, tzinfo=UTC),
    start_lat=42.5,
    start_lon=131.3,
    end_lat=42.8803,
    end_lon=132.3375,
    duration_hours=15.0,
    distance_km=90.0,
    distance_nm=48.6,
    implied_speed_knots=3.2,
)


def parse_svg(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def draw() -> ET.Element:
    return parse_svg(draw_track_svg(TRACKS, ports=[RAJIN, DUNAI], gaps=[GAP]))


def test_svg_is_valid_xml_with_an_accessible_name():
    root = draw()
    assert (root.get("role"), root.find(f"{SVG}title").text) == (
        "img",
        root.get("aria-label"),
    )


def test_svg_draws_one_polyline_per_vessel_in_distinct_colours():
    lines = draw().findall(f".//{SVG}polyline")
    assert len({line.get("stroke") for line in lines}) == 2


def test_svg_labels_ports_with_escaped_text():
    texts = [t.text for t in draw().iter(f"{SVG}text")]
    assert "Dunai & <Fokino>" in texts
    assert "SYNTHETIC <MARIA>" in texts


def test_svg_draws_dark_periods_dashed():
    gap_lines = [
        line for line in draw().iter(f"{SVG}line") if line.get("class") == "gap"
    ]
    assert [line.get("stroke-dasharray") for line in gap_lines] == ["6 4"]


def test_svg_has_graticule_labels_in_degrees():
    texts = [t.text for t in draw().iter(f"{SVG}text")]
    assert "42.5°N" in texts


def test_svg_has_no_script():
    assert "script" not in draw_track_svg(TRACKS, ports=[], gaps=[])


def test_long_track_is_thinned_to_two_thousand_points():
    lats = np.linspace(42.0, 43.0, 50_000)
    svg = draw_track_svg({"A": (lats, lats + 88.0)}, ports=[], gaps=[])
    points = parse_svg(svg).find(f".//{SVG}polyline").get("points").split()
    assert len(points) == 2000


def test_downsample_keeps_first_and_last_points():
    index = downsample(np.arange(10_000.0), np.arange(10_000.0), 100)
    assert (index[0], index[-1], len(index)) == (0, 9_999, 100)


def test_empty_map_is_still_valid_svg():
    assert parse_svg(draw_track_svg({}, ports=[], gaps=[])).tag == f"{SVG}svg"
