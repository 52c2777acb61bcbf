"""The shared PDF builder: Japanese text survives, tables run over pages with page numbers."""

from renkei.pdf import PdfDocument, extract_text


def test_japanese_text_tables_and_page_numbers():
    doc = PdfDocument("セキュリティ調整センター報告（AM）", subtitle="2026年7月24日 09:00",
                      footer="TLP:AMBER")
    doc.heading("概要").paragraph("対処調整センターに<b>報告</b> & (括弧) \\ が含まれる")
    doc.bullets(["一つ目", "二つ目"]).key_values([("期間", "07:00〜09:00")])
    doc.table(["事案", "状態"], [[f"20260724-{n:06d}", "対応中"] for n in range(120)],
              widths=[0.5, 0.5])
    data = doc.build()

    assert data.startswith(b"%PDF")
    pages = extract_text(data)
    assert len(pages) >= 3
    text = "".join(pages)
    # Plain text, never markup: the tag and the special characters come out as written.
    assert "対処調整センターに<b>報告</b> & (括弧) \\ が含まれる" in text
    assert "セキュリティ調整センター報告（AM）" in pages[0]
    assert "20260724-000119" in pages[-1]
    # The header row repeats, every page says where it is and carries the footer.
    assert all("事案状態" in page for page in pages[1:])
    assert all(f"{n} / {len(pages)}" in page and "TLP:AMBER" in page
               for n, page in enumerate(pages, start=1))


def test_empty_table_and_landscape_build():
    doc = PdfDocument("Empty", landscape_pages=True)
    doc.table([], []).paragraph("")
    assert extract_text(doc.build())[0].startswith("Empty")
