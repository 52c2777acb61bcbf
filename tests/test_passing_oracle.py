"""The pass-on rule against an independent oracle, over random worlds (hypothesis).

The worlds are the read oracle's (`test_visibility_oracle.worlds`, built by its `build`). Then
random people try random moves, allowed or not, through the real services and HTTP: re-share a
topic into a community, edit a topic (a new TLP, audience and text, through the service and
`PATCH /api/v1/topics/<id>`), make indicators from a topic. Each version of each topic's text
carries its own marker, so wherever the marker shows up, it is known which information it is.

`PassOracle` decides from the plain description alone (never from `sharing.passing`) who may
end up reading each version of each topic (FIRST TLP 2.0, issue 10):
- at first, the people who read the topic (the read oracle's `reads_topic`);
- whenever someone who may read a version passes it on (and the move is accepted), CLEAR and
  GREEN may reach every person of the platform; AMBER the passer's organisation, and everyone
  when the passer's organisation is the one it came from; AMBER+STRICT the passer's
  organisation; RED nobody new; a consultation-window report nobody new;
- an edit by the originating organisation writes a new version read by its new audience; an
  edit by anyone else writes a version that may reach no further than the one it replaces;
- nothing crosses from the live platform into an exercise or back.

After the moves, for every person: every topic they read (`readable_topics`), the edit history
page of every topic they read, every mail they got (mail bodies: CLEAR and GREEN only, never a
consultation report) and every STIX object they read (`readable_objects`, and the curated
collections) may hold only versions the oracle lets them have. A refused move answers with a
message (ServiceError, or a 4xx through HTTP) and changes nothing.
"""

import re
from dataclasses import dataclass, field

import pytest
from django.core import mail
from django.db import transaction
from django.test import Client
from hypothesis import given, settings
from hypothesis import strategies as st

from renkei.accounts.services import issue_api_token
from renkei.communities import services as community_services
from renkei.communities.models import Topic
from renkei.errors import ServiceError
from renkei.jobs.queue import run_worker
from renkei.notifications import jobs as notification_jobs
from renkei.notifications.models import NotificationPreference
from renkei.sharing import permissions
from renkei.sharing.models import TLP
from renkei.sharing.visibility import readable_topics

from .test_visibility_oracle import (
    CENTRE,
    CHOSEN,
    CONSULTATION,
    HYPOTHESIS,
    MEMBERS,
    Built,
    Oracle,
    TopicSpec,
    WorldSpec,
    build,
    worlds,
)

CLEAR, GREEN, AMBER, STRICT, RED = "clear", "green", "amber", "amber+strict", "red"
MARKER = re.compile(r"qzb(\d{3})v(\d{2})x")


def marker(t: int, v: int) -> str:
    return f"qzb{t:03d}v{v:02d}x"


def body_of(t: int, v: int) -> str:
    # The marker alone, and as a domain the indicator extraction finds.
    return f"text {marker(t, v)} seen at {marker(t, v)}.example.jp"


# --- the oracle ------------------------------------------------------------------------------

@dataclass
class Instance:
    """A topic row of the world: an original or a copy, and the version of its text now."""

    pid: str
    spec: TopicSpec  # where it is and its audience now, as the read oracle describes topics
    info: int  # the original topic it came from
    version: int


