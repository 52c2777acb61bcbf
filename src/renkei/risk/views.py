"""Risk assessment pages: rounds, the row editor and XLSX template, feedback reports, the
catalogue, PDCA trends and (for the centre) sector distributions.

Reads go through `sharing.risk_visibility` (missing and forbidden answer 404 alike); writes go
through `risk.services`. A refused request shows the service's messages on the same page with
status 400 and the input kept.
"""

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from renkei.accounts import audit
from renkei.accounts.client import client_ip
from renkei.accounts.models import Organisation
from renkei.charts import Series, bar_chart, line_chart
from renkei.errors import ServiceError
from renkei.http import as_download, show_errors
from renkei.risk import pdca, selectors, services
from renkei.risk.catalogue import Catalogue, cia_text, label, phases_text
from renkei.risk.forms import CatalogueForm, RoundForm, UploadForm
from renkei.risk.models import CatalogueVersion, Round, Submission
from renkei.risk.report import present
from renkei.risk.report_files import feedback_pdf, feedback_xlsx
from renkei.risk.rows import FIELDS
from renkei.risk.xlsx import build_template, read_upload
from renkei.sharing.risk_visibility import (
    access_feedback,
    access_round,
    access_submission,
    is_risk_assessor,
    readable_feedback,
    readable_rounds,
    readable_submissions,
)

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _assessor_only(request: HttpRequest) -> None:
    if not is_risk_assessor(request.user):
        raise Http404


def _download(data: bytes, content_type: str, filename: str) -> HttpResponse:
    response = as_download(HttpResponse(data, content_type=content_type), filename)
    response["Cache-Control"] = "private, no-store"
    return response


# --- home and rounds -------------------------------------------------------------------------

@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    assessor = is_risk_assessor(user)
    rounds = list(readable_rounds(user).select_related("catalogue").order_by("-number"))
    context = {"assessor": assessor, "rounds": rounds}
    if not assessor:
        versions = {}
        for s in readable_submissions(user).filter(organisation_id=user.organisation_id,
                                                   round__in=rounds).order_by("version"):
            versions[s.round_id] = s
        feedback = {r.round_id: r for r in readable_feedback(user)}
        context["own"] = [(r, versions.get(r.pk), feedback.get(r.pk)) for r in rounds]
        context["trend"] = _trend(user, user.organisation)
    return render(request, "risk/home.html", context)


def _trend(user, organisation) -> dict:
    trend = selectors.pdca_trend(user, organisation)
    if not trend:
        return {}
    labels, series = selectors.stage_series(trend)
    chart = line_chart(labels, [Series(name, values) for name, values in series],
                       title=_("PDCA maturity by round (mean level 0–4)"))
    rows = [(str(name), [answers.get(key) for _r, answers in trend])
            for key, _stage, name in pdca.ITEMS]
    return {"chart": chart, "labels": labels, "rows": rows}


def _round_form_response(request, form, the_round=None, status=200) -> HttpResponse:
    return render(request, "risk/round_form.html", {"form": form, "round": the_round},
                  status=status)


@login_required
def round_new(request: HttpRequest) -> HttpResponse:
    _assessor_only(request)
    form = RoundForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            created = services.create_round(
                actor=request.user, title=data["title"], opens_on=data["opens_on"],
                closes_on=data["closes_on"], approach=data["approach"],
                sectors=data["sectors"], organisation_ids=[o.pk for o in data["organisations"]],
                number=data["number"])
        except ServiceError as exc:
            show_errors(request, exc)
            return _round_form_response(request, form, status=400)
        return redirect("risk:round", created.pk)
    return _round_form_response(request, form, status=400 if form.errors else 200)


