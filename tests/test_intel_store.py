"""The STIX store: checking objects, ingest (TLP, audience, versions, date_added, duplicates)."""

import copy
import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import stix2
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st
from stix2patterns.validator import run_validator

from renkei.accounts.models import AuditEntry
from renkei.errors import ServiceError
from renkei.intel import services, stix
from renkei.intel.models import Collection, Sighting, StixObject, StixTopicLink
from renkei.intel.selectors import collection_objects, readable_collections, readable_objects
from renkei.sharing.models import TLP, AudienceMode

INTEROP = Path(__file__).parent / "fixtures" / "interop" / "stix21"
GREEN = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
RED = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"
AMBER_STRICT = "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"
TLP1_WHITE = "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"


def indicator(value="198.51.100.7", *, modified="2026-01-02T00:00:00.000Z", marking=None,
              stix_id=None, **extra) -> dict:
    obj = {
        "type": "indicator", "spec_version": "2.1",
        "id": stix_id or f"indicator--{uuid.uuid4()}",
        "created": "2026-01-01T00:00:00.000Z", "modified": modified,
        "name": f"C2 {value}", "pattern": f"[ipv4-addr:value = '{value}']",
        "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z",
    }
    if marking:
        obj["object_marking_refs"] = [marking]
    obj.update(extra)
    return obj


def bundle_objects(path: Path) -> list[dict]:
    """A bundle's objects; the TLP 1.0 file is a bare list."""
    data = json.loads(path.read_text())
    return data if isinstance(data, list) else data["objects"]


def relayed(objects: list[dict]) -> list[dict]:
    """Objects as a participant relays another producer's samples: renkei sets created_by_ref
    to the relaying organisation (a foreign one is refused), so it is left out."""
    return [{k: v for k, v in o.items() if k != "created_by_ref"} for o in objects]


def interop_files() -> list[Path]:
    return sorted(INTEROP.glob("*/*.json"))


@pytest.fixture(autouse=True)
def _english():
    """Messages are asserted in English (the catalogue test checks the Japanese)."""
    with translation.override("en"):
        yield


# --- checking --------------------------------------------------------------------------------

NOW = datetime(2026, 6, 1, tzinfo=UTC)


def test_every_interop_object_passes_the_check():
    assert interop_files(), INTEROP
    for path in interop_files():
        for obj in bundle_objects(path):
            checked = stix.check(obj, now=NOW)
            assert checked.stix_id == obj["id"]


@pytest.mark.parametrize("change, words", [
    ({"spec_version": "2.0"}, "spec_version"),
    ({"pattern": "[ipv4-addr:value = '1.2.3.4'"}, "pattern"),
    ({"pattern": "[ipv4-addr:value = 1.2.3.4]"}, "pattern"),
    ({"modified": "2025-12-31T00:00:00.000Z"}, "before created"),
    ({"created": "2026-01-01 00:00:00"}, "timestamp"),
    ({"modified": "2099-01-01T00:00:00.000Z"}, "future"),
    ({"colour": "red"}, "x_"),
    ({"id": "indicator--not-a-uuid"}, "UUID"),
    ({"id": f"malware--{uuid.uuid4()}"}, "UUID"),
    ({"valid_until": "2025-01-01T00:00:00Z"}, "valid_until"),
    ({"confidence": 500}, "confidence"),
    ({"type": "flower"}, "x-"),
])
def test_bad_objects_are_refused_with_a_reason(change, words):
    obj = indicator()
    obj.update(change)
    if change.get("type") == "flower":
        obj["id"] = f"flower--{uuid.uuid4()}"
    with pytest.raises(stix.Invalid) as refused:
        stix.check(obj, now=NOW)
    assert words in str(refused.value)


def test_custom_properties_with_x_prefix_and_custom_types_are_kept():
    obj = indicator(x_renkei_confidence_note="high")
    assert stix.check(obj, now=NOW).obj["x_renkei_confidence_note"] == "high"
    custom = {"type": "x-games-venue", "spec_version": "2.1",
              "id": f"x-games-venue--{uuid.uuid4()}",
              "created": "2026-01-01T00:00:00Z", "modified": "2026-01-01T00:00:00Z",
              "venue_name": "Ariake"}
    assert stix.check(custom, now=NOW).type == "x-games-venue"


def test_the_fast_path_agrees_with_the_library():
    """Indicators skip stix2.parse; whatever stix2.parse refuses must be refused here too."""
    samples = [indicator(), indicator(valid_until="2025-01-01T00:00:00Z"),
               indicator(indicator_types="malicious-activity"), indicator(revoked="yes"),
               indicator(labels=[1, 2]), indicator(external_references=[{"url": "x"}]),
               indicator(kill_chain_phases=[{"phase_name": "x"}]),
               indicator(created_by_ref="malware--00000000-0000-4000-8000-000000000000"),
               indicator(object_marking_refs=["identity--00000000-0000-4000-8000-000000000000"])]
    for obj in samples:
        try:
            stix2.parse(copy.deepcopy(obj), allow_custom=True)
            library_ok = True
        except Exception:
            library_ok = False
        try:
            stix.check(obj, now=NOW)
            ours_ok = True
        except stix.Invalid:
            ours_ok = False
        assert ours_ok == library_ok, obj


