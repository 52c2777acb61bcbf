"""The STIX store in the REST API (/api/v1/intel/...): objects and sightings.

Reads go through `intel.selectors` (the visibility rule); writes through `intel.services`.
"""

import json
from datetime import datetime

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from pydantic import Field

from renkei.accounts.models import Organisation, User
from renkei.api.paging import DEFAULT_LIMIT, MAX_LIMIT, page, query_hash
from renkei.api.rendering import fast_json
from renkei.api.schemas import Error, Strict
from renkei.errors import ServiceError
from renkei.intel import curation, selectors, services, stix
from renkei.intel.models import Sighting, Source, StixObject
from renkei.intel.views import object_filters
from renkei.sharing.models import AudienceMode
from renkei.sharing.visibility import access_community

router = Router(tags=["intel"])

ERRORS = {400: Error, 401: Error, 404: Error}
LIST_FIELDS = ("id", "stix_id", "type", "version", "date_added", "tlp", "community_id",
               "community__name", "name", "pattern", "valid_from", "valid_until", "revoked")


class ObjectOut(Schema):
    id: int
    stix_id: str
    type: str
    version: str
    date_added: str
    tlp: str
    community: dict
    name: str
    pattern: str
    valid_from: datetime | None
    valid_until: datetime | None
    revoked: bool
    url: str
    object: dict | None = None


class ObjectPage(Schema):
    items: list[ObjectOut]
    next_cursor: str | None


class ObjectsIn(Strict):
    community: int
    objects: list[dict] = Field(max_length=10_000)
    audience_mode: str = AudienceMode.MEMBERS
    audience_organisations: list[int] = []
    audience_users: list[int] = []


class Outcome(Schema):
    id: str
    version: str
    message: str = ""


class IngestOut(Schema):
    stored: list[Outcome]
    duplicates: list[Outcome]
    failures: list[Outcome]


class SightingIn(Strict):
    kind: str = Sighting.Kind.SEEN
    count: int = 1
    seen_at: datetime | None = None


class SightingsOut(Schema):
    seen: int
    blocked: int
    first_seen: datetime | None
    last_seen: datetime | None
    reports: list[dict]


def _row(row: dict, base: str, page_url: str) -> dict:
    return {
        "id": row["id"], "stix_id": row["stix_id"], "type": row["type"],
        "version": stix.format_timestamp(row["version"]),
        "date_added": stix.format_timestamp(row["date_added"]), "tlp": row["tlp"],
        "community": {"id": row["community_id"], "name": row["community__name"]},
        "name": row["name"], "pattern": row["pattern"], "valid_from": row["valid_from"],
        "valid_until": row["valid_until"], "revoked": row["revoked"],
        "url": base + page_url.format(row["id"]),
    }


def _links(request: HttpRequest) -> tuple[str, str]:
    return (request.build_absolute_uri("/").rstrip("/"),
            reverse("intel:object", args=[0]).replace("/0/", "/{}/"))


@router.get("/objects", response={200: ObjectPage, **ERRORS}, url_name="intel_objects")
def object_list(request: HttpRequest, cursor: str | None = Query(None),
                limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)):
    """The latest version of each object you may read, newest first; filters as on the
    indicator page: q, type (default indicator; empty for all), tlp, community, valid
    (valid/expired)."""
    objects, _chosen = object_filters(request.auth, request.GET)
    bound_to = query_hash(f"{request.auth.id}:intel_objects", request.GET)
    rows, next_cursor = page(objects, cursor=cursor, limit=limit, bound_to=bound_to,
                             fields=LIST_FIELDS)
    base, page_url = _links(request)
    return fast_json({"items": [_row(r, base, page_url) for r in rows],
                      "next_cursor": next_cursor})


def _detail(request: HttpRequest, obj: StixObject) -> dict:
    base, page_url = _links(request)
    row = {name: getattr(obj, name) for name in LIST_FIELDS if "__" not in name}
    row["community__name"] = obj.community.name
    return {**_row(row, base, page_url), "object": json.loads(obj.raw)}


