"""Every API error is JSON: {"error": message, "status": code, ...}, in the caller's language.

Services raise `ServiceError`; django-ninja raises its own errors for bad input; Django raises
`Http404` and `RequestDataTooBig`. Each becomes one clear message here, so a client never sees
an HTML page, a pydantic dump alone, or a 500 for bad input.
"""

import logging

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from renkei.errors import ServiceError

BEARER_CHALLENGE = 'Bearer realm="renkei"'
logger = logging.getLogger("renkei.api")


class ApiError(Exception):
    """An error the API answers with directly; `extra` adds keys to the JSON body."""

    def __init__(self, status: int, message: str, *, headers: dict | None = None, **extra):
        super().__init__(message)
        self.status, self.message, self.headers, self.extra = status, message, headers or {}, extra


def error_body(status: int, message: str, **extra) -> dict:
    return {"error": message, "status": status, **extra}


def too_large(limit: int) -> ApiError:
    return ApiError(413, _("The request is too large: at most %(mb)s MB can be sent at once.")
                    % {"mb": _megabytes(limit)}, limit_bytes=limit)


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}".removesuffix(".0")


# pydantic's error types, said in the user's language; anything else keeps pydantic's words.
def _problem(error: dict) -> str:
    kind = error.get("type", "")
    known = {
        "missing": _("is required"),
        "string_type": _("must be text"),
        "int_type": _("must be a whole number"),
        "int_parsing": _("must be a whole number"),
        "int_from_float": _("must be a whole number"),
        "bool_type": _("must be true or false"),
        "bool_parsing": _("must be true or false"),
        "list_type": _("must be a list"),
        "dict_type": _("must be a JSON object"),
        "model_attributes_type": _("must be a JSON object"),
        "greater_than_equal": _("must be at least %(n)s"),
        "less_than_equal": _("must be at most %(n)s"),
        "string_too_long": _("is too long"),
        "extra_forbidden": _("is not a known field"),
        "null_character": _("must not contain NUL characters"),
    }
    problem = known.get(kind)
    if problem is None:
        return str(error.get("msg", kind))
    context = error.get("ctx") or {}
    limit = context.get("ge", context.get("le", ""))
    return problem % {"n": limit} if "%(n)s" in problem else problem


def _field(error: dict) -> str:
    # ninja prefixes the source ("body", "query", "path", "file") and the payload's name.
    location = [str(part) for part in error.get("loc", ())]
    if location and location[0] in {"body", "query", "path", "file", "form", "header"}:
        location = location[1:]
        if location and location[0] in {"payload", "data"}:
            location = location[1:]
    return ".".join(location) or _("request")


def validation_details(errors: list[dict]) -> list[dict]:
    return [{"field": _field(e), "message": _problem(e)} for e in errors]


def _respond(api, request: HttpRequest, status: int, message: str, headers=None, **extra):
    response = api.create_response(request, error_body(status, message, **extra), status=status)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def install(api) -> None:
    """Register the handlers on a NinjaAPI."""

    def api_error(request, exc: ApiError) -> HttpResponse:
        return _respond(api, request, exc.status, exc.message, exc.headers, **exc.extra)

    def service_error(request, exc: ServiceError) -> HttpResponse:
        messages = list(exc.messages)
        return _respond(api, request, 400, " ".join(messages), messages=messages)

    def validation_error(request, exc: NinjaValidationError) -> HttpResponse:
        details = validation_details(exc.errors)
        summary = "; ".join(f"{d['field']}: {d['message']}" for d in details)
        return _respond(api, request, 400,
                        _("The request is not valid: %(details)s") % {"details": summary},
                        errors=details)

    def http_error(request, exc: HttpError) -> HttpResponse:
        if isinstance(exc, AuthenticationError):
            return _respond(api, request, 401, _missing_token(), {"WWW-Authenticate":
                                                                 BEARER_CHALLENGE})
        if exc.status_code == 400 and exc.__cause__ is not None:
            # ninja's only 400 with a cause: the body could not be parsed.
            return _respond(api, request, 400, _("The request body is not valid JSON."))
        return _respond(api, request, exc.status_code, str(exc))

    def not_found(request, exc: Http404) -> HttpResponse:
        return _respond(api, request, 404, _("Not found, or you may not see it."))

    def data_too_big(request, exc: RequestDataTooBig) -> HttpResponse:
        error = too_large(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
        return _respond(api, request, 413, error.message, **error.extra)

    def unexpected(request, exc: Exception) -> HttpResponse:
        # A fault of ours, not of the request: logged in full, answered in JSON like the rest.
        logger.error("API error on %s %s", request.method, request.path, exc_info=exc)
        return _respond(api, request, 500,
                        _("Something went wrong on our side. Please try again later."))

    api.add_exception_handler(Exception, unexpected)
    api.add_exception_handler(ApiError, api_error)
    api.add_exception_handler(ServiceError, service_error)
    api.add_exception_handler(NinjaValidationError, validation_error)
    api.add_exception_handler(HttpError, http_error)
    api.add_exception_handler(Http404, not_found)
    api.add_exception_handler(RequestDataTooBig, data_too_big)


def _missing_token() -> str:
    return _("An API token is required: send 'Authorization: Bearer <token>'.")


def missing_token() -> ApiError:
    return ApiError(401, _missing_token(), headers={"WWW-Authenticate": BEARER_CHALLENGE})
