"""Every read path of the STIX store against a small independent oracle, over random worlds.

The worlds are test_visibility_oracle's (organisations, people, communities in the live and an
exercise environment, memberships in every state), plus STIX objects in random communities with
random audiences, TLP, types and validity. Each person is then checked on: the store's
readable set, TAXII (collections, objects with paging, manifest, object by id, versions, the
curated collections), the indicator list and pages, and the intel API (list, detail,
sightings). The oracle decides from the plain description only, never from sharing.visibility.

`test_the_oracle_catches_a_leak` breaks the rule on purpose and checks this test notices.
"""

import base64
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from django.db import transaction
from django.http import Http404
from django.test import Client
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from renkei.accounts.services import issue_api_token
from renkei.errors import ServiceError
from renkei.intel import services, stix
from renkei.intel.curated import ensure_curated_collections
from renkei.intel.models import (
    Collection,
    CurationAcceptance,
    StixAudienceOrganisation,
    StixAudienceUser,
    StixObject,
)
from renkei.intel.selectors import (
    access_object,
    collection_objects,
    readable_collections,
    readable_objects,
)
from renkei.sharing.models import TLP

from .test_visibility_oracle import (
    BROADCAST,
    CHOSEN,
    CONSULTATION,
    EXERCISE,
    HYPOTHESIS,
    LIVE,
    MANUAL,
    MEMBERS,
    Oracle,
    WorldSpec,
    build,
    worlds,
)

RED = TLP.RED.value
TAXII = "application/taxii+json;version=2.1"
ROOT = "/taxii2/api1/"
NOW = datetime.now(UTC)


@dataclass(frozen=True)
class ObjectSpec:
    community: int
    adder: int
    tlp: str
    mode: str
    orgs: frozenset[int]
    users: frozenset[int]
    type: str  # indicator or malware
    expired: bool
    # The centre accepted this version for curation (intel.curation).
    accepted: bool = False


def name_of(i: int) -> str:
    return f"qzo{i:03d}x"


class IntelOracle(Oracle):
    def reads_object(self, u: int, obj: ObjectSpec) -> bool:
        if self.w.communities[obj.community].env != LIVE:
            return False
        if not self.reads_community(u, obj.community):
            return False
        org = self.w.users[u].org
        if obj.mode == MEMBERS:
            if obj.tlp == RED:
                return False
            if self.w.communities[obj.community].kind == CONSULTATION:
                return self._centre_org(org) or org == self.w.users[obj.adder].org
            return True
        return u == obj.adder or org in obj.orgs or u in obj.users

    def vetted(self, obj: ObjectSpec) -> bool:
        """Curated collections and blocklists take only what the centre vouches for: its own
        posts in the communities everyone reads, or versions it accepted."""
        everyone_reads = self.w.communities[obj.community].kind in {BROADCAST, MANUAL}
        return obj.accepted or (everyone_reads and self._centre_org(self.w.users[obj.adder].org))

    def in_blocklist(self, obj: ObjectSpec) -> bool:
        return obj.type == "indicator" and obj.tlp in {"clear", "green"} and not obj.expired \
            and self.vetted(obj)

    def in_clear(self, obj: ObjectSpec) -> bool:
        return obj.tlp == "clear" and self.vetted(obj)


@st.composite
def intel_worlds(draw):
    spec = draw(worlds())
    any_org = st.sampled_from(range(len(spec.orgs)))
    any_user = st.sampled_from(range(len(spec.users)))
    objects = []
    for _ in range(draw(st.integers(2, 7))):
        mode = draw(st.sampled_from([MEMBERS, CHOSEN]))
        objects.append(ObjectSpec(
            community=draw(st.sampled_from(range(len(spec.communities)))),
            adder=draw(any_user), tlp=draw(st.sampled_from(TLP.values)), mode=mode,
            orgs=draw(st.frozensets(any_org, max_size=2)) if mode == CHOSEN else frozenset(),
            users=draw(st.frozensets(any_user, max_size=2)) if mode == CHOSEN else frozenset(),
            type=draw(st.sampled_from(["indicator", "indicator", "malware"])),
            expired=draw(st.booleans()),
            accepted=draw(st.booleans()),
        ))
    return spec, objects


