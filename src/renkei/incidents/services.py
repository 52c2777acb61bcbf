"""Every write of the consultation window and the centre's case handling.

Each function validates first, then writes in one transaction with its audit entry and the
case's timeline, so a refused request changes nothing. Topics and comments go through
`communities.services`, so the visibility rule, search, notifications and attachments behave as
for every other topic.
"""

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from renkei.accounts import audit
from renkei.accounts.models import Organisation, OrganisationKind, User
from renkei.communities import services as community_services
from renkei.communities.audiences import community_destination, topic_item
from renkei.communities.models import (
    Attachment,
    Community,
    CommunityKind,
    InformationKind,
    Topic,
)
from renkei.errors import ServiceError
from renkei.incidents import permissions
from renkei.incidents.models import (
    FINISHED_STATES,
    Case,
    CaseEvent,
    CaseLink,
    CaseNote,
    CaseState,
    CaseTask,
    Classification,
    DutyLogEntry,
    EmergencyContact,
    EventEffect,
    PublicExposure,
    Report,
    ReportKind,
    ResponseTarget,
    Severity,
    SupportKind,
    SupportRequest,
    TakedownTarget,
    TaskKind,
    ThreadRead,
    is_escalated,
)
from renkei.sharing import passing
from renkei.sharing.models import LIVE_ENVIRONMENT_ID, TLP, AudienceMode
from renkei.text import render_markdown

TEXT_MAX = 20_000
SHORT_MAX = 200
# Clocks differ a little between a reporter's PC and the server.
CLOCK_SKEW = timedelta(minutes=5)
# Organisation kinds a reporter may name as recipients. CTI vendors exchange indicators by
# machine under their MOU; victims' reports do not go to them.
RECIPIENT_KINDS = frozenset({OrganisationKind.CENTRE, OrganisationKind.PARTICIPANT,
                             OrganisationKind.MINISTRY, OrganisationKind.AGENCY,
                             OrganisationKind.LAW_ENFORCEMENT})


# --- lookups the services and forms share -----------------------------------------------------

def window_community(environment_id: int = LIVE_ENVIRONMENT_ID) -> Community:
    """The consultation window (そうだんの窓口) of an environment."""
    community = (Community.objects.filter(kind=CommunityKind.CONSULTATION,
                                          environment_id=environment_id, is_archived=False)
                 .order_by("id").first())
    if community is None:
        raise ServiceError(_("There is no consultation window yet; the centre must open one "
                             "first."))
    return community


def centre_organisations():
    return Organisation.objects.filter(kind=OrganisationKind.CENTRE, is_active=True)


def recipient_choices(user):
    """Organisations a reporter may name (their own and the centre always receive it)."""
    return (Organisation.objects.filter(is_active=True, kind__in=RECIPIENT_KINDS)
            .exclude(kind=OrganisationKind.CENTRE).exclude(pk=user.organisation_id)
            .order_by("kind", "name"))


def proposed_recipients(user) -> list[Organisation]:
    """The reporter's supervising ministry is proposed by default."""
    ministry = user.organisation.supervising_ministry
    return [ministry] if ministry is not None and ministry.is_active else []


def case_handlers():
    return (User.objects.filter(is_active=True, organisation__is_active=True,
                                organisation__kind=OrganisationKind.CENTRE,
                                role_assignments__role__in=permissions.CASE_ROLES)
            .distinct().select_related("organisation").order_by("name"))


def agencies():
    return Organisation.objects.filter(kind=OrganisationKind.AGENCY, is_active=True)


# --- validation --------------------------------------------------------------------------------

def _text(value, label: str, *, required: bool = False, limit: int = TEXT_MAX) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ServiceError(_("%(field)s is required.") % {"field": label})
    if len(value) > limit:
        raise ServiceError(_("%(field)s may have at most %(max)d characters (this one has "
                             "%(n)d).") % {"field": label, "max": limit, "n": len(value)})
    return value


def _choice(value, choices, label: str) -> str:
    if value not in choices.values:
        raise ServiceError(_("Choose a valid value for %(field)s.") % {"field": label})
    return value


