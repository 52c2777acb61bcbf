"""Risk assessment end to end: rounds, the row editor, submission, feedback, PDCA, the catalogue,
mails; through the real pages where a person would use them."""

import datetime as dt
import io
import re

import pyotp
import pytest
from django.core import mail
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from renkei.accounts.services import create_organisation, create_user, set_totp_secret
from renkei.errors import ServiceError
from renkei.jobs.queue import run_pending
from renkei.pdf import extract_text
from renkei.risk import pdca, services
from renkei.risk.catalogue import Catalogue, validate
from renkei.risk.catalogue_data import default_catalogue
from renkei.risk.feedback import COVERED, MISSING, Row, build_report
from renkei.risk.models import CatalogueVersion, FeedbackReport, Round, Submission
from renkei.risk.selectors import MIN_GROUP, sector_distributions

TODAY = dt.date(2026, 7, 1)


@pytest.fixture
def risk(english):
    w = english
    w.assessor = create_user(email="inoue@centre.example", name="井上 恵", organisation=w.centre,
                             password=w.password, roles=["risk_assessor"], language="en")
    set_totp_secret(w.assessor, pyotp.random_base32())
    w.round = services.create_round(actor=w.assessor, title="東京大会", opens_on=TODAY,
                                    closes_on=TODAY + dt.timedelta(days=30),
                                    sectors=["telecom", "electricity"])
    return w


@pytest.fixture
def english_messages():
    with translation.override("en"):
        yield


def row(**fields):
    raw = {"asset": "コアネットワーク", "outcome": "O1", "threat": "E02", "risk_source": "R05",
           "phases": "", "cia": "", "existing_measures": "帯域の冗長化", "likelihood": "3",
           "impact": "4", "risk_level": "", "treatment": "reduce"}
    raw.update(fields)
    return raw


def submitted(w, user, rows=(), pdca=None, the_round=None):
    the_round = the_round or w.round
    draft = services.start_draft(actor=user, round=the_round)
    for raw in rows or [row()]:
        services.add_row(actor=user, submission=draft, raw=raw)
    if pdca:
        services.set_pdca(actor=user, submission=draft, answers=pdca)
    return services.submit(actor=user, submission=draft)


def test_the_default_catalogue_is_valid_and_covers_every_sector():
    from renkei.accounts.models import Sector

    data = default_catalogue()
    assert validate(data) == []
    catalogue = Catalogue(data)
    for sector in Sector.values:
        assert catalogue.model_case(sector)["sector"] == sector
        assert catalogue.expected(sector, "standard")["cells"]
    assert validate({"threats": []})  # a broken document is refused


