"""The consultation window and case handling end to end: reports, threads, cases, support
requests, contacts, and the bad input issue 4 names."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from renkei.accounts.models import AuditEntry
from renkei.accounts.services import create_organisation, create_user
from renkei.communities import services as community_services
from renkei.errors import ServiceError
from renkei.incidents import services
from renkei.incidents.models import (
    Case,
    CaseEvent,
    CaseNote,
    CaseState,
    EmergencyContact,
    Report,
    SupportRequest,
    ThreadRead,
)
from renkei.incidents.selectors import centre_cases
from renkei.sharing.incident_visibility import readable_reports
from tests.conftest import PASSWORD


@pytest.fixture(autouse=True)
def _english():
    """Service messages are read in English here; the pages' language is the user's."""
    from django.utils import translation

    translation.activate("en")
    yield
    translation.deactivate()


def seed_classes():
    from importlib import import_module

    from django.apps import apps

    import_module("renkei.incidents.migrations.0002_seed_classifications_and_targets").seed(
        apps, None)


@pytest.fixture
def incidents(world):
    """The world plus a duty officer, a responder, a centre person without a role, police."""
    seed_classes()
    w = world
    w.police = create_organisation(name="首都警察", kind="law_enforcement")
    def person(email, name, org, **kw):
        return create_user(email=email, name=name, organisation=org, password=PASSWORD,
                           language="en", **kw)

    w.officer = person("duty@centre.example", "当直 次郎", w.centre, roles=["duty_officer"])
    w.responder = person("ir@centre.example", "対応 三郎", w.centre, roles=["responder"])
    w.clerk = person("clerk@centre.example", "事務 四郎", w.centre)
    w.cop = person("cop@police.example", "警察 五郎", w.police)
    for user in (w.officer, w.responder, w.clerk):
        import pyotp

        from renkei.accounts.services import set_totp_secret

        set_totp_secret(user, pyotp.random_base32())
    return w


def report_input(**fields) -> services.ReportInput:
    values = dict(kind="report", title="運行情報サイトへのアクセス集中",
                  what_happened="7:10 から表示が遅延。多数のIPアドレスからのリクエスト。",
                  event_effect="possible", public_exposure="no", tlp="amber")
    values.update(fields)
    return services.ReportInput(**values)


def file(w, named=(), **fields) -> Report:
    return services.file_report(actor=w.alice, data=report_input(**fields), named=named)


def test_a_report_reaches_exactly_the_centre_the_reporter_and_the_named(incidents):
    w = incidents
    report = file(w, named=[w.ministry.pk, w.police.pk])
    topic = report.topic
    assert topic.community_id == w.window.id
    assert set(topic.audience_organisations.values_list("name", flat=True)) == {
        w.centre.name, w.alpha.name, w.ministry.name, w.police.name}
    readers = {u.email for u in [w.alice, w.alice2, w.bob, w.charlie, w.agent, w.cop,
                                 w.commander, w.clerk] if readable_reports(u).exists()}
    assert readers == {w.alice.email, w.alice2.email, w.cop.email, w.commander.email,
                       w.clerk.email}
    case = report.case
    assert case.state == CaseState.NEW and case.escalated
    assert list(centre_cases(w.officer)) == [case]
    assert not centre_cases(w.clerk).exists() and not centre_cases(w.alice).exists()
    assert AuditEntry.objects.filter(action="incident.report").exists()


def test_every_page_answers_for_the_centre_and_a_participant(incidents, client):
    w = incidents
    report = file(w, named=[w.ministry.pk])
    case = report.case
    services.add_note(actor=w.officer, case=case, body="内部メモ：警察へ電話済み")
    services.add_task(actor=w.officer, case=case, title="フィッシングサイトの閉鎖依頼",
                      kind="takedown", target="https://fake.example/login",
                      target_kind="phishing", hosting_provider="Example Hosting")
    support = services.request_support(
        actor=w.commander, case=case, agencies_named=[w.agency], kind="remote_advice",
        title="ログ分析の支援", body="アクセスログの分析をお願いします。")[0]
    services.add_duty_log(actor=w.officer, body="引継ぎ：INC 1件対応中", kind="handover",
                          case=case)
    client.force_login(w.officer)
    for name, args in [("incidents:reports", []), ("incidents:guide", []),
                       ("incidents:new", []), ("incidents:report", [report.pk]),
                       ("incidents:list", []), ("incidents:board", []),
                       ("incidents:case", [case.pk]), ("incidents:support_new", [case.pk]),
                       ("incidents:duty_log", []), ("incidents:settings", []),
                       ("incidents:contacts", []), ("incidents:support", [support.pk])]:
        response = client.get(reverse(name, args=args))
        assert response.status_code in (200, 403), (name, response.status_code)
    response = client.get(reverse("incidents:case", args=[case.pk]))
    body = response.content.decode()
    assert "内部メモ" in body and "fake.example" in body and "ログ分析の支援" in body
    client.force_login(w.alice)
    for name, args in [("incidents:reports", []), ("incidents:guide", []),
                       ("incidents:new", []), ("incidents:report", [report.pk]),
                       ("incidents:report_edit", [report.pk]),
                       ("incidents:contacts", []), ("incidents:contacts_edit", [])]:
        response = client.get(reverse(name, args=args))
        assert response.status_code == 200, (name, response.status_code)
        assert "内部メモ" not in response.content.decode()
    for name, args in [("incidents:list", []), ("incidents:board", []),
                       ("incidents:case", [case.pk]), ("incidents:duty_log", []),
                       ("incidents:support", [support.pk])]:
        assert client.get(reverse(name, args=args)).status_code == 404, name


# --- bad input ---------------------------------------------------------------------------------

def _nothing_written(before: int) -> None:
    assert Report.objects.count() == before
    assert Case.objects.count() == before


def test_a_report_naming_a_missing_or_non_participant_organisation_is_refused(incidents):
    w = incidents
    gone = create_organisation(name="解散した組織", kind="participant")
    gone.is_active = False
    gone.save()
    vendor = create_organisation(name="脅威情報ベンダー", kind="vendor")
    for named, words in [([999_999], "does not exist"), (["abc"], "does not exist"),
                         ([gone.pk], gone.name), ([vendor.pk], vendor.name)]:
        with pytest.raises(ServiceError) as refused:
            file(w, named=named)
        assert words in " ".join(refused.value.messages)
        _nothing_written(0)


def test_the_report_form_says_why_through_http(incidents, as_user):
    w = incidents
    client = as_user(w.alice)
    response = client.post(reverse("incidents:new"), {
        "kind": "report", "title": "件名", "what_happened": "何か", "event_effect": "unknown",
        "public_exposure": "no", "tlp": "amber", "named": ["424242"]})
    assert response.status_code == 400
    assert "does not exist" in response.content.decode()
    _nothing_written(0)


@pytest.mark.parametrize("fields, words", [
    ({"title": "  "}, "Title is required"),
    ({"what_happened": ""}, "What happened is required"),
    ({"title": "長" * 201}, "at most 200"),
    ({"what_happened": "x" * 20_001}, "at most 20000"),
    ({"started_at": "future"}, "lies in the future"),
    ({"started_at": "late", "noticed_at": "early"}, "noticed before it started"),
    ({"kind": "gossip"}, "Kind of report"),
    ({"event_effect": "maybe"}, "Effect on the event"),
    ({"tlp": "purple"}, "Unknown TLP"),
])
def test_bad_report_fields_are_refused_with_a_clear_message(incidents, fields, words):

    now = timezone.now()
    moments = {"future": now + timedelta(hours=2), "late": now - timedelta(hours=1),
               "early": now - timedelta(hours=3)}
    fields = {k: moments.get(v, v) if isinstance(v, str) else v for k, v in fields.items()}
    with pytest.raises(ServiceError) as refused:
        file(incidents, **fields)
    assert words in " ".join(refused.value.messages)
    _nothing_written(0)


def test_a_participant_cannot_close_a_case_nor_a_responder_finish_one(incidents, as_user):
    w = incidents
    case = file(w).case
    with pytest.raises(ServiceError) as refused:
        services.update_case(actor=w.alice, case=case, version=case.version, state="closed")
    assert "incident staff" in refused.value.messages[0]
    with pytest.raises(ServiceError) as refused:
        services.update_case(actor=w.clerk, case=case, version=case.version, state="closed")
    case = services.update_case(actor=w.responder, case=case, version=case.version,
                                state="in_progress")
    for state in ("closed", "not_incident", "duplicate"):
        with pytest.raises(ServiceError) as refused:
            services.update_case(actor=w.responder, case=case, version=case.version, state=state)
        assert "may not change a case from" in refused.value.messages[0]
    with pytest.raises(ServiceError):  # not in the transition table, whoever asks
        services.update_case(actor=w.commander, case=case, version=case.version, state="new")
    assert Case.objects.get(pk=case.pk).state == "in_progress"
    # Through HTTP: the participant does not even find the case.
    client = as_user(w.alice)
    response = client.post(reverse("incidents:case_update", args=[case.pk]),
                           {"version": case.version, "state": "closed", "severity": "low",
                            "affects_event": "none", "public_exposure": "no"})
    assert response.status_code == 404
    client = as_user(w.responder)
    response = client.post(reverse("incidents:case_update", args=[case.pk]),
                           {"version": case.version, "state": "closed", "severity": "low",
                            "affects_event": "none", "public_exposure": "no"})
    assert response.status_code == 400
    assert "You may not change a case from In progress to Closed" in response.content.decode()
    assert Case.objects.get(pk=case.pk).state == "in_progress"


def test_a_report_cannot_be_edited_after_its_case_is_closed(incidents, as_user):
    w = incidents
    report = file(w)
    case = services.update_case(actor=w.commander, case=report.case, version=1, state="triaged")
    services.edit_report(actor=w.alice, report=report,
                         data=report_input(what_happened="続報：復旧しました。"))
    assert Report.objects.get(pk=report.pk).what_happened == "続報：復旧しました。"
    case = Case.objects.get(pk=case.pk)
    services.update_case(actor=w.commander, case=case, version=case.version, state="closed")
    with pytest.raises(ServiceError) as refused:
        services.edit_report(actor=w.alice, report=report,
                             data=report_input(what_happened="書き換え"))
    assert "can no longer be edited" in refused.value.messages[0]
    response = as_user(w.alice).post(reverse("incidents:report_edit", args=[report.pk]), {
        "kind": "report", "title": "件名", "what_happened": "書き換え",
        "event_effect": "unknown", "public_exposure": "no", "tlp": "amber"})
    assert response.status_code == 400
    assert "can no longer be edited" in response.content.decode()
    assert Report.objects.get(pk=report.pk).what_happened == "続報：復旧しました。"
    # Nor through the topic underneath it.
    topic_edit = reverse("communities:topic_edit", args=[report.topic.public_id])
    assert as_user(w.alice).get(topic_edit).status_code in (403, 404)
    with pytest.raises(ServiceError):
        community_services.edit_topic(actor=w.alice, topic=report.topic, title="書き換え",
                                      body="書き換え", kind="incident")
    # Others never could.
    with pytest.raises(ServiceError):
        services.edit_report(actor=w.bob, report=report, data=report_input())


def test_a_stale_change_is_refused_and_names_who_changed_it(incidents):
    w = incidents
    case = file(w).case
    services.update_case(actor=w.officer, case=case, version=1, severity="high")
    with pytest.raises(ServiceError) as refused:
        services.update_case(actor=w.responder, case=case, version=1, severity="low")
    assert w.officer.display_name in refused.value.messages[0]
    assert "Reload" in refused.value.messages[0]
    assert Case.objects.get(pk=case.pk).severity == "high"


def test_forged_ids_of_other_peoples_cases_and_reports_answer_404(incidents, as_user):
    w = incidents
    report = file(w)
    client = as_user(w.bob)
    for url in [reverse("incidents:report", args=[report.pk]),
                reverse("incidents:report_edit", args=[report.pk]),
                reverse("incidents:case", args=[report.case.pk]),
                reverse("incidents:case", args=[99999])]:
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("incidents:report_comment", args=[report.pk]),
                       {"body": "覗き見"}).status_code == 404
    assert report.topic.comments.count() == 0


def test_two_responders_changing_one_case_at_the_same_moment_lose_no_update(
        database_like_production):
    """Two real transactions on two connections; both start from version 1."""
    import threading

    from django.db import connection

    from renkei.accounts.models import User

    seed_classes()
    centre = create_organisation(name="センター", kind="centre")
    alpha = create_organisation(name="アルファ", kind="participant")
    create_community = community_services.create_community
    create_community(actor=None, name="そうだんの窓口", kind="consultation", owner=centre)
    reporter = create_user(email="r@alpha.example", name="報告者", organisation=alpha)
    one = create_user(email="one@c.example", name="一", organisation=centre, roles=["responder"])
    two = create_user(email="two@c.example", name="二", organisation=centre, roles=["responder"])
    case = services.file_report(actor=reporter, data=report_input()).case
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def respond(user_id: int, severity: str) -> None:
        from django.utils import translation

        translation.activate("en")  # each thread starts in the default language
        try:
            user = User.objects.get(pk=user_id)
            stale = Case.objects.get(pk=case.pk)
            barrier.wait()
            services.update_case(actor=user, case=stale, version=stale.version,
                                 severity=severity)
            outcomes[severity] = "saved"
        except ServiceError as exc:
            outcomes[severity] = exc.messages[0]
        finally:
            connection.close()

    threads = [threading.Thread(target=respond, args=(one.pk, "high")),
               threading.Thread(target=respond, args=(two.pk, "low"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes.values()).count("saved") == 1, outcomes
    winner = next(s for s, outcome in outcomes.items() if outcome == "saved")
    loser = next(s for s, outcome in outcomes.items() if outcome != "saved")
    assert "meanwhile" in outcomes[loser]
    final = Case.objects.get(pk=case.pk)
    assert final.severity == winner and final.version == 2
    assert CaseEvent.objects.filter(case=case, kind="severity").count() == 1


# --- the thread, first response, support requests, merge ---------------------------------------

def test_a_centre_reply_in_the_thread_is_the_first_response_and_reads_are_shown(
        incidents, as_user):
    w = incidents
    report = file(w, named=[w.ministry.pk])
    client = as_user(w.alice)
    client.post(reverse("incidents:report_comment", args=[report.pk]),
                {"body": "続報：8:00に復旧"})
    assert Case.objects.get(pk=report.case.pk).first_response_at is None
    client = as_user(w.responder)
    client.get(reverse("incidents:report", args=[report.pk]))
    # The reply is written by the communities' topic page, not ours: it still counts.
    response = client.post(reverse("communities:comment_create", args=[report.topic.public_id]),
                           {"body": "ご報告ありがとうございます。ログの保全をお願いします。"})
    assert response.status_code == 302
    case = Case.objects.get(pk=report.case.pk)
    assert case.first_response_at is not None
    assert case.events.filter(kind="first_response").count() == 1
    reads = set(ThreadRead.objects.filter(topic=report.topic)
                .values_list("organisation__name", flat=True))
    assert reads == {w.alpha.name, w.centre.name}
    page = as_user(w.alice).get(reverse("incidents:report", args=[report.pk])).content.decode()
    assert "Not yet" in page  # the ministry has not opened it


def test_an_agency_sees_only_its_support_request_and_the_victim_only_when_allowed(incidents):
    w = incidents
    other = create_organisation(name="第二機関", kind="agency")
    # TLP:GREEN: the reporter's files may go to any agency on the platform.
    report = services.file_report(
        actor=w.alice, attachments=[SimpleUploadedFile("access.log", b"203.0.113.9 GET /\n")],
        data=report_input(what_happened="秘密の経緯: 内部システム名 KAIKEI-01", tlp="green"))
    case = report.case
    services.add_note(actor=w.officer, case=case, body="内部のみ: 被害組織の担当者は休暇中")
    file_id = report.topic.attachments.get().pk
    first, _second = services.request_support(
        actor=w.commander, case=case, agencies_named=[w.agency.pk, other.pk],
        kind="malware_analysis", title="検体の解析", body="検体の解析をお願いします。",
        attachment_ids=[file_id], victim_may_read=False)
    from renkei.sharing.incident_visibility import readable_support_requests

    assert list(readable_support_requests(w.agent)) == [first]
    assert not readable_reports(w.agent).exists()
    assert not readable_support_requests(w.alice).exists()
    assert first.topic.attachments.get().original_name == "access.log"
    allowed = services.request_support(
        actor=w.commander, case=case, agencies_named=[w.agency], kind="on_site",
        title="現地支援", body="現地での調査をお願いします。", victim_may_read=True)[0]
    assert list(readable_support_requests(w.alice)) == [allowed]
    assert case.events.filter(kind="support_request").count() == 3
    # Refused: a participant as "agency", a file of another report, a duty officer asking.
    with pytest.raises(ServiceError):
        services.request_support(actor=w.commander, case=case, agencies_named=[w.beta],
                                 kind="on_site", title="x", body="y")
    with pytest.raises(ServiceError):
        services.request_support(actor=w.commander, case=case, agencies_named=[w.agency],
                                 kind="on_site", title="x", body="y", attachment_ids=[10**6])
    with pytest.raises(ServiceError):
        services.request_support(actor=w.officer, case=case, agencies_named=[w.agency],
                                 kind="on_site", title="x", body="y")
    assert SupportRequest.objects.count() == 3
    assert not CaseNote.objects.filter(case__in=centre_cases(w.agent)).exists()


def test_amber_files_of_a_report_go_only_to_the_agencies_the_reporter_named(incidents):
    w = incidents
    other = create_organisation(name="第二機関", kind="agency")
    report = services.file_report(
        actor=w.alice, attachments=[SimpleUploadedFile("access.log", b"203.0.113.9 GET /\n")],
        data=report_input(tlp="amber"), named=[w.agency])
    file_id = report.topic.attachments.get().pk
    ask = dict(actor=w.commander, case=report.case, kind="malware_analysis", title="検体の解析",
               body="検体の解析をお願いします。")

    with pytest.raises(ServiceError, match="TLP:AMBER"):
        services.request_support(agencies_named=[w.agency, other], attachment_ids=[file_id],
                                 **ask)
    assert not SupportRequest.objects.exists()  # not even the request to the named agency

    (named,) = services.request_support(agencies_named=[w.agency], attachment_ids=[file_id],
                                        **ask)
    (unnamed,) = services.request_support(agencies_named=[other], **ask)  # the text only
    assert named.topic.attachments.count() == 1 and not unnamed.topic.attachments.exists()
    strict = services.file_report(
        actor=w.alice, attachments=[SimpleUploadedFile("a.log", b"x\n")],
        data=report_input(tlp="amber+strict"), named=[w.agency])
    with pytest.raises(ServiceError, match="TLP:AMBER\\+STRICT"):
        services.request_support(
            agencies_named=[other], attachment_ids=[strict.topic.attachments.get().pk],
            **{**ask, "case": strict.case})


def test_merging_a_duplicate_closes_and_links_it(incidents):
    w = incidents
    first = file(w).case
    second = services.file_report(actor=w.bob, data=report_input()).case
    with pytest.raises(ServiceError):
        services.merge_duplicate(actor=w.responder, duplicate=second, into=first, version=1)
    merged = services.merge_duplicate(actor=w.commander, duplicate=second, into=first,
                                      version=1)
    assert merged.state == "duplicate" and merged.duplicate_of_id == first.pk
    assert merged.closed_at is not None
    assert merged.events.filter(kind="merge").exists() and first.events.filter(
        kind="merge").exists()
    assert first.links_in.filter(from_case=second).exists()


def test_overdue_cases_are_flagged_by_their_targets(incidents, as_user):
    from renkei.incidents.selectors import CaseFilter

    w = incidents
    late = file(w).case
    Case.objects.filter(pk=late.pk).update(opened_at=late.opened_at - timedelta(hours=2),
                                           severity="critical")
    fresh = file(w, title="新しい報告").case
    overdue = CaseFilter(overdue=True).apply(centre_cases(w.officer))
    assert list(overdue) == [Case.objects.get(pk=late.pk)]
    page = as_user(w.officer).get(reverse("incidents:list") + "?overdue=1").content.decode()
    assert "No first response in time" in page and "新しい報告" not in page
    assert fresh.pk not in overdue.values_list("pk", flat=True)


# --- emergency contacts ------------------------------------------------------------------------

def test_the_directory_is_read_by_the_rule_and_kept_by_each_organisations_admins(
        incidents, as_user):
    w = incidents
    services.save_contact(actor=w.commander, organisation=w.centre, name="当直デスク",
                          phone="03-0000-0000", hours="24時間")
    services.save_contact(actor=w.alice, organisation=w.alpha, name="Alice", phone="090-1")
    services.save_contact(actor=w.beta_admin, organisation=w.beta, name="ベータ窓口",
                          email="soc@beta.example")
    with pytest.raises(ServiceError):
        services.save_contact(actor=w.alice2, organisation=w.alpha, name="x", phone="1")
    with pytest.raises(ServiceError):
        services.save_contact(actor=w.alice, organisation=w.beta, name="x", phone="1")
    with pytest.raises(ServiceError):
        services.save_contact(actor=w.alice, organisation=w.alpha, name="電話なし")
    from renkei.sharing.incident_visibility import readable_contacts

    def names(user):
        return set(readable_contacts(user).values_list("name", flat=True))

    assert names(w.alice2) == {"当直デスク", "Alice"}
    assert names(w.bob) == {"当直デスク", "ベータ窓口"}
    assert names(w.cop) == names(w.clerk) == names(w.agent) == {"当直デスク", "Alice",
                                                                   "ベータ窓口"}
    page = as_user(w.bob).get(reverse("incidents:contacts")).content.decode()
    assert "ベータ窓口" in page and "090-1" not in page
    client = as_user(w.alice)
    EmergencyContact.objects.filter(organisation=w.alpha).update(confirmed_at=None)
    assert client.post(reverse("incidents:contacts_edit"),
                       {"action": "confirm"}).status_code == 302
    assert EmergencyContact.objects.get(name="Alice").confirmed_at is not None
    guide = client.get(reverse("incidents:guide")).content.decode()
    assert "03-0000-0000" in guide