@dataclass
class PassOracle:
    """Who may end up reading each version of each original, from the plain world only."""

    w: WorldSpec
    # (original, version) -> people who may read it, and the TLP its origin set.
    allowed: dict[tuple[int, int], set[int]] = field(default_factory=dict)
    tlp: dict[tuple[int, int], str] = field(default_factory=dict)
    versions: dict[int, int] = field(default_factory=dict)

    def start(self, t: int) -> None:
        reads = Oracle(self.w)
        self.allowed[(t, 0)] = {u for u in range(len(self.w.users)) if reads.reads_topic(u, t)}
        self.tlp[(t, 0)] = self.w.topics[t].tlp
        self.versions[t] = 0

    def org(self, u: int) -> int:
        return self.w.users[u].org

    def origin(self, t: int) -> int:
        return self.org(self.w.topics[t].author)

    def env(self, t: int) -> str:
        return self.w.communities[self.w.topics[t].community].env

    def from_consultation(self, t: int) -> bool:
        return self.w.communities[self.w.topics[t].community].kind == CONSULTATION

    def may_read(self, u: int, t: int, v: int) -> bool:
        return u in self.allowed.get((t, v), set())

    def passed_on(self, u: int, t: int, v: int) -> None:
        """u passed version v of t on, and it was accepted: how far it may go now."""
        if not self.may_read(u, t, v) or self.from_consultation(t):
            return
        everyone = set(range(len(self.w.users)))
        own = {x for x in everyone if self.org(x) == self.org(u)}
        tlp = self.tlp[(t, v)]
        if tlp in {CLEAR, GREEN} or (tlp == AMBER and self.org(u) == self.origin(t)):
            self.allowed[(t, v)] |= everyone
        elif tlp in {AMBER, STRICT}:
            self.allowed[(t, v)] |= own

    def edited(self, u: int, t: int, v: int, new_spec: TopicSpec, new_spec_index: int) -> int:
        """u wrote version v+ of t over version v, with a new TLP and audience."""
        self.versions[t] += 1
        new = self.versions[t]
        if self.org(u) == self.origin(t):
            reads = Oracle(self.w)
            self.allowed[(t, new)] = {x for x in range(len(self.w.users))
                                      if reads.reads_topic(x, new_spec_index)}
            self.tlp[(t, new)] = new_spec.tlp
        else:
            self.allowed[(t, new)] = set(self.allowed[(t, v)])
            self.tlp[(t, new)] = self.tlp[(t, v)]
        return new

    def in_mail_body(self, t: int, v: int) -> bool:
        return self.tlp[(t, v)] in {CLEAR, GREEN} and not self.from_consultation(t)


# --- the moves -------------------------------------------------------------------------------

MOVES = st.sampled_from(["reshare", "reshare", "reshare_http", "edit", "edit", "edit_api",
                         "indicators"])


@dataclass
class Run:
    spec: WorldSpec
    built: Built
    oracle: PassOracle
    instances: list[Instance]
    log: list[str] = field(default_factory=list)
    tokens: dict[int, str] = field(default_factory=dict)


def _signed_in(spec: WorldSpec, u: int) -> bool:
    user = spec.users[u]
    return user.active and spec.orgs[user.org].active


def _readable_pids(run: Run, u: int, env: str) -> set[str]:
    return set(readable_topics(run.built.users[u], run.built.envs[env])
               .values_list("public_id", flat=True))


def _state(run: Run) -> tuple:
    """What a refused move must leave as it was."""
    topics = tuple(Topic.objects.order_by("pk").values_list(
        "pk", "tlp", "audience_mode", "body", "title"))
    audiences = tuple(Topic.objects.order_by("pk").values_list(
        "audience_org_links__organisation_id", "audience_user_links__user_id"))
    revisions = tuple(Topic.objects.order_by("pk").values_list("revisions__id"))
    return topics, audiences, revisions, _object_count()


def _object_count() -> int:
    from renkei.intel.models import StixObject

    return StixObject.objects.count()


def assert_page_says_why(page: str, what: str) -> None:
    """A refused form shows why: a message, a form error, or the reasons the page lists."""
    assert any(sign in page for sign in ('class="messages', 'class="errorlist',
                                          "reshare-refusals")), f"{what}: refused without a message"


def _refused(run: Run, before: tuple, what: str, messages) -> None:
    assert messages and all(str(m).strip() for m in messages), f"{what}: refused without a reason"
    assert _state(run) == before, f"{what}: refused, but something changed"
    run.log.append(f"refused {what}: {messages[0]}")


