"""Reads of the STIX store, always through the visibility rule.

- `readable_objects(user)`: every stored version the user may read (`sharing.visibility`).
- `readable_collections(user)`: the TAXII collections the user may read, in a stable order:
  the curated ones first, then one per readable community (live environment).
- `access_collection(user, uuid)`: one of those, or 404 (missing and forbidden alike).
- `collection_objects(user, collection)`: what the user may read in that collection; curated
  collections are filters over `readable_objects`, never wider, never hold RED or
  AMBER+STRICT, and hold only what the centre vetted, less values that would hurt everyone
  (`intel.curation`).
- `access_object(user, pk)`: one readable version, or 404.
- `sightings_for(user, indicator)`: the sighting counts the user may see for an indicator.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Max, Min, Q, QuerySet, Sum
from django.http import Http404
from django.utils import timezone

from renkei.intel import curation
from renkei.intel.models import Collection, Sighting, StixObject
from renkei.intel.services import ensure_community_collections
from renkei.sharing import permissions
from renkei.sharing.models import CONFINED_TLP, LIVE_ENVIRONMENT_ID
from renkei.sharing.visibility import readable_communities, readable_stix_objects


def readable_objects(user, environment_id: int = LIVE_ENVIRONMENT_ID) -> QuerySet:
    return readable_stix_objects(user, environment_id)


def valid_now(now: datetime | None = None) -> Q:
    now = now or timezone.now()
    return Q(revoked=False) & (Q(valid_from__isnull=True) | Q(valid_from__lte=now)) & (
        Q(valid_until__isnull=True) | Q(valid_until__gt=now))


def readable_collections(user) -> list[Collection]:
    communities = readable_communities(user)
    if not communities.exists():
        return []
    ensure_community_collections(communities)
    curated = list(Collection.objects.filter(kind=Collection.Kind.CURATED).order_by("id"))
    own = list(Collection.objects.filter(community__in=communities.values("id"))
               .select_related("community").order_by("community_id"))
    return curated + own


def access_collection(user, collection_id: str) -> Collection:
    for collection in readable_collections(user):
        if str(collection.uuid) == collection_id:
            return collection
    raise Http404


def can_write(user, collection: Collection) -> bool:
    return collection.kind == Collection.Kind.COMMUNITY and permissions.can_post(
        user, collection.community)


def collection_objects(user, collection: Collection, *, screened: bool = True) -> QuerySet:
    """`screened=False`: a curated collection's vetted objects before harmful values are left
    out, for a caller that leaves them out itself and counts them (blocklists)."""
    objects = readable_objects(user)
    if collection.kind == Collection.Kind.COMMUNITY:
        return objects.filter(community_id=collection.community_id)
    if collection.types:
        objects = objects.filter(type__in=collection.types)
    objects = objects.filter(tlp__in=[t for t in collection.tlps if t not in CONFINED_TLP])
    if collection.filter_valid_now:
        objects = objects.filter(valid_now())
    return curation.curated(objects) if screened else objects.filter(curation.vetted())


def access_object(user, pk) -> StixObject:
    if not str(pk).isdigit():
        raise Http404
    found = readable_objects(user).select_related(
        "community", "added_by", "added_by_organisation").filter(pk=int(pk)).first()
    if found is None:
        raise Http404
    return found


@dataclass
class SightingSummary:
    seen: int
    blocked: int
    first_seen: datetime | None
    last_seen: datetime | None
    reports: list  # Sighting rows whose reporter the user may see


def sightings_for(user, indicator: StixObject) -> SightingSummary:
    """Counts for whoever may read the indicator (the caller checked that); who reported is
    shown only to the centre and to the reporter's own organisation."""
    rows = Sighting.objects.filter(community_id=indicator.community_id,
                                   indicator_id=indicator.stix_id)
    totals = rows.aggregate(
        seen=Sum("count", filter=Q(kind=Sighting.Kind.SEEN)),
        blocked=Sum("count", filter=Q(kind=Sighting.Kind.BLOCKED)),
        first=Min("first_seen"), last=Max("last_seen"), n=Count("id"))
    reports = rows.select_related("organisation", "reported_by")
    if not user.is_centre_staff:
        reports = reports.filter(organisation_id=user.organisation_id)
    return SightingSummary(seen=totals["seen"] or 0, blocked=totals["blocked"] or 0,
                           first_seen=totals["first"], last_seen=totals["last"],
                           reports=list(reports[:50]))
