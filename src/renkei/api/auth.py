"""Bearer tokens, and nothing else: no session cookies, so the API needs no CSRF token."""

from django.conf import settings
from django.http import HttpRequest
from django.utils import translation
from ninja.security import HttpBearer

from renkei.accounts.models import User
from renkei.accounts.services import TokenRefused, authenticate_api_token
from renkei.api.errors import BEARER_CHALLENGE, ApiError, missing_token, too_large

# Room for the multipart boundaries and headers around the files themselves.
MULTIPART_OVERHEAD = 64 * 1024


def body_limit(request: HttpRequest) -> int:
    """The largest body the API takes: one attachment's worth for uploads, else Django's limit."""
    if request.content_type == "multipart/form-data":
        return settings.ATTACHMENT_MAX_BYTES + MULTIPART_OVERHEAD
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE


def refuse_oversized(request: HttpRequest) -> None:
    """Refuse by the declared length, before anything reads the body (a 200 MB upload is never
    read into memory or onto disk)."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    limit = body_limit(request)
    if declared > limit:
        raise too_large(limit)


class BearerToken(HttpBearer):
    def __call__(self, request: HttpRequest) -> User:
        # ninja runs authentication before it parses any parameter, so this is the earliest
        # point inside the API where the body is still unread.
        refuse_oversized(request)
        header = request.headers.get(self.header, "")
        scheme, _sep, raw = header.partition(" ")
        if scheme.lower() != self.openapi_scheme or not raw.strip():
            raise missing_token()
        return self.authenticate(request, raw.strip())

    def authenticate(self, request: HttpRequest, token: str) -> User:
        try:
            user = authenticate_api_token(token)
        except TokenRefused as exc:
            raise ApiError(401, str(exc), headers={
                "WWW-Authenticate": f'{BEARER_CHALLENGE}, error="invalid_token"'}) from exc
        # The owner's language for every message from here on; `request.user` lets the
        # shared views and middleware (no-store caching) treat the caller as signed in.
        translation.activate(user.language)
        request.LANGUAGE_CODE = user.language
        request.user = user
        return user
