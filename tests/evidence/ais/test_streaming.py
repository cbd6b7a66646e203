"""The streaming ingest (batches, spill by vessel, per-bucket cross-row rules and
analysis) keeps, counts and derives exactly what reading the file whole does."""

import io
from datetime import UTC, datetime, timedelta

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from evidence.ais import services as ais_services
from evidence.ais.analyse import AnalysisParams, Port, analyse
from evidence.ais.draw import MAX_POINTS_PER_VESSEL, thin_track
from evidence.ais.nmea_reader import iter_nmea, parse_nmea
from evidence.ais.parse import (
    CSV_BATCH_BYTES,
    iter_chunk_lines,
    iter_lines,
    open_reports,
)
from evidence.ais.results import team_ports
from evidence.ais.spill import SpilledPositions
from evidence.ais.storage import load_positions
from evidence.ais.synthetic import (
    SyntheticVessel,
    synthetic_imo,
    synthetic_track,
    to_marinecadastre_csv,
)
from evidence.ais.tally import AnalysisTally
from evidence.ais.validate import (
    BatchValidator,
    Positions,
    parse_and_validate,
    validate_batches,
)
from evidence.models import EvidenceItem, ProcessingState
from tests.evidence.ais.helpers import DATA, mc_csv, mc_row
from tests.factories import EntityFactory

RAJIN = Port("rajin", "Rajin", 42.2167, 130.2833)
DUNAI = Port("dunai", "Dunai", 42.8803, 132.3375)
START = datetime(2023, 8, 1, tzinfo=UTC)


def interleaved_csv(vessels: int, runs: int) -> bytes:
    """Several ships' tracks merged in time order (as receivers write them), with
    a duplicate, an unreadable latitude and an impossible jump far into the file
    (past the first batch) and an early row repeated at the very end."""
    tracks = [
        synthetic_track(
            vessel=SyntheticVessel(
                mmsi=400_100_000 + n,
                name=f"SYNTHETIC {n}",
                imo=synthetic_imo(100_000 + n),
            ),
            origin=RAJIN,
            destination=DUNAI,
            start=START,
            runs=runs,
            interval=timedelta(minutes=2),
            dark=[(START + timedelta(days=2), START + timedelta(days=3))],
            seed=n,
        )
        for n in range(vessels)
    ]
    table = pa.concat_tables(tracks)
    table = table.take(pc.sort_indices(table, [("BaseDateTime", "ascending")]))
    lines = to_marinecadastre_csv([table]).decode().splitlines()
    n = len(lines)
    at = n * 2 // 3
    mmsi, when = (field.strip('"') for field in lines[at].split(",")[:2])
    lines.insert(at + 1, lines[at])  # a duplicate
    lines.insert(at + 2, mc_row(mmsi=mmsi, when=when, lat="north"))
    # Half a world away one second later: an impossible jump.
    jump_when = (datetime.fromisoformat(when) + timedelta(seconds=1)).isoformat()
    lines.insert(at + 3, mc_row(mmsi=mmsi, when=jump_when, lat="-40.0", lon="-50.0"))
    lines.append(lines[1])  # the first report again, in the last batch
    return ("\n".join(lines) + "\n").encode()


@pytest.fixture(scope="module")
def content() -> bytes:
    data = interleaved_csv(vessels=3, runs=12)
    assert len(data) > 2 * CSV_BATCH_BYTES  # three batches at least
    return data


def streamed(content: bytes, *, batch_bytes: int, buckets: int, tmp_path):
    """What the service does, without the database: batches, spill, buckets."""
    spilled = SpilledPositions(tmp_path, buckets=buckets)
    with open_reports(content, batch_bytes=batch_bytes) as (fmt, batches):
        validator = BatchValidator(fmt)
        for raw in batches:
            spilled.add(validator.add(raw))
    kept = []
    for bucket in spilled:
        kept.append(bucket.take(validator.keep_sorted(bucket)))
    return validator, kept


def concat_sorted(parts: list[Positions]) -> Positions:
    columns = ("mmsi", "timestamp_us", "lat", "lon", "sog", "cog", "heading")
    joined = Positions(
        *(np.concatenate([getattr(p, c) for p in parts]) for c in columns)
    )
    order = np.lexsort((joined.timestamp_us, joined.mmsi))
    return joined.take(order)