def test_a_round_from_planning_to_released_feedback_through_the_pages(
        risk, client, django_capture_on_commit_callbacks):
    w = risk
    client.force_login(w.assessor)
    response = client.post(reverse("risk:round_new"), {
        "title": "第2回", "opens_on": "2026-08-01", "closes_on": "2026-09-30",
        "approach": "standard", "sectors": ["telecom"], "organisations": [w.gamma.pk]})
    assert response.status_code == 302
    the_round = Round.objects.get(title="第2回")
    assert set(the_round.targets.values_list("organisation_id", flat=True)) == {w.alpha.pk,
                                                                               w.gamma.pk}
    assert the_round.catalogue.state == CatalogueVersion.State.PUBLISHED
    # Planned: the organisations do not see it yet.
    client.force_login(w.alice)
    assert client.get(reverse("risk:round", args=[the_round.pk])).status_code == 404

    client.force_login(w.assessor)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("risk:round_advance", args=[the_round.pk]), {"to": "open"})
    the_round.refresh_from_db()
    assert the_round.state == Round.State.OPEN
    run_pending()
    assert {m.to[0] for m in mail.outbox} == {w.alice.email, w.charlie.email}  # the admins

    # A member edits the draft; only an admin submits it.
    client.force_login(w.alice2)
    response = client.post(reverse("risk:start_draft", args=[the_round.pk]))
    draft = Submission.objects.get(round=the_round, organisation=w.alpha)
    assert response.url == reverse("risk:submission", args=[draft.pk])
    response = client.post(reverse("risk:submission_rows", args=[draft.pk]), row())
    assert response.status_code == 302
    response = client.post(reverse("risk:submission_rows", args=[draft.pk]),
                           row(risk_source="R99", likelihood="高い"))
    assert response.status_code == 400
    page = response.content.decode()
    assert "“R99” is not a risk source in the catalogue." in page
    assert "is not a whole number from 1 to 5" in page
    assert draft.rows.count() == 1
    client.post(reverse("risk:submission_pdca", args=[draft.pk]),
                {f"pdca{k}": "2" for k in range(1, 11)})
    response = client.post(reverse("risk:submission_submit", args=[draft.pk]))
    assert response.status_code == 400
    assert "Only an admin of your organisation may submit" in response.content.decode()

    # The centre sees no draft.
    client.force_login(w.assessor)
    assert client.get(reverse("risk:submission", args=[draft.pk])).status_code == 404
    client.force_login(w.alice)
    assert client.post(reverse("risk:submission_submit", args=[draft.pk])).status_code == 302
    draft.refresh_from_db()
    assert draft.state == Submission.State.SUBMITTED
    # Frozen: a further row is refused.
    response = client.post(reverse("risk:submission_rows", args=[draft.pk]), row())
    assert response.status_code == 400
    assert "A submitted version is frozen" in response.content.decode()

    client.force_login(w.assessor)
    page = client.get(reverse("risk:round", args=[the_round.pk])).content.decode()
    assert "version 1" in page and w.gamma.name in page
    client.post(reverse("risk:round_advance", args=[the_round.pk]), {"to": "closed"})
    report = FeedbackReport.objects.get(round=the_round, organisation=w.alpha)
    assert not FeedbackReport.objects.filter(organisation=w.gamma).exists()  # nothing submitted

    client.force_login(w.alice)
    assert client.get(reverse("risk:feedback", args=[report.pk])).status_code == 404

    client.force_login(w.assessor)
    key = report.content["missing"]["sources"][0]["key"]
    client.post(reverse("risk:feedback_comment", args=[report.pk]),
                {"item": key, "body": "監視体制の整備をご検討ください"})
    client.post(reverse("risk:feedback_comment", args=[report.pk]),
                {"item": "general", "body": "全体として良く整理されています"})
    client.post(reverse("risk:feedback_release", args=[report.pk]))
    report.refresh_from_db()
    assert report.is_released

    client.force_login(w.alice)
    page = client.get(reverse("risk:feedback", args=[report.pk])).content.decode()
    assert "監視体制の整備をご検討ください" in page and COVERED in page and MISSING in page
    assert "no submitted assessment in an earlier round" in page
    assert "rank" not in page.lower().replace("never with other organisations", "")
    xlsx = client.get(reverse("risk:feedback_xlsx", args=[report.pk]))
    sheet = load_workbook(io.BytesIO(xlsx.content)).worksheets[1]
    assert "監視体制の整備をご検討ください" in [c.value for c in sheet["D"]]
    pdf = client.get(reverse("risk:feedback_pdf", args=[report.pk]))
    assert pdf["Content-Type"] == "application/pdf"
    assert any(w.alpha.name in line for line in extract_text(pdf.content))
    # Another organisation, and the rest of the centre, read nothing of it.
    for outsider in (w.bob, w.charlie, w.commander, w.analyst, w.agent):
        client.force_login(outsider)
        assert client.get(reverse("risk:feedback", args=[report.pk])).status_code == 404
        assert client.get(reverse("risk:feedback_pdf", args=[report.pk])).status_code == 404


