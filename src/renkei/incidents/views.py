"""Pages of the consultation window and the centre's case handling.

Every read goes through `sharing.incident_visibility` (missing and forbidden both answer 404);
every write through `incidents.services`. A refused request shows the service's message and
the page again with status 400 (409 for a case changed meanwhile), input kept.
"""

from collections import defaultdict

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from renkei.accounts.models import Organisation
from renkei.communities import services as community_services
from renkei.communities.models import Topic
from renkei.communities.paging import pinned_first_page
from renkei.errors import ServiceError
from renkei.http import post_data, refuse, show_errors
from renkei.incidents import permissions, selectors, services
from renkei.incidents.forms import (
    CaseForm,
    ClassificationForm,
    CommentForm,
    ContactForm,
    DutyLogForm,
    LinkForm,
    MergeForm,
    NoteForm,
    ReportForm,
    SupportRequestForm,
    TargetForm,
    TaskForm,
)
from renkei.incidents.models import (
    OPEN_STATES,
    Case,
    CaseEvent,
    CaseLink,
    CaseState,
    CaseTask,
    Classification,
    EmergencyContact,
    EventEffect,
    PublicExposure,
    ResponseTarget,
    Severity,
    ThreadRead,
)
from renkei.sharing.incident_visibility import (
    access_case,
    access_report,
    access_support_request,
    readable_case_notes,
    readable_cases,
    readable_contacts,
    readable_duty_log,
)
from renkei.sharing.visibility import readable_topics

CASES_PER_PAGE = 50
BOARD_PER_COLUMN = 30
REPORTS_PER_PAGE = 30
DUTY_LOG_PER_PAGE = 50


def _handler_only(user) -> None:
    """Case pages answer 404 to everyone but the centre's incident staff, as for a missing
    page: outsiders learn nothing from probing."""
    if not permissions.is_case_handler(user):
        raise Http404


# --- guide and the reports ---------------------------------------------------------------------

@login_required
def guide(request: HttpRequest) -> HttpResponse:
    centre_contacts = EmergencyContact.objects.filter(
        organisation__kind="centre", organisation__is_active=True).select_related("organisation")
    return render(request, "incidents/guide.html", {"centre_contacts": list(centre_contacts)})


@login_required
def report_list(request: HttpRequest) -> HttpResponse:
    reports = selectors.my_reports(request.user).defer("topic__body", "topic__body_html")
    page = pinned_first_page(reports.none(), reports, request.GET.get("page"), REPORTS_PER_PAGE)
    return render(request, "incidents/report_list.html", {
        "page": page, "is_handler": permissions.is_case_handler(request.user)})


@login_required
def report_new(request: HttpRequest) -> HttpResponse:
    user = request.user
    data, files = post_data(request)
    initial = None
    if data is None:
        initial = {"named": [str(o.pk) for o in services.proposed_recipients(user)]}
    form = ReportForm(data, files, user=user, initial=initial)
    status = 200
    if data is not None:
        if form.is_valid():
            try:
                report = services.file_report(
                    actor=user, data=form.report_input(), named=form.cleaned_data["named"],
                    attachments=form.cleaned_data["attachments"])
            except ServiceError as exc:
                show_errors(request, exc)
            else:
                messages.success(request, _("Your report was sent. The centre and the bodies "
                                            "you named can read it now."))
                return redirect("incidents:report", pk=report.pk)
        status = 400
    return render(request, "incidents/report_form.html", {"form": form, "editing": False},
                  status=status)


def _thread(topic: Topic) -> tuple[list, list]:
    files = defaultdict(list)
    for attachment in topic.attachments.all():
        files[attachment.comment_id].append(attachment)
    comments = list(topic.comments.select_related("author__organisation"))
    for comment in comments:
        comment.files = files.get(comment.id, [])
    return comments, files.get(None, [])


