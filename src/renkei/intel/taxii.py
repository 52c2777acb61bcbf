"""The TAXII 2.1 server under /taxii2/ (OASIS TAXII 2.1, 10 June 2021).

One API root, `/taxii2/api1/`. Collections: the centre's curated ones, then one per community
the caller may read (`intel.selectors`); every object read goes through the visibility rule.

What clients trip over, and how this answers it (../shared/design/TAXII.md):
- every response, errors and unknown paths under /taxii2/ included, is
  `application/taxii+json;version=2.1` with a JSON body (errors as TAXII error messages);
- Accept: the taxii media type with or without `version=2.1` (and with a space), alone or with
  the stix media type; `*/*`; another version gives 406;
- HTTP Basic with e-mail + API token, or Bearer; 401 carries `WWW-Authenticate: Basic`;
- `next` is a signed token of the query and the last date_added: stateless, re-sendable,
  refused (400) when tampered with or sent with another query, tolerated with `added_after`;
- every stored version has its own date_added, so `added_after` paging never skips;
- POST takes the envelope or a bundle, as taxii or stix media type; the declared length is
  checked against `max_content_length` before the body is read (413);
- empty results are `{}`; lists are never sent empty.
"""

import hashlib
import json
import uuid
from datetime import timedelta
from functools import wraps

from django.conf import settings
from django.core import signing
from django.db.models import Exists, OuterRef, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from renkei.accounts.models import User
from renkei.accounts.services import TokenRefused, authenticate_api_token
from renkei.errors import ServiceError
from renkei.intel import outgoing, selectors, services, stix
from renkei.intel.models import Source, StixObject, TaxiiStatus
from renkei.sharing.passing import Kind, passable_tlps

TAXII_MEDIA_TYPE = "application/taxii+json;version=2.1"
STIX_MEDIA_TYPE = "application/stix+json;version=2.1"
MAX_PAGE = 1000
MAX_CONTENT_LENGTH = getattr(settings, "RENKEI_TAXII_MAX_CONTENT_LENGTH", 20 * 1024 * 1024)
STATUS_KEPT = timedelta(days=7)
NEXT_SALT = "taxii.next"
API_ROOT = "api1"


class TaxiiError(Exception):
    def __init__(self, status: int, title: str, description: str = "", headers=None):
        super().__init__(title)
        self.status, self.title, self.description = status, title, description
        self.headers = headers or {}


# --- responses -------------------------------------------------------------------------------

def taxii_response(body, status: int = 200, headers=None) -> HttpResponse:
    if isinstance(body, str):
        content = body
    elif body is None:
        content = ""
    else:
        content = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    response = HttpResponse(content, status=status, content_type=TAXII_MEDIA_TYPE)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def error_response(status: int, title: str, description: str = "", headers=None):
    body = {"title": title, "http_status": str(status)}
    if description:
        body["description"] = description
    return taxii_response(body, status, headers)


def _unauthorised(description: str) -> TaxiiError:
    return TaxiiError(401, _("Authentication required"), description,
                      {"WWW-Authenticate": 'Basic realm="renkei TAXII", charset="UTF-8"'})


# --- request checks --------------------------------------------------------------------------

def _media_ranges(header: str):
    for part in header.split(","):
        pieces = [p.strip() for p in part.split(";")]
        media = pieces[0].lower()
        params = {}
        for piece in pieces[1:]:
            name, _sep, value = piece.partition("=")
            params[name.strip().lower()] = value.strip().strip('"')
        if media:
            yield media, params


def _accepts(request: HttpRequest, *, stix_too: bool) -> bool:
    header = request.headers.get("Accept", "").strip()
    if not header:
        return True
    wanted = {"application/taxii+json"} | ({"application/stix+json"} if stix_too else set())
    for media, params in _media_ranges(header):
        if media in {"*/*", "application/*"}:
            return True
        if media in wanted and params.get("version", "2.1") == "2.1":
            return True
    return False