def stix_object(i: int, obj: ObjectSpec) -> dict:
    base = {"spec_version": "2.1", "created": "2026-01-01T00:00:00.000Z",
            "modified": "2026-01-01T00:00:00.000Z", "name": name_of(i),
            "object_marking_refs": [stix.TLP_MARKING_IDS[obj.tlp]]}
    if obj.type == "malware":
        return {"type": "malware", "id": f"malware--{uuid.uuid4()}", "is_family": True, **base}
    until = (NOW - timedelta(days=1)) if obj.expired else (NOW + timedelta(days=30))
    return {"type": "indicator", "id": f"indicator--{uuid.uuid4()}",
            "pattern": f"[domain-name:value = '{name_of(i)}.example']", "pattern_type": "stix",
            "valid_from": "2026-01-01T00:00:00Z",
            "valid_until": until.strftime("%Y-%m-%dT%H:%M:%SZ"), **base}


def store(spec: WorldSpec, built, objects: list[ObjectSpec]) -> dict[int, StixObject]:
    """Through ingest where it accepts; otherwise (a state a real world reaches later, e.g. an
    adder who has since left, or a row that breaks the services' rules) written directly."""
    rows = {}
    for i, obj in enumerate(objects):
        community = built.communities[obj.community]
        user = built.users[obj.adder]
        data = stix_object(i, obj)
        try:
            result = services.ingest(
                [data], community=community, user=user, source="api", audience_mode=obj.mode,
                audience_organisations=[built.orgs[o] for o in obj.orgs],
                audience_users=[built.users[u] for u in obj.users])
        except ServiceError:
            result = None
        if result is not None and result.objects:
            rows[i] = result.objects[0]
        else:
            rows[i] = _write_directly(data, obj, community, user, built)
        if obj.accepted:  # as accept_for_curation would, whoever may read it
            CurationAcceptance.objects.create(stix_object=rows[i], accepted_by=user)
    return rows


def _write_directly(data, obj, community, user, built) -> StixObject:
    checked = stix.check(data)
    last = StixObject.objects.order_by("-date_added").values_list("date_added", flat=True).first()
    row = StixObject.objects.create(
        stix_id=checked.stix_id, type=checked.type, spec_version="2.1", created=checked.created,
        modified=checked.modified, version=checked.modified,
        date_added=max(datetime.now(UTC), (last or NOW) + timedelta(microseconds=1)),
        raw=checked.raw, content_hash=checked.content_hash, community=community, tlp=obj.tlp,
        audience_mode=obj.mode, added_by=user, added_by_organisation=user.organisation,
        source="api", name=checked.name, pattern=checked.pattern,
        pattern_type=checked.pattern_type, valid_from=checked.valid_from,
        valid_until=checked.valid_until)
    StixAudienceOrganisation.objects.bulk_create(
        StixAudienceOrganisation(stix_object=row, organisation=built.orgs[o]) for o in obj.orgs)
    StixAudienceUser.objects.bulk_create(
        StixAudienceUser(stix_object=row, user=built.users[u]) for u in obj.users)
    return row


def run(max_examples: int, check) -> None:
    @settings(max_examples=max_examples, **HYPOTHESIS)
    @given(world=intel_worlds())
    def inner(world) -> None:
        spec, objects = world
        with transaction.atomic():
            ensure_curated_collections()
            built = build(spec)
            rows = store(spec, built, objects)
            check(spec, built, objects, rows)
            transaction.set_rollback(True)

    inner()


# --- the checks ------------------------------------------------------------------------------

class Caller:
    def __init__(self, user):
        _token, raw = issue_api_token(user=user, name="oracle")
        self.client = Client()
        basic = base64.b64encode(f"{user.email}:{raw}".encode()).decode()
        self.taxii_headers = {"HTTP_AUTHORIZATION": f"Basic {basic}", "HTTP_ACCEPT": TAXII}
        self.api_headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}

    def taxii(self, path, params=None):
        return self.client.get(path, params or {}, **self.taxii_headers)

    def walk(self, path, params=None, key="objects") -> list:
        items, token = [], None
        for _ in range(100):
            query = {**(params or {}), "limit": 3, **({"next": token} if token else {})}
            response = self.taxii(path, query)
            assert response.status_code == 200, response.content
            body = response.json()
            items += body.get(key, [])
            if not body.get("more"):
                return items
            token = body["next"]
        raise AssertionError("paging never ended")