def assert_same_positions(got: Positions, expected: Positions) -> None:
    for name in ("mmsi", "timestamp_us", "lat", "lon", "sog", "cog", "heading"):
        assert np.array_equal(
            getattr(got, name), getattr(expected, name), equal_nan=True
        ), name


def test_the_file_comes_in_several_batches(content):
    with open_reports(content) as (_fmt, batches):
        sizes = [raw.rows_read for raw in batches]

    assert len(sizes) >= 3
    assert sum(sizes) == content.count(b"\n") - 1


def test_batches_and_buckets_keep_and_count_as_the_whole_file_does(content, tmp_path):
    whole = parse_and_validate(content)

    validator, kept = streamed(
        content, batch_bytes=1 << 16, buckets=2, tmp_path=tmp_path
    )
    result = validator.result(
        mmsis={int(m) for p in kept for m in np.unique(p.mmsi)},
        rows_kept=sum(len(p) for p in kept),
    )

    assert whole.rejected == {"bad_position": 1, "duplicate": 2, "impossible_jump": 1}
    assert result.rejected == whole.rejected
    assert (result.rows_read, result.rows_kept) == (whole.rows_read, whole.rows_kept)
    assert result.batches > 50
    assert result.vessels == whole.vessels
    assert result.stations == whole.stations
    assert_same_positions(concat_sorted(kept), whole.positions)


def test_the_tally_of_vessels_in_any_order_is_the_analysis_of_all(content):
    positions = parse_and_validate(content).positions
    ports, params = [RAJIN, DUNAI], AnalysisParams()
    tally = AnalysisTally(ports=ports, params=params)

    for mmsi in sorted(positions.vessel_slices(), reverse=True):
        tally.add(positions.for_vessel(mmsi))

    expected = analyse(positions, ports=ports, params=params)
    assert tally.result().to_dict() == expected.to_dict()
    assert len(expected.gaps) == 3
    assert len(expected.port_calls) > 30
    assert tally.rows == len(positions)
    assert tally.lat_range == (positions.lat.min(), positions.lat.max())


def test_a_long_track_is_thinned_to_what_the_map_draws_keeping_its_extremes():
    n = 50_000
    lats = np.linspace(10.0, 11.0, n) + np.sin(np.arange(n)) * 0.01
    lons = np.linspace(20.0, 22.0, n)

    thin_lats, thin_lons = thin_track(lats, lons)

    assert len(thin_lats) <= MAX_POINTS_PER_VESSEL + 4
    assert (thin_lats.min(), thin_lats.max()) == (lats.min(), lats.max())
    assert (thin_lons.min(), thin_lons.max()) == (lons.min(), lons.max())
    assert thin_track(lats[:100], lons[:100])[0].tolist() == lats[:100].tolist()


@pytest.fixture
def add_ais(team, editor, django_capture_on_commit_callbacks):
    def add(data: bytes, filename: str) -> EvidenceItem:
        with django_capture_on_commit_callbacks(execute=True):
            item = ais_services.evidence_add_ais(
                team=team,
                actor=editor,
                upload=io.BytesIO(data),
                filename=filename,
                is_synthetic=True,
            )
        return EvidenceItem.objects.select_related("ais").get(pk=item.pk)

    return add


def test_an_import_of_many_batches_stores_and_derives_what_one_batch_gives(
    add_ais, team, content
):
    for port in (RAJIN, DUNAI):
        EntityFactory(
            team=team,
            kind="port",
            name=port.name,
            latitude=port.lat,
            longitude=port.lon,
        )
    whole = parse_and_validate(content)

    item = add_ais(content, filename="interleaved.csv")

    extract = item.ais
    assert item.processing_state == ProcessingState.DONE
    assert (extract.rows_read, extract.rows_kept) == (whole.rows_read, whole.rows_kept)
    assert extract.rejected == {"bad_position": 1, "duplicate": 2, "impossible_jump": 1}
    assert_same_positions(load_positions(extract.pk), whole.positions)
    assert extract.first_at == datetime.fromtimestamp(
        whole.positions.timestamp_us.min() / 1e6, tz=UTC
    )
    expected = analyse(whole.positions, ports=team_ports(team), params=AnalysisParams())
    assert extract.gaps.count() == len(expected.gaps) == 3
    assert sorted(
        (c.mmsi, c.arrival_at, c.port_id) for c in extract.port_calls.all()
    ) == sorted((f"{c.mmsi:09d}", c.arrival, int(c.port)) for c in expected.port_calls)
    assert extract.track_svg.count('class="track"') >= 3
    assert "reports)</title>" in extract.track_svg


