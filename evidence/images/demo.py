"""Synthetic satellite stand-ins for the demo story (no Django, no network).

The real imagery of Rajin, Dunai and Tikhoretsk is not ours to ship, so the demo
draws plain stand-ins: deterministic for a given site and variant, labelled
"SYNTHETIC DEMO IMAGE" in the pixels, with EXIF DateTimeOriginal (UTC offset
recorded), GPS of the site and an ImageDescription saying what they are.
"""

from __future__ import annotations

import io
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from PIL import Image, ImageDraw, ImageFont
from PIL.TiffImagePlugin import IFDRational

LABEL = "SYNTHETIC DEMO IMAGE"
SIZE = (1200, 800)


@dataclass(frozen=True)
class Site:
    name: str
    latitude: float
    longitude: float
    description: str


SITES = {
    "rajin": Site(
        "Rajin harbour", 42.2167, 130.2833, "ships alongside, container stacks"
    ),
    "dunai": Site("Dunai port", 42.8803, 132.3375, "quay with rail wagons"),
    "tikhoretsk": Site(
        "Tikhoretsk depot", 45.855, 40.125, "ammunition depot with storage pits"
    ),
}


def synthetic_site_image(
    site: str,
    *,
    captured_at: datetime,
    variant: int = 0,
    count: int | None = None,
    size: tuple[int, int] = SIZE,
    quality: int = 88,
) -> bytes:
    """JPEG bytes of a synthetic overhead view of ``site`` ("rajin", "dunai" or
    "tikhoretsk").

    ``variant`` changes the layout (another pass over the same place); ``count`` is
    the number of ships, wagons or storage pits (defaults per site: 2 ships, 24
    wagons, 110 pits). ``captured_at`` must be timezone-aware; it is written in UTC.
    """
    if captured_at.tzinfo is None:
        raise ValueError("captured_at must be timezone-aware")
    spec = SITES[site]
    rng = random.Random(f"{site}:{variant}")  # noqa: S311 - a picture, not a secret
    img = Image.new("RGB", size, (96, 104, 88))
    draw = ImageDraw.Draw(img)
    _ground_texture(draw, rng, size)
    _DRAWERS[site](draw, rng, size, count)
    _label(draw, size, f"{LABEL} · {spec.name} · {captured_at:%Y-%m-%d}")
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=quality, exif=_exif(spec, captured_at))
    return buf.getvalue()


def _ground_texture(
    draw: ImageDraw.ImageDraw, rng: random.Random, size: tuple[int, int]
) -> None:
    w, h = size
    for _ in range(900):
        x, y = rng.randrange(w), rng.randrange(h)
        r = rng.randrange(4, 22)
        shade = rng.randrange(-14, 14)
        draw.ellipse(
            (x - r, y - r, x + r, y + r), fill=(96 + shade, 104 + shade, 88 + shade)
        )


def _water(
    draw: ImageDraw.ImageDraw, box: tuple[int, int, int, int], rng: random.Random
) -> None:
    draw.rectangle(box, fill=(34, 62, 92))
    x0, y0, x1, y1 = box
    for _ in range(120):
        x, y = rng.randrange(x0, x1), rng.randrange(y0, y1)
        draw.line((x, y, x + rng.randrange(8, 30), y), fill=(44, 76, 108), width=1)


def _containers(
    draw: ImageDraw.ImageDraw,
    rng: random.Random,
    origin: tuple[int, int],
    rows: int,
    cols: int,
) -> None:
    colours = [(160, 60, 40), (40, 90, 150), (170, 150, 60), (70, 120, 70)]
    ox, oy = origin
    for r in range(rows):
        for c in range(cols):
            if rng.random() < 0.12:
                continue
            x, y = ox + c * 22, oy + r * 10
            draw.rectangle((x, y, x + 19, y + 7), fill=rng.choice(colours))


def _ship(draw: ImageDraw.ImageDraw, x: int, y: int, length: int) -> None:
    draw.polygon(
        [
            (x, y),
            (x + length - 30, y),
            (x + length, y + 16),
            (x + length - 30, y + 32),
            (x, y + 32),
        ],
        fill=(58, 58, 62),
    )
    draw.rectangle((x + 10, y + 6, x + 40, y + 26), fill=(225, 225, 225))


def _rajin(
    draw: ImageDraw.ImageDraw,
    rng: random.Random,
    size: tuple[int, int],
    count: int | None,
) -> None:
    w, h = size
    _water(draw, (0, int(h * 0.55), w, h), rng)
    draw.rectangle((0, int(h * 0.5), w, int(h * 0.55)), fill=(150, 150, 145))  # quay
    for i in range(count if count is not None else 2):
        _ship(
            draw,
            80 + i * 420 + rng.randrange(40),
            int(h * 0.57) + rng.randrange(20),
            330,
        )
    for block in range(4):
        _containers(draw, rng, (60 + block * 280, 120 + rng.randrange(40)), 12, 10)


