"""Independent count of position reports per time source in these samples.

Written apart from evidence/ais/nmea_reader.py (run it: ``python
independent_times.py``; its output is in SOURCES.md). pyais decodes each complete
message and reads tag blocks and $PGHP headers (its GatehouseSentence);
receiver clocks are read with datetime.strptime; the NAIS time is the first bare
number after the letter-coded fields, as libais documents (ais/io.py). Checksums
are computed here with a plain XOR.
"""

import contextlib
import sys
from collections import Counter
from datetime import UTC, datetime
from functools import reduce
from pathlib import Path

import pyais
from pyais.messages import GatehouseSentence, TagBlock

POSITIONS = {1, 2, 3, 18, 19, 27}


def xor_ok(body: str, given: str) -> bool:
    return f"{reduce(lambda a, c: a ^ ord(c), body, 0):02X}" == given.upper()


def count(path: Path) -> Counter:
    counts: Counter = Counter()
    receiver = base = pghp = None
    parts: list[tuple[str, str | None]] = []
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("$"):
            body, _, check = line[1:].partition("*")
            if not xor_ok(body, check[:2]):
                continue
            f = body.split(",")
            if f[0] == "PGHP":
                pghp = GatehouseSentence(line.encode()).timestamp
            elif f[0][2:] == "RMC" and f[2] == "A":
                t = f[1] if "." in f[1] else f[1] + ".0"
                receiver = (
                    "rmc",
                    datetime.strptime(t + f[9] + "+0000", "%H%M%S.%f%d%m%y%z"),
                )
            elif f[0][2:] == "ZDA":
                t = f[1] if "." in f[1] else f[1] + ".0"
                receiver = (
                    "zda",
                    datetime.strptime(
                        t + f[2] + f[3] + f[4] + "+0000", "%H%M%S.%f%d%m%Y%z"
                    ),
                )
            continue
        own = None
        if line.startswith("\\"):
            tag, line = line[1:].split("\\", 1)
            tb = TagBlock(tag.encode())
            tb.init()
            if tb.receiver_timestamp:
                own = "tag_block"
        star = line.index("*")
        sentence, trailer = line[: star + 3], line[star + 3 :]
        if (
            own is None
            and trailer.startswith(",")
            and any(v.strip().isdigit() for v in trailer[1:].split(","))
        ):
            own = "nais_trailer"
        if not xor_ok(sentence[1:star], sentence[star + 1 : star + 3]):
            continue
        f = sentence.split(",")
        if own is None:
            if pghp is not None:
                own = "pghp"
            elif receiver is not None:
                own = "receiver_clock_" + receiver[0]
            elif base is not None:
                own = "base_station"
            else:
                own = "none"
        if f[1] == f[2]:
            pghp = None
        if f[2] == "1":
            parts = []  # a new message: drop a group that never finished
        parts.append((sentence, own))
        if f[1] != f[2]:
            continue
        try:
            msg = pyais.decode(*[p[0] for p in parts]).asdict()
        except Exception:  # undecodable payloads
            parts = []
            continue
        first = next((s for _, s in parts if s != "none"), "none")
        parts = []
        if msg["msg_type"] in POSITIONS:
            counts[first] += 1
        if msg["msg_type"] in (4, 11):
            with contextlib.suppress(ValueError, TypeError):
                base = datetime(
                    *(
                        msg[k]
                        for k in ("year", "month", "day", "hour", "minute", "second")
                    ),
                    tzinfo=UTC,
                )
    return counts


if __name__ == "__main__":
    here = Path(__file__).parent
    for path in sorted(here.iterdir()):
        if path.suffix in {".md", ".py"}:
            continue
        sys.stdout.write(f"{path.name} {dict(sorted(count(path).items()))}\n")
    sys.exit(0)
