"""Reminders and mails about findings: who gets them, when, once, and that they say nothing."""

from datetime import timedelta

import pytest
from django.core import mail

from renkei.evaluations import jobs, services
from renkei.evaluations.models import Finding
from renkei.jobs.queue import run_pending
from tests.test_evaluations import _english_messages, _finding, _report, with_evaluation  # noqa: F401


@pytest.fixture
def ev(english):
    return with_evaluation(english)


def _run(day) -> list:
    """The day's reminder pass and every mail it queues; returns the mails sent."""
    mail.outbox.clear()
    jobs.queue_reminders({"day": day.isoformat()})
    run_pending()
    return list(mail.outbox)


def _recipients(messages) -> set[str]:
    return {address for m in messages for address in m.to}


@pytest.mark.django_db
def test_reminders_go_to_the_organisation_before_and_after_the_due_date(ev):
    w = ev
    today = services.today()
    finding = _finding(w, due_date=today + timedelta(days=20))
    quiet = _finding(w, title="もう一件", due_date=today + timedelta(days=60))
    # Not reported yet: the organisation cannot act, nobody is reminded.
    assert _run(today + timedelta(days=15)) == []
    _report(w)
    assert _run(today) == []  # 20 days ahead: too early
    soon = _run(today + timedelta(days=14))
    # The admin and the owner (a member); the centre is not bothered before the date.
    assert _recipients(soon) == {w.alice.email, w.alice2.email}
    assert _run(today + timedelta(days=15)) == []  # once only
    overdue = _run(today + timedelta(days=21))
    assert _recipients(overdue) == {w.alice.email, w.alice2.email, w.assessor.email}
    assert _run(today + timedelta(days=22)) == []
    assert len(_run(today + timedelta(days=28))) == 3  # a week later, again
    # The mail carries no content: number, dates and a link only.
    for message in soon + overdue:
        assert finding.title not in message.subject + message.body
        assert finding.description not in message.body and quiet.title not in message.body
        assert f"/evaluations/{w.evaluation.pk}/findings/{finding.pk}/" in message.body
    # A later due date agreed with the centre starts afresh; a closed finding is left alone.
    Finding.objects.filter(pk=finding.pk).update(due_date=today + timedelta(days=40))
    assert len(_run(today + timedelta(days=35))) == 2
    services.close_finding(actor=w.assessor, finding=finding)
    assert _run(today + timedelta(days=50)) == []


@pytest.mark.django_db
def test_mails_are_checked_again_when_sent(ev, django_capture_on_commit_callbacks):
    w = ev
    finding = _finding(w)
    with django_capture_on_commit_callbacks(execute=True):
        _report(w)
    # The admin lost access before the mail went out (left the organisation's admins and was
    # deactivated): nothing is sent to her.
    w.alice.is_active = False
    w.alice.save(update_fields=["is_active"])
    mail.outbox.clear()
    run_pending()
    assert _recipients(mail.outbox) == set()  # the report mail goes to admins only
    with django_capture_on_commit_callbacks(execute=True):
        services.report_progress(actor=w.alice2, finding=finding, note="進めています")
    run_pending()
    assert _recipients(mail.outbox) == {w.assessor.email}
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.close_finding(actor=w.assessor, finding=finding, note="確認済み")
    run_pending()
    assert _recipients(mail.outbox) == {w.alice2.email}
    assert "closed" in mail.outbox[0].subject and "確認済み" not in mail.outbox[0].body