def _reads(topic: Topic) -> list[dict]:
    """Per organisation of the audience: when it first and last read the thread."""
    reads = {r.organisation_id: r for r in ThreadRead.objects.filter(topic=topic)}
    rows = []
    for organisation in topic.audience_organisations.order_by("kind", "name"):
        read = reads.get(organisation.pk)
        rows.append({"organisation": organisation, "first": read and read.first_read_at,
                     "last": read and read.last_read_at})
    return rows


def _report_page(request, report, *, comment_form=None, status=200) -> HttpResponse:
    user = request.user
    topic = report.topic
    comments, topic_files = _thread(topic)
    case = Case.objects.filter(report=report).only("id", "state").first()
    return render(request, "incidents/report_detail.html", {
        "report": report, "topic": topic, "comments": comments, "topic_files": topic_files,
        "reads": _reads(topic), "case": case,
        "case_visible": case is not None and permissions.is_case_handler(user),
        "case_finished": case is not None and case.is_finished,
        "can_edit": permissions.can_edit_report(user, report),
        "support_requests": list(report.case.support_requests.select_related("topic", "agency")
                                 .filter(topic__in=readable_topics(user).values("id")))
        if case else [],
        "comment_form": comment_form or CommentForm(),
    }, status=status)


@login_required
def report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    report = access_report(request.user, pk)
    community_services.record_view(report.topic, reader=request.user)
    services.record_thread_read(request.user, report.topic)
    return _report_page(request, report)


@login_required
@require_POST
def report_comment(request: HttpRequest, pk: int) -> HttpResponse:
    report = access_report(request.user, pk)
    form = CommentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            comment = community_services.add_comment(
                actor=request.user, topic=report.topic, body=form.cleaned_data["body"],
                attachments=form.cleaned_data["attachments"])
        except ServiceError as exc:
            show_errors(request, exc)
        else:
            services.record_thread_read(request.user, report.topic)
            return redirect(reverse("incidents:report", args=[report.pk])
                            + f"#comment-{comment.pk}")
    return _report_page(request, report, comment_form=form, status=400)


@login_required
def report_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    report = access_report(user, pk)
    back = reverse("incidents:report", args=[report.pk])
    if not permissions.can_edit_report(user, report):
        return refuse(request, _("Only the reporter and the admins of the reporting "
                                  "organisation may edit this report."), back)
    data, files = post_data(request)
    form = ReportForm(data, files, user=user,
                      initial=ReportForm.initial_for(report) if data is None else None)
    status = 200
    if data is not None:
        if form.is_valid():
            try:
                services.edit_report(actor=user, report=report, data=form.report_input(),
                                     named=form.cleaned_data["named"],
                                     attachments=form.cleaned_data["attachments"])
            except ServiceError as exc:
                show_errors(request, exc)
            else:
                messages.success(request, _("The report was updated."))
                return redirect(back)
        status = 400
    return render(request, "incidents/report_form.html", {
        "form": form, "editing": True, "report": report, "back": back}, status=status)


# --- the duty officer's list and board ----------------------------------------------------------

def _filter_context(request, case_filter) -> dict:
    return {
        "filter": case_filter, "query": case_filter.query_string(),
        "states": CaseState.choices, "severities": Severity.choices,
        "classifications": list(Classification.objects.all()),
        "handlers": list(services.case_handlers()),
    }


def _fill(rows: list[dict], context: dict, now) -> list[dict]:
    """Names, labels and overdue flags of a page's rows, from the filter bar's menus."""
    return selectors.fill_rows(rows, classifications=context["classifications"],
                               handlers=context["handlers"], now=now)


@login_required
def case_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    _handler_only(user)
    case_filter = selectors.CaseFilter.from_query(request.GET)
    now = timezone.now()
    cases = selectors.case_rows(case_filter.apply(selectors.centre_cases(user), now)).order_by(
        "-updated_at", "-id")
    page = selectors.case_page(cases, request.GET.get("page"), CASES_PER_PAGE)
    context = _filter_context(request, case_filter)
    _fill(page.object_list, context, now)
    return render(request, "incidents/case_list.html", {"page": page, **context})


