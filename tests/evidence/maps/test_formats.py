"""GeoJSON (RFC 7946) and MF-JSON Trajectory out of tracks, places and footprints."""

from datetime import UTC, datetime, timedelta

import geojson
import numpy as np

from evidence.maps.formats import (
    DarkPeriod,
    MapFootprint,
    MapPlace,
    PortVisit,
    VesselTrack,
    feature_collection,
    map_payload,
    mf_json_collection,
    mf_json_trajectory,
    thin,
    track_until,
)

T0 = datetime(2023, 8, 1, tzinfo=UTC)


def us(when: datetime) -> int:
    return int(when.timestamp() * 1_000_000)


def track(**extra) -> VesselTrack:
    """Six reports an hour apart; dark between the 3rd and 4th."""
    times = [T0 + timedelta(hours=h) for h in (0, 1, 2, 8, 9, 10)]
    fields = {
        "mmsi": "400000001",
        "name": "Angara",
        "extract_id": 7,
        "extract_title": "AIS (synthetic)",
        "is_synthetic": True,
        "times_us": np.array([us(t) for t in times], dtype=np.int64),
        "lats": np.array([42.2, 42.25, 42.3, 42.6, 42.7, 42.8]),
        "lons": np.array([130.3, 130.5, 130.7, 131.6, 131.9, 132.3]),
        "dark_periods": (
            DarkPeriod(
                start_at=times[2],
                end_at=times[3],
                start_lat=42.3,
                start_lon=130.7,
                end_lat=42.6,
                end_lon=131.6,
                distance_km=82.0,
            ),
        ),
        "port_calls": (
            PortVisit(
                port="Dunai",
                lat=42.8803,
                lon=132.3375,
                arrival_at=times[5],
                departure_at=None,
            ),
        ),
    }
    return VesselTrack(**{**fields, **extra})


FOOTPRINT = MapFootprint(
    title="Scene",
    polygon={
        "type": "Polygon",
        "coordinates": [
            [[130.2, 42.1], [130.4, 42.1], [130.4, 42.3], [130.2, 42.3], [130.2, 42.1]]
        ],
    },
    acquired_at=T0,
)


def test_the_collection_is_valid_rfc7946_geojson():
    collection = feature_collection(
        tracks=[track()],
        places=[MapPlace(name="Rajin", lat=42.2167, lon=130.2833, kind="port")],
        footprints=[FOOTPRINT],
    )
    parsed = geojson.loads(geojson.dumps(collection))
    assert parsed.is_valid, parsed.errors()
    assert "crs" not in collection  # RFC 7946 dropped it: WGS84 only
    for feature in collection["features"]:
        assert geojson.GeoJSON.to_instance(feature).is_valid


def test_a_track_breaks_at_its_dark_period_and_the_gap_is_its_own_line():
    features = feature_collection(tracks=[track()])["features"]
    kinds = [f["properties"]["feature"] for f in features]
    assert kinds == ["track", "dark_period", "port_call"]
    lines = features[0]["geometry"]["coordinates"]
    assert features[0]["geometry"]["type"] == "MultiLineString"
    assert lines == [
        [[130.3, 42.2], [130.5, 42.25], [130.7, 42.3]],
        [[131.6, 42.6], [131.9, 42.7], [132.3, 42.8]],
    ]
    gap = features[1]
    assert gap["geometry"] == {
        "type": "LineString",
        "coordinates": [[130.7, 42.3], [131.6, 42.6]],
    }
    assert gap["properties"]["hours"] == 6.0
    assert gap["properties"]["start"] == "2023-08-01T02:00:00Z"


def test_coordinates_are_longitude_then_latitude_and_bbox_covers_all():
    collection = feature_collection(tracks=[track()], footprints=[FOOTPRINT])
    assert collection["bbox"] == [130.2, 42.1, 132.3375, 42.8803]


def test_the_page_payload_carries_point_times_and_the_time_span():
    payload = map_payload(tracks=[track()], as_of=T0 + timedelta(hours=9))
    times = payload["features"][0]["properties"]["times"]
    assert times == [
        [us(T0) // 10**6, us(T0) // 10**6 + 3600, us(T0) // 10**6 + 7200],
        [
            us(T0) // 10**6 + 8 * 3600,
            us(T0) // 10**6 + 9 * 3600,
            us(T0) // 10**6 + 10 * 3600,
        ],
    ]
    assert payload["time_span"] == ["2023-08-01T00:00:00Z", "2023-08-01T10:00:00Z"]
    assert payload["as_of"] == "2023-08-01T09:00:00Z"


def test_the_exported_geojson_has_no_point_times():
    features = feature_collection(tracks=[track()])["features"]
    assert "times" not in features[0]["properties"]


def test_mf_json_trajectory_has_one_datetime_per_node():
    feature = mf_json_trajectory(track())
    assert feature["geometry"]["type"] == "LineString"
    assert len(feature["geometry"]["coordinates"]) == 6
    assert feature["properties"]["datetimes"][:2] == [
        "2023-08-01T00:00:00Z",
        "2023-08-01T01:00:00Z",
    ]
    assert len(feature["properties"]["datetimes"]) == 6
    assert feature["properties"]["dark_periods"] == [
        {"start": "2023-08-01T02:00:00Z", "end": "2023-08-01T08:00:00Z"}
    ]


def test_mf_json_drops_a_report_at_the_same_instant_as_the_previous():
    base = track()
    times = base.times_us.copy()
    times[1] = times[0]
    feature = mf_json_trajectory(track(times_us=times))
    datetimes = feature["properties"]["datetimes"]
    assert len(datetimes) == 5 == len(feature["geometry"]["coordinates"])
    assert datetimes == sorted(set(datetimes))


def test_mf_json_needs_two_instants():
    one = track(
        times_us=np.array([us(T0)]), lats=np.array([42.0]), lons=np.array([130.0])
    )
    assert mf_json_trajectory(one) is None
    assert mf_json_collection([one]) == {"type": "FeatureCollection", "features": []}


def test_thin_keeps_first_last_and_the_instants_asked_for():
    times = np.arange(10_000, dtype=np.int64) * 60_000_000
    lats = lons = np.zeros(10_000)
    index = thin(times, lats, lons, limit=100, keep_us=[int(times[4321])])
    assert index[0] == 0
    assert index[-1] == 9999
    assert 4321 in index
    assert len(index) <= 102


def test_track_until_cuts_reports_gaps_and_calls_after_the_moment():
    cut = track_until(track(), T0 + timedelta(hours=5))
    assert len(cut.lats) == 3
    assert cut.dark_periods == ()
    assert cut.port_calls == ()
    assert track_until(track(), T0 - timedelta(hours=1)) is None
