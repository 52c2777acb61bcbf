"""Topics already passed on against the pass-on rule: re-shared copies, and edits that widened
another organisation's TLP (see `sharing.audit_passing`)."""

from collections.abc import Iterator
from itertools import pairwise

from django.utils.translation import gettext as _

from renkei.communities.audiences import community_destination, origin_organisation_id, topic_item
from renkei.communities.models import Topic, TopicRevision
from renkei.sharing.audit_passing import Finding
from renkei.sharing.models import strictness
from renkei.sharing.passing import refusal


def findings() -> Iterator[Finding]:
    yield from _reshares()
    yield from _widening_edits()


def _reshares() -> Iterator[Finding]:
    copies = (Topic.objects.filter(shared_from__isnull=False)
              .select_related("community", "shared_from__community", "shared_from__author")
              .order_by("id"))
    for copy in copies.iterator(chunk_size=500):
        reason = refusal(topic_item(copy.shared_from), community_destination(copy.community),
                         actor_organisation_id=copy.author_organisation_id)
        if reason:
            yield Finding("reshare", copy.shared_from.public_id,
                          f"{copy.public_id} ({copy.community.name})", reason)


def _widening_edits() -> Iterator[Finding]:
    """Each revision is the topic before one edit; the next revision (or the topic) is after."""
    revisions = (TopicRevision.objects.select_related("edited_by", "topic")
                 .order_by("topic_id", "edited_at", "id"))
    after: dict[int, list[TopicRevision]] = {}
    for revision in revisions.iterator(chunk_size=500):
        after.setdefault(revision.topic_id, []).append(revision)
    for history in after.values():
        topic = history[0].topic
        origin = origin_organisation_id(topic)
        states = [*history, topic]
        for before, later in pairwise(states):
            if before.edited_by.organisation_id == origin:
                continue
            if strictness(later.tlp) < strictness(before.tlp):
                yield Finding("edit", topic.public_id, before.edited_by.email,
                              _("TLP made wider (%(old)s to %(new)s) by someone outside the "
                                "organisation that wrote it.") % {"old": before.tlp,
                                                                  "new": later.tlp})
