"""The visibility rule against a small independent oracle, over random worlds (hypothesis).

A world is drawn as plain data (organisations, people, communities in the live and in an
exercise environment, memberships in every state, topics with random TLP and audience), built
in the database through the real services, and then every read path is compared with `Oracle`,
which decides the same question from the plain data alone, never from `sharing.visibility`.

The rule the oracle encodes (visibility.py's docstring and issue 2):
- people who are inactive, or whose organisation is inactive, read nothing;
- environments never cross;
- broadcast, manual/FAQ and the consultation window: every signed-in user reads the community;
- a notification channel: its organisation and the centre (any organisation of kind centre);
- open and closed: active members only, as a whole organisation or in person;
- audience "all members": everyone who reads the community; in the consultation window only the
  centre and the author's organisation; never for TLP:RED (RED must name its readers);
- audience "chosen": the named organisations' people, the named people and the author, and only
  those of them who read the community.

Each example runs inside a savepoint that is rolled back, so the same test works on SQLite and
PostgreSQL and examples never see each other's data.
"""

from dataclasses import dataclass, field
from datetime import date

import pyotp
import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.http import Http404
from django.test import Client
from django.urls import NoReverseMatch, reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from renkei.accounts.models import Organisation, OrganisationKind, User
from renkei.accounts.services import create_organisation, create_user, set_totp_secret
from renkei.communities import services as community_services
from renkei.communities.models import (
    Attachment,
    Community,
    CommunityKind,
    Membership,
    Topic,
    TopicAudienceOrganisation,
    TopicAudienceUser,
)
from renkei.errors import ServiceError
from renkei.sharing.models import LIVE_ENVIRONMENT_ID, TLP, AudienceMode, Environment
from renkei.sharing.visibility import (
    access_community,
    access_topic,
    readable_communities,
    readable_topics,
)

LIVE, EXERCISE = "live", "exercise"
CENTRE = OrganisationKind.CENTRE.value
BROADCAST, OPEN, CLOSED = CommunityKind.BROADCAST.value, CommunityKind.OPEN.value, \
    CommunityKind.CLOSED.value
CONSULTATION, MANUAL = CommunityKind.CONSULTATION.value, CommunityKind.MANUAL.value
NOTIFICATION = CommunityKind.NOTIFICATION.value
MEMBERS, CHOSEN = AudienceMode.MEMBERS.value, AudienceMode.CHOSEN.value
ACTIVE = Membership.State.ACTIVE.value
STATES = [s.value for s in Membership.State]
RED = TLP.RED.value

HYPOTHESIS = {
    "deadline": None,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large],
    "database": None,
    "print_blob": True,
}


# --- the world as plain data -----------------------------------------------------------------

@dataclass(frozen=True)
class OrgSpec:
    kind: str
    active: bool


@dataclass(frozen=True)
class UserSpec:
    org: int
    active: bool
    # Neither kind of admin reads more than anyone else; the oracle ignores both on purpose.
    org_admin: bool = False
    platform_admin: bool = False


@dataclass(frozen=True)
class CommunitySpec:
    kind: str
    env: str
    owner: int
    notified: int | None = None
    # Archived communities stay readable; nobody posts in them any more.
    archived: bool = False


@dataclass(frozen=True)
class MembershipSpec:
    community: int
    org: int | None
    user: int | None
    state: str


@dataclass(frozen=True)
class TopicSpec:
    community: int
    author: int
    tlp: str
    mode: str
    orgs: frozenset[int]
    users: frozenset[int]
    attach: bool


@dataclass
class WorldSpec:
    orgs: list[OrgSpec]
    users: list[UserSpec]
    communities: list[CommunitySpec]
    memberships: list[MembershipSpec]
    topics: list[TopicSpec] = field(default_factory=list)


# --- the oracle ------------------------------------------------------------------------------