def authenticate(request: HttpRequest) -> User:
    import base64

    header = request.headers.get("Authorization", "")
    scheme, _sep, credentials = header.partition(" ")
    scheme, credentials = scheme.lower(), credentials.strip()
    if scheme == "bearer" and credentials:
        email, token = None, credentials
    elif scheme == "basic" and credentials:
        try:
            decoded = base64.b64decode(credentials, validate=True).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            raise _unauthorised(_("The Basic credentials are not valid base64.")) from None
        email, _sep, token = decoded.partition(":")
    else:
        raise _unauthorised(_("Sign in with HTTP Basic (your e-mail address and an API token) "
                              "or a Bearer token."))
    try:
        user = authenticate_api_token(token)
    except TokenRefused as exc:
        raise _unauthorised(str(exc)) from exc
    if email is not None and email.strip().lower() != user.email.lower():
        raise _unauthorised(_("The e-mail address does not match the API token."))
    return user


def taxii_view(*methods: str, stix_accept: bool = False):
    """Authentication, content negotiation and TAXII errors around one endpoint."""

    def decorate(view):
        @csrf_exempt
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs):
            try:
                if request.method not in methods:
                    raise TaxiiError(405, _("Method not allowed"),
                                     _("Allowed: %(methods)s.") % {"methods": ", ".join(methods)},
                                     {"Allow": ", ".join(methods)})
                if request.method == "POST":
                    _refuse_oversized(request)
                user = authenticate(request)
                translation.activate(user.language)
                request.user = user
                if not _accepts(request, stix_too=stix_accept):
                    raise TaxiiError(406, _("Not acceptable"), _(
                        "This server speaks %(media)s.") % {"media": TAXII_MEDIA_TYPE})
                return view(request, user, *args, **kwargs)
            except TaxiiError as exc:
                return error_response(exc.status, exc.title, exc.description, exc.headers)
            except Http404:
                return error_response(404, _("Not found"),
                                      _("There is no such resource, or you may not read it."))
            except ServiceError as exc:
                return error_response(403, _("Forbidden"), " ".join(exc.messages))
            except Exception:  # a 500 must still be a TAXII error, never an HTML page
                import logging

                logging.getLogger("renkei.taxii").exception("TAXII request failed")
                return error_response(500, _("Internal error"),
                                      _("The server could not answer this request."))

        return wrapped

    return decorate


def _refuse_oversized(request: HttpRequest) -> None:
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > MAX_CONTENT_LENGTH:
        raise TaxiiError(413, _("Request too large"), _(
            "This server takes at most %(n)d bytes per request.") % {"n": MAX_CONTENT_LENGTH})


def not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    """Anything else under /taxii2/: a TAXII 404, never the site's HTML page."""
    return error_response(404, _("Not found"), _("There is no such TAXII endpoint."))


# --- discovery, API root, collections --------------------------------------------------------

def _api_root_url(request: HttpRequest) -> str:
    return request.build_absolute_uri(reverse("taxii:api_root", args=[API_ROOT]))


@taxii_view("GET")
def discovery(request: HttpRequest, user: User) -> HttpResponse:
    root = _api_root_url(request)
    return taxii_response({
        "title": "renkei TAXII",
        "description": _("Indicators and other STIX 2.1 objects shared on renkei, by "
                         "community, within the visibility rule."),
        "default": root,
        "api_roots": [root],
    })


def _check_root(api_root: str) -> None:
    if api_root != API_ROOT:
        raise Http404


@taxii_view("GET")
def api_root(request: HttpRequest, user: User, api_root: str) -> HttpResponse:
    _check_root(api_root)
    return taxii_response({
        "title": "renkei",
        "description": _("Collections: one per community you may read, and the centre's "
                         "curated ones."),
        "versions": [TAXII_MEDIA_TYPE],
        "max_content_length": MAX_CONTENT_LENGTH,
    })


def _collection_resource(user: User, collection) -> dict:
    resource = {"id": str(collection.uuid), "title": collection.display_title}
    description = collection.description or (
        collection.community.description if collection.community_id else "")
    if description:
        resource["description"] = description
    resource.update({"can_read": True, "can_write": selectors.can_write(user, collection),
                     "media_types": [STIX_MEDIA_TYPE]})
    return resource


