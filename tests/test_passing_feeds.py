"""Passing on through feeds (issue 10, points 3 and 6, and "make indicators"):

- curated collections and every blocklist take only vetted sources (the centre's posts in the
  communities everyone reads, or versions the centre accepted) and refuse values that would
  hurt everyone, each refusal counted with its reason — the reproduction through real HTTP;
- MISP in: event, object and attribute each say their TLP, the strictest wins, a TLP tag beats
  a distribution's default, distribution 0 never reaches TLP:CLEAR lists, CSV or the MISP feed;
- indicators made from a topic go only where the pass-on rule lets the topic itself go.
"""

import copy
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import translation

from renkei.accounts.models import AuditEntry
from renkei.accounts.services import issue_api_token
from renkei.communities import services as community_services
from renkei.communities.models import CommunityKind
from renkei.errors import ServiceError
from renkei.feeds import parsers, services
from renkei.feeds.models import ImportRun
from renkei.feeds.services import Placement
from renkei.intel import curation
from renkei.intel import services as store
from renkei.intel.curated import ensure_curated_collections
from renkei.intel.models import Collection, CurationAcceptance, StixObject
from renkei.intel.selectors import collection_objects
from renkei.intel.services import collection_for
from renkei.intel.stix import TLP_MARKING_IDS
from renkei.sharing.models import TLP, AudienceMode

FIXTURES = Path(__file__).parent / "fixtures" / "feeds"
TWEETFEED_EVENT = FIXTURES / "misp-feed" / "181b5be4-a1f6-53a4-8436-4d4cd3e272a3.json"
TURLA_EVENT = FIXTURES / "misp-events" / "misp-turla-outlook-event.json"
CURATED_BLOCKLIST = "6b1f3a4e-2c55-4f0e-9b6a-0c2f5d1e8a01"
HARMFUL = ["0.0.0.0/0", "::/0", "127.0.0.1", "windowsupdate.com", "centre.example"]
GOOD_IP, GOOD_DOMAIN = "198.51.100.7", "bad-actor-domain.example"
NOW = datetime.now(UTC)


def token_for(user) -> str:
    return issue_api_token(actor=user, user=user, name="passing test")[1]


def indicator(value: str, n: int) -> dict:
    sco = "domain-name" if value[0].isalpha() else ("ipv6-addr" if ":" in value else "ipv4-addr")
    return {"type": "indicator", "spec_version": "2.1",
            "id": f"indicator--00000000-0000-4000-8000-{n:012d}",
            "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
            "pattern": f"[{sco}:value = '{value}']", "pattern_type": "stix",
            "valid_from": "2026-01-01T00:00:00Z",
            "object_marking_refs": ["marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"]}


@pytest.fixture
def desk(english):
    """Like 対処調整センター連絡窓口: an open community of the centre every organisation is in."""
    w = english
    desk = community_services.create_community(actor=w.commander, name="連絡窓口",
                                               kind=CommunityKind.OPEN, owner=w.centre)
    for org in (w.alpha, w.beta, w.gamma, w.ministry, w.agency):
        community_services.add_member(actor=w.commander, community=desk, organisation=org)
    ensure_curated_collections()
    return desk


def post_objects(client, user, community, objects):
    response = client.post("/api/v1/intel/objects", json.dumps(
        {"community": community.pk, "objects": objects}), content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token_for(user)}")
    assert response.status_code == 200, response.content
    return response.json()


def download(client, user, collection_uuid, name) -> str:
    response = client.get(reverse("feeds:blocklist", args=[collection_uuid, name]),
                          HTTP_AUTHORIZATION=f"Bearer {token_for(user)}")
    assert response.status_code == 200
    return b"".join(response.streaming_content).decode()


def listed(text: str) -> set[str]:
    return {line for line in text.splitlines() if line and not line.startswith("#")}


# --- curated collections and blocklists ------------------------------------------------------

