"""The centre's situation pages: AM/PM reports, sanitised summaries, daily bulletins, statistics.

Every page is for the centre's incident staff only (`permissions.may_use_situation`); anyone
else gets 404, as for a page that does not exist. Writes go through `situation.services`; a
refused request shows the service's message with status 400 and changes nothing.
"""

import re
from datetime import datetime, time, timedelta
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from renkei.accounts.client import client_ip
from renkei.accounts.models import Organisation, OrganisationKind
from renkei.charts import bar_chart
from renkei.errors import ServiceError
from renkei.http import as_download, show_errors
from renkei.incidents.selectors import centre_cases
from renkei.situation import render as report_render
from renkei.situation import services
from renkei.situation.forms import (
    AliasForm,
    PeriodForm,
    PublicationForm,
    ReviewForm,
    SummaryEditForm,
    SummaryNewForm,
    SummaryPublishForm,
)
from renkei.situation.models import (
    DailyBulletin,
    EscalationReport,
    OrganisationAlias,
    SanitisedSummary,
)
from renkei.situation.permissions import may_use_situation
from renkei.situation.statistics import period_statistics
from renkei.text import render_markdown

PLACEHOLDER = re.compile(r"［[^］\n]{1,20}］")
LIST_LENGTH = 50
DOWNLOADS = {
    "pdf": ("application/pdf", report_render.as_pdf),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
             report_render.as_xlsx),
    "md": ("text/markdown; charset=utf-8",
           lambda view: report_render.as_markdown(view).encode()),
}


def centre_only(view):
    @login_required
    @wraps(view)
    def guarded(request: HttpRequest, *args, **kwargs):
        if not may_use_situation(request.user):
            raise Http404
        return view(request, *args, **kwargs)

    return guarded


def _pk(raw: str) -> int:
    if not str(raw).isdigit() or len(str(raw)) > 18:
        raise Http404
    return int(raw)


def _case(user, pk):
    case = (centre_cases(user).select_related("report", "organisation", "classification")
            .filter(pk=_pk(pk)).first())
    if case is None:
        raise Http404
    return case


def _summary(user, pk) -> SanitisedSummary:
    """A summary of a case the user may handle; 404 otherwise."""
    summary = (SanitisedSummary.objects.filter(pk=_pk(pk),
                                               case__in=centre_cases(user).values("pk"))
               .select_related("case", "case__report", "created_by", "reviewed_by",
                               "published_by").first())
    if summary is None:
        raise Http404
    return summary


def _report(pk) -> EscalationReport:
    return get_object_or_404(EscalationReport.objects.select_related("generated_by"),
                             pk=_pk(pk))


# --- overview --------------------------------------------------------------------------------

@centre_only
def index(request: HttpRequest) -> HttpResponse:
    return render(request, "situation/index.html", {
        "reports": EscalationReport.objects.select_related("generated_by")[:5],
        "bulletins": DailyBulletin.objects.prefetch_related("topics")[:5],
        "summaries": _summaries(request.user)[:10],
    })


def _summaries(user):
    return (SanitisedSummary.objects.filter(case__in=centre_cases(user).values("pk"))
            .select_related("case", "created_by").order_by("-updated_at", "-id"))


# --- AM/PM reports ---------------------------------------------------------------------------

def _default_period(now: datetime) -> dict:
    latest = EscalationReport.objects.order_by("-period_end").values_list(
        "period_end", flat=True).first()
    start = latest if latest is not None and latest < now else now - timedelta(hours=12)
    zone = timezone.get_current_timezone()
    return {"start": timezone.localtime(start, zone).strftime("%Y-%m-%dT%H:%M"),
            "end": timezone.localtime(now, zone).strftime("%Y-%m-%dT%H:%M")}


@centre_only
@require_http_methods(["GET", "POST"])
def escalation_list(request: HttpRequest) -> HttpResponse:
    status = 200
    if request.method == "POST":
        form = PeriodForm(request.POST)
        if form.is_valid():
            try:
                report = services.generate_escalation_report(
                    actor=request.user, start=form.cleaned_data["start"],
                    end=form.cleaned_data["end"])
            except ServiceError as exc:
                show_errors(request, exc)
                status = 400
            else:
                messages.success(request, _("The report has been generated."))
                return redirect("situation:escalation_detail", pk=report.pk)
        else:
            status = 400
    else:
        form = PeriodForm(initial=_default_period(timezone.now()))
    reports = EscalationReport.objects.select_related("generated_by")[:LIST_LENGTH]
    return render(request, "situation/escalation_list.html",
                  {"form": form, "reports": reports}, status=status)


@centre_only
def escalation_detail(request: HttpRequest, pk) -> HttpResponse:
    report = _report(pk)
    return render(request, "situation/escalation_detail.html", {
        "report": report, "view": report_render.report_view(report, request.user),
    })