def _move(run: Run, data, move: str) -> None:
    spec, built, oracle = run.spec, run.built, run.oracle
    # Often the newest row (a copy just made, a topic just edited), so moves form chains.
    newest = data.draw(st.booleans(), label="newest")
    i = len(run.instances) - 1 if newest else data.draw(
        st.sampled_from(range(len(run.instances))), label="instance")
    inst = run.instances[i]
    env = oracle.env(inst.info)
    readers = [u for u in range(len(spec.users))
               if _signed_in(spec, u) and inst.pid in _readable_pids(run, u, env)]
    if not readers:
        return
    topic = Topic.objects.select_related("community").get(public_id=inst.pid)
    if move.startswith("edit"):
        editors = [u for u in readers if permissions.can_edit_topic(built.users[u], topic)]
        pool = editors if editors and data.draw(st.booleans(), label="editor") else readers
        actor = data.draw(st.sampled_from(pool), label="actor")
        _edit(run, data, inst, topic, actor, api=move == "edit_api")
    elif move.startswith("reshare"):
        actor = data.draw(st.sampled_from(readers), label="actor")
        c = data.draw(st.sampled_from(range(len(spec.communities))), label="into")
        _reshare(run, inst, topic, actor, c, http=move == "reshare_http")
    else:
        actor = data.draw(st.sampled_from(readers), label="actor")
        c = data.draw(st.sampled_from(range(len(spec.communities))), label="into")
        tlp = data.draw(st.sampled_from(TLP.values), label="tlp")
        _indicators(run, inst, topic, actor, c, tlp)


def _reshare(run: Run, inst: Instance, topic: Topic, actor: int, c: int, *, http: bool) -> None:
    built, oracle = run.built, run.oracle
    community = built.communities[c]
    what = f"re-share of {inst.pid} ({topic.tlp}, v{inst.version} of {inst.info}) by {actor} " \
           f"into {c} ({community.kind})"
    before = _state(run)
    if http:
        client = Client()
        client.force_login(built.users[actor])
        response = client.post(f"/topics/{inst.pid}/reshare/", {"community": community.pk})
        if response.status_code == 404:
            # The pages work in the live environment: an exercise's topic is not found there.
            assert not readable_topics(built.users[actor]).filter(pk=topic.pk).exists(), what
            _refused(run, before, what, ["HTTP 404"])
            return
        if response.status_code != 302:
            assert 400 <= response.status_code < 500, f"{what}: {response.status_code}"
            assert_page_says_why(response.content.decode(), what)
            _refused(run, before, what, [f"HTTP {response.status_code}"])
            return
        copy = Topic.objects.order_by("-pk").first()
    else:
        try:
            copy = community_services.reshare_topic(actor=built.users[actor], topic=topic,
                                                    community=community)
        except ServiceError as exc:
            _refused(run, before, what, exc.messages)
            return
    run.log.append(f"accepted {what} -> {copy.public_id}")
    oracle.passed_on(actor, inst.info, inst.version)
    run.spec.topics.append(TopicSpec(community=c, author=actor, tlp=copy.tlp,
                                     mode=copy.audience_mode, orgs=frozenset(),
                                     users=frozenset(), attach=False))
    run.instances.append(Instance(copy.public_id, run.spec.topics[-1], inst.info,
                                  inst.version))


