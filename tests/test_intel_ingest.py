"""The fast paths of STIX ingest: each must give what the slower path it replaced gives.

- PostgreSQL stores rows and audience with COPY; the multi-row INSERT path (SQLite's) must
  store exactly the same columns.
- Concurrent ingests still hand out unique, strictly increasing date_added, one batch after the
  other (the store clock is locked until commit).
- Property checks skip stix2's work where its verdict is certain (strict timestamps, values
  seen before); the verdict must stay the library's.
"""

import itertools
import os
import threading
import uuid

import pytest
from django.db import connection, connections
from hypothesis import given, settings
from hypothesis import strategies as st
from stix2.v21 import Indicator

from renkei.intel import services, stix
from renkei.intel.models import StixAudienceOrganisation, StixAudienceUser, StixObject, StixRef
from renkei.sharing.models import AudienceMode

GREEN = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
AMBER = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"
ONLY_POSTGRESQL = pytest.mark.skipif(
    "postgres" not in os.environ.get("DATABASE_URL", ""),
    reason="COPY and row locks held across connections are PostgreSQL's")


def indicator(n: int, **extra) -> dict:
    return {"type": "indicator", "spec_version": "2.1", "id": f"indicator--{uuid.uuid4()}",
            "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-02T00:00:00.123456Z",
            "name": f"C2 {n}", "pattern": f"[ipv4-addr:value = '198.51.100.{n % 250}']",
            "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z",
            "object_marking_refs": [GREEN], **extra}


def mixed(tag: str) -> list[dict]:
    """Indicators (one with a new version, one unmarked, one amber with validity), an SCO and a
    relationship with references: every column and side table ingest writes."""
    first = indicator(1)
    newer = dict(first, modified="2026-01-03T00:00:00Z", name=f"C2 1 {tag}")
    ip = {"type": "ipv4-addr", "id": f"ipv4-addr--{uuid.uuid4()}", "value": "198.51.100.9"}
    malware = {"type": "malware", "spec_version": "2.1", "id": f"malware--{uuid.uuid4()}",
               "created": "2026-01-01T00:00:00Z", "modified": "2026-01-01T00:00:00Z",
               "name": "ベンチ", "is_family": True}
    relation = {"type": "relationship", "spec_version": "2.1",
                "id": f"relationship--{uuid.uuid4()}", "created": "2026-01-01T00:00:00Z",
                "modified": "2026-01-01T00:00:00Z", "relationship_type": "indicates",
                "source_ref": first["id"], "target_ref": malware["id"]}
    unmarked = indicator(2)
    del unmarked["object_marking_refs"]
    return [first, newer, ip, malware, relation, unmarked,
            indicator(3, object_marking_refs=[AMBER], valid_until="2027-01-01T00:00:00Z",
                      revoked=True)]


def stored(result) -> list[dict]:
    pks = [o.pk for o in result.objects]
    rows = {r["id"]: r for r in StixObject.objects.filter(pk__in=pks).values()}
    orgs = set(StixAudienceOrganisation.objects.filter(stix_object__in=pks).values_list(
        "stix_object", "organisation"))
    users = set(StixAudienceUser.objects.filter(stix_object__in=pks).values_list(
        "stix_object", "user"))
    refs = set(StixRef.objects.filter(stix_object__in=pks).values_list("stix_object", "kind",
                                                                        "target_id"))
    out = []
    for pk in pks:
        row = {k: v for k, v in rows[pk].items() if k not in ("id", "date_added", "version")}
        row["orgs"] = {o for p, o in orgs if p == pk}
        row["users"] = {u for p, u in users if p == pk}
        row["refs"] = {(k, t) for p, k, t in refs if p == pk}
        out.append(row)
    return out


def assert_objects_are_the_stored_rows(result) -> None:
    """result.objects (built from the values sent, not read back) equal the rows in the db."""
    fields = StixObject._meta.concrete_fields
    for obj in result.objects:
        fresh = StixObject.objects.get(pk=obj.pk)
        assert [getattr(obj, f.attname) for f in fields] == \
            [getattr(fresh, f.attname) for f in fields]
        assert not obj._state.adding