def _check_times(started_at: datetime | None, noticed_at: datetime | None, now) -> None:
    for moment, label in ((started_at, _("Started at")), (noticed_at, _("Noticed at"))):
        if moment is not None and moment > now + CLOCK_SKEW:
            raise ServiceError(_("%(field)s lies in the future.") % {"field": label})
    if started_at and noticed_at and noticed_at < started_at:
        raise ServiceError(_("It cannot have been noticed before it started."))


def _recipients(named, reporter_org: Organisation) -> list[Organisation]:
    """The named bodies, refusing anything that is not an active platform participant."""
    ids = []
    for item in named or ():
        raw = item.pk if isinstance(item, Organisation) else item
        try:
            ids.append(int(raw))
        except (TypeError, ValueError) as exc:
            raise ServiceError(_("One of the named organisations does not exist.")) from exc
    found = {o.pk: o for o in Organisation.objects.filter(pk__in=ids)}
    missing = [i for i in ids if i not in found]
    if missing:
        raise ServiceError(_("One of the named organisations does not exist."))
    refused = [o.name for o in found.values()
               if not o.is_active or o.kind not in RECIPIENT_KINDS]
    if refused:
        raise ServiceError(_("These organisations do not take part in the platform and cannot "
                             "receive the report: %(names)s") % {"names": ", ".join(refused)})
    return [o for o in found.values() if o.pk != reporter_org.pk]


@dataclass
class ReportInput:
    kind: str
    title: str
    what_happened: str
    started_at: datetime | None = None
    noticed_at: datetime | None = None
    affected_systems: str = ""
    event_effect: str = EventEffect.UNKNOWN
    public_exposure: str = PublicExposure.NO
    current_state: str = ""
    help_wanted: str = ""
    contacts: str = ""
    tlp: str = TLP.AMBER

    def cleaned(self, now) -> "ReportInput":
        _choice(self.kind, ReportKind, _("Kind of report"))
        _choice(self.event_effect, EventEffect, _("Effect on the event"))
        _choice(self.public_exposure, PublicExposure, _("Public exposure"))
        try:
            tlp = TLP.parse(self.tlp or "")
        except ValueError as exc:
            raise ServiceError(_("Unknown TLP marking.")) from exc
        _check_times(self.started_at, self.noticed_at, now)
        return ReportInput(
            kind=self.kind,
            title=_text(self.title, _("Title"), required=True, limit=SHORT_MAX),
            what_happened=_text(self.what_happened, _("What happened"), required=True),
            started_at=self.started_at, noticed_at=self.noticed_at,
            affected_systems=_text(self.affected_systems, _("Affected services and systems")),
            event_effect=self.event_effect, public_exposure=self.public_exposure,
            current_state=_text(self.current_state, _("Current state and actions taken")),
            help_wanted=_text(self.help_wanted, _("Help wanted")),
            contacts=_text(self.contacts, _("Contacts"), limit=2000),
            tlp=tlp,
        )


REPORT_FIELDS = ("kind", "what_happened", "started_at", "noticed_at", "affected_systems",
                 "event_effect", "public_exposure", "current_state", "help_wanted", "contacts")


def _report_body(data: ReportInput) -> str:
    """The topic's body: every field, in the platform's first language, so the thread page,
    search and notifications carry the whole report."""
    with translation.override(settings.LANGUAGE_CODE):
        def when(value):
            return (timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
                    if value else _("unknown"))

        rows = [
            (_("Kind of report"), str(ReportKind(data.kind).label)),
            (_("Started at"), when(data.started_at)),
            (_("Noticed at"), when(data.noticed_at)),
            (_("Effect on the event"), str(EventEffect(data.event_effect).label)),
            (_("Public exposure"), str(PublicExposure(data.public_exposure).label)),
        ]
        parts = ["\n".join(f"- **{label}**: {value}" for label, value in rows),
                 f"### {_('What happened')}\n\n{data.what_happened}"]
        for label, value in ((_("Affected services and systems"), data.affected_systems),
                             (_("Current state and actions taken"), data.current_state),
                             (_("Help wanted"), data.help_wanted),
                             (_("Contacts"), data.contacts)):
            if value:
                parts.append(f"### {label}\n\n{value}")
        return "\n\n".join(parts)


