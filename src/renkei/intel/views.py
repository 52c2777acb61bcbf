"""The indicator pages: a list with search and filters, and one page per stored object.

Thin: every read goes through `intel.selectors` (the visibility rule), every write through
`intel.services`. A missing and a forbidden object are both 404.
"""

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from renkei.communities.paging import pinned_first_page
from renkei.errors import ServiceError
from renkei.intel import selectors, services
from renkei.intel.models import Sighting, Source, StixObject, StixRef
from renkei.sharing.models import TLP
from renkei.sharing.visibility import readable_communities, readable_topics

PER_PAGE = 50
VALIDITY = (("valid", gettext_lazy("Valid now")), ("expired", gettext_lazy("Expired or revoked")))


def object_filters(user, params) -> tuple[object, dict]:
    """The list's filters, shared by the page and the API: (queryset, chosen values)."""
    chosen = {name: (params.get(name) or "").strip()[:200]
              for name in ("q", "type", "tlp", "community", "valid")}
    objects = selectors.readable_objects(user).filter(is_latest=True)
    if chosen["type"] == "":
        chosen["type"] = "indicator" if "type" not in params else ""
    if chosen["type"]:
        objects = objects.filter(type=chosen["type"])
    if chosen["tlp"] in TLP.values:
        objects = objects.filter(tlp=chosen["tlp"])
    if chosen["community"].isdigit():
        objects = objects.filter(community_id=int(chosen["community"]))
    if chosen["valid"] == "valid":
        objects = objects.filter(selectors.valid_now())
    elif chosen["valid"] == "expired":
        objects = objects.exclude(selectors.valid_now())
    q = chosen["q"].replace("\x00", "")
    if q:
        objects = objects.filter(Q(name__icontains=q) | Q(pattern__icontains=q) | Q(stix_id=q))
    return objects.order_by("-date_added"), chosen


@login_required
def indicator_list(request: HttpRequest) -> HttpResponse:
    objects, chosen = object_filters(request.user, request.GET)
    rows = objects.select_related("community").only(
        "id", "stix_id", "type", "name", "pattern", "tlp", "valid_from", "valid_until",
        "revoked", "date_added", "community__name")
    page = pinned_first_page(StixObject.objects.none(), rows, request.GET.get("page"), PER_PAGE)
    return render(request, "intel/indicator_list.html", {
        "page": page, "chosen": chosen, "tlps": TLP.choices,
        "communities": readable_communities(request.user).order_by("name"),
        "types": ["indicator", "malware", "threat-actor", "campaign", "attack-pattern",
                  "vulnerability", "report", "relationship", "sighting", "identity",
                  "infrastructure", "observed-data"],
        "validity": VALIDITY, "now": timezone.now(),
    })


def _related(user, obj: StixObject):
    """Readable objects this one refers to or is related to (through relationships), and
    readable objects that refer to it (reports, sightings, notes)."""
    readable = selectors.readable_objects(user).filter(is_latest=True)
    referring = readable.filter(pk__in=StixRef.objects.filter(target_id=obj.stix_id).values(
        "stix_object_id")).exclude(pk=obj.pk)
    targets = set(obj.refs.values_list("target_id", flat=True))
    # A relationship stands between two objects: show the object at its other end.
    ends = StixRef.objects.filter(
        stix_object__in=referring.filter(type="relationship"),
        kind__in=["source_ref", "target_ref"]).exclude(target_id=obj.stix_id)
    targets |= set(ends.values_list("target_id", flat=True))
    outgoing = readable.filter(stix_id__in=targets).exclude(pk=obj.pk)[:50]
    incoming = referring.exclude(type="relationship")[:50]
    return list(outgoing), list(incoming)


@login_required
def object_detail(request: HttpRequest, pk: int) -> HttpResponse:
    obj = selectors.access_object(request.user, pk)
    versions = selectors.readable_objects(request.user).filter(
        community_id=obj.community_id, stix_id=obj.stix_id).order_by("-version")
    topics = readable_topics(request.user).filter(
        stix_links__stix_object__stix_id=obj.stix_id,
        stix_links__stix_object__community_id=obj.community_id).distinct().order_by(
        "-updated_at")[:50]
    outgoing, incoming = _related(request.user, obj)
    return render(request, "intel/object_detail.html", {
        "obj": obj, "pretty": json.dumps(json.loads(obj.raw), ensure_ascii=False, indent=2),
        "versions": versions, "topics": topics, "outgoing": outgoing, "incoming": incoming,
        "sightings": selectors.sightings_for(request.user, obj) if obj.type == "indicator"
        else None,
        "sighting_kinds": Sighting.Kind.choices,
    })


@login_required
@require_POST
def report_sighting(request: HttpRequest, pk: int) -> HttpResponse:
    obj = selectors.access_object(request.user, pk)
    try:
        count = int(request.POST.get("count") or 1)
    except ValueError:
        count = 0
    try:
        services.report_sighting(user=request.user, indicator=obj,
                                 kind=request.POST.get("kind", ""), count=count,
                                 source=Source.PAGE)
    except ServiceError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Thank you: your sighting is recorded."))
    return redirect("intel:object", pk=obj.pk)
