"""Bearer-token authentication for machine clients; every API view is wrapped in it."""

from functools import wraps

from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from renkei.accounts.services import TokenRefused, authenticate_api_token


def api_error(message: str, status: int) -> JsonResponse:
    return JsonResponse({"error": message, "status": status}, status=status,
                        json_dumps_params={"ensure_ascii": False})


def token_required(view):
    @csrf_exempt
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        header = request.headers.get("Authorization", "")
        scheme, _sep, raw = header.partition(" ")
        if scheme.lower() != "bearer" or not raw.strip():
            response = api_error(_("An API token is required: send 'Authorization: Bearer "
                                   "<token>'."), 401)
            response["WWW-Authenticate"] = 'Bearer realm="renkei"'
            return response
        try:
            request.user = authenticate_api_token(raw.strip())
        except TokenRefused as exc:
            response = api_error(str(exc), 401)
            response["WWW-Authenticate"] = 'Bearer realm="renkei", error="invalid_token"'
            return response
        from django.utils import translation

        translation.activate(request.user.language)
        return view(request, *args, **kwargs)

    return wrapped
