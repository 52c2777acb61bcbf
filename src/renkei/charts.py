"""Server-rendered SVG charts: bar charts (horizontal or vertical, one or several series) and
line charts, with axes, labels, a legend, and an accessible title and description.

The markup has no inline style attributes (CSP forbids them): colours and sizes are SVG
presentation attributes, which a stylesheet may override through the classes (`chart`,
`chart-bar`, `chart-series-N`, `chart-axis`, `chart-grid`, `chart-label`, `chart-value`,
`chart-line`, `chart-point`, `chart-legend`); pages link static/renkei/charts.css so charts
shrink to a phone's width. Every text is escaped.

    {{ chart }} in a template, with chart = bar_chart(
        ["クラウドサービスの障害", "システムの障害"], [7, 3], title=_("Reports by class"))

`labels` name the categories; `series` is a list of numbers (one series) or of `Series`.
"""

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

from django.utils.safestring import SafeString, mark_safe

PALETTE = ("#2f6690", "#d1495b", "#66a182", "#edae49", "#6c4f9c", "#3a7d7c", "#8c8c8c")
TEXT = "#222222"
MUTED = "#666666"
GRID = "#dde3ea"
AXIS = "#555555"
FONT_SIZE = 12
FONT = "sans-serif"

_ids = itertools.count(1)


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | None]


def _as_series(series) -> list[Series]:
    if series and isinstance(series[0], Series):
        return list(series)
    return [Series("", list(series))]


def _text_width(text: str, size: float = FONT_SIZE) -> float:
    """A fair guess of the drawn width: full-width characters are square, others about half."""
    return sum(size if ord(ch) > 0x2E7F else size * 0.6 for ch in text)


def _nice_scale(top: float, ticks: int = 5) -> tuple[float, float]:
    """(axis maximum, step) on 1-2-5 steps covering `top`."""
    if top <= 0:
        return float(ticks), 1.0
    rough = top / ticks
    power = 10 ** math.floor(math.log10(rough))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= rough)
    return math.ceil(top / step) * step, step


def _fmt(value: float) -> str:
    if value is None:
        return "–"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def _attrs(**attrs) -> str:
    return " ".join(f'{k.rstrip("_").replace("_", "-")}="{escape(str(v))}"'
                    for k, v in attrs.items() if v is not None)


def _el(tag: str, content: str = "", **attrs) -> str:
    return f"<{tag} {_attrs(**attrs)}>{content}</{tag}>" if content or tag == "text" \
        else f"<{tag} {_attrs(**attrs)}/>"


def _text(x, y, content, *, cls="chart-label", anchor="start", fill=TEXT, size=FONT_SIZE,
          baseline="middle", **attrs) -> str:
    return _el("text", escape(str(content)), x=round(x, 1), y=round(y, 1), class_=cls,
               text_anchor=anchor, dominant_baseline=baseline, fill=fill, font_size=size,
               **attrs)


def _describe(labels: Sequence[str], series: list[Series], fmt) -> str:
    parts = []
    for s in series:
        values = "、".join(f"{label} {fmt(v)}" for label, v in zip(labels, s.values, strict=False))
        parts.append(f"{s.name}: {values}" if s.name else values)
    return "。".join(parts)


def _svg(width: float, height: float, title: str, description: str, body: list[str],
         kind: str) -> SafeString:
    ident = f"chart{next(_ids)}"
    return mark_safe(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-{kind}" '
        f'viewBox="0 0 {round(width)} {round(height)}" width="{round(width)}" '
        f'height="{round(height)}" role="img" font-family="{FONT}" '
        f'aria-labelledby="{ident}-title {ident}-desc" preserveAspectRatio="xMinYMin meet">'
        f'<title id="{ident}-title">{escape(title)}</title>'
        f'<desc id="{ident}-desc">{escape(description)}</desc>'
        + "".join(body) + "</svg>"
    )


def _legend(series: list[Series], x: float, y: float, width: float) -> tuple[list[str], float]:
    """Swatches and names in rows across `width`; returns the markup and the height used."""
    if len(series) < 2:
        return [], 0.0
    out, cx, cy = [], x, y
    for i, s in enumerate(series):
        item = 18 + _text_width(s.name) + 16
        if cx + item > x + width and cx > x:
            cx, cy = x, cy + 20
        out.append(_el("g", _el("rect", x=round(cx, 1), y=round(cy, 1), width=12, height=12,
                                fill=PALETTE[i % len(PALETTE)], class_=f"chart-series-{i}")
                       + _text(cx + 18, cy + 6, s.name), class_="chart-legend"))
        cx += item
    return out, cy - y + 24


