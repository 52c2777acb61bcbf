"""The indicator pages, the intel API and sightings (page button, API, TAXII POST)."""

import uuid

import pytest
from django.urls import reverse

from renkei.intel import services
from renkei.intel.models import Sighting

from .test_api import Api
from .test_intel_store import GREEN, indicator
from .test_taxii import Taxii, assert_taxii, objects_url


@pytest.fixture
def isac(world):
    return services.collection_for(world.isac)


@pytest.fixture
def stored(world, isac, post):
    topic = post(world.alice, world.isac, "偽ライブ配信サイトの注意喚起")
    phishing = indicator("203.0.113.5", marking=GREEN, name="偽ライブ配信サイト C2")
    expired = indicator("203.0.113.6", marking=GREEN, name="古いC2",
                        valid_until="2026-01-05T00:00:00Z")
    malware = {"type": "malware", "spec_version": "2.1", "id": f"malware--{uuid.uuid4()}",
               "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
               "name": "FakeStreamLoader", "is_family": True}
    relation = {"type": "relationship", "spec_version": "2.1",
                "id": f"relationship--{uuid.uuid4()}", "created": "2026-01-01T00:00:00.000Z",
                "modified": "2026-01-01T00:00:00.000Z", "relationship_type": "indicates",
                "source_ref": phishing["id"], "target_ref": malware["id"]}
    result = services.ingest([phishing, expired, malware, relation], collection=isac,
                             user=world.alice, source="api", topic=topic)
    rows = {o.stix_id: o for o in result.objects}
    return rows[phishing["id"]], rows[expired["id"]], rows[malware["id"]], topic


def test_the_list_searches_and_filters(as_user, world, stored):
    del stored  # the fixture stores the objects the list shows
    client = as_user(world.bob)
    body = client.get(reverse("intel:indicators")).content.decode()
    assert "偽ライブ配信サイト C2" in body and "古いC2" in body
    assert "FakeStreamLoader" not in body  # indicators by default
    body = client.get(reverse("intel:indicators"), {"valid": "valid"}).content.decode()
    assert "偽ライブ配信サイト C2" in body and "古いC2" not in body
    body = client.get(reverse("intel:indicators"), {"q": "203.0.113.6"}).content.decode()
    assert "古いC2" in body and "偽ライブ配信サイト C2" not in body
    body = client.get(reverse("intel:indicators"), {"type": "malware"}).content.decode()
    assert "FakeStreamLoader" in body
    body = client.get(reverse("intel:indicators"), {"type": "", "tlp": "red"}).content.decode()
    assert "FakeStreamLoader" not in body
    assert "FakeStreamLoader" not in as_user(world.charlie).get(
        reverse("intel:indicators"), {"type": ""}).content.decode()


def test_the_indicator_page(as_user, world, stored):
    phishing, _expired, malware, topic = stored
    client = as_user(world.bob)
    body = client.get(reverse("intel:object", args=[phishing.pk])).content.decode()
    assert "[ipv4-addr:value = &#x27;203.0.113.5&#x27;]" in body
    assert topic.public_id in body  # related topic
    assert "FakeStreamLoader" in body  # related through the relationship
    assert "Sightings" in body
    assert client.get(reverse("intel:object", args=[malware.pk])).status_code == 200
    assert as_user(world.charlie).get(reverse("intel:object", args=[phishing.pk])
                                      ).status_code == 404
    assert client.get(reverse("intel:object", args=[999999])).status_code == 404


def test_related_topics_only_when_readable(as_user, world, isac, post):
    secret = post(world.alice, world.isac, "アルファ社内のみ", audience_mode="chosen",
                  audience_organisations=[world.alpha])
    obj = indicator(marking=GREEN)
    [row] = services.ingest([obj], collection=isac, user=world.alice, source="api",
                            topic=secret).objects
    assert secret.public_id in as_user(world.alice).get(
        reverse("intel:object", args=[row.pk])).content.decode()
    assert secret.public_id not in as_user(world.bob).get(
        reverse("intel:object", args=[row.pk])).content.decode()


