"""A small PDF document builder for reports (AM/PM reports, feedback reports, bulletins).

reportlab with the built-in Japanese CID font HeiseiKakuGo-W5: no font file to ship, and every
PDF reader has the glyphs. Text is always escaped (it is plain text, never reportlab markup) and
wrapped the CJK way, so long Japanese lines and long URLs break inside the page.

    doc = PdfDocument(_("AM/PM report"), subtitle="2026-07-24 09:00", footer="TLP:AMBER")
    doc.heading(_("Escalated cases"))
    doc.paragraph("…")
    doc.table([_("Case"), _("State")], rows, widths=[0.3, 0.7])
    data = doc.build()  # bytes

Pages carry "n / N" and the footer text at the bottom.
"""

import io
from collections.abc import Iterable, Sequence
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas as pdf_canvas
from reportlab.platypus import (
    KeepTogether,
    ListFlowable,
    ListItem,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

FONT = "HeiseiKakuGo-W5"
MARGIN = 15 * mm
HEADER_FILL = colors.HexColor("#e8edf3")
GRID = colors.HexColor("#9aa5b1")
MUTED = colors.HexColor("#555555")

_registered = False


def _font() -> str:
    global _registered
    if not _registered:
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
        _registered = True
    return FONT


def _styles() -> dict[str, ParagraphStyle]:
    font = _font()
    base = ParagraphStyle("body", fontName=font, fontSize=9.5, leading=14, wordWrap="CJK",
                          alignment=TA_LEFT, spaceAfter=4)
    return {
        "title": ParagraphStyle("title", parent=base, fontSize=17, leading=22, spaceAfter=4),
        "subtitle": ParagraphStyle("subtitle", parent=base, fontSize=10, textColor=MUTED,
                                   spaceAfter=10),
        "h1": ParagraphStyle("h1", parent=base, fontSize=13, leading=18, spaceBefore=10,
                             spaceAfter=5),
        "h2": ParagraphStyle("h2", parent=base, fontSize=11, leading=16, spaceBefore=8,
                             spaceAfter=4),
        "body": base,
        "cell": ParagraphStyle("cell", parent=base, fontSize=8.5, leading=11.5, spaceAfter=0),
        "head": ParagraphStyle("head", parent=base, fontSize=8.5, leading=11.5, spaceAfter=0),
        "note": ParagraphStyle("note", parent=base, fontSize=8.5, textColor=MUTED),
    }


def _text(value) -> str:
    """Plain text as Paragraph markup: escaped, line breaks kept."""
    return escape("" if value is None else str(value)).replace("\n", "<br/>")


def _numbered_canvas(footer: str):
    """A canvas that writes "n / N" (and the footer) once it knows how many pages there are."""

    class NumberedCanvas(pdf_canvas.Canvas):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._pages: list[dict] = []

        def showPage(self):
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                self._furniture(total)
                super().showPage()
            super().save()

        def _furniture(self, total: int) -> None:
            width, _height = self._pagesize
            self.setFont(_font(), 8)
            self.setFillColor(MUTED)
            self.drawRightString(width - MARGIN, 8 * mm, f"{self._pageNumber} / {total}")
            if footer:
                self.drawString(MARGIN, 8 * mm, footer)

    return NumberedCanvas


class PdfDocument:
    """Flowables in order; `build()` lays them out on A4 (portrait or landscape)."""

    def __init__(self, title: str, *, subtitle: str = "", footer: str = "",
                 author: str = "renkei", landscape_pages: bool = False) -> None:
        self.title = title
        self.footer = footer
        self.author = author
        self.pagesize = landscape(A4) if landscape_pages else A4
        self.styles = _styles()
        self.story: list = [Paragraph(_text(title), self.styles["title"])]
        if subtitle:
            self.story.append(Paragraph(_text(subtitle), self.styles["subtitle"]))

    @property
    def text_width(self) -> float:
        return self.pagesize[0] - 2 * MARGIN

    def heading(self, text: str, level: int = 1) -> "PdfDocument":
        self.story.append(Paragraph(_text(text), self.styles["h1" if level <= 1 else "h2"]))
        return self

    def paragraph(self, text: str, *, note: bool = False) -> "PdfDocument":
        """One paragraph; blank lines in `text` start new ones."""
        style = self.styles["note" if note else "body"]
        for block in str(text or "").split("\n\n"):
            self.story.append(Paragraph(_text(block.strip("\n")), style))
        return self

    def bullets(self, items: Iterable[str]) -> "PdfDocument":
        entries = [ListItem(Paragraph(_text(item), self.styles["body"]), leftIndent=12)
                   for item in items]
        if entries:
            self.story.append(ListFlowable(entries, bulletType="bullet", start="•",
                                           bulletFontName=_font(), leftIndent=12))
        return self

    def key_values(self, pairs: Sequence[tuple[str, str]]) -> "PdfDocument":
        """A two-column table of labels and values, without a header row."""
        return self.table([], [list(p) for p in pairs], widths=[0.28, 0.72])

    def table(self, header: Sequence[str], rows: Iterable[Sequence], *,
              widths: Sequence[float] | None = None) -> "PdfDocument":
        """A table whose cells wrap; `widths` are fractions of the text width. The header row
        repeats on every page the table runs over."""
        head_style, cell_style = self.styles["head"], self.styles["cell"]
        # CID fonts have no bold face: the header stands out by its fill instead.
        data = [[Paragraph(_text(h), head_style) for h in header]] if header else []
        data += [[Paragraph(_text(cell), cell_style) for cell in row] for row in rows]
        if not data:
            return self
        columns = len(data[0])
        fractions = list(widths) if widths else [1 / columns] * columns
        table = Table(data, colWidths=[f * self.text_width for f in fractions],
                      repeatRows=1 if header else 0, hAlign="LEFT")
        style = [
            ("GRID", (0, 0), (-1, -1), 0.4, GRID),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LEFTPADDING", (0, 0), (-1, -1), 4),
            ("RIGHTPADDING", (0, 0), (-1, -1), 4),
        ]
        if header:
            style.append(("BACKGROUND", (0, 0), (-1, 0), HEADER_FILL))
        table.setStyle(TableStyle(style))
        self.story.append(table)
        self.story.append(Spacer(1, 4 * mm))
        return self

    def keep_together(self, build) -> "PdfDocument":
        """Flowables added by `build(doc)` stay on one page when they fit."""
        start = len(self.story)
        build(self)
        block = self.story[start:]
        del self.story[start:]
        self.story.append(KeepTogether(block))
        return self

    def spacer(self, height_mm: float = 4) -> "PdfDocument":
        self.story.append(Spacer(1, height_mm * mm))
        return self

    def page_break(self) -> "PdfDocument":
        self.story.append(PageBreak())
        return self

    def build(self) -> bytes:
        buffer = io.BytesIO()
        document = SimpleDocTemplate(
            buffer, pagesize=self.pagesize, leftMargin=MARGIN, rightMargin=MARGIN,
            topMargin=MARGIN, bottomMargin=MARGIN + 4 * mm, title=self.title,
            author=self.author, creator="renkei",
        )
        document.build(list(self.story), canvasmaker=_numbered_canvas(self.footer))
        return buffer.getvalue()


# --- reading back (tests) --------------------------------------------------------------------

_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}


