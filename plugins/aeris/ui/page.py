"""The AERIS view as one HTML page (no script, no external asset: it renders inside Airflow's UI)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from html import escape
from typing import Any
from urllib.parse import quote

from aeris.ui.chart import freshness_svg

from aeris_lib.freshness import behind_text
from aeris_lib.overview import FRESHNESS_DAYS, Overview

COLOURS = {
    "loaded": "#2e7d32", "unchanged": "#558b2f", "not published": "#ef6c00", "failed": "#c62828",
    "breaker open": "#6a1b9a", "no scan": "#90a4ae", "no product": "#b0bec5", "wrong version": "#ad1457",
}  # fmt: skip
SUMMARY = ("loaded", "unchanged", "not published", "failed")
STYLE = """
body{font-family:system-ui,sans-serif;margin:16px;color:#1f2933}
h1{font-size:20px;margin:0 0 4px} h2{font-size:16px;margin:20px 0 8px}
table{border-collapse:collapse;font-size:12px} td,th{border:1px solid #d9e2ec;padding:3px 6px;text-align:center}
.cell{color:#fff;border-radius:3px;padding:1px 4px;white-space:nowrap}
.maps{display:flex;flex-wrap:wrap;gap:12px} figure{margin:0} figure img{width:260px;border:1px solid #d9e2ec}
.warn{background:#fdecea;border:1px solid #c62828;padding:6px 10px;border-radius:4px}
.ok{color:#2e7d32} .product{display:block;color:#52606d;font-size:10px}
"""


def _cell(label: str, title: str = "", product: str = "") -> str:
    colour = COLOURS.get(label, "#607d8b")
    title = f"{product}: {title}" if product and title else product or title
    badge = f'<span class="cell" style="background:{colour}" title="{escape(title)}">{escape(label)}</span>'
    # The version under the outcome: which product (V04, NRT V02 ...) the hour came from, at a glance.
    return badge + (f'<span class="product" title="{escape(product)}">{escape(product.split(" ")[-1])}'
                    f"{' NRT' if '_NRT' in product else ''}</span>" if product else "")  # fmt: skip


def _granule(raw: dict[str, Any]) -> str:
    start, end = datetime.fromisoformat(raw["start"]), datetime.fromisoformat(raw["end"])
    return f"{escape(raw['name'])} ({start:%H:%M}-{end:%H:%M})"


def waiting_section(waiting: list[dict[str, Any]], airflow_url: str) -> str:
    """One line per (gas, hour) still waiting for CMR, in the sensor's own words, linked to its task."""
    if not waiting:
        return "<h2>Waiting now</h2><div class='ok' id='waiting'>No hour is waiting for publication.</div>"
    items = []
    for wait in waiting:
        hour = wait["obs_time"]
        link = (f"{airflow_url}/dags/{quote(wait['dag_id'])}/runs/{quote(wait['run_id'])}/tasks/"
                f"{quote(wait['task_id'])}/mapped/{wait['map_index']}")  # fmt: skip
        listed = ", ".join(_granule(g) for g in wait["listed"]) or "nothing for the hour yet"
        items.append(
            f"<li data-gas='{escape(wait['gas_type'])}' data-hour='{hour:%Y-%m-%dT%H}'>"
            f"<a href='{escape(link)}'>{escape(wait['gas_type'])} {hour:%Y-%m-%d %H}:00 UTC</a>: "
            f"CMR lists {listed}; <span class='missing'>missing {escape(wait['missing'])}</span>; "
            f"<span class='deadline'>deadline {wait['deadline']:%Y-%m-%d %H:%M} UTC</span>; "
            f"next check {wait['next_check']:%H:%M:%S} UTC.<br><small>{escape(wait['reason'])}</small></li>"
        )
    return "<h2>Waiting now</h2><ul id='waiting'>" + "".join(items) + "</ul>"


def freshness_section(view: Overview, now: datetime) -> str:
    """Each gas's current lag, and the week's chart."""
    lines = "".join(f"<li data-gas='{escape(gas)}'>{escape(behind_text(gas, hour, now))}</li>"
                    for gas, hour in sorted(view.latest.items()))  # fmt: skip
    start = view.end - timedelta(days=FRESHNESS_DAYS)
    return (f"<h2>Freshness</h2><ul id='lag'>{lines or '<li>nothing published yet</li>'}</ul>"
            f"<div>{FRESHNESS_DAYS} days to {view.end:%Y-%m-%d %H}:00 UTC: time from each hour's end to its "
            f"slice being published</div>{freshness_svg(view.lags, view.never_published, start, view.end)}")  # fmt: skip


def provenance_section(view: Overview) -> str:
    """Where each loaded hour of the window came from."""
    rows = []
    for (gas, hour), cell in sorted(
        view.cells.items(), key=lambda item: (item[0][1], item[0][0]), reverse=True
    ):
        source = cell.source
        if source is None:
            continue
        moved = f"{source.bytes_moved / 1e6:,.1f} MB" if source.bytes_moved is not None else "?"
        rows.append(
            f"<tr data-gas='{escape(gas)}' data-hour='{hour:%Y-%m-%dT%H}'><td>{escape(gas)}</td>"
            f"<td>{hour:%m-%d %H}:00</td><td>{escape(cell.product or '?')}</td><td>{escape(source.line)}</td>"
            f"<td class='granules'>{escape(', '.join(source.granules))}</td><td>{escape(source.shape or '?')}</td>"
            f"<td>{moved}</td></tr>"
        )
    head = ("<tr><th>gas</th><th>hour (UTC)</th><th>product</th><th>line</th><th>granules</th>"
            "<th>request</th><th>moved</th></tr>")  # fmt: skip
    return (
        "<h2>Where each loaded hour came from</h2><table id='provenance'>" + head + "".join(rows) + "</table>"
    )


def render(view: Overview, breakers: dict[str, str], waiting: list[dict[str, Any]] | None = None,
           airflow_url: str = "", now: datetime | None = None) -> str:  # fmt: skip
    window = f"{view.start:%Y-%m-%d %H}:00 – {view.end:%Y-%m-%d %H}:00 UTC"
    parts = [
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>AERIS</title><style>{STYLE}</style></head><body>",
        f"<h1>AERIS — TEMPO ingestion</h1><div>Last 24 hours: {escape(window)}</div>",
        waiting_section(waiting or [], airflow_url),
        "<h2>Circuit breakers</h2>",
    ]
    if breakers:
        parts += [f"<div class='warn' data-breaker='{escape(g)}'>OPEN: <b>{escape(g)}</b> — {escape(s)}</div>"
                  for g, s in sorted(breakers.items())]  # fmt: skip
    else:
        parts.append("<div class='ok'>All closed.</div>")
    wrong = view.wrong_versions()
    if wrong:
        parts.append("<h2>Wrong product version</h2><ul id='wrong-versions'>" + "".join(
            f"<li class='warn' data-gas='{escape(gas)}'>{escape(gas)} {hour:%Y-%m-%d %H}:00 UTC:"
            f" {escape(cell.detail)}</li>" for gas, hour, cell in wrong
        ) + "</ul>")  # fmt: skip
    parts.append("<h2>Gaps (daytime hours with no load)</h2>")
    if view.gaps:
        parts.append("<ul id='gaps'>" + "".join(
            f"<li>{hour:%Y-%m-%d %H}:00 UTC: {escape(', '.join(missing))}</li>"
            for hour, missing in sorted(view.gaps.items(), reverse=True)
        ) + "</ul>")  # fmt: skip
    else:
        parts.append("<div class='ok' id='gaps'>None.</div>")
    parts.append("<h2>Per gas</h2><table id='summary'><tr><th>gas</th>"
                 + "".join(f"<th>{s}</th>" for s in SUMMARY) + "</tr>")  # fmt: skip
    for gas in view.gases:
        counts = view.counts(gas)
        parts.append(
            f"<tr><th>{escape(gas)}</th>" + "".join(f"<td>{counts.get(s, 0)}</td>" for s in SUMMARY) + "</tr>"
        )
    parts.append("</table>")
    parts.append("<h2>Ledger, hour by hour</h2><table id='ledger'><tr><th>hour (UTC)</th>"
                 + "".join(f"<th>{escape(g)}</th>" for g in view.gases) + "</tr>")  # fmt: skip
    for hour in view.hours:
        row = [f"<tr data-hour='{hour:%Y-%m-%dT%H}'><th>{hour:%m-%d %H}:00</th>"]
        for gas in view.gases:
            cell = view.cells.get((gas, hour))
            shown = _cell(cell.label, cell.detail, cell.product) if cell else ""
            row.append(f"<td data-gas='{escape(gas)}'>{shown}</td>")
        parts.append("".join(row) + "</tr>")
    parts.append("</table><h2>Newest maps</h2><div class='maps'>")
    for gas in view.gases:
        newest = view.newest_loaded.get(gas)
        if newest is None:
            parts.append(f"<figure><figcaption>{escape(gas)}: no map yet</figcaption></figure>")
            continue
        src = f"maps/{quote(gas)}.png?hour={quote(newest.isoformat())}"
        parts.append(f"<figure><img alt='{escape(gas)} map' src='{src}'>"
                     f"<figcaption>{escape(gas)} {newest:%Y-%m-%d %H}:00 UTC</figcaption></figure>")  # fmt: skip
    parts.append("</div>")
    parts.append(freshness_section(view, now or datetime.now(UTC)))
    parts.append(provenance_section(view))
    parts.append("</body></html>")
    return "".join(parts)
