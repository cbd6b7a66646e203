"""Kept positions spilled to disk, grouped by vessel, so that an extract of any
length is never held in memory whole.

Pure: no Django, no ORM. The per-row rules run on each batch as it streams in
(``validate.BatchValidator.add``); what they keep is appended here to one of
``buckets`` files by MMSI (fixed 56-byte records). The rules that need a
vessel's whole track in time order (duplicates, impossible jumps) and the
analysis then read one bucket at a time, sorted by mmsi, time, latitude and
longitude: memory is bounded by the largest bucket (about rows / buckets when
there are many vessels; one vessel's track at least), not by the file.

Within a vessel the sort is stable, so rows equal on every key come in file
order, as ``validate`` orders them in memory: both paths keep the same rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import IO

import numpy as np

from evidence.ais.validate import Positions, sort_positions

DEFAULT_BUCKETS = 64

_RECORD = np.dtype(
    [
        ("mmsi", "<i8"),
        ("timestamp_us", "<i8"),
        ("lat", "<f8"),
        ("lon", "<f8"),
        ("sog", "<f8"),
        ("cog", "<f8"),
        ("heading", "<f8"),
    ]
)


class SpilledPositions:
    """Positions appended batch by batch into files under ``directory`` (which the
    caller owns and removes), read back bucket by bucket, each sorted."""

    def __init__(self, directory: Path, *, buckets: int = DEFAULT_BUCKETS) -> None:
        self.directory = Path(directory)
        self.buckets = buckets
        self.rows = 0
        self._files: dict[int, IO[bytes]] = {}

    def add(self, positions: Positions) -> None:
        """Append rows (any order); rows of one vessel keep their order."""
        n = len(positions)
        if not n:
            return
        self.rows += n
        records = np.empty(n, _RECORD)
        for name in _RECORD.names:
            records[name] = getattr(positions, name)
        bucket = positions.mmsi % self.buckets
        order = np.argsort(bucket, kind="stable")
        records, bucket = records[order], bucket[order]
        starts = np.flatnonzero(np.r_[True, bucket[1:] != bucket[:-1]])
        ends = np.r_[starts[1:], n]
        for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
            self._file(int(bucket[start])).write(records[start:end].tobytes())

    def _file(self, bucket: int) -> IO[bytes]:
        if bucket not in self._files:
            self._files[bucket] = (self.directory / f"bucket-{bucket:04d}").open("wb")
        return self._files[bucket]

    def __iter__(self) -> Iterator[Positions]:
        """Each non-empty bucket's rows sorted by mmsi, time, lat, lon, in bucket
        order (so vessels do not come in MMSI order overall)."""
        self.close()
        for bucket in range(self.buckets):
            path = self.directory / f"bucket-{bucket:04d}"
            if not path.exists():
                continue
            records = np.fromfile(path, dtype=_RECORD)
            positions = Positions(
                *(np.ascontiguousarray(records[name]) for name in _RECORD.names)
            )
            del records
            yield sort_positions(positions)
            path.unlink()

    def close(self) -> None:
        for f in self._files.values():
            f.close()
        self._files.clear()