def test_the_feedback_matrix_marks_covered_and_missing_cells_beside_the_previous_round():
    catalogue = Catalogue(default_catalogue())
    now = [Row("コアネットワーク", "E02", "R05", (), ()),
           Row("顧客管理システム", "E01", "R01", ("delivery",), ("A",))]
    before = [Row("コアネットワーク", "E02", "R05", ("delivery",), ("A",))]
    report = build_report(catalogue, "telecom", "standard", now, previous=(catalogue, before))
    cells = {(r["threat"], r["phase"]): r for r in report["matrix"]}
    a = report["cia"].index("A")
    # R05 covers the DoS attack in four phases for availability (from the catalogue's mapping).
    assert cells[("E02", "install")]["current"][a] == COVERED
    assert cells[("E02", "install")]["previous"][a] == MISSING
    assert cells[("E02", "delivery")]["previous"][a] == COVERED
    assert cells[("E01", "delivery")]["current"][a] == COVERED
    assert cells[("E01", "recon")]["current"][a] == MISSING  # R04 expected there
    assert report["has_previous"]
    missing_sources = {m["code"] for m in report["missing"]["sources"]}
    assert "R04" in missing_sources and "R05" not in missing_sources
    missing_resources = {m["code"] for m in report["missing"]["resources"]}
    assert "core" not in missing_resources and "nms" in missing_resources
    alone = build_report(catalogue, "telecom", "standard", now)
    assert not alone["has_previous"] and alone["matrix"][0]["previous"] is None


@pytest.mark.usefixtures("english_messages")
def test_a_submission_after_the_round_closed_is_refused(risk):
    w = risk
    services.advance_round(actor=w.assessor, round=w.round, to="open")
    draft = services.start_draft(actor=w.alice, round=w.round)
    services.add_row(actor=w.alice, submission=draft, raw=row())
    services.advance_round(actor=w.assessor, round=w.round, to="closed")
    with pytest.raises(ServiceError, match="not open"):
        services.submit(actor=w.alice, submission=draft)
    with pytest.raises(ServiceError, match="not open"):
        services.add_row(actor=w.alice, submission=draft, raw=row())
    with pytest.raises(ServiceError, match="not open"):
        services.start_draft(actor=w.bob, round=w.round)
    draft.refresh_from_db()
    assert draft.is_draft and draft.rows.count() == 1


def test_a_new_version_copies_the_last_one_and_only_targets_take_part(risk):
    w = risk
    services.advance_round(actor=w.assessor, round=w.round, to="open")
    first = submitted(w, w.alice, pdca={"1": 3})
    second = services.start_draft(actor=w.alice, round=w.round)
    assert second.version == 2 and second.rows.count() == 1 and second.pdca == {"1": 3}
    assert services.start_draft(actor=w.alice2, round=w.round) == second  # one draft at a time
    with pytest.raises(ServiceError):
        services.start_draft(actor=w.charlie, round=w.round)  # gamma is no target
    with pytest.raises(ServiceError):
        services.add_row(actor=w.bob, submission=second, raw=row())  # another organisation
    first.refresh_from_db()
    assert first.state == Submission.State.SUBMITTED


def test_reminders_go_to_the_admins_of_organisations_that_have_not_submitted(
        risk, django_capture_on_commit_callbacks):
    w = risk
    from renkei.risk import jobs

    jobs._queued.clear()  # round ids repeat between tests' rolled-back databases
    with django_capture_on_commit_callbacks(execute=True):
        services.advance_round(actor=w.assessor, round=w.round, to="open")
    run_pending()
    assert {m.to[0] for m in mail.outbox} == {w.alice.email, w.beta_admin.email}
    assert "東京大会" in mail.outbox[0].subject
    mail.outbox.clear()
    submitted(w, w.alice)
    week_before = dt.datetime.combine(w.round.closes_on - dt.timedelta(days=7), dt.time(9),
                                      tzinfo=dt.UTC)
    run_pending(now=week_before)
    run_pending()
    assert [m.to[0] for m in mail.outbox] == [w.beta_admin.email]
    assert "Reminder" in mail.outbox[0].subject
    run_pending(now=week_before)
    run_pending()
    assert len(mail.outbox) == 1  # the same occasion never twice


