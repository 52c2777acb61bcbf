"""The XLSX template and its upload: a round trip through Excel's format, and every bad input
the issue names. Each bad file is refused with a clear message and changes nothing."""

import datetime as dt
import io
import re
import zipfile

import pyotp
import pytest
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from renkei.accounts.services import create_user, set_totp_secret
from renkei.errors import ServiceError
from renkei.risk import services
from renkei.risk.catalogue import Catalogue
from renkei.risk.xlsx import (
    ABOUT_SHEET,
    LISTS_SHEET,
    MAX_ROWS,
    PDCA_SHEET,
    ROWS_SHEET,
    build_template,
    read_upload,
)

TODAY = dt.date(2026, 7, 1)
GOOD = ["コアネットワーク", "O1: システムの停止", "E02: サービス妨害攻撃",
        "R05: DDoS対策（帯域確保・緩和サービス）の未導入", "", "", "帯域の冗長化", 3, 4, "", "低減"]


@pytest.fixture
def xw(english):
    w = english
    w.assessor = create_user(email="inoue@centre.example", name="井上 恵", organisation=w.centre,
                             password=w.password, roles=["risk_assessor"])
    set_totp_secret(w.assessor, pyotp.random_base32())
    w.round = services.create_round(actor=w.assessor, title="東京大会", opens_on=TODAY,
                                    closes_on=TODAY, sectors=["telecom"])
    services.advance_round(actor=w.assessor, round=w.round, to="open")
    w.draft = services.start_draft(actor=w.alice, round=w.round)
    w.catalogue = Catalogue(w.round.catalogue.data)
    return w


def template(w):
    return build_template(w.round, w.catalogue, w.alpha)


def filled(w, rows, change=None) -> bytes:
    """The round's template with rows in the assessment sheet; change(workbook) may spoil it."""
    book = load_workbook(io.BytesIO(template(w)))
    sheet = book[ROWS_SHEET]
    for values in rows:
        sheet.append(values)
    if change is not None:
        change(book)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def refused(w, data: bytes) -> str:
    with translation.override("en"), pytest.raises(ServiceError) as caught:
        read_upload(data, w.round, w.catalogue)
    return "\n".join(caught.value.messages)


def test_the_template_round_trips_through_an_upload(xw, client):
    w = xw
    book = load_workbook(io.BytesIO(template(w)))
    assert book.sheetnames == [ROWS_SHEET, LISTS_SHEET, PDCA_SHEET, ABOUT_SHEET]
    validations = book[ROWS_SHEET].data_validations.dataValidation
    assert any(LISTS_SHEET in (v.formula1 or "") for v in validations)  # catalogue dropdowns
    about = {row[0]: row[1] for row in book[ABOUT_SHEET].iter_rows(values_only=True) if row[0]}
    assert about["round"] == w.round.number and about["catalogue"] == w.round.catalogue.number

    def pdca(book):
        for i in range(2, 12):
            book[PDCA_SHEET].cell(row=i, column=3, value=2)

    data = filled(w, [GOOD, ["顧客管理システム", "O3", "E01", "R01", "配送、遠隔操作", "機密性",
                             "IDS", 2, 5, "高", "reduce"]], change=pdca)
    client.force_login(w.alice2)
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(reverse("risk:submission_upload", args=[w.draft.pk]),
                           {"file": SimpleUploadedFile("assessment.xlsx", data)})
    assert response.status_code == 302
    rows = list(w.draft.rows.order_by("position"))
    assert [(r.threat, r.risk_source, r.phases, r.cia, r.risk_level, r.treatment)
            for r in rows] == [("E02", "R05", [], [], "medium", "reduce"),
                               ("E01", "R01", ["delivery", "c2"], ["C"], "high", "reduce")]
    w.draft.refresh_from_db()
    assert w.draft.pdca == {str(k): 2 for k in range(1, 11)}
    # Downloading the draft gives the same rows back.
    again = client.get(reverse("risk:submission_xlsx", args=[w.draft.pk]))
    sheet = load_workbook(io.BytesIO(again.content))[ROWS_SHEET]
    assert [c.value for c in sheet[3]][:6] == [
        "顧客管理システム", "O3: Information leakage", "E01: Execution of unauthorised functions",
        "R01: No or weak intrusion detection", "Delivery, Command and control",
        "Confidentiality"]  # in the reader's language; either language reads back


def test_a_bad_row_imports_nothing_and_says_where(xw, client):
    w = xw
    services.add_row(actor=w.alice, submission=w.draft, raw={
        "asset": "既存の行", "outcome": "O1", "threat": "E02", "risk_source": "R05",
        "likelihood": 1, "impact": 1, "treatment": "accept"})
    bad = [GOOD, [*GOOD[:3], "R99: 存在しない", *GOOD[4:]],
           [*GOOD[:7], "高い", *GOOD[8:]], [*GOOD[:2], "E99", *GOOD[3:]]]
    message = refused(w, filled(w, bad))
    assert "Nothing was imported" in message
    assert f"Sheet “{ROWS_SHEET}”, row 3, column D (risk source): “R99: 存在しない” is not a " \
           "risk source in the catalogue." in message
    assert f"Sheet “{ROWS_SHEET}”, row 4, column H (likelihood): “高い” is not a whole number " \
           "from 1 to 5." in message
    assert "row 5, column C (threat event)" in message
    client.force_login(w.alice)
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(reverse("risk:submission_upload", args=[w.draft.pk]),
                           {"file": SimpleUploadedFile("a.xlsx", filled(w, bad))})
    assert response.status_code == 400
    assert "row 3, column D" in response.content.decode()
    assert list(w.draft.rows.values_list("asset", flat=True)) == ["既存の行"]  # untouched
    # In Japanese, for a Japanese reader.
    with translation.override("ja"), pytest.raises(ServiceError) as caught:
        read_upload(filled(w, bad), w.round, w.catalogue)
    assert f"シート「{ROWS_SHEET}」3 行目 D 列（リスク源）" in "\n".join(caught.value.messages)