def test_participant_posts_in_the_centres_open_community_never_reach_the_curated_blocklist(
        client, english, desk):
    """The issue's reproduction, through the API and the feed download."""
    w = english
    result = post_objects(client, w.alice, desk, [indicator(v, i) for i, v in enumerate(
        [*HARMFUL, GOOD_IP, GOOD_DOMAIN])])
    assert len(result["stored"]) == 7
    for user in (w.alice, w.bob, w.charlie, w.agent, w.commander, w.analyst):
        for name in ("ip", "domain"):
            text = download(client, user, CURATED_BLOCKLIST, name)
            assert listed(text) == set(), (user.email, name, text)
    # Not vetted is not refused: nothing to count, nothing named.
    assert "refused" not in download(client, w.bob, CURATED_BLOCKLIST, "ip")
    # Nor does the community's own blocklist carry what no one vetted.
    desk_uuid = collection_for(desk).uuid
    assert listed(download(client, w.bob, desk_uuid, "ip")) == set()


def test_the_centres_own_posts_are_vetted_and_harmful_values_refused_with_reasons(
        client, english, desk):
    w = english
    post_objects(client, w.analyst, w.general, [indicator(v, i) for i, v in enumerate(
        [*HARMFUL, GOOD_IP, GOOD_DOMAIN])])
    ip_list = download(client, w.bob, CURATED_BLOCKLIST, "ip")
    domain_list = download(client, w.charlie, CURATED_BLOCKLIST, "domain")
    assert listed(ip_list) == {GOOD_IP}
    assert listed(domain_list) == {GOOD_DOMAIN}
    assert "# 3 refused: 0.0.0.0/0 (a network broader than /16); ::/0 (a network broader " \
           "than /32); 127.0.0.1 (a loopback range)" in ip_list
    assert "# 2 refused: windowsupdate.com (a well-known domain that must not be blocked); " \
           "centre.example (a registered organisation's own domain)" in domain_list
    done = AuditEntry.objects.filter(action="feeds.export.done").order_by("-id").first()
    assert done.detail["refused"] == 2 and done.detail["rows"] == 1
    # The broadcast community's own blocklist refuses the same values.
    general = collection_for(w.general).uuid
    assert listed(download(client, w.bob, general, "ip")) == {GOOD_IP}
    # TAXII and the other formats of the curated collection leave them out too.
    blocklist = Collection.objects.get(uuid=CURATED_BLOCKLIST)
    patterns = set(collection_objects(w.bob, blocklist).values_list("pattern", flat=True))
    assert patterns == {f"[ipv4-addr:value = '{GOOD_IP}']",
                        f"[domain-name:value = '{GOOD_DOMAIN}']"}


def test_the_platforms_own_domain_and_settings(client, english, desk, settings):
    w = english
    settings.BASE_URL = "https://renkei.example.jp"
    settings.BLOCKLIST_PROTECTED_DOMAINS = ["partner.example.net"]
    settings.BLOCKLIST_MIN_PREFIX_V4 = 24
    post_objects(client, w.analyst, w.general, [indicator(v, i) for i, v in enumerate(
        ["renkei.example.jp", "login.renkei.example.jp", "example.jp", "partner.example.net",
         "203.0.0.0/20", "10.1.2.3", "169.254.0.1", "224.0.0.5", GOOD_DOMAIN, "203.0.113.0/24"])])
    domains = download(client, w.bob, CURATED_BLOCKLIST, "domain")
    assert listed(domains) == {GOOD_DOMAIN}
    assert "renkei.example.jp (the platform's own domain)" in domains
    assert "login.renkei.example.jp (the platform's own domain)" in domains
    assert "example.jp (would also block renkei.example.jp" in domains
    assert "partner.example.net (a domain the platform protects)" in domains
    ips = download(client, w.bob, CURATED_BLOCKLIST, "ip")
    assert listed(ips) == {"203.0.113.0/24"}
    for reason in ("203.0.0.0/20 (a network broader than /24)", "10.1.2.3 (a private range)",
                   "169.254.0.1 (a link-local range)", "224.0.0.5 (a multicast range)"):
        assert reason in ips