class Oracle:
    """Who reads what, and who may post where, decided from the plain description only."""

    EVERYONE_READS = frozenset({BROADCAST, MANUAL, CONSULTATION})

    def __init__(self, world: WorldSpec):
        self.w = world

    def _centre_org(self, org: int) -> bool:
        return self.w.orgs[org].kind == CENTRE

    def is_member(self, u: int, c: int) -> bool:
        org = self.w.users[u].org
        return any(
            m.community == c and m.state == ACTIVE and (m.org == org or m.user == u)
            for m in self.w.memberships
        )

    def reads_community(self, u: int, c: int) -> bool:
        user = self.w.users[u]
        if not user.active or not self.w.orgs[user.org].active:
            return False
        community = self.w.communities[c]
        if community.kind in self.EVERYONE_READS:
            return True
        if community.kind == NOTIFICATION:
            return user.org == community.notified or self._centre_org(user.org)
        return self.is_member(u, c)

    def reads_topic(self, u: int, t: int) -> bool:
        topic = self.w.topics[t]
        if not self.reads_community(u, topic.community):
            return False
        org = self.w.users[u].org
        if topic.mode == MEMBERS:
            if topic.tlp == RED:
                return False
            if self.w.communities[topic.community].kind == CONSULTATION:
                return self._centre_org(org) or org == self.w.users[topic.author].org
            return True
        return u == topic.author or org in topic.orgs or u in topic.users

    def may_post(self, u: int, c: int) -> bool:
        community = self.w.communities[c]
        if community.archived:
            return False
        if community.kind in {BROADCAST, MANUAL, NOTIFICATION}:
            return self._centre_org(self.w.users[u].org)
        if community.kind == CONSULTATION:
            return True
        return self.is_member(u, c)

    def audience_allowed(self, topic: TopicSpec) -> bool:
        """Whether the service should accept this audience for this community."""
        if topic.mode == MEMBERS:
            return topic.tlp != RED
        if not topic.orgs and not topic.users:
            return False
        community = self.w.communities[topic.community]
        if community.kind in {OPEN, CLOSED}:
            active = [m for m in self.w.memberships
                      if m.community == topic.community and m.state == ACTIVE]
            member_orgs = {m.org for m in active if m.org is not None}
            member_users = {m.user for m in active if m.user is not None}
        elif community.kind == NOTIFICATION:
            member_orgs = {community.notified} | {
                i for i, o in enumerate(self.w.orgs) if o.kind == CENTRE}
            member_users = set()
        else:
            return True
        return topic.orgs <= member_orgs and all(
            u in member_users or self.w.users[u].org in member_orgs for u in topic.users
        )


# --- drawing worlds --------------------------------------------------------------------------

ORG_KINDS = [k.value for k in OrganisationKind]
ACTIVITY = st.sampled_from([True, True, True, False])
RARELY = st.sampled_from([False, False, False, True])
MEMBERSHIP = st.sampled_from([None, None, *STATES])


