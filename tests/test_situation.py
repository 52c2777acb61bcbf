"""The centre's situation work end to end: AM/PM reports, sanitised summaries, daily bulletins,
statistics, the schedule, and the bad input issue 4 names for them."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from renkei.accounts.models import AuditEntry
from renkei.communities.models import Topic
from renkei.errors import ServiceError
from renkei.incidents import services as incident_services
from renkei.incidents.models import Case, Classification
from renkei.jobs.queue import run_pending
from renkei.pdf import extract_text
from renkei.sharing.visibility import readable_topics
from renkei.situation import services
from renkei.situation.models import (
    DailyBulletin,
    EscalationReport,
    OrganisationAlias,
    SanitisedSummary,
)
from renkei.situation.statistics import percentile

pytestmark = pytest.mark.django_db
TOKYO = ZoneInfo("Asia/Tokyo")


@pytest.fixture(autouse=True)
def _english():
    translation.activate("en")
    yield
    translation.deactivate()


def seed_classes():
    from importlib import import_module

    from django.apps import apps

    import_module("renkei.incidents.migrations.0002_seed_classifications_and_targets").seed(
        apps, None)


@pytest.fixture
def situation(english):
    """The world plus one escalated report from Alice (alpha) and one quiet one from Bob."""
    seed_classes()
    w = english
    OrganisationAlias.objects.create(organisation=w.alpha, alias="アルファツウシン")
    w.escalated = incident_services.file_report(actor=w.alice, data=incident_services.ReportInput(
        kind="report", title="アルファ通信の予約サイトに接続できない",
        what_happened="アルファ通信の rsv-web01 (198.51.100.23) が停止。Alice が 03-1234-5678 で"
                      "連絡。alice@alpha.example",
        affected_systems="予約システム（rsv-web01）", event_effect="possible",
        public_exposure="may_become", tlp="amber")).case
    w.quiet = incident_services.file_report(actor=w.bob, data=incident_services.ReportInput(
        kind="consultation", title="相談", what_happened="設定の相談", event_effect="none",
        tlp="amber")).case
    klass = Classification.objects.order_by("order").first()
    incident_services.update_case(actor=w.commander, case=w.escalated, version=1,
                                  classification=klass, state="triaged")
    w.escalated.refresh_from_db()
    return w


def period(hours_back=2, hours_ahead=0):
    now = timezone.now()
    return now - timedelta(hours=hours_back), now + timedelta(minutes=hours_ahead)


# --- AM/PM reports ---------------------------------------------------------------------------

def test_am_pm_report_lists_escalated_cases_and_is_frozen(situation, client):
    w = situation
    start, end = period()
    report = services.generate_escalation_report(actor=w.commander, start=start, end=end)
    cases = report.content["cases"]
    assert [c["reference"] for c in cases] == [w.escalated.reference]  # not the quiet one
    assert cases[0]["is_new"] and cases[0]["state"] == "triaged"
    assert {c["kind"] for c in cases[0]["changes"]} >= {"opened", "state", "classification"}
    # Later changes leave the report as it was.
    incident_services.update_case(actor=w.commander, case=w.escalated,
                                  version=w.escalated.version, severity="high")
    report.refresh_from_db()
    assert report.content["cases"][0]["severity"] == "medium"

    client.force_login(w.commander)
    page = client.get(reverse("situation:escalation_detail", args=[report.pk]))
    assert page.status_code == 200 and w.escalated.reference in page.content.decode()
    pdf = client.get(reverse("situation:escalation_download", args=[report.pk, "pdf"]))
    assert pdf["Content-Type"] == "application/pdf"
    assert w.escalated.reference in "".join(extract_text(pdf.content))
    xlsx = client.get(reverse("situation:escalation_download", args=[report.pk, "xlsx"]))
    assert xlsx.content[:2] == b"PK"
    md = client.get(reverse("situation:escalation_download", args=[report.pk, "md"]))
    assert f"### {w.escalated.reference}" in md.content.decode()
    assert AuditEntry.objects.filter(action="situation.escalation_report.download").count() == 3


def test_am_pm_report_over_a_period_with_no_cases_says_so(situation, client):
    w = situation
    start = timezone.now() - timedelta(days=10)
    report = services.generate_escalation_report(actor=w.commander, start=start,
                                                 end=start + timedelta(hours=6))
    assert report.case_count == 0 and report.content["cases"] == []
    client.force_login(w.commander)
    page = client.get(reverse("situation:escalation_detail", args=[report.pk])).content.decode()
    assert "No escalated case was opened or changed in this period." in page
    for fmt in ("pdf", "xlsx", "md"):
        response = client.get(reverse("situation:escalation_download", args=[report.pk, fmt]))
        assert response.status_code == 200
    md = client.get(reverse("situation:escalation_download", args=[report.pk, "md"]))
    assert "No escalated case was opened or changed" in md.content.decode()


@pytest.mark.parametrize("start,end,message", [
    ("2026-07-24T09:00", "2026-07-24T08:00", "The end of the period must be after its start."),
    ("2026-07-24T09:00", "2026-07-24T09:00", "The end of the period must be after its start."),
    ("2025-01-01T09:00", "2025-12-24T08:00", "A period may cover at most 92 days."),
    ("2099-01-01T09:00", "2099-01-02T08:00", "The period must not end in the future."),
])
def test_a_bad_period_is_refused_and_writes_nothing(situation, client, start, end, message):
    w = situation
    client.force_login(w.commander)
    response = client.post(reverse("situation:escalation_list"), {"start": start, "end": end})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not EscalationReport.objects.exists()
    stats = client.get(reverse("situation:statistics"), {"start": start, "end": end})
    assert stats.status_code == 400 and message in stats.content.decode()


def test_the_schedule_makes_one_report_per_slot_and_one_bulletin_a_day(situation, settings):
    settings.SITUATION_SCHEDULE = True
    settings.SITUATION_BULLETIN_TIME = "18:00"
    now = timezone.now()
    local = timezone.localtime(now, TOKYO)
    if local.hour < 18:  # the bulletin's hour has not come: run at 18:30 of yesterday instead
        now = datetime.combine(local.date() - timedelta(days=1), local.time().replace(
            hour=18, minute=30), TOKYO)
    run_pending(now=now)
    run_pending(now=now)
    report = EscalationReport.objects.get()
    assert report.scheduled and report.generated_by is None
    assert timezone.localtime(report.period_end, TOKYO).strftime("%H:%M") in {"09:00", "15:00"}
    bulletin = DailyBulletin.objects.get()
    assert bulletin.scheduled
    assert bulletin.topics.count() == 2  # both broadcast communities of the world


# --- sanitised summaries ---------------------------------------------------------------------

def _create(client, w, **fields):
    data = {"title": "予約サイト障害", "draft": situation_draft(), **fields}
    return client.post(reverse("situation:summary_new", args=[w.escalated.pk]), data)


def situation_draft():
    return ("アルファ通信（ｱﾙﾌｧﾂｳｼﾝ）の予約システム rsv-web01 が 198.51.100.23 からの DoS で停止。"
            "担当の Alice さん（alice@alpha.example、０３－１２３４－５６７８）が "
            "https://www.alpha.example/ の閲覧障害を確認。アルファ 通信 と alpha.example。")


def test_summary_is_sanitised_reviewed_and_only_then_published(situation, client):
    w = situation
    client.force_login(w.commander)
    response = _create(client, w)
    summary = SanitisedSummary.objects.get()
    assert response.status_code == 302
    for secret in ("アルファ", "ｱﾙﾌｧ", "rsv-web01", "198.51.100.23", "Alice", "alice@",
                   "０３", "alpha.example", "予約システム"):
        assert secret not in summary.sanitised, secret
    page = client.get(reverse("situation:summary_detail", args=[summary.pk])).content.decode()
    assert '<mark class="removed"' in page and '<mark class="placeholder">' in page

    publish = {"version": summary.version, "communities": [w.general.pk], "tlp": "green",
               "reader_level": "general", "tag": ""}
    # Publishing without the review is refused, and nothing is posted.
    refused = client.post(reverse("situation:summary_publish", args=[summary.pk]), publish)
    assert refused.status_code == 400
    assert "A summary is published only after its review" in refused.content.decode()
    assert not Topic.objects.filter(kind="incident", community=w.general).exists()
    # The review must be confirmed explicitly.
    unconfirmed = client.post(reverse("situation:summary_review", args=[summary.pk]),
                              {"version": summary.version})
    assert unconfirmed.status_code == 400
    summary.refresh_from_db()
    assert summary.state == "draft"
    reviewed = client.post(reverse("situation:summary_review", args=[summary.pk]),
                           {"version": summary.version, "confirmed": "on"})
    assert reviewed.status_code == 302
    summary.refresh_from_db()
    assert summary.state == "reviewed" and summary.reviewed_by == w.commander
    publish["version"] = summary.version
    published = client.post(reverse("situation:summary_publish", args=[summary.pk]), publish)
    assert published.status_code == 302
    summary.refresh_from_db()
    topic = summary.topics.get()
    assert summary.state == "published" and topic.kind == "incident" and topic.tlp == "green"
    assert topic.community == w.general and topic.body == summary.sanitised
    # Every participant reads it under the topic rule.
    assert readable_topics(w.charlie).filter(pk=topic.pk).exists()


def test_corrections_bring_back_an_identifier_and_are_refused_at_review(situation):
    w = situation
    title, draft = services.draft_from_case(w.escalated)
    summary = services.create_summary(actor=w.commander, case=w.escalated, title=title,
                                      draft=draft)
    assert "アルファ" not in summary.sanitised
    summary = services.update_summary(actor=w.commander, summary=summary, title=summary.title,
                                      sanitised=summary.sanitised + "\nアルファ　通信より。",
                                      version=summary.version)
    with pytest.raises(ServiceError, match="still contains strings that identify the victim"):
        services.review_summary(actor=w.commander, summary=summary, confirmed=True)
    summary.refresh_from_db()
    assert summary.state == "draft"
    # A reviewed summary that is changed must be reviewed again.
    summary = services.update_summary(actor=w.commander, summary=summary, title=summary.title,
                                      sanitised="一般的な注意喚起の本文", version=summary.version)
    summary = services.review_summary(actor=w.commander, summary=summary, confirmed=True)
    summary = services.update_summary(actor=w.commander, summary=summary, title=summary.title,
                                      sanitised="変更後の本文", version=summary.version)
    assert summary.state == "draft" and summary.reviewed_at is None
    with pytest.raises(ServiceError, match="only after its review"):
        services.publish_summary(actor=w.commander, summary=summary,
                                 publication=services.Publication((w.general,)))


def test_publishing_rechecks_the_text_and_refuses_red(situation):
    w = situation
    summary = services.create_summary(actor=w.commander, case=w.escalated, title="共有",
                                      draft="障害の概要")
    summary = services.review_summary(actor=w.commander, summary=summary, confirmed=True)
    with pytest.raises(ServiceError, match="TLP:RED"):
        services.publish_summary(actor=w.commander, summary=summary,
                                 publication=services.Publication((w.general,), tlp="red"))
    with pytest.raises(ServiceError, match="TLP:AMBER\\+STRICT"):
        services.publish_summary(actor=w.commander, summary=summary,
                                 publication=services.Publication((w.general,),
                                                                  tlp="amber+strict"))
    with pytest.raises(ServiceError, match="broadcast communities only"):
        services.publish_summary(actor=w.commander, summary=summary,
                                 publication=services.Publication((w.isac,)))
    # An identifier written into the row behind the review's back is still caught.
    SanitisedSummary.objects.filter(pk=summary.pk).update(sanitised="alice@alpha.example")
    summary.refresh_from_db()
    with pytest.raises(ServiceError, match="identify the victim"):
        services.publish_summary(actor=w.commander, summary=summary,
                                 publication=services.Publication((w.general,)))
    assert not summary.topics.exists()


# --- daily bulletin --------------------------------------------------------------------------

def test_bulletin_counts_and_tells_only_reviewed_summaries(situation, client):
    w = situation
    secret_draft = services.create_summary(actor=w.commander, case=w.escalated, title="未確認",
                                           draft="まだ確認していない下書き")
    reviewed = services.create_summary(actor=w.commander, case=w.escalated,
                                       title="予約サイトの閲覧障害",
                                       draft="アルファ通信で閲覧障害。")
    services.review_summary(actor=w.commander, summary=reviewed, confirmed=True)
    client.force_login(w.commander)
    page = client.get(reverse("situation:bulletin")).content.decode()
    assert "予約サイトの閲覧障害" in page and secret_draft.title not in page
    response = client.post(reverse("situation:bulletin"), {
        "communities": [w.pro.pk], "tlp": "green", "reader_level": "pro", "tag": ""})
    assert response.status_code == 302
    bulletin = DailyBulletin.objects.get()
    topic = bulletin.topics.get()
    assert topic.community == w.pro and topic.reader_level == "pro"
    assert "新たに受け付けた報告・相談：2件" in topic.body
    assert "予約サイトの閲覧障害" in topic.body
    for secret in ("アルファ", "Alice", "rsv-web01", "198.51.100.23", "まだ確認していない"):
        assert secret not in topic.body


# --- statistics ------------------------------------------------------------------------------

def test_statistics_for_a_period(situation, client):
    w = situation
    Case.objects.filter(pk=w.escalated.pk).update(
        first_response_at=w.escalated.opened_at + timedelta(minutes=10))
    client.force_login(w.commander)
    response = client.get(reverse("situation:statistics"))
    stats = response.context["stats"]
    assert stats.total == 2 and stats.escalated == 1
    assert dict(stats.by_kind) == {"Incident report": 1, "Consultation": 1,
                                   "Support request": 0}
    assert stats.median_first_response == timedelta(minutes=10)
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-bar"' in \
        response.content.decode()


def test_percentiles():
    assert percentile([], 0.5) is None
    assert percentile([4, 1, 3, 2], 0.5) == 2.5
    assert percentile(list(range(1, 11)), 0.9) == pytest.approx(9.1)


# --- who may ---------------------------------------------------------------------------------

def test_only_the_centres_incident_staff_see_anything(situation, client):
    w = situation
    start, end = period()
    report = services.generate_escalation_report(actor=w.commander, start=start, end=end)
    summary = services.create_summary(actor=w.commander, case=w.escalated, title="t",
                                      draft="d")
    urls = [
        reverse("situation:index"), reverse("situation:escalation_list"),
        reverse("situation:escalation_detail", args=[report.pk]),
        reverse("situation:escalation_download", args=[report.pk, "pdf"]),
        reverse("situation:summary_list"),
        reverse("situation:summary_new", args=[w.escalated.pk]),
        reverse("situation:summary_detail", args=[summary.pk]),
        reverse("situation:bulletin"), reverse("situation:statistics"),
        reverse("situation:aliases"),
    ]
    for user in (w.alice, w.bob, w.charlie, w.agent, w.beta_admin):
        client.force_login(user)
        for url in urls:
            assert client.get(url).status_code == 404, (user, url)
        assert client.post(reverse("situation:summary_review", args=[summary.pk]),
                           {"version": 1, "confirmed": "on"}).status_code == 404
    client.logout()
    assert client.get(urls[0]).status_code == 302  # to the sign-in page
    client.force_login(w.analyst)
    for url in urls:
        assert client.get(url).status_code == 200, url
    summary.refresh_from_db()
    assert summary.state == "draft"