def _event(case: Case, actor, kind: str, old="", new="", text="", at=None) -> CaseEvent:
    return CaseEvent.objects.create(case=case, actor=actor, kind=kind, old=str(old)[:200],
                                    new=str(new)[:200], text=str(text)[:500],
                                    at=at or timezone.now())


# --- reports -----------------------------------------------------------------------------------

def file_report(*, actor: User, data: ReportInput, named=(), attachments=(), now=None,
                environment_id: int = LIVE_ENVIRONMENT_ID) -> Report:
    """One report reaches the centre, the reporter's organisation and every named body."""
    if not permissions.can_file_report(actor):
        raise ServiceError(_("You may not file reports."))
    now = now or timezone.now()
    data = data.cleaned(now)
    window = window_community(environment_id)
    recipients = _recipients(named, actor.organisation)
    centres = list(centre_organisations())
    if not centres:
        raise ServiceError(_("There is no coordination centre to receive the report."))
    audience = {o.pk: o for o in [*centres, actor.organisation, *recipients]}
    with transaction.atomic():
        topic = community_services.post_topic(
            actor=actor, community=window, title=data.title, body=_report_body(data),
            kind=InformationKind.INCIDENT, tlp=data.tlp, audience_mode=AudienceMode.CHOSEN,
            audience_organisations=list(audience.values()), attachments=attachments, now=now,
        )
        report = Report.objects.create(
            topic=topic, reporter=actor, organisation=actor.organisation, created_at=now,
            updated_at=now, **{name: getattr(data, name) for name in REPORT_FIELDS},
        )
        case = open_case(report, now=now)
        audit.record(actor, "incident.report", topic, kind=data.kind, case=case.pk,
                     named=sorted(o.name for o in recipients))
    return report


def open_case(report: Report, *, now=None) -> Case:
    now = now or report.created_at
    case = Case.objects.create(
        report=report, organisation=report.organisation, title=report.topic.title,
        affects_event=report.event_effect, public_exposure=report.public_exposure,
        escalated=is_escalated(report.event_effect, report.public_exposure),
        opened_at=now, updated_at=now,
    )
    _event(case, report.reporter, CaseEvent.Kind.OPENED, new=CaseState.NEW, at=now)
    return case


def attach_report_topic(*, topic: Topic, reporter: User, data: ReportInput, now=None) -> Report:
    """A report for a topic already in the consultation window (the demo's earlier posts)."""
    data = data.cleaned(now or timezone.now())
    with transaction.atomic():
        report = Report.objects.create(
            topic=topic, reporter=reporter, organisation=reporter.organisation,
            created_at=topic.created_at, updated_at=topic.created_at,
            **{name: getattr(data, name) for name in REPORT_FIELDS},
        )
        open_case(report, now=topic.created_at)
        # Replies written before the report was attached: the first from the centre counts.
        reply = (topic.comments.filter(author_organisation__kind=OrganisationKind.CENTRE)
                 .order_by("created_at").first())
        if reply is not None:
            note_first_response(reply)
    return report


