"""Every write of cross-sectional risk evaluations.

Each function takes the acting person, checks everything first (raising `ServiceError` with a
message in the person's language), then writes in one transaction with its audit entry, so a
refused request changes nothing.

Who writes what:
- the centre's risk assessors (`may_assess`) plan and run evaluations: scenarios, checklists,
  items, activities, findings, the state, and they alone verify and close (or reopen) findings;
- the evaluated organisation, once the evaluation is reported, reports progress and fixes on its
  findings: its admins and a finding's owner.
Scenarios, checklists, items, activities and new findings are written while the evaluation is
planned or in progress; after the report only the follow-up moves; a closed evaluation is frozen.
"""

import zoneinfo
from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from renkei.accounts import audit
from renkei.accounts.models import Organisation, OrganisationKind, User
from renkei.communities.attachments import check_upload
from renkei.communities.services import _files_removed_on_failure
from renkei.errors import ServiceError
from renkei.evaluations.models import (
    STATE_ORDER,
    Activity,
    Checklist,
    ChecklistTemplate,
    ChecklistTemplateItem,
    Evaluation,
    EvaluationState,
    Evidence,
    Finding,
    FindingState,
    FindingUpdate,
    Method,
    Result,
    Scenario,
    ScenarioStep,
    Severity,
    VerificationItem,
)
from renkei.sharing.evaluation_visibility import may_assess

TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")
MAX_STEPS = 50
MAX_EVIDENCE_FILES = 5


def today() -> date:
    """Due dates are days in Japan."""
    return timezone.localtime(timezone.now(), TOKYO).date()


# --- checks ----------------------------------------------------------------------------------

def _require_assessor(actor) -> None:
    if not may_assess(actor):
        raise ServiceError(_("Only the centre's risk assessors may do this."))


def _require_open(evaluation: Evaluation) -> None:
    if evaluation.state == EvaluationState.CLOSED:
        raise ServiceError(_("This evaluation is closed and can no longer be changed."))


def _require_working(evaluation: Evaluation) -> None:
    _require_open(evaluation)
    if not evaluation.is_working:
        raise ServiceError(reported_message())


def reported_message() -> str:
    return _("This evaluation has been reported: its scenarios, checklists, items, activities "
             "and findings list are fixed; only the follow-up of findings continues.")


