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


def test_a_track_breaks_at_its_dark_period_which_is_drawn_apart():
    svg = draw_track_svg(TRACKS, gaps=[GAP], gap_labels={273999001: "SYNTHETIC ANGARA"})
    root = parse_svg(svg)
    angara = [
        line
        for line in root.iter(f"{SVG}polyline")
        if "SYNTHETIC ANGARA" in line.find(f"{SVG}title").text
    ]
    # Rajin -> the point where it went dark; then nothing until it reappears (the
    # last point alone is not a line, so that piece is a single point).
    assert [len(p.get("points").split()) for p in angara] == [2, 1]
    period = root.find(f".//{SVG}g[@class='dark-period']")
    assert period.find(f"{SVG}title").text == (
        "Dark period of SYNTHETIC ANGARA: 15.0 h, 48.6 nm (90.0 km), "
        "from 2023-08-03 06:00 to 2023-08-03 21:00 UTC"
    )
    assert len(period.findall(f"{SVG}circle")) == 2
    assert period.find(f"{SVG}text").text == "15 h dark"


def test_the_map_has_land_from_natural_earth_and_a_nautical_scale():
    root = draw()
    land = root.find(f".//{SVG}path[@class='land']")
    assert land.get("clip-path") == "url(#map-area)"
    assert land.get("d").count("M") >= 1
    scale = root.find(f".//{SVG}g[@class='scale']/{SVG}text").text
    assert scale.endswith(" km)")
    assert " nm (" in scale


def test_the_legend_names_four_rows_of_vessels_and_counts_the_rest():
    tracks = {
        f"VESSEL {n:02d}": ([42.0 + n / 100], [130.0 + n / 100]) for n in range(50)
    }
    root = parse_svg(draw_track_svg(tracks, width=800))
    legend = root.find(f".//{SVG}g[@class='legend']")
    named = [
        t for t in legend.findall(f"{SVG}text") if t.find(f"{SVG}title") is not None
    ]
    # 720 px of map width: three columns of 190 px, four rows, the last row for
    # the count.
    assert len(named) == 9
    assert legend.findall(f"{SVG}text")[-1].text == (
        "+ 41 more vessels (listed below the map)"
    )