def test_the_centre_accepts_a_participants_object_through_the_api(client, english, desk):
    w = english
    post_objects(client, w.alice, desk, [indicator(GOOD_IP, 1), indicator("10.0.0.0/8", 2)])
    good = StixObject.objects.get(pattern__contains=GOOD_IP)
    private = StixObject.objects.get(pattern__contains="10.0.0.0/8")
    url = f"/api/v1/intel/objects/{good.pk}/curation"
    # A participant may not vouch for anything.
    refused = client.post(url, "{}", content_type="application/json",
                          HTTP_AUTHORIZATION=f"Bearer {token_for(w.alice)}")
    assert refused.status_code == 400 and "centre" in refused.json()["error"]
    assert not CurationAcceptance.objects.exists()
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token_for(w.commander)}"}
    for obj in (good, private):
        response = client.post(f"/api/v1/intel/objects/{obj.pk}/curation",
                               json.dumps({"note": "checked"}), content_type="application/json",
                               **headers)
        assert response.status_code == 200 and response.json()["accepted"]
    assert AuditEntry.objects.filter(action="intel.curation.accept").count() == 2
    text = download(client, w.charlie, CURATED_BLOCKLIST, "ip")
    assert listed(text) == {GOOD_IP}
    assert "10.0.0.0/8 (a network broader than /16)" in text  # accepted, still refused
    assert client.delete(url, **headers).json() == {
        "accepted": False, "accepted_by": None, "accepted_at": None}
    assert AuditEntry.objects.filter(action="intel.curation.withdraw").count() == 1
    assert listed(download(client, w.charlie, CURATED_BLOCKLIST, "ip")) == set()


def test_an_accepted_version_does_not_vouch_for_the_next(client, english, desk):
    w = english
    post_objects(client, w.alice, desk, [indicator(GOOD_IP, 1)])
    curation.accept_for_curation(actor=w.commander, stix_object=StixObject.objects.get())
    newer = indicator("198.51.100.99", 1) | {"modified": "2026-02-01T00:00:00.000Z"}
    post_objects(client, w.alice, desk, [newer])
    assert listed(download(client, w.bob, CURATED_BLOCKLIST, "ip")) == set()


def test_acceptance_asks_the_pass_on_rule(english, post):
    w = english
    report = post(w.alice, w.window, title="被害報告", body="10.1.2.3", tlp=TLP.GREEN)
    result = store.ingest([indicator(GOOD_IP, 1)], user=w.alice, source="api",
                          community=w.window, audience_mode=AudienceMode.MEMBERS, topic=report)
    obj = result.objects[0]
    with translation.override("en"), pytest.raises(ServiceError, match="consultation window"):
        curation.accept_for_curation(actor=w.commander, stix_object=obj)
    assert not CurationAcceptance.objects.exists()


def test_protected_values_hold_every_registered_organisations_domains(english):
    protected = curation.protected_values()
    for domain in ("centre.example", "alpha.example", "beta.example", "agency.example",
                   "windowsupdate.com", "download.windowsupdate.com"):
        assert curation.value_refusal("domain-name", domain, protected)
    assert curation.value_refusal("email-addr", "someone@beta.example", protected)
    assert curation.value_refusal("url", "https://alpha.example/login", protected)
    assert curation.value_refusal("url", "http://127.0.0.1:8000/", protected)
    assert curation.value_refusal("domain-name", GOOD_DOMAIN, protected) is None
    assert curation.value_refusal("file", "d41d8cd98f00b204e9800998ecf8427e", protected) is None


@pytest.mark.parametrize("pattern, refused", [
    ("[ipv4-addr:value != '198.51.100.1']", True),
    ("[domain-name:value LIKE '%']", True),
    ("[domain-name:value MATCHES '.*']", True),
    ("[ipv4-addr:value NOT = '198.51.100.1']", True),
    ("[ipv4-addr:value ISSUBSET '10.0.0.0/8']", True),
    ("[network-traffic:dst_ref.value = '127.0.0.1']", True),
    ("[ipv4-addr:value = '198.51.100.1'] OR [domain-name:value = 'windowsupdate.com']", True),
    ("[ipv4-addr:value IN ('198.51.100.1', '192.168.1.1')]", True),
    ("[ipv4-addr:value = '198.51.100.1'] AND [domain-name:value = 'evil.example']", False),
    ("[file:hashes.MD5 = 'd41d8cd98f00b204e9800998ecf8427e']", False),
    ("[process:name MATCHES '.*']", False),
])
def test_rich_patterns_in_curated_collections(english, pattern, refused):
    assert (curation.pattern_refusal(pattern, curation.protected_values()) is not None) == \
        refused


# --- MISP in ---------------------------------------------------------------------------------

