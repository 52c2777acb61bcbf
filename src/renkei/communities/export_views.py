"""Export views: the list or search on screen as CSV or XLSX (the work is in communities.export).

Same GET parameters as the search page, plus `confined=1`. Bad parameters answer 400 with the
message and a link back to the search; nothing is written, not even to the audit log.
"""

from django.contrib.auth.decorators import login_required
from django.http import (
    FileResponse,
    HttpRequest,
    HttpResponse,
    StreamingHttpResponse,
)
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_GET

from renkei.accounts.client import client_ip
from renkei.communities import export
from renkei.errors import ServiceError
from renkei.http import as_download

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _prepare(request: HttpRequest, fmt: str):
    """(export request, labels, counter), or a 400 response for bad parameters."""
    try:
        wanted = export.parse_export_request(request.GET, request.user)
    except ServiceError as exc:
        return _refused(request, exc)
    link_prefix = request.build_absolute_uri(reverse("communities:topic", args=["0"]))[:-2]
    labels = export.labels_for(request.user, link_prefix)
    counter = export.ExportCounter(request.user, fmt, wanted, client_ip(request))
    return wanted, labels, counter


def _refused(request: HttpRequest, exc: ServiceError) -> HttpResponse:
    return render(request, "communities/export_refused.html", {
        "errors": exc.messages, "back": _search_url(request),
    }, status=400)


def _search_url(request: HttpRequest) -> str:
    """The search page with the same parameters, where the reader can put them right."""
    try:
        url = reverse("communities:search")
    except NoReverseMatch:  # the search page is not there (yet): the home page will do
        return reverse("communities:home")
    params = request.GET.copy()
    params.pop("confined", None)
    return f"{url}?{params.urlencode()}" if params else url


def _attachment(response: HttpResponse, fmt: str, labels: export.Labels) -> HttpResponse:
    return as_download(response, export.filename(fmt, labels.zone))


@login_required
@require_GET
def export_csv(request: HttpRequest) -> HttpResponse:
    prepared = _prepare(request, export.CSV)
    if isinstance(prepared, HttpResponse):
        return prepared
    wanted, labels, counter = prepared
    rows = export.export_rows(request.user, wanted, labels)
    pieces = export.csv_pieces(rows, labels, confined=wanted.confined, counter=counter)
    return _attachment(StreamingHttpResponse(pieces, content_type=CSV_TYPE), export.CSV, labels)


@login_required
@require_GET
def export_xlsx(request: HttpRequest) -> HttpResponse:
    prepared = _prepare(request, export.XLSX)
    if isinstance(prepared, HttpResponse):
        return prepared
    wanted, labels, counter = prepared
    rows = export.export_rows(request.user, wanted, labels)
    workbook = export.write_xlsx(rows, labels, confined=wanted.confined, counter=counter)
    return FileResponse(workbook, content_type=XLSX_TYPE, as_attachment=True,
                        filename=export.filename(export.XLSX, labels.zone))