@centre_only
def escalation_download(request: HttpRequest, pk, fmt: str) -> HttpResponse:
    if fmt not in DOWNLOADS:
        raise Http404
    report = _report(pk)
    view = report_render.report_view(report, request.user)
    content_type, build = DOWNLOADS[fmt]
    data = build(view)
    services.record_download(request.user, report, fmt, client_ip(request))
    return as_download(HttpResponse(data, content_type=content_type),
                       report_render.filename(report, view, fmt))


# --- sanitised summaries ---------------------------------------------------------------------

@centre_only
def summary_list(request: HttpRequest) -> HttpResponse:
    return render(request, "situation/summary_list.html",
                  {"summaries": _summaries(request.user)[:LIST_LENGTH]})


@centre_only
@require_http_methods(["GET", "POST"])
def summary_new(request: HttpRequest, pk) -> HttpResponse:
    case = _case(request.user, pk)
    status = 200
    if request.method == "POST":
        form = SummaryNewForm(request.POST)
        if form.is_valid():
            try:
                summary = services.create_summary(actor=request.user, case=case,
                                                  **form.cleaned_data)
            except ServiceError as exc:
                show_errors(request, exc)
                status = 400
            else:
                return redirect("situation:summary_detail", pk=summary.pk)
        else:
            status = 400
    else:
        title, draft = services.draft_from_case(case)
        form = SummaryNewForm(initial={"title": title, "draft": draft})
    return render(request, "situation/summary_new.html", {"case": case, "form": form},
                  status=status)


def _highlighted(text: str) -> list[tuple[str, bool]]:
    """The sanitised text cut into plain pieces and placeholders."""
    out, at = [], 0
    for match in PLACEHOLDER.finditer(text):
        if match.start() > at:
            out.append((text[at:match.start()], False))
        out.append((match.group(), True))
        at = match.end()
    if at < len(text):
        out.append((text[at:], False))
    return out


def _summary_page(request, summary, *, edit_form=None, review_form=None, publish_form=None,
                  status=200) -> HttpResponse:
    from renkei.situation.directory import sanitiser_for

    sanitiser = sanitiser_for(summary.case, summary.extra_terms)
    original = sanitiser.run(summary.draft)
    remaining = services.remaining_identifiers(summary)
    communities = services.broadcast_communities()
    initial = {"version": summary.version}
    return render(request, "situation/summary_detail.html", {
        "summary": summary, "case": summary.case,
        "original": original.segments(), "replacements": original.replacements,
        "sanitised": _highlighted(summary.sanitised),
        "remaining": remaining.found,
        "edit_form": edit_form or SummaryEditForm(initial={
            **initial, "title": summary.title, "sanitised": summary.sanitised,
            "draft": summary.draft, "extra_terms": summary.extra_terms}),
        "review_form": review_form or ReviewForm(initial=initial),
        "publish_form": publish_form or SummaryPublishForm(initial=initial,
                                                           communities=communities),
        "published_html": render_markdown(summary.sanitised),
        "topics": summary.topics.all(),
    }, status=status)


@centre_only
def summary_detail(request: HttpRequest, pk) -> HttpResponse:
    return _summary_page(request, _summary(request.user, pk))


@centre_only
@require_POST
def summary_edit(request: HttpRequest, pk) -> HttpResponse:
    summary = _summary(request.user, pk)
    form = SummaryEditForm(request.POST)
    if not form.is_valid():
        return _summary_page(request, summary, edit_form=form, status=400)
    try:
        services.update_summary(actor=request.user, summary=summary,
                                resanitise="resanitise" in request.POST, **form.cleaned_data)
    except ServiceError as exc:
        show_errors(request, exc)
        return _summary_page(request, summary, edit_form=form, status=400)
    messages.success(request, _("Saved. Review the sanitised text again before publishing."))
    return redirect("situation:summary_detail", pk=summary.pk)


@centre_only
@require_POST
def summary_review(request: HttpRequest, pk) -> HttpResponse:
    summary = _summary(request.user, pk)
    form = ReviewForm(request.POST)
    if not form.is_valid():
        return _summary_page(request, summary, review_form=form, status=400)
    try:
        services.review_summary(actor=request.user, summary=summary,
                                confirmed=form.cleaned_data["confirmed"],
                                version=form.cleaned_data["version"])
    except ServiceError as exc:
        show_errors(request, exc)
        return _summary_page(request, summary, review_form=form, status=400)
    messages.success(request, _("Review confirmed. The summary may now be published."))
    return redirect("situation:summary_detail", pk=summary.pk)


def _publication(form) -> services.Publication:
    data = form.cleaned_data
    return services.Publication(communities=tuple(data["communities"]), tlp=data["tlp"],
                                reader_level=data["reader_level"], tag=data.get("tag") or "")