SAFE_TEXT = st.text(st.characters(min_codepoint=32, max_codepoint=0x30FF), max_size=20)


@settings(max_examples=150, deadline=None)
@given(value=st.one_of(SAFE_TEXT, st.sampled_from([32, 40, 64, 128, 33]).flatmap(
    lambda n: st.text("0123456789abcdefABCDEF", min_size=n, max_size=n))),
       path=st.sampled_from(["ipv4-addr:value", "domain-name:value", "url:value",
                                              "file:hashes.'SHA-256'", "file:hashes.MD5",
                                              "file:hashes.'SHA-1'", "file:name"]),
       op=st.sampled_from(["=", "!="]), joined=st.sampled_from(["", " OR ", " AND "]))
def test_every_pattern_the_fast_path_accepts_is_valid(value, path, op, joined):
    literal = "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    comparison = f"{path} {op} {literal}"
    pattern = f"[{comparison}{joined}{comparison if joined else ''}]"
    if stix.SIMPLE_PATTERN.match(pattern):
        assert run_validator(pattern, stix_version="2.1") == [], pattern


def test_tlp_comes_from_the_markings():
    assert stix.tlp_of(indicator(marking=GREEN)) == TLP.GREEN
    assert stix.tlp_of(indicator(marking=TLP1_WHITE)) == TLP.CLEAR
    assert stix.tlp_of(indicator()) is None
    both = indicator(object_marking_refs=[GREEN], granular_markings=[
        {"marking_ref": RED, "selectors": ["description"]}])
    assert stix.tlp_of(both) == TLP.RED  # the strictest marking anywhere wins


# --- ingest ----------------------------------------------------------------------------------

@pytest.fixture
def isac(world):
    return services.collection_for(world.isac)


def test_ingest_stores_each_object_once_with_its_own_date_added(world, isac):
    objects = [indicator(f"203.0.113.{i}", marking=GREEN) for i in range(50)]
    result = services.ingest(objects, collection=isac, user=world.alice, source="taxii")
    assert len(result.stored) == 50 and not result.failures
    added = list(StixObject.objects.order_by("date_added").values_list("date_added", flat=True))
    assert len(set(added)) == 50 and added == sorted(added)
    assert all(a.microsecond or True for a in added)
    again = services.ingest(objects, collection=isac, user=world.alice, source="taxii")
    assert len(again.duplicates) == 50 and not again.stored and not again.failures
    assert StixObject.objects.count() == 50
    # The store keeps the object as it came, with its creator's identity written in.
    row = StixObject.objects.get(stix_id=objects[0]["id"])
    assert json.loads(row.raw) == {**objects[0], "created_by_ref": services.identity_id(
        world.alice.organisation_id)} and row.tlp == TLP.GREEN
    assert AuditEntry.objects.filter(action="stix.ingest").count() == 2


def test_date_added_keeps_rising_across_batches(world, isac):
    first = services.ingest([indicator()], collection=isac, user=world.alice, source="api")
    second = services.ingest([indicator()], collection=isac, user=world.alice, source="api")
    assert second.objects[0].date_added > first.objects[0].date_added


def test_a_mixed_bundle_stores_the_good_and_lists_the_bad(world, isac):
    good = indicator()
    bad = indicator(pattern="[not a pattern")
    future = indicator(modified="2099-01-01T00:00:00.000Z")
    result = services.ingest([good, bad, future, "not an object"], collection=isac,
                             user=world.alice, source="taxii")
    assert [o.id for o in result.stored] == [good["id"]]
    assert len(result.failures) == 3
    assert StixObject.objects.count() == 1


def test_same_id_and_version_with_different_content_is_refused(world, isac):
    obj = indicator()
    services.ingest([obj], collection=isac, user=world.alice, source="taxii")
    changed = {**obj, "name": "something else"}
    result = services.ingest([changed], collection=isac, user=world.alice, source="taxii")
    assert len(result.failures) == 1 and "different object" in result.failures[0].message
    assert json.loads(StixObject.objects.get().raw)["name"] == obj["name"]


def test_versions_are_kept_and_only_the_newest_is_latest(world, isac):
    obj = indicator()
    newer = {**obj, "modified": "2026-02-01T00:00:00.000Z", "name": "v2"}
    older_late = {**obj, "modified": "2026-01-15T00:00:00.000Z", "name": "v1.5"}
    for version in (obj, newer, older_late):
        services.ingest([version], collection=isac, user=world.alice, source="taxii")
    rows = StixObject.objects.filter(stix_id=obj["id"])
    assert rows.count() == 3
    assert list(rows.filter(is_latest=True).values_list("name", flat=True)) == ["v2"]


