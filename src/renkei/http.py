"""Small pieces of HTTP that the apps' views share."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import content_disposition_header


def refuse(request: HttpRequest, message: str, back: str) -> HttpResponse:
    """A clear refusal for a page the user may see but not use (e.g. posting where they can't)."""
    return render(request, "communities/refused.html", {"message": message, "back": back},
                  status=403)


def show_errors(request: HttpRequest, exc) -> None:
    """A service's refusal (ServiceError) as messages on the next page."""
    for message in exc.messages:
        messages.error(request, message)


def post_data(request: HttpRequest):
    """The form data and files of a POST, or (None, None) for an unbound form."""
    return (request.POST, request.FILES) if request.method == "POST" else (None, None)


def as_download(response: HttpResponse, filename: str) -> HttpResponse:
    """Served as a file to save, never shown inline; non-ASCII names are encoded per RFC 6266."""
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response
