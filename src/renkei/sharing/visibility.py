"""THE visibility rule: who may read which community and which topic.

Every read path — pages, search, export, API, mail, statistics, TAXII — goes through
`readable_topics`, `readable_stix_objects`, `readable_communities` or the `access_*` helpers
built on them. Nothing else filters shared items.

A user reads a topic when all of these hold:
1. the topic's community is in the user's current environment;
2. the user may read the community:
   - broadcast and manual/FAQ communities: every signed-in user;
   - the consultation window: every signed-in user (to post); see 3 for its topics;
   - a notification channel: the organisation it belongs to, and the centre;
   - open and closed communities: active members, as a whole organisation or in person;
3. the user is in the topic's audience (`_audience`, shared by every kind of shared item):
   - "all members": everyone from 2; in the consultation window only the centre and the
     reporting organisation;
   - "chosen": the named organisations' people, the named people, and the author.
TLP does not widen or narrow reading: it governs passing on (`passing`). RED topics must name
their recipients, so RED stays with them, the centre included.

An earlier version of a topic (a revision) keeps the TLP and audience it was written under;
`revision_readable` applies rule 3 to it, for a reader who reads the topic now.
"""

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from renkei.sharing.models import LIVE_ENVIRONMENT_ID, TLP, AudienceMode


def _anonymous(user) -> bool:
    return user is None or not user.is_authenticated or not user.is_active


def readable_communities(user, environment_id: int = LIVE_ENVIRONMENT_ID) -> QuerySet:
    from renkei.communities.models import Community, CommunityKind, Membership

    if _anonymous(user):
        return Community.objects.none()
    organisation = user.organisation
    if not organisation.is_active:
        return Community.objects.none()
    member_of = Membership.objects.filter(
        Q(organisation_id=organisation.id) | Q(user_id=user.id),
        community_id=OuterRef("pk"),
        state=Membership.State.ACTIVE,
    )
    everyone = Q(kind__in=[CommunityKind.BROADCAST, CommunityKind.MANUAL,
                           CommunityKind.CONSULTATION])
    if organisation.is_centre:
        own_channel = Q(kind=CommunityKind.NOTIFICATION)
    else:
        own_channel = Q(kind=CommunityKind.NOTIFICATION, notified_organisation_id=organisation.id)
    members = Q(kind__in=[CommunityKind.OPEN, CommunityKind.CLOSED]) & Exists(member_of)
    return Community.objects.filter(
        Q(environment_id=environment_id) & (everyone | own_channel | members)
    )


def _audience(user, *, author_field: str, author_organisation_field: str, org_links,
              user_links, link_field: str) -> Q:
    """Rule 3 (the audience), for any shared item with an author, an audience mode, TLP and
    the two audience link tables; the caller adds rule 2 (the readable communities)."""
    from renkei.communities.models import CommunityKind

    organisation_id = user.organisation_id
    # RED always names its recipients (the services refuse anything else); the rule holds
    # even if a row somehow says otherwise.
    whole_community = Q(audience_mode=AudienceMode.MEMBERS) & ~Q(tlp=TLP.RED)
    if not user.organisation.is_centre:
        whole_community &= ~Q(community__kind=CommunityKind.CONSULTATION) | Q(
            **{author_organisation_field: organisation_id}
        )
    named = (
        Q(**{author_field: user.id})
        | Exists(org_links.objects.filter(
            **{link_field: OuterRef("pk")}, organisation_id=organisation_id))
        | Exists(user_links.objects.filter(**{link_field: OuterRef("pk")}, user_id=user.id))
    )
    chosen = Q(audience_mode=AudienceMode.CHOSEN) & named
    return whole_community | chosen


def readable_topics(user, environment_id: int = LIVE_ENVIRONMENT_ID) -> QuerySet:
    from renkei.communities.models import Topic, TopicAudienceOrganisation, TopicAudienceUser

    if _anonymous(user):
        return Topic.objects.none()
    community_ids = readable_communities(user, environment_id).values("id")
    audience = _audience(user, author_field="author_id",
                         author_organisation_field="author_organisation_id",
                         org_links=TopicAudienceOrganisation, user_links=TopicAudienceUser,
                         link_field="topic_id")
    return Topic.objects.filter(Q(community_id__in=community_ids) & audience)


def readable_stix_objects(user, environment_id: int = LIVE_ENVIRONMENT_ID) -> QuerySet:
    """Stored STIX object versions (intel), by the same rule as topics: the one who added an
    object stands in for a topic's author."""
    from renkei.intel.models import StixAudienceOrganisation, StixAudienceUser, StixObject

    if _anonymous(user):
        return StixObject.objects.none()
    community_ids = readable_communities(user, environment_id).values("id")
    audience = _audience(user, author_field="added_by_id",
                         author_organisation_field="added_by_organisation_id",
                         org_links=StixAudienceOrganisation, user_links=StixAudienceUser,
                         link_field="stix_object_id")
    return StixObject.objects.filter(Q(community_id__in=community_ids) & audience)


def access_community(user, community_id, environment_id: int = LIVE_ENVIRONMENT_ID):
    """The community if the user may read it; otherwise 404, the same as for a missing one."""
    if not str(community_id).isdigit():
        raise Http404
    community = readable_communities(user, environment_id).filter(pk=int(community_id)).first()
    if community is None:
        raise Http404
    return community


def access_topic(user, public_id: str, environment_id: int = LIVE_ENVIRONMENT_ID):
    """The topic if the user may read it; otherwise 404, the same as for a missing one."""
    if not isinstance(public_id, str) or "\x00" in public_id:
        raise Http404  # no id holds a NUL, and PostgreSQL refuses to even compare one
    topic = (
        readable_topics(user, environment_id)
        .select_related("community", "author", "author__organisation", "author_organisation")
        .filter(public_id=public_id)
        .first()
    )
    if topic is None:
        raise Http404
    return topic


def revision_readable(*, reader_id: int, reader_organisation_id: int, reader_is_centre: bool,
                      tlp: str, audience_mode: str, organisation_ids, user_ids, author_id: int,
                      author_organisation_id: int, in_consultation: bool) -> bool:
    """Rule 3 for an earlier version of a topic, under the TLP and audience it was written
    with. The caller has read the topic now (`access_topic`, rules 1 and 2), so a revision
    shows to those who could read it then and can now."""
    if audience_mode == AudienceMode.MEMBERS and tlp != TLP.RED:
        if not in_consultation or reader_is_centre:
            return True
        if reader_organisation_id == author_organisation_id:
            return True
    if audience_mode != AudienceMode.CHOSEN:
        return False
    return (reader_id == author_id or reader_organisation_id in set(organisation_ids)
            or reader_id in set(user_ids))