def edit_report(*, actor: User, report: Report, data: ReportInput, named=(),
                attachments=()) -> Report:
    """The reporting side corrects or completes its report until the case is finished."""
    if not permissions.can_edit_report(actor, report):
        raise ServiceError(_("Only the reporter and the admins of the reporting organisation "
                             "may edit this report."))
    now = timezone.now()
    data = data.cleaned(now)
    recipients = _recipients(named, report.organisation)
    with transaction.atomic():
        case = Case.objects.select_for_update().get(report=report)
        if case.state in FINISHED_STATES:
            raise ServiceError(_("The centre has closed this report's case, so the report can no "
                                 "longer be edited. Add what is new as a comment in the thread."))
        topic = report.topic
        keep = {o.pk: o for o in [*centre_organisations(), report.organisation, *recipients]}
        community_services.edit_topic(
            actor=actor, topic=topic, title=data.title, body=_report_body(data),
            kind=topic.kind, tag=topic.tag, reader_level=topic.reader_level, tlp=data.tlp,
            audience_mode=AudienceMode.CHOSEN, audience_organisations=list(keep.values()),
            audience_users=list(topic.audience_users.all()), attachments=attachments,
        )
        changed = [name for name in REPORT_FIELDS if getattr(report, name) != getattr(data, name)]
        for name in REPORT_FIELDS:
            setattr(report, name, getattr(data, name))
        report.updated_at = now
        report.save()
        updates = {"title": data.title, "updated_at": now, "version": F("version") + 1}
        if "event_effect" in changed:
            updates["affects_event"] = data.event_effect
            _event(case, actor, CaseEvent.Kind.EFFECT, case.affects_event, data.event_effect)
        if "public_exposure" in changed:
            updates["public_exposure"] = data.public_exposure
            _event(case, actor, CaseEvent.Kind.EXPOSURE, case.public_exposure,
                   data.public_exposure)
        escalated = is_escalated(updates.get("affects_event", case.affects_event),
                                 updates.get("public_exposure", case.public_exposure))
        if escalated != case.escalated:
            updates["escalated"] = escalated
            _event(case, actor, CaseEvent.Kind.ESCALATION, case.escalated, escalated)
        Case.objects.filter(pk=case.pk).update(**updates)
        _event(case, actor, CaseEvent.Kind.REPORT_EDITED, text=", ".join(changed))
        audit.record(actor, "incident.report_edit", topic, changed=changed)
    report.refresh_from_db()
    return report


def record_thread_read(user: User, topic: Topic, now=None) -> None:
    """The first and last time someone of the user's organisation opened the thread."""
    now = now or timezone.now()
    updated = ThreadRead.objects.filter(topic=topic, organisation_id=user.organisation_id) \
        .update(last_read_at=now, last_reader=user)
    if not updated:
        ThreadRead.objects.get_or_create(
            topic=topic, organisation_id=user.organisation_id,
            defaults={"first_read_at": now, "last_read_at": now, "last_reader": user})


def note_first_response(comment) -> None:
    """A centre person's first comment in a report's thread is the case's first response."""
    if comment.author_organisation.kind != OrganisationKind.CENTRE:
        return
    case = Case.objects.filter(report__topic_id=comment.topic_id,
                               first_response_at__isnull=True).first()
    if case is None:
        return
    if Case.objects.filter(pk=case.pk, first_response_at__isnull=True).update(
            first_response_at=comment.created_at):
        _event(case, comment.author, CaseEvent.Kind.FIRST_RESPONSE, text=_("Reply in the thread"),
               at=comment.created_at)


# --- cases -------------------------------------------------------------------------------------

CASE_FIELDS = ("state", "severity", "classification", "assignee", "affects_event",
               "public_exposure")


def _require_handler(actor: User) -> None:
    if not permissions.is_case_handler(actor):
        raise ServiceError(_("Only the centre's incident staff may handle cases."))


def _conflict(case: Case) -> ServiceError:
    last = case.events.exclude(actor=None).select_related("actor__organisation") \
        .order_by("-at", "-id").first()
    who = last.actor.display_name if last else _("someone else")
    return ServiceError(_("%(who)s changed this case meanwhile. Reload the page to see the "
                          "changes, then make yours again.") % {"who": who})