def test_missing_and_extra_columns(xw):
    w = xw

    def drop(book):
        book[ROWS_SHEET].delete_cols(9)

    assert "missing columns: 影響度（1〜5） / Impact (1-5)" in refused(w, filled(w, [GOOD],
                                                                             drop))

    def extra(book):
        book[ROWS_SHEET]["L1"] = "備考"

    assert "columns not in the template: 備考" in refused(w, filled(w, [GOOD], extra))


def test_wrong_types(xw):
    w = xw
    row = [*GOOD[:7], dt.datetime(2026, 1, 1), 2.5, *GOOD[9:]]
    message = refused(w, filled(w, [row]))
    assert "column H (likelihood)" in message and "column I (impact)" in message


def test_merged_cells(xw):
    def merge(book):
        book[ROWS_SHEET].merge_cells("A2:A3")

    assert "merged cells" in refused(xw, filled(xw, [GOOD, GOOD], merge))


def test_formulas(xw):
    row = [*GOOD[:7], "=1+2", *GOOD[8:]]
    assert "column H (likelihood): a formula; enter the value itself." in refused(
        xw, filled(xw, [row]))


def test_hidden_sheets(xw):
    def hide(book):
        book[LISTS_SHEET].sheet_state = "hidden"

    assert f"hidden sheets ({LISTS_SHEET})" in refused(xw, filled(xw, [GOOD], hide))


def test_an_older_template_version(xw):
    w = xw

    def older(book):
        for row in book[ABOUT_SHEET].iter_rows():
            if row[0].value == "catalogue":
                row[1].value = w.round.catalogue.number - 1

    assert "made for another round or catalogue version" in refused(w, filled(w, [GOOD], older))
    # A template of another round altogether.
    other = services.create_round(actor=w.assessor, title="次回", opens_on=TODAY,
                                  closes_on=TODAY, sectors=["telecom"])
    data = build_template(other, w.catalogue, w.alpha)
    assert "made for another round" in refused(w, data)


def test_a_file_that_is_not_xlsx(xw):
    assert "not an Excel workbook" in refused(xw, b"%PDF-1.4 renamed to .xlsx")
    assert "not an Excel workbook" in refused(xw, "資産,脅威\n".encode())
    plain_zip = io.BytesIO()
    with zipfile.ZipFile(plain_zip, "w") as archive:
        archive.writestr("readme.txt", "hello")
    assert "not an Excel workbook" in refused(xw, plain_zip.getvalue())


def test_a_zip_bomb(xw):
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (8 * 1024 * 1024))
    assert len(bomb.getvalue()) < 100_000
    assert "unpacks to far more data" in refused(xw, bomb.getvalue())


def test_too_many_rows_are_refused_with_a_clear_message(xw):
    """100,000 rows, written straight into the sheet's XML (openpyxl would take a minute)."""
    w = xw
    data = filled(w, [GOOD])
    source = zipfile.ZipFile(io.BytesIO(data))
    sheet_xml = source.read("xl/worksheets/sheet1.xml").decode()
    cells = "".join(f'<c t="inlineStr"><is><t>{v}</t></is></c>' for v in
                    ("資産", "O1", "E02", "R05"))
    rows = "".join(f'<row r="{n}">{cells}</row>' for n in range(3, 100_003))
    sheet_xml = re.sub(r"</row></sheetData>", "</row>" + rows + "</sheetData>", sheet_xml,
                       count=1)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = sheet_xml if item.filename == "xl/worksheets/sheet1.xml" \
                else source.read(item.filename)
            target.writestr(item.filename, content)
    message = refused(w, out.getvalue())
    assert f"more than {MAX_ROWS:,} rows".replace(",", "") in message.replace(",", "")
    assert w.draft.rows.count() == 0


def test_an_upload_after_the_round_closed(xw, client):
    w = xw
    services.advance_round(actor=w.assessor, round=w.round, to="closed")
    client.force_login(w.alice)
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(reverse("risk:submission_upload", args=[w.draft.pk]),
                           {"file": SimpleUploadedFile("a.xlsx", filled(w, [GOOD]))})
    assert response.status_code == 400
    assert "This round is not open" in response.content.decode()
    assert w.draft.rows.count() == 0
    # Nobody but the organisation's own people gets the file read at all.
    client.force_login(w.bob)
    response = client.post(reverse("risk:submission_upload", args=[w.draft.pk]),
                           {"file": SimpleUploadedFile("a.xlsx", b"junk")})
    assert response.status_code == 404
