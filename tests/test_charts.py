"""The shared SVG charts: well-formed, accessible, escaped, and without inline styles (CSP)."""

import xml.etree.ElementTree as ET

from renkei.charts import Series, bar_chart, line_chart

SVG = "{http://www.w3.org/2000/svg}"
CLASSES = ["クラウドサービスの障害", "システムの障害", "DoS/DDoS", "<script>alert(1)</script>"]


def _parse(markup) -> ET.Element:
    return ET.fromstring(str(markup))


def _no_inline_style(root: ET.Element) -> None:
    assert all("style" not in element.attrib for element in root.iter())
    assert not root.findall(f".//{SVG}style") and not root.findall(f".//{SVG}script")


def test_horizontal_bar_chart_is_accessible_and_proportional():
    root = _parse(bar_chart(CLASSES, [7, 3, 0, 1], title="インシデント分類 & 件数"))
    _no_inline_style(root)
    assert root.get("role") == "img"
    title_id, desc_id = root.get("aria-labelledby").split()
    assert root.find(f"{SVG}title").get("id") == title_id
    assert root.find(f"{SVG}title").text == "インシデント分類 & 件数"
    desc = root.find(f"{SVG}desc")
    assert desc.get("id") == desc_id and "クラウドサービスの障害 7" in desc.text
    bars = [r for r in root.iter(f"{SVG}rect") if "chart-bar" in r.get("class", "")]
    widths = [float(b.get("width")) for b in bars]
    assert widths[0] > widths[1] > widths[3] > widths[2] == 0
    assert abs(widths[0] / widths[1] - 7 / 3) < 0.05
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "<script>alert(1)</script>" in texts  # escaped in the markup, shown as text


def test_vertical_bars_with_two_series_and_a_legend():
    markup = bar_chart(["第1回", "第2回"], [Series("前回", [1, 2]), Series("今回", [3, 4])],
                       title="t", horizontal=False)
    root = _parse(markup)
    _no_inline_style(root)
    bars = [r for r in root.iter(f"{SVG}rect") if "chart-bar" in r.get("class", "")]
    assert len(bars) == 4
    assert {b.get("class") for b in bars} == {
        "chart-bar chart-series-0", "chart-bar chart-series-1"}
    assert len(root.findall(f".//{SVG}g[@class='chart-legend']")) == 2


def test_line_chart_breaks_at_missing_values():
    root = _parse(line_chart([f"7/{d}" for d in range(21, 31)],
                             [Series("報告", [1, 2, None, 4, 5, 6, 7, 8, 9, 10])],
                             title="推移", y_label="件数"))
    _no_inline_style(root)
    assert len(root.findall(f"{SVG}polyline")) == 2
    assert len(root.findall(f"{SVG}circle")) == 9


def test_empty_and_zero_data_still_draw():
    for markup in (bar_chart([], [], title="empty"), bar_chart(["a"], [0], title="zero"),
                   line_chart([], [], title="none"), bar_chart(["a"], [0], title="v",
                                                              horizontal=False)):
        _no_inline_style(_parse(markup))