def bar_chart(labels: Sequence[str], series, *, title: str, description: str = "",
              horizontal: bool = True, width: int = 640, bar: int = 20,
              value_format: Callable[[float], str] = _fmt, height: int = 300) -> SafeString:
    """Bars per category; several series stand side by side in each category.

    Horizontal charts grow with the number of categories (`bar` pixels per bar) and suit long
    Japanese labels; vertical charts have a fixed `height`."""
    all_series = _as_series(series)
    labels = [str(label) for label in labels]
    values = [v or 0 for s in all_series for v in s.values]
    axis_max, step = _nice_scale(max(values, default=0))
    description = description or _describe(labels, all_series, value_format)
    if horizontal:
        return _horizontal(labels, all_series, title, description, width, bar, axis_max, step,
                           value_format)
    return _vertical(labels, all_series, title, description, width, height, axis_max, step,
                     value_format)


def _horizontal(labels, series, title, description, width, bar, axis_max, step, fmt):
    label_width = min(max((_text_width(label) for label in labels), default=0) + 12, width * 0.4)
    value_room = _text_width(fmt(axis_max)) + 10
    left, right, top = label_width, width - value_room, 10
    group = bar * len(series) + 8
    plot_height = max(group * len(labels), group)
    scale = (right - left) / axis_max
    body = []
    tick = 0.0
    while tick <= axis_max + 1e-9:
        x = left + tick * scale
        body.append(_el("line", x1=round(x, 1), y1=top, x2=round(x, 1), y2=top + plot_height,
                        stroke=GRID, class_="chart-grid"))
        body.append(_text(x, top + plot_height + 12, fmt(tick), anchor="middle", fill=MUTED,
                          size=10, cls="chart-axis-label"))
        tick += step
    for i, label in enumerate(labels):
        y0 = top + i * group + 4
        body.append(_text(left - 8, y0 + bar * len(series) / 2, label, anchor="end"))
        for j, s in enumerate(series):
            value = s.values[i] if i < len(s.values) else None
            length = (value or 0) * scale
            y = y0 + j * bar
            body.append(_el("rect", x=round(left, 1), y=round(y, 1), width=round(length, 1),
                            height=bar - 2, fill=PALETTE[j % len(PALETTE)],
                            class_=f"chart-bar chart-series-{j}"))
            body.append(_text(left + length + 4, y + (bar - 2) / 2, fmt(value),
                              cls="chart-value", size=11))
    body.append(_el("line", x1=round(left, 1), y1=top, x2=round(left, 1), y2=top + plot_height,
                    stroke=AXIS, class_="chart-axis"))
    legend, legend_height = _legend(series, left, top + plot_height + 26, right - left)
    height = top + plot_height + 26 + legend_height
    return _svg(width, height, title, description, body + legend, "bar")


def _vertical(labels, series, title, description, width, height, axis_max, step, fmt):
    _probe, legend_height = _legend(series, 0, 0, width - 60)
    left = _text_width(fmt(axis_max), 10) + 14
    right, top = width - 10, 18
    # Category labels are turned 40° when they would not fit side by side.
    slot = (right - left) / max(len(labels), 1)
    longest = max((_text_width(label, 11) for label in labels), default=0)
    turned = longest > slot - 4
    label_room = (longest * 0.65 + 16) if turned else 22
    bottom = height - label_room - legend_height
    scale = (bottom - top) / axis_max
    body = []
    tick = 0.0
    while tick <= axis_max + 1e-9:
        y = bottom - tick * scale
        body.append(_el("line", x1=round(left, 1), y1=round(y, 1), x2=round(right, 1),
                        y2=round(y, 1), stroke=GRID, class_="chart-grid"))
        body.append(_text(left - 6, y, fmt(tick), anchor="end", fill=MUTED, size=10,
                          cls="chart-axis-label"))
        tick += step
    bar = max(min((slot - 8) / max(len(series), 1), 48), 2)
    for i, label in enumerate(labels):
        x0 = left + i * slot + (slot - bar * len(series)) / 2
        for j, s in enumerate(series):
            value = s.values[i] if i < len(s.values) else None
            length = (value or 0) * scale
            x = x0 + j * bar
            body.append(_el("rect", x=round(x, 1), y=round(bottom - length, 1),
                            width=round(bar - 1, 1), height=round(length, 1),
                            fill=PALETTE[j % len(PALETTE)], class_=f"chart-bar chart-series-{j}"))
            body.append(_text(x + bar / 2, bottom - length - 7, fmt(value), anchor="middle",
                              cls="chart-value", size=10))
        cx = left + i * slot + slot / 2
        if turned:
            body.append(_text(cx, bottom + 8, label, anchor="end", size=11, baseline="hanging",
                              transform=f"rotate(-40 {round(cx, 1)} {round(bottom + 8, 1)})"))
        else:
            body.append(_text(cx, bottom + 12, label, anchor="middle", size=11))
    body.append(_el("line", x1=round(left, 1), y1=round(bottom, 1), x2=round(right, 1),
                    y2=round(bottom, 1), stroke=AXIS, class_="chart-axis"))
    legend, _used = _legend(series, left, height - legend_height, right - left)
    return _svg(width, height, title, description, body + legend, "bar")