@login_required
def round_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _assessor_only(request)
    the_round = access_round(request.user, pk)
    initial = {"number": the_round.number, "title": the_round.title,
               "opens_on": the_round.opens_on, "closes_on": the_round.closes_on,
               "approach": the_round.approach, "sectors": the_round.target_sectors,
               "organisations": list(the_round.targets.values_list("organisation_id",
                                                                   flat=True))}
    form = RoundForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.update_round(
                actor=request.user, round=the_round, title=data["title"],
                opens_on=data["opens_on"], closes_on=data["closes_on"],
                approach=data["approach"], sectors=data["sectors"],
                organisation_ids=[o.pk for o in data["organisations"]])
        except ServiceError as exc:
            show_errors(request, exc)
            return _round_form_response(request, form, the_round, status=400)
        return redirect("risk:round", the_round.pk)
    return _round_form_response(request, form, the_round, status=400 if form.errors else 200)


@login_required
def round_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    the_round = access_round(user, pk)
    assessor = is_risk_assessor(user)
    context = {"round": the_round, "assessor": assessor,
               "next_state": services.TRANSITIONS.get(the_round.state)}
    if assessor:
        context["statuses"] = selectors.target_statuses(user, the_round)
        context["next_label"] = Round.State(context["next_state"]).label \
            if context["next_state"] else ""
    if the_round.targets.filter(organisation_id=user.organisation_id).exists():
        context["versions"] = selectors.own_versions(user, the_round)
        context["participant"] = True
        context["report"] = readable_feedback(user).filter(
            round=the_round, organisation_id=user.organisation_id).first()
    return render(request, "risk/round_detail.html", context)


@login_required
@require_POST
def round_advance(request: HttpRequest, pk: int) -> HttpResponse:
    _assessor_only(request)
    the_round = access_round(request.user, pk)
    try:
        services.advance_round(actor=request.user, round=the_round,
                               to=request.POST.get("to", ""))
        messages.success(request, _("The round is now “%(state)s”.") % {
            "state": the_round.get_state_display()})
    except ServiceError as exc:
        show_errors(request, exc)
    return redirect("risk:round", the_round.pk)


@login_required
def round_template(request: HttpRequest, pk: int) -> HttpResponse:
    """The empty template, for the reader's organisation (the centre: a generic one)."""
    user = request.user
    the_round = access_round(user, pk)
    catalogue = Catalogue(the_round.catalogue.data)
    data = build_template(the_round, catalogue, user.organisation)
    return _download(data, XLSX_TYPE, f"risk-assessment-round{the_round.number}.xlsx")


@login_required
def distribution(request: HttpRequest, pk: int) -> HttpResponse:
    _assessor_only(request)
    the_round = access_round(request.user, pk)
    figures = selectors.sector_distributions(the_round)
    buckets = [f"{low}–{min(high, 100)}%" for low, high in selectors.BUCKETS]
    charts = [(f, bar_chart(buckets, f.coverage, title=_(
        "%(sector)s: organisations by share of expected cells covered") % {
        "sector": f.sector})) for f in figures if f.shown]
    items = [str(name) for _key, _stage, name in pdca.ITEMS]
    return render(request, "risk/distribution.html", {
        "round": the_round, "figures": figures, "charts": charts, "items": items,
        "min_group": selectors.MIN_GROUP})


# --- submissions -----------------------------------------------------------------------------

@login_required
@require_POST
def start_draft(request: HttpRequest, pk: int) -> HttpResponse:
    the_round = access_round(request.user, pk)
    try:
        draft = services.start_draft(actor=request.user, round=the_round)
    except ServiceError as exc:
        show_errors(request, exc)
        return redirect("risk:round", the_round.pk)
    return redirect("risk:submission", draft.pk)


def _row_display(catalogue: Catalogue, row) -> dict:
    return {
        "row": row,
        "outcome": label(catalogue.outcomes.get(row.outcome)) or row.outcome,
        "threat": label(catalogue.threats.get(row.threat)) or row.threat,
        "risk_source": label(catalogue.risk_sources.get(row.risk_source)) or row.risk_source,
        "phases": phases_text(catalogue, row.phases), "cia": cia_text(catalogue, row.cia),
    }


