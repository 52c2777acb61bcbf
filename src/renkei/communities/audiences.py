"""Who reads a community, an audience or a shared item, as the pass-on rule's plain sets.

The read rule (`sharing.visibility`) answers "may this person read it"; the pass-on rule
(`sharing.passing`) compares whole sets of readers. These functions turn communities and
audiences into those sets, by the same definitions as the read rule:
- broadcast, manual/FAQ: every organisation of the platform;
- a notification channel: its organisation and the centre;
- the consultation window, audience "all members": the centre and the author's organisation;
- open and closed: the active members, whole organisations and people in person;
- a chosen audience: the named organisations, the named people and the author.
"""

from renkei.accounts.models import Organisation, OrganisationKind, User
from renkei.communities.models import EVERYONE_READS, Community, CommunityKind, Membership, Topic
from renkei.sharing.models import AudienceMode
from renkei.sharing.passing import Destination, Item, Kind, Readers


def _centre_ids() -> frozenset[int]:
    return frozenset(Organisation.objects.filter(kind=OrganisationKind.CENTRE)
                     .values_list("id", flat=True))


def _people(user_ids) -> frozenset[tuple[int, int]]:
    return frozenset(User.objects.filter(id__in=list(user_ids))
                     .values_list("id", "organisation_id"))


def community_readers(community: Community, *, author_organisation_id: int | None = None
                      ) -> Readers:
    """Who reads an item with the audience "all members" in this community."""
    if community.kind in EVERYONE_READS:
        return Readers.everyone()
    if community.kind == CommunityKind.NOTIFICATION:
        return Readers(organisations=_centre_ids() | {community.notified_organisation_id})
    if community.kind == CommunityKind.CONSULTATION:
        organisations = _centre_ids()
        if author_organisation_id is not None:
            organisations |= {author_organisation_id}
        return Readers(organisations=organisations)
    memberships = Membership.objects.filter(community=community, state=Membership.State.ACTIVE)
    organisations = frozenset(memberships.filter(organisation__isnull=False)
                              .values_list("organisation_id", flat=True))
    people = _people(memberships.filter(user__isnull=False).values_list("user_id", flat=True))
    return Readers(organisations=organisations, people=people)


def audience_readers(community: Community, audience_mode: str, *, organisations=(), users=(),
                     author: User | None = None) -> Readers:
    """Who reads an item with this audience in this community (`organisations` and `users` are
    model instances or ids)."""
    author_organisation_id = author.organisation_id if author is not None else None
    if audience_mode != AudienceMode.CHOSEN:
        return community_readers(community, author_organisation_id=author_organisation_id)
    organisation_ids = frozenset(getattr(o, "pk", o) for o in organisations)
    user_ids = {getattr(u, "pk", u) for u in users}
    if author is not None:
        user_ids.add(author.pk)
    return Readers(organisations=organisation_ids, people=_people(user_ids))


def topic_item(topic: Topic) -> Item:
    """A topic as the pass-on rule sees it: its TLP, its readers now, where it came from."""
    community = topic.community
    readers = audience_readers(
        community, topic.audience_mode,
        organisations=topic.audience_org_links.values_list("organisation_id", flat=True),
        users=topic.audience_user_links.values_list("user_id", flat=True),
        author=topic.author)
    return Item(tlp=topic.tlp, readers=readers,
                origin_organisation_id=origin_organisation_id(topic),
                environment_id=community.environment_id,
                from_consultation=community.kind == CommunityKind.CONSULTATION)


def origin_organisation_id(topic: Topic) -> int:
    """The organisation a topic's information came from: a re-shared copy keeps its origin's."""
    seen = set()
    while topic.shared_from_id is not None and topic.shared_from_id not in seen:
        seen.add(topic.pk)
        topic = Topic.objects.only("id", "shared_from_id", "author_organisation_id").get(
            pk=topic.shared_from_id)
    return topic.author_organisation_id


def community_destination(community: Community, *, audience_mode: str = AudienceMode.MEMBERS,
                          organisations=(), users=(), author: User | None = None,
                          kind: Kind = Kind.COMMUNITY) -> Destination:
    """A community (and an audience in it) as a place an item is moved to."""
    return Destination(kind=kind, readers=audience_readers(
        community, audience_mode, organisations=organisations, users=users, author=author),
        environment_id=community.environment_id, name=community.name)
