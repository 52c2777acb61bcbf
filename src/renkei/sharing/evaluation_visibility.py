"""Who reads cross-sectional risk evaluations (issue 6, items 6 and 7).

An evaluation describes where an organisation is weak, so it is read by as few people as possible:

- the centre's **risk assessors** (`risk_visibility.is_risk_assessor`: people of the centre with
  the risk assessor role) read every evaluation in every state, with everything in it;
- the **evaluated organisation**'s people read their own evaluation once the centre has
  reported it (reported, follow-up, closed): the report, scenarios, items, activities, findings
  and their follow-up. Planned and in-progress work is the centre's draft and stays with it;
- **nobody else**: not other organisations, not ministries or agencies, not the rest of the
  centre.

Inactive people and people of an inactive organisation read nothing. Everything inside an
evaluation (scenarios, items, activities, evidence, findings) is read through its evaluation;
single objects come from the `access_*` helpers, which answer 404 alike for missing, forbidden
and mismatched ids (a finding id under another evaluation's address).
"""

from django.db.models import QuerySet
from django.http import Http404

from renkei.sharing.risk_visibility import is_risk_assessor


def _active(user) -> bool:
    return (user is not None and user.is_authenticated and user.is_active
            and user.organisation.is_active)


def readable_evaluations(user) -> QuerySet:
    from renkei.evaluations.models import RELEASED_STATES, Evaluation

    if not _active(user):
        return Evaluation.objects.none()
    if is_risk_assessor(user):
        return Evaluation.objects.all()
    return Evaluation.objects.filter(organisation_id=user.organisation_id,
                                     state__in=RELEASED_STATES)


def readable_findings(user) -> QuerySet:
    from renkei.evaluations.models import Finding

    return Finding.objects.filter(evaluation__in=readable_evaluations(user).values("pk"))


def _pk(raw) -> int:
    if not str(raw).isdigit() or len(str(raw)) > 18:
        raise Http404
    return int(raw)


def access_evaluation(user, evaluation_id):
    """The evaluation if the user may read it; otherwise 404, as for a missing one."""
    evaluation = (readable_evaluations(user).select_related("organisation")
                  .filter(pk=_pk(evaluation_id)).first())
    if evaluation is None:
        raise Http404
    return evaluation


def _one(queryset: QuerySet, pk):
    found = queryset.filter(pk=_pk(pk)).first()
    if found is None:
        raise Http404
    return found


def access_finding(user, evaluation_id, finding_id):
    from renkei.evaluations.models import Finding

    evaluation = access_evaluation(user, evaluation_id)
    finding = _one(Finding.objects.filter(evaluation=evaluation)
                   .select_related("owner__organisation", "item"), finding_id)
    finding.evaluation = evaluation
    return finding


def access_scenario(user, evaluation_id, scenario_id):
    from renkei.evaluations.models import Scenario

    evaluation = access_evaluation(user, evaluation_id)
    scenario = _one(Scenario.objects.filter(evaluation=evaluation), scenario_id)
    scenario.evaluation = evaluation
    return scenario


def access_item(user, evaluation_id, item_id):
    from renkei.evaluations.models import VerificationItem

    evaluation = access_evaluation(user, evaluation_id)
    item = _one(VerificationItem.objects.filter(evaluation=evaluation)
                .select_related("scenario", "checklist", "step"), item_id)
    item.evaluation = evaluation
    return item


def access_evidence(user, evidence_id):
    """A stored file, when its evaluation is readable."""
    from renkei.evaluations.models import Evidence

    return _one(Evidence.objects.filter(
        activity__item__evaluation__in=readable_evaluations(user).values("pk")), evidence_id)


def may_assess(user) -> bool:
    """Who writes evaluations: the same people who read them all."""
    return is_risk_assessor(user)
