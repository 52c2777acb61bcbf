"""Who reads risk assessments: rounds, submissions, feedback reports (issue 6, item 7).

Risk assessment results describe an organisation's weak points, so they are read by as few
people as possible:

- an organisation's people read **their own organisation's** rounds (those it is a target of,
  once the centre has opened them: a planned round is the centre's draft), submissions (drafts
  and submitted versions) and feedback reports, the latter only once the centre has released
  them;
- the centre's **risk assessors** (people of the centre holding `CentreRole.RISK_ASSESSOR`) read
  every round, every *submitted* version and every feedback report, released or not. Drafts stay
  with their organisation: only what an organisation submits reaches the centre;
- **nobody else** reads any: not other organisations, not ministries or agencies, not the rest of
  the centre. The commander is not an assessor by office; the platform admin neither. A centre
  person who needs to read assessments is given the risk assessor role (one place decides:
  `is_risk_assessor`).

Inactive people and people of an inactive organisation read nothing. Single objects come from the
`access_*` helpers, which answer 404 alike for missing and forbidden. Assessors are also the ones
who run rounds and edit the catalogue (`may_manage_risk`).
"""

from django.db.models import Q, QuerySet
from django.http import Http404

from renkei.accounts.models import CentreRole, OrganisationKind


def _active(user) -> bool:
    return (user is not None and user.is_authenticated and user.is_active
            and user.organisation.is_active)


def is_risk_assessor(user) -> bool:
    """A person of the centre with the risk assessor role."""
    if not _active(user) or user.organisation.kind != OrganisationKind.CENTRE:
        return False
    return user.role_assignments.filter(role=CentreRole.RISK_ASSESSOR).exists()


may_manage_risk = is_risk_assessor


def readable_rounds(user) -> QuerySet:
    from renkei.risk.models import Round

    if not _active(user):
        return Round.objects.none()
    if is_risk_assessor(user):
        return Round.objects.all()
    return Round.objects.filter(targets__organisation_id=user.organisation_id).exclude(
        state=Round.State.PLANNED).distinct()


def readable_submissions(user) -> QuerySet:
    from renkei.risk.models import Submission

    if not _active(user):
        return Submission.objects.none()
    own = Q(organisation_id=user.organisation_id)
    if is_risk_assessor(user):
        return Submission.objects.filter(own | Q(state=Submission.State.SUBMITTED))
    return Submission.objects.filter(own)


def readable_feedback(user) -> QuerySet:
    from renkei.risk.models import FeedbackReport

    if not _active(user):
        return FeedbackReport.objects.none()
    if is_risk_assessor(user):
        return FeedbackReport.objects.all()
    return FeedbackReport.objects.filter(organisation_id=user.organisation_id,
                                         released_at__isnull=False)


def _one(queryset: QuerySet, pk):
    try:
        return queryset.get(pk=int(pk))
    except (queryset.model.DoesNotExist, TypeError, ValueError):
        raise Http404 from None


def access_round(user, pk):
    return _one(readable_rounds(user), pk)


def access_submission(user, pk):
    return _one(readable_submissions(user), pk)


def access_feedback(user, pk):
    return _one(readable_feedback(user), pk)