@ONLY_POSTGRESQL
def test_copy_stores_exactly_what_the_insert_path_stores(world, monkeypatch):
    objects = mixed("x")
    kwargs = dict(community=world.isac, user=world.alice, source="api",
                  audience_mode=AudienceMode.CHOSEN, audience_organisations=[world.alpha],
                  audience_users=[world.bob])
    copied = services.ingest(objects, **kwargs)
    assert not copied.failures and len(copied.stored) == len(objects)
    a = stored(copied)
    assert_objects_are_the_stored_rows(copied)
    # The same objects again through the INSERT path (once the first copy is gone).
    StixObject.objects.filter(pk__in=[o.pk for o in copied.objects]).delete()
    monkeypatch.setattr(services, "COPY_ON_POSTGRESQL", False)
    inserted = services.ingest(objects, **kwargs)
    assert len(inserted.stored) == len(objects)
    b = stored(inserted)
    assert a == b and len(a) == len(objects)
    assert_objects_are_the_stored_rows(inserted)
    # is_latest: the newer version only; dates strictly increasing with microseconds.
    latest = dict(StixObject.objects.filter(stix_id=objects[0]["id"], pk__in=[
        o.pk for o in inserted.objects]).values_list("version", "is_latest"))
    assert sorted(latest.values()) == [False, True]
    assert max(latest) == max(latest, key=lambda v: latest[v])


@ONLY_POSTGRESQL
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_ingests_get_one_block_of_rising_date_added_each(world):
    batches = 6
    results, errors = {}, []

    def post(n):
        try:
            results[n] = services.ingest([indicator(i) for i in range(150)],
                                         community=world.isac, user=world.alice, source="api")
        except Exception as exc:  # pragma: no cover - shown by the assert below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=post, args=(n,)) for n in range(batches)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    everything = list(StixObject.objects.order_by("date_added").values_list(
        "date_added", "stix_id"))
    added = [d for d, _i in everything]
    assert len(added) == 150 * batches == len(set(added))
    spans = sorted((min(o.date_added for o in r.objects), max(o.date_added for o in r.objects))
                   for r in results.values())
    # Each batch holds one block of date_added that no other batch reaches into.
    for (_lo, hi), (next_lo, _hi) in itertools.pairwise(spans):
        assert hi < next_lo
    for r in results.values():
        mine = [o.date_added for o in r.objects]
        assert mine == sorted(mine)
        assert all((b - a).total_seconds() * 1e6 == 1 for a, b in itertools.pairwise(mine))


def test_the_sqlite_path_or_copy_path_round_trips_what_it_stores(world):
    """Whatever the database, the rows read back equal what was sent, audience included."""
    result = services.ingest(mixed("y"), community=world.isac, user=world.alice, source="api",
                             audience_mode=AudienceMode.CHOSEN,
                             audience_organisations=[world.alpha], audience_users=[world.bob])
    assert len(result.stored) == 7 and not result.failures
    assert_objects_are_the_stored_rows(result)
    for obj in result.objects:
        assert set(obj.audience_organisations.values_list("pk", flat=True)) == {world.alpha.pk}
        assert set(obj.audience_users.values_list("pk", flat=True)) == {world.bob.pk}
    assert connection.vendor in ("sqlite", "postgresql")


# --- checks: the library's verdict -----------------------------------------------------------

def verdict(call) -> bool:
    try:
        call()
        return True
    except Exception:
        return False


TIMESTAMPS = st.one_of(
    st.from_regex(r"\A\d{4}-[01]\d-[0-3]\dT[0-2]\d:[0-6]\d:[0-6]\d(\.\d{1,9})?Z\Z"),
    st.from_regex(r"\A\d{1,5}-\d{1,2}-\d{1,2}[T ]\d{1,2}:\d{1,2}:\d{1,2}(\.\d{0,8})?Z?\Z"),
    st.text(max_size=30))


@settings(max_examples=300, deadline=None)
@given(value=TIMESTAMPS, name=st.sampled_from(["valid_from", "valid_until"]))
def test_timestamps_get_the_library_verdict(value, name):
    prop = Indicator._properties[name]
    assert verdict(lambda: stix._clean(prop, value)) == verdict(lambda: prop.clean(value, True))


@settings(max_examples=60, deadline=None)
@given(value=st.one_of(
    st.sampled_from(["2.1", "2.0", "stix", "malicious-activity", GREEN, "identity--x",
                     "identity--00000000-0000-4000-8000-000000000000", ""]),
    st.lists(st.sampled_from([GREEN, "malicious-activity", "identity--x", ""]), max_size=3),
    st.integers(), st.booleans()),
    name=st.sampled_from(["spec_version", "pattern_type", "indicator_types",
                          "object_marking_refs", "created_by_ref", "revoked", "labels"]))
def test_remembered_verdicts_are_the_library_verdicts(value, name):
    prop = Indicator._properties[name]
    expected = verdict(lambda: prop.clean(value, True))
    for _ in range(2):  # the second time may come from the cache
        assert verdict(lambda: stix._clean(prop, value)) == expected
