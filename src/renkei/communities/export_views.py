"""Export views: the list or search on screen as CSV or XLSX (see communities.export)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse


@login_required
def export_csv(request: HttpRequest) -> HttpResponse:
    return HttpResponse(status=503)


@login_required
def export_xlsx(request: HttpRequest) -> HttpResponse:
    return HttpResponse(status=503)