def test_pdca_answers_make_a_trend_across_rounds(risk, client):
    w = risk
    services.advance_round(actor=w.assessor, round=w.round, to="open")
    submitted(w, w.alice, pdca={str(k): 1 for k in range(1, 11)})
    services.advance_round(actor=w.assessor, round=w.round, to="closed")
    later = services.create_round(actor=w.assessor, title="次回", opens_on=TODAY,
                                  closes_on=TODAY, sectors=["telecom"])
    services.advance_round(actor=w.assessor, round=later, to="open")
    submitted(w, w.alice, pdca={str(k): 3 for k in range(1, 11)}, the_round=later)
    services.advance_round(actor=w.assessor, round=later, to="closed")
    report = FeedbackReport.objects.get(round=later, organisation=w.alpha)
    assert report.content["has_previous"] and report.content["previous_round"] == 1
    client.force_login(w.alice)
    page = client.get(reverse("risk:home")).content.decode()
    assert "<svg" in page and "Round 1" in page and "Round 2" in page
    cleaned, wrong = pdca.clean({"1": "9", "2": "3", "3": ""})
    assert cleaned == {"2": 3} and len(wrong) == 1


def test_sector_distributions_only_for_groups_of_at_least_five(risk, client):
    w = risk
    for i in range(MIN_GROUP):
        org = create_organisation(name=f"電力{i}", kind="participant", sector="electricity")
        create_user(email=f"admin{i}@power.example", name=f"管理者{i}", organisation=org,
                    is_org_admin=True)
    create_organisation(name="ガス0", kind="participant", sector="gas")
    services.update_round(actor=w.assessor, round=w.round, title=w.round.title,
                          opens_on=TODAY, closes_on=TODAY, approach="standard",
                          sectors=["telecom", "electricity", "gas"], organisation_ids=[])
    services.advance_round(actor=w.assessor, round=w.round, to="open")
    from renkei.accounts.models import User

    for admin in User.objects.filter(email__endswith="@power.example"):
        submitted(w, admin, pdca={"1": 2})
    submitted(w, w.alice, pdca={"1": 4})
    services.advance_round(actor=w.assessor, round=w.round, to="closed")
    with translation.override("en"):
        figures = {f.sector: f for f in sector_distributions(w.round)}
    assert figures["Electricity"].shown and figures["Electricity"].organisations == MIN_GROUP
    assert sum(figures["Electricity"].coverage) == MIN_GROUP
    assert figures["Electricity"].pdca[0] == 2
    assert not figures["Telecommunications"].shown and figures["Telecommunications"].pdca == []
    client.force_login(w.assessor)
    page = client.get(reverse("risk:distribution", args=[w.round.pk])).content.decode()
    assert "Telecommunications: fewer than 5 organisations, not shown." in page
    assert w.alpha.name not in page and "電力0" not in page
    client.force_login(w.alice)
    assert client.get(reverse("risk:distribution", args=[w.round.pk])).status_code == 404


def test_the_centre_edits_the_catalogue_and_old_rounds_keep_theirs(risk, client):
    w = risk
    first = w.round.catalogue
    client.force_login(w.assessor)
    response = client.post(reverse("risk:catalogue_draft"))
    draft = CatalogueVersion.objects.get(state="draft")
    assert response.url == reverse("risk:catalogue_edit", args=[draft.number])
    response = client.post(reverse("risk:catalogue_edit", args=[draft.number]),
                           {"text": "{not json", "note": ""})
    assert response.status_code == 400 and "not valid JSON" in response.content.decode()
    data = default_catalogue()
    data["risk_sources"].append({"code": "R99", "ja": "新しいリスク源", "en": "A new one",
                                 "covers": [{"threat": "E01", "phases": ["recon"],
                                             "cia": ["C"]}]})
    import json

    response = client.post(reverse("risk:catalogue_edit", args=[draft.number]),
                           {"text": json.dumps(data), "note": "R99 を追加"})
    assert response.status_code == 302
    client.post(reverse("risk:catalogue_publish", args=[draft.number]))
    draft.refresh_from_db()
    assert draft.state == "published"
    w.round.refresh_from_db()
    services.advance_round(actor=w.assessor, round=w.round, to="open")
    assert w.round.catalogue == first  # pinned when it opened
    fresh = services.create_round(actor=w.assessor, title="新", opens_on=TODAY,
                                  closes_on=TODAY, sectors=["telecom"])
    assert fresh.catalogue == draft
    with pytest.raises(ServiceError):
        services.edit_catalogue_draft(actor=w.assessor, version=draft, text=json.dumps(data))
    client.force_login(w.alice)
    assert client.get(reverse("risk:catalogue_list")).status_code == 404