@router.get("/objects/{object_pk}", response={200: ObjectOut, **ERRORS}, url_name="intel_object")
def object_detail(request: HttpRequest, object_pk: int):
    return _detail(request, selectors.access_object(request.auth, object_pk))


@router.post("/objects", response={200: IngestOut, **ERRORS}, url_name="intel_ingest")
def object_ingest(request: HttpRequest, payload: ObjectsIn):
    """Add STIX 2.1 objects to a community (the same checks as TAXII); each object's outcome
    is listed."""
    community = access_community(request.auth, payload.community)
    organisations = list(Organisation.objects.filter(id__in=payload.audience_organisations))
    users = list(User.objects.select_related("organisation").filter(
        id__in=payload.audience_users))
    if len(organisations) != len(set(payload.audience_organisations)) or len(users) != len(
            set(payload.audience_users)):
        raise ServiceError(_("Unknown organisations or people in the audience."))
    result = services.ingest(payload.objects, community=community, user=request.auth,
                             source=Source.API, audience_mode=payload.audience_mode,
                             audience_organisations=organisations, audience_users=users)
    return {"stored": [vars(o) for o in result.stored],
            "duplicates": [vars(o) for o in result.duplicates],
            "failures": [vars(o) for o in result.failures]}


def _sightings(request: HttpRequest, obj: StixObject) -> dict:
    summary = selectors.sightings_for(request.auth, obj)
    return {"seen": summary.seen, "blocked": summary.blocked, "first_seen": summary.first_seen,
            "last_seen": summary.last_seen,
            "reports": [{"kind": s.kind, "count": s.count, "organisation": s.organisation.name,
                         "first_seen": s.first_seen, "last_seen": s.last_seen}
                        for s in summary.reports]}


@router.get("/objects/{object_pk}/sightings", response={200: SightingsOut, **ERRORS},
            url_name="intel_sightings")
def sighting_summary(request: HttpRequest, object_pk: int):
    """Counts for everyone who may read the indicator; who reported only for the centre and
    the reporting organisation."""
    obj = selectors.access_object(request.auth, object_pk)
    if obj.type != "indicator":
        raise ServiceError(_("Sightings are reported for indicators."))
    return _sightings(request, obj)


@router.post("/objects/{object_pk}/sightings", response={201: SightingsOut, **ERRORS},
             url_name="intel_sighting_report")
def sighting_report(request: HttpRequest, object_pk: int, payload: SightingIn):
    """Report that you saw (kind "seen") or blocked (kind "blocked") the indicator."""
    obj = selectors.access_object(request.auth, object_pk)
    services.report_sighting(user=request.auth, indicator=obj, kind=payload.kind,
                             count=payload.count, seen_at=payload.seen_at, source=Source.API)
    return Status(201, _sightings(request, obj))


# --- the centre accepts an object for the curated collections and blocklists ---------------

class CurationIn(Strict):
    note: str = Field("", max_length=500)


class CurationOut(Schema):
    accepted: bool
    accepted_by: str | None = None
    accepted_at: datetime | None = None


@router.post("/objects/{object_pk}/curation", response={200: CurationOut, **ERRORS},
             url_name="intel_curation_accept")
def curation_accept(request: HttpRequest, object_pk: int, payload: CurationIn):
    """Centre staff: vouch for this version, so it may go into the curated collections and
    the blocklists (harmful values are still left out there; see intel/curation.py)."""
    obj = selectors.access_object(request.auth, object_pk)
    acceptance = curation.accept_for_curation(actor=request.auth, stix_object=obj,
                                              note=payload.note)
    return {"accepted": True, "accepted_by": acceptance.accepted_by.email,
            "accepted_at": acceptance.accepted_at}


@router.delete("/objects/{object_pk}/curation", response={200: CurationOut, **ERRORS},
               url_name="intel_curation_withdraw")
def curation_withdraw(request: HttpRequest, object_pk: int):
    obj = selectors.access_object(request.auth, object_pk)
    curation.withdraw_from_curation(actor=request.auth, stix_object=obj)
    return {"accepted": False}