def _dunai(
    draw: ImageDraw.ImageDraw,
    rng: random.Random,
    size: tuple[int, int],
    count: int | None,
) -> None:
    w, h = size
    _water(draw, (0, 0, w, int(h * 0.3)), rng)
    draw.rectangle((0, int(h * 0.3), w, int(h * 0.36)), fill=(150, 150, 145))
    _ship(draw, 200 + rng.randrange(200), int(h * 0.1), 340)
    for track in range(3):
        y = int(h * 0.5) + track * 60
        draw.line((0, y + 8, w, y + 8), fill=(70, 60, 50), width=3)
        per_track = (count if count is not None else 24) // 3
        for i in range(per_track):
            x = 40 + i * 70 + rng.randrange(6)
            draw.rectangle((x, y, x + 60, y + 16), fill=(90, 70, 55))
            draw.rectangle((x + 4, y + 3, x + 56, y + 13), fill=(40, 90, 150))
    _containers(draw, rng, (700, int(h * 0.39)), 5, 18)


def _tikhoretsk(
    draw: ImageDraw.ImageDraw,
    rng: random.Random,
    size: tuple[int, int],
    count: int | None,
) -> None:
    w, h = size
    draw.line((0, int(h * 0.85), w, int(h * 0.8)), fill=(70, 60, 50), width=4)  # rail
    pits = count if count is not None else 110
    cols = 16
    for i in range(pits):
        r, c = divmod(i, cols)
        x, y = 90 + c * 64 + rng.randrange(8), 70 + r * 62 + rng.randrange(8)
        draw.rectangle((x, y, x + 40, y + 28), fill=(122, 100, 72))
        draw.rectangle((x + 5, y + 5, x + 35, y + 23), fill=(70, 56, 40))


_DRAWERS: dict[str, Callable[..., None]] = {
    "rajin": _rajin,
    "dunai": _dunai,
    "tikhoretsk": _tikhoretsk,
}


def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    try:
        return ImageFont.load_default(size=size)
    except (TypeError, OSError):  # Pillow without FreeType: the small bitmap font
        return ImageFont.load_default()


def _label(draw: ImageDraw.ImageDraw, size: tuple[int, int], text: str) -> None:
    w, h = size
    font = _font(28)
    draw.rectangle((0, h - 52, w, h), fill=(0, 0, 0))
    draw.text((16, h - 44), text, fill=(255, 235, 0), font=font)
    draw.text((16, 12), LABEL, fill=(255, 235, 0), font=font)


def _dms(value: float) -> tuple[IFDRational, IFDRational, IFDRational]:
    value = abs(value)
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = round(((value - degrees) * 60 - minutes) * 60 * 100)
    return IFDRational(degrees, 1), IFDRational(minutes, 1), IFDRational(seconds, 100)


def _exif(site: Site, captured_at: datetime) -> Image.Exif:
    exif = Image.Exif()
    exif[0x010E] = f"{LABEL}: {site.name}, {site.description}. Not real imagery."
    exif[0x0131] = "provenance evidence.images.demo"  # Software
    when = captured_at.astimezone(UTC)
    sub = exif.get_ifd(0x8769)
    sub[0x9003] = f"{when:%Y:%m:%d %H:%M:%S}"  # DateTimeOriginal
    sub[0x9011] = "+00:00"  # OffsetTimeOriginal
    gps = exif.get_ifd(0x8825)
    gps[0x0001] = "N" if site.latitude >= 0 else "S"
    gps[0x0002] = _dms(site.latitude)
    gps[0x0003] = "E" if site.longitude >= 0 else "W"
    gps[0x0004] = _dms(site.longitude)
    return exif


class _Recorder:
    """Stands in for ImageDraw to replay a drawing and note its rectangles."""

    def __init__(self) -> None:
        self.rectangles: list[tuple[int, int, int, int]] = []

    def rectangle(self, box: Any, *args: Any, **kwargs: Any) -> None:
        self.rectangles.append(tuple(int(v) for v in box))  # type: ignore[arg-type]

    def __getattr__(self, name: str) -> Any:
        return lambda *args, **kwargs: None


def container_blocks(
    *, variant: int, size: tuple[int, int] = SIZE
) -> list[tuple[tuple[int, int, int, int], int]]:
    """The Rajin picture's four container stacks: (bounding box, containers drawn),
    found by replaying the same drawing, so a demo count is the true count."""
    rng = random.Random(f"rajin:{variant}")  # noqa: S311 - the picture's own seed
    recorder = _Recorder()
    _ground_texture(recorder, rng, size)  # type: ignore[arg-type]
    _DRAWERS["rajin"](recorder, rng, size, None)  # type: ignore[arg-type]
    boxes = [r for r in recorder.rectangles if r[2] - r[0] == 19 and r[3] - r[1] == 7]
    blocks = []
    for block in range(4):
        left = 60 + block * 280
        inside = [b for b in boxes if left <= b[0] < left + 280]
        if inside:
            box = (
                min(b[0] for b in inside) - 4,
                min(b[1] for b in inside) - 4,
                max(b[2] for b in inside) + 4,
                max(b[3] for b in inside) + 4,
            )
            blocks.append((box, len(inside)))
    return blocks
