"""STIX objects already passed on against the pass-on rule: indicators made from a topic into a
community its TLP does not reach, and versions of an object added by another organisation than
the one that created it (see `sharing.audit_passing`)."""

from collections.abc import Iterator

from django.db.models import Count, F, Min
from django.utils.translation import gettext as _

from renkei.communities.audiences import community_destination, topic_item
from renkei.intel.models import StixObject, StixTopicLink
from renkei.sharing.audit_passing import Finding
from renkei.sharing.passing import refusal


def findings() -> Iterator[Finding]:
    yield from _made_from_topics()
    yield from _foreign_versions()


def _made_from_topics() -> Iterator[Finding]:
    links = (StixTopicLink.objects
             .exclude(stix_object__community_id=F("topic__community_id"))
             .select_related("topic__community", "topic__author", "stix_object__community")
             .order_by("id"))
    for link in links.iterator(chunk_size=500):
        stored = link.stix_object
        reason = refusal(topic_item(link.topic), community_destination(stored.community),
                         actor_organisation_id=stored.added_by_organisation_id)
        if reason:
            yield Finding("indicator", f"{stored.stix_id} ← {link.topic.public_id}",
                          stored.community.name, reason)


def _foreign_versions() -> Iterator[Finding]:
    shared_ids = (StixObject.objects.values("stix_id")
                  .annotate(organisations=Count("added_by_organisation", distinct=True))
                  .filter(organisations__gt=1).values_list("stix_id", flat=True))
    for stix_id in shared_ids.iterator(chunk_size=500):
        versions = StixObject.objects.filter(stix_id=stix_id)
        first = versions.aggregate(first=Min("date_added"))["first"]
        creator = versions.get(date_added=first).added_by_organisation_id
        for version in versions.exclude(added_by_organisation_id=creator).select_related(
                "added_by_organisation"):
            yield Finding("version", f"{stix_id} @ {version.version.isoformat()}",
                          version.added_by_organisation.name,
                          _("A version added by an organisation other than the one that "
                            "created the object."))
