"""Bounded reading in the pure parser: expansion limits and overlong lines."""

import gzip
import io

import pytest
import zstandard

from evidence.ais.parse import (
    MAX_LINE_BYTES,
    ExpansionLimits,
    ExpansionRefused,
    UnknownFormat,
    detect_format,
    iter_lines,
    read_source,
)
from evidence.ais.validate import parse_and_validate
from tests.evidence.ais.helpers import DATA, mc_csv, mc_row

MiB = 1 << 20


def zeros_zstd(mib: int) -> bytes:
    out = io.BytesIO()
    with zstandard.ZstdCompressor().stream_writer(out, closefd=False) as writer:
        for _ in range(mib):
            writer.write(bytes(MiB))
    return out.getvalue()


def test_a_bomb_is_refused_by_ratio_once_past_the_floor(tmp_path):
    path = tmp_path / "bomb.zst"
    path.write_bytes(zeros_zstd(32))

    with pytest.raises(ExpansionRefused) as refused:
        read_source(path)

    assert "more than 100 times its compressed size" in str(refused.value)
    assert isinstance(refused.value, UnknownFormat)


def test_the_absolute_cap_holds_for_plain_content_too():
    with pytest.raises(ExpansionRefused) as refused:
        read_source(b"x" * 2000, limits=ExpansionLimits(max_bytes=1000))

    assert "past the 1,000-byte limit" in str(refused.value)


def test_small_repetitive_content_is_not_judged_by_ratio():
    # 1 MiB from a few hundred bytes: far over 100x, but under the floor.
    content = gzip.compress(b"a,b\n" * (MiB // 4))

    assert len(read_source(content)) == MiB


def test_every_zstd_frame_is_read():
    csv = (DATA / "marinecadastre.csv").read_bytes()
    header, rest = csv.split(b"\n", 1)
    compressor = zstandard.ZstdCompressor()
    two_frames = compressor.compress(header + b"\n") + compressor.compress(rest)

    assert read_source(two_frames) == csv
    assert parse_and_validate(two_frames).rows_kept == 5


def test_lines_are_cut_past_the_cap_without_copying_them_whole():
    data = b"short\r\n" + b"A" * (3 * MAX_LINE_BYTES) + b"\nlast"

    lines = list(iter_lines(data))

    assert [len(line) for line in lines] == [5, MAX_LINE_BYTES + 1, 4]


def test_a_header_line_past_the_cap_is_refused():
    with pytest.raises(UnknownFormat) as refused:
        detect_format(b"MMSI," * (MAX_LINE_BYTES // 4))

    assert str(refused.value) == (
        "The first line is longer than 65,536 bytes, which no AIS header is."
    )


def test_a_csv_row_longer_than_a_block_is_refused_with_the_reason():
    data = mc_csv(mc_row()) + b"273999001," + b"A" * (40 * MiB) + b"\n"

    with pytest.raises(UnknownFormat) as refused:
        parse_and_validate(data)

    assert str(refused.value) == (
        "a line is longer than 16,777,216 bytes, which no AIS row is."
    )