@taxii_view("GET")
def collections(request: HttpRequest, user: User, api_root: str) -> HttpResponse:
    _check_root(api_root)
    found = selectors.readable_collections(user)
    if not found:
        return taxii_response({})
    return taxii_response({"collections": [_collection_resource(user, c) for c in found]})


@taxii_view("GET")
def collection(request: HttpRequest, user: User, api_root: str, collection_id: str):
    _check_root(api_root)
    return taxii_response(_collection_resource(
        user, selectors.access_collection(user, collection_id)))


# --- filters and paging ----------------------------------------------------------------------

def _limit(request: HttpRequest) -> int:
    raw = request.GET.get("limit")
    if raw is None or raw == "":
        return MAX_PAGE
    try:
        limit = int(raw)
    except ValueError:
        raise TaxiiError(400, _("Bad limit"), _("limit must be a positive whole number.")
                         ) from None
    if limit < 1:
        raise TaxiiError(400, _("Bad limit"), _("limit must be a positive whole number."))
    return min(limit, MAX_PAGE)


def _timestamp_param(value: str, name: str):
    try:
        return stix.parse_timestamp(value)
    except ValueError:
        raise TaxiiError(400, _("Bad timestamp"), _(
            "%(name)s must be a timestamp like 2026-07-24T12:00:00.000000Z.") % {"name": name}
        ) from None


def _values(request: HttpRequest, name: str) -> list[str]:
    return [v.strip() for raw in request.GET.getlist(name) for v in raw.split(",") if v.strip()]


def _filtered(request: HttpRequest, objects, *, versions_default: str | None = "last"):
    """Apply match[id], match[type], match[version], match[spec_version]; unknown match
    fields are ignored."""
    ids = _values(request, "match[id]")
    if ids:
        objects = objects.filter(stix_id__in=ids)
    types = _values(request, "match[type]")
    if types:
        objects = objects.filter(type__in=types)
    specs = _values(request, "match[spec_version]")
    if specs:
        wanted = set(specs)
        # An SCO without spec_version is a 2.1 object inside a 2.1 store.
        condition = Q(spec_version__in=wanted) | (Q(spec_version="") if "2.1" in wanted else Q(
            pk__in=[]))
        objects = objects.filter(condition)
    if versions_default is not None:
        versions = _values(request, "match[version]") or [versions_default]
        if "all" not in versions:
            condition = Q(pk__in=[])
            for version in versions:
                if version == "last":
                    condition |= Q(is_latest=True)
                elif version == "first":
                    older = StixObject.objects.filter(
                        community_id=OuterRef("community_id"), stix_id=OuterRef("stix_id"),
                        version__lt=OuterRef("version"))
                    condition |= ~Exists(older)
                else:
                    condition |= Q(version=_timestamp_param(version, "match[version]"))
            objects = objects.filter(condition)
    return objects


PAGING = frozenset({"limit", "next", "added_after"})


def _query_key(request: HttpRequest, user: User, scope: str) -> str:
    items = sorted((k, sorted(request.GET.getlist(k))) for k in request.GET if k not in PAGING)
    return hashlib.sha256(repr((user.pk, scope, items)).encode()).hexdigest()[:32]


