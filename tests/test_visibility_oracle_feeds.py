"""Feeds out and the extraction pages against an independent oracle, over random worlds.

The worlds are the intel oracle's (test_visibility_oracle_intel: organisations, people,
communities in the live and an exercise environment, memberships in every state, STIX objects
with random community, audience, TLP, type and validity), whose `IntelOracle` decides from the
plain description who reads which object. On top, this file's oracle decides what may leave:

- every export holds exactly the objects the reader reads in that collection, less TLP:RED and
  TLP:AMBER+STRICT unless the reader asks for them (`confined=1`);
- blocklists also leave out indicators that are no longer valid, and those the centre did not
  vet (its own posts in communities everyone reads, or accepted versions); CSV and the MISP
  feed list indicators only (the MISP feed flags expired ones `to_ids: false`);
- a collection of a community the reader cannot read answers 404; so does the page of values
  found in a topic the reader cannot read (and a readable one shows the topic's values).

Every format is checked through the exporters for every person; the bundle, a blocklist and the
MISP manifest and events also through HTTP. `test_the_feeds_oracle_catches_a_leak` breaks the
TLP rule on purpose and checks that this test notices.
"""

import csv
import io
import json

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse
from hypothesis import Phase, given, settings

from renkei.communities.models import Topic
from renkei.feeds import exporters
from renkei.intel import selectors
from renkei.intel.curated import ensure_curated_collections
from renkei.intel.models import Collection
from renkei.intel.services import collection_for
from renkei.sharing.models import CONFINED_TLP
from renkei.sharing.passing import Kind

from .test_visibility_oracle import HYPOTHESIS, LIVE, build, describe, expected_for
from .test_visibility_oracle_intel import IntelOracle, intel_worlds, name_of, run, store

CURATED_BLOCKLIST = "6b1f3a4e-2c55-4f0e-9b6a-0c2f5d1e8a01"
CURATED_CLEAR = "6b1f3a4e-2c55-4f0e-9b6a-0c2f5d1e8a02"


def value_of(i: int) -> str:
    return f"{name_of(i)}.example"


class FeedsOracle(IntelOracle):
    """What each collection's exports hold for a reader, from the plain description."""

    def signed_in(self, u: int) -> bool:
        user = self.w.users[u]
        return user.active and self.w.orgs[user.org].active

    def in_collection(self, obj, collection: str | int) -> bool:
        if collection == CURATED_BLOCKLIST:
            return self.in_blocklist(obj)
        if collection == CURATED_CLEAR:
            return self.in_clear(obj)
        return obj.community == collection

    def exported(self, u: int, objects, collection, *, confined: bool) -> set[int]:
        return {i for i, obj in enumerate(objects)
                if self.reads_object(u, obj) and self.in_collection(obj, collection)
                and (confined or obj.tlp not in CONFINED_TLP)}


def _keys(built, spec) -> dict:
    """collection key (community index or curated uuid) -> Collection, for live communities."""
    keys = {CURATED_BLOCKLIST: Collection.objects.get(uuid=CURATED_BLOCKLIST),
            CURATED_CLEAR: Collection.objects.get(uuid=CURATED_CLEAR)}
    for c, community in enumerate(spec.communities):
        if community.env == LIVE:
            keys[c] = collection_for(built.communities[c])
    return keys


def _through_exporters(user, collection, objects, rows, *, confined: bool) -> dict[str, set]:
    """Each format's contents, as values or ids, read by the exporters for this user."""
    # A file the person downloads (a machine polling with a token never gets RED).
    wanted = exporters.ExportRequest(collection=collection, format="test", confined=confined,
                                     kind=Kind.EXPORT)
    current = exporters.current_objects(user, wanted)
    counter = _NoAudit()
    bundle = json.loads(b"".join(exporters.stix_bundle(user, current, counter)))
    table = list(csv.reader(io.StringIO(b"".join(exporters.csv_pieces(
        exporters.csv_rows(current), confined=confined, counter=counter)).decode("utf-8-sig"))))
    events = exporters.misp_events(current, collection)
    attributes = [a for event_id, group in events.items()
                  for a in exporters.misp_event(current, event_id, group)["Event"]["Attribute"]]
    return {
        "bundle": stored_ids(bundle),
        "domains": set(exporters.blocklist_values(current, "domain")),
        "csv": {row[1] for row in table[(2 if confined else 1):]},
        "misp": {a["value"] for a in attributes},
        "misp_ids": {a["value"] for a in attributes if a["to_ids"]},
    }


def stored_ids(bundle: dict) -> set[str]:
    """The bundle's stored objects, less the marking definitions and organisation identities
    it carries because they name them (the worlds store neither)."""
    return {o["id"] for o in bundle["objects"]
            if o["type"] not in {"marking-definition", "extension-definition", "identity"}}


class _NoAudit:
    rows = 0

    def count(self, items):
        yield from items


