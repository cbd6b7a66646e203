"""AIS ingest of a 1,000,000-row MarineCadastre CSV on PostgreSQL, against baselines
measured in the same run.

- floor: PostgreSQL's own ``COPY ... FROM STDIN (FORMAT csv)`` of the same raw CSV
  into a plain typed table (no index, no validation, no analysis);
- ours: the full ingest through the service code path minus HTTP
  (``evidence_add_ais``: size/hash/dedupe/store original/custody/audit, then
  ``ais_process``: parse + validate + COPY positions + vessels + analysis + SVG);
- naive: Python ``csv`` + ``datetime`` per row + ``bulk_create``, timed on 100,000
  rows and extrapolated linearly to 1,000,000 (said so in the output);
- peak memory: ``ru_maxrss`` of this process (the CSV is generated in a child
  process so generation does not count), plus Arrow's pool high-water mark.

Targets (issue 4): ours <= 2.5x the floor, >= 5x faster than naive, peak < 1 GB.

    .venv/bin/python bench/ais.py [--rows 1000000] [--naive-rows 100000]

Uses its own database (BENCH_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/provenance_bench_ais), dropped and re-created.
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

os.environ.setdefault(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/provenance_bench_ais"
)

ORIGIN = ("Rajin", 42.2167, 130.2833)
DESTINATION = ("Dunai", 42.8803, 132.3375)


def generate(path: Path, rows: int) -> None:
    """Write a MarineCadastre CSV of exactly ``rows`` rows (synthetic shuttles)."""
    import pyarrow as pa

    from evidence.ais.analyse import Port
    from evidence.ais.synthetic import (
        SyntheticVessel,
        synthetic_imo,
        synthetic_track,
        to_marinecadastre_csv,
    )

    origin, destination = Port("o", *ORIGIN), Port("d", *DESTINATION)
    tracks, total, n = [], 0, 0
    start = datetime(2023, 8, 1, tzinfo=UTC)
    while total < rows:
        vessel = SyntheticVessel(
            # MID 400: no country holds it, yet it reads as a ship (a 99... MMSI is
            # an aid to navigation and would make no vessel entity).
            mmsi=400_100_000 + n,
            name=f"SYNTHETIC BENCH {n}",
            imo=synthetic_imo(100_000 + n),
        )
        # Two dark periods at sea per vessel, so the analysis has work to do.
        day = timedelta(days=1)
        dark = [(start + 3 * day + timedelta(hours=30), start + 5 * day)]
        dark.append((start + 20 * day, start + 20 * day + timedelta(hours=15)))
        track = synthetic_track(
            vessel=vessel,
            origin=origin,
            destination=destination,
            start=start,
            runs=40,
            interval=timedelta(minutes=1),
            speed_knots=10,
            dark=dark,
            seed=n,
        )
        tracks.append(track)
        total += track.num_rows
        n += 1
    table = pa.concat_tables(tracks).slice(0, rows)
    path.write_bytes(to_marinecadastre_csv([table]))


def timed(store: dict[str, float], name: str, fn):
    def wrapper(*args, **kwargs):
        began = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            store[name] += time.perf_counter() - began

    return wrapper


FLOOR_TABLE = """
CREATE TABLE bench_raw_ais (
    mmsi bigint, base_date_time timestamp, lat double precision,
    lon double precision, sog double precision, cog double precision,
    heading double precision, vessel_name text, imo text, call_sign text,
    vessel_type integer, status integer, length double precision,
    width double precision, draft double precision, cargo integer,
    transceiver_class text
)
"""


def floor_copy(path: Path) -> float:
    """PostgreSQL's own COPY of the raw CSV into a plain typed table."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_raw_ais")
        cursor.execute(FLOOR_TABLE)
    connection.ensure_connection()
    began = time.perf_counter()
    with (
        connection.connection.cursor() as cursor,
        cursor.copy(
            "COPY bench_raw_ais FROM STDIN WITH (FORMAT csv, HEADER true)"
        ) as copy,
        path.open("rb") as source,
    ):
        while chunk := source.read(1 << 20):
            copy.write(chunk)
    elapsed = time.perf_counter() - began
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM bench_raw_ais")
        copied = cursor.fetchone()[0]
        cursor.execute("DROP TABLE bench_raw_ais")
    return elapsed, copied