def _submission_page(request, submission: Submission, *, row_form: dict | None = None,
                     editing: int | None = None, status: int = 200) -> HttpResponse:
    user = request.user
    the_round = submission.round
    catalogue = Catalogue(the_round.catalogue.data)
    own = submission.organisation_id == user.organisation_id
    editable = own and submission.is_draft and the_round.accepts_submissions
    rows = list(submission.rows.all())
    if editing is not None and row_form is None:
        row = next((r for r in rows if r.pk == editing), None)
        if row is not None:
            row_form = {f: getattr(row, f) for f in FIELDS}
            row_form["phases"] = phases_text(catalogue, row.phases)
            row_form["cia"] = cia_text(catalogue, row.cia)
            row_form["outcome"] = catalogue.option("outcomes", row.outcome) \
                if row.outcome in catalogue.outcomes else row.outcome
            row_form["threat"] = catalogue.option("threats", row.threat) \
                if row.threat in catalogue.threats else row.threat
            row_form["risk_source"] = catalogue.option("risk_sources", row.risk_source) \
                if row.risk_source in catalogue.risk_sources else row.risk_source
    options = {
        "outcomes": [catalogue.option("outcomes", c) for c in catalogue.outcomes],
        "threats": [catalogue.option("threats", c) for c in catalogue.threats],
        "risk_sources": [catalogue.option("risk_sources", c) for c in catalogue.risk_sources],
        "assets": [label(r) for r, _why in catalogue.model_resources(
            submission.organisation.sector)],
    }
    return render(request, "risk/submission.html", {
        "submission": submission, "round": the_round, "editable": editable,
        "may_submit": editable and user.is_org_admin,
        "rows": [_row_display(catalogue, r) for r in rows], "form": row_form or {},
        "editing": editing, "options": options, "upload_form": UploadForm(),
        "pdca_items": [(k, stage, name, submission.pdca.get(k)) for k, stage, name in
                       pdca.ITEMS],
        "scale": pdca.SCALE,
    }, status=status)


@login_required
def submission_detail(request: HttpRequest, pk: int) -> HttpResponse:
    submission = access_submission(request.user, pk)
    editing = request.GET.get("edit")
    return _submission_page(request, submission,
                            editing=int(editing) if editing and editing.isdigit() else None)


@login_required
@require_POST
def submission_rows(request: HttpRequest, pk: int) -> HttpResponse:
    submission = access_submission(request.user, pk)
    action = request.POST.get("action", "add")
    raw = {f: request.POST.get(f, "") for f in FIELDS}
    row_id = request.POST.get("row", "")
    try:
        if action == "delete":
            services.delete_row(actor=request.user, submission=submission,
                                row_id=int(row_id or 0))
        elif action == "update":
            services.update_row(actor=request.user, submission=submission,
                                row_id=int(row_id or 0), raw=raw)
        else:
            services.add_row(actor=request.user, submission=submission, raw=raw)
    except (ServiceError, ValueError) as exc:
        if isinstance(exc, ServiceError):
            show_errors(request, exc)
        editing = int(row_id) if action == "update" and row_id.isdigit() else None
        return _submission_page(request, submission, row_form=raw, editing=editing,
                                status=400)
    return redirect(reverse("risk:submission", args=[submission.pk]) + "#rows")


@login_required
@require_POST
def submission_pdca(request: HttpRequest, pk: int) -> HttpResponse:
    submission = access_submission(request.user, pk)
    try:
        services.set_pdca(actor=request.user, submission=submission,
                          answers={k: request.POST.get(f"pdca{k}", "") for k in pdca.ITEM_KEYS})
    except ServiceError as exc:
        show_errors(request, exc)
        return _submission_page(request, submission, status=400)
    messages.success(request, _("PDCA answers saved."))
    return redirect(reverse("risk:submission", args=[submission.pk]) + "#pdca")


@login_required
@require_POST
def submission_upload(request: HttpRequest, pk: int) -> HttpResponse:
    submission = access_submission(request.user, pk)
    form = UploadForm(request.POST, request.FILES)
    try:
        if not form.is_valid():
            raise ServiceError(_("Choose the filled-in template (.xlsx) to upload."))
        # Checked before the file is read, so nobody who may not change the draft can make
        # the server parse a workbook; the service checks again when it writes.
        services.require_editable(request.user, submission)
        upload = form.cleaned_data["file"]
        imported = read_upload(upload.read(), submission.round,
                               Catalogue(submission.round.catalogue.data))
        services.replace_rows(actor=request.user, submission=submission, rows=imported.rows,
                              pdca_answers=imported.pdca)
    except ServiceError as exc:
        show_errors(request, exc)
        return _submission_page(request, submission, status=400)
    messages.success(request, _("%(n)d rows imported.") % {"n": len(imported.rows)})
    return redirect("risk:submission", submission.pk)