def update_case(*, actor: User, case: Case, version: int, now=None, **changes) -> Case:
    """Change the case's fields; `version` is the one the change was made on: if someone else
    changed the case since, nothing is written and the actor is told to reload."""
    _require_handler(actor)
    unknown = set(changes) - set(CASE_FIELDS)
    if unknown:
        raise ServiceError(_("These fields cannot be changed here: %(names)s")
                           % {"names": ", ".join(sorted(unknown))})
    if "severity" in changes:
        _choice(changes["severity"], Severity, _("Severity"))
    if "affects_event" in changes:
        _choice(changes["affects_event"], EventEffect, _("Effect on the event"))
    if "public_exposure" in changes:
        _choice(changes["public_exposure"], PublicExposure, _("Public exposure"))
    if "state" in changes:
        _choice(changes["state"], CaseState, _("State"))
    classification = changes.get("classification")
    if classification is not None and not isinstance(classification, Classification):
        raise ServiceError(_("Choose a valid value for %(field)s.")
                           % {"field": _("Classification")})
    if classification is not None and not classification.is_active:
        raise ServiceError(_("This classification is no longer in use."))
    assignee = changes.get("assignee")
    if assignee is not None and not case_handlers().filter(pk=assignee.pk).exists():
        raise ServiceError(_("Cases can only be assigned to the centre's incident staff."))
    now = now or timezone.now()
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        if locked.version != int(version):
            raise _conflict(locked)
        events = []
        new_state = changes.get("state", locked.state)
        if new_state != locked.state:
            if not permissions.can_transition(actor, locked.state, new_state):
                raise ServiceError(
                    _("You may not change a case from %(old)s to %(new)s.")
                    % {"old": CaseState(locked.state).label, "new": CaseState(new_state).label})
            events.append((CaseEvent.Kind.STATE, locked.state, new_state))
            if new_state in FINISHED_STATES:
                locked.closed_at = now
            elif locked.state in FINISHED_STATES:
                locked.closed_at = None
            if locked.state == CaseState.NEW and locked.first_response_at is None:
                locked.first_response_at = now
                events.append((CaseEvent.Kind.FIRST_RESPONSE, "", ""))
            locked.state = new_state
        for name, kind in (("severity", CaseEvent.Kind.SEVERITY),
                           ("affects_event", CaseEvent.Kind.EFFECT),
                           ("public_exposure", CaseEvent.Kind.EXPOSURE)):
            if name in changes and changes[name] != getattr(locked, name):
                events.append((kind, getattr(locked, name), changes[name]))
                setattr(locked, name, changes[name])
        if "classification" in changes and classification != locked.classification:
            events.append((CaseEvent.Kind.CLASSIFICATION,
                           locked.classification.code if locked.classification else "",
                           classification.code if classification else ""))
            locked.classification = classification
        if "assignee" in changes and assignee != locked.assignee:
            events.append((CaseEvent.Kind.ASSIGNEE,
                           locked.assignee.display_name if locked.assignee else "",
                           assignee.display_name if assignee else ""))
            locked.assignee = assignee
        escalated = is_escalated(locked.affects_event, locked.public_exposure)
        if escalated != locked.escalated:
            events.append((CaseEvent.Kind.ESCALATION, locked.escalated, escalated))
            locked.escalated = escalated
        if not events:
            return locked
        locked.version += 1
        locked.updated_at = now
        locked.save()
        for kind, old, new in events:
            _event(locked, actor, kind, old, new, at=now)
        audit.record(actor, "incident.case_update", locked,
                     changes={kind: [str(old), str(new)] for kind, old, new in events})
    return locked


def add_note(*, actor: User, case: Case, body: str, now=None) -> CaseNote:
    _require_handler(actor)
    body = _text(body, _("Note"), required=True)
    now = now or timezone.now()
    with transaction.atomic():
        note = CaseNote.objects.create(case=case, author=actor, body=body,
                                       body_html=render_markdown(body), created_at=now)
        _event(case, actor, CaseEvent.Kind.NOTE, text=_("Internal note added"), at=now)
        Case.objects.filter(pk=case.pk).update(updated_at=note.created_at)
        audit.record(actor, "incident.note", case, note=note.pk)
    return note


def add_task(*, actor: User, case: Case, title: str, kind: str = TaskKind.TASK,
             owner: User | None = None, due_at=None, target: str = "", target_kind: str = "",
             hosting_provider: str = "", requested_at=None, now=None) -> CaseTask:
    _require_handler(actor)
    _choice(kind, TaskKind, _("Kind"))
    title = _text(title, _("Task"), required=True, limit=SHORT_MAX)
    if owner is not None and not case_handlers().filter(pk=owner.pk).exists():
        raise ServiceError(_("Tasks can only be given to the centre's incident staff."))
    target = _text(target, _("Target URL or host"), limit=500)
    hosting_provider = _text(hosting_provider, _("Hosting provider"), limit=SHORT_MAX)
    if kind == TaskKind.TAKEDOWN:
        if not target:
            raise ServiceError(_("A takedown needs its target URL or host."))
        _choice(target_kind, TakedownTarget, _("Kind of target"))
    else:
        target, target_kind, hosting_provider, requested_at = "", "", "", None
    with transaction.atomic():
        task = CaseTask.objects.create(
            case=case, kind=kind, title=title, owner=owner, due_at=due_at, target=target,
            target_kind=target_kind, hosting_provider=hosting_provider,
            requested_at=requested_at, created_by=actor, created_at=now or timezone.now())
        _event(case, actor, CaseEvent.Kind.TASK, new=title, at=task.created_at,
               text=_("Takedown added") if kind == TaskKind.TAKEDOWN else _("Task added"))
        Case.objects.filter(pk=case.pk).update(updated_at=task.created_at)
        audit.record(actor, "incident.task", case, task=task.pk, kind=kind)
    return task