def _who(spec, u: int) -> str:
    return f"user {u} of org {spec.users[u].org} ({spec.orgs[spec.users[u].org]})"


def check_selectors(spec, built, objects, rows) -> None:
    """The store's own read functions: readable set, collections, curated filters, access."""
    oracle = IntelOracle(spec)
    ids = {i: rows[i].stix_id for i in rows}
    curated = list(Collection.objects.filter(kind="curated").order_by("id"))
    rules = {"Blocklist, TLP:GREEN": oracle.in_blocklist, "TLP:CLEAR": oracle.in_clear}
    for u, user in enumerate(built.users):
        who = _who(spec, u)
        want = {i for i, obj in enumerate(objects) if oracle.reads_object(u, obj)}
        got = set(readable_objects(user).values_list("stix_id", flat=True))
        assert got == {ids[i] for i in want}, f"readable_objects for {who}: {objects}"
        readable_live = {c for c, community in enumerate(spec.communities)
                         if community.env == LIVE and oracle.reads_community(u, c)}
        listed = readable_collections(user)
        expected = {built.communities[c].id for c in readable_live}
        assert {c.community_id for c in listed if c.community_id} == expected, who
        assert bool([c for c in listed if not c.community_id]) == bool(expected), who
        for collection in curated:
            got = set(collection_objects(user, collection).values_list("stix_id", flat=True))
            rule = rules[collection.title]
            assert got == {ids[i] for i in want if rule(objects[i])}, f"{collection} for {who}"
        for i, row in rows.items():
            try:
                access_object(user, row.pk)
                found = True
            except Http404:
                found = False
            assert found == (i in want), f"access_object({i}) for {who}"


def check_every_path(spec, built, objects, rows) -> None:
    oracle = IntelOracle(spec)
    ids = {i: rows[i].stix_id for i in rows}
    blocklist = Collection.objects.get(title="Blocklist, TLP:GREEN")
    clear = Collection.objects.get(title="TLP:CLEAR")
    for u, user in enumerate(built.users):
        who = _who(spec, u)
        want = {i for i, obj in enumerate(objects) if oracle.reads_object(u, obj)}
        want_ids = {ids[i] for i in want}
        got = set(readable_objects(user).values_list("stix_id", flat=True))
        assert got == want_ids, f"readable_objects for {who}: {objects}"

        signed_in = spec.users[u].active and spec.orgs[spec.users[u].org].active
        caller = Caller(user)
        response = caller.taxii(f"{ROOT}collections/")
        if not signed_in:
            assert response.status_code == 401, who
            assert caller.client.get(reverse("api:intel_objects"),
                                     **caller.api_headers).status_code == 401
            continue
        assert response.status_code == 200, who
        listed = {c["id"]: c for c in response.json().get("collections", [])}
        readable_live = {c for c, community in enumerate(spec.communities)
                         if community.env == LIVE and oracle.reads_community(u, c)}
        expected_collections = {str(services.collection_for(built.communities[c]).uuid)
                                for c in readable_live}
        if expected_collections:
            expected_collections |= {str(blocklist.uuid), str(clear.uuid)}
        assert set(listed) == expected_collections, f"TAXII collections for {who}"
        with_objects = {obj.community for obj in objects}
        for c, community in enumerate(spec.communities):
            if community.env == EXERCISE or c in readable_live or c not in with_objects:
                continue
            collection = services.collection_for(built.communities[c])
            assert caller.taxii(f"{ROOT}collections/{collection.uuid}/objects/"
                                ).status_code == 404, f"unreadable collection for {who}"

        # Every readable collection holds exactly what the oracle allows, less RED: TAXII
        # serves a machine, and RED stays with the people it names (sharing.passing FEED).
        machine = {i for i in want if objects[i].tlp != "red"}
        for c in readable_live & with_objects:
            collection = services.collection_for(built.communities[c])
            base = f"{ROOT}collections/{collection.uuid}/"
            expected = {ids[i] for i in machine if objects[i].community == c}
            served = caller.walk(f"{base}objects/")
            assert {o["id"] for o in served} == expected, f"TAXII objects of {c} for {who}"
            manifest = caller.walk(f"{base}manifest/")
            assert {m["id"] for m in manifest} == expected, f"manifest of {c} for {who}"
            for i, obj in enumerate(objects):
                if obj.community != c:
                    continue
                path = f"{base}objects/{ids[i]}/" + ("versions/" if i % 2 else "")
                status = caller.taxii(path).status_code
                assert status == (200 if i in machine else 404), f"{path} ({i}) for {who}"
        for collection, rule in ((blocklist, oracle.in_blocklist), (clear, oracle.in_clear)):
            if not expected_collections:
                break
            served = caller.walk(f"{ROOT}collections/{collection.uuid}/objects/")
            expected = {ids[i] for i in want if rule(objects[i])}
            assert {o["id"] for o in served} == expected, f"{collection} for {who}"

        # Pages.
        caller.client.force_login(user)
        listing = caller.client.get(reverse("intel:indicators"), {"type": ""}).content.decode()
        for i in rows:
            shown = name_of(i) in listing
            assert shown == (i in want), f"indicator list shows {i}={shown} to {who}"
            page = caller.client.get(reverse("intel:object", args=[rows[i].pk]))
            assert page.status_code == (200 if i in want else 404), f"page {i} for {who}"

        # API.
        api_items = []
        cursor = None
        for _ in range(100):
            params = {"type": "", "limit": 3, **({"cursor": cursor} if cursor else {})}
            body = caller.client.get(reverse("api:intel_objects"), params,
                                     **caller.api_headers).json()
            api_items += body["items"]
            cursor = body["next_cursor"]
            if not cursor:
                break
        assert {item["stix_id"] for item in api_items} == want_ids, f"API list for {who}"
        for i in rows:
            status = caller.client.get(reverse("api:intel_object", args=[rows[i].pk]),
                                       **caller.api_headers).status_code
            assert status == (200 if i in want else 404), f"API object {i} for {who}"
            if objects[i].type == "indicator" and i % 2:
                status = caller.client.get(reverse("api:intel_sightings", args=[rows[i].pk]),
                                           **caller.api_headers).status_code
                assert status == (200 if i in want else 404), f"API sightings {i} for {who}"
        caller.client.logout()