@centre_only
@require_POST
def summary_publish(request: HttpRequest, pk) -> HttpResponse:
    summary = _summary(request.user, pk)
    form = SummaryPublishForm(request.POST, communities=services.broadcast_communities())
    if not form.is_valid():
        return _summary_page(request, summary, publish_form=form, status=400)
    try:
        services.publish_summary(actor=request.user, summary=summary,
                                 publication=_publication(form),
                                 version=form.cleaned_data["version"])
    except ServiceError as exc:
        show_errors(request, exc)
        return _summary_page(request, summary, publish_form=form, status=400)
    messages.success(request, _("The summary has been published."))
    return redirect("situation:summary_detail", pk=summary.pk)


# --- daily bulletins -------------------------------------------------------------------------

@centre_only
@require_http_methods(["GET", "POST"])
def bulletin(request: HttpRequest) -> HttpResponse:
    communities = services.broadcast_communities()
    status = 200
    if request.method == "POST":
        form = PublicationForm(request.POST, communities=communities)
        if form.is_valid():
            try:
                published = services.publish_bulletin(actor=request.user,
                                                      publication=_publication(form))
            except ServiceError as exc:
                show_errors(request, exc)
                status = 400
            else:
                messages.success(request, _("The bulletin has been published."))
                first = published.topics.order_by("id").first()
                return redirect(reverse("communities:topic", args=[first.public_id])
                                if first else reverse("situation:bulletin"))
        else:
            status = 400
    else:
        form = PublicationForm(communities=communities)
    preview = services.preview_bulletin(centre_cases(request.user))
    return render(request, "situation/bulletin.html", {
        "form": form, "preview": preview, "preview_html": render_markdown(preview["body"]),
        "bulletins": DailyBulletin.objects.prefetch_related("topics")[:LIST_LENGTH],
    }, status=status)


# --- statistics ------------------------------------------------------------------------------

def _statistics_period(request) -> tuple[PeriodForm, datetime, datetime, list[str]]:
    zone = timezone.get_current_timezone()
    today = timezone.localtime(timezone.now(), zone).date()
    default_start = datetime.combine(today - timedelta(days=30), time(0), zone)
    default_end = timezone.now()
    if "start" not in request.GET and "end" not in request.GET:
        form = PeriodForm(initial={
            "start": default_start.strftime("%Y-%m-%dT%H:%M"),
            "end": timezone.localtime(default_end, zone).strftime("%Y-%m-%dT%H:%M")})
        return form, default_start, default_end, []
    form = PeriodForm(request.GET)
    if not form.is_valid():
        return form, default_start, default_end, [_("Give the period as dates and times.")]
    start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    try:
        services.check_period(start, end)
    except ServiceError as exc:
        return form, default_start, default_end, exc.messages
    return form, start, end, []


@centre_only
def statistics(request: HttpRequest) -> HttpResponse:
    form, start, end, errors = _statistics_period(request)
    if errors:
        for message in errors:
            messages.error(request, message)
        return render(request, "situation/statistics.html", {"form": form}, status=400)
    stats = period_statistics(centre_cases(request.user), start, end)
    chart = bar_chart([name for name, _n in stats.by_class], [n for _name, n in stats.by_class],
                      title=_("Reports and consultations by incident class"))
    kind_chart = bar_chart([name for name, _n in stats.by_kind],
                           [n for _name, n in stats.by_kind], title=_("Reports by kind"))
    return render(request, "situation/statistics.html", {
        "form": form, "stats": stats, "chart": chart, "kind_chart": kind_chart,
    })


# --- aliases for the sanitiser ---------------------------------------------------------------

@centre_only
@require_http_methods(["GET", "POST"])
def aliases(request: HttpRequest) -> HttpResponse:
    organisations = Organisation.objects.exclude(kind=OrganisationKind.CENTRE).order_by("name")
    status = 200
    if request.method == "POST" and "remove" in request.POST:
        alias = get_object_or_404(OrganisationAlias, pk=_pk(request.POST["remove"]))
        services.remove_alias(actor=request.user, alias=alias)
        return redirect("situation:aliases")
    if request.method == "POST":
        form = AliasForm(request.POST, organisations=organisations)
        if form.is_valid():
            try:
                services.add_alias(actor=request.user, **form.cleaned_data)
            except ServiceError as exc:
                show_errors(request, exc)
                status = 400
            else:
                return redirect("situation:aliases")
        else:
            status = 400
    else:
        form = AliasForm(organisations=organisations)
    return render(request, "situation/aliases.html", {
        "form": form,
        "aliases": OrganisationAlias.objects.select_related("organisation")[:500],
    }, status=status)
