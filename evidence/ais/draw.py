"""Draw AIS tracks, ports and dark periods as a standalone SVG map (no JavaScript).

Pure: no Django. Equirectangular projection (x scaled by cos of the mid latitude so
shapes look right at the extract's latitude), fit to the data with a margin, over
Natural Earth's land (coastline.py). Tracks are thinned to ``MAX_POINTS_PER_VESSEL``
points each, so a million-row extract still makes a small page, and broken at each
dark period, which is drawn apart (dashed, with its ends marked and its duration), so
a gap is never hidden under a solid line. Distances are in nautical miles, with km
beside them. Tracks crossing the antimeridian are not split (rare in our use).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from itertools import pairwise
from xml.sax.saxutils import escape

import numpy as np

from evidence.ais.analyse import Gap, Port
from evidence.ais.coastline import land_in_box
from evidence.ais.validate import Positions

MAX_POINTS_PER_VESSEL = 2000
# Colour-blind-friendly qualitative palette (Okabe-Ito, minus yellow on white).
PALETTE = (
    "#0072B2",
    "#D55E00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#E69F00",
    "#000000",
)
_MARGIN = 40
_LEGEND_ROW = 16
_LEGEND_COLUMN = 190  # px per legend entry: 20 px of line and ~26 characters
_LEGEND_ROWS = 4  # beyond this many rows the rest are counted, not named
LAND = "#e4dfd3"
KM_PER_NM = 1.852

Track = tuple[Sequence[float] | np.ndarray, Sequence[float] | np.ndarray]


def tracks_from_positions(
    positions: Positions, *, labels: Mapping[int, str] | None = None
) -> dict[str, Track]:
    """Positions -> {label: (lats, lons)}; label is the vessel name or MMSI."""
    labels = labels or {}
    return {
        labels.get(mmsi) or f"{mmsi:09d}": (positions.lat[s], positions.lon[s])
        for mmsi, s in positions.vessel_slices().items()
    }


def thin_track(
    lats: np.ndarray, lons: np.ndarray, gaps: Sequence[Gap] = ()
) -> tuple[np.ndarray, np.ndarray]:
    """One vessel's track (in time order) cut to the points ``draw_track_svg``
    draws of it, plus its northernmost, southernmost, easternmost and westernmost
    points so the map frames it the same: at most a few thousand points, however
    long the track, so a long extract's map is drawn without holding it whole.
    ``gaps`` are the vessel's dark periods (the track is thinned between them)."""
    ok = np.isfinite(lats) & np.isfinite(lons)
    lats, lons = lats[ok], lons[ok]
    n = len(lats)
    if n <= MAX_POINTS_PER_VESSEL:
        return lats, lons
    keep = [np.array([lats.argmin(), lats.argmax(), lons.argmin(), lons.argmax()])]
    for start, stop in _split_at_gaps(lats, lons, gaps):
        share = max(2, MAX_POINTS_PER_VESSEL * (stop - start) // n)
        keep.append(start + downsample(lats[start:stop], lons[start:stop], share))
    index = np.unique(np.concatenate(keep))
    return lats[index], lons[index]


def downsample(lats: np.ndarray, lons: np.ndarray, limit: int) -> np.ndarray:
    """Indices of at most `limit` evenly spaced points, first and last kept."""
    n = len(lats)
    if n <= limit:
        return np.arange(n)
    return np.unique(np.linspace(0, n - 1, limit).round().astype(np.int64))


def _attr(value: str) -> str:
    return escape(value, {'"': "&quot;"})


def _nice_step(span: float) -> float:
    """A round graticule spacing giving about 4-8 lines over span degrees."""
    raw = max(span, 1e-6) / 5
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)


def _label(value: float, step: float, positive: str, negative: str) -> str:
    # As many decimals as the step needs: 0.5 -> "42.5°N", 2 -> "130°E".
    step_text = f"{step:.4f}".rstrip("0").rstrip(".")
    decimals = len(step_text.partition(".")[2])
    hemi = positive if value >= 0 else negative
    return f"{abs(value):.{decimals}f}°{hemi}"


