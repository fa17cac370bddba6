"""The picture BENCHMARKS.md opens with: an SVG, written by `bench/run` with no outside
service, of simple-server (its defaults) against the best peer per row, with the 1.00 line
and the machine's floor marked, and the soak's RSS over time beside it.

Each bar is how far ahead simple-server is on that row: ours ÷ best for figures where
higher is better, best ÷ ours where lower is better, so that right of the 1.00 line always
means ahead and left means behind. Where bench/floor.c was measured, a tick marks where
the floor stands on the same scale.
"""

from html import escape

WIDTH = 900
ROW_H = 22
LABEL_W = 420
BAR_X = LABEL_W + 10
BAR_W = WIDTH - BAR_X - 70
SCALE_MAX = 2.0  # bars are drawn from 0 to 2.0×; longer ones are cut with an arrow
GOOD = "#1a7f37"
BAD = "#b42318"
INK = "#1f2328"
MUTED = "#59636e"


def advantage(row):
    """simple-server's lead on `row` (>1 ahead, <1 behind), or None without a ratio."""
    r = row.get("ratio")
    if not r:
        return None
    return r if row["higher_is_better"] else 1 / r


def floor_mark(row):
    """Where the floor stands on `row`'s scale, if it was measured there."""
    v = row["values"]
    best = row.get("best_peer")
    if v.get("floor") is None or not best or not v.get(best):
        return None
    return v["floor"] / v[best] if row["higher_is_better"] else v[best] / v["floor"]


def _x(value):
    return BAR_X + BAR_W * min(value, SCALE_MAX) / SCALE_MAX


def svg(table, soak=None, title="simple-server against the best peer"):
    rows = [r for r in table if advantage(r) is not None and not r["key"].endswith("_floor")]
    top = 56
    height = top + ROW_H * len(rows) + 40
    soak_h = 170 if soak and soak.get("samples") else 0
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" '
           f'height="{height + soak_h}" viewBox="0 0 {WIDTH} {height + soak_h}" '
           'font-family="system-ui, sans-serif" font-size="12">',
           f'<rect width="100%" height="100%" fill="#ffffff"/>',
           f'<text x="10" y="20" font-size="15" font-weight="600" fill="{INK}">'
           f'{escape(title)}</text>',
           f'<text x="10" y="38" fill="{MUTED}">Right of 1.00: simple-server ahead of the best '
           'of nginx, lighttpd and h2o (or curl and wget for the client); left: behind. '
           '| marks the floor.</text>']
    one = _x(1.0)
    for i, row in enumerate(rows):
        y = top + i * ROW_H
        a = advantage(row)
        colour = GOOD if a >= 1.0 else BAD
        out.append(f'<text x="{LABEL_W}" y="{y + 15}" text-anchor="end" fill="{INK}">'
                   f'{escape(row["label"])}</text>')
        out.append(f'<rect x="{BAR_X}" y="{y + 4}" width="{_x(a) - BAR_X:.1f}" height="14" '
                   f'fill="{colour}" opacity="0.85"><title>{escape(row["label"])}: '
                   f'{a:.2f}× (best peer: {escape(str(row.get("best_peer")))})</title></rect>')
        label = f"{a:.2f}×" + (" ▸" if a > SCALE_MAX else "")
        out.append(f'<text x="{_x(a) + 4:.1f}" y="{y + 15}" fill="{INK}">{label}</text>')
        f = floor_mark(row)
        if f is not None:
            fx = _x(f)
            out.append(f'<line x1="{fx:.1f}" x2="{fx:.1f}" y1="{y + 1}" y2="{y + 21}" '
                       f'stroke="{INK}" stroke-width="2"><title>the floor: {f:.2f}×</title>'
                       '</line>')
            # Clear of the bar's own figure.
            lx = max(fx + 4, _x(a) + 48) if fx >= _x(a) - 4 else fx + 4
            out.append(f'<text x="{lx:.1f}" y="{y + 15}" fill="{MUTED}">floor '
                       f'{f:.2f}×</text>')
    bottom = top + ROW_H * len(rows)
    out.append(f'<line x1="{one:.1f}" x2="{one:.1f}" y1="{top - 4}" y2="{bottom + 4}" '
               f'stroke="{INK}" stroke-dasharray="4 3"/>')
    for tick in (0.0, 0.5, 1.0, 1.5, 2.0):
        tx = _x(tick)
        out.append(f'<text x="{tx:.1f}" y="{bottom + 18}" text-anchor="middle" '
                   f'fill="{MUTED}">{tick:.2f}×</text>')
    if soak_h:
        out.extend(_soak(soak, height))
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _soak(soak, y0):
    samples = [s for s in soak["samples"] if s.get("rss_kib")]
    if not samples:
        return []
    x0, w, h = BAR_X, BAR_W, 110
    top = y0 + 30
    t_max = max(s["t"] for s in samples) or 1
    r_max = max(s["rss_kib"] for s in samples) * 1.2
    pts = " ".join(f'{x0 + w * s["t"] / t_max:.1f},{top + h - h * s["rss_kib"] / r_max:.1f}'
                   for s in samples)
    g = soak.get("rss_growth")
    growth = "" if g is None else f", {g * 100:+.1f} % from the first minute to the end"
    minutes = soak["seconds"] / 60
    return [
        f'<text x="10" y="{y0 + 12}" font-size="14" font-weight="600" fill="{INK}">'
        f'Soak: RSS over {minutes:.0f} minutes of mixed load{escape(growth)}</text>',
        f'<text x="{LABEL_W}" y="{top + 12}" text-anchor="end" fill="{MUTED}">'
        f'{r_max / 1024:.1f} MiB</text>',
        f'<text x="{LABEL_W}" y="{top + h}" text-anchor="end" fill="{MUTED}">0</text>',
        f'<rect x="{x0}" y="{top}" width="{w}" height="{h}" fill="none" stroke="#d0d7de"/>',
        f'<polyline points="{pts}" fill="none" stroke="#0969da" stroke-width="2"/>',
        f'<text x="{x0}" y="{top + h + 16}" fill="{MUTED}">0 min</text>',
        f'<text x="{x0 + w}" y="{top + h + 16}" text-anchor="end" fill="{MUTED}">'
        f'{minutes:.0f} min</text>',
    ]