@st.composite
def worlds(draw) -> WorldSpec:
    orgs = [OrgSpec(CENTRE, True)]
    orgs += [OrgSpec(draw(st.sampled_from(ORG_KINDS)), draw(ACTIVITY))
             for _ in range(draw(st.integers(2, 4)))]
    users = []
    for org in range(len(orgs)):
        users += [UserSpec(org, draw(ACTIVITY), draw(st.booleans()), draw(RARELY))
                  for _ in range(draw(st.integers(1, 2)))]

    any_org = st.sampled_from(range(len(orgs)))
    communities = [CommunitySpec(BROADCAST, LIVE, 0), CommunitySpec(MANUAL, LIVE, 0),
                   CommunitySpec(CONSULTATION, LIVE, 0)]
    communities += [CommunitySpec(kind, LIVE, draw(any_org), archived=draw(RARELY))
                    for kind in draw(st.lists(st.sampled_from([OPEN, CLOSED]), min_size=1,
                                              max_size=3))]
    communities += [CommunitySpec(kind, EXERCISE, draw(any_org))
                    for kind in draw(st.lists(st.sampled_from(
                        [BROADCAST, OPEN, CLOSED, CONSULTATION, MANUAL]), min_size=1, max_size=2))]
    communities += [CommunitySpec(NOTIFICATION, LIVE, 0, notified=i) for i in range(len(orgs))]

    memberships = []
    for c, community in enumerate(communities):
        if community.kind not in {OPEN, CLOSED}:
            continue
        memberships.append(MembershipSpec(c, community.owner, None, ACTIVE))
        for org in range(len(orgs)):
            state = draw(MEMBERSHIP)
            if state and org != community.owner:
                memberships.append(MembershipSpec(c, org, None, state))
        for u in range(len(users)):
            state = draw(MEMBERSHIP)
            if state:
                memberships.append(MembershipSpec(c, None, u, state))

    world = WorldSpec(orgs, users, communities, memberships)
    oracle = Oracle(world)
    any_user = st.sampled_from(range(len(users)))
    for _ in range(draw(st.integers(2, 8))):
        c = draw(st.sampled_from(range(len(communities))))
        posters = [u for u in range(len(users)) if oracle.may_post(u, c)]
        # Mostly someone who may post there; sometimes anyone (a topic from before they left).
        if posters and draw(st.sampled_from([True, True, True, False])):
            author = draw(st.sampled_from(posters))
        else:
            author = draw(any_user)
        mode = draw(st.sampled_from([MEMBERS, CHOSEN]))
        named_orgs = draw(st.frozensets(st.sampled_from(range(len(orgs))), max_size=3)) \
            if mode == CHOSEN else frozenset()
        named_users = draw(st.frozensets(st.sampled_from(range(len(users))), max_size=3)) \
            if mode == CHOSEN else frozenset()
        world.topics.append(TopicSpec(
            community=c, author=author, tlp=draw(st.sampled_from(TLP.values)), mode=mode,
            orgs=named_orgs, users=named_users, attach=draw(st.booleans()),
        ))
    return world


# --- building the world in the database ------------------------------------------------------

@dataclass
class Built:
    orgs: list[Organisation]
    users: list[User]
    communities: list[Community]
    envs: dict[str, int]
    # Index in WorldSpec.topics -> public id; topics the service rightly refused are absent.
    topic_ids: dict[int, str]
    attachment_ids: dict[int, int]


ATTACHMENT_CONTENTS = (b"observed indicators\n", b"note")


def community_name(c: int, kind: str) -> str:
    return f"qzc{c:03d}x-{kind}"


def title_of(t: int) -> str:
    # Distinctive and no substring of another, so a page body can be searched for it.
    return f"qzt{t:03d}x"


def build(spec: WorldSpec) -> Built:
    oracle = Oracle(spec)
    orgs = [create_organisation(name=f"org{i}-{o.kind}", kind=o.kind)
            for i, o in enumerate(spec.orgs)]
    users = []
    for i, u in enumerate(spec.users):
        user = create_user(email=f"u{i}@org{u.org}.example", name=f"user {i}",
                           organisation=orgs[u.org], is_org_admin=u.org_admin,
                           is_platform_admin=u.platform_admin)
        if user.requires_second_factor:
            set_totp_secret(user, pyotp.random_base32())
        users.append(user)
    exercise = Environment.objects.create(name="演習", kind=Environment.Kind.EXERCISE)
    envs = {LIVE: LIVE_ENVIRONMENT_ID, EXERCISE: exercise.id}

    communities = []
    for i, c in enumerate(spec.communities):
        if c.kind == NOTIFICATION:
            communities.append(Community.objects.get(notified_organisation=orgs[c.notified]))
            continue
        communities.append(community_services.create_community(
            actor=None, name=community_name(i, c.kind), kind=c.kind, owner=orgs[c.owner],
            environment_id=envs[c.env]))
    for i, c in enumerate(spec.communities):
        if c.archived:
            communities[i].is_archived = True
            communities[i].save(update_fields=["is_archived"])
    for m in spec.memberships:
        # Random states (requested, invited, active) straight into the table: the services
        # would need a different actor for each, and the rule only looks at the state.
        Membership.objects.update_or_create(
            community=communities[m.community],
            organisation=orgs[m.org] if m.org is not None else None,
            user=users[m.user] if m.user is not None else None,
            defaults={"state": m.state},
        )

    topic_ids, attachment_ids = {}, {}
    for t, topic in enumerate(spec.topics):
        created = _post(spec, oracle, t, topic, orgs, users, communities)
        if created is None:
            continue
        topic_ids[t] = created.public_id
        first = created.attachments.first()
        if first is not None:
            attachment_ids[t] = first.id

    Organisation.objects.filter(
        pk__in=[orgs[i].pk for i, o in enumerate(spec.orgs) if not o.active]
    ).update(is_active=False)
    User.objects.filter(
        pk__in=[users[i].pk for i, u in enumerate(spec.users) if not u.active]
    ).update(is_active=False)
    fresh = User.objects.select_related("organisation").in_bulk([u.pk for u in users])
    return Built(orgs, [fresh[u.pk] for u in users], communities, envs, topic_ids,
                 attachment_ids)