@login_required
def case_board(request: HttpRequest) -> HttpResponse:
    """Open cases in columns by state; the newest activity first in each."""
    user = request.user
    _handler_only(user)
    case_filter = selectors.CaseFilter.from_query(request.GET)
    now = timezone.now()
    base = selectors.case_rows(case_filter.apply(selectors.centre_cases(user), now))
    columns = []
    for state in OPEN_STATES:
        if case_filter.state and case_filter.state != state:
            continue
        rows = list(base.filter(state=state).order_by("-updated_at", "-id")
                    [:BOARD_PER_COLUMN + 1])
        columns.append({"state": state, "label": CaseState(state).label,
                        "cases": rows[:BOARD_PER_COLUMN],
                        "more": len(rows) > BOARD_PER_COLUMN})
    context = _filter_context(request, case_filter)
    # One fill for all columns: one query for the organisations of the whole board.
    _fill([row for column in columns for row in column["cases"]], context, now)
    return render(request, "incidents/case_board.html", {"columns": columns, **context})


# --- one case --------------------------------------------------------------------------------

def _case_page(request, case, *, case_form=None, note_form=None, task_form=None,
               link_form=None, merge_form=None, status=200) -> HttpResponse:
    user = request.user
    selectors.flag_overdue([case])
    links = CaseLink.objects.filter(Q(from_case=case) | Q(to_case=case)).select_related(
        "from_case", "to_case")
    related = [link.to_case if link.from_case_id == case.pk else link.from_case
               for link in links]
    topic = case.report.topic
    return render(request, "incidents/case_detail.html", {
        "case": case, "report": case.report, "topic": topic,
        "case_form": case_form or CaseForm(case=case, allowed_states=permissions
                                           .allowed_transitions(user, case.state)),
        "note_form": note_form or NoteForm(), "task_form": task_form or TaskForm(),
        "link_form": link_form or LinkForm(), "merge_form": merge_form or MergeForm(
            initial={"version": case.version}),
        "events": _labelled(case.events.select_related("actor__organisation")
                            .order_by("-at", "-id")),
        "notes": list(readable_case_notes(user).filter(case=case)
                      .select_related("author__organisation")),
        "tasks": list(case.tasks.select_related("owner")),
        "related": related,
        "support_requests": list(case.support_requests.select_related("agency", "topic")
                                 .annotate(answers=Count("topic__comments"))),
        "reads": _reads(topic),
        "can_merge": permissions.can_merge(user),
        "can_request_support": permissions.can_request_support(user),
    }, status=status)


_EVENT_CHOICES = {
    CaseEvent.Kind.OPENED: CaseState, CaseEvent.Kind.STATE: CaseState,
    CaseEvent.Kind.SEVERITY: Severity, CaseEvent.Kind.EFFECT: EventEffect,
    CaseEvent.Kind.EXPOSURE: PublicExposure,
}


def _labelled(events) -> list:
    """Timeline values in the reader's language (stored as codes)."""
    classes = {c.code: c.name for c in Classification.objects.all()}
    yes_no = {"True": _("yes"), "False": _("no")}
    events = list(events)
    for event in events:
        choices = _EVENT_CHOICES.get(event.kind)

        def label(value, choices=choices, kind=event.kind):
            if not value:
                return ""
            if choices is not None and value in choices.values:
                return choices(value).label
            if kind == CaseEvent.Kind.CLASSIFICATION:
                return classes.get(value, value)
            if kind == CaseEvent.Kind.ESCALATION:
                return yes_no.get(value, value)
            return value

        event.old_label, event.new_label = label(event.old), label(event.new)
    return events


@login_required
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    case = access_case(request.user, pk)
    return _case_page(request, case)


