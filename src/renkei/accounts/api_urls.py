from django.http import JsonResponse
from django.urls import path

from renkei.accounts.api_auth import token_required


@token_required
def me(request):
    user = request.user
    return JsonResponse({
        "email": user.email,
        "name": user.name,
        "display_name": user.display_name,
        "organisation": {"id": user.organisation_id, "name": user.organisation.name,
                         "kind": user.organisation.kind},
    }, json_dumps_params={"ensure_ascii": False})


urlpatterns = [path("me", me, name="api-me")]
