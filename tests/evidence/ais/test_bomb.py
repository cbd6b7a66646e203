"""Decompression bombs and overlong lines in AIS extracts (issue 12, finding 4).

The bombs are built here, at test time, written chunk by chunk into the compressor
so the test never holds their expansion. Processing refuses them with the reason on
the item and stores nothing derived from them.
"""

import gzip
import io

import pytest
import zstandard
from django.urls import reverse

from evidence.ais import services as ais_services
from evidence.ais.validate import parse_and_validate
from evidence.models import AISPosition, EvidenceItem, ProcessingState
from evidence.services import FileRefused
from provenance.entities.models import Entity
from tests.evidence.ais.helpers import DATA, mc_csv, mc_row

MiB = 1 << 20
# A valid row: a bomb of it is valid AIS (one vessel, repeated), which the parser
# used to read in full and store.
ROW = (mc_row() + "\n").encode()
HEADER = mc_csv().rstrip(b"\n") + b"\n"


def _chunk(pattern: bytes) -> bytes:
    return (pattern * (MiB // len(pattern) + 1))[:MiB]


def zstd_bomb(expanded_mib: int, pattern: bytes = b"\0", head: bytes = b"") -> bytes:
    """A zstd stream of ``expanded_mib`` MiB (no content size in its header)."""
    out = io.BytesIO()
    chunk = _chunk(pattern)
    with zstandard.ZstdCompressor(level=3).stream_writer(out, closefd=False) as w:
        w.write(head)
        for _ in range(expanded_mib):
            w.write(chunk)
    return out.getvalue()


def gzip_bomb(expanded_mib: int, pattern: bytes, head: bytes = b"") -> bytes:
    out = io.BytesIO()
    chunk = _chunk(pattern)
    with gzip.GzipFile(fileobj=out, mode="wb", compresslevel=9) as w:
        w.write(head)
        for _ in range(expanded_mib):
            w.write(chunk)
    return out.getvalue()


@pytest.fixture
def add_ais(team, editor, django_capture_on_commit_callbacks):
    def add(content: bytes, filename: str):
        with django_capture_on_commit_callbacks(execute=True):
            item = ais_services.evidence_add_ais(
                team=team, actor=editor, upload=io.BytesIO(content), filename=filename
            )
        item.refresh_from_db()
        return item

    return add


def ratio_reason(stored: int) -> str:
    return (
        "Refused: the content expands more than 100 times its compressed size of "
        f"{stored:,} bytes (AIS_MAX_EXPANSION_RATIO); real AIS data compresses far "
        "less, so this looks like a decompression bomb."
    )


def assert_nothing_stored(item) -> None:
    extract = item.ais
    assert AISPosition.objects.filter(extract=extract).count() == 0
    assert list(extract.vessels.all()) == []
    assert Entity.objects.filter(team=item.team, kind="vessel").count() == 0
    assert (extract.rows_read, extract.rows_kept, extract.summary) == (0, 0, {})


def test_a_zstd_bomb_of_bare_zeros_is_refused_at_upload(team, editor):
    with pytest.raises(FileRefused) as refused:
        ais_services.evidence_add_ais(
            team=team, actor=editor, upload=io.BytesIO(zstd_bomb(64)), filename="z.zst"
        )

    assert refused.value.code == "not_ais"
    assert EvidenceItem.objects.count() == 0


def test_a_zstd_bomb_of_zeros_behind_a_header_is_refused_by_ratio(add_ais):
    content = zstd_bomb(64, head=HEADER + ROW)
    assert len(content) < 64 * 1024

    item = add_ais(content, filename="bomb.csv.zst")

    assert item.processing_state == ProcessingState.FAILED
    assert item.processing_error == ratio_reason(len(content))
    assert_nothing_stored(item)


def test_a_gzip_bomb_of_valid_rows_is_refused_and_no_row_or_vessel_stored(add_ais):
    content = gzip_bomb(64, ROW, head=HEADER)

    item = add_ais(content, filename="rows.csv.gz")

    assert item.processing_state == ProcessingState.FAILED
    assert item.processing_error == ratio_reason(len(content))
    assert_nothing_stored(item)


def test_a_zstd_bomb_of_valid_rows_is_refused(add_ais):
    content = zstd_bomb(64, ROW, head=HEADER)

    item = add_ais(content, filename="rows.csv.zst")

    assert item.processing_state == ProcessingState.FAILED
    assert item.processing_error == ratio_reason(len(content))
    assert_nothing_stored(item)


def test_content_past_the_absolute_cap_is_refused(add_ais, settings):
    settings.AIS_MAX_EXPANDED_BYTES = MiB
    settings.AIS_MAX_EXPANSION_RATIO = 1_000_000
    content = gzip_bomb(2, ROW, head=HEADER)

    item = add_ais(content, filename="big.csv.gz")

    assert item.processing_state == ProcessingState.FAILED
    assert item.processing_error == (
        "Refused: the content expands past the 1,048,576-byte limit for AIS "
        "extracts (AIS_MAX_EXPANDED_BYTES); split the extract into smaller files."
    )
    assert_nothing_stored(item)


def test_an_uncompressed_file_past_the_absolute_cap_is_refused(add_ais, settings):
    settings.AIS_MAX_EXPANDED_BYTES = 64 * 1024
    content = HEADER + ROW * 1000

    item = add_ais(content, filename="big.csv")

    assert item.processing_state == ProcessingState.FAILED
    assert item.processing_error.startswith(
        "Refused: the content expands past the 65,536-byte limit"
    )
    assert_nothing_stored(item)


def test_the_refusal_is_shown_on_the_extract_page(add_ais, editor_client):
    content = zstd_bomb(64, head=HEADER + ROW)
    item = add_ais(content, filename="bomb.csv.zst")

    response = editor_client.get(reverse("evidence:ais-detail", args=[item.pk]))

    assert response.status_code == 200
    assert ratio_reason(len(content)) in response.content.decode()


def test_a_real_gzip_file_within_the_caps_still_imports(add_ais, settings):
    # The caps sit far above real data: the test file expands about 2x.
    settings.AIS_MAX_EXPANDED_BYTES = 4096
    settings.AIS_MAX_EXPANSION_RATIO = 3

    item = add_ais((DATA / "marinecadastre.csv.gz").read_bytes(), filename="mc.csv.gz")

    assert (item.processing_state, item.processing_error) == ("done", "")
    assert item.ais.rows_kept == 5


def test_a_zstd_bomb_declaring_its_size_is_refused_at_upload(team, editor):
    content = zstandard.ZstdCompressor().compress(bytes(64 * MiB))

    with pytest.raises(FileRefused) as refused:
        ais_services.evidence_add_ais(
            team=team, actor=editor, upload=io.BytesIO(content), filename="b.csv.zst"
        )

    assert refused.value.code == "too_large"
    assert refused.value.message == (
        "The file declares 67,108,864 bytes of content, more than 100 times its "
        f"compressed size of {len(content):,} bytes (AIS_MAX_EXPANSION_RATIO): "
        "refused as a decompression bomb."
    )


def test_a_zstd_file_declaring_more_than_the_cap_is_refused_at_upload(
    team, editor, settings
):
    settings.AIS_MAX_EXPANDED_BYTES = MiB
    content = zstandard.ZstdCompressor().compress(HEADER + ROW * 20_000)

    with pytest.raises(FileRefused) as refused:
        ais_services.evidence_add_ais(
            team=team, actor=editor, upload=io.BytesIO(content), filename="b.csv.zst"
        )

    assert refused.value.code == "too_large"
    assert refused.value.message == (
        f"The file declares {len(HEADER + ROW * 20_000):,} bytes of content, more "
        "than the 1,048,576-byte limit for AIS extracts (AIS_MAX_EXPANDED_BYTES)."
    )


def test_a_first_line_without_end_is_refused_at_upload(team, editor):
    with pytest.raises(FileRefused) as refused:
        ais_services.evidence_add_ais(
            team=team,
            actor=editor,
            upload=io.BytesIO(gzip_bomb(4, b"A")),
            filename="line.csv.gz",
        )

    assert refused.value.code == "not_ais"
    assert refused.value.message == (
        "Not an AIS extract. The first line is longer than 65,536 bytes, which no "
        "AIS header is."
    )


def test_an_overlong_nmea_line_is_rejected_and_the_rest_kept(add_ais):
    good = (DATA / "tagblock.nmea").read_bytes()
    expected = parse_and_validate(good)
    content = good + b"!AIVDM," + b"A" * (8 * MiB) + b"\n"

    item = add_ais(content, filename="long.nmea")

    assert item.processing_state == ProcessingState.DONE
    assert item.ais.rejected == {
        **expected.rejected,
        "unparseable": expected.rejected.get("unparseable", 0) + 1,
    }
    assert item.ais.rows_kept == expected.rows_kept
