"""Mail about rounds: invitations when a round opens, reminders before it closes, and word that
a feedback report has been released. Each mail is a job of its own with a dedupe key (person,
round, occasion), so a retried fan-out sends nothing twice.

Mails name the round and carry a link, never results: what an organisation submitted or what
its feedback says stays on the platform, behind the visibility rule.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from renkei.accounts.models import User
from renkei.jobs.queue import handler, insert_job, insert_jobs, ticker
from renkei.notifications import mail
from renkei.risk.models import FeedbackReport, Round, Submission

INVITE, REMIND, MAIL, RELEASED = "risk.invite", "risk.remind", "risk.mail", \
    "risk.feedback_released"
# Days before closing on which the admins of organisations that have not submitted hear again.
REMINDER_DAYS = (7, 1)


def _admins(organisation_ids) -> list[User]:
    return list(User.objects.filter(organisation_id__in=list(organisation_ids), is_active=True,
                                    is_org_admin=True, organisation__is_active=True)
                .order_by("pk"))


def _round_link(round_id: int) -> str:
    return settings.BASE_URL + reverse("risk:round", args=[round_id])


@handler(INVITE)
def invite(payload: dict) -> None:
    round = Round.objects.filter(pk=payload["round"]).first()
    if round is None or round.state != Round.State.OPEN:
        return
    targets = round.targets.values_list("organisation_id", flat=True)
    insert_jobs(MAIL, [({"user": u.pk, "round": round.pk, "what": "invite"},
                        f"risk.mail:invite:{round.pk}:{u.pk}") for u in _admins(targets)])


_queued: set[str] = set()


@ticker
def schedule_reminders(now: datetime) -> None:
    """On every worker loop: for open rounds that close in 7 days or tomorrow, queue one
    reminder pass. The dedupe key keeps it to one per round and occasion across workers and
    restarts; the set spares this worker the repeated (ignored) inserts."""
    today = timezone.localdate(now)
    for days in REMINDER_DAYS:
        for round_id in Round.objects.filter(state=Round.State.OPEN,
                                             closes_on=today + timedelta(days=days)) \
                .values_list("pk", flat=True):
            key = f"risk.remind:{round_id}:{days}"
            if key not in _queued:
                insert_job(REMIND, {"round": round_id, "days": days}, dedupe_key=key)
                _queued.add(key)


@handler(REMIND)
def remind(payload: dict) -> None:
    round = Round.objects.filter(pk=payload["round"]).first()
    if round is None or round.state != Round.State.OPEN:
        return
    done = Submission.objects.filter(round=round, state=Submission.State.SUBMITTED) \
        .values_list("organisation_id", flat=True)
    waiting = round.targets.exclude(organisation_id__in=done) \
        .values_list("organisation_id", flat=True)
    what = f"remind{payload['days']}"
    insert_jobs(MAIL, [({"user": u.pk, "round": round.pk, "what": what},
                        f"risk.mail:{what}:{round.pk}:{u.pk}") for u in _admins(waiting)])


@handler(RELEASED)
def feedback_released(payload: dict) -> None:
    report = FeedbackReport.objects.filter(pk=payload["report"],
                                           released_at__isnull=False).first()
    if report is None:
        return
    insert_jobs(MAIL, [({"user": u.pk, "round": report.round_id, "what": "feedback"},
                        f"risk.mail:feedback:{report.round_id}:{u.pk}")
                       for u in _admins([report.organisation_id])])


@handler(MAIL)
def send(payload: dict) -> None:
    user = User.objects.filter(pk=payload["user"], is_active=True,
                               organisation__is_active=True).first()
    round = Round.objects.filter(pk=payload["round"]).first()
    # Checked again at sending time: the organisation may no longer be a target.
    if user is None or round is None or not round.targets.filter(
            organisation_id=user.organisation_id).exists():
        return
    what = payload["what"]
    with translation.override(user.language):
        names = {"round": str(round), "closes": round.closes_on.isoformat(),
                 "link": _round_link(round.pk)}
        if what == "invite":
            subject = _("[renkei] Risk assessment %(round)s: please take part") % names
            body = _("Your organisation is asked to take part in the risk assessment "
                     "%(round)s. Please submit it by %(closes)s:\n%(link)s") % names
        elif what == "feedback":
            subject = _("[renkei] Risk assessment %(round)s: your feedback report") % names
            body = _("The centre has released your organisation's feedback report for "
                     "%(round)s:\n%(link)s") % names
        else:
            subject = _("[renkei] Reminder: risk assessment %(round)s closes on %(closes)s") \
                % names
            body = _("Your organisation has not yet submitted the risk assessment %(round)s, "
                     "which closes on %(closes)s:\n%(link)s") % names
        mail.send(user, subject, body)
