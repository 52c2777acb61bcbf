"""Feeds out over HTTP: one address per collection and format, for people (signed in) and for
products that poll (`Authorization: Bearer <API token>`). The work is in `exporters`.

    /feeds/out/<collection>/bundle.json            STIX 2.1 bundle
    /feeds/out/<collection>/indicators.csv         CSV
    /feeds/out/<collection>/blocklist-<ip|domain|url|hash>.txt
    /feeds/out/<collection>/misp/manifest.json     MISP feed (point MISP at …/misp/)
    /feeds/out/<collection>/misp/<event uuid>.json
    /feeds/out/<collection>/misp/hashes.csv

`?confined=1` adds TLP:AMBER+STRICT, and for a person signed in TLP:RED as well: a product
polling with a token never gets RED (the pass-on rule's Kind.FEED; see exporters). A
collection the reader may not read answers 404, the same as one that does not exist; no
credentials answers 401.
"""

from functools import wraps

from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    JsonResponse,
    StreamingHttpResponse,
)
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from renkei.accounts.client import client_ip
from renkei.accounts.services import TokenRefused, authenticate_api_token
from renkei.errors import ServiceError
from renkei.feeds import exporters
from renkei.http import as_download
from renkei.intel import curation, selectors
from renkei.sharing.passing import Kind

TEXT = "text/plain; charset=utf-8"
CSV = "text/csv; charset=utf-8"
JSON = "application/json"
STIX = "application/stix+json;version=2.1"


def session_or_token(view):
    """The signed-in person, or the owner of a Bearer API token; otherwise 401 (never a login
    page: the callers are mostly programs)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs):
        header = request.headers.get("Authorization", "")
        scheme, _sep, raw = header.partition(" ")
        if scheme.lower() == "bearer" and raw.strip():
            try:
                user = authenticate_api_token(raw.strip())
            except TokenRefused as exc:
                return _unauthorised(str(exc))
            translation.activate(user.language)
            request.user = user
            request.feed_by_token = True  # a machine polls: sharing.passing Kind.FEED
        elif not request.user.is_authenticated:
            return _unauthorised(_("Sign in, or send an API token as 'Authorization: Bearer "
                                   "<token>'."))
        return view(request, *args, **kwargs)

    return wrapped


def _unauthorised(message: str) -> JsonResponse:
    response = JsonResponse({"error": message, "status": 401}, status=401,
                            json_dumps_params={"ensure_ascii": False})
    response["WWW-Authenticate"] = 'Bearer realm="renkei"'
    return response


def _prepare(request: HttpRequest, collection_id: str, fmt: str, **detail):
    """(request, counter) for a readable collection, or a 400 response for bad parameters."""
    collection = selectors.access_collection(request.user, collection_id)
    try:
        confined = exporters.parse_confined(request.GET)
    except ServiceError as exc:
        return JsonResponse({"error": " ".join(exc.messages), "status": 400}, status=400,
                            json_dumps_params={"ensure_ascii": False})
    kind = Kind.FEED if getattr(request, "feed_by_token", False) else Kind.EXPORT
    wanted = exporters.ExportRequest(collection=collection, format=fmt, confined=confined,
                                     kind=kind)
    return wanted, exporters.Counter(request.user, wanted, client_ip(request), **detail)


@require_GET
@session_or_token
def bundle(request: HttpRequest, collection_id: str) -> HttpResponse:
    prepared = _prepare(request, collection_id, "stix")
    if isinstance(prepared, HttpResponse):
        return prepared
    wanted, counter = prepared
    objects = exporters.current_objects(request.user, wanted)
    return as_download(StreamingHttpResponse(exporters.stix_bundle(request.user, objects, counter),
                                           content_type=STIX), f"{collection_id}.json")


@require_GET
@session_or_token
def indicators_csv(request: HttpRequest, collection_id: str) -> HttpResponse:
    prepared = _prepare(request, collection_id, "csv")
    if isinstance(prepared, HttpResponse):
        return prepared
    wanted, counter = prepared
    rows = exporters.csv_rows(exporters.current_objects(request.user, wanted))
    pieces = exporters.csv_pieces(rows, confined=wanted.confined, counter=counter)
    return as_download(StreamingHttpResponse(pieces, content_type=CSV),
                     f"{collection_id}-indicators.csv")


@require_GET
@session_or_token
def blocklist(request: HttpRequest, collection_id: str, name: str) -> HttpResponse:
    if name not in exporters.BLOCKLISTS:
        raise Http404
    prepared = _prepare(request, collection_id, f"blocklist-{name}")
    if isinstance(prepared, HttpResponse):
        return prepared
    wanted, counter = prepared
    refusals = curation.Refusals()
    values = exporters.blocklist_values(exporters.blocklist_objects(request.user, wanted), name,
                                        refusals=refusals)
    lines = exporters.blocklist_lines(values, confined=wanted.confined, counter=counter,
                                      refusals=refusals)
    return StreamingHttpResponse(lines, content_type=TEXT)


@require_GET
@session_or_token
def misp_manifest(request: HttpRequest, collection_id: str) -> HttpResponse:
    prepared = _prepare(request, collection_id, "misp-manifest")
    if isinstance(prepared, HttpResponse):
        return prepared
    wanted, counter = prepared
    objects = exporters.current_objects(request.user, wanted)
    manifest = exporters.misp_manifest(exporters.misp_events(objects, wanted.collection))
    counter.rows = len(manifest)
    counter.close(finished=True)
    return HttpResponse(exporters.dumps(manifest), content_type=JSON)


@require_GET
@session_or_token
def misp_event(request: HttpRequest, collection_id: str, event_id: str) -> HttpResponse:
    prepared = _prepare(request, collection_id, "misp-event", event=event_id)
    if isinstance(prepared, HttpResponse):
        return prepared
    wanted, counter = prepared
    objects = exporters.current_objects(request.user, wanted)
    group = exporters.misp_events(objects, wanted.collection).get(event_id)
    if group is None:
        counter.close(finished=False)
        raise Http404
    event = exporters.misp_event(objects, event_id, group)
    counter.rows = len(event["Event"]["Attribute"])
    counter.close(finished=True)
    return HttpResponse(exporters.dumps(event), content_type=JSON)


@require_GET
@session_or_token
def misp_hashes(request: HttpRequest, collection_id: str) -> HttpResponse:
    prepared = _prepare(request, collection_id, "misp-hashes")
    if isinstance(prepared, HttpResponse):
        return prepared
    wanted, counter = prepared
    objects = exporters.current_objects(request.user, wanted)
    lines = exporters.misp_hashes(objects, exporters.misp_events(objects, wanted.collection))
    return StreamingHttpResponse((line.encode() for line in counter.count(lines)),
                                 content_type=CSV)
