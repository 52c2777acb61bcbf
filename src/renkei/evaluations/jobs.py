"""Mail about evaluations: the report is out, a finding moved, a due date nears or has passed.

Mails carry no content of the evaluation (a finding's number, a date and a link only): what the
centre found out about an organisation's weak points stays on the platform. Recipients are
chosen when the job runs and checked again, one by one, through the evaluation visibility rule
when each mail is sent. Every mail is a job with a dedupe key, so nothing is sent twice.
"""

import zoneinfo
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from renkei.accounts.models import User
from renkei.evaluations.models import (
    Evaluation,
    EvaluationState,
    Finding,
    FindingState,
    FindingUpdate,
)
from renkei.jobs.queue import enqueue, handler, insert_job, insert_jobs, ticker
from renkei.notifications import mail
from renkei.sharing.evaluation_visibility import readable_evaluations

REPORTED, UPDATE = "evaluations.reported", "evaluations.update"
REMINDERS, MAIL = "evaluations.reminders", "evaluations.mail"
TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")
# A first reminder this many days before the due date; after it, one a week until closed.
DUE_SOON_DAYS = 7
OVERDUE_EVERY_DAYS = 7
# Reminders are sent for findings the organisation can work on.
FOLLOWED_UP = (EvaluationState.REPORTED, EvaluationState.FOLLOW_UP)


def notify_reported(evaluation: Evaluation) -> None:
    """Called by the service inside its transaction; queued on commit."""
    enqueue(REPORTED, {"evaluation": evaluation.pk},
            dedupe_key=f"evaluations.reported:{evaluation.pk}")


def notify_update(update: FindingUpdate) -> None:
    enqueue(UPDATE, {"update": update.pk}, dedupe_key=f"evaluations.update:{update.pk}")


def _organisation_people(evaluation: Evaluation, finding: Finding | None) -> list[User]:
    """The organisation's admins, and the finding's owner."""
    people = list(User.objects.filter(organisation_id=evaluation.organisation_id,
                                      is_org_admin=True, is_active=True))
    if finding is not None and finding.owner_id and finding.owner not in people:
        people.append(finding.owner)
    return people


def _mails(people, what: str, evaluation: Evaluation, finding: Finding | None,
           key: str) -> list[tuple[dict, str]]:
    return [({"user": person.pk, "what": what, "evaluation": evaluation.pk,
              "finding": finding.pk if finding else None}, f"evaluations.mail:{person.pk}:{key}")
            for person in people]


@handler(REPORTED)
def fan_out_reported(payload: dict) -> None:
    evaluation = Evaluation.objects.filter(pk=payload["evaluation"]).first()
    if evaluation is None:
        return
    insert_jobs(MAIL, _mails(_organisation_people(evaluation, None), "reported", evaluation,
                             None, f"reported:{evaluation.pk}"))


@handler(UPDATE)
def fan_out_update(payload: dict) -> None:
    update = (FindingUpdate.objects.select_related("finding__evaluation", "finding__owner")
              .filter(pk=payload["update"]).first())
    if update is None:
        return
    finding = update.finding
    evaluation = finding.evaluation
    if update.kind in (FindingUpdate.Kind.PROGRESS, FindingUpdate.Kind.FIX_REPORTED):
        people = list(evaluation.evaluators.filter(is_active=True))  # the centre's side
    else:
        people = _organisation_people(evaluation, finding)
    people = [p for p in people if p.pk != update.author_id]
    insert_jobs(MAIL, _mails(people, update.kind, evaluation, finding, f"update:{update.pk}"))


_scheduled_days: set[str] = set()


@ticker
def schedule_reminders(now: datetime) -> None:
    """Once a day (Asia/Tokyo), look for findings whose due date nears or has passed."""
    day = timezone.localtime(now, TOKYO).date().isoformat()
    if day in _scheduled_days:
        return
    insert_job(REMINDERS, {"day": day}, dedupe_key=f"evaluations.reminders:{day}")
    _scheduled_days.add(day)


def reminder_stage(finding: Finding, day: date) -> str | None:
    """Which reminder a finding is due on `day`, as part of a dedupe key; None for none.
    A later due date (agreed with the centre) starts the reminders afresh."""
    days_left = (finding.due_date - day).days
    if days_left < 0:
        return f"overdue:{finding.due_date}:{(-days_left - 1) // OVERDUE_EVERY_DAYS}"
    if days_left <= DUE_SOON_DAYS:
        return f"due_soon:{finding.due_date}"
    return None


@handler(REMINDERS)
def queue_reminders(payload: dict) -> None:
    day = date.fromisoformat(payload["day"])
    findings = (Finding.objects.exclude(state=FindingState.CLOSED)
                .filter(evaluation__state__in=FOLLOWED_UP,
                        due_date__lte=day + timedelta(days=DUE_SOON_DAYS))
                .select_related("evaluation", "owner").order_by("pk"))
    mails = []
    for finding in findings:
        stage = reminder_stage(finding, day)
        if stage is None:
            continue
        what = stage.split(":")[0]
        people = _organisation_people(finding.evaluation, finding)
        if what == "overdue":
            people += [p for p in finding.evaluation.evaluators.filter(is_active=True)
                       if p not in people]
        mails += _mails(people, what, finding.evaluation, finding,
                        f"reminder:{finding.pk}:{stage}")
    with transaction.atomic():
        insert_jobs(MAIL, mails)


def _link(evaluation_id: int, finding_id: int | None) -> str:
    if finding_id is None:
        return settings.BASE_URL + reverse("evaluations:report", args=[evaluation_id])
    return settings.BASE_URL + reverse("evaluations:finding", args=[evaluation_id, finding_id])


def mail_text(what: str, evaluation: Evaluation, finding: Finding | None) -> tuple[str, str]:
    """Subject and body, in the active language; no content of the evaluation."""
    names = {"number": evaluation.pk, "code": finding.code if finding else "",
             "due": finding.due_date.isoformat() if finding else ""}
    subjects = {
        "reported": _("The centre has reported its risk evaluation #%(number)s"),
        "due_soon": _("Finding %(code)s of evaluation #%(number)s is due on %(due)s"),
        "overdue": _("Finding %(code)s of evaluation #%(number)s is overdue (due %(due)s)"),
        "progress": _("Progress reported on finding %(code)s of evaluation #%(number)s"),
        "fix_reported": _("A fix was reported for finding %(code)s of evaluation #%(number)s"),
        "closed": _("Finding %(code)s of evaluation #%(number)s was verified and closed"),
        "reopened": _("Finding %(code)s of evaluation #%(number)s was reopened"),
        "comment": _("The centre commented on finding %(code)s of evaluation #%(number)s"),
    }
    subject = "[renkei] " + subjects[what] % names
    body = "\n".join([
        subjects[what] % names, "",
        _("The details are on renkei only:"),
        _link(evaluation.pk, finding.pk if finding else None),
    ])
    return subject, body


@handler(MAIL)
def send_mail_job(payload: dict) -> None:
    user = User.objects.filter(pk=payload["user"], is_active=True).first()
    if user is None:
        return
    # Checked again when sending: the person may have lost access since the fan-out.
    evaluation = readable_evaluations(user).filter(pk=payload["evaluation"]).first()
    if evaluation is None:
        return
    finding = None
    if payload.get("finding") is not None:
        finding = evaluation.findings.filter(pk=payload["finding"]).first()
        if finding is None:
            return
    with translation.override(user.language):
        subject, body = mail_text(payload["what"], evaluation, finding)
        mail.send(user, subject, body)
