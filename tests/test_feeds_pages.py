"""Feeds through HTTP: the upload page (size limit before reading), the run page and its
progress JSON, the API, the exports (STIX, MISP feed, blocklists, CSV) with TLP and validity,
session and Bearer authentication, audit; the values found in a topic."""

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from stix2validator import ValidationOptions, validate_instance

from renkei.accounts.models import AuditEntry
from renkei.accounts.services import issue_api_token
from renkei.feeds import services, stix
from renkei.feeds.models import ImportRun
from renkei.feeds.services import Placement
from renkei.intel import services as store
from renkei.intel.models import Source
from renkei.intel.services import collection_for
from renkei.sharing.models import TLP, AudienceMode

FEED = Path(__file__).parent / "fixtures" / "feeds" / "misp-feed"


def token_for(user) -> str:
    return issue_api_token(actor=user, user=user, name="feeds test")[1]


# --- upload page -----------------------------------------------------------------------------

def _feed_uploads():
    files = [SimpleUploadedFile("manifest.json", (FEED / "manifest-subset.json").read_bytes())]
    files += [SimpleUploadedFile(p.name, p.read_bytes())
              for p in sorted(FEED.glob("*-*-*-*-*.json"))]
    return files


def test_upload_page_imports_a_misp_feed_and_shows_the_run(as_user, english):
    client = as_user(english.analyst)
    assert client.get(reverse("feeds:import")).status_code == 200
    response = client.post(reverse("feeds:import"), {
        "files": _feed_uploads(), "format": "auto", "community": english.general.pk,
        "tlp": "clear", "audience_mode": "members"})
    assert response.status_code == 302, response.content.decode()[:2000]
    run = ImportRun.objects.get()
    assert response["Location"] == reverse("feeds:run", args=[run.uuid])
    page = client.get(response["Location"]).content.decode()
    assert "260" in page and "feeds.js" in page
    progress = client.get(reverse("feeds:run_progress", args=[run.uuid])).json()
    assert progress["state"] == "done" and progress["new"] == 260 and progress["finished"]
    # Someone else's run does not exist for them.
    other = as_user(english.bob)
    assert other.get(reverse("feeds:run", args=[run.uuid])).status_code == 404
    assert other.get(reverse("feeds:run_progress", args=[run.uuid])).status_code == 404


def test_upload_of_200_mb_is_refused_before_the_body_is_read(as_user, english):
    client = as_user(english.analyst)
    response = client.post(reverse("feeds:import"), {"format": "auto"},
                           CONTENT_LENGTH=str(200 * 1024 * 1024))
    assert response.status_code == 413
    assert "MB" in response.content.decode()
    assert not ImportRun.objects.exists()


def test_upload_larger_than_the_limit_is_stopped_while_streaming(as_user, english, settings):
    settings.FEEDS_IMPORT_MAX_BYTES = 1000
    client = as_user(english.analyst)
    response = client.post(reverse("feeds:import"), {
        "files": [SimpleUploadedFile("big.txt", b"192.0.2.1\n" * 500)], "format": "list",
        "community": english.general.pk, "tlp": "green", "audience_mode": "members"})
    assert response.status_code == 413
    assert not ImportRun.objects.exists()


def test_upload_refused_for_a_community_one_may_not_post_in(as_user, english):
    client = as_user(english.bob)
    response = client.post(reverse("feeds:import"), {
        "files": [SimpleUploadedFile("a.txt", b"192.0.2.1\n")], "format": "list",
        "community": english.general.pk, "tlp": "green", "audience_mode": "members"})
    assert response.status_code == 400
    assert not ImportRun.objects.exists()


# --- API -------------------------------------------------------------------------------------

def test_api_import_and_run(client, english):
    token = token_for(english.alice)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    response = client.post(reverse("api:feeds_import"), {
        "files": [SimpleUploadedFile("list.txt", b"192.0.2.1\nnot-a-value\n")],
        "community": english.isac.pk, "tlp": "amber"}, **auth)
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["new"], body["failed"], body["state"]) == (1, 1, "done")
    again = client.get(reverse("api:feeds_import_run", args=[body["id"]]), **auth)
    assert again.json()["id"] == body["id"]
    bad = client.post(reverse("api:feeds_import"), {
        "files": [SimpleUploadedFile("b.json", b"{oops")], "community": english.isac.pk,
        "format": "stix"}, **auth)
    assert bad.status_code == 400 and "JSON" in bad.json()["error"]
    refused = client.post(reverse("api:feeds_import"), {
        "files": [SimpleUploadedFile("a.txt", b"192.0.2.1\n")],
        "community": english.general.pk}, **auth)
    assert refused.status_code == 400
    hidden = client.post(reverse("api:feeds_import"), {
        "files": [SimpleUploadedFile("a.txt", b"192.0.2.1\n")],
        "community": english.open.pk}, **auth)
    assert hidden.status_code == 404  # a community Alice cannot read does not exist for her
    assert client.get(reverse("api:feeds_import_run", args=[body["id"]]),
                      HTTP_AUTHORIZATION=f"Bearer {token_for(english.bob)}").status_code == 404