def _unescape(raw: bytes) -> bytes:
    out, i = bytearray(), 0
    while i < len(raw):
        byte = raw[i:i + 1]
        if byte != b"\\":
            out += byte
            i += 1
            continue
        nxt = raw[i + 1:i + 2]
        if nxt.isdigit():
            digits = raw[i + 1:i + 4]
            octal = digits[:len(digits) - len(digits.lstrip(b"01234567"))]
            out.append(int(octal, 8) & 0xFF)
            i += 1 + len(octal)
        else:
            out += _ESCAPES.get(nxt, nxt)
            i += 2
    return bytes(out)


def extract_text(data: bytes) -> list[str]:
    """The text of each page of a PDF this module wrote (for tests: no PDF library needed).

    Only what `build()` writes is understood: compressed content streams, strings shown with
    Tj, CID text as UTF-16BE and Latin text as bytes."""
    import base64
    import re
    import zlib

    pages = []
    for stream in re.findall(rb"stream\r?\n(.*?)endstream", data, re.S):
        try:
            content = zlib.decompress(base64.a85decode(stream.strip(), adobe=True))
        except (ValueError, zlib.error):
            try:
                content = zlib.decompress(stream)
            except zlib.error:
                continue
        if b" Tj" not in content:
            continue
        parts, font = [], b""
        for match in re.finditer(rb"/(F\d+) [\d.]+ Tf|\(((?:\\.|[^\\)])*)\) Tj", content, re.S):
            if match.group(1):
                font = match.group(1)
                continue
            text = _unescape(match.group(2))
            # F1 is reportlab's initial Helvetica; every text this module writes is CID.
            if font != b"F1" and len(text) % 2 == 0:
                parts.append(text.decode("utf-16-be", errors="replace"))
            else:
                parts.append(text.decode("latin-1"))
        pages.append("".join(parts))
    return pages
