"""Cross-sectional risk evaluation: the flow through real pages, and every bad input refused.

The shared world (tests/conftest.py) gains a risk assessor at the centre; the evaluated
organisation is alpha (Alice its admin, Alice の同僚 a member); beta, gamma, the agency and the
centre's analyst (no assessor role) must see nothing of it.
"""

from datetime import date, timedelta

import pyotp
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from renkei.accounts.models import AuditEntry
from renkei.accounts.services import create_user, set_totp_secret
from renkei.errors import ServiceError
from renkei.evaluations import services
from renkei.evaluations.models import (
    Activity,
    Evaluation,
    EvaluationState,
    Evidence,
    Finding,
    FindingState,
    Scenario,
    ScenarioStep,
    VerificationItem,
)
from renkei.evaluations.services import StepInput, TemplateItemInput
from renkei.pdf import extract_text

STEPS = [
    StepInput(1, "大会関連を装ったメールを送付", "配送", "攻撃者", "職員のメール"),
    StepInput(2, "職員PCがマルウェアに感染", "侵入", "マルウェア", "職員PC"),
    StepInput(3, "制御系ネットワークへ横展開", "遠隔操作", "攻撃者", "制御系ネットワーク"),
    StepInput(4, "発券システムを停止させる", "目的の実行", "攻撃者", "発券システム"),
]


@pytest.fixture(autouse=True)
def _english_messages():
    """The services' messages are read in English here (the people read pages in English)."""
    translation.activate("en")
    yield
    translation.deactivate()


@pytest.fixture
def ev(english):
    return with_evaluation(english)


def with_evaluation(w):
    """The world plus an assessor and an evaluation of alpha in progress, with one item."""
    w.assessor = create_user(email="assessor@centre.example", name="評価 恵", organisation=w.centre,
                             password=w.password, roles=["risk_assessor"], language="en")
    set_totp_secret(w.assessor, pyotp.random_base32())
    w.evaluation = services.create_evaluation(
        actor=w.assessor, organisation=w.alpha, title="アルファ通信 横断的リスク評価",
        scope="発券システムと制御系", period_start=date(2026, 1, 10),
        period_end=date(2026, 3, 31), evaluators=[w.assessor])
    services.advance_evaluation(actor=w.assessor, evaluation=w.evaluation,
                                to_state=EvaluationState.IN_PROGRESS)
    w.scenario = services.save_scenario(actor=w.assessor, evaluation=w.evaluation,
                                        title="標的型メールから発券停止", steps=list(STEPS))
    w.item = services.add_item(actor=w.assessor, evaluation=w.evaluation,
                               scenario=w.scenario, text="制御系ネットワークが分離されているか",
                               method="site_visit")
    w.evaluation.refresh_from_db()
    return w


def _due(days: int = 30) -> date:
    return services.today() + timedelta(days=days)


def _finding(w, **fields):
    values = {"title": "制御系ネットワークが業務系と分離されていない", "severity": "high",
              "description": "業務系から制御系へ直接到達できる。",
              "proposal": "ファイアウォールで分離し、踏み台経由に限定する。",
              "due_date": _due(), "owner": w.alice2, "item": w.item}
    values.update(fields)
    return services.create_finding(actor=w.assessor, evaluation=w.evaluation, **values)


def _report(w):
    services.advance_evaluation(actor=w.assessor, evaluation=w.evaluation,
                                to_state=EvaluationState.REPORTED)
    w.evaluation.refresh_from_db()


def _login(client, user):
    client.force_login(user)
    return client


def _errors(response) -> str:
    return " ".join(str(m) for m in response.context["messages"])


# --- the flow through the pages --------------------------------------------------------------