def _post(spec, oracle, t, topic, orgs, users, communities) -> Topic | None:
    """Post through the service; where it refuses, check that it should have, then (for states a
    real world reaches later, e.g. an author who has since left) write the topic directly."""
    author, community = users[topic.author], communities[topic.community]
    upload = [SimpleUploadedFile("note.txt", ATTACHMENT_CONTENTS[0])] if topic.attach else []
    should_accept = oracle.may_post(topic.author, topic.community) and oracle.audience_allowed(
        topic)
    try:
        created = community_services.post_topic(
            actor=author, community=community, title=title_of(t), body=f"body of {title_of(t)}",
            kind="advisory", tlp=topic.tlp, audience_mode=topic.mode,
            audience_organisations=[orgs[o] for o in topic.orgs],
            audience_users=[users[u] for u in topic.users], attachments=upload,
        )
    except ServiceError as exc:
        assert not should_accept, f"post_topic refused {topic}: {exc.messages}"
        if topic.mode == MEMBERS and topic.tlp == RED:
            return None  # a state no service can reach
        return _write_directly(t, topic, author, community, orgs, users)
    assert should_accept, f"post_topic accepted {topic}, which the rule forbids"
    return created


def _write_directly(t, topic, author, community, orgs, users) -> Topic:
    created = Topic.objects.create(
        public_id=community_services.next_topic_id(date.today()), community=community,
        title=title_of(t), kind="advisory", tlp=topic.tlp, audience_mode=topic.mode,
        author=author, author_organisation=author.organisation,
    )
    TopicAudienceOrganisation.objects.bulk_create(
        TopicAudienceOrganisation(topic=created, organisation=orgs[o]) for o in topic.orgs)
    TopicAudienceUser.objects.bulk_create(
        TopicAudienceUser(topic=created, user=users[u]) for u in topic.users)
    if topic.attach:
        attachment = Attachment(topic=created, uploaded_by=author, original_name="note.txt",
                                content_type="text/plain", size=4, sha256="0" * 64)
        attachment.file.save("note.txt", ContentFile(ATTACHMENT_CONTENTS[1]), save=True)
    return created


def describe(spec: WorldSpec, u: int) -> str:
    user = spec.users[u]
    return f"user {u} (org {user.org} {spec.orgs[user.org]}, active={user.active})"


def expected_for(spec: WorldSpec, built: Built, u: int, env: str) -> tuple[set[int], set[str]]:
    oracle = Oracle(spec)
    communities = {built.communities[c].id for c, community in enumerate(spec.communities)
                   if community.env == env and oracle.reads_community(u, c)}
    topics = {pid for t, pid in built.topic_ids.items()
              if spec.communities[spec.topics[t].community].env == env and oracle.reads_topic(u, t)}
    return communities, topics


# --- the service read paths ------------------------------------------------------------------

