"""The REST API under /api/v1/ (django-ninja), its OpenAPI document at /api/v1/openapi.json."""

from functools import wraps

from django.http import HttpRequest, JsonResponse
from django.urls import re_path
from django.utils.translation import gettext as _
from ninja import NinjaAPI

from renkei.api import errors
from renkei.api.auth import BearerToken
from renkei.api.endpoints import router
from renkei.api.rendering import Renderer
from renkei.feeds.api import router as feeds_router


def _json(status: int, message: str) -> JsonResponse:
    return JsonResponse(errors.error_body(status, message), status=status,
                        json_dumps_params={"ensure_ascii": False})


def _json_405(view):
    """ninja answers a method a path lacks with a plain-text 405; say it in JSON."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if response.status_code == 405 and not response.get("Content-Type", "").startswith(
                "application/json"):
            answer = _json(405, _("This method is not allowed here. Allowed: %(methods)s.")
                           % {"methods": response.get("Allow", "")})
            answer["Allow"] = response.get("Allow", "")
            return answer
        return response

    return wrapped


def _not_found(request: HttpRequest, rest: str = ""):
    return _json(404, _("There is no such API endpoint."))


class RenkeiAPI(NinjaAPI):
    def _get_urls(self):
        patterns = super()._get_urls()
        for pattern in patterns:
            pattern.callback = _json_405(pattern.callback)
        # Anything else under /api/v1/ is a JSON 404, never the site's HTML page.
        patterns.append(re_path(r"^(?P<rest>.*)$", _not_found, name="not_found"))
        return patterns


api = RenkeiAPI(
    title="renkei API",
    version="1",
    urls_namespace="api",
    description="Communities, topics, comments, attachments and acknowledgements, read "
                "through the same visibility rule as the pages. Authenticate with "
                "'Authorization: Bearer <token>'.",
    auth=[BearerToken()],
    renderer=Renderer(),
    docs_url=None,  # the Swagger page needs inline scripts the CSP forbids
)
errors.install(api)
api.add_router("/", router)
api.add_router("/intel", "renkei.intel.api.router")
api.add_router("/feeds", feeds_router)