def update_task(*, actor: User, task: CaseTask, done: bool | None = None,
                requested: bool | None = None, now=None) -> CaseTask:
    _require_handler(actor)
    now = now or timezone.now()
    with transaction.atomic():
        texts = []
        if done is not None and bool(task.done_at) != done:
            task.done_at = now if done else None
            texts.append(_("Done") if done else _("Reopened"))
        if requested and task.kind == TaskKind.TAKEDOWN and task.requested_at is None:
            task.requested_at = now
            texts.append(_("Takedown requested"))
        if not texts:
            return task
        task.save()
        _event(task.case, actor, CaseEvent.Kind.TASK, new=task.title, text=", ".join(texts),
               at=now)
        Case.objects.filter(pk=task.case_id).update(updated_at=now)
        audit.record(actor, "incident.task_update", task.case, task=task.pk)
    return task


def link_cases(*, actor: User, case: Case, other: Case) -> CaseLink:
    _require_handler(actor)
    if case.pk == other.pk:
        raise ServiceError(_("A case cannot be linked to itself."))
    if CaseLink.objects.filter(from_case__in=[case, other], to_case__in=[case, other]).exists():
        raise ServiceError(_("These cases are already linked."))
    with transaction.atomic():
        link = CaseLink.objects.create(from_case=case, to_case=other, created_by=actor)
        _event(case, actor, CaseEvent.Kind.LINK, new=other.reference)
        _event(other, actor, CaseEvent.Kind.LINK, new=case.reference)
        audit.record(actor, "incident.link", case, other=other.pk)
    return link


def merge_duplicate(*, actor: User, duplicate: Case, into: Case, version: int) -> Case:
    """The duplicate is closed as a duplicate of `into`, linked to it, and both timelines say
    so; its thread stays with its own readers (nothing of it is copied into the other)."""
    _require_handler(actor)
    if not permissions.can_merge(actor):
        raise ServiceError(_("Only a commander or an incident controller may merge cases."))
    if duplicate.pk == into.pk:
        raise ServiceError(_("A case cannot be a duplicate of itself."))
    if into.state == CaseState.DUPLICATE:
        raise ServiceError(_("%(ref)s is itself a duplicate; merge into the case it duplicates.")
                           % {"ref": into.reference})
    with transaction.atomic():
        locked = update_case(actor=actor, case=duplicate, version=version,
                             state=CaseState.DUPLICATE)
        Case.objects.filter(pk=locked.pk).update(duplicate_of=into)
        if not CaseLink.objects.filter(from_case__in=[duplicate, into],
                                       to_case__in=[duplicate, into]).exists():
            CaseLink.objects.create(from_case=duplicate, to_case=into, created_by=actor)
        _event(duplicate, actor, CaseEvent.Kind.MERGE, new=into.reference,
               text=_("Closed as a duplicate of %(ref)s") % {"ref": into.reference})
        _event(into, actor, CaseEvent.Kind.MERGE, new=duplicate.reference,
               text=_("%(ref)s was merged into this case") % {"ref": duplicate.reference})
        Case.objects.filter(pk=into.pk).update(updated_at=timezone.now())
        audit.record(actor, "incident.merge", duplicate, into=into.pk)
    locked.refresh_from_db()
    return locked


# --- support requests to agencies ---------------------------------------------------------------