def test_pages_answer_in_japanese_by_default(risk, client):
    w = risk
    services.advance_round(actor=w.assessor, round=w.round, to="open")
    w.alice.language = "ja"
    w.alice.save(update_fields=["language"])
    client.force_login(w.alice)
    page = client.get(reverse("risk:home")).content.decode()
    assert "リスクアセスメント" in page
    draft = services.start_draft(actor=w.alice, round=w.round)
    response = client.post(reverse("risk:submission_rows", args=[draft.pk]),
                           row(risk_source="R99"))
    assert "カタログにないリスク源です" in response.content.decode()
    assert re.search(r"<a href=\"/risk/\"[^>]*>リスクアセスメント</a>", page)


def test_the_loader_command_publishes_the_default_or_a_file(db, tmp_path):
    import json

    from django.core.management import call_command
    from django.core.management.base import CommandError

    out = io.StringIO()
    call_command("load_risk_catalogue", stdout=out)
    assert "v1 is published" in out.getvalue()
    path = tmp_path / "catalogue.json"
    path.write_text(json.dumps(default_catalogue()), encoding="utf-8")
    call_command("load_risk_catalogue", str(path), stdout=out)
    assert CatalogueVersion.objects.filter(state="published").count() == 2
    path.write_text("{}", encoding="utf-8")
    with pytest.raises(CommandError):
        call_command("load_risk_catalogue", str(path), stdout=out)


def test_rows_are_changed_and_deleted_in_the_browser_and_the_menu_shows_who_may_use_it(
        risk, client):
    w = risk
    services.advance_round(actor=w.assessor, round=w.round, to="open")
    draft = services.start_draft(actor=w.alice, round=w.round)
    first = services.add_row(actor=w.alice, submission=draft, raw=row())
    client.force_login(w.alice)
    page = client.get(reverse("risk:submission", args=[draft.pk]) + f"?edit={first.pk}")
    assert 'value="update"' in page.content.decode()
    response = client.post(reverse("risk:submission_rows", args=[draft.pk]),
                           {**row(asset="NMS", likelihood="5", impact="5"), "action": "update",
                            "row": first.pk})
    assert response.status_code == 302
    first.refresh_from_db()
    assert (first.asset, first.risk_level) == ("NMS", "high")
    client.post(reverse("risk:submission_rows", args=[draft.pk]),
                {"action": "delete", "row": first.pk})
    assert not draft.rows.exists()
    # The menu: participants and risk assessors; not the commander, not an agency.
    link = f'href="{reverse("risk:home")}"'
    for person, shown in ((w.alice, True), (w.assessor, True), (w.commander, False),
                          (w.agent, False)):
        client.force_login(person)
        assert (link in client.get(reverse("communities:home")).content.decode()) == shown


def test_the_centre_adds_a_risk_source_with_a_form(risk, client):
    w = risk
    client.force_login(w.assessor)
    client.post(reverse("risk:catalogue_draft"))
    draft = CatalogueVersion.objects.get(state="draft")
    url = reverse("risk:catalogue_source", args=[draft.number])
    response = client.post(url, {"code": "R50", "ja": "クラウド設定の不備", "en": "Cloud misconfig",
                                 "covers": "E01 | 配送、遠隔操作 | 機密性\nH01 | | A, I"})
    assert response.status_code == 302
    draft.refresh_from_db()
    added = Catalogue(draft.data).risk_sources["R50"]
    assert added["covers"] == [{"threat": "E01", "phases": ["delivery", "c2"], "cia": ["C"]},
                               {"threat": "H01", "phases": ["-"], "cia": ["A", "I"]}]
    response = client.post(url, {"code": "R51", "ja": "x", "en": "x",
                                 "covers": "E99 | 配送 | 機密性"})
    assert response.status_code == 400 and "Line 1" in response.content.decode()
    assert "R51" not in Catalogue(CatalogueVersion.objects.get(pk=draft.pk).data).risk_sources
    page = client.get(reverse("risk:catalogue", args=[draft.number]) + "?source=R50")
    assert "E01 | Delivery, Command and control | Confidentiality" in page.content.decode()