def _case_action(request, pk, form_class, name, act, done) -> HttpResponse:
    """Parse one form of the case page, call the service, and go back to the page."""
    user = request.user
    case = access_case(user, pk)
    form = form_class(request.POST)
    if form.is_valid():
        try:
            act(user, case, form.cleaned_data)
        except ServiceError as exc:
            show_errors(request, exc)
            case = access_case(user, pk)
            return _case_page(request, case, status=409 if "version" in form.cleaned_data
                              and _stale(case, form) else 400, **{name: form})
        messages.success(request, done)
        return redirect("incidents:case", pk=case.pk)
    return _case_page(request, case, status=400, **{name: form})


def _stale(case, form) -> bool:
    return form.cleaned_data.get("version") != case.version


def _other_case(user, pk) -> Case:
    try:
        return access_case(user, pk)
    except Http404 as exc:
        raise ServiceError(_("There is no case %(ref)s.") % {"ref": f"INC-{pk:06d}"}) from exc


@login_required
@require_POST
def case_update(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    case = access_case(user, pk)
    form = CaseForm(request.POST, case=case,
                    allowed_states=permissions.allowed_transitions(user, case.state))
    if form.is_valid():
        data = dict(form.cleaned_data)
        version = data.pop("version")
        try:
            services.update_case(actor=user, case=case, version=version, **data)
        except ServiceError as exc:
            show_errors(request, exc)
            fresh = access_case(user, pk)
            return _case_page(request, fresh, case_form=form,
                              status=409 if fresh.version != version else 400)
        messages.success(request, _("The case was updated."))
        return redirect("incidents:case", pk=case.pk)
    return _case_page(request, case, case_form=form, status=400)


@login_required
@require_POST
def case_note(request: HttpRequest, pk: int) -> HttpResponse:
    return _case_action(request, pk, NoteForm, "note_form",
                        lambda user, case, data: services.add_note(actor=user, case=case,
                                                                   body=data["body"]),
                        _("The note was added."))


@login_required
@require_POST
def case_task(request: HttpRequest, pk: int) -> HttpResponse:
    return _case_action(request, pk, TaskForm, "task_form",
                        lambda user, case, data: services.add_task(actor=user, case=case, **data),
                        _("The task was added."))


@login_required
@require_POST
def task_update(request: HttpRequest, pk: int, task_id: int) -> HttpResponse:
    user = request.user
    case = access_case(user, pk)
    task = CaseTask.objects.filter(case=case, pk=task_id).first()
    if task is None:
        raise Http404
    action = request.POST.get("action")
    try:
        services.update_task(actor=user, task=task, done={"done": True, "undo": False}.get(action),
                             requested=action == "requested")
    except ServiceError as exc:
        show_errors(request, exc)
    return redirect("incidents:case", pk=case.pk)


@login_required
@require_POST
def case_link(request: HttpRequest, pk: int) -> HttpResponse:
    return _case_action(
        request, pk, LinkForm, "link_form",
        lambda user, case, data: services.link_cases(
            actor=user, case=case, other=_other_case(user, data["other"])),
        _("The cases are linked."))


@login_required
@require_POST
def case_merge(request: HttpRequest, pk: int) -> HttpResponse:
    return _case_action(
        request, pk, MergeForm, "merge_form",
        lambda user, case, data: services.merge_duplicate(
            actor=user, duplicate=case, into=_other_case(user, data["into"]),
            version=data["version"]),
        _("The case was closed as a duplicate."))


# --- support requests --------------------------------------------------------------------------

@login_required
def support_new(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    case = access_case(user, pk)
    back = reverse("incidents:case", args=[case.pk])
    if not permissions.can_request_support(user):
        return refuse(request, _("Your role may not ask agencies for support."), back)
    data = request.POST if request.method == "POST" else None
    form = SupportRequestForm(data, case=case)
    status = 200
    if data is not None:
        if form.is_valid():
            cleaned = form.cleaned_data
            try:
                services.request_support(
                    actor=user, case=case, agencies_named=list(cleaned["agencies"]),
                    kind=cleaned["kind"], title=cleaned["title"], body=cleaned["body"],
                    attachment_ids=[int(i) for i in cleaned["files"]],
                    victim_may_read=cleaned["victim_may_read"], tlp=cleaned["tlp"])
            except ServiceError as exc:
                show_errors(request, exc)
            else:
                messages.success(request, _("The agencies were asked for support."))
                return redirect(back)
        status = 400
    return render(request, "incidents/support_form.html", {
        "form": form, "case": case, "back": back}, status=status)


def _support_page(request, support, *, comment_form=None, status=200) -> HttpResponse:
    comments, topic_files = _thread(support.topic)
    return render(request, "incidents/support_detail.html", {
        "support": support, "topic": support.topic, "comments": comments,
        "topic_files": topic_files, "reads": _reads(support.topic),
        "is_handler": permissions.is_case_handler(request.user),
        "comment_form": comment_form or CommentForm(),
    }, status=status)


@login_required
def support_detail(request: HttpRequest, pk: int) -> HttpResponse:
    support = access_support_request(request.user, pk)
    community_services.record_view(support.topic, reader=request.user)
    services.record_thread_read(request.user, support.topic)
    return _support_page(request, support)


@login_required
@require_POST
def support_comment(request: HttpRequest, pk: int) -> HttpResponse:
    support = access_support_request(request.user, pk)
    form = CommentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            comment = community_services.add_comment(
                actor=request.user, topic=support.topic, body=form.cleaned_data["body"],
                attachments=form.cleaned_data["attachments"])
        except ServiceError as exc:
            show_errors(request, exc)
        else:
            services.record_thread_read(request.user, support.topic)
            return redirect(reverse("incidents:support", args=[support.pk])
                            + f"#comment-{comment.pk}")
    return _support_page(request, support, comment_form=form, status=400)


# --- duty log ----------------------------------------------------------------------------------

@login_required
def duty_log(request: HttpRequest) -> HttpResponse:
    user = request.user
    _handler_only(user)
    form = DutyLogForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                case = _other_case(user, data["case"]) if data["case"] else None
                services.add_duty_log(actor=user, body=data["body"], kind=data["kind"],
                                      case=case)
            except ServiceError as exc:
                show_errors(request, exc)
            else:
                messages.success(request, _("The entry was added to the duty log."))
                return redirect("incidents:duty_log")
        status = 400
    entries = readable_duty_log(user).select_related("author__organisation", "case")
    page = pinned_first_page(entries.none(), entries, request.GET.get("page"),
                             DUTY_LOG_PER_PAGE)
    open_cases = readable_cases(user).filter(state__in=OPEN_STATES)
    return render(request, "incidents/duty_log.html", {
        "form": form, "page": page,
        "open_count": open_cases.count(),
        "escalated_count": open_cases.filter(escalated=True).count(),
        "overdue_count": open_cases.filter(selectors.overdue_q()).count(),
    }, status=status)


# --- settings: classes and response targets ------------------------------------------------------

@login_required
def case_settings(request: HttpRequest) -> HttpResponse:
    user = request.user
    _handler_only(user)
    may_change = permissions.can_change_settings(user)
    status = 200
    class_form = ClassificationForm(request.POST if request.POST.get("form") == "class"
                                    else None)
    if request.method == "POST":
        if not may_change:
            return refuse(request, _("Only a commander or an incident controller may change "
                                      "the classes and response targets."),
                           reverse("incidents:settings"))
        try:
            if request.POST.get("form") == "class":
                if not class_form.is_valid():
                    raise ServiceError(_("Check the class's fields."))
                services.save_classification(actor=user, **class_form.cleaned_data)
            else:
                form = TargetForm(request.POST)
                if not form.is_valid():
                    raise ServiceError(_("Targets lie between 1 and 100,000."))
                services.set_response_target(actor=user, **form.cleaned_data)
        except ServiceError as exc:
            show_errors(request, exc)
            status = 400
        else:
            messages.success(request, _("Saved."))
            return redirect("incidents:settings")
    targets = {t.severity: t for t in ResponseTarget.objects.all()}
    target_forms = [(label, TargetForm(initial={
        "severity": value,
        "first_response_minutes": getattr(targets.get(value), "first_response_minutes", 60),
        "close_hours": getattr(targets.get(value), "close_hours", 168)}))
        for value, label in Severity.choices]
    return render(request, "incidents/settings.html", {
        "target_forms": target_forms, "classifications": list(Classification.objects.all()),
        "class_form": class_form, "may_change": may_change}, status=status)


# --- emergency contacts ------------------------------------------------------------------------

@login_required
def contacts(request: HttpRequest) -> HttpResponse:
    user = request.user
    rows = readable_contacts(user).select_related("organisation", "confirmed_by")
    query = request.GET.get("q", "").strip()[:100]
    if query:
        rows = rows.filter(Q(organisation__name__icontains=query) | Q(name__icontains=query))
    grouped: dict[int, dict] = {}
    for contact in rows.order_by("organisation__kind", "organisation__name", "order", "id"):
        group = grouped.setdefault(contact.organisation_id, {
            "organisation": contact.organisation, "contacts": [], "confirmed": None})
        group["contacts"].append(contact)
        if contact.confirmed_at and (group["confirmed"] is None
                                     or contact.confirmed_at < group["confirmed"]):
            group["confirmed"] = contact.confirmed_at
    return render(request, "incidents/contacts.html", {
        "groups": list(grouped.values()), "query": query,
        "can_edit": permissions.can_edit_contacts(user, user.organisation),
        "whole": permissions.reads_whole_directory(user),
    })


@login_required
def contacts_edit(request: HttpRequest) -> HttpResponse:
    """The organisation's admins keep its own contacts: add, change, remove, confirm."""
    user = request.user
    organisation: Organisation = user.organisation
    back = reverse("incidents:contacts")
    if not permissions.can_edit_contacts(user, organisation):
        return refuse(request, _("Only your organisation's admins keep its emergency "
                                  "contacts."), back)
    own = list(EmergencyContact.objects.filter(organisation=organisation))
    status = 200
    form = ContactForm()
    if request.method == "POST":
        action = request.POST.get("action", "save")
        contact = None
        if request.POST.get("contact"):
            contact = next((c for c in own if str(c.pk) == request.POST["contact"]), None)
            if contact is None:
                raise Http404
        try:
            if action == "confirm":
                services.confirm_contacts(actor=user, organisation=organisation)
                messages.success(request, _("Thank you: the contacts are marked as confirmed "
                                            "today."))
                return redirect("incidents:contacts_edit")
            if action == "delete" and contact is not None:
                services.delete_contact(actor=user, contact=contact)
                messages.success(request, _("The contact was removed."))
                return redirect("incidents:contacts_edit")
            form = ContactForm(request.POST)
            if not form.is_valid():
                raise ServiceError(_("Check the contact's fields."))
            services.save_contact(actor=user, organisation=organisation, contact=contact,
                                  **form.cleaned_data)
        except ServiceError as exc:
            show_errors(request, exc)
            status = 400
        else:
            messages.success(request, _("The contact was saved."))
            return redirect("incidents:contacts_edit")
    for contact in own:
        contact.form = ContactForm(initial={
            "name": contact.name, "role": contact.role, "phone": contact.phone,
            "email": contact.email, "hours": contact.hours, "order": contact.order},
            auto_id=f"c{contact.pk}_%s")
    return render(request, "incidents/contacts_edit.html", {
        "own": own, "form": form, "organisation": organisation}, status=status)
