"""Bench only: renkei's WSGI application with one more URL, /bench/ok, a Django view that
answers "ok" without touching the database. It goes through renkei's whole middleware stack,
so it is the floor any renkei page stands on. renkei's own URLs are unchanged.

    gunicorn --chdir bench bare_wsgi:application
"""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "renkei.settings")

from django.core.wsgi import get_wsgi_application

# Sets Django up first: renkei's URLs import its models.
application = get_wsgi_application()

from django.conf import settings  # noqa: E402
from django.http import HttpRequest, HttpResponse  # noqa: E402
from django.urls import include, path  # noqa: E402


def ok(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("bench/ok", ok),
    path("", include("renkei.urls")),
]

settings.ROOT_URLCONF = __name__