def test_red_needs_named_recipients_and_strict_stays_out_of_broadcasts(world, isac):
    result = services.ingest([indicator(marking=RED)], collection=isac, user=world.alice,
                             source="taxii")
    assert result.failures and "RED" in result.failures[0].message
    named = services.ingest([indicator(marking=RED)], collection=isac, user=world.alice,
                            source="api", audience_mode=AudienceMode.CHOSEN,
                            audience_organisations=[world.alpha])
    assert named.stored
    general = services.collection_for(world.general)
    strict = services.ingest([indicator(marking=AMBER_STRICT)], collection=general,
                             user=world.analyst, source="taxii")
    assert strict.failures and not strict.stored


def test_who_may_write(world, isac):
    with pytest.raises(ServiceError):
        services.ingest([indicator()], collection=isac, user=world.charlie, source="taxii")
    curated = Collection.objects.filter(kind=Collection.Kind.CURATED).first()
    with pytest.raises(ServiceError):
        services.ingest([indicator()], collection=curated, user=world.analyst, source="taxii")
    assert not StixObject.objects.exists()


def test_interop_bundles_go_in_and_read_back_as_they_came(world, isac):
    # A granular TLP:RED marking makes the whole object RED: named recipients only.
    granular = bundle_objects(INTEROP / "oasis-cti-documentation" / "using-granular-markings.json")
    refused = services.ingest(relayed(granular), collection=isac, user=world.alice,
                              source="upload")
    assert refused.failures and all("RED" in o.message for o in refused.failures)
    assert refused.stored  # the identity has no RED part
    for path in interop_files():
        objects = relayed(bundle_objects(path))
        result = services.ingest(objects, collection=isac, user=world.alice, source="upload",
                                 audience_mode=AudienceMode.CHOSEN,
                                 audience_organisations=[world.alpha], audience_users=[world.bob])
        assert not result.failures, (path.name, result.failures)
    for row in StixObject.objects.all():
        stix2.parse(row.raw, allow_custom=True)
    sighted = "indicator--9299f726-ce06-492e-8472-2b52ccb53191"
    assert Sighting.objects.filter(indicator_id=sighted).count() == 1


def test_tlp1_white_reads_as_clear_and_unmarked_gets_the_default(world, isac):
    white = indicator(marking=TLP1_WHITE)
    plain = indicator()
    services.ingest([white, plain], collection=isac, user=world.alice, source="taxii",
                    default_tlp=TLP.AMBER)
    assert StixObject.objects.get(stix_id=white["id"]).tlp == TLP.CLEAR
    assert StixObject.objects.get(stix_id=plain["id"]).tlp == TLP.AMBER


def test_topic_links_from_the_caller_and_from_external_references(world, isac, post):
    topic = post(world.alice, world.isac, "フィッシングサイト")
    other = post(world.alice, world.isac, "偽ライブ配信")
    linked = indicator(external_references=[{"source_name": "renkei",
                                             "external_id": other.public_id}])
    services.ingest([linked], collection=isac, user=world.alice, source="extraction",
                    topic=topic)
    assert set(StixTopicLink.objects.values_list("topic__public_id", flat=True)) == {
        topic.public_id, other.public_id}


def test_readers_and_collections(world, isac):
    services.ingest([indicator(marking=GREEN)], collection=isac, user=world.alice,
                    source="taxii")
    assert readable_objects(world.bob).count() == 1  # a member in person
    assert readable_objects(world.charlie).count() == 0
    titles = [c.display_title for c in readable_collections(world.charlie)]
    assert world.isac.name not in titles and "Blocklist, TLP:GREEN" in titles
    blocklist = Collection.objects.get(title="Blocklist, TLP:GREEN")
    # The ISAC's object is not vetted by the centre: no curated collection carries it.
    assert collection_objects(world.bob, blocklist).count() == 0
    # The centre's own bulletin for beta alone: curated, and still only for its readers.
    services.ingest([indicator(marking=GREEN)],
                    community=world.general, user=world.analyst, source="api",
                    audience_mode="chosen", audience_organisations=[world.beta])
    assert collection_objects(world.bob, blocklist).count() == 1
    assert collection_objects(world.charlie, blocklist).count() == 0


def test_expired_indicators_are_not_in_the_blocklist(world, isac):
    past = datetime.now(UTC) - timedelta(days=1)
    expired = indicator(marking=GREEN, valid_until=past.strftime("%Y-%m-%dT%H:%M:%SZ"))
    current = indicator("198.51.100.8", marking=GREEN)
    services.ingest([expired, current], community=world.general, user=world.analyst,
                    source="api")
    blocklist = Collection.objects.get(title="Blocklist, TLP:GREEN")
    assert [o.stix_id for o in collection_objects(world.alice, blocklist)] == [current["id"]]
