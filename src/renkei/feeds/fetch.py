"""Fetching a feed over HTTP, refusing anything larger than the limit before it is read whole."""

import requests
from django.conf import settings
from django.utils.translation import gettext as _

from renkei.errors import ServiceError

CHUNK = 64 * 1024


def fetch(url: str, *, authorization: str = "", limit: int | None = None,
          missing_ok: bool = False) -> bytes | None:
    """The body at `url`; None for a 404 when `missing_ok` (a MISP event the manifest lists
    but the feed lacks). Every other problem is a ServiceError with a clear message."""
    limit = limit or settings.FEEDS_IMPORT_MAX_BYTES
    headers = {"User-Agent": "renkei-feeds/1", "Accept": "*/*"}
    if authorization:
        headers["Authorization"] = authorization
    try:
        with requests.get(url, headers=headers, stream=True, allow_redirects=True,
                          timeout=settings.FEEDS_FETCH_TIMEOUT) as response:
            if response.status_code == 404 and missing_ok:
                return None
            if response.status_code != 200:
                raise ServiceError(_("%(url)s answered HTTP %(status)d.")
                                   % {"url": url, "status": response.status_code})
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > limit:
                raise too_large(limit)
            body = bytearray()
            for piece in response.iter_content(CHUNK):
                body += piece
                if len(body) > limit:
                    raise too_large(limit)
            return bytes(body)
    except requests.RequestException as exc:
        raise ServiceError(_("%(url)s could not be fetched: %(problem)s")
                           % {"url": url, "problem": exc.__class__.__name__}) from exc


def too_large(limit: int) -> ServiceError:
    return ServiceError(_("The data is larger than the limit of %(mb)s MB.")
                        % {"mb": f"{limit / (1024 * 1024):.1f}".removesuffix(".0")})
