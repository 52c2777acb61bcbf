"""Risk assessment in a real browser: an organisation admin starts the assessment, downloads the
XLSX template, uploads it filled in, sees the rows and submits; the version is then frozen."""

import datetime as dt
import io

import pyotp
import pytest
from django.urls import reverse
from openpyxl import load_workbook

from renkei.accounts.services import create_user, set_totp_secret
from renkei.risk import services
from renkei.risk.models import Submission
from renkei.risk.xlsx import ROWS_SHEET

from .test_browser import sign_in

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
ROW = ["コアネットワーク", "O1: システムの停止", "E02: サービス妨害攻撃",
       "R05: DDoS対策（帯域確保・緩和サービス）の未導入", "", "", "帯域の冗長化", 3, 4, "", "低減"]


def test_an_admin_fills_in_the_template_and_submits(live_server, world, new_page, tmp_path):
    assessor = create_user(email="inoue@centre.example", name="井上 恵",
                           organisation=world.centre, password=world.password,
                           roles=["risk_assessor"])
    set_totp_secret(assessor, pyotp.random_base32())
    the_round = services.create_round(actor=assessor, title="東京大会", opens_on=dt.date.today(),
                                      closes_on=dt.date.today(), sectors=["telecom"])
    services.advance_round(actor=assessor, round=the_round, to="open")
    base = live_server.url
    page = new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    sign_in(page, base, world.alice, world.password)
    page.goto(base + reverse("risk:home"))
    page.get_by_role("link", name="第1回 東京大会").click()
    with page.expect_download() as download:
        page.get_by_role("link", name="XLSX テンプレートをダウンロード").click()
    book = load_workbook(io.BytesIO(open(download.value.path(), "rb").read()))
    book[ROWS_SHEET].append(ROW)
    filled = tmp_path / "assessment.xlsx"
    book.save(filled)
    page.get_by_role("button", name="リスクアセスメントを始める").click()
    page.locator("input[name=file]").set_input_files(str(filled))
    page.get_by_role("button", name="アップロード").click()
    page.get_by_text("1 行を取り込みました。").wait_for()
    assert page.locator("#rows table tbody tr").count() == 1
    page.get_by_role("button", name="センターに提出").click()
    page.get_by_text("提出しました。対処調整センターはこの版を確認します。").wait_for()
    submission = Submission.objects.get(round=the_round, organisation=world.alpha)
    assert submission.state == "submitted" and submission.rows.count() == 1
    assert page.locator("#row-form").count() == 0  # frozen: no editor any more