def in_random_worlds(max_examples: int, check_world, *, build_world=None) -> None:
    """Run check_world(spec, built) on random worlds, each built in a transaction that is
    rolled back afterwards; every read path's oracle test goes through here."""

    @settings(max_examples=max_examples, **HYPOTHESIS)
    @given(spec=worlds())
    def check(spec: WorldSpec) -> None:
        with transaction.atomic():
            built = (build_world or build)(spec)
            check_world(spec, built)
            transaction.set_rollback(True)

    check()


def for_each_user(check_user):
    """check_user(spec, built, u) for every person of a world, as a check_world function."""

    def check_world(spec: WorldSpec, built: Built) -> None:
        for u in range(len(spec.users)):
            check_user(spec, built, u)

    return check_world


@pytest.mark.django_db
def test_service_read_paths_match_the_oracle():
    in_random_worlds(40, _check_service_paths)


def _check_service_paths(spec: WorldSpec, built: Built) -> None:
    for u, user in enumerate(built.users):
        who = describe(spec, u)
        for env, env_id in built.envs.items():
            want_communities, want_topics = expected_for(spec, built, u, env)
            got = set(readable_communities(user, env_id).values_list("id", flat=True))
            assert got == want_communities, f"readable_communities({who}, {env})"
            got_topics = set(readable_topics(user, env_id).values_list("public_id", flat=True))
            assert got_topics == want_topics, f"readable_topics({who}, {env}) for {spec.topics}"
            for community in built.communities:
                assert _found(access_community, user, community.id, env_id) == (
                    community.id in want_communities), f"access_community({who}, {community})"
            for pid in built.topic_ids.values():
                assert _found(access_topic, user, pid, env_id) == (pid in want_topics), (
                    f"access_topic({who}, {pid}, {env})")
    anonymous = AnonymousUser()
    assert not readable_topics(anonymous).exists()
    assert not readable_communities(anonymous).exists()


def _found(access, user, key, env_id) -> bool:
    try:
        access(user, key, env_id)
    except Http404:
        return False
    return True


def test_the_oracle_says_what_the_issue_says():
    """The oracle itself, on a hand-made world, so a wrong oracle cannot pass silently."""
    world = WorldSpec(
        orgs=[OrgSpec(CENTRE, True), OrgSpec("participant", True), OrgSpec("participant", True),
              OrgSpec("participant", False)],
        users=[UserSpec(0, True), UserSpec(1, True), UserSpec(2, True), UserSpec(3, True),
               UserSpec(1, False)],
        communities=[CommunitySpec(CONSULTATION, LIVE, 0), CommunitySpec(CLOSED, LIVE, 1),
                     CommunitySpec(NOTIFICATION, LIVE, 0, notified=1)],
        memberships=[MembershipSpec(1, 1, None, ACTIVE), MembershipSpec(1, None, 2, "invited")],
        topics=[
            TopicSpec(0, 1, "green", MEMBERS, frozenset(), frozenset(), False),
            TopicSpec(1, 1, "amber", CHOSEN, frozenset({2}), frozenset({0}), False),
            TopicSpec(2, 0, "green", MEMBERS, frozenset(), frozenset(), False),
        ],
    )
    oracle = Oracle(world)
    readers = [{u for u in range(5) if oracle.reads_topic(u, t)} for t in range(3)]
    assert readers[0] == {0, 1}  # the window: the centre and the reporting organisation
    assert readers[1] == {1}  # the author; the named outsiders cannot read the community
    assert readers[2] == {0, 1}  # the channel: its organisation and the centre
    assert not oracle.may_post(1, 2) and oracle.may_post(0, 2) and oracle.may_post(2, 0)


# --- the pages -------------------------------------------------------------------------------

def _page_urls_missing() -> str | None:
    try:
        reverse("communities:home")
        reverse("communities:detail", args=[1])
        reverse("communities:topic", args=["20260101-000001"])
        reverse("communities:attachment", args=[1])
    except NoReverseMatch as exc:
        return f"the pages are not written yet ({exc})"
    return None