@login_required
@require_POST
def submission_submit(request: HttpRequest, pk: int) -> HttpResponse:
    submission = access_submission(request.user, pk)
    try:
        services.submit(actor=request.user, submission=submission)
    except ServiceError as exc:
        show_errors(request, exc)
        return _submission_page(request, submission, status=400)
    messages.success(request, _("Submitted. The centre will read this version."))
    return redirect("risk:submission", submission.pk)


@login_required
def submission_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    submission = access_submission(request.user, pk)
    the_round = submission.round
    data = build_template(the_round, Catalogue(the_round.catalogue.data),
                          submission.organisation, submission)
    audit.record(request.user, "risk.submission.download", submission,
                 ip_address=client_ip(request))
    return _download(data, XLSX_TYPE,
                     f"risk-assessment-round{the_round.number}-v{submission.version}.xlsx")


# --- feedback --------------------------------------------------------------------------------

@login_required
def feedback_detail(request: HttpRequest, pk: int) -> HttpResponse:
    report = access_feedback(request.user, pk)
    return render(request, "risk/feedback.html", {
        "presented": present(report), "report": report,
        "assessor": is_risk_assessor(request.user)})


def _feedback_file(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    report = access_feedback(request.user, pk)
    presented = present(report)
    audit.record(request.user, "risk.feedback.download", report, format=kind,
                 ip_address=client_ip(request))
    name = f"risk-feedback-round{report.round.number}-{report.organisation_id}.{kind}"
    if kind == "pdf":
        return _download(feedback_pdf(presented), "application/pdf", name)
    return _download(feedback_xlsx(presented), XLSX_TYPE, name)


@login_required
def feedback_xlsx_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _feedback_file(request, pk, "xlsx")


@login_required
def feedback_pdf_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _feedback_file(request, pk, "pdf")


@login_required
@require_POST
def feedback_comment(request: HttpRequest, pk: int) -> HttpResponse:
    _assessor_only(request)
    report = access_feedback(request.user, pk)
    item = request.POST.get("item", "")
    try:
        services.comment_on(actor=request.user, report=report, item=item,
                            body=request.POST.get("body", ""))
    except ServiceError as exc:
        show_errors(request, exc)
    return redirect(reverse("risk:feedback", args=[report.pk]) + f"#item-{item}")


@login_required
@require_POST
def feedback_release(request: HttpRequest, pk: int) -> HttpResponse:
    _assessor_only(request)
    report = access_feedback(request.user, pk)
    try:
        services.release_feedback(actor=request.user, report=report)
        messages.success(request, _("Released to %(organisation)s.") % {
            "organisation": report.organisation.name})
    except ServiceError as exc:
        show_errors(request, exc)
    return redirect("risk:feedback", report.pk)


@login_required
@require_POST
def feedback_generate(request: HttpRequest, pk: int) -> HttpResponse:
    _assessor_only(request)
    the_round = access_round(request.user, pk)
    try:
        written = services.generate_feedback(actor=request.user, round=the_round)
        messages.success(request, _("%(n)d feedback reports computed.") % {"n": written})
    except ServiceError as exc:
        show_errors(request, exc)
    return redirect("risk:round", the_round.pk)


# --- organisations ---------------------------------------------------------------------------

@login_required
def organisation(request: HttpRequest, pk: int) -> HttpResponse:
    """One organisation's rounds and PDCA trend: for the centre's assessors, and for the
    organisation's own people."""
    user = request.user
    if not (is_risk_assessor(user) or (user.organisation_id == pk
                                       and user.organisation.is_active)):
        raise Http404
    org = get_object_or_404(Organisation, pk=pk)
    reports = readable_feedback(user).filter(organisation=org).select_related("round") \
        .order_by("-round__number")
    return render(request, "risk/organisation.html", {
        "organisation": org, "trend": _trend(user, org), "reports": reports})


# --- the catalogue ---------------------------------------------------------------------------

@login_required
def catalogue_list(request: HttpRequest) -> HttpResponse:
    _assessor_only(request)
    services.ensure_catalogue()
    return render(request, "risk/catalogue_list.html", {
        "versions": CatalogueVersion.objects.order_by("-number")})


def _covers_text(catalogue: Catalogue, source: dict) -> str:
    return "\n".join(
        f"{c['threat']} | {phases_text(catalogue, c['phases'])} | {cia_text(catalogue, c['cia'])}"
        for c in source.get("covers", []))


@login_required
def catalogue_detail(request: HttpRequest, number: int, source_form: dict | None = None,
                     status: int = 200) -> HttpResponse:
    _assessor_only(request)
    version = get_object_or_404(CatalogueVersion, number=number)
    catalogue = Catalogue(version.data)
    if source_form is None:
        chosen = catalogue.risk_sources.get(request.GET.get("source", ""))
        source_form = {"code": chosen["code"], "ja": chosen.get("ja", ""),
                       "en": chosen.get("en", ""), "covers": _covers_text(catalogue, chosen)} \
            if chosen else {}
    sources = [(s, [(label(catalogue.threats.get(c["threat"])),
                     phases_text(catalogue, c["phases"]) or _("(no kill chain)"),
                     cia_text(catalogue, c["cia"])) for c in s["covers"]])
               for s in version.data["risk_sources"]]
    return render(request, "risk/catalogue_detail.html", {
        "version": version, "catalogue": catalogue, "sources": sources,
        "rounds": version.rounds.order_by("-number"), "source_form": source_form,
        "threat_options": [catalogue.option("threats", c) for c in catalogue.threats]},
        status=status)


@login_required
@require_POST
def catalogue_source(request: HttpRequest, number: int) -> HttpResponse:
    _assessor_only(request)
    version = get_object_or_404(CatalogueVersion, number=number)
    fields = {k: request.POST.get(k, "") for k in ("code", "ja", "en", "covers")}
    try:
        services.save_risk_source(actor=request.user, version=version, **fields)
    except ServiceError as exc:
        show_errors(request, exc)
        return catalogue_detail(request, number, source_form=fields, status=400)
    messages.success(request, _("Risk source %(code)s saved in the draft.")
                     % {"code": fields["code"]})
    return redirect("risk:catalogue", version.number)


@login_required
@require_POST
def catalogue_draft(request: HttpRequest) -> HttpResponse:
    try:
        draft = services.start_catalogue_draft(actor=request.user)
    except ServiceError:
        raise Http404 from None
    return redirect("risk:catalogue_edit", draft.number)


@login_required
def catalogue_edit(request: HttpRequest, number: int) -> HttpResponse:
    _assessor_only(request)
    version = get_object_or_404(CatalogueVersion, number=number)
    text = json.dumps(version.data, ensure_ascii=False, indent=1)
    form = CatalogueForm(request.POST or None, initial={"text": text, "note": version.note})
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            services.edit_catalogue_draft(actor=request.user, version=version,
                                          text=form.cleaned_data["text"],
                                          note=form.cleaned_data["note"])
            messages.success(request, _("Draft saved."))
            return redirect("risk:catalogue", version.number)
        except ServiceError as exc:
            show_errors(request, exc)
            status = 400
    return render(request, "risk/catalogue_edit.html", {"version": version, "form": form},
                  status=status)


@login_required
@require_POST
def catalogue_publish(request: HttpRequest, number: int) -> HttpResponse:
    _assessor_only(request)
    version = get_object_or_404(CatalogueVersion, number=number)
    try:
        services.publish_catalogue(actor=request.user, version=version)
        messages.success(request, _("Version %(n)d is published; new rounds use it.")
                         % {"n": version.number})
    except ServiceError as exc:
        show_errors(request, exc)
    return redirect("risk:catalogue", version.number)
