"""The freshness chart of the AERIS view, as inline SVG (no script, no external asset): for the week
before the window's end, each published gas-hour's lag from the hour's end to its publication, the
daily median (solid) and 95th percentile (dashed) per gas and product line, hours never published
(gaps, ×) and standard slices that replaced near-real-time ones (upgrades, ringed)."""

from __future__ import annotations

from datetime import datetime, timedelta
from html import escape

from aeris_lib.freshness import LagPoint, daily_stats, duration_text

GAS_COLOURS = {"NO2": "#1565c0", "CH2O": "#6a1b9a", "AI": "#ef6c00", "O3": "#2e7d32", "PM": "#6d4c41"}
WIDTH, HEIGHT, LEFT, RIGHT, TOP, BOTTOM = 760, 260, 64, 150, 12, 34


def freshness_svg(lags: list[LagPoint], never_published: list[tuple[str, datetime]], start: datetime,
                  end: datetime) -> str:  # fmt: skip
    stats = daily_stats(lags)
    top = max([p.lag_min for p in lags] + [s.p95_min for s in stats] + [60.0]) * 1.08
    span = (end - start).total_seconds()
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(when: datetime) -> float:
        return LEFT + plot_w * min(max((when - start).total_seconds() / span, 0.0), 1.0)

    def y(minutes: float) -> float:
        return TOP + plot_h * (1 - max(minutes, 0.0) / top)

    parts = [f"<svg id='freshness' xmlns='http://www.w3.org/2000/svg' width='{WIDTH}' height='{HEIGHT}' "
             f"role='img' aria-label='publication lag per gas and product line'>",
             f"<rect x='{LEFT}' y='{TOP}' width='{plot_w}' height='{plot_h}' fill='#fafbfc' stroke='#d9e2ec'/>"]  # fmt: skip
    for k in range(5):  # the lag axis, in the operator's units
        minutes = top * k / 4
        parts.append(f"<text x='{LEFT - 6}' y='{y(minutes) + 4:.1f}' font-size='10' text-anchor='end'>"
                     f"{escape(duration_text(minutes))}</text>")  # fmt: skip
    day = start.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    while day < end:
        parts.append(f"<line x1='{x(day):.1f}' y1='{TOP}' x2='{x(day):.1f}' y2='{TOP + plot_h}' stroke='#eef1f4'/>"
                     f"<text x='{x(day):.1f}' y='{HEIGHT - 18}' font-size='10' text-anchor='middle'>"
                     f"{day:%m-%d}</text>")  # fmt: skip
        day += timedelta(days=1)
    for gas, line in sorted({(s.gas, s.line) for s in stats}):
        series = [s for s in stats if (s.gas, s.line) == (gas, line)]
        colour = GAS_COLOURS.get(gas, "#455a64")
        for kind, value, dash in (
            ("median", "median_min", ""),
            ("p95", "p95_min", " stroke-dasharray='4 3'"),
        ):
            points = " ".join(f"{x(datetime.combine(s.day, datetime.min.time(), start.tzinfo) + timedelta(hours=12)):.1f},"
                              f"{y(getattr(s, value)):.1f}" for s in series)  # fmt: skip
            parts.append(f"<polyline class='{kind} {line}' data-gas='{gas}' points='{points}' fill='none' "
                         f"stroke='{colour}' stroke-width='1.5'{dash}/>")  # fmt: skip
    for point in lags:
        colour, cx, cy = GAS_COLOURS.get(point.gas, "#455a64"), x(point.hour), y(point.lag_min)
        upgrade = " (upgrade to standard)" if point.upgrade else ""
        title = (f"<title>{point.gas} {point.hour:%Y-%m-%d %H}:00 UTC, {point.line}: published "
                 f"{duration_text(point.lag_min)} after the hour{upgrade}</title>")  # fmt: skip
        attrs = f"class='point {point.line}' data-gas='{point.gas}' fill='{colour}'"
        if point.line == "nrt":  # near real time: a triangle
            parts.append(f"<path {attrs} d='M{cx:.1f},{cy - 5:.1f} L{cx + 5:.1f},{cy + 4:.1f} "
                         f"L{cx - 5:.1f},{cy + 4:.1f} Z'>{title}</path>")  # fmt: skip
        else:  # standard: a dot
            parts.append(f"<circle {attrs} cx='{cx:.1f}' cy='{cy:.1f}' r='3.5'>{title}</circle>")
        if point.upgrade:
            parts.append(
                f"<circle class='upgrade' cx='{cx:.1f}' cy='{cy:.1f}' r='7' fill='none' stroke='{colour}'/>"
            )
    for gas, hour in never_published:
        cx, cy = x(hour), TOP + plot_h - 6
        title = f"<title>{gas} {hour:%Y-%m-%d %H}:00 UTC: never published</title>"
        parts.append(f"<text class='gap' data-gas='{gas}' x='{cx:.1f}' y='{cy:.1f}' font-size='12' "
                     f"fill='#c62828' text-anchor='middle'>×{title}</text>")  # fmt: skip
    legend_x = WIDTH - RIGHT + 14
    entries = [(gas, colour) for gas, colour in GAS_COLOURS.items() if any(p.gas == gas for p in lags)]
    for row, (gas, colour) in enumerate(entries):
        parts.append(f"<rect x='{legend_x}' y='{TOP + 14 * row}' width='10' height='10' fill='{colour}'/>"
                     f"<text x='{legend_x + 14}' y='{TOP + 9 + 14 * row}' font-size='11'>{gas}</text>")  # fmt: skip
    base = TOP + 14 * len(entries) + 8
    parts.append(
        f"<circle cx='{legend_x + 5}' cy='{base + 5}' r='3.5' fill='#455a64'/>"
        f"<text x='{legend_x + 14}' y='{base + 9}' font-size='11'>standard</text>"
        f"<path d='M{legend_x + 5},{base + 15} L{legend_x + 10},{base + 24} L{legend_x},{base + 24} Z' fill='#455a64'/>"
        f"<text x='{legend_x + 14}' y='{base + 24}' font-size='11'>near real time</text>"
        f"<text x='{legend_x + 5}' y='{base + 40}' font-size='12' fill='#c62828' text-anchor='middle'>×</text>"
        f"<text x='{legend_x + 14}' y='{base + 39}' font-size='11'>never published</text>"
        f"<circle cx='{legend_x + 5}' cy='{base + 50}' r='6' fill='none' stroke='#455a64'/>"
        f"<text x='{legend_x + 14}' y='{base + 54}' font-size='11'>NRT → standard</text>"
        f"<text x='{legend_x}' y='{base + 70}' font-size='10'>— median, - - p95 per day</text>"
    )  # fmt: skip
    parts.append(f"<text x='{LEFT}' y='{HEIGHT - 4}' font-size='10'>hour (UTC) · lag from the hour's end to "
                 f"its slice being published</text></svg>")  # fmt: skip
    return "".join(parts)
