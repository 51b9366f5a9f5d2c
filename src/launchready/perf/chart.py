"""An inline SVG percentile chart for one measurement (for the HTML report).

The x axis is HdrHistogram-style: position ``log10(1 / (1 − p))``, so p50, p90, p99 and p99.9
sit one step apart and the tail the buyer feels is as wide as the median. The y axis is linear
milliseconds from 0; a dashed line marks the budget when given. The output is self-contained SVG
text (no scripts, no external references) with every label XML-escaped.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from xml.sax.saxutils import escape

from launchready.model import Measurement

_TICKS = ((50.0, "p50"), (90.0, "p90"), (99.0, "p99"), (99.9, "p99.9"))


def _x_of(percentile: float) -> float:
    # p100 has no finite position: draw it one step past p99.9
    p = min(percentile, 99.99)
    return math.log10(1.0 / (1.0 - p / 100.0))


def percentile_svg(measurement: Measurement,
                   points: Sequence[tuple[float, float]] | None = None, *,
                   budget_ms: float | None = None, width: int = 360, height: int = 160) -> str:
    """SVG text of ``measurement``'s latency by percentile.

    ``points`` are ``(percentile, latency_ms)`` pairs (e.g. from
    ``LatencyHistogram.curve_ms``); without them the chart uses p50/p95/p99/max.
    """
    pts = sorted(points) if points else [
        (50.0, measurement.p50_ms), (95.0, measurement.p95_ms), (99.0, measurement.p99_ms),
        (100.0, measurement.max_ms)]
    pts = [(p, v) for p, v in pts if 0.0 <= p <= 100.0 and math.isfinite(v) and v >= 0]
    left, right, top, bottom = 44, 8, 18, 22
    plot_w, plot_h = width - left - right, height - top - bottom
    x_min, x_max = _x_of(0.0), _x_of(100.0)
    y_max = max([v for _, v in pts] + [budget_ms or 0.0, 1.0]) * 1.1

    def sx(p: float) -> float:
        return left + (_x_of(p) - x_min) / (x_max - x_min) * plot_w

    def sy(v: float) -> float:
        return top + plot_h - v / y_max * plot_h

    title = escape(f"{measurement.check} · {measurement.target} — latency by percentile "
                   f"({measurement.model} model, {measurement.requests} requests)")
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" role="img" aria-label="{title}">',
           f"<title>{title}</title>",
           f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="none" '
           f'stroke="#ced4da"/>']
    for p, label in _TICKS:
        x = sx(p)
        out.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{top + plot_h}" '
                   f'stroke="#e9ecef"/><text x="{x:.1f}" y="{height - 6}" font-size="10" '
                   f'text-anchor="middle" fill="#495057">{label}</text>')
    for frac in (0.0, 0.5, 1.0):
        v = y_max * frac
        out.append(f'<text x="{left - 4}" y="{sy(v) + 3:.1f}" font-size="10" '
                   f'text-anchor="end" fill="#495057">{v:,.0f} ms</text>')
    if budget_ms is not None:
        y = sy(budget_ms)
        out.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" '
                   f'stroke="#e03131" stroke-dasharray="4 3"/><text x="{left + plot_w - 2}" '
                   f'y="{y - 3:.1f}" font-size="10" text-anchor="end" fill="#e03131">'
                   f"budget {budget_ms:,.0f} ms</text>")
    if pts:
        path = " ".join(f"{sx(p):.1f},{sy(v):.1f}" for p, v in pts)
        out.append(f'<polyline points="{path}" fill="none" stroke="#5c7cfa" '
                   f'stroke-width="2"/>')
        for p, v in pts:
            out.append(f'<circle cx="{sx(p):.1f}" cy="{sy(v):.1f}" r="2.5" fill="#5c7cfa">'
                       f"<title>p{p:g}: {v:,.1f} ms</title></circle>")
    out.append(f'<text x="{left}" y="12" font-size="11" fill="#212529">'
               f"{escape(measurement.target)}</text>")
    out.append("</svg>")
    return "".join(out)