def _event(distribution="3", tags=(), attribute=None, misp_object=None) -> dict:
    attribute = {"uuid": "d1521ed9-9507-5200-b1cf-740b594ec04a", "type": "ip-dst",
                 "category": "Network activity", "to_ids": True, "value": "193.27.90.102",
                 "distribution": "5", **(attribute or {})}
    event = {"uuid": "181b5be4-a1f6-53a4-8436-4d4cd3e272a3", "info": "test",
             "timestamp": "1784461860", "distribution": distribution,
             "Tag": [{"name": t} for t in tags], "Attribute": []}
    if misp_object is None:
        event["Attribute"] = [attribute]
    else:
        event["Object"] = [{"name": "ip-port", "distribution": "5", **misp_object,
                            "Attribute": [attribute]}]
    return event


def _attribute_tlp(event: dict, importer: str = TLP.CLEAR) -> str:
    parsed = parsers.Parsed(parsers.MISP_EVENT)
    parsers.add_misp_event(parsed, event, tlp=importer, now=NOW)
    found = [o for o in parsed.objects if o["type"] == "indicator"]
    assert len(found) == 1, parsed.failures
    marking = found[0]["object_marking_refs"][0]
    return {v: k for k, v in TLP_MARKING_IDS.items()}[marking]


@pytest.mark.parametrize("distribution, tags, expected", [
    # event level: distribution without a tag
    ("0", (), TLP.AMBER_STRICT), ("1", (), TLP.AMBER), ("2", (), TLP.CLEAR),
    ("3", (), TLP.CLEAR), ("4", (), TLP.AMBER), ("5", (), TLP.CLEAR), ("", (), TLP.CLEAR),
    # an explicit tag beats the distribution's default ...
    ("1", ("tlp:green",), TLP.GREEN), ("1", ("tlp:white",), TLP.CLEAR),
    ("4", ("tlp:clear",), TLP.CLEAR), ("3", ("tlp:amber",), TLP.AMBER),
    ("3", ("tlp:red", "tlp:green"), TLP.RED),
    # ... but never lowers "your organisation only"
    ("0", ("tlp:clear",), TLP.AMBER_STRICT), ("0", ("tlp:red",), TLP.RED),
])
def test_misp_event_level_mapping(distribution, tags, expected):
    assert _attribute_tlp(_event(distribution, tags)) == expected


@pytest.mark.parametrize("level", ["attribute", "object"])
@pytest.mark.parametrize("distribution, tags, expected", [
    ("0", (), TLP.AMBER_STRICT), ("1", (), TLP.AMBER), ("4", (), TLP.AMBER),
    ("5", (), TLP.GREEN), ("3", (), TLP.GREEN), ("1", ("tlp:green",), TLP.GREEN),
    ("0", ("tlp:green",), TLP.AMBER_STRICT), ("3", ("tlp:amber+strict",), TLP.AMBER_STRICT),
    # the strictest level wins: a lower level cannot loosen the event's GREEN
    ("3", ("tlp:clear",), TLP.GREEN),
])
def test_misp_object_and_attribute_levels(level, distribution, tags, expected):
    own = {"distribution": distribution, "Tag": [{"name": t} for t in tags]}
    event = _event("3", ("tlp:green",), **({"attribute": own} if level == "attribute"
                                           else {"misp_object": own}))
    assert _attribute_tlp(event) == expected


def test_the_importers_choice_is_a_floor():
    assert _attribute_tlp(_event("3", ("tlp:clear",)), importer=TLP.AMBER) == TLP.AMBER


def test_real_samples_keep_their_tlp():
    turla = parsers.parse_misp_event(TURLA_EVENT.read_bytes(), tlp=TLP.CLEAR, now=NOW)
    markings = {m for o in turla.objects for m in o.get("object_marking_refs", [])}
    assert markings == {TLP_MARKING_IDS[TLP.AMBER_STRICT]}  # distribution 0, no TLP tag
    tweetfeed = parsers.parse_misp_event(TWEETFEED_EVENT.read_bytes(), tlp=TLP.CLEAR, now=NOW)
    assert {m for o in tweetfeed.objects for m in o.get("object_marking_refs", [])} == {
        TLP_MARKING_IDS[TLP.CLEAR]}  # distribution 3 with tlp:clear


def _tweetfeed_with_one_confined_attribute() -> tuple[bytes, str]:
    document = json.loads(TWEETFEED_EVENT.read_bytes())
    event = copy.deepcopy(document)
    attribute = event["Event"]["Attribute"][0]
    attribute["distribution"] = "0"
    return json.dumps(event).encode(), attribute["value"]