def _edit(run: Run, data, inst: Instance, topic: Topic, actor: int, *, api: bool) -> None:
    spec, built, oracle = run.spec, run.built, run.oracle
    tlp = data.draw(st.sampled_from(TLP.values), label="new tlp")
    mode = data.draw(st.sampled_from([MEMBERS, CHOSEN]), label="new mode")
    orgs = data.draw(st.frozensets(st.sampled_from(range(len(spec.orgs))), max_size=3)) \
        if mode == CHOSEN else frozenset()
    users = data.draw(st.frozensets(st.sampled_from(range(len(spec.users))), max_size=3)) \
        if mode == CHOSEN else frozenset()
    new_version = oracle.versions[inst.info] + 1
    body = body_of(inst.info, new_version)
    what = f"edit of {inst.pid} (v{inst.version} of {inst.info}, {topic.tlp}) by {actor} to " \
           f"{tlp} {mode} orgs={set(orgs)} users={set(users)}{' (API)' if api else ''}"
    before = _state(run)
    if api:
        if actor not in run.tokens:
            run.tokens[actor] = issue_api_token(user=built.users[actor], name="oracle")[1]
        response = Client().patch(
            f"/api/v1/topics/{inst.pid}", content_type="application/json",
            data={"body": body, "tlp": tlp, "audience_mode": mode,
                  "audience_organisations": [built.orgs[o].pk for o in orgs],
                  "audience_users": [built.users[u].pk for u in users]},
            headers={"Authorization": f"Bearer {run.tokens[actor]}"})
        if response.status_code != 200:
            assert 400 <= response.status_code < 500, f"{what}: {response.status_code}"
            _refused(run, before, what, [response.json().get("detail") or response.json()])
            return
    else:
        try:
            community_services.edit_topic(
                actor=built.users[actor], topic=topic, title=topic.title, body=body,
                kind=topic.kind, tag=topic.tag, reader_level=topic.reader_level, tlp=tlp,
                audience_mode=mode, audience_organisations=[built.orgs[o] for o in orgs],
                audience_users=[built.users[u] for u in users])
        except ServiceError as exc:
            _refused(run, before, what, exc.messages)
            return
    run.log.append(f"accepted {what}")
    new_spec = TopicSpec(community=inst.spec.community, author=inst.spec.author, tlp=tlp,
                         mode=mode, orgs=orgs, users=users, attach=False)
    spec.topics.append(new_spec)  # only for the read oracle's reads_topic of the new audience
    new = oracle.edited(actor, inst.info, inst.version, new_spec, len(spec.topics) - 1)
    assert new == new_version
    inst.spec, inst.version = new_spec, new


def _indicators(run: Run, inst: Instance, topic: Topic, actor: int, c: int, tlp: str) -> None:
    from renkei.feeds import services as feed_services

    built = run.built
    community = built.communities[c]
    values = [f"{f.kind}:{f.value}" for f in feed_services.found_in_topic(topic)
              if MARKER.search(f.value)]
    what = f"indicators from {inst.pid} ({topic.tlp}, v{inst.version} of {inst.info}) by " \
           f"{actor} into {c} ({community.kind}) at {tlp}"
    before = _state(run)
    try:
        result = feed_services.make_indicators(built.users[actor], topic, values=values,
                                               community=community, tlp=tlp)
    except ServiceError as exc:
        _refused(run, before, what, exc.messages)
        return
    if _object_count() == before[-1]:
        run.log.append(f"no objects from {what} ({getattr(result, 'state', '?')})")
        return
    run.log.append(f"accepted {what}")
    # Every marker in the topic's text now (all its comments included) was passed on.
    for t, v in {(int(a), int(b)) for a, b in MARKER.findall(feed_services.topic_text(topic))}:
        run.oracle.passed_on(actor, t, v)


# --- the checks ------------------------------------------------------------------------------

def _markers(text: str) -> set[tuple[int, int]]:
    return {(int(a), int(b)) for a, b in MARKER.findall(text)}