def check_exports(spec, built, objects, rows) -> None:
    oracle = FeedsOracle(spec)
    keys = _keys(built, spec)
    stix_ids = {i: row.stix_id for i, row in rows.items()}
    for u, user in enumerate(built.users):
        who = describe(spec, u)
        client = Client()
        client.force_login(user)
        if not oracle.signed_in(u):
            response = client.get(reverse("feeds:bundle", args=[keys[CURATED_CLEAR].uuid]))
            assert response.status_code in (401, 404), who
            continue
        readable = {c.uuid for c in selectors.readable_collections(user)}
        for key, collection in keys.items():
            reads = key in (CURATED_BLOCKLIST, CURATED_CLEAR) or oracle.reads_community(u, key)
            assert (collection.uuid in readable) == reads, f"collections of {who}: {key}"
            if not reads:
                response = client.get(reverse("feeds:bundle", args=[collection.uuid]))
                assert response.status_code == 404, f"{who} got collection {key}"
                continue
            for confined in (False, True):
                want = oracle.exported(u, objects, key, confined=confined)
                indicators = {i for i in want if objects[i].type == "indicator"}
                valid = {i for i in indicators if not objects[i].expired}
                # Blocklists: valid indicators the centre vouches for (intel.curation).
                listed = {i for i in valid if oracle.vetted(objects[i])}
                got = _through_exporters(user, collection, objects, rows, confined=confined)
                where = f"{who}, collection {key}, confined={confined}"
                assert got["bundle"] == {stix_ids[i] for i in want}, f"bundle for {where}"
                assert got["domains"] == {value_of(i) for i in listed}, f"blocklist for {where}"
                assert got["csv"] == {value_of(i) for i in indicators}, f"CSV for {where}"
                assert got["misp"] == {value_of(i) for i in indicators}, f"MISP for {where}"
                assert got["misp_ids"] == {value_of(i) for i in valid}, f"MISP IDS for {where}"
            _check_http(client, collection, oracle, u, objects, key, stix_ids, who,
                        every_format=key == CURATED_CLEAR or key == 0)


def _check_http(client, collection, oracle, u, objects, key, stix_ids, who, *,
                every_format: bool) -> None:
    """The bundle of every collection over HTTP; the other formats for two of them (the
    exporters behind them are checked for all above)."""
    want = oracle.exported(u, objects, key, confined=False)
    response = client.get(reverse("feeds:bundle", args=[collection.uuid]))
    assert response.status_code == 200
    bundle = json.loads(b"".join(response.streaming_content))
    assert stored_ids(bundle) == {stix_ids[i] for i in want}, (
        f"HTTP bundle for {who}, collection {key}")
    if not every_format:
        return
    valid = {value_of(i) for i in want
             if objects[i].type == "indicator" and not objects[i].expired
             and oracle.vetted(objects[i])}
    response = client.get(reverse("feeds:blocklist", args=[collection.uuid, "domain"]))
    assert set(b"".join(response.streaming_content).decode().split()) == valid, (
        f"HTTP blocklist for {who}, collection {key}")
    base = reverse("feeds:misp_manifest", args=[collection.uuid]).removesuffix("manifest.json")
    manifest = client.get(base + "manifest.json").json()
    values = set()
    for event_id in manifest:
        event = client.get(f"{base}{event_id}.json").json()["Event"]
        values |= {a["value"] for a in event["Attribute"]}
    assert values == {value_of(i) for i in want if objects[i].type == "indicator"}, (
        f"HTTP MISP feed for {who}, collection {key}")


def check_extraction_pages(spec, built, objects, rows) -> None:
    for t, public_id in built.topic_ids.items():
        Topic.objects.filter(public_id=public_id).update(body=f"C2: 198.51.100[.]{t + 1}")
    for u, user in enumerate(built.users):
        client = Client()
        client.force_login(user)
        _communities, readable = expected_for(spec, built, u, LIVE)
        for t, public_id in built.topic_ids.items():
            response = client.get(reverse("feeds:topic_indicators", args=[public_id]))
            if public_id in readable:
                assert response.status_code == 200, f"{describe(spec, u)} topic {public_id}"
                assert f"198.51.100.{t + 1}" in response.content.decode()
            else:
                assert response.status_code in (302, 404), (
                    f"{describe(spec, u)} reached topic {public_id}")


@pytest.mark.django_db
def test_feeds_out_match_the_oracle():
    run(8, check_exports)


@pytest.mark.django_db
def test_extraction_pages_match_the_oracle():
    run(6, check_extraction_pages)


def _first_failure(max_examples: int, check) -> None:
    """Like `run`, but stops at the first failing world without shrinking it (the point is
    only that the check fails at all)."""

    @settings(max_examples=max_examples, phases=[Phase.generate], **HYPOTHESIS)
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


@pytest.mark.django_db
def test_the_feeds_oracle_catches_a_leak(monkeypatch):
    """Exports that forget to leave out TLP:RED and TLP:AMBER+STRICT must fail this test."""
    monkeypatch.setattr(exporters, "current_objects",
                        lambda user, request: selectors.collection_objects(
                            user, request.collection).filter(is_latest=True))
    with pytest.raises(AssertionError, match="confined=False"):
        _first_failure(40, check_exports)
