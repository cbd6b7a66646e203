"""NMEA 4.0 tag blocks are free text from the receiver: whatever they hold, parsing
an extract raises nothing but UnknownFormat, and every line is counted."""

from __future__ import annotations

import contextlib

from hypothesis import given, settings
from hypothesis import strategies as st

from evidence.ais.parse import UnknownFormat
from evidence.ais.validate import parse_and_validate
from tests.evidence.ais.helpers import DATA

SENTENCES = [
    line.split(b"\\")[-1]
    for line in (DATA / "tagblock.nmea").read_bytes().splitlines()
    if line.strip()
]
VALUE = st.one_of(
    st.integers(-(10**30), 10**30).map(lambda n: str(n).encode()),
    st.sampled_from([b"", b"1697155200", b"1697155200123", b"-1", b"9" * 40, b"nan"]),
    st.binary(max_size=12).filter(lambda b: b"\\" not in b and b"\n" not in b),
    st.text(max_size=12).map(lambda t: t.encode("utf-8", "surrogatepass")),
)
FIELD = st.tuples(
    st.sampled_from([b"c", b"s", b"d", b"n", b"r", b"t", b"g", b"x", b""]), VALUE
).map(lambda kv: kv[0] + b":" + kv[1])
CHECKSUM = st.one_of(
    st.just(b""),
    st.binary(min_size=0, max_size=3).map(lambda b: b"*" + b.hex().upper().encode()),
    st.text("0123456789ABCDEFG", max_size=3).map(lambda t: b"*" + t.encode()),
)
TAG_BLOCK = st.builds(
    lambda fields, checksum: b",".join(fields).replace(b"\\", b"") + checksum,
    st.lists(FIELD, max_size=4),
    CHECKSUM,
)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(TAG_BLOCK, st.sampled_from(SENTENCES)), min_size=1, max_size=10),
    st.booleans(),
)
def test_random_tag_blocks_raise_nothing_but_unknown_format(lines, lead_with_valid):
    body = [b"\\" + tag + b"\\" + sentence for tag, sentence in lines]
    if lead_with_valid:  # so layout detection accepts the file and every line is read
        body.insert(0, (DATA / "tagblock.nmea").read_bytes().splitlines()[0])
    with contextlib.suppress(UnknownFormat):
        result = parse_and_validate(b"\n".join(body))
        assert result.rows_read == result.rows_kept + sum(result.rejected.values())
