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
from renkei.sharing.passing import Destination, Item, Kind, Readers, refusal


def _centre_ids() -> frozenset[int]:
    return frozenset(Organisation.objects.filter(kind=OrganisationKind.CENTRE)
                     .values_list("id", flat=True))


def _people(user_ids) -> frozenset[tuple[int, int]]:
    return frozenset(User.objects.filter(id__in=list(user_ids))
                     .values_list("id", "organisation_id"))


def community_readers(community: Community, *, author_organisation_id: int | None = None
                      ) -> Readers:
    """Who reads an item with the audience "all members" in this community."""
    return _members_readers([community], author_organisation_id=author_organisation_id)[
        community.pk]


def _members_readers(communities: list[Community], *, author_organisation_id: int | None
                     ) -> dict[int, Readers]:
    """`community_readers` of several communities, in at most three queries."""
    centre_ids = frozenset()
    if any(c.kind in {CommunityKind.NOTIFICATION, CommunityKind.CONSULTATION}
           for c in communities):
        centre_ids = _centre_ids()
    with_members = [c.pk for c in communities if c.kind not in EVERYONE_READS
                    and c.kind not in {CommunityKind.NOTIFICATION, CommunityKind.CONSULTATION}]
    organisations: dict[int, set[int]] = {pk: set() for pk in with_members}
    members: dict[int, set[int]] = {pk: set() for pk in with_members}
    if with_members:
        rows = Membership.objects.filter(community_id__in=with_members,
                                         state=Membership.State.ACTIVE).values_list(
            "community_id", "organisation_id", "user_id")
        for community_id, organisation_id, user_id in rows:
            if organisation_id is not None:
                organisations[community_id].add(organisation_id)
            if user_id is not None:
                members[community_id].add(user_id)
    people = dict(_people({u for ids in members.values() for u in ids}))
    readers = {}
    for community in communities:
        if community.kind in EVERYONE_READS:
            readers[community.pk] = Readers.everyone()
        elif community.kind == CommunityKind.NOTIFICATION:
            readers[community.pk] = Readers(
                organisations=centre_ids | {community.notified_organisation_id})
        elif community.kind == CommunityKind.CONSULTATION:
            own = {author_organisation_id} if author_organisation_id is not None else set()
            readers[community.pk] = Readers(organisations=centre_ids | own)
        else:
            readers[community.pk] = Readers(
                organisations=frozenset(organisations[community.pk]),
                people=frozenset((u, people[u]) for u in members[community.pk] if u in people))
    return readers


def audience_readers(community: Community, audience_mode: str, *, organisations=(), users=(),
                     author: User | None = None) -> Readers:
    """Who reads an item with this audience in this community (`organisations` and `users` are
    model instances or ids)."""
    author_organisation_id = author.organisation_id if author is not None else None
    if audience_mode != AudienceMode.CHOSEN:
        return community_readers(community, author_organisation_id=author_organisation_id)
    # Everyone reads the consultation window itself; its "all members" is narrower.
    members = (Readers.everyone() if community.kind == CommunityKind.CONSULTATION
               else community_readers(community))
    organisation_ids = frozenset(getattr(o, "pk", o) for o in organisations)
    user_ids = {getattr(u, "pk", u) for u in users}
    if author is not None:
        user_ids.add(author.pk)
    # As the read rule: the named who also read the community (a name outside it reads nothing).
    return Readers(organisations=organisation_ids, people=_people(user_ids)) & members


def topic_item(topic: Topic) -> Item:
    """A topic as the pass-on rule sees it: its TLP, its readers now, where it came from."""
    return shared_item(topic, author=topic.author,
                       origin_organisation_id=origin_organisation_id(topic))


def shared_item(shared, *, author: User | None, origin_organisation_id: int) -> Item:
    """Any shared item with a community, a TLP and the audience link tables (a topic, a stored
    STIX object) as the pass-on rule sees it."""
    readers = audience_readers(
        shared.community, shared.audience_mode,
        organisations=shared.audience_org_links.values_list("organisation_id", flat=True),
        users=shared.audience_user_links.values_list("user_id", flat=True),
        author=author)
    return _item(shared, readers, origin_organisation_id)


def _item(shared, readers: Readers, origin_organisation_id: int) -> Item:
    community = shared.community
    return Item(tlp=shared.tlp, readers=readers, origin_organisation_id=origin_organisation_id,
                environment_id=community.environment_id,
                from_consultation=community.kind == CommunityKind.CONSULTATION)


def passes_anywhere(topic: Topic, *, actor_organisation_id: int) -> bool:
    """Whether the pass-on rule lets the actor move the topic into any community of its
    environment, whoever reads it there, without working out any reader set.

    The rule is monotone: more readers of the item, or fewer at the destination, never turn
    an allowed move into a refused one. So what may go to every organisation even if no one
    read it yet may go anywhere on the platform (CLEAR and GREEN outside the consultation
    window, AMBER moved by its originating organisation). Pages that offer many destinations
    ask this first, and the reader sets only when it says no."""
    probe = _item(topic, Readers(), origin_organisation_id(topic))
    everyone = Destination(kind=Kind.COMMUNITY, readers=Readers.everyone(),
                           environment_id=probe.environment_id)
    return refusal(probe, everyone, actor_organisation_id=actor_organisation_id) is None


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


def community_destinations(communities, *, author: User | None = None,
                           kind: Kind = Kind.COMMUNITY) -> dict[int, Destination]:
    """`community_destination` (audience "all members") of many communities, by community id,
    in a fixed number of queries: e.g. every community a topic might be re-shared into."""
    communities = list(communities)
    author_organisation_id = author.organisation_id if author is not None else None
    readers = _members_readers(communities, author_organisation_id=author_organisation_id)
    return {c.pk: Destination(kind=kind, readers=readers[c.pk],
                              environment_id=c.environment_id, name=c.name)
            for c in communities}