def draw_track_svg(
    positions_by_vessel: Mapping[str, Track],
    *,
    ports: Sequence[Port] = (),
    gaps: Sequence[Gap] = (),
    width: int = 800,
    height: int = 500,
    title: str = "AIS tracks",
    gap_labels: Mapping[int, str] | None = None,
    report_counts: Mapping[str, int] | None = None,
) -> str:
    """SVG text: one coloured polyline per vessel, ports, dashed dark periods.

    ``positions_by_vessel`` maps a label (vessel name or MMSI) to (lats, lons) in time
    order (see ``tracks_from_positions``). Gaps are drawn as dashed lines between
    where the vessel went dark and where it reappeared, in the colour of the track
    whose label ``gap_labels[gap.mmsi]`` (default: the zero-padded MMSI) names.
    ``report_counts`` gives a track's number of reports when it was thinned
    beforehand (``thin_track``); by default, its number of points.
    """
    tracks = {
        str(label): (np.asarray(lats, dtype=float), np.asarray(lons, dtype=float))
        for label, (lats, lons) in positions_by_vessel.items()
    }
    all_lat = [t[0] for t in tracks.values()] + [np.array([p.lat for p in ports])]
    all_lon = [t[1] for t in tracks.values()] + [np.array([p.lon for p in ports])]
    for g in gaps:
        all_lat.append(np.array([g.start_lat, g.end_lat]))
        all_lon.append(np.array([g.start_lon, g.end_lon]))
    lat = np.concatenate(all_lat) if all_lat else np.empty(0)
    lon = np.concatenate(all_lon) if all_lon else np.empty(0)
    finite = np.isfinite(lat) & np.isfinite(lon)
    lat, lon = lat[finite], lon[finite]
    if len(lat):
        lat_min, lat_max = float(lat.min()), float(lat.max())
        lon_min, lon_max = float(lon.min()), float(lon.max())
    else:
        lat_min, lat_max, lon_min, lon_max = -1.0, 1.0, -1.0, 1.0
    # Pad so a single point or a straight line still has an area to fit.
    pad = max(lat_max - lat_min, lon_max - lon_min, 0.02) * 0.05
    lat_min, lat_max = max(lat_min - pad, -90.0), min(lat_max + pad, 90.0)
    lon_min, lon_max = max(lon_min - pad, -180.0), min(lon_max + pad, 180.0)

    kx = math.cos(math.radians((lat_min + lat_max) / 2))
    plot_w = width - 2 * _MARGIN
    legend = _legend_layout(list(tracks), bool(gaps), plot_w)
    legend_h = _LEGEND_ROW * legend.rows + 8
    plot_h = height - 2 * _MARGIN - legend_h
    scale = min(
        plot_w / max((lon_max - lon_min) * kx, 1e-9), plot_h / (lat_max - lat_min)
    )
    off_x = _MARGIN + (plot_w - (lon_max - lon_min) * kx * scale) / 2
    off_y = _MARGIN + (plot_h - (lat_max - lat_min) * scale) / 2

    def x(lo: np.ndarray | float) -> np.ndarray | float:
        return off_x + (np.asarray(lo) - lon_min) * kx * scale

    def y(la: np.ndarray | float) -> np.ndarray | float:
        return off_y + (lat_max - np.asarray(la)) * scale

    label = (
        f"{title}: {len(tracks)} vessel(s), {len(ports)} port(s), "
        f"{len(gaps)} dark period(s)"
    )
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{_attr(label)}" '
        'font-family="sans-serif" font-size="11">',
        f"<title>{escape(label)}</title>",
        f'<rect width="{width}" height="{height}" fill="#f4f8fb"/>',
    ]
    # Land under everything, cut to the plotted area (sea is the background).
    top, bottom = _MARGIN, _MARGIN + plot_h
    view = (
        lon_min + (_MARGIN - off_x) / (kx * scale),
        lat_max - (bottom - off_y) / scale,
        lon_min + (_MARGIN + plot_w - off_x) / (kx * scale),
        lat_max - (top - off_y) / scale,
    )
    out.append(
        f'<clipPath id="map-area"><rect x="{_MARGIN}" y="{top}" width="{plot_w}" '
        f'height="{plot_h}"/></clipPath>'
    )
    out.append(
        f'<rect x="{_MARGIN}" y="{top}" width="{plot_w}" height="{plot_h}" '
        'fill="#dcebf5"/>'
    )
    paths = []
    for ring in land_in_box(*view):
        xy = np.column_stack([x(ring[:, 0]), y(ring[:, 1])]).round(1)
        # Half a pixel apart or more: the rest is invisible and only weighs.
        step = np.ones(len(xy), dtype=bool)
        step[1:] = np.abs(np.diff(xy, axis=0)).max(axis=1) >= 0.5
        xy = xy[step]
        if len(xy) >= 3:
            paths.append("M" + "L".join(f"{a:.1f},{b:.1f}" for a, b in xy) + "Z")
    if paths:
        out.append(
            f'<path class="land" clip-path="url(#map-area)" fill="{LAND}" '
            f'stroke="#b9b09c" stroke-width="0.6" d="{"".join(paths)}">'
            "<title>Land (Natural Earth 1:10m)</title></path>"
        )

    # Graticule with labels, clipped to the map area.
    out.append('<g class="graticule" stroke="#c8d3dc" stroke-width="0.5">')
    labels = []
    step = _nice_step(max(lat_max - lat_min, lon_max - lon_min))
    x0, x1 = x(lon_min), x(lon_max)
    y0, y1 = y(lat_max), y(lat_min)
    for v in np.arange(math.ceil(lat_min / step) * step, lat_max, step):
        yy = float(y(v))
        out.append(f'<line x1="{x0:.1f}" y1="{yy:.1f}" x2="{x1:.1f}" y2="{yy:.1f}"/>')
        labels.append(
            f'<text x="{x0 - 3:.1f}" y="{yy + 3:.1f}" text-anchor="end">'
            f"{_label(float(v), step, 'N', 'S')}</text>"
        )
    for v in np.arange(math.ceil(lon_min / step) * step, lon_max, step):
        xx = float(x(v))
        out.append(f'<line x1="{xx:.1f}" y1="{y0:.1f}" x2="{xx:.1f}" y2="{y1:.1f}"/>')
        labels.append(
            f'<text x="{xx:.1f}" y="{y1 + 12:.1f}" text-anchor="middle">'
            f"{_label(float(v), step, 'E', 'W')}</text>"
        )
    out.append("</g>")
    out.append('<g class="graticule-labels" fill="#5a6b78">' + "".join(labels) + "</g>")

    colours = {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(tracks)}
    gap_labels = gap_labels or {}
    gaps_of: dict[str, list[Gap]] = {}
    for g in gaps:
        gaps_of.setdefault(gap_labels.get(g.mmsi) or f"{g.mmsi:09d}", []).append(g)
    for name, (lats, lons) in tracks.items():
        ok = np.isfinite(lats) & np.isfinite(lons)
        lats, lons = lats[ok], lons[ok]
        pieces = _split_at_gaps(lats, lons, gaps_of.get(name, []))
        for start, stop in pieces:
            # Each piece gets its share of the vessel's point budget.
            share = max(2, MAX_POINTS_PER_VESSEL * (stop - start) // max(len(lats), 1))
            keep = start + downsample(lats[start:stop], lons[start:stop], share)
            xs, ys = x(lons[keep]), y(lats[keep])
            points = " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(xs, ys, strict=True))
            out.append(
                f'<polyline class="track" fill="none" stroke="{colours[name]}" '
                f'stroke-width="1.5" stroke-linejoin="round" points="{points}">'
                f"<title>Track of {escape(name)} "
                f"({(report_counts or {}).get(name, len(lats))} reports)</title>"
                "</polyline>"
            )

    placed: list[tuple[float, float]] = []
    for g in gaps:
        name = gap_labels.get(g.mmsi) or f"{g.mmsi:09d}"
        colour = colours.get(name, "#444444")
        text = (
            f"Dark period of {name}: {g.duration_hours:.1f} h, "
            f"{g.distance_nm:.1f} nm ({g.distance_km:.1f} km), from "
            f"{g.start:%Y-%m-%d %H:%M} to {g.end:%Y-%m-%d %H:%M} UTC"
        )
        x1, y1, x2, y2 = x(g.start_lon), y(g.start_lat), x(g.end_lon), y(g.end_lat)
        out.append(
            f'<g class="dark-period"><title>{escape(text)}</title>'
            f'<line class="gap" x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" '
            f'y2="{y2:.1f}" stroke="{colour}" stroke-width="2" '
            'stroke-dasharray="6 4"/>'
            f'<circle cx="{x1:.1f}" cy="{y1:.1f}" r="3.5" fill="#fff" '
            f'stroke="{colour}" stroke-width="1.5"/>'
            f'<circle cx="{x2:.1f}" cy="{y2:.1f}" r="3.5" fill="#fff" '
            f'stroke="{colour}" stroke-width="1.5"/>'
        )
        spot = _free_spot((x1 + x2) / 2, (y1 + y2) / 2 - 5, placed)
        if spot is not None:
            # Labels that would overlap are left out: the hover and the list
            # below the map give every duration.
            out.append(
                f'<text x="{spot[0]:.1f}" y="{spot[1]:.1f}" text-anchor="middle" '
                f'fill="{colour}" font-weight="bold">'
                f"{g.duration_hours:.0f} h dark</text>"
            )
        out.append("</g>")

    for port in ports:
        px, py = x(port.lon), y(port.lat)
        out.append(
            f'<g class="port"><circle cx="{px:.1f}" cy="{py:.1f}" r="4" fill="#fff" '
            f'stroke="#222" stroke-width="1.5"><title>Port: {escape(port.name)}'
            f"</title></circle>"
            f'<text x="{px + 6:.1f}" y="{py - 6:.1f}" fill="#222">'
            f"{escape(port.name)}</text></g>"
        )

    # Scale bar: a round number of nautical miles near a quarter of the map width
    # (km beside it). x already carries cos(lat): a pixel is the same either way.
    nm_per_px = 111.32 / KM_PER_NM / scale if scale else 0
    if nm_per_px > 0:
        target = nm_per_px * plot_w / 4
        power = 10 ** math.floor(math.log10(target))
        bar_nm = next(m * power for m in (5, 2, 1) if m * power <= target)
        bar_px = bar_nm / nm_per_px
        sx, sy = _MARGIN, height - legend_h - 12
        out.append(
            f'<g class="scale"><line x1="{sx}" y1="{sy}" x2="{sx + bar_px:.1f}" '
            f'y2="{sy}" stroke="#222" stroke-width="2"/>'
            f'<text x="{sx}" y="{sy - 4}">{bar_nm:g} nm '
            f"({bar_nm * KM_PER_NM:.3g} km)</text></g>"
        )

    top_y = height - legend_h + 10
    out.append('<g class="legend">')
    slots = [(name, colours[name]) for name in legend.named]
    for index, (name, colour) in enumerate(slots):
        lx = _MARGIN + (index % legend.columns) * _LEGEND_COLUMN
        ly = top_y + (index // legend.columns) * _LEGEND_ROW
        shown = name if len(name) <= 26 else name[:25] + "…"
        out.append(
            f'<line x1="{lx}" y1="{ly}" x2="{lx + 20}" y2="{ly}" '
            f'stroke="{colour}" stroke-width="2"/>'
            f'<text x="{lx + 26}" y="{ly + 4}">{escape(shown)}'
            f"<title>{escape(name)}</title></text>"
        )
    ly = top_y + math.ceil(len(slots) / legend.columns) * _LEGEND_ROW
    extra = []
    if legend.hidden:
        extra.append(
            f"+ {legend.hidden} more vessel{'s' if legend.hidden > 1 else ''} "
            "(listed below the map)"
        )
    if gaps:
        extra.append("- - dark period (AIS off or not received), ends circled")
    if extra:
        out.append(
            f'<text x="{_MARGIN}" y="{ly + 4}" fill="#3b4252">'
            f"{escape(' · '.join(extra))}</text>"
        )
    out.append("</g></svg>")
    return "\n".join(out)


class _Legend:
    def __init__(self, named: list[str], hidden: int, columns: int, rows: int):
        self.named, self.hidden, self.columns, self.rows = named, hidden, columns, rows


def _legend_layout(names: list[str], has_gaps: bool, plot_w: int) -> _Legend:
    """Columns across the map's width, at most _LEGEND_ROWS rows of names; the rest
    are counted on the last line (with the dark-period key), not named."""
    columns = max(1, plot_w // _LEGEND_COLUMN)
    room = columns * _LEGEND_ROWS
    named = names if len(names) <= room else names[: room - columns]
    hidden = len(names) - len(named)
    rows = math.ceil(len(named) / columns) + (1 if hidden or has_gaps else 0)
    return _Legend(named, hidden, columns, rows)


def _free_spot(
    cx: float, cy: float, placed: list[tuple[float, float]]
) -> tuple[float, float] | None:
    """The first of a few nearby label positions clear of those placed (a label is
    about 64 x 12 px), recorded as taken; None when all are taken."""
    for dy in (0.0, -13.0, 13.0, -26.0, 26.0):
        spot = (cx, cy + dy)
        if all(abs(spot[0] - px) > 64 or abs(spot[1] - py) > 12 for px, py in placed):
            placed.append(spot)
            return spot
    return None


def _split_at_gaps(
    lats: np.ndarray, lons: np.ndarray, gaps: Sequence[Gap]
) -> list[tuple[int, int]]:
    """[start, stop) index ranges of the track between its dark periods. A gap runs
    between two consecutive reports: the one where it starts and the next."""
    n = len(lats)
    if n == 0:
        return []
    breaks = set()
    for g in gaps:
        at = np.nonzero(
            (lats[:-1] == g.start_lat)
            & (lons[:-1] == g.start_lon)
            & (lats[1:] == g.end_lat)
            & (lons[1:] == g.end_lon)
        )[0]
        breaks.update(int(i) + 1 for i in at)
    edges = [0, *sorted(breaks), n]
    return [(a, b) for a, b in pairwise(edges) if b > a]
