"""The follow-up of a finding, driven in a real browser (Japanese pages).

The centre has reported its evaluation of アルファ通信 with one finding. Alice, the organisation's
admin, finds it from the main menu, reports the fix on a phone-sized screen, and cannot close it
herself; the centre's risk assessor signs in with password and TOTP code, verifies and closes
it. Bob of another organisation reaches nothing by URL.
"""

import pytest
from django.urls import reverse

from renkei.evaluations.models import FindingState
from tests.e2e.test_browser import PHONE, sign_in
from tests.test_evaluations import _finding, _report, with_evaluation

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_a_finding_is_reported_fixed_and_closed_by_the_centre(live_server, world, new_page):
    w = with_evaluation(world)
    finding = _finding(w, owner=None)
    _report(w)
    base = live_server.url
    finding_url = base + reverse("evaluations:finding", args=[w.evaluation.pk, finding.pk])

    alice = new_page(viewport=PHONE)
    sign_in(alice, base, w.alice, w.password)
    alice.get_by_role("link", name="横断的リスク評価").click()
    alice.get_by_role("link", name=w.evaluation.title).click()
    alice.get_by_role("link", name=finding.title).first.click()
    assert alice.url == finding_url
    assert "未対応" in alice.locator("main").inner_text()
    # Only the centre verifies: the organisation has no button to close.
    assert alice.get_by_role("button", name="確認して完了").count() == 0
    alice.locator("textarea[name=note]").fill("ファイアウォールで分離しました。")
    alice.get_by_role("button", name="改善完了を報告").click()
    alice.wait_for_url(finding_url)
    main = alice.locator("main").inner_text()
    assert "改善報告済み" in main and "ファイアウォールで分離しました。" in main

    assessor = new_page()
    sign_in(assessor, base, w.assessor, w.password, w.assessor.totp_secret)
    assessor.goto(base + reverse("evaluations:findings"))
    assessor.get_by_role("link", name=finding.title).click()
    assessor.locator("textarea[name=note]").fill("現地で確認しました。")
    assessor.get_by_role("button", name="Verify and close").click()  # she reads English
    assessor.wait_for_url(finding_url)
    finding.refresh_from_db()
    assert finding.state == FindingState.CLOSED

    alice.goto(base + reverse("evaluations:report", args=[w.evaluation.pk]))
    assert "完了" in alice.locator("main").inner_text()

    bob = new_page()
    sign_in(bob, base, w.bob, w.password)
    assert bob.goto(finding_url).status == 404