def test_sightings_from_the_page_with_reporters_shown_to_whom_the_rule_allows(
        as_user, world, stored):
    phishing, _expired, _malware, _topic = stored
    url = reverse("intel:report_sighting", args=[phishing.pk])
    as_user(world.bob).post(url, {"kind": "blocked", "count": "3"})
    as_user(world.alice).post(url, {"kind": "seen"})
    assert Sighting.objects.count() == 2
    page = reverse("intel:object", args=[phishing.pk])
    bob_view = as_user(world.bob).get(page).content.decode()
    assert "Seen 1 times, blocked 3 times." in bob_view
    assert world.beta.name in bob_view and world.alpha.name not in bob_view.split(
        "Sightings")[1].split("Related topics")[0]
    # Bad input changes nothing.
    response = as_user(world.bob).post(url, {"kind": "exploded", "count": "1"})
    assert response.status_code == 302 and Sighting.objects.count() == 2
    as_user(world.bob).post(url, {"kind": "seen", "count": "-4"})
    assert Sighting.objects.count() == 2
    assert as_user(world.charlie).post(url, {"kind": "seen"}).status_code == 404
    assert Sighting.objects.count() == 2


def test_the_api_lists_reads_adds_and_reports(world, stored, isac):
    phishing, _expired, _malware, _topic = stored
    bob = Api(world.bob)
    items = bob.walk("/intel/objects")
    assert {i["stix_id"] for i in items} == {phishing.stix_id, _expired.stix_id}
    assert bob.walk("/intel/objects", {"type": ""}, limit=3)
    detail = bob.get(f"/intel/objects/{phishing.pk}").json()
    assert detail["object"]["id"] == phishing.stix_id and detail["tlp"] == "green"
    assert Api(world.charlie).get(f"/intel/objects/{phishing.pk}").status_code == 404
    assert Api(world.charlie).walk("/intel/objects") == []

    new = indicator("192.0.2.200")
    added = bob.post("/intel/objects", {"community": world.isac.id,
                                        "objects": [new, indicator(pattern="[bad")]}).json()
    assert [o["id"] for o in added["stored"]] == [new["id"]] and len(added["failures"]) == 1
    refused = Api(world.charlie).post("/intel/objects", {"community": world.isac.id,
                                                         "objects": [indicator()]})
    assert refused.status_code == 404

    reported = bob.post(f"/intel/objects/{phishing.pk}/sightings", {"kind": "blocked",
                                                                    "count": 2})
    assert reported.status_code == 201 and reported.json()["blocked"] == 2
    assert bob.post(f"/intel/objects/{phishing.pk}/sightings", {"kind": "x"}).status_code == 400
    summary = Api(world.alice).get(f"/intel/objects/{phishing.pk}/sightings").json()
    assert summary["blocked"] == 2 and summary["reports"] == []  # beta reported, not alpha
    centre_view = Api(world.commander)
    assert centre_view.get(f"/intel/objects/{phishing.pk}/sightings").status_code == 404


def test_a_stix_sighting_posted_over_taxii_counts(world, stored, isac):
    phishing, *_rest = stored
    sighting = {"type": "sighting", "spec_version": "2.1", "id": f"sighting--{uuid.uuid4()}",
                "created": "2026-03-01T00:00:00.000Z", "modified": "2026-03-01T00:00:00.000Z",
                "sighting_of_ref": phishing.stix_id, "count": 7,
                "first_seen": "2026-02-28T00:00:00Z", "last_seen": "2026-03-01T00:00:00Z",
                "x_renkei_sighting_kind": "blocked"}
    response = Taxii(world.bob).post(objects_url(isac), {"objects": [sighting]})
    assert_taxii(response, 202)
    summary = Api(world.bob).get(f"/intel/objects/{phishing.pk}/sightings").json()
    assert summary["blocked"] == 7 and summary["last_seen"].startswith("2026-03-01")