# --- exports ---------------------------------------------------------------------------------

NOW = datetime.now(UTC)


def _put(user, community, kind, value, tlp, *, valid_until=None, revoked=False, **audience):
    obj = stix.indicator(kind, value, tlp=tlp, moment=NOW - timedelta(days=2),
                         valid_until=valid_until)
    if revoked:
        obj["revoked"] = True
    result = store.ingest([obj], user=user, source=Source.API, community=community, **audience)
    assert result.stored, result.failures


@pytest.fixture
def exported(english):
    w = english
    _put(w.analyst, w.general, "ipv4", "192.0.2.10", TLP.CLEAR)
    _put(w.analyst, w.general, "ipv6", "2001:db8::10", TLP.GREEN)
    _put(w.analyst, w.general, "domain", "bad.example.com", TLP.AMBER)
    _put(w.analyst, w.general, "url", "http://bad.example.com/x", TLP.GREEN)
    _put(w.analyst, w.general, "sha256", "a" * 64, TLP.GREEN)
    _put(w.analyst, w.general, "domain", "expired.example.com", TLP.GREEN,
         valid_until=NOW - timedelta(days=1))
    _put(w.analyst, w.general, "domain", "revoked.example.com", TLP.GREEN, revoked=True)
    _put(w.analyst, w.general, "domain", "strict.example.com", TLP.AMBER_STRICT,
         audience_mode=AudienceMode.CHOSEN, audience_organisations=[w.beta])
    _put(w.analyst, w.general, "domain", "red.example.com", TLP.RED,
         audience_mode=AudienceMode.CHOSEN, audience_users=[w.bob])
    return collection_for(w.general)


def test_blocklists_leave_out_confined_expired_and_revoked(client, english, exported):
    client.force_login(english.bob)
    url = reverse("feeds:blocklist", args=[exported.uuid, "domain"])
    body = b"".join(client.get(url).streaming_content).decode()
    assert body.split() == ["bad.example.com"]
    asked = b"".join(client.get(url + "?confined=1").streaming_content).decode()
    assert asked.startswith("# ")
    assert [line for line in asked.splitlines() if not line.startswith("#")] == [
        "bad.example.com", "strict.example.com", "red.example.com"]
    ips = b"".join(client.get(reverse("feeds:blocklist", args=[exported.uuid, "ip"]))
                   .streaming_content).decode()
    assert ips.split() == ["192.0.2.10", "2001:db8::10"]
    hashes = b"".join(client.get(reverse("feeds:blocklist", args=[exported.uuid, "hash"]))
                      .streaming_content).decode()
    assert hashes.split() == ["a" * 64]
    # Alice is in neither audience: confined=1 gives her nothing more.
    client.force_login(english.alice)
    asked = b"".join(client.get(url + "?confined=1").streaming_content).decode()
    assert [line for line in asked.splitlines() if not line.startswith("#")] == [
        "bad.example.com"]
    assert client.get(url + "?confined=yes").status_code == 400
    assert client.get(reverse("feeds:blocklist", args=[exported.uuid, "email"])
                      ).status_code == 404


def test_stix_bundle_export_is_valid_and_audited(client, english, exported):
    token = token_for(english.alice)
    response = client.get(reverse("feeds:bundle", args=[exported.uuid]),
                          HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/stix+json")
    bundle = json.loads(b"".join(response.streaming_content))
    names = {o["name"] for o in bundle["objects"]}
    # CSV/STIX keep expired and revoked (they say so themselves); never the confined ones.
    assert "strict.example.com" not in names and "red.example.com" not in names
    assert "expired.example.com" in names
    for obj in bundle["objects"]:
        assert validate_instance(obj, ValidationOptions(version="2.1")).is_valid
    entries = list(AuditEntry.objects.filter(action__startswith="feeds.export")
                   .order_by("id").values_list("action", "detail"))
    assert [a for a, _d in entries] == ["feeds.export", "feeds.export.done"]
    assert entries[0][1]["format"] == "stix" and entries[0][1]["confined"] is False
    # The rows are the stored objects; the bundle adds the definitions and identities they name.
    added = {"marking-definition", "extension-definition", "identity"}
    assert entries[1][1]["rows"] == len([o for o in bundle["objects"] if o["type"] not in added])
    assert {o["type"] for o in bundle["objects"]} & added == added


def test_csv_export(client, english, exported):
    client.force_login(english.bob)
    response = client.get(reverse("feeds:csv", args=[exported.uuid]))
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:3] == ["type", "value", "tlp"]
    values = {row[1] for row in rows[1:]}
    assert "bad.example.com" in values and "red.example.com" not in values
    assert "revoked.example.com" not in values