@pytest.mark.django_db
def test_the_store_read_functions_match_the_oracle():
    run(20, check_selectors)


@pytest.mark.django_db
def test_taxii_pages_and_api_match_the_oracle():
    run(5, check_every_path)


@pytest.mark.django_db
def test_the_oracle_catches_a_leak(monkeypatch):
    """Break the rule (RED with all members becomes readable) and the check must fail."""
    from renkei.sharing import visibility

    original = visibility._audience

    def leaky(user, **kwargs):
        from django.db.models import Q

        return original(user, **kwargs) | Q(audience_mode=MEMBERS, tlp=RED)

    monkeypatch.setattr(visibility, "_audience", leaky)
    spec_and_objects = _red_world()
    with pytest.raises(AssertionError, match="readable_objects"), transaction.atomic():
        spec, objects = spec_and_objects
        ensure_curated_collections()
        built = build(spec)
        rows = store(spec, built, objects)
        check_every_path(spec, built, objects, rows)


def _red_world():
    from .test_visibility_oracle import BROADCAST, CENTRE, CommunitySpec, OrgSpec, UserSpec

    spec = WorldSpec(orgs=[OrgSpec(CENTRE, True), OrgSpec("participant", True)],
                     users=[UserSpec(0, True), UserSpec(1, True)],
                     communities=[CommunitySpec(BROADCAST, LIVE, 0)], memberships=[])
    objects = [ObjectSpec(0, 0, RED, MEMBERS, frozenset(), frozenset(), "indicator", False)]
    return spec, objects


def test_the_oracle_itself():
    spec, objects = _red_world()
    oracle = IntelOracle(spec)
    assert not oracle.reads_object(1, objects[0])
    green = ObjectSpec(0, 0, "green", MEMBERS, frozenset(), frozenset(), "indicator", False)
    assert oracle.reads_object(1, green) and oracle.in_blocklist(green)
    assert json.dumps(stix_object(0, green))  # a valid STIX object
    assert stix.check(stix_object(0, green)).tlp == "green"
