import contextlib

from hypothesis import given, settings
from hypothesis import strategies as st

from evidence.ais.parse import UnknownFormat
from evidence.ais.validate import parse_and_validate
from tests.evidence.ais.helpers import DATA, mc_csv, mc_row

NMEA_LINES = (DATA / "tagblock.nmea").read_bytes().splitlines() + (
    DATA / "timestamps.nmea"
).read_bytes().splitlines()


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400))
def test_random_bytes_raise_nothing_but_unknown_format(data):
    with contextlib.suppress(UnknownFormat):
        parse_and_validate(data)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.sampled_from(NMEA_LINES),
            st.binary(max_size=80),
            st.sampled_from(NMEA_LINES).map(lambda line: line[:-3]),
            st.sampled_from(NMEA_LINES).map(lambda line: line.replace(b",A,", b",B,")),
        ),
        min_size=1,
        max_size=12,
    )
)
def test_mangled_nmea_lines_raise_nothing_and_counts_add_up(lines):
    try:
        result = parse_and_validate(b"\n".join([NMEA_LINES[0], *lines]))
    except UnknownFormat:
        return
    assert result.rows_read == result.rows_kept + sum(result.rejected.values())


FIELD = st.one_of(
    st.sampled_from(["", "NULL", "91", "181", "-999", "abc", "42.5", "1e3"]),
    st.text(alphabet="0123456789.-:T ", max_size=12),
)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["273999001", "445999002", "12", "", "2739990011"]),
            st.sampled_from(["2023-10-01T00:00:00", "2023-10-01T00:05:00", "", "nope"]),
            FIELD,
            FIELD,
            FIELD,
            st.sampled_from(["IMO9999993", "IMO9999994", "", "0", "IMO12"]),
        ),
        max_size=30,
    )
)
def test_csv_counts_add_up(rows):
    data = mc_csv(
        *(
            mc_row(mmsi=m, when=w, lat=la, lon=lo, sog=s, imo=i)
            for m, w, la, lo, s, i in rows
        )
    )
    result = parse_and_validate(data)
    assert result.rows_read == len(rows)
    assert result.rows_read == result.rows_kept + sum(result.rejected.values())
