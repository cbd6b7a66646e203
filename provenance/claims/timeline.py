"""The claim timeline as one server-drawn SVG: no JavaScript, no network, valid XML.

Pure: takes TimelineEvent values, returns markup. Confidence is a step line over the
seven ICD-203 bands; statements, evidence, quantity revisions and review events sit on
lanes below, each marker with a <title> so it reads on hover and to screen readers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from xml.sax.saxutils import escape

from provenance.claims.confidence import BANDS, SCALE

# Lane keys and their labels, top to bottom under the confidence chart.
LANES = (
    ("statement", "Statements"),
    ("evidence", "Evidence"),
    ("quantity", "Quantity"),
    ("review", "Review"),
)
COLOURS = {
    "band_even": "#f3f5f9",
    "band_odd": "#e9edf4",
    "line": "#1f5fbf",
    "assert": "#1f5fbf",
    "deny": "#b3261e",
    "decline": "#6b7280",
    "evidence": "#3f6f4f",
    "quantity": "#8a5a00",
    "review": "#5b2a8c",
    "axis": "#5b6475",
    "as_of": "#b3261e",
}


@dataclass(frozen=True)
class TimelineEvent:
    lane: str  # "confidence" or one of LANES
    at: datetime
    label: str
    detail: str = ""
    level: str = ""  # confidence level key, for lane "confidence"
    marker: str = ""  # statement: asserts/confirms/denies/declines_to_comment
    # Only a recording time exists (a review decision, a revision of the figure): on
    # the "when it happened" axis such events do not set the span, or a claim
    # recorded in 2026 about 2023 would squash 2023 into a sliver.
    recorded_only: bool = False


@dataclass(frozen=True)
class Layout:
    width: int = 960
    left: int = 150
    right: int = 24
    top: int = 16
    band_height: int = 20
    lane_height: int = 28
    axis_height: int = 34

    @property
    def plot_width(self) -> int:
        return self.width - self.left - self.right

    @property
    def chart_height(self) -> int:
        return self.band_height * len(SCALE)

    @property
    def lanes_top(self) -> int:
        return self.top + self.chart_height + 10

    @property
    def height(self) -> int:
        return self.lanes_top + self.lane_height * len(LANES) + self.axis_height


def ceiling(as_of: datetime | None = None) -> datetime:
    """The latest moment the axis may reach: a day past now (or the as-of date).
    A date far in the future (stored before input was bounded) must not stretch
    the axis to year 9999, where the padding below overflows."""
    now = datetime.now(UTC)
    edge = now if as_of is None else min(max(as_of, now), now + timedelta(days=3650))
    return edge + timedelta(days=1)


def natural_span(
    events: list[TimelineEvent], as_of: datetime | None = None
) -> tuple[datetime, datetime] | None:
    """The period the events span, before padding: the events that carry their own
    date (stated, observed, effective) set it; events with only a recording time
    set it only when there is nothing else. None when there are no events."""
    top = ceiling(as_of)
    own = [e.at for e in events if not e.recorded_only and e.at <= top]
    times = own or [e.at for e in events if e.at <= top]
    if own:
        # Recording-only events close to the story (a review a few days after the
        # last statement) join the span; those years later (the back-dated claim's
        # review today) stay pinned: at most half the story's own span, a day min.
        reach = max((max(own) - min(own)) / 2, timedelta(days=1))
        times += [
            e.at
            for e in events
            if e.recorded_only and min(own) - reach <= e.at <= max(own) + reach
        ]
    if as_of is not None:
        times.append(min(as_of, top))
    if not times:
        return None
    return min(times), max(times)


def _span(
    events: list[TimelineEvent],
    as_of: datetime | None,
    since: datetime | None,
    until: datetime | None,
) -> tuple[datetime, datetime]:
    """The drawn window: the chosen one (since/until), else the natural span."""
    natural = natural_span(events, as_of)
    if natural is None and since is None and until is None:
        now = datetime.now(UTC)
        return now - timedelta(days=30), now
    start, end = natural or (since or until, until or since)
    start = since if since is not None else start
    end = until if until is not None else end
    if end < start:
        start, end = end, start
    span = end - start
    pad = timedelta(days=1) if span < timedelta(days=2) else span * 0.04
    # A chosen window is drawn as chosen; the natural one gets breathing room.
    return (
        start if since is not None else start - pad,
        end if until is not None else end + pad,
    )


def _add_months(moment: datetime, months: int) -> datetime:
    month = moment.month - 1 + months
    return moment.replace(year=moment.year + month // 12, month=month % 12 + 1, day=1)


def _ticks(start: datetime, end: datetime) -> tuple[list[datetime], str]:
    """Round tick positions: at most ~8, on days, weeks, months or years."""
    span_days = max((end - start).total_seconds() / 86400, 1)
    base = start.replace(hour=0, minute=0, second=0, microsecond=0)
    for step_days in (1, 2, 7, 14):
        if span_days / step_days <= 8:
            first = base + timedelta(days=1)
            ticks = []
            moment = first
            while moment <= end:
                ticks.append(moment)
                moment += timedelta(days=step_days)
            return ticks, "%-d %b"
    for step_months in (1, 2, 3, 6, 12, 24, 60):
        if span_days / (30.4 * step_months) <= 8:
            moment = _add_months(base, 1)
            ticks = []
            while moment <= end:
                ticks.append(moment)
                moment = _add_months(moment, step_months)
            return ticks, "%b %Y" if step_months < 12 else "%Y"
    return [start, end], "%Y"


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def render_timeline_svg(
    events: list[TimelineEvent],
    *,
    as_of: datetime | None = None,
    since: datetime | None = None,
    title: str = "Confidence and events over time",
    layout: Layout | None = None,
    until: datetime | None = None,
) -> str:
    """Draw the timeline. Reads well from 1 to 500 events: markers shrink as they grow
    in number and overlapping ones are nudged apart within their lane. The window is
    `since`..`until` when chosen, else the span of the events' own dates; events
    outside it are pinned to the edges and a note says how many (the page lists
    them all)."""
    lay = layout or Layout()
    if as_of is not None:
        as_of = min(as_of, ceiling(as_of))
    start, end = _span(events, as_of, since, until)
    total = (end - start).total_seconds() or 1.0

    def x(moment: datetime) -> float:
        moment = min(max(moment, start), end)
        return lay.left + (moment - start).total_seconds() / total * lay.plot_width

    def band_y(rank: int) -> float:
        # Rank 7 (almost certain) at the top.
        return lay.top + (len(SCALE) - rank) * lay.band_height + lay.band_height / 2

    out: list[str] = []
    add = out.append
    add(
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {lay.width} '
        f'{lay.height}" width="{lay.width}" height="{lay.height}" role="img" '
        'aria-labelledby="timeline-title timeline-desc" font-family="system-ui, '
        'sans-serif" font-size="11">'
    )
    add(f'<title id="timeline-title">{escape(title)}</title>')
    counts = {lane: 0 for lane, _ in LANES}
    assessments = sorted(
        (e for e in events if e.lane == "confidence" and e.level in BANDS),
        key=lambda e: e.at,
    )
    for event in events:
        if event.lane in counts:
            counts[event.lane] += 1
    summary = ", ".join(f"{n} {lane} events" for lane, n in counts.items())
    add(
        f'<desc id="timeline-desc">{len(assessments)} confidence assessments, '
        f"{escape(summary)}, from {start:%d %b %Y} to {end:%d %b %Y}.</desc>"
    )

    # Confidence bands with their labels.
    for band in SCALE:
        top = lay.top + (len(SCALE) - band.rank) * lay.band_height
        fill = COLOURS["band_even"] if band.rank % 2 else COLOURS["band_odd"]
        add(
            f'<rect x="{lay.left}" y="{top}" width="{lay.plot_width}" '
            f'height="{lay.band_height}" fill="{fill}"/>'
        )
        add(
            f'<text x="{lay.left - 6}" y="{_num(top + lay.band_height / 2 + 4)}" '
            f'text-anchor="end" fill="{COLOURS["axis"]}">{escape(band.label)}</text>'
        )

    # Confidence as a step line: each level holds until the next assessment.
    if assessments:
        points: list[str] = []
        for index, event in enumerate(assessments):
            rank = BANDS[event.level].rank
            x0 = x(event.at)
            following = (
                assessments[index + 1].at if index + 1 < len(assessments) else None
            )
            x1 = x(following) if following else x(as_of or end)
            y = band_y(rank)
            if points:
                points.append(f"{_num(x0)},{_num(y)}")
            points.append(f"{_num(x0)},{_num(y)}")
            points.append(f"{_num(max(x1, x0))},{_num(y)}")
        add(
            f'<polyline points="{" ".join(points)}" fill="none" '
            f'stroke="{COLOURS["line"]}" stroke-width="2.5"/>'
        )
        radius = 4.5 if len(assessments) < 60 else 2.5
        for event in assessments:
            band = BANDS[event.level]
            tip = f"{event.at:%d %b %Y}: {band.label} ({band.low}–{band.high} %)"
            if event.detail:
                tip += f" — {event.detail}"
            add(
                f'<circle cx="{_num(x(event.at))}" cy="{_num(band_y(band.rank))}" '
                f'r="{radius}" fill="{COLOURS["line"]}"><title>{escape(tip)}'
                "</title></circle>"
            )

    # Lanes.
    marker_size = 6.0 if len(events) <= 60 else 4.0 if len(events) <= 200 else 3.0
    for index, (lane, label) in enumerate(LANES):
        top = lay.lanes_top + index * lay.lane_height
        mid = top + lay.lane_height / 2
        add(
            f'<line x1="{lay.left}" x2="{lay.left + lay.plot_width}" y1="{_num(mid)}" '
            f'y2="{_num(mid)}" stroke="#d9dee7"/>'
        )
        add(
            f'<text x="{lay.left - 6}" y="{_num(mid + 4)}" text-anchor="end" '
            f'fill="{COLOURS["axis"]}">{escape(label)}</text>'
        )
        lane_events = sorted((e for e in events if e.lane == lane), key=lambda e: e.at)
        last_x = -1e9
        nudge = 0
        for event in lane_events:
            cx = x(event.at)
            # Markers closer than their size are stacked in three rows, not hidden.
            nudge = (nudge + 1) % 3 if cx - last_x < marker_size * 1.5 else 0
            last_x = cx
            cy = mid + (0, -marker_size, marker_size)[nudge] * 0.9
            add(_marker(lane, event, cx, cy, marker_size))

    earlier = sum(1 for event in events if event.at < start)
    if earlier:
        # Pinned markers sit on the left edge; say so, or they read as that date.
        add(
            f'<text x="{lay.left + 4}" y="{lay.lanes_top - 2}" '
            f'fill="{COLOURS["axis"]}" font-style="italic">'
            f"◀ {earlier} earlier event{'s' if earlier > 1 else ''} pinned to the "
            "left edge (listed below)</text>"
        )
    later = sum(1 for event in events if event.at > end)
    if later:
        add(
            f'<text x="{lay.left + lay.plot_width - 4}" y="{lay.lanes_top - 2}" '
            f'text-anchor="end" fill="{COLOURS["axis"]}" font-style="italic">'
            f"{later} later event{'s' if later > 1 else ''} pinned to the right "
            "edge (listed below) ▶</text>"
        )

    # Time axis.
    axis_y = lay.lanes_top + lay.lane_height * len(LANES) + 4
    add(
        f'<line x1="{lay.left}" x2="{lay.left + lay.plot_width}" y1="{axis_y}" '
        f'y2="{axis_y}" stroke="{COLOURS["axis"]}"/>'
    )
    ticks, fmt = _ticks(start, end)
    year_shown = None
    for tick in ticks:
        tx = _num(x(tick))
        label = tick.strftime(fmt)
        if "%Y" not in fmt and tick.year != year_shown:
            # Day ticks carry the year on the first one and at each new year: a
            # 2023 story read in 2026 must not look like this year's.
            label = f"{label} {tick.year}"
        year_shown = tick.year
        add(
            f'<line x1="{tx}" x2="{tx}" y1="{lay.top}" y2="{axis_y + 4}" '
            'stroke="#c4cad6" stroke-dasharray="2 3"/>'
        )
        add(
            f'<text x="{tx}" y="{axis_y + 17}" text-anchor="middle" '
            f'fill="{COLOURS["axis"]}">{escape(label)}</text>'
        )
    if as_of is not None:
        ax = _num(x(as_of))
        add(
            f'<line x1="{ax}" x2="{ax}" y1="{lay.top}" y2="{axis_y}" '
            f'stroke="{COLOURS["as_of"]}" stroke-width="1.5" stroke-dasharray="6 3">'
            f"<title>As of {as_of:%d %b %Y}</title></line>"
        )
        add(
            f'<text x="{ax}" y="{lay.top - 4}" text-anchor="middle" '
            f'fill="{COLOURS["as_of"]}">as of {as_of:%d %b %Y}</text>'
        )
    add("</svg>")
    return "".join(out)


def _marker(lane: str, event: TimelineEvent, cx: float, cy: float, size: float) -> str:
    tip = f"{event.at:%d %b %Y}: {event.label}"
    if event.detail:
        tip += f" — {event.detail}"
    title = f"<title>{escape(tip)}</title>"
    s = size
    if event.marker in ("changed", "unlinked"):
        # A change of reading, not evidence: a hollow ring, crossed when unlinked.
        colour = COLOURS["deny"] if event.marker == "unlinked" else COLOURS["axis"]
        ring = (
            f'<circle cx="{_num(cx)}" cy="{_num(cy)}" r="{_num(s * 0.75)}" '
            f'fill="#fff" stroke="{colour}" stroke-width="1.5"/>'
        )
        cross = ""
        if event.marker == "unlinked":
            d = s * 0.5
            cross = (
                f'<path d="M{_num(cx - d)} {_num(cy - d)}L{_num(cx + d)} {_num(cy + d)}'
                f'M{_num(cx + d)} {_num(cy - d)}L{_num(cx - d)} {_num(cy + d)}" '
                f'stroke="{colour}" stroke-width="1.5"/>'
            )
        return f'<g data-kind="link-{event.marker}">{ring}{cross}{title}</g>'
    if lane == "statement":
        if event.marker == "denies":
            # Denials: red, pointing down, so they stand apart from assertions.
            points = f"{_num(cx - s)},{_num(cy - s)} {_num(cx + s)},{_num(cy - s)} "
            points += f"{_num(cx)},{_num(cy + s)}"
            return (
                f'<polygon points="{points}" fill="{COLOURS["deny"]}" '
                f'data-kind="denial">{title}</polygon>'
            )
        if event.marker == "declines_to_comment":
            return (
                f'<circle cx="{_num(cx)}" cy="{_num(cy)}" r="{_num(s * 0.8)}" '
                f'fill="#fff" stroke="{COLOURS["decline"]}" stroke-width="1.5" '
                f'data-kind="decline">{title}</circle>'
            )
        points = f"{_num(cx - s)},{_num(cy + s)} {_num(cx + s)},{_num(cy + s)} "
        points += f"{_num(cx)},{_num(cy - s)}"
        return (
            f'<polygon points="{points}" fill="{COLOURS["assert"]}" '
            f'data-kind="assertion">{title}</polygon>'
        )
    if lane == "quantity":
        points = (
            f"{_num(cx)},{_num(cy - s)} {_num(cx + s)},{_num(cy)} "
            f"{_num(cx)},{_num(cy + s)} {_num(cx - s)},{_num(cy)}"
        )
        filled = COLOURS["quantity"] if event.marker != "estimate" else "#fff"
        return (
            f'<polygon points="{points}" fill="{filled}" '
            f'stroke="{COLOURS["quantity"]}" stroke-width="1.5">{title}</polygon>'
        )
    if lane == "review":
        return (
            f'<rect x="{_num(cx - s * 0.8)}" y="{_num(cy - s * 0.8)}" '
            f'width="{_num(s * 1.6)}" height="{_num(s * 1.6)}" '
            f'fill="{COLOURS["review"]}">{title}</rect>'
        )
    return (
        f'<circle cx="{_num(cx)}" cy="{_num(cy)}" r="{_num(s * 0.75)}" '
        f'fill="{COLOURS["evidence"]}">{title}</circle>'
    )