def test_misp_feed_export_round_trips_through_the_misp_importer(client, english, exported):
    client.force_login(english.bob)
    base = reverse("feeds:misp_manifest", args=[exported.uuid]).removesuffix("manifest.json")
    manifest = client.get(base + "manifest.json").json()
    assert manifest
    tags = {tag["name"] for event in manifest.values() for tag in event["Tag"]}
    assert tags <= {"tlp:clear", "tlp:green", "tlp:amber"}
    events = {}
    for event_id in manifest:
        response = client.get(f"{base}{event_id}.json")
        assert response.status_code == 200
        events[event_id] = response.content
    attributes = [a for e in events.values() for a in json.loads(e)["Event"]["Attribute"]]
    by_value = {a["value"]: a for a in attributes}
    assert by_value["expired.example.com"]["to_ids"] is False
    assert by_value["bad.example.com"]["to_ids"] is True
    assert "revoked.example.com" not in by_value or not by_value["revoked.example.com"]["to_ids"]
    assert "red.example.com" not in by_value
    hashes = b"".join(client.get(base + "hashes.csv").streaming_content).decode()
    assert len(hashes.splitlines()) == len(attributes)
    assert client.get(base + "00000000-0000-4000-8000-000000000000.json").status_code == 404
    # What renkei exports, renkei (and so MISP's own format) reads back.
    run = services.start_import(
        user=english.alice, placement=Placement(community=english.isac, tlp=TLP.GREEN),
        files=[("manifest.json", json.dumps(manifest).encode())]
        + [(f"{k}.json", v) for k, v in events.items()], fmt="misp-feed")
    assert run.state == ImportRun.State.DONE and run.failed == 0 and run.new > 0


def test_exports_need_credentials_and_hide_unreadable_collections(client, english, exported):
    url = reverse("feeds:bundle", args=[exported.uuid])
    response = client.get(url)
    assert response.status_code == 401 and response["WWW-Authenticate"].startswith("Bearer")
    assert client.get(url, HTTP_AUTHORIZATION="Bearer nope").status_code == 401
    isac = collection_for(english.isac)
    client.force_login(english.charlie)
    assert client.get(reverse("feeds:bundle", args=[isac.uuid])).status_code == 404
    assert client.get(reverse("feeds:bundle", args=["not-a-uuid"])).status_code == 404


def test_overview_lists_readable_collections(as_user, english, exported):
    page = as_user(english.charlie).get(reverse("feeds:overview")).content.decode()
    assert str(exported.uuid) in page
    assert str(collection_for(english.isac).uuid) not in page


# --- found in a topic ------------------------------------------------------------------------

def test_topic_indicators_page(as_user, english, post):
    topic = post(english.alice, english.isac, title="観測", tlp=TLP.AMBER,
                 body="接続先 198.51.100[.]23 と evil[.]example[.]org を確認")
    url = reverse("feeds:topic_indicators", args=[topic.public_id])
    assert as_user(english.charlie).get(url).status_code == 404
    assert as_user(english.charlie).post(url, {"values": ["ipv4:198.51.100.23"]}
                                         ).status_code == 404
    page = as_user(english.bob).get(url)  # a reader, not an analyst: sees, cannot act
    assert page.status_code == 200 and "198.51.100.23" in page.content.decode()
    assert 'type="checkbox"' not in page.content.decode()
    client = as_user(english.alice)  # the ISAC's manager
    assert 'type="checkbox"' in client.get(url).content.decode()
    response = client.post(url, {"values": ["ipv4:198.51.100.23", "domain:evil.example.org"],
                                 "community": english.isac.pk, "tlp": "green"})
    assert response.status_code == 302
    run = ImportRun.objects.get()
    assert run.new == 2 and run.tlp == TLP.AMBER
    topic_page = client.get(reverse("communities:topic", args=[topic.public_id]))
    assert url in topic_page.content.decode()


# --- scheduled feeds page --------------------------------------------------------------------

def test_sources_page_for_analysts_only(as_user, english, django_capture_on_commit_callbacks):
    from renkei.feeds.models import FeedSource
    from renkei.jobs.models import Job

    assert as_user(english.alice).get(reverse("feeds:sources")).status_code == 404
    client = as_user(english.analyst)
    assert client.get(reverse("feeds:sources")).status_code == 200
    refused = client.post(reverse("feeds:sources"), {
        "name": "x", "url": "https://feeds.example/list.txt", "format": "list",
        "community": english.general.pk, "tlp": "red", "interval_minutes": 60})
    assert refused.status_code == 400 and not FeedSource.objects.exists()
    response = client.post(reverse("feeds:sources"), {
        "name": "list", "url": "https://feeds.example/list.txt", "format": "list",
        "community": english.general.pk, "tlp": "green", "interval_minutes": 60})
    assert response.status_code == 302
    source = FeedSource.objects.get()
    assert not source.enabled and source.next_fetch_at is None
    client.post(reverse("feeds:source_action", args=[source.pk, "enable"]))
    source.refresh_from_db()
    assert source.enabled and source.next_fetch_at is not None
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("feeds:source_action", args=[source.pk, "fetch"]))
    assert Job.objects.filter(kind="feeds.fetch").count() == 1
    other = as_user(english.bob)
    assert other.post(reverse("feeds:source_action", args=[source.pk, "disable"])
                      ).status_code == 404