def _page(request: HttpRequest, user: User, objects, scope: str):
    """(rows, more, next token) for one page, sorted by date_added."""
    limit = _limit(request)
    after = None
    if request.GET.get("added_after"):
        after = _timestamp_param(request.GET["added_after"], "added_after")
    token = request.GET.get("next")
    key = _query_key(request, user, scope)
    if token:
        try:
            data = signing.loads(token, salt=NEXT_SALT)
            if data.get("q") != key:
                raise signing.BadSignature
            resume = stix.parse_timestamp(data["after"])
        except (signing.BadSignature, KeyError, TypeError, ValueError):
            raise TaxiiError(400, _("Bad next"), _(
                "This next value is not one this server gave for this query.")) from None
        after = max(after, resume) if after else resume
    if after is not None:
        objects = objects.filter(date_added__gt=after)
    rows = list(objects.order_by("date_added")[:limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    next_token = None
    if more:
        next_token = signing.dumps(
            {"q": key, "after": stix.format_timestamp(rows[-1].date_added)}, salt=NEXT_SALT)
    return rows, more, next_token


def _date_headers(rows) -> dict:
    if not rows:
        return {}
    return {"X-TAXII-Date-Added-First": stix.format_timestamp(rows[0].date_added),
            "X-TAXII-Date-Added-Last": stix.format_timestamp(rows[-1].date_added)}


def _envelope(user: User, rows, more: bool, next_token: str | None) -> HttpResponse:
    if not rows:
        return taxii_response({})
    head = '{"more":' + ("true" if more else "false")
    if next_token:
        head += ',"next":' + json.dumps(next_token)
    body = head + ',"objects":[' + ",".join(outgoing.raws(user, rows)) + "]}"
    return taxii_response(body, headers=_date_headers(rows))


def _rows(queryset, with_raw: bool):
    """Only the columns a page needs, as named tuples (a page holds up to 1,000); objects
    leave through `intel.outgoing` (markings, object_refs)."""
    fields = ["stix_id", "version", "date_added"] + (
        list(outgoing.FIELDS) if with_raw else [])
    return queryset.values_list(*fields, named=True)


# --- objects ---------------------------------------------------------------------------------

def _collection_and_objects(request, user, api_root, collection_id):
    _check_root(api_root)
    found = selectors.access_collection(user, collection_id)
    # A client machine of the reader's organisation: everything read but RED (sharing.passing).
    return found, selectors.collection_objects(user, found).filter(
        tlp__in=passable_tlps(Kind.FEED))


@taxii_view("GET", "POST", stix_accept=True)
def objects(request: HttpRequest, user: User, api_root: str, collection_id: str):
    found, readable = _collection_and_objects(request, user, api_root, collection_id)
    if request.method == "POST":
        return _add_objects(request, user, found)
    rows, more, token = _page(request, user, _rows(_filtered(request, readable), True),
                              f"objects:{found.uuid}")
    return _envelope(user, rows, more, token)


@taxii_view("GET")
def manifest(request: HttpRequest, user: User, api_root: str, collection_id: str):
    found, readable = _collection_and_objects(request, user, api_root, collection_id)
    rows, more, token = _page(request, user, _rows(_filtered(request, readable), False),
                              f"manifest:{found.uuid}")
    if not rows:
        return taxii_response({})
    body = {"more": more}
    if token:
        body["next"] = token
    body["objects"] = [{"id": r.stix_id, "date_added": stix.format_timestamp(r.date_added),
                        "version": stix.format_timestamp(r.version),
                        "media_type": STIX_MEDIA_TYPE} for r in rows]
    return taxii_response(body, headers=_date_headers(rows))


@taxii_view("GET", "DELETE", stix_accept=True)
def object_detail(request: HttpRequest, user: User, api_root: str, collection_id: str,
                  object_id: str):
    found, readable = _collection_and_objects(request, user, api_root, collection_id)
    if request.method == "DELETE" and not selectors.can_write(user, found):
        # Read-only (a curated collection): 403 whatever the id, so nothing is told about it.
        raise TaxiiError(403, _("Forbidden"), _("You may read this collection but not change "
                                                "it."))
    versions = readable.filter(stix_id=object_id)
    if not versions.exists():
        raise Http404
    if request.method == "DELETE":
        return _delete(request, user, found, versions, object_id)
    rows, more, token = _page(request, user, _rows(_filtered(request, versions), True),
                              f"object:{found.uuid}:{object_id}")
    return _envelope(user, rows, more, token)


@taxii_view("GET")
def object_versions(request: HttpRequest, user: User, api_root: str, collection_id: str,
                    object_id: str):
    found, readable = _collection_and_objects(request, user, api_root, collection_id)
    versions = readable.filter(stix_id=object_id)
    if not versions.exists():
        raise Http404
    rows, more, token = _page(request, user,
                              _rows(_filtered(request, versions, versions_default=None), False),
                              f"versions:{found.uuid}:{object_id}")
    if not rows:
        return taxii_response({})
    body = {"more": more}
    if token:
        body["next"] = token
    body["versions"] = [stix.format_timestamp(r.version) for r in rows]
    return taxii_response(body, headers=_date_headers(rows))


def _delete(request, user, found, versions, object_id) -> HttpResponse:
    # Without match[version], every version goes.
    targets = _filtered(request, versions, versions_default="all")
    chosen = sorted({v for v in targets.values_list("version", flat=True)})
    if not chosen:
        raise Http404
    services.delete_object(user=user, community=found.community, stix_id=object_id,
                           versions=chosen)
    return taxii_response(None)


# --- adding objects --------------------------------------------------------------------------

def _read_body(request: HttpRequest) -> bytes:
    body = request.read(MAX_CONTENT_LENGTH + 1)
    if len(body) > MAX_CONTENT_LENGTH:
        raise TaxiiError(413, _("Request too large"), _(
            "This server takes at most %(n)d bytes per request.") % {"n": MAX_CONTENT_LENGTH})
    return body


def _content_type_ok(request: HttpRequest) -> bool:
    header = request.META.get("CONTENT_TYPE", "")
    for media, params in _media_ranges(header):
        if media in {"application/taxii+json", "application/stix+json"}:
            return params.get("version", "2.1") == "2.1"
    return False


def _add_objects(request: HttpRequest, user: User, found) -> HttpResponse:
    if not selectors.can_write(user, found):
        raise TaxiiError(403, _("Forbidden"), _("You may read this collection but not add to "
                                                "it."))
    if not _content_type_ok(request):
        raise TaxiiError(415, _("Unsupported media type"), _(
            "Send %(taxii)s or %(stix)s.") % {"taxii": TAXII_MEDIA_TYPE, "stix": STIX_MEDIA_TYPE})
    body = _read_body(request)
    try:
        envelope = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise TaxiiError(400, _("Not JSON"), _("The request body is not JSON.")) from None
    if not isinstance(envelope, dict) or not isinstance(envelope.get("objects", []), list):
        raise TaxiiError(400, _("Not an envelope"), _(
            "Send a TAXII envelope or a STIX bundle: an object with an objects list."))
    requested_at = timezone.now()
    result = services.ingest(envelope.get("objects") or [], collection=found, user=user,
                             source=Source.TAXII, source_detail=request.headers.get(
                                 "User-Agent", "")[:200])
    status_id = uuid.uuid4()
    body = {
        "id": str(status_id), "status": "complete",
        "request_timestamp": stix.format_timestamp(requested_at),
        "total_count": result.total, "success_count": len(result.successes),
        "failure_count": len(result.failures), "pending_count": 0,
    }
    if result.successes:
        body["successes"] = [_detail(o) for o in result.successes]
    if result.failures:
        body["failures"] = [_detail(o) for o in result.failures]
    TaxiiStatus.objects.filter(created_at__lt=timezone.now() - STATUS_KEPT).delete()
    TaxiiStatus.objects.create(uuid=status_id, user=user, collection=found,
                               request_timestamp=requested_at, body=body)
    return taxii_response(body, status=202)


def _detail(outcome) -> dict:
    detail = {"id": outcome.id, "version": outcome.version}
    if outcome.message:
        detail["message"] = outcome.message
    return detail


@taxii_view("GET")
def status(request: HttpRequest, user: User, api_root: str, status_id: str):
    _check_root(api_root)
    try:
        key = uuid.UUID(status_id)
    except ValueError:
        raise Http404 from None
    found = TaxiiStatus.objects.filter(uuid=key, user=user).first()
    if found is None:
        raise Http404
    return taxii_response(found.body)
