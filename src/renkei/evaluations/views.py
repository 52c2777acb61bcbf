"""Pages for cross-sectional risk evaluations.

Reads go through `sharing/evaluation_visibility.py` (missing and forbidden both answer 404);
writes go through `evaluations.services`. Pages only the centre's assessors use answer 404 to
everyone else, like everything else nobody else may see. A refused request shows the service's
message on the same page with status 400, with the input kept.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from renkei.errors import ServiceError
from renkei.evaluations import selectors, services
from renkei.evaluations.forms import (
    ActivityForm,
    EvaluationForm,
    FindingForm,
    ItemForm,
    NoteForm,
    ScenarioForm,
    StepFormSet,
    TemplateForm,
    step_inputs,
)
from renkei.evaluations.models import (
    STATE_ORDER,
    ChecklistTemplate,
    EvaluationState,
    FindingState,
    Method,
    Result,
)
from renkei.http import as_download, show_errors
from renkei.sharing.evaluation_visibility import (
    access_evaluation,
    access_evidence,
    access_finding,
    access_item,
    access_scenario,
    may_assess,
)

PER_PAGE = 50


def _assessor_only(request: HttpRequest) -> None:
    if not may_assess(request.user):
        raise Http404


def _data(request: HttpRequest):
    return (request.POST, request.FILES) if request.method == "POST" else (None, None)


def _evaluation_url(evaluation, anchor: str = "") -> str:
    url = reverse("evaluations:detail", args=[evaluation.pk])
    return f"{url}#{anchor}" if anchor else url


def _fixed(request: HttpRequest, evaluation) -> HttpResponse | None:
    """Forms for scenarios, items and new findings are not offered once the report is out."""
    if evaluation.is_working:
        return None
    messages.error(request, services.reported_message())
    return redirect(_evaluation_url(evaluation))


def _form_page(request, template: str, context: dict, status: int) -> HttpResponse:
    return render(request, f"evaluations/{template}", context, status=status)


# --- lists -----------------------------------------------------------------------------------

@login_required
def evaluation_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    state = request.GET.get("state", "")
    if state not in STATE_ORDER:
        state = ""
    rows = selectors.evaluation_rows(user, state)
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "evaluations/list.html", {
        "page": page, "state": state, "states": EvaluationState.choices,
        "is_assessor": may_assess(user),
    })


@login_required
def finding_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    state = request.GET.get("state", "not_closed")
    if state not in {"", "not_closed", *FindingState.values}:
        state = "not_closed"
    overdue = request.GET.get("overdue") == "1"
    rows = selectors.finding_rows(user, state, services.today() if overdue else None)
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "evaluations/findings.html", {
        "page": page, "state": state, "overdue": overdue, "states": FindingState.choices,
        "today": services.today(), "is_assessor": may_assess(user),
    })


# --- one evaluation --------------------------------------------------------------------------

@login_required
def evaluation_create(request: HttpRequest) -> HttpResponse:
    _assessor_only(request)
    data, _files = _data(request)
    form = EvaluationForm(data, initial={"evaluators": [request.user.pk]})
    if data is not None and form.is_valid():
        try:
            evaluation = services.create_evaluation(actor=request.user, **form.cleaned_data)
        except ServiceError as exc:
            show_errors(request, exc)
        else:
            messages.success(request, _("The evaluation was created."))
            return redirect(_evaluation_url(evaluation))
    return _form_page(request, "form.html", {
        "form": form, "heading": _("New evaluation"), "back": reverse("evaluations:list"),
    }, 400 if data is not None else 200)


@login_required
def evaluation_detail(request: HttpRequest, evaluation_id: int) -> HttpResponse:
    evaluation = access_evaluation(request.user, evaluation_id)
    return _detail_page(request, evaluation)


def _detail_page(request, evaluation, status: int = 200) -> HttpResponse:
    user = request.user
    assessor = may_assess(user)
    position = STATE_ORDER.index(evaluation.state)
    next_state = STATE_ORDER[position + 1] if position + 1 < len(STATE_ORDER) else None
    return render(request, "evaluations/detail.html", {
        "evaluation": evaluation, "report": selectors.report(evaluation),
        "is_assessor": assessor, "can_work": assessor and evaluation.is_working,
        "next_state": next_state,
        "next_state_label": EvaluationState(next_state).label if next_state else "",
        "evaluators": list(evaluation.evaluators.select_related("organisation")),
        "templates": ChecklistTemplate.objects.all() if assessor and evaluation.is_working
        else [],
        "today": services.today(),
    }, status=status)


def _result_labels() -> dict:
    return {**dict(Result.choices), "unchecked": _("Not checked yet")}


@login_required
def evaluation_edit(request: HttpRequest, evaluation_id: int) -> HttpResponse:
    _assessor_only(request)
    evaluation = access_evaluation(request.user, evaluation_id)
    data, _files = _data(request)
    form = EvaluationForm(data, editing=True, initial={
        "title": evaluation.title, "scope": evaluation.scope, "summary": evaluation.summary,
        "period_start": evaluation.period_start, "period_end": evaluation.period_end,
        "evaluators": list(evaluation.evaluators.values_list("pk", flat=True)),
    })
    if data is not None and form.is_valid():
        try:
            services.update_evaluation(actor=request.user, evaluation=evaluation,
                                       **form.cleaned_data)
        except ServiceError as exc:
            show_errors(request, exc)
        else:
            messages.success(request, _("The evaluation was saved."))
            return redirect(_evaluation_url(evaluation))
    return _form_page(request, "form.html", {
        "form": form, "heading": _("Edit evaluation"), "evaluation": evaluation,
        "back": _evaluation_url(evaluation),
    }, 400 if data is not None else 200)


@require_POST
@login_required
def evaluation_advance(request: HttpRequest, evaluation_id: int) -> HttpResponse:
    _assessor_only(request)
    evaluation = access_evaluation(request.user, evaluation_id)
    try:
        evaluation = services.advance_evaluation(actor=request.user, evaluation=evaluation,
                                                 to_state=request.POST.get("to", ""))
    except ServiceError as exc:
        show_errors(request, exc)
        return _detail_page(request, evaluation, status=400)
    messages.success(request, _("The evaluation is now: %(state)s")
                     % {"state": evaluation.get_state_display()})
    return redirect(_evaluation_url(evaluation))


# --- scenarios -------------------------------------------------------------------------------

@login_required
def scenario_edit(request: HttpRequest, evaluation_id: int,
                  scenario_id: int | None = None) -> HttpResponse:
    _assessor_only(request)
    if scenario_id is None:
        evaluation, scenario = access_evaluation(request.user, evaluation_id), None
        initial, steps = {}, [{"order": n} for n in (1, 2, 3)]
    else:
        scenario = access_scenario(request.user, evaluation_id, scenario_id)
        evaluation = scenario.evaluation
        initial = {"title": scenario.title, "description": scenario.description}
        steps = list(scenario.steps.values("id", "order", "phase", "actor", "action",
                                           "resource"))
    if (fixed := _fixed(request, evaluation)) is not None:
        return fixed
    data, _files = _data(request)
    form = ScenarioForm(data, initial=initial)
    formset = StepFormSet(data, initial=None if data is not None else steps, prefix="steps")
    if data is not None and form.is_valid():
        try:
            scenario = services.save_scenario(
                actor=request.user, evaluation=evaluation, scenario=scenario,
                steps=step_inputs(formset), **form.cleaned_data)
        except ServiceError as exc:
            show_errors(request, exc)
        else:
            messages.success(request, _("The scenario was saved."))
            return redirect(_evaluation_url(evaluation, f"scenario-{scenario.pk}"))
    return _form_page(request, "scenario_form.html", {
        "form": form, "formset": formset, "evaluation": evaluation, "scenario": scenario,
        "back": _evaluation_url(evaluation),
    }, 400 if data is not None else 200)


@require_POST
@login_required
def scenario_delete(request: HttpRequest, evaluation_id: int, scenario_id: int) -> HttpResponse:
    _assessor_only(request)
    scenario = access_scenario(request.user, evaluation_id, scenario_id)
    try:
        services.delete_scenario(actor=request.user, scenario=scenario)
    except ServiceError as exc:
        show_errors(request, exc)
        return _detail_page(request, scenario.evaluation, status=400)
    messages.success(request, _("The scenario was deleted."))
    return redirect(_evaluation_url(scenario.evaluation))


# --- checklists and items --------------------------------------------------------------------

@require_POST
@login_required
def checklist_add(request: HttpRequest, evaluation_id: int) -> HttpResponse:
    _assessor_only(request)
    evaluation = access_evaluation(request.user, evaluation_id)
    template = ChecklistTemplate.objects.filter(
        pk=request.POST.get("template") if str(request.POST.get("template")).isdigit() else None
    ).first()
    if template is None:
        messages.error(request, _("Choose a checklist."))
        return _detail_page(request, evaluation, status=400)
    try:
        checklist = services.add_checklist(actor=request.user, evaluation=evaluation,
                                           template=template)
    except ServiceError as exc:
        show_errors(request, exc)
        return _detail_page(request, evaluation, status=400)
    messages.success(request, _("The checklist was added."))
    return redirect(_evaluation_url(evaluation, f"checklist-{checklist.pk}"))


@login_required
def item_create(request: HttpRequest, evaluation_id: int) -> HttpResponse:
    _assessor_only(request)
    evaluation = access_evaluation(request.user, evaluation_id)
    scenario = checklist = None
    where = request.GET.get("scenario") or request.POST.get("scenario")
    if where:
        scenario = access_scenario(request.user, evaluation.pk, where)
    else:
        where = request.GET.get("checklist") or request.POST.get("checklist")
        if not str(where).isdigit():
            raise Http404
        checklist = get_object_or_404(evaluation.checklists, pk=int(where))
    if (fixed := _fixed(request, evaluation)) is not None:
        return fixed
    data, _files = _data(request)
    form = ItemForm(data, scenario=scenario)
    if data is not None and form.is_valid():
        try:
            item = services.add_item(actor=request.user, evaluation=evaluation,
                                     scenario=scenario, checklist=checklist, **form.cleaned_data)
        except ServiceError as exc:
            show_errors(request, exc)
        else:
            messages.success(request, _("The verification item was added."))
            return redirect(_evaluation_url(evaluation, f"item-{item.pk}"))
    return _form_page(request, "form.html", {
        "form": form, "heading": _("New verification item"), "evaluation": evaluation,
        "parent": scenario or checklist, "back": _evaluation_url(evaluation),
        "hidden": {"scenario": scenario.pk} if scenario else {"checklist": checklist.pk},
    }, 400 if data is not None else 200)


@login_required
def item_detail(request: HttpRequest, evaluation_id: int, item_id: int) -> HttpResponse:
    item = access_item(request.user, evaluation_id, item_id)
    evaluation = item.evaluation
    assessor = may_assess(request.user)
    data, files = _data(request)
    if data is not None and not assessor:
        raise Http404
    form = ActivityForm(data, files, initial={"conducted_on": services.today(),
                                              "method": item.method})
    status = 200
    if data is not None:
        if form.is_valid():
            try:
                services.record_activity(actor=request.user, item=item, **form.cleaned_data)
            except ServiceError as exc:
                show_errors(request, exc)
            else:
                messages.success(request, _("The activity was recorded."))
                return redirect("evaluations:item", evaluation.pk, item.pk)
        status = 400
    return render(request, "evaluations/item.html", {
        "evaluation": evaluation, "item": item, "form": form,
        "activities": item.activities.select_related("recorded_by__organisation")
        .prefetch_related("evidence"),
        "findings": item.findings.all(),
        "can_work": assessor and evaluation.is_working,
    }, status=status)


@require_POST
@login_required
def item_delete(request: HttpRequest, evaluation_id: int, item_id: int) -> HttpResponse:
    _assessor_only(request)
    item = access_item(request.user, evaluation_id, item_id)
    try:
        services.delete_item(actor=request.user, item=item)
    except ServiceError as exc:
        show_errors(request, exc)
        return _detail_page(request, item.evaluation, status=400)
    messages.success(request, _("The verification item was deleted."))
    return redirect(_evaluation_url(item.evaluation))


@login_required
def evidence_download(request: HttpRequest, evidence_id: int) -> HttpResponse:
    """Only ever a download, and only when the evaluation is readable."""
    evidence = access_evidence(request.user, evidence_id)
    try:
        handle = default_storage.open(evidence.file.name, "rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(handle, as_attachment=True, filename=evidence.original_name,
                            content_type="application/octet-stream")
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- findings --------------------------------------------------------------------------------

@login_required
def finding_edit(request: HttpRequest, evaluation_id: int,
                 finding_id: int | None = None) -> HttpResponse:
    _assessor_only(request)
    if finding_id is None:
        evaluation, finding = access_evaluation(request.user, evaluation_id), None
        item_id = request.GET.get("item")
        initial = {"item": item_id} if str(item_id).isdigit() else {}
        if (fixed := _fixed(request, evaluation)) is not None:
            return fixed
    else:
        finding = access_finding(request.user, evaluation_id, finding_id)
        evaluation = finding.evaluation
        initial = {name: getattr(finding, name) for name in (
            "title", "severity", "description", "proposal", "due_date", "owner", "item")}
    data, _files = _data(request)
    form = FindingForm(data, evaluation=evaluation, initial=initial)
    if data is not None and form.is_valid():
        try:
            if finding is None:
                finding = services.create_finding(actor=request.user, evaluation=evaluation,
                                                  **form.cleaned_data)
            else:
                finding = services.update_finding(actor=request.user, finding=finding,
                                                  **form.cleaned_data)
        except ServiceError as exc:
            show_errors(request, exc)
        else:
            messages.success(request, _("The finding was saved."))
            return redirect("evaluations:finding", evaluation.pk, finding.pk)
    return _form_page(request, "form.html", {
        "form": form, "evaluation": evaluation,
        "heading": _("Edit finding") if finding else _("New finding"),
        "back": reverse("evaluations:finding", args=[evaluation.pk, finding.pk]) if finding
        else _evaluation_url(evaluation),
    }, 400 if data is not None else 200)


FINDING_ACTIONS = {
    "progress": lambda actor, finding, note: services.report_progress(
        actor=actor, finding=finding, note=note),
    "fixed": lambda actor, finding, note: services.report_progress(
        actor=actor, finding=finding, note=note, fixed=True),
    "close": lambda actor, finding, note: services.close_finding(
        actor=actor, finding=finding, note=note),
    "reopen": lambda actor, finding, note: services.reopen_finding(
        actor=actor, finding=finding, note=note),
    "comment": lambda actor, finding, note: services.comment_on_finding(
        actor=actor, finding=finding, note=note),
}


@login_required
def finding_detail(request: HttpRequest, evaluation_id: int, finding_id: int) -> HttpResponse:
    user = request.user
    finding = access_finding(user, evaluation_id, finding_id)
    evaluation = finding.evaluation
    data, _files = _data(request)
    form = NoteForm(data)
    status = 200
    if data is not None:
        action = FINDING_ACTIONS.get(request.POST.get("action", ""))
        if action is None:
            messages.error(request, _("Unknown action."))
        elif form.is_valid():
            try:
                action(user, finding, form.cleaned_data["note"])
            except ServiceError as exc:
                show_errors(request, exc)
            else:
                messages.success(request, _("The finding was updated."))
                return redirect("evaluations:finding", evaluation.pk, finding.pk)
        status = 400
    assessor = may_assess(user)
    open_evaluation = evaluation.state != EvaluationState.CLOSED
    return render(request, "evaluations/finding.html", {
        "evaluation": evaluation, "finding": finding,
        "updates": finding.updates.select_related("author__organisation"),
        "form": form, "is_assessor": assessor, "today": services.today(),
        "can_report": open_evaluation and evaluation.is_released
        and finding.state != FindingState.CLOSED and services.may_report_progress(user, finding),
        "can_verify": assessor and open_evaluation,
        "can_edit": assessor and open_evaluation and finding.state != FindingState.CLOSED,
    }, status=status)


# --- the report ------------------------------------------------------------------------------

@login_required
def report_page(request: HttpRequest, evaluation_id: int) -> HttpResponse:
    evaluation = access_evaluation(request.user, evaluation_id)
    report = selectors.report(evaluation)
    return render(request, "evaluations/report.html", {
        "evaluation": evaluation, "report": report,
        "evaluators": list(evaluation.evaluators.select_related("organisation")),
        "results": selectors.result_summary(report, _result_labels()),
        "today": services.today(),
    })


@login_required
def report_pdf(request: HttpRequest, evaluation_id: int) -> HttpResponse:
    from renkei.evaluations.report_pdf import render_report

    evaluation = access_evaluation(request.user, evaluation_id)
    data = render_report(selectors.report(evaluation), _result_labels())
    return as_download(HttpResponse(data, content_type="application/pdf"),
                       f"evaluation-{evaluation.pk}-report.pdf")


# --- checklist templates ---------------------------------------------------------------------

@login_required
def template_list(request: HttpRequest) -> HttpResponse:
    _assessor_only(request)
    return render(request, "evaluations/templates.html", {
        "templates": ChecklistTemplate.objects.prefetch_related("items"),
        "methods": dict(Method.choices),
    })


@login_required
def template_edit(request: HttpRequest, template_id: int | None = None) -> HttpResponse:
    _assessor_only(request)
    template = get_object_or_404(ChecklistTemplate, pk=template_id) if template_id else None
    initial = {}
    if template is not None:
        initial = {"name": template.name, "description": template.description,
                   "items": TemplateForm.items_text(template)}
    data, _files = _data(request)
    form = TemplateForm(data, initial=initial)
    if data is not None and form.is_valid():
        try:
            services.save_template(actor=request.user, template=template, **form.cleaned_data)
        except ServiceError as exc:
            show_errors(request, exc)
        else:
            messages.success(request, _("The checklist was saved."))
            return redirect("evaluations:templates")
    return _form_page(request, "form.html", {
        "form": form, "back": reverse("evaluations:templates"),
        "heading": _("Edit checklist") if template else _("New checklist"),
    }, 400 if data is not None else 200)
