from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.urls import include, path


def healthz(request):
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:  # noqa: BLE001 - any database failure means "not healthy"
        return JsonResponse({"status": "database unreachable"}, status=503)
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include("renkei.accounts.api_urls")),
    path("accounts/", include("renkei.accounts.urls")),
    path("", include("renkei.communities.urls")),
]