def request_support(*, actor: User, case: Case, agencies_named, kind: str, title: str, body: str,
                    attachment_ids=(), victim_may_read: bool = False, tlp: str | None = None,
                    now=None) -> list[SupportRequest]:
    """One topic per agency in the consultation window: the centre, that agency and (if allowed)
    the reporting organisation read it; only the text and files chosen here go along."""
    _require_handler(actor)
    if not permissions.can_request_support(actor):
        raise ServiceError(_("Your role may not ask agencies for support."))
    _choice(kind, SupportKind, _("Kind of support"))
    title = _text(title, _("Title"), required=True, limit=SHORT_MAX - 10)
    body = _text(body, _("What the agency is told"), required=True)
    ids = []
    for raw in agencies_named or ():
        try:
            ids.append(int(raw.pk if isinstance(raw, Organisation) else raw))
        except (TypeError, ValueError) as exc:
            raise ServiceError(_("Choose the agencies to ask.")) from exc
    chosen = list(agencies().filter(pk__in=ids))
    if not ids or len(chosen) != len(set(ids)):
        raise ServiceError(_("Choose one or more active security agencies to ask."))
    report_topic = case.report.topic
    files = list(Attachment.objects.filter(topic=report_topic, pk__in=list(attachment_ids)))
    if len(files) != len(set(attachment_ids)):
        raise ServiceError(_("Only files of this report can be shared with an agency."))
    tlp = tlp or report_topic.tlp
    now = now or timezone.now()
    audiences = [[*centre_organisations(), agency, *([case.organisation] if victim_may_read
                                                     else [])] for agency in chosen]
    if files:
        # The reporter's files are the report itself: they go only as far as its TLP allows.
        # The text is the centre's own, written for the agency.
        report = topic_item(report_topic)
        for audience in audiences:
            passing.check(report, replace(community_destination(
                report_topic.community, audience_mode=AudienceMode.CHOSEN,
                organisations=audience, author=actor), in_consultation=True),
                actor_organisation_id=actor.organisation_id)
    created = []
    with transaction.atomic():
        for agency, audience in zip(chosen, audiences, strict=True):
            topic = community_services.post_topic(
                actor=actor, community=report_topic.community,
                title=f"【{_support_prefix()}】{title}", body=body,
                kind=InformationKind.INCIDENT, tlp=tlp, audience_mode=AudienceMode.CHOSEN,
                audience_organisations=audience, now=now,
            )
            for attachment in files:
                Attachment.objects.create(
                    topic=topic, uploaded_by=actor, file=attachment.file.name,
                    original_name=attachment.original_name,
                    content_type=attachment.content_type, size=attachment.size,
                    sha256=attachment.sha256)
            if files:
                Topic.objects.filter(pk=topic.pk).update(attachment_count=len(files))
            request = SupportRequest.objects.create(
                case=case, agency=agency, kind=kind, topic=topic,
                victim_may_read=victim_may_read, created_by=actor, created_at=now)
            _event(case, actor, CaseEvent.Kind.SUPPORT, new=agency.name,
                   text=str(SupportKind(kind).label), at=now)
            audit.record(actor, "incident.support_request", case, agency=agency.name,
                         topic=topic.public_id, victim_may_read=victim_may_read)
            created.append(request)
        Case.objects.filter(pk=case.pk).update(updated_at=now)
    return created


def _support_prefix() -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return str(ReportKind.SUPPORT_REQUEST.label)


# --- duty log, settings ------------------------------------------------------------------------

def add_duty_log(*, actor: User, body: str, kind: str = DutyLogEntry.Kind.ENTRY,
                 case: Case | None = None, at=None) -> DutyLogEntry:
    _require_handler(actor)
    _choice(kind, DutyLogEntry.Kind, _("Kind"))
    body = _text(body, _("Entry"), required=True, limit=TEXT_MAX)
    with transaction.atomic():
        entry = DutyLogEntry.objects.create(kind=kind, author=actor, body=body, case=case,
                                            at=at or timezone.now())
        audit.record(actor, "incident.duty_log", entry, kind=kind)
    return entry