@pytest.mark.django_db
def test_pages_match_the_oracle():
    missing = _page_urls_missing()
    if missing:
        pytest.skip(missing)

    in_random_worlds(15, for_each_user(_check_pages))


# The home page lists this many of the newest readable topics; a world has at most 8.
HOME_TOPICS = 10


def _check_pages(spec: WorldSpec, built: Built, u: int) -> None:
    client = Client()
    client.force_login(built.users[u])
    who = describe(spec, u)
    signed_in = spec.users[u].active and spec.orgs[spec.users[u].org].active
    want_communities, want_topics = expected_for(spec, built, u, LIVE)
    titles = {pid: title_of(t) for t, pid in built.topic_ids.items()}

    home = client.get(reverse("communities:home"))
    assert home.status_code == (200 if signed_in else 302), f"home for {who}"
    body = home.content.decode()
    for pid, title in titles.items():
        if pid not in want_topics:
            assert title not in body and pid not in body, f"home shows {pid} to {who}"
        elif len(want_topics) <= HOME_TOPICS:
            assert title in body, f"home hides {pid} from {who}"
    _assert_no_foreign_communities(spec, built, u, body, f"home for {who}")

    listing = client.get(reverse("communities:list"))
    assert listing.status_code == (200 if signed_in else 302), f"community list for {who}"
    body = listing.content.decode()
    for pid, title in titles.items():
        if pid not in want_topics:
            assert title not in body, f"the community list shows {pid} to {who}"
    _assert_no_foreign_communities(spec, built, u, body, f"community list for {who}")

    with_topics = {spec.topics[t].community for t in built.topic_ids}
    for c, community in enumerate(built.communities):
        if c not in with_topics and spec.communities[c].kind not in {OPEN, CLOSED}:
            continue  # the fixed kinds with no topics tell nothing new; keep the run short
        response = client.get(reverse("communities:detail", args=[community.id]))
        readable = community.id in want_communities
        assert_status(response, readable, signed_in, f"community {community} for {who}")
        body = response.content.decode()
        for t, pid in built.topic_ids.items():
            if spec.topics[t].community == c:
                shown = titles[pid] in body
                assert shown == (readable and pid in want_topics), (
                    f"community page of {community}: {pid} shown={shown} to {who}")

    for t, pid in built.topic_ids.items():
        response = client.get(reverse("communities:topic", args=[pid]))
        readable = pid in want_topics
        assert_status(response, readable, signed_in, f"topic {pid} for {who}")
        assert (titles[pid] in response.content.decode()) == readable, f"topic {pid} for {who}"
        if t in built.attachment_ids:
            response = client.get(reverse("communities:attachment",
                                          args=[built.attachment_ids[t]]))
            assert_status(response, readable, signed_in, f"attachment of {pid} for {who}")
            if readable:
                # Read through the test client's wrapper, which also closes the file without
                # closing the database connection of the test's transaction.
                assert b"".join(response.streaming_content) in ATTACHMENT_CONTENTS


def _assert_no_foreign_communities(spec, built, u: int, body: str, what: str) -> None:
    """Exercise communities never show on live pages; nor do other organisations' notification
    channels, except to the centre."""
    user = spec.users[u]
    for c, community in enumerate(spec.communities):
        if community.env == EXERCISE:
            assert community_name(c, community.kind) not in body, f"{what}: exercise {c}"
        elif community.kind == NOTIFICATION and community.notified != user.org and (
                spec.orgs[user.org].kind != CENTRE or not user.active
                or not spec.orgs[user.org].active):
            assert built.communities[c].name not in body, f"{what}: channel of {community}"


def assert_status(response, readable: bool, signed_in: bool, what: str) -> None:
    if readable:
        assert response.status_code == 200, what
    elif signed_in:
        assert response.status_code == 404, what
    else:
        # Signed out (inactive person or organisation): sent to the sign-in page, or 404.
        assert response.status_code in {302, 404}, what