def test_reanalysis_reads_the_stored_rows_vessel_by_vessel(add_ais, team, editor):
    content = interleaved_csv(vessels=2, runs=4)
    item = add_ais(content, filename="small.csv")
    EntityFactory(
        team=team, kind="port", name="Rajin", latitude=RAJIN.lat, longitude=RAJIN.lon
    )

    item = ais_services.ais_reanalyse(
        item_id=item.pk, actor=editor, params=AnalysisParams(gap_hours=1.0)
    )

    positions = parse_and_validate(content).positions
    expected = analyse(
        positions, ports=team_ports(team), params=AnalysisParams(gap_hours=1.0)
    )
    assert item.ais.gaps.count() == len(expected.gaps)
    assert item.ais.port_calls.count() == len(expected.port_calls) > 0


NMEA_FILES = sorted((DATA.parent / "real" / "ais_nmea").iterdir()) + sorted(
    DATA.glob("*.nmea")
)


@pytest.mark.parametrize("path", NMEA_FILES, ids=lambda p: p.name)
@pytest.mark.parametrize("batch_lines", [1, 2, 7])
def test_nmea_in_batches_adds_up_to_the_file_read_whole(path, batch_lines):
    data = path.read_bytes()
    whole = parse_nmea(iter_lines(data))

    batches = list(iter_nmea(iter_lines(data), batch_lines=batch_lines))

    result = validate_batches("nmea", batches)
    expected = validate_batches("nmea", [whole])
    assert len(batches) == len(list(iter_lines(data))) // batch_lines + 1
    assert result.rejected == expected.rejected
    assert result.rows_read == expected.rows_read
    assert result.rows_kept == expected.rows_kept
    assert result.other_messages == expected.other_messages
    assert result.comment_lines == expected.comment_lines
    assert result.vessels == expected.vessels
    assert result.stations == expected.stations
    assert_same_positions(result.positions, expected.positions)


@pytest.mark.parametrize("chunk", [1, 3, 64, 1 << 20])
def test_lines_read_from_chunks_are_the_lines_of_the_whole(chunk):
    long_line = b"!AIVDM," + b"x" * 200
    data = b"a\r\nbb\n\n" + long_line + b"\rccc\n" + long_line + b"\nd"
    chunks = [data[i : i + chunk] for i in range(0, len(data), chunk)]

    assert list(iter_chunk_lines(chunks, max_bytes=50)) == list(
        iter_lines(data, max_bytes=50)
    )


def test_an_nmea_file_streams_through_the_service_as_it_reads_whole(add_ais):
    data = (DATA.parent / "real" / "ais_stations" / "gpsd_sample.aivdm").read_bytes()
    expected = parse_and_validate(data)

    item = add_ais(data, filename="gpsd.aivdm")

    assert (item.ais.rows_read, item.ais.rows_kept) == (
        expected.rows_read,
        expected.rows_kept,
    )
    assert item.ais.rejected == expected.rejected
    assert_same_positions(load_positions(item.ais.pk), expected.positions)


def test_many_duplicates_are_deleted_again_and_one_of_each_stays(add_ais):
    rows = [
        mc_row(
            when=(START + timedelta(minutes=i)).strftime("%Y-%m-%dT%H:%M:%S"),
            lat=f"{42.2 + i * 0.0001:.4f}",
            sog="" if i % 2 else "5.0",
        )
        for i in range(700)
    ]
    # Each report twice, the copy without its speed: the first one read stays.
    copies = [row.replace(",5.0,", ",,") for row in rows]
    content = mc_csv(*[r for pair in zip(rows, copies, strict=True) for r in pair])
    expected = parse_and_validate(content)

    item = add_ais(content, filename="twice.csv")

    assert item.ais.rejected == {"duplicate": 700}
    assert item.ais.rows_kept == 700
    assert_same_positions(load_positions(item.ais.pk), expected.positions)
    assert np.isnan(expected.positions.sog).sum() == 350