def line_chart(labels: Sequence[str], series, *, title: str, description: str = "",
               width: int = 640, height: int = 280, y_label: str = "",
               value_format: Callable[[float], str] = _fmt) -> SafeString:
    """One line per series over the categories in `labels` (e.g. days or rounds); a missing
    value (None) breaks the line."""
    all_series = _as_series(series)
    labels = [str(label) for label in labels]
    values = [v for s in all_series for v in s.values if v is not None]
    axis_max, step = _nice_scale(max(values, default=0))
    description = description or _describe(labels, all_series, value_format)
    _probe, legend_height = _legend(all_series, 0, 0, width - 60)
    left = _text_width(value_format(axis_max), 10) + (30 if y_label else 14)
    right, top = width - 14, 18
    bottom = height - 26 - legend_height
    count = max(len(labels), 1)
    step_x = (right - left) / max(count - 1, 1)
    scale = (bottom - top) / axis_max
    body = []
    tick = 0.0
    while tick <= axis_max + 1e-9:
        y = bottom - tick * scale
        body.append(_el("line", x1=round(left, 1), y1=round(y, 1), x2=round(right, 1),
                        y2=round(y, 1), stroke=GRID, class_="chart-grid"))
        body.append(_text(left - 6, y, value_format(tick), anchor="end", fill=MUTED, size=10,
                          cls="chart-axis-label"))
        tick += step
    if y_label:
        body.append(_text(12, (top + bottom) / 2, y_label, anchor="middle", fill=MUTED, size=11,
                          cls="chart-axis-title",
                          transform=f"rotate(-90 12 {round((top + bottom) / 2, 1)})"))
    # Label every n-th category so they do not overlap.
    widest = max((_text_width(label, 11) for label in labels), default=0) + 8
    every = max(1, math.ceil(widest / step_x)) if count > 1 else 1
    for i, label in enumerate(labels):
        if i % every == 0 or i == count - 1:
            x = left + i * step_x if count > 1 else (left + right) / 2
            body.append(_text(x, bottom + 14, label, anchor="middle", size=11))
    for j, s in enumerate(all_series):
        colour = PALETTE[j % len(PALETTE)]
        points = [(left + i * step_x if count > 1 else (left + right) / 2,
                   bottom - v * scale) if v is not None else None
                  for i, v in enumerate(s.values)]
        for run in _runs(points):
            if len(run) > 1:
                body.append(_el("polyline", points=" ".join(f"{x:.1f},{y:.1f}" for x, y in run),
                                fill="none", stroke=colour, stroke_width=2,
                                class_=f"chart-line chart-series-{j}"))
        for point, value, label in zip(points, s.values, labels, strict=False):
            if point is not None:
                body.append(_el("circle", _el("title", escape(f"{label}: {value_format(value)}")),
                                cx=f"{point[0]:.1f}", cy=f"{point[1]:.1f}", r=3, fill=colour,
                                class_=f"chart-point chart-series-{j}"))
    body.append(_el("line", x1=round(left, 1), y1=round(bottom, 1), x2=round(right, 1),
                    y2=round(bottom, 1), stroke=AXIS, class_="chart-axis"))
    body.append(_el("line", x1=round(left, 1), y1=top, x2=round(left, 1), y2=round(bottom, 1),
                    stroke=AXIS, class_="chart-axis"))
    legend, _used = _legend(all_series, left, height - legend_height, right - left)
    return _svg(width, height, title, description, body + legend, "line")


def _runs(points):
    run = []
    for point in points:
        if point is None:
            if run:
                yield run
            run = []
        else:
            run.append(point)
    if run:
        yield run
