"""Issue 10, points 4 and 5: STIX provenance on the way in, markings and references on the way
out (TAXII answers and bundle.json), and ids of confined values that cannot be computed."""

import json
import uuid
from datetime import UTC, datetime

import pytest
from django.utils import translation
from stix2validator import validate_instance

from renkei.accounts.models import AuditEntry
from renkei.errors import ServiceError
from renkei.feeds import exporters
from renkei.feeds import stix as feeds_stix
from renkei.intel import services, stix
from renkei.intel.models import StixObject
from renkei.sharing.models import TLP
from renkei.sharing.passing import Kind

from .test_intel_store import GREEN, indicator
from .test_taxii import Taxii, objects_url

TLP2_IDS = set(stix.TLP_MARKING_IDS.values())


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def isac(world):
    return services.collection_for(world.isac)


def add(collection, user, objects, **kw):
    return services.ingest(objects, collection=collection, user=user, source="api", **kw)


# --- provenance ------------------------------------------------------------------------------

def test_created_by_ref_is_written_in_and_a_forged_one_refused(world, isac):
    result = add(isac, world.alice, [indicator()])
    assert result.stored
    raw = json.loads(StixObject.objects.get().raw)
    assert raw["created_by_ref"] == services.organisation_identity_id(world.alpha)
    forged = add(isac, world.alice, [indicator(
        created_by_ref=services.organisation_identity_id(world.centre))])
    assert not forged.stored and "created_by_ref" in forged.failures[0].message
    centre_identity = {"type": "identity", "spec_version": "2.1",
                       "id": services.organisation_identity_id(world.centre),
                       "created": "2026-01-01T00:00:00.000Z",
                       "modified": "2026-01-01T00:00:00.000Z", "name": "centre"}
    assert not add(isac, world.alice, [centre_identity]).stored


def test_only_the_creator_adds_versions_and_the_centre_may_revoke(world, isac):
    original = indicator()
    assert add(isac, world.alice, [original]).stored
    newer = {**original, "modified": "2026-03-01T00:00:00.000Z", "revoked": True}
    refused = add(isac, world.bob, [newer])
    assert not refused.stored and "Another organisation" in refused.failures[0].message
    # ... in another community too: the creator is the first version's, anywhere.
    elsewhere = services.ingest([newer], community=world.open, user=world.beta_admin,
                                source="api")
    assert not elsewhere.stored
    assert StixObject.objects.filter(stix_id=original["id"], revoked=True).count() == 0
    obj = StixObject.objects.get(stix_id=original["id"])
    with pytest.raises(ServiceError):
        services.revoke_object(user=world.bob, obj=obj)
    services.revoke_object(user=world.analyst, obj=obj)
    latest = StixObject.objects.get(stix_id=original["id"], is_latest=True)
    assert latest.revoked and latest.added_by_organisation == world.centre
    assert json.loads(latest.raw)["created_by_ref"] == services.organisation_identity_id(
        world.alpha)
    entry = AuditEntry.objects.filter(action="stix.revoke").get()
    assert entry.actor == world.analyst


def test_a_sighting_from_another_organisation_is_fine(world, isac):
    original = indicator()
    add(isac, world.alice, [original])
    sighting = {"type": "sighting", "spec_version": "2.1", "id": f"sighting--{uuid.uuid4()}",
                "created": "2026-02-01T00:00:00.000Z", "modified": "2026-02-01T00:00:00.000Z",
                "sighting_of_ref": original["id"]}
    assert add(isac, world.bob, [sighting]).stored


# --- on the way out --------------------------------------------------------------------------

def _report(refs, **extra):
    return {"type": "report", "spec_version": "2.1", "id": f"report--{uuid.uuid4()}",
            "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
            "name": "r", "published": "2026-01-01T00:00:00.000Z", "object_refs": refs, **extra}


def test_every_object_leaves_with_its_marking_and_reports_name_only_what_leaves(world, isac):
    unmarked = indicator("192.0.2.1")  # stored under the importer's default, AMBER
    strict = indicator("192.0.2.2", marking=stix.TLP_MARKING_IDS[TLP.AMBER_STRICT])
    refused_id = f"indicator--{uuid.uuid4()}"
    report = _report([unmarked["id"], strict["id"], refused_id])
    assert len(add(isac, world.alice, [unmarked, strict, report],
                   default_tlp=TLP.AMBER).stored) == 3
    # A legacy row stored before markings were written in gets its marking on the way out.
    legacy = indicator("192.0.2.3")
    add(isac, world.alice, [legacy], default_tlp=TLP.GREEN)
    row = StixObject.objects.get(stix_id=legacy["id"])
    row.raw = json.dumps(legacy)
    row.save()

    served = Taxii(world.alice).get(objects_url(isac)).json()["objects"]
    assert len(served) == 4
    for obj in served:
        assert TLP2_IDS & set(obj["object_marking_refs"]), obj
        assert validate_instance(obj).is_valid, obj["id"]
    out = next(o for o in served if o["type"] == "report")
    assert out["object_refs"] == [unmarked["id"]]  # AMBER+STRICT is narrower; one never stored

    bundle = json.loads(b"".join(exporters.stix_bundle(world.alice, exporters.current_objects(
        world.alice, exporters.ExportRequest(collection=isac, format="stix", confined=True,
                                             kind=Kind.EXPORT)), _Quiet())))
    ids = {o["id"] for o in bundle["objects"]}
    for obj in bundle["objects"]:
        if obj["type"] not in {"marking-definition", "extension-definition", "identity"}:
            assert TLP2_IDS & set(obj["object_marking_refs"]), obj
        for marking in obj.get("object_marking_refs", []):
            assert marking in ids, marking  # the definitions travel with the bundle
    assert services.organisation_identity_id(world.alpha) in ids
    assert stix.TLP2_EXTENSION_ID in ids


def test_red_never_goes_to_a_machine(world, isac):
    red = indicator(marking=stix.TLP_MARKING_IDS[TLP.RED])
    add(isac, world.alice, [red], audience_mode="chosen", audience_organisations=[world.alpha])
    feed = exporters.ExportRequest(collection=isac, format="stix", confined=True)
    assert not exporters.current_objects(world.alice, feed).exists()
    person = exporters.ExportRequest(collection=isac, format="stix", confined=True,
                                     kind=Kind.EXPORT)
    assert exporters.current_objects(world.alice, person).count() == 1


class _Quiet:
    def count(self, items):
        yield from items


# --- derived ids -----------------------------------------------------------------------------

def test_a_confined_value_has_an_id_nobody_can_compute():
    published = f"indicator--{uuid.uuid5(feeds_stix.RENKEI_NAMESPACE, 'ipv4:10.1.2.3')}"
    green = feeds_stix.value_object("ipv4", "10.1.2.3", tlp=TLP.GREEN,
                                    moment=datetime.now(UTC))
    assert green["id"] == published  # CLEAR/GREEN keep de-duplication by value
    for level in (TLP.AMBER, TLP.AMBER_STRICT, TLP.RED):
        obj = feeds_stix.value_object("ipv4", "10.1.2.3", tlp=level,
                                      moment=datetime.now(UTC))
        assert obj["id"] != published
        assert obj["id"] == feeds_stix.indicator_id("ipv4", "10.1.2.3", level)  # stable
    sco = feeds_stix.observable("ipv4", "10.1.2.3", tlp=TLP.RED)
    spec = feeds_stix.observable("ipv4", "10.1.2.3", tlp=TLP.GREEN)
    assert sco["id"] != spec["id"]
    assert GREEN in spec["object_marking_refs"]