@pytest.mark.django_db
def test_the_centre_evaluates_and_the_organisation_follows_up(ev, client,
                                                              django_capture_on_commit_callbacks):
    w = ev
    c = _login(client, w.assessor)
    # A new evaluation from the form.
    response = c.post(reverse("evaluations:create"), {
        "organisation": w.beta.pk, "title": "ベータ電力 評価", "scope": "",
        "period_start": "2026-02-01", "period_end": "2026-02-28", "evaluators": [w.assessor.pk]})
    assert response.status_code == 302
    assert Evaluation.objects.filter(organisation=w.beta).count() == 1

    # A scenario from the step table (rows in any order; blank rows dropped).
    url = reverse("evaluations:scenario_create", args=[w.evaluation.pk])
    response = c.post(url, {
        "title": "DDoS攻撃による発券サイト停止", "description": "",
        "steps-TOTAL_FORMS": "3", "steps-INITIAL_FORMS": "0",
        "steps-0-order": "2", "steps-0-action": "発券サイトが応答しなくなる",
        "steps-0-resource": "発券サイト",
        "steps-1-order": "1", "steps-1-actor": "攻撃者", "steps-1-action": "大量の通信を送る",
        "steps-2-order": "",
    })
    assert response.status_code == 302, _errors(response)
    scenario = Scenario.objects.get(title="DDoS攻撃による発券サイト停止")
    assert [s.action for s in scenario.steps.all()] == [
        "大量の通信を送る", "発券サイトが応答しなくなる"]

    # An activity with a piece of evidence, against the item.
    item_url = reverse("evaluations:item", args=[w.evaluation.pk, w.item.pk])
    response = c.post(item_url, {
        "conducted_on": services.today().isoformat(), "method": "site_visit",
        "participants": "情報システム部長", "result": "gap", "notes": "直接到達できた",
        "files": [SimpleUploadedFile("network.txt", b"10.0.0.0/8 -> 192.168.0.0/16\n")]})
    assert response.status_code == 302, _errors(response)
    w.item.refresh_from_db()
    assert w.item.result == "gap"
    evidence = Evidence.objects.get()

    # A finding from the form, then the report goes out.
    response = c.post(reverse("evaluations:finding_create", args=[w.evaluation.pk]), {
        "title": "制御系が分離されていない", "severity": "critical", "description": "到達可能",
        "proposal": "分離する", "due_date": _due().isoformat(), "owner": w.alice2.pk,
        "item": w.item.pk})
    assert response.status_code == 302, _errors(response)
    finding = Finding.objects.get(title="制御系が分離されていない")

    # Before the report, the organisation sees nothing.
    alice = _login(client.__class__(), w.alice)
    assert alice.get(reverse("evaluations:detail", args=[w.evaluation.pk])).status_code == 404
    assert alice.get(reverse("evaluations:finding",
                             args=[w.evaluation.pk, finding.pk])).status_code == 404

    with django_capture_on_commit_callbacks(execute=True):
        response = c.post(reverse("evaluations:advance", args=[w.evaluation.pk]),
                          {"to": "reported"})
    assert response.status_code == 302

    # Now Alice reads the evaluation, the report, the PDF, the evidence and the finding.
    for name, args in (("detail", [w.evaluation.pk]), ("report", [w.evaluation.pk]),
                       ("finding", [w.evaluation.pk, finding.pk]),
                       ("item", [w.evaluation.pk, w.item.pk])):
        response = alice.get(reverse(f"evaluations:{name}", args=args))
        assert response.status_code == 200, name
        assert "制御系が分離されていない" in response.content.decode() or name == "item"
    pdf = alice.get(reverse("evaluations:report_pdf", args=[w.evaluation.pk]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    text = "".join(extract_text(pdf.content))
    assert "制御系が分離されていない" in text and "標的型メールから発券停止" in text
    assert b"".join(alice.get(reverse("evaluations:evidence", args=[evidence.pk]))
                    .streaming_content).startswith(b"10.0.0.0")
    # She cannot work on the evaluation itself.
    assert alice.get(reverse("evaluations:edit", args=[w.evaluation.pk])).status_code == 404
    assert alice.post(item_url, {"result": "ok"}).status_code == 404

    # Alice reports the fix; closing it herself is refused; the centre closes it.
    finding_url = reverse("evaluations:finding", args=[w.evaluation.pk, finding.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = alice.post(finding_url, {"action": "fixed", "note": "FWを設置しました"})
    assert response.status_code == 302
    response = alice.post(finding_url, {"action": "close", "note": ""})
    assert response.status_code == 400
    assert "Only the centre's risk assessors verify and close findings." in _errors(response)
    finding.refresh_from_db()
    assert finding.state == FindingState.FIX_REPORTED
    response = c.post(finding_url, {"action": "close", "note": "現地で確認"})
    assert response.status_code == 302
    finding.refresh_from_db()
    assert finding.state == FindingState.CLOSED and finding.closed_at is not None
    assert [u.kind for u in finding.updates.all()] == ["fix_reported", "closed"]

    # The evaluation moves on to follow-up and is closed once every finding is.
    for state in ("follow_up", "closed"):
        response = c.post(reverse("evaluations:advance", args=[w.evaluation.pk]), {"to": state})
        assert response.status_code == 302
    w.evaluation.refresh_from_db()
    assert w.evaluation.state == EvaluationState.CLOSED
    assert AuditEntry.objects.filter(action="evaluation.finding_closed").count() == 1


@pytest.mark.django_db
def test_outsiders_get_404_everywhere(ev, client):
    w = ev
    finding = _finding(w)
    _report(w)
    urls = [reverse("evaluations:detail", args=[w.evaluation.pk]),
            reverse("evaluations:report", args=[w.evaluation.pk]),
            reverse("evaluations:report_pdf", args=[w.evaluation.pk]),
            reverse("evaluations:finding", args=[w.evaluation.pk, finding.pk]),
            reverse("evaluations:item", args=[w.evaluation.pk, w.item.pk])]
    for outsider in (w.bob, w.beta_admin, w.charlie, w.agent, w.analyst, w.commander):
        c = _login(client.__class__(), outsider)
        for url in urls:
            assert c.get(url).status_code == 404, (outsider, url)
        for url in (reverse("evaluations:list"), reverse("evaluations:findings")):
            body = c.get(url).content.decode()
            assert w.evaluation.title not in body and finding.title not in body
        assert c.get(reverse("evaluations:create")).status_code == 404
        assert c.get(reverse("evaluations:templates")).status_code == 404
    member = _login(client.__class__(), w.alice2)
    assert w.evaluation.title in member.get(reverse("evaluations:list")).content.decode()
    assert finding.title in member.get(reverse("evaluations:findings")).content.decode()


# --- bad input -------------------------------------------------------------------------------

def _refused(call, message: str) -> None:
    with pytest.raises(ServiceError) as caught:
        call()
    assert message in " ".join(caught.value.messages), caught.value.messages


@pytest.mark.django_db
def test_a_finding_needs_a_due_date_that_is_not_past(ev, client):
    w = ev
    _refused(lambda: _finding(w, due_date=None), "needs a due date")
    yesterday = services.today() - timedelta(days=1)
    _refused(lambda: _finding(w, due_date=yesterday), "is in the past")
    assert not Finding.objects.exists()
    # Today is fine; through the page, the message is shown and nothing is written.
    _finding(w, due_date=services.today())
    c = _login(client, w.assessor)
    response = c.post(reverse("evaluations:finding_create", args=[w.evaluation.pk]), {
        "title": "x", "severity": "low", "description": "x", "proposal": "x", "due_date": ""})
    assert response.status_code == 400
    assert "A finding needs a due date" in _errors(response)
    assert Finding.objects.count() == 1


@pytest.mark.django_db
def test_a_past_due_date_may_stay_but_not_be_set(ev):
    """Extending is the usual change; a finding whose date has passed keeps it when edited."""
    w = ev
    finding = _finding(w)
    Finding.objects.filter(pk=finding.pk).update(due_date=services.today() - timedelta(days=3))
    finding.refresh_from_db()
    fields = {k: getattr(finding, k) for k in ("title", "severity", "description", "proposal",
                                               "due_date", "owner", "item")}
    services.update_finding(actor=w.assessor, finding=finding, **{**fields, "title": "新題"})
    _refused(lambda: services.update_finding(
        actor=w.assessor, finding=finding,
        **{**fields, "due_date": services.today() - timedelta(days=1)}), "is in the past")


@pytest.mark.django_db
def test_the_owner_must_belong_to_the_evaluated_organisation(ev):
    _refused(lambda: _finding(ev, owner=ev.bob), "must be an active person of アルファ通信")


@pytest.mark.django_db
def test_only_the_centre_closes_a_finding(ev):
    w = ev
    finding = _finding(w)
    _report(w)
    for person in (w.alice, w.alice2, w.bob, w.analyst):
        _refused(lambda person=person: services.close_finding(actor=person, finding=finding),
                 "Only the centre's risk assessors verify and close findings.")
    finding.refresh_from_db()
    assert finding.state == FindingState.OPEN and not finding.updates.exists()
    # The owner (a member, not an admin) reports; people of other organisations may not.
    services.report_progress(actor=w.alice2, finding=finding, note="着手しました")
    _refused(lambda: services.report_progress(actor=w.bob, finding=finding, note="x"),
             "Only the evaluated organisation's admins and the finding's owner")
    _refused(lambda: services.report_progress(actor=w.alice, finding=finding, note=" "),
             "Report is required.")


@pytest.mark.django_db
def test_nothing_is_reported_before_the_evaluation_is(ev):
    finding = _finding(ev)
    _refused(lambda: services.report_progress(actor=ev.alice, finding=finding, note="x"),
             "has not been reported yet")


@pytest.mark.django_db
def test_forged_ids_answer_404(ev, client):
    w = ev
    finding = _finding(w)
    other = services.create_evaluation(
        actor=w.assessor, organisation=w.beta, title="別の評価", period_start=date(2026, 1, 1),
        period_end=date(2026, 1, 31), evaluators=[w.assessor])
    c = _login(client, w.assessor)
    for url in (reverse("evaluations:finding", args=[other.pk, finding.pk]),
                reverse("evaluations:finding_edit", args=[other.pk, finding.pk]),
                reverse("evaluations:item", args=[other.pk, w.item.pk]),
                reverse("evaluations:scenario_edit", args=[other.pk, w.scenario.pk]),
                reverse("evaluations:detail", args=[999999]),
                reverse("evaluations:finding", args=[w.evaluation.pk, 999999]),
                reverse("evaluations:evidence", args=[999999]),
                reverse("evaluations:item_create", args=[w.evaluation.pk]) + "?checklist=abc",
                reverse("evaluations:item_create", args=[other.pk])
                + f"?scenario={w.scenario.pk}"):
        assert c.get(url).status_code == 404, url
    # A step id from another scenario, smuggled into the step table, is refused.
    second = services.save_scenario(actor=w.assessor, evaluation=w.evaluation, title="二",
                                    steps=[StepInput(1, "停電")])
    foreign = second.steps.get().pk
    _refused(lambda: services.save_scenario(
        actor=w.assessor, evaluation=w.evaluation, scenario=w.scenario, title="x",
        steps=[StepInput(1, "x", id=foreign)]), "does not belong to this scenario")
    # An item of another evaluation cannot be the subject of a finding here.
    other_scenario = services.save_scenario(actor=w.assessor, evaluation=other, title="他",
                                            steps=[StepInput(1, "x")])
    other_item = services.add_item(actor=w.assessor, evaluation=other, scenario=other_scenario,
                                   text="x", method="interview")
    _refused(lambda: _finding(w, item=other_item), "must be one of this evaluation's")


@pytest.mark.django_db
def test_a_scenario_needs_steps_with_distinct_orders(ev, client):
    w = ev
    _refused(lambda: services.save_scenario(actor=w.assessor, evaluation=w.evaluation,
                                            title="空", steps=[StepInput(None, "")]),
             "A scenario needs at least one step")
    _refused(lambda: services.save_scenario(
        actor=w.assessor, evaluation=w.evaluation, title="重複",
        steps=[StepInput(1, "a"), StepInput(1, "b")]), "Two steps have the order number 1")
    _refused(lambda: services.save_scenario(
        actor=w.assessor, evaluation=w.evaluation, title="番号なし",
        steps=[StepInput(None, "a")]), "order number of 1 or more")
    _refused(lambda: services.save_scenario(
        actor=w.assessor, evaluation=w.evaluation, title="行為なし",
        steps=[StepInput(1, "", resource="PC")]), "Action (step 1) is required.")
    c = _login(client, w.assessor)
    url = reverse("evaluations:scenario_create", args=[w.evaluation.pk])
    for steps in ({"steps-0-order": ""}, {"steps-0-order": "2", "steps-0-action": "a",
                                          "steps-1-order": "2", "steps-1-action": "b"}):
        response = c.post(url, {"title": "t", "steps-TOTAL_FORMS": "2",
                                "steps-INITIAL_FORMS": "0", **steps})
        assert response.status_code == 400
        assert "t" in response.context["form"].data["title"]  # the input is kept
    assert Scenario.objects.count() == 1


@pytest.mark.django_db
def test_rewriting_a_scenario_keeps_the_items_on_their_steps(ev):
    w = ev
    steps = list(w.scenario.steps.all())
    first, last = steps[0], steps[-1]
    services.add_item(actor=w.assessor, evaluation=w.evaluation, scenario=w.scenario,
                      step=last, text="発券システムの冗長化", method="document")
    # Swap the first and last orders (unique at every moment), drop step 2, add a new one.
    services.save_scenario(actor=w.assessor, evaluation=w.evaluation, scenario=w.scenario,
                           title=w.scenario.title, steps=[
                               StepInput(4, first.action, id=first.pk),
                               StepInput(1, last.action, id=last.pk),
                               StepInput(3, steps[2].action, id=steps[2].pk),
                               StepInput(2, "新しい段階")])
    assert [s.action for s in w.scenario.steps.all()] == [
        last.action, "新しい段階", steps[2].action, first.action]
    assert VerificationItem.objects.get(text="発券システムの冗長化").step_id == last.pk
    assert not ScenarioStep.objects.filter(pk=steps[1].pk).exists()


@pytest.mark.django_db
def test_a_closed_evaluation_cannot_be_edited(ev, client):
    w = ev
    finding = _finding(w)
    _report(w)
    _refused(lambda: services.add_item(actor=w.assessor, evaluation=w.evaluation,
                                       scenario=w.scenario, text="x", method="interview"),
             "has been reported")
    services.close_finding(actor=w.assessor, finding=finding)
    for state in ("follow_up", "closed"):
        services.advance_evaluation(actor=w.assessor, evaluation=w.evaluation, to_state=state)
    w.evaluation.refresh_from_db()
    closed = "This evaluation is closed and can no longer be changed."
    _refused(lambda: services.update_evaluation(
        actor=w.assessor, evaluation=w.evaluation, title="新", scope="",
        period_start=w.evaluation.period_start, period_end=w.evaluation.period_end,
        evaluators=[w.assessor]), closed)
    _refused(lambda: services.save_scenario(actor=w.assessor, evaluation=w.evaluation,
                                            scenario=w.scenario, title="x",
                                            steps=[StepInput(1, "x")]), closed)
    _refused(lambda: services.reopen_finding(actor=w.assessor, finding=finding, note="再発"),
             closed)
    _refused(lambda: services.record_activity(
        actor=w.assessor, item=w.item, conducted_on=services.today(), method="interview",
        result="ok"), closed)
    _refused(lambda: _finding(w), closed)
    c = _login(client, w.assessor)
    response = c.post(reverse("evaluations:edit", args=[w.evaluation.pk]), {
        "title": "新しい題", "period_start": "2026-01-10", "period_end": "2026-03-31",
        "evaluators": [w.assessor.pk]})
    assert response.status_code == 400 and closed in _errors(response)
    w.evaluation.refresh_from_db()
    assert w.evaluation.title == "アルファ通信 横断的リスク評価"
    assert not Activity.objects.exists()


@pytest.mark.django_db
def test_states_move_one_step_forward_and_close_only_when_findings_are(ev):
    w = ev
    _refused(lambda: services.advance_evaluation(actor=w.assessor, evaluation=w.evaluation,
                                                 to_state="closed"), "one step forward")
    _refused(lambda: services.advance_evaluation(actor=w.assessor, evaluation=w.evaluation,
                                                 to_state="planned"), "one step forward")
    _finding(w)
    _report(w)
    services.advance_evaluation(actor=w.assessor, evaluation=w.evaluation, to_state="follow_up")
    _refused(lambda: services.advance_evaluation(actor=w.assessor, evaluation=w.evaluation,
                                                 to_state="closed"), "1 findings are not closed")
    _refused(lambda: services.advance_evaluation(actor=w.alice, evaluation=w.evaluation,
                                                 to_state="closed"), "risk assessors")


@pytest.mark.django_db
def test_evaluation_input_is_checked(ev):
    w = ev
    base = {"actor": w.assessor, "title": "t", "period_start": date(2026, 2, 1),
            "period_end": date(2026, 2, 2), "evaluators": [w.assessor]}
    _refused(lambda: services.create_evaluation(**{**base, "organisation": w.centre}),
             "other than itself")
    _refused(lambda: services.create_evaluation(**{**base, "organisation": w.beta,
                                                   "period_end": date(2026, 1, 1)}),
             "ends before it starts")
    _refused(lambda: services.create_evaluation(**{**base, "organisation": w.beta,
                                                   "evaluators": [w.analyst]}),
             "must be the centre's risk assessors")
    _refused(lambda: services.create_evaluation(**{**base, "organisation": w.beta,
                                                   "actor": w.analyst}), "risk assessors")
    _refused(lambda: services.record_activity(
        actor=w.assessor, item=w.item, conducted_on=services.today() + timedelta(days=1),
        method="interview", result="ok"), "before it took place")
    _refused(lambda: services.record_activity(
        actor=w.assessor, item=w.item, conducted_on=services.today(), method="interview",
        result="ok", files=[SimpleUploadedFile("a.exe", b"MZ\x90\x00")]), "cannot be attached")
    assert not Activity.objects.exists()


@pytest.mark.django_db
def test_checklists_are_copied_into_an_evaluation(ev, client):
    w = ev
    c = _login(client, w.assessor)
    response = c.post(reverse("evaluations:template_create"), {
        "name": "競技会場チェックリスト", "description": "",
        "items": "電源 | 非常用電源で監視カメラが動くか | site_visit\n\n"
                 "入退室管理の記録を保管しているか"})
    assert response.status_code == 302, _errors(response)
    response = c.post(reverse("evaluations:template_create"), {
        "name": "壊れた", "items": "a | b | telepathy"})
    assert response.status_code == 200 or response.status_code == 400
    assert "unknown method telepathy" in response.content.decode()
    from renkei.evaluations.models import ChecklistTemplate

    template = ChecklistTemplate.objects.get()
    response = c.post(reverse("evaluations:checklist_add", args=[w.evaluation.pk]),
                      {"template": template.pk})
    assert response.status_code == 302
    items = VerificationItem.objects.filter(checklist__isnull=False)
    assert [(i.category, i.method) for i in items] == [("電源", "site_visit"), ("", "document")]
    # Editing the template later leaves the evaluation's copy alone.
    services.save_template(actor=w.assessor, template=template, name=template.name,
                           items=[TemplateItemInput("別の項目")])
    assert items.count() == 2
    _refused(lambda: services.save_template(actor=w.assessor, name="空", items=[]),
             "at least one item")


@pytest.mark.django_db
def test_forms_are_not_offered_once_reported(ev, client):
    w = ev
    _report(w)
    c = _login(client, w.assessor)
    for url in (reverse("evaluations:scenario_create", args=[w.evaluation.pk]),
                reverse("evaluations:scenario_edit", args=[w.evaluation.pk, w.scenario.pk]),
                reverse("evaluations:finding_create", args=[w.evaluation.pk]),
                reverse("evaluations:item_create", args=[w.evaluation.pk])
                + f"?scenario={w.scenario.pk}"):
        response = c.get(url)
        assert response.status_code == 302, url
        assert response["Location"] == reverse("evaluations:detail", args=[w.evaluation.pk])


def _queries(client, url: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def _grow(w, n: int) -> None:
    scenario = services.save_scenario(actor=w.assessor, evaluation=w.evaluation,
                                      title=f"追加 {n}", steps=list(STEPS))
    for i in range(3):
        item = services.add_item(actor=w.assessor, evaluation=w.evaluation, scenario=scenario,
                                 step=scenario.steps.first(), text=f"項目 {n}-{i}",
                                 method="document")
        services.record_activity(actor=w.assessor, item=item, conducted_on=services.today(),
                                 method="document", result="gap")
        _finding(w, item=item, title=f"指摘 {n}-{i}")


@pytest.mark.django_db
def test_the_evaluation_pages_cost_the_same_queries_for_few_and_many(ev, client):
    w = ev
    _grow(w, 1)
    c = _login(client, w.assessor)
    urls = [reverse(f"evaluations:{name}", args=[w.evaluation.pk])
            for name in ("detail", "report")] + [reverse("evaluations:list"),
                                                 reverse("evaluations:findings")]
    few = [_queries(c, url) for url in urls]
    for n in range(2, 5):
        _grow(w, n)
    assert [_queries(c, url) for url in urls] == few
