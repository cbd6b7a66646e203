"""Pure geometry: distances, polygons containing points, location checks."""

import pytest

from evidence.maps.geometry import (
    Place,
    check_footprint,
    check_point,
    distance_to_polygon_km,
    format_km,
    haversine_km,
    places_covered,
    polygon_contains,
    search_box,
    spot_distance_km,
    spot_of,
)

RAJIN = Place(name="Rajin", lat=42.2167, lon=130.2833, key="rajin")
DUNAI = Place(name="Dunai", lat=42.8803, lon=132.3375, key="dunai")
TIKHORETSK = Place(name="Tikhoretsk depot", lat=45.855, lon=40.125, key="tik")
# A 0.1 x 0.1 degree square around Rajin, counter-clockwise, with a hole.
SQUARE = {
    "type": "Polygon",
    "coordinates": [
        [
            [130.23, 42.17],
            [130.33, 42.17],
            [130.33, 42.27],
            [130.23, 42.27],
            [130.23, 42.17],
        ],
        [
            [130.24, 42.18],
            [130.25, 42.18],
            [130.25, 42.19],
            [130.24, 42.19],
            [130.24, 42.18],
        ],
    ],
}


def test_haversine_rajin_to_dunai_is_about_184_km():
    # By hand: 0.6636 deg of latitude (73.8 km) and 2.0542 deg of longitude at
    # 42.55 N (168.3 km): sqrt(73.8^2 + 168.3^2) = 183.8 km on the plane.
    assert haversine_km(RAJIN.lat, RAJIN.lon, DUNAI.lat, DUNAI.lon) == pytest.approx(
        183.7, abs=0.1
    )


def test_haversine_of_a_point_to_itself_is_zero():
    assert haversine_km(42.0, 130.0, 42.0, 130.0) == 0.0


def test_polygon_contains_its_inside_but_not_its_hole_or_outside():
    assert polygon_contains(SQUARE, RAJIN.lon, RAJIN.lat)
    assert not polygon_contains(SQUARE, 130.245, 42.185)  # in the hole
    assert not polygon_contains(SQUARE, 130.40, 42.20)


def test_multipolygon_contains_a_point_of_any_part():
    multi = {"type": "MultiPolygon", "coordinates": [SQUARE["coordinates"][:1]]}
    assert polygon_contains(multi, RAJIN.lon, RAJIN.lat)


def test_a_line_is_not_a_polygon():
    with pytest.raises(ValueError, match="not a polygon"):
        polygon_contains({"type": "LineString", "coordinates": []}, 0, 0)


def test_distance_to_polygon_is_zero_inside_and_to_the_edge_outside():
    assert distance_to_polygon_km(SQUARE, RAJIN.lat, RAJIN.lon) == 0.0
    # 0.1 degree of longitude east of the east edge at 42.2 N: about 8.25 km.
    assert distance_to_polygon_km(SQUARE, 42.2, 130.43) == pytest.approx(8.25, abs=0.05)


@pytest.mark.parametrize(
    ("km", "text"),
    [
        (0.27, "0.3 km"),
        (3.04, "3.0 km"),
        (12.4, "12 km"),
        (156, "160 km"),
        (2104.3, "2,100 km"),
        (12345, "12,000 km"),
    ],
)
def test_format_km_gives_two_significant_figures(km, text):
    assert format_km(km) == text


def test_a_photo_near_a_place_says_how_far_from_it():
    check = check_point(42.2190, 130.2860, [RAJIN, DUNAI])
    assert check.nearest == RAJIN
    assert check.distance_km == pytest.approx(0.34, abs=0.01)
    assert not check.is_far
    assert check.sentence == "0.3 km from Rajin."


def test_a_photo_far_from_every_place_is_flagged():
    check = check_point(TIKHORETSK.lat, TIKHORETSK.lon, [RAJIN, DUNAI], far_km=50)
    assert check.is_far
    assert check.nearest == RAJIN
    assert check.sentence == "6,800 km from any place of this claim."


def test_the_far_threshold_is_a_parameter():
    check = check_point(42.2167, 130.9, [RAJIN], far_km=60)
    assert check.distance_km == pytest.approx(50.8, abs=0.2)
    assert not check.is_far
    assert check_point(42.2167, 130.9, [RAJIN], far_km=50).is_far


def test_without_places_there_is_nothing_to_compare():
    check = check_point(42.0, 130.0, [])
    assert check.nearest is None
    assert not check.is_far
    assert check.sentence == "This claim has no place with coordinates to compare with."


def test_a_scene_covering_a_place_is_inside_it():
    check = check_footprint(SQUARE, [DUNAI, RAJIN])
    assert check.is_inside
    assert check.nearest == RAJIN
    assert check.distance_km == 0.0
    assert check.sentence == "The scene covers Rajin."


def test_places_covered_are_the_places_inside_the_footprint():
    assert places_covered(SQUARE, [RAJIN, DUNAI, TIKHORETSK]) == [RAJIN]


def test_a_scene_spot_is_its_footprint_centre_and_covers_a_photo_inside_it():
    scene = spot_of(footprint=SQUARE, gps_latitude=None, gps_longitude=None)
    west, south, east, north = (p for p in search_box(scene, 0))
    assert (scene.lat, scene.lon) == pytest.approx(
        ((south + north) / 2, (west + east) / 2)
    )
    photo = spot_of(footprint=None, gps_latitude=RAJIN.lat, gps_longitude=RAJIN.lon)
    assert spot_distance_km(scene, photo) == 0.0
    assert spot_distance_km(photo, scene) == 0.0
    assert spot_of(footprint=None, gps_latitude=None, gps_longitude=1.0) is None


def test_the_search_box_holds_every_point_within_its_distance():
    photo = spot_of(footprint=None, gps_latitude=RAJIN.lat, gps_longitude=RAJIN.lon)
    west, south, east, north = search_box(photo, 2.0)
    assert haversine_km(RAJIN.lat, RAJIN.lon, north, RAJIN.lon) == pytest.approx(2.0)
    assert haversine_km(RAJIN.lat, RAJIN.lon, south, RAJIN.lon) == pytest.approx(2.0)
    # Widened for the box's poleward edge, where a degree of longitude is shortest.
    assert haversine_km(RAJIN.lat, RAJIN.lon, RAJIN.lat, east) > 2.0
    assert haversine_km(RAJIN.lat, RAJIN.lon, RAJIN.lat, west) > 2.0
