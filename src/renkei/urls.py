from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.urls import include, path
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from renkei.api.main import api


def healthz(request):
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:
        return JsonResponse({"status": "database unreachable"}, status=503)
    return HttpResponse("ok", content_type="text/plain")


@require_POST
def set_language(request):
    """The footer's language switch; for a signed-in person it also becomes their setting."""
    response = django_set_language(request)
    language = request.POST.get("language")
    user = request.user
    if user.is_authenticated and language in {"ja", "en"} and user.language != language:
        user.language = language
        user.save(update_fields=["language"])
    return response


urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("i18n/setlang/", set_language, name="set_language"),
    path("api/v1/", api.urls),
    path("accounts/", include("renkei.accounts.urls")),
    path("notifications/", include("renkei.notifications.urls")),
    path("incidents/", include("renkei.incidents.urls")),
    path("situation/", include("renkei.situation.urls")),
    path("intel/", include("renkei.intel.urls")),
    path("taxii2/", include("renkei.intel.taxii_urls")),
    path("feeds/", include("renkei.feeds.urls")),
    path("risk/", include("renkei.risk.urls")),
    path("evaluations/", include("renkei.evaluations.urls")),
    path("", include("renkei.communities.urls")),
]