def naive_bulk_create(path: Path, rows: int, extract_id: int) -> float:
    """csv.reader + datetime per row + bulk_create, on the first ``rows`` rows."""
    from evidence.models import AISPosition

    def number(text: str) -> float | None:
        return float(text) if text else None

    began = time.perf_counter()
    with path.open(newline="") as source:
        reader = csv.reader(source)
        next(reader)
        batch = []
        for i, row in enumerate(reader):
            if i >= rows:
                break
            batch.append(
                AISPosition(
                    extract_id=extract_id,
                    mmsi=row[0].zfill(9),
                    timestamp=datetime.fromisoformat(row[1]).replace(tzinfo=UTC),
                    latitude=float(row[2]),
                    longitude=float(row[3]),
                    sog=number(row[4]),
                    cog=number(row[5]),
                    heading=number(row[6]),
                )
            )
        AISPosition.objects.bulk_create(batch, batch_size=5000)
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--naive-rows", type=int, default=100_000)
    parser.add_argument("--generate", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    if args.generate:  # child process: keeps generation out of our peak memory
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
        generate(args.generate, args.rows)
        return

    work = Path(tempfile.mkdtemp(prefix="bench-ais-"))
    os.environ["MEDIA_ROOT"] = str(work / "media")
    csv_path = work / "marinecadastre-1m.csv"
    began = time.perf_counter()
    subprocess.run(
        [sys.executable, __file__, "--rows", str(args.rows), "--generate", csv_path],
        check=True,
    )
    generated = time.perf_counter() - began
    size_mb = csv_path.stat().st_size / 1e6

    from _setup import setup

    url = setup("bench_ais")
    import pyarrow as pa
    from django.db import connection

    from evidence.models import AISExtract
    from tests.factories import MembershipFactory

    if connection.vendor != "postgresql":
        sys.exit("bench/ais.py compares against PostgreSQL COPY: use PostgreSQL.")

    print(f"database: {url}")
    print(f"input: {args.rows:,} rows, {size_mb:.0f} MB MarineCadastre CSV")
    print(f"  (generated in {generated:.1f} s in a child process)")

    floors = []
    for _ in range(3):
        seconds, copied = floor_copy(csv_path)
        assert copied == args.rows, copied
        floors.append(seconds)
    floor = statistics.median(floors)

    runs = [ingest(csv_path, MembershipFactory(role="editor")) for _ in range(2)]
    totals = [run["total"] for run in runs]
    ours = statistics.mean(totals)

    naive_extract = AISExtract.objects.create(
        item=_naive_item(runs[0]["item"].team, runs[0]["item"].added_by)
    )
    naive_sample = naive_bulk_create(csv_path, args.naive_rows, naive_extract.pk)
    naive = naive_sample * args.rows / args.naive_rows

    print()
    print(
        f"floor  PostgreSQL COPY of the raw CSV into a plain table: {floor:6.2f} s "
        f"(median of {', '.join(f'{f:.2f}' for f in floors)})"
    )
    print(
        f"ours   full ingest through the services:               {ours:6.2f} s "
        f"(mean of {', '.join(f'{total:.2f}' for total in totals)})"
    )
    print(
        f"naive  csv + bulk_create: {naive_sample:.2f} s for {args.naive_rows:,} "
        f"rows, extrapolated linearly x{args.rows / args.naive_rows:g}: "
        f"{naive:6.2f} s"
    )
    last = runs[-1]
    print()
    print("where our time goes (second run):")
    for what, seconds in sorted(last["stages"].items(), key=lambda kv: -kv[1]):
        print(f"  {seconds:6.2f} s  {100 * seconds / last['total']:4.0f}%  {what}")
    extract = last["extract"]
    print()
    print(
        f"rows: read {extract.rows_read:,}, kept {extract.rows_kept:,}, stored "
        f"{last['stored']:,}; {extract.gaps.count()} dark periods, "
        f"{extract.port_calls.count()} port calls"
    )
    rss_peak = max(run["rss_peak"] for run in runs)
    print(
        f"peak memory: ru_maxrss {rss_peak / 1024:.0f} MB (before the first ingest "
        f"{runs[0]['rss_before'] / 1024:.0f} MB); Arrow pool peak "
        f"{pa.default_memory_pool().max_memory() / 1e6:.0f} MB"
    )
    print()
    ratio_floor, ratio_naive = ours / floor, naive / ours
    print(
        f"ours / floor = {ratio_floor:.2f}x (target <= 2.5x) "
        f"{'OK' if ratio_floor <= 2.5 else 'MISSED'}; naive / ours = "
        f"{ratio_naive:.1f}x (target >= 5x) {'OK' if ratio_naive >= 5 else 'MISSED'}"
    )
    print(
        f"peak memory {rss_peak / 1024:.0f} MB (target < 1024 MB): "
        f"{'OK' if rss_peak / 1024 < 1024 else 'MISSED'}"
    )
    print(
        "AISPosition rows carry no FK constraint (migration evidence 0003): a "
        "deferred check per row cost more than the COPY itself."
    )
    shutil.rmtree(work, ignore_errors=True)


def ingest(csv_path: Path, membership) -> dict:
    """The full ingest through the services, with a per-stage breakdown."""
    from evidence.ais import services as ais_services
    from evidence.models import AISExtract, AISPosition
    from tests.factories import EntityFactory

    user, team = membership.user, membership.team
    for name, lat, lon in (ORIGIN, DESTINATION):
        EntityFactory(team=team, kind="port", name=name, latitude=lat, longitude=lon)
    stages: dict[str, float] = defaultdict(float)
    originals = {}
    labels = {
        "_read": "parse + validate (pyarrow, numpy)",
        "store_positions": "store positions (binary COPY via psycopg 3)",
        "link_vessels": "vessels matched/created",
        "analyse_and_save": "analysis + track SVG + gap/call rows",
        "_record_processing_steps": "custody steps",
    }
    # The names as ais_process and _store_all look them up: timed where they are used.
    for name, label in labels.items():
        originals[name] = getattr(ais_services, name)
        setattr(ais_services, name, timed(stages, label, originals[name]))
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    try:
        began = time.perf_counter()
        with csv_path.open("rb") as upload:
            item = ais_services.evidence_add_ais(
                team=team,
                actor=user,
                upload=upload,
                filename=csv_path.name,
                enqueue=False,
                is_synthetic=True,
            )
        added = time.perf_counter() - began
        item = ais_services.ais_process(item_id=item.pk)
        total = time.perf_counter() - began
    finally:
        for name, fn in originals.items():
            setattr(ais_services, name, fn)
    rss_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    assert item.processing_state == "done", item.processing_error
    stages["upload: sniff, SHA-256, store original, custody, audit"] = added
    stages["rest: progress, summary, audit, commit (deferred FK checks)"] = total - sum(
        stages.values()
    )
    extract = AISExtract.objects.get(item=item)
    stored = AISPosition.objects.filter(extract=extract).count()
    assert stored == extract.rows_kept
    return {
        "item": item,
        "extract": extract,
        "stored": stored,
        "total": total,
        "stages": dict(stages),
        "rss_before": rss_before,
        "rss_peak": rss_peak,
    }


def _naive_item(team, user):
    from evidence.models import EvidenceItem

    return EvidenceItem.objects.create(
        team=team, kind="ais", title="naive bench", added_by=user
    )


if __name__ == "__main__":
    main()