def _check_reader(run: Run, u: int, history_pages: set[str]) -> None:
    spec, built, oracle = run.spec, run.built, run.oracle
    user = built.users[u]
    for env, env_id in built.envs.items():
        rows = readable_topics(user, env_id).values_list("public_id", "title", "body")
        for pid, _title, body in rows:
            for t, v in _markers(body):
                assert oracle.env(t) == env, f"v{v} of {t} crossed into {env} ({pid})"
                assert oracle.may_read(u, t, v), (
                    f"user {u} (org {spec.users[u].org}) reads v{v} of {t} "
                    f"({oracle.tlp[(t, v)]}) in {pid}")
    if not _signed_in(spec, u):
        return
    client = Client()
    client.force_login(user)
    for env in built.envs:
        for pid in _readable_pids(run, u, env) & history_pages:
            page = client.get(f"/topics/{pid}/history/")
            if page.status_code == 404:
                continue  # the page reads in the person's current environment only
            for t, v in _markers(page.content.decode()):
                assert oracle.may_read(u, t, v), (
                    f"the history of {pid} shows user {u} (org {spec.users[u].org}) v{v} of "
                    f"{t} ({oracle.tlp[(t, v)]})")
    _check_objects(run, u)


def _check_objects(run: Run, u: int) -> None:
    try:
        from renkei.intel import selectors
        from renkei.intel.models import Collection
    except ImportError:
        return
    spec, built, oracle = run.spec, run.built, run.oracle
    user = built.users[u]
    for env, env_id in built.envs.items():
        for name, pattern in selectors.readable_objects(user, env_id).values_list(
                "name", "pattern"):
            for t, v in _markers(f"{name} {pattern}"):
                assert oracle.env(t) == env, f"an indicator of v{v} of {t} crossed into {env}"
                assert oracle.may_read(u, t, v), (
                    f"user {u} (org {spec.users[u].org}) reads an indicator of v{v} of {t} "
                    f"({oracle.tlp[(t, v)]})")
    for collection in Collection.objects.filter(kind="curated"):
        objects = selectors.collection_objects(user, collection)
        for pattern, in objects.values_list("pattern"):
            for t, v in _markers(pattern):
                assert oracle.may_read(u, t, v), (
                    f"curated collection {collection.title} gives user {u} v{v} of {t} "
                    f"({oracle.tlp[(t, v)]})")


def _check_mail(run: Run) -> None:
    by_email = {user.email: u for u, user in enumerate(run.built.users)}
    for message in mail.outbox:
        (address,) = message.to
        u = by_email[address]
        for t, v in _markers(message.body):
            assert run.oracle.in_mail_body(t, v), (
                f"the mail '{message.subject}' carries v{v} of {t} ({run.oracle.tlp[(t, v)]}"
                f"{', consultation' if run.oracle.from_consultation(t) else ''})")
            assert run.oracle.may_read(u, t, v), f"v{v} of {t} mailed to user {u}"


# --- the test --------------------------------------------------------------------------------

def _build_with_markers(spec: WorldSpec) -> Built:
    built = build(spec)
    for t, pid in built.topic_ids.items():
        Topic.objects.filter(public_id=pid).update(body=body_of(t, 0))
    return built


def in_passing_worlds(max_examples: int, capture, **overrides) -> None:
    """Random worlds and moves, each in a rolled-back transaction; `overrides` are hypothesis
    settings (a scratch run may e.g. skip shrinking)."""

    @settings(max_examples=max_examples, **{**HYPOTHESIS, **overrides})
    @given(spec=worlds(), moves=st.lists(MOVES, min_size=2, max_size=7), data=st.data())
    def check(spec: WorldSpec, moves: list[str], data) -> None:
        mail.outbox = []
        notification_jobs._scheduled_days.clear()
        with transaction.atomic():
            with capture(execute=True):
                built = _build_with_markers(spec)
                # Everyone is mailed at once about everything, so every mail body is seen.
                NotificationPreference.objects.bulk_create(
                    NotificationPreference(user=user, community=community, mode="immediate")
                    for user in built.users for community in built.communities)
            mail.outbox = []  # the originals' own mails were sent before the markers
            oracle = PassOracle(spec)
            for t in built.topic_ids:
                oracle.start(t)
            instances = [Instance(pid, spec.topics[t], t, 0)
                         for t, pid in built.topic_ids.items()]
            run = Run(spec, built, oracle, instances)
            if instances:
                with capture(execute=True):
                    for move in moves:
                        _move(run, data, move)
                run_worker(once=True)
                edited = {i.pid for i in run.instances if i.version > 0}
                for u in range(len(spec.users)):
                    _check_reader(run, u, edited)
                _check_mail(run)
            transaction.set_rollback(True)

    check()