def save_classification(*, actor: User, code: str, name_ja: str, name_en: str, order: int = 0,
                        is_active: bool = True) -> Classification:
    if not permissions.can_change_settings(actor):
        raise ServiceError(_("Only a commander or an incident controller may change the "
                             "classes."))
    code = _text(code, _("Code"), required=True, limit=40)
    if not code.replace("_", "").replace("-", "").isalnum() or not code.isascii():
        raise ServiceError(_("A code has only letters, digits, - and _."))
    values = {"name_ja": _text(name_ja, _("Japanese name"), required=True, limit=100),
              "name_en": _text(name_en, _("English name"), required=True, limit=100),
              "order": int(order or 0), "is_active": bool(is_active)}
    with transaction.atomic():
        classification, _created = Classification.objects.update_or_create(
            code=code, defaults=values)
        audit.record(actor, "incident.classification", classification, **values)
    return classification


def set_response_target(*, actor: User, severity: str, first_response_minutes: int,
                        close_hours: int) -> ResponseTarget:
    if not permissions.can_change_settings(actor):
        raise ServiceError(_("Only a commander or an incident controller may change the "
                             "response targets."))
    _choice(severity, Severity, _("Severity"))
    try:
        minutes, hours = int(first_response_minutes), int(close_hours)
    except (TypeError, ValueError) as exc:
        raise ServiceError(_("Targets are whole numbers.")) from exc
    if not (1 <= minutes <= 100_000 and 1 <= hours <= 100_000):
        raise ServiceError(_("Targets lie between 1 and 100,000."))
    with transaction.atomic():
        target, _created = ResponseTarget.objects.update_or_create(
            severity=severity,
            defaults={"first_response_minutes": minutes, "close_hours": hours})
        audit.record(actor, "incident.response_target", target, severity=severity,
                     minutes=minutes, hours=hours)
    return target


# --- emergency contacts ------------------------------------------------------------------------

def save_contact(*, actor: User, organisation: Organisation, name: str, role: str = "",
                 phone: str = "", email: str = "", hours: str = "", order: int = 0,
                 contact: EmergencyContact | None = None) -> EmergencyContact:
    if not permissions.can_edit_contacts(actor, organisation):
        raise ServiceError(_("Only your organisation's admins keep its emergency contacts."))
    if contact is not None and contact.organisation_id != organisation.pk:
        raise ServiceError(_("Only your organisation's admins keep its emergency contacts."))
    values = {
        "name": _text(name, _("Name"), required=True, limit=150),
        "role": _text(role, _("Role"), limit=150),
        "phone": _text(phone, _("Phone"), limit=50),
        "email": _text(email, _("E-mail"), limit=254),
        "hours": _text(hours, _("Hours"), limit=100),
        "order": int(order or 0),
    }
    if not values["phone"] and not values["email"]:
        raise ServiceError(_("Give a phone number or an e-mail address."))
    now = timezone.now()
    with transaction.atomic():
        if contact is None:
            contact = EmergencyContact.objects.create(
                organisation=organisation, updated_at=now, confirmed_at=now,
                confirmed_by=actor, **values)
        else:
            for key, value in values.items():
                setattr(contact, key, value)
            contact.updated_at = contact.confirmed_at = now
            contact.confirmed_by = actor
            contact.save()
        audit.record(actor, "incident.contact_save", contact, organisation=organisation.name)
    return contact


def delete_contact(*, actor: User, contact: EmergencyContact) -> None:
    if not permissions.can_edit_contacts(actor, contact.organisation):
        raise ServiceError(_("Only your organisation's admins keep its emergency contacts."))
    with transaction.atomic():
        audit.record(actor, "incident.contact_delete", contact, name=contact.name)
        contact.delete()


def confirm_contacts(*, actor: User, organisation: Organisation) -> int:
    """The admins say the organisation's contacts are still right."""
    if not permissions.can_edit_contacts(actor, organisation):
        raise ServiceError(_("Only your organisation's admins keep its emergency contacts."))
    with transaction.atomic():
        count = EmergencyContact.objects.filter(organisation=organisation).update(
            confirmed_at=timezone.now(), confirmed_by=actor)
        if not count:
            raise ServiceError(_("Add at least one contact first."))
        audit.record(actor, "incident.contact_confirm", organisation, count=count)
    return count