def _text(value: str, label: str, max_length: int, *, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ServiceError(_("%(field)s is required.") % {"field": label})
    if len(value) > max_length:
        raise ServiceError(_("%(field)s may be at most %(n)d characters.")
                           % {"field": label, "n": max_length})
    return value


def _choice(value: str, choices, label: str) -> str:
    if value not in choices.values:
        raise ServiceError(_("Choose a valid %(field)s.") % {"field": label})
    return value


def _locked(evaluation: Evaluation) -> Evaluation:
    """The evaluation row, locked for the rest of the transaction, state checked again."""
    return Evaluation.objects.select_for_update().get(pk=evaluation.pk)


def _touch(evaluation: Evaluation) -> None:
    Evaluation.objects.filter(pk=evaluation.pk).update(updated_at=timezone.now())


# --- evaluations -----------------------------------------------------------------------------

def _check_evaluation_input(organisation, title, scope, period_start, period_end, evaluators):
    title = _text(title, _("Title"), 200)
    scope = _text(scope, _("Scope"), 5000, required=False)
    if organisation is None or not isinstance(organisation, Organisation):
        raise ServiceError(_("Choose the organisation to evaluate."))
    if organisation.kind == OrganisationKind.CENTRE or not organisation.is_active:
        raise ServiceError(_("The centre evaluates active organisations other than itself."))
    if period_start is None or period_end is None:
        raise ServiceError(_("The evaluation period needs a first and a last day."))
    if period_end < period_start:
        raise ServiceError(_("The evaluation period ends before it starts."))
    evaluators = list(evaluators or [])
    if not evaluators:
        raise ServiceError(_("Name at least one evaluator."))
    not_assessors = [u.name for u in evaluators if not may_assess(u)]
    if not_assessors:
        raise ServiceError(_("Evaluators must be the centre's risk assessors: %(names)s")
                           % {"names": ", ".join(not_assessors)})
    return title, scope, evaluators


def create_evaluation(*, actor: User, organisation: Organisation, title: str, scope: str = "",
                      period_start: date, period_end: date, evaluators=()) -> Evaluation:
    _require_assessor(actor)
    title, scope, evaluators = _check_evaluation_input(
        organisation, title, scope, period_start, period_end, evaluators)
    with transaction.atomic():
        evaluation = Evaluation.objects.create(
            title=title, organisation=organisation, scope=scope, period_start=period_start,
            period_end=period_end, created_by=actor)
        evaluation.evaluators.set(evaluators)
        audit.record(actor, "evaluation.create", evaluation, organisation=organisation.name)
    return evaluation


def update_evaluation(*, actor: User, evaluation: Evaluation, title: str, scope: str,
                      period_start: date, period_end: date, evaluators=(),
                      summary: str = "") -> Evaluation:
    _require_assessor(actor)
    title, scope, evaluators = _check_evaluation_input(
        evaluation.organisation, title, scope, period_start, period_end, evaluators)
    summary = _text(summary, _("Summary"), 20000, required=False)
    with transaction.atomic():
        locked = _locked(evaluation)
        _require_open(locked)
        locked.title, locked.scope, locked.summary = title, scope, summary
        locked.period_start, locked.period_end = period_start, period_end
        locked.updated_at = timezone.now()
        locked.save()
        locked.evaluators.set(evaluators)
        audit.record(actor, "evaluation.update", locked)
    return locked


def advance_evaluation(*, actor: User, evaluation: Evaluation, to_state: str) -> Evaluation:
    """Move one state forward: planned → in progress → reported → follow-up → closed."""
    _require_assessor(actor)
    with transaction.atomic():
        locked = _locked(evaluation)
        _require_open(locked)
        current = STATE_ORDER.index(locked.state)
        if to_state not in STATE_ORDER or STATE_ORDER.index(to_state) != current + 1:
            raise ServiceError(_("An evaluation moves one step forward at a time; it is %(state)s.")
                               % {"state": locked.get_state_display()})
        if to_state == EvaluationState.CLOSED:
            still_open = locked.findings.exclude(state=FindingState.CLOSED).count()
            if still_open:
                raise ServiceError(_("%(n)d findings are not closed yet; close them before the "
                                     "evaluation.") % {"n": still_open})
        now = timezone.now()
        locked.state, locked.updated_at = to_state, now
        if to_state == EvaluationState.REPORTED:
            locked.reported_at = now
        if to_state == EvaluationState.CLOSED:
            locked.closed_at = now
        locked.save(update_fields=["state", "updated_at", "reported_at", "closed_at"])
        audit.record(actor, "evaluation.state", locked, state=to_state)
        if to_state == EvaluationState.REPORTED:
            from renkei.evaluations.jobs import notify_reported

            notify_reported(locked)
    return locked


# --- scenarios -------------------------------------------------------------------------------

@dataclass
class StepInput:
    order: int | None
    action: str
    phase: str = ""
    actor: str = ""
    resource: str = ""
    id: int | None = None

    @property
    def is_blank(self) -> bool:
        return self.order is None and not any(
            (self.action or "").strip() or (v or "").strip()
            for v in (self.phase, self.actor, self.resource))


def _check_steps(steps: list[StepInput], scenario: Scenario | None) -> list[StepInput]:
    steps = [s for s in steps if not s.is_blank]
    if not steps:
        raise ServiceError(_("A scenario needs at least one step: who does what to which "
                             "resource, in time order."))
    if len(steps) > MAX_STEPS:
        raise ServiceError(_("A scenario has at most %(n)d steps.") % {"n": MAX_STEPS})
    seen: dict[int, int] = {}
    for step in steps:
        if step.order is None or step.order < 1:
            raise ServiceError(_("Every step needs an order number of 1 or more."))
        if step.order in seen:
            raise ServiceError(_("Two steps have the order number %(n)d; each step needs its "
                                 "own.") % {"n": step.order})
        seen[step.order] = 1
        step.action = _text(step.action, _("Action (step %(n)d)") % {"n": step.order}, 300)
        step.phase = _text(step.phase, _("Time or phase"), 100, required=False)
        step.actor = _text(step.actor, _("Actor"), 100, required=False)
        step.resource = _text(step.resource, _("Resource"), 200, required=False)
    known = set(scenario.steps.values_list("id", flat=True)) if scenario else set()
    if any(s.id is not None and s.id not in known for s in steps):
        raise ServiceError(_("A step does not belong to this scenario."))
    return sorted(steps, key=lambda s: s.order)


def save_scenario(*, actor: User, evaluation: Evaluation, title: str, description: str = "",
                  steps: list[StepInput], scenario: Scenario | None = None) -> Scenario:
    """Create a scenario, or rewrite one: its steps are replaced by `steps` (steps given with
    their id keep it, so the items that point at them stay attached)."""
    _require_assessor(actor)
    title = _text(title, _("Title"), 200)
    description = _text(description, _("Description"), 10000, required=False)
    if scenario is not None and scenario.evaluation_id != evaluation.pk:
        raise ServiceError(_("A step does not belong to this scenario."))
    steps = _check_steps(list(steps), scenario)
    with transaction.atomic():
        _require_working(_locked(evaluation))
        if scenario is None:
            scenario = Scenario.objects.create(evaluation=evaluation, title=title,
                                               description=description)
        else:
            scenario.title, scenario.description = title, description
            scenario.save(update_fields=["title", "description"])
        kept = {s.id for s in steps if s.id is not None}
        scenario.steps.exclude(id__in=kept).delete()
        # Orders must stay unique at every moment: move the kept steps out of the way first.
        for step in steps:
            if step.id is not None:
                ScenarioStep.objects.filter(pk=step.id).update(order=step.order + 100_000)
        for step in steps:
            values = {"order": step.order, "phase": step.phase, "actor": step.actor,
                      "action": step.action, "resource": step.resource}
            if step.id is not None:
                ScenarioStep.objects.filter(pk=step.id).update(**values)
            else:
                ScenarioStep.objects.create(scenario=scenario, **values)
        _touch(evaluation)
        audit.record(actor, "evaluation.scenario", scenario, evaluation=evaluation.pk,
                     steps=len(steps))
    return scenario


def delete_scenario(*, actor: User, scenario: Scenario) -> None:
    _require_assessor(actor)
    with transaction.atomic():
        _require_working(_locked(scenario.evaluation))
        audit.record(actor, "evaluation.scenario_delete", scenario,
                     evaluation=scenario.evaluation_id, title=scenario.title)
        scenario.delete()


# --- checklists ------------------------------------------------------------------------------

@dataclass
class TemplateItemInput:
    text: str
    category: str = ""
    method: str = Method.DOCUMENT


def _check_template_items(items: list[TemplateItemInput]) -> list[TemplateItemInput]:
    if not items:
        raise ServiceError(_("A checklist needs at least one item."))
    for item in items:
        item.text = _text(item.text, _("What to check"), 500)
        item.category = _text(item.category, _("Category"), 100, required=False)
        item.method = _choice(item.method, Method, _("method"))
    return items


def save_template(*, actor: User, name: str, description: str = "",
                  items: list[TemplateItemInput],
                  template: ChecklistTemplate | None = None) -> ChecklistTemplate:
    """Create or rewrite a checklist template. Evaluations that used it keep their own copy."""
    _require_assessor(actor)
    name = _text(name, _("Name"), 200)
    description = _text(description, _("Description"), 5000, required=False)
    items = _check_template_items(list(items))
    same_name = ChecklistTemplate.objects.filter(name=name)
    if template is not None:
        same_name = same_name.exclude(pk=template.pk)
    if same_name.exists():
        raise ServiceError(_("A checklist named %(name)s already exists.") % {"name": name})
    with transaction.atomic():
        if template is None:
            template = ChecklistTemplate.objects.create(name=name, description=description,
                                                        created_by=actor)
        else:
            template.name, template.description = name, description
            template.updated_at = timezone.now()
            template.save()
            template.items.all().delete()
        ChecklistTemplateItem.objects.bulk_create(
            ChecklistTemplateItem(template=template, position=i, category=item.category,
                                  text=item.text, method=item.method)
            for i, item in enumerate(items, start=1))
        audit.record(actor, "evaluation.checklist_template", template, items=len(items))
    return template


def add_checklist(*, actor: User, evaluation: Evaluation,
                  template: ChecklistTemplate) -> Checklist:
    """Copy a template's items into the evaluation as verification items."""
    _require_assessor(actor)
    with transaction.atomic():
        _require_working(_locked(evaluation))
        checklist = Checklist.objects.create(evaluation=evaluation, template=template,
                                             name=template.name)
        VerificationItem.objects.bulk_create(
            VerificationItem(evaluation=evaluation, checklist=checklist, position=t.position,
                             category=t.category, text=t.text, method=t.method)
            for t in template.items.all())
        _touch(evaluation)
        audit.record(actor, "evaluation.checklist", checklist, evaluation=evaluation.pk,
                     template=template.pk)
    return checklist


# --- verification items ----------------------------------------------------------------------

def add_item(*, actor: User, evaluation: Evaluation, text: str, method: str,
             scenario: Scenario | None = None, checklist: Checklist | None = None,
             step: ScenarioStep | None = None, category: str = "") -> VerificationItem:
    _require_assessor(actor)
    text = _text(text, _("What to check"), 500)
    category = _text(category, _("Category"), 100, required=False)
    method = _choice(method, Method, _("method"))
    if (scenario is None) == (checklist is None):
        raise ServiceError(_("A verification item belongs to one scenario or one checklist."))
    parent = scenario or checklist
    if parent.evaluation_id != evaluation.pk:
        raise ServiceError(_("A verification item belongs to one scenario or one checklist."))
    if step is not None and (scenario is None or step.scenario_id != scenario.pk):
        raise ServiceError(_("The step must be one of this scenario's steps."))
    with transaction.atomic():
        _require_working(_locked(evaluation))
        last = parent.items.aggregate(m=Max("position"))["m"] or 0
        item = VerificationItem.objects.create(
            evaluation=evaluation, scenario=scenario, checklist=checklist, step=step,
            position=last + 1, category=category, text=text, method=method)
        _touch(evaluation)
        audit.record(actor, "evaluation.item", item, evaluation=evaluation.pk)
    return item


def delete_item(*, actor: User, item: VerificationItem) -> None:
    _require_assessor(actor)
    with transaction.atomic():
        _require_working(_locked(item.evaluation))
        audit.record(actor, "evaluation.item_delete", item, evaluation=item.evaluation_id)
        item.delete()


def record_activity(*, actor: User, item: VerificationItem, conducted_on: date, method: str,
                    result: str, participants: str = "", notes: str = "",
                    files=()) -> Activity:
    """An interview, document review, site visit or technical check of one item; the item's
    result becomes that of its latest activity."""
    _require_assessor(actor)
    method = _choice(method, Method, _("method"))
    result = _choice(result, Result, _("result"))
    if conducted_on is None:
        raise ServiceError(_("Give the date of the activity."))
    if conducted_on > today():
        raise ServiceError(_("An activity cannot be recorded before it took place."))
    participants = _text(participants, _("Who took part"), 300, required=False)
    notes = _text(notes, _("Notes"), 20000, required=False)
    files = list(files or [])
    if len(files) > MAX_EVIDENCE_FILES:
        raise ServiceError(_("At most %(n)d files at once.") % {"n": MAX_EVIDENCE_FILES})
    checked = [(f, check_upload(f)) for f in files]
    with _files_removed_on_failure() as stored, transaction.atomic():
        _require_working(_locked(item.evaluation))
        activity = Activity.objects.create(
            item=item, conducted_on=conducted_on, method=method, participants=participants,
            notes=notes, result=result, recorded_by=actor)
        for upload, facts in checked:
            evidence = Evidence(activity=activity, uploaded_by=actor, **facts)
            evidence.file.save(facts["original_name"], upload, save=False)
            stored.append(evidence.file.name)
            evidence.save()
        latest = item.activities.order_by("-conducted_on", "-id").first()
        VerificationItem.objects.filter(pk=item.pk).update(result=latest.result)
        _touch(item.evaluation)
        audit.record(actor, "evaluation.activity", activity, item=item.pk, result=result)
    return activity


# --- findings --------------------------------------------------------------------------------

def _check_finding_input(evaluation, title, severity, description, proposal, due_date, owner,
                         item, *, old_due: date | None = None):
    title = _text(title, _("Title"), 200)
    severity = _choice(severity, Severity, _("severity"))
    description = _text(description, _("Description"), 20000)
    proposal = _text(proposal, _("Improvement proposal"), 20000)
    if due_date is None:
        raise ServiceError(_("A finding needs a due date by which it should be fixed."))
    if due_date < today() and due_date != old_due:
        raise ServiceError(_("The due date %(date)s is in the past.")
                           % {"date": due_date.isoformat()})
    if owner is not None and (owner.organisation_id != evaluation.organisation_id
                              or not owner.is_active):
        raise ServiceError(_("The owner must be an active person of %(org)s.")
                           % {"org": evaluation.organisation.name})
    if item is not None and item.evaluation_id != evaluation.pk:
        raise ServiceError(_("The verification item must be one of this evaluation's."))
    return title, severity, description, proposal


def create_finding(*, actor: User, evaluation: Evaluation, title: str, severity: str,
                   description: str, proposal: str, due_date: date | None,
                   owner: User | None = None, item: VerificationItem | None = None) -> Finding:
    _require_assessor(actor)
    title, severity, description, proposal = _check_finding_input(
        evaluation, title, severity, description, proposal, due_date, owner, item)
    with transaction.atomic():
        locked = _locked(evaluation)
        _require_working(locked)
        number = (locked.findings.aggregate(m=Max("number"))["m"] or 0) + 1
        finding = Finding.objects.create(
            evaluation=locked, number=number, item=item, title=title, severity=severity,
            description=description, proposal=proposal, due_date=due_date, owner=owner)
        _touch(evaluation)
        audit.record(actor, "evaluation.finding", finding, evaluation=evaluation.pk,
                     severity=severity)
    return finding


def update_finding(*, actor: User, finding: Finding, title: str, severity: str,
                   description: str, proposal: str, due_date: date | None,
                   owner: User | None = None, item: VerificationItem | None = None) -> Finding:
    """The centre edits a finding; during follow-up, e.g. to agree a later due date."""
    _require_assessor(actor)
    evaluation = finding.evaluation
    title, severity, description, proposal = _check_finding_input(
        evaluation, title, severity, description, proposal, due_date, owner, item,
        old_due=finding.due_date)
    with transaction.atomic():
        _require_open(_locked(evaluation))
        locked = Finding.objects.select_for_update().get(pk=finding.pk)
        if locked.state == FindingState.CLOSED:
            raise ServiceError(_("This finding is closed; reopen it to change it."))
        changed_due = locked.due_date != due_date
        for name, value in (("title", title), ("severity", severity),
                            ("description", description), ("proposal", proposal),
                            ("due_date", due_date), ("owner", owner), ("item", item)):
            setattr(locked, name, value)
        locked.updated_at = timezone.now()
        locked.save()
        audit.record(actor, "evaluation.finding_update", locked, evaluation=evaluation.pk,
                     due_date=due_date.isoformat() if changed_due else None)
    return locked


def may_report_progress(user, finding: Finding) -> bool:
    """The evaluated organisation's admins and the finding's owner report on it."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if user.organisation_id != finding.evaluation.organisation_id:
        return False
    return user.is_org_admin or user.pk == finding.owner_id


def report_progress(*, actor: User, finding: Finding, note: str, fixed: bool = False) -> Finding:
    """The organisation tells the centre how the fix goes, or that it is done."""
    if not may_report_progress(actor, finding):
        raise ServiceError(_("Only the evaluated organisation's admins and the finding's owner "
                             "report progress on it."))
    note = _text(note, pgettext("evaluation", "Report"), 20000)
    with transaction.atomic():
        evaluation = _locked(finding.evaluation)
        _require_open(evaluation)
        if not evaluation.is_released:
            raise ServiceError(_("This evaluation has not been reported yet."))
        locked = Finding.objects.select_for_update().get(pk=finding.pk)
        if locked.state == FindingState.CLOSED:
            raise ServiceError(_("This finding is closed already."))
        kind = FindingUpdate.Kind.FIX_REPORTED if fixed else FindingUpdate.Kind.PROGRESS
        if fixed:
            locked.state = FindingState.FIX_REPORTED
        locked.updated_at = timezone.now()
        locked.save(update_fields=["state", "updated_at"])
        update = FindingUpdate.objects.create(finding=locked, kind=kind, note=note, author=actor)
        audit.record(actor, "evaluation.finding_progress", locked, evaluation=evaluation.pk,
                     fixed=fixed)
        from renkei.evaluations.jobs import notify_update

        notify_update(update)
    return locked


def close_finding(*, actor: User, finding: Finding, note: str = "") -> Finding:
    """Only the centre verifies a fix and closes the finding."""
    if not may_assess(actor):
        raise ServiceError(_("Only the centre's risk assessors verify and close findings."))
    return _centre_verdict(actor, finding, note, FindingUpdate.Kind.CLOSED)


def reopen_finding(*, actor: User, finding: Finding, note: str) -> Finding:
    """The fix did not hold (or a reported fix is not accepted): the finding is open again."""
    if not may_assess(actor):
        raise ServiceError(_("Only the centre's risk assessors may reopen findings."))
    note = _text(note, _("Reason"), 20000)
    return _centre_verdict(actor, finding, note, FindingUpdate.Kind.REOPENED)


def comment_on_finding(*, actor: User, finding: Finding, note: str) -> Finding:
    _require_assessor(actor)
    note = _text(note, pgettext("evaluation", "Comment"), 20000)
    return _centre_verdict(actor, finding, note, FindingUpdate.Kind.COMMENT)


def _centre_verdict(actor: User, finding: Finding, note: str, kind: str) -> Finding:
    note = _text(note, pgettext("evaluation", "Note"), 20000, required=False)
    with transaction.atomic():
        evaluation = _locked(finding.evaluation)
        _require_open(evaluation)
        locked = Finding.objects.select_for_update().get(pk=finding.pk)
        now = timezone.now()
        if kind == FindingUpdate.Kind.CLOSED:
            if locked.state == FindingState.CLOSED:
                raise ServiceError(_("This finding is closed already."))
            locked.state, locked.closed_at = FindingState.CLOSED, now
        elif kind == FindingUpdate.Kind.REOPENED:
            if locked.state == FindingState.OPEN:
                raise ServiceError(_("This finding is open already."))
            locked.state, locked.closed_at = FindingState.OPEN, None
        locked.updated_at = now
        locked.save(update_fields=["state", "closed_at", "updated_at"])
        update = FindingUpdate.objects.create(finding=locked, kind=kind, note=note, author=actor)
        audit.record(actor, f"evaluation.finding_{kind}", locked, evaluation=evaluation.pk)
        if evaluation.is_released:
            from renkei.evaluations.jobs import notify_update

            notify_update(update)
    return locked