@pytest.mark.django_db
def test_passing_on_matches_the_oracle(django_capture_on_commit_callbacks):
    in_passing_worlds(20, django_capture_on_commit_callbacks)


def test_the_oracle_says_what_tlp_says():
    """The oracle itself on a hand-made world, so a wrong oracle cannot pass silently."""
    from .test_visibility_oracle import CommunitySpec, MembershipSpec, OrgSpec, UserSpec

    OPEN = "open"
    world = WorldSpec(
        orgs=[OrgSpec(CENTRE, True), OrgSpec("participant", True), OrgSpec("participant", True),
              OrgSpec("participant", True)],
        users=[UserSpec(0, True), UserSpec(1, True), UserSpec(2, True), UserSpec(3, True),
               UserSpec(1, True)],
        communities=[CommunitySpec(CONSULTATION, "live", 0), CommunitySpec(OPEN, "live", 1)],
        memberships=[MembershipSpec(1, o, None, "active") for o in (1, 2, 3)],
        topics=[TopicSpec(1, 1, tlp, CHOSEN, frozenset({2}), frozenset(), False)
                for tlp in (CLEAR, GREEN, AMBER, STRICT, RED)]
        + [TopicSpec(0, 1, GREEN, MEMBERS, frozenset(), frozenset(), False)],
    )
    oracle = PassOracle(world)
    for t in range(6):
        oracle.start(t)
    # The author and organisation 2, named; not the author's colleague 4, who is not named.
    assert oracle.allowed[(2, 0)] == {1, 2}
    for t in range(5):
        oracle.passed_on(2, t, 0)  # a reader of organisation 2 passes everything on
    assert oracle.allowed[(0, 0)] == oracle.allowed[(1, 0)] == set(range(5))
    assert oracle.allowed[(2, 0)] == oracle.allowed[(3, 0)] == oracle.allowed[(4, 0)] == {1, 2}
    oracle.passed_on(3, 2, 0)  # not a reader: passes nothing on
    oracle.passed_on(4, 2, 0)  # nor does the author's colleague, who does not read it
    assert oracle.allowed[(2, 0)] == {1, 2}
    oracle.passed_on(1, 2, 0)  # the originating organisation widens AMBER
    oracle.passed_on(1, 3, 0)  # ... but not AMBER+STRICT beyond itself
    assert oracle.allowed[(2, 0)] == set(range(5)) and oracle.allowed[(3, 0)] == {1, 2, 4}
    oracle.passed_on(1, 4, 0)  # nor RED
    assert oracle.allowed[(4, 0)] == {1, 2}
    oracle.passed_on(1, 5, 0)  # a consultation report goes nowhere
    assert oracle.allowed[(5, 0)] == {0, 1, 4}
    # An edit by someone else may not widen; the new version reaches as far as the old.
    world.topics.append(TopicSpec(1, 1, GREEN, MEMBERS, frozenset(), frozenset(), False))
    assert oracle.edited(2, 4, 0, world.topics[-1], 6) == 1
    assert oracle.allowed[(4, 1)] == {1, 2} and oracle.tlp[(4, 1)] == RED
    # The originating organisation's edit: its new audience reads the new version only.
    assert oracle.edited(4, 4, 1, world.topics[-1], 6) == 2
    assert oracle.allowed[(4, 2)] == {1, 2, 3, 4} and oracle.allowed[(4, 1)] == {1, 2}