def test_a_distribution_0_attribute_never_reaches_clear_lists_csv_or_the_misp_feed(
        client, english, desk):
    w = english
    data, confined_value = _tweetfeed_with_one_confined_attribute()
    # Into a community everyone reads: the store refuses it there (AMBER+STRICT), the rest go.
    run = services.start_import(user=w.analyst, placement=Placement(
        community=w.general, tlp=TLP.CLEAR), files=[("event.json", data)], fmt="misp-event")
    assert run.state == ImportRun.State.DONE and run.failed == 1 and run.new > 0
    assert confined_value not in download(client, w.bob, CURATED_BLOCKLIST, "ip")
    # Into a closed community: stored as AMBER+STRICT, so left out of every format unless
    # a reader asks for confined items.
    run = services.start_import(user=w.alice, placement=Placement(
        community=w.isac, tlp=TLP.CLEAR), files=[("event.json", data)], fmt="misp-event")
    assert run.state == ImportRun.State.DONE and run.failed == 0
    stored = StixObject.objects.get(community=w.isac, type="indicator",
                                    pattern__contains=f"'{confined_value}'")
    assert stored.tlp == TLP.AMBER_STRICT
    isac = collection_for(w.isac).uuid
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token_for(w.bob)}"}
    csv_text = b"".join(client.get(reverse("feeds:csv", args=[isac]),
                                   **headers).streaming_content).decode()
    assert confined_value not in csv_text and len(csv_text.splitlines()) > 2
    base = reverse("feeds:misp_manifest", args=[isac]).removesuffix("manifest.json")
    manifest = client.get(base + "manifest.json", **headers).json()
    values = set()
    for event_id in manifest:
        event = client.get(f"{base}{event_id}.json", **headers).json()["Event"]
        values |= {a["value"] for a in event["Attribute"]}
        assert {t["name"] for t in event["Tag"]} <= {"tlp:clear"}
    assert values and confined_value not in values
    assert confined_value not in download(client, w.bob, isac, "ip")


# --- make indicators -------------------------------------------------------------------------

def test_make_indicators_from_an_amber_topic_stay_with_its_readers(english, post):
    w = english
    wider = community_services.create_community(actor=w.alice, name="広域", kind="closed")
    community_services.add_member(actor=w.alice, community=wider, organisation=w.gamma)
    topic = post(w.bob, w.isac, title="社内", body="内部の 10.1.2.3 と 198.51.100.20",
                 tlp=TLP.AMBER)
    keys = [f"{f.kind}:{f.value}" for f in services.found_in_topic(topic)]
    with translation.override("en"), pytest.raises(ServiceError, match="TLP:AMBER"):
        services.make_indicators(w.alice, topic, values=keys, community=wider, tlp=TLP.AMBER)
    assert not StixObject.objects.filter(community=wider).exists()
    assert not ImportRun.objects.exists()
    # Into the community it was written in: the same readers, allowed.
    run = services.make_indicators(w.alice, topic, values=keys, community=w.isac,
                                   tlp=TLP.GREEN)
    assert run.new == 2
    assert set(StixObject.objects.filter(community=w.isac).values_list("tlp", flat=True)) == {
        TLP.AMBER}


def test_make_indicators_from_a_consultation_report_are_refused(english, post):
    w = english
    report = post(w.alice, w.window, title="被害報告", body="社内の 10.1.2.3 から通信",
                  tlp=TLP.GREEN)
    keys = [f"{f.kind}:{f.value}" for f in services.found_in_topic(report)]
    for community in (w.general, w.isac):
        with translation.override("en"), pytest.raises(ServiceError,
                                                       match="consultation window"):
            services.make_indicators(w.analyst if community == w.general else w.alice, report,
                                     values=keys, community=community, tlp=TLP.AMBER)
    assert not StixObject.objects.exists()


def test_make_indicators_refusal_through_the_page(as_user, english, post):
    w = english
    wider = community_services.create_community(actor=w.alice, name="広域", kind="closed")
    community_services.add_member(actor=w.alice, community=wider, organisation=w.gamma)
    topic = post(w.bob, w.isac, title="社内", body="198.51.100.20", tlp=TLP.AMBER)
    client = as_user(w.alice)
    response = client.post(reverse("feeds:topic_indicators", args=[topic.public_id]), {
        "values": ["ipv4:198.51.100.20"], "community": wider.pk, "tlp": "amber"})
    assert response.status_code == 400
    assert "TLP:AMBER" in response.content.decode()
    assert not StixObject.objects.exists()
