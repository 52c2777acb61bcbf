"""The TAXII 2.1 server under /taxii2/: one test (at least) per point of design/TAXII.md."""

import base64
import json
import uuid
from datetime import timedelta

import pytest
from django.core import signing
from django.test import Client
from django.utils import timezone
from stix2validator import validate_instance

from renkei.accounts.services import issue_api_token
from renkei.intel import services, stix, taxii
from renkei.intel.models import Collection, StixObject, TaxiiStatus

from .test_intel_store import GREEN, INTEROP, RED, bundle_objects, indicator

TAXII = "application/taxii+json;version=2.1"
STIX = "application/stix+json;version=2.1"
ROOT = "/taxii2/api1/"


class Taxii:
    """A TAXII client over Django's test client, sending one person's credentials."""

    def __init__(self, user, *, bearer=False):
        _token, raw = issue_api_token(user=user, name="taxii")
        self.user = user
        if bearer:
            self.auth = f"Bearer {raw}"
        else:
            self.auth = "Basic " + base64.b64encode(f"{user.email}:{raw}".encode()).decode()
        self.client = Client()

    def headers(self, accept=TAXII, **extra):
        headers = {"HTTP_AUTHORIZATION": self.auth, "HTTP_ACCEPT_LANGUAGE": "en", **extra}
        if accept is not None:
            headers["HTTP_ACCEPT"] = accept
        return headers

    def get(self, path, data=None, accept=TAXII, **extra):
        return self.client.get(path, data, **self.headers(accept, **extra))

    def post(self, path, body, content_type=TAXII, accept=TAXII, **extra):
        raw = body if isinstance(body, (str, bytes)) else json.dumps(body)
        return self.client.post(path, raw, content_type=content_type,
                                **self.headers(accept, **extra))

    def delete(self, path, data=None, **extra):
        query = "&".join(f"{k}={v}" for k, v in (data or {}).items())
        return self.client.delete(path + (f"?{query}" if query else ""), **self.headers(**extra))

    def walk(self, path, params=None, limit=2, key="objects"):
        """Every item, following next to the end, and the pages' header values."""
        items, pages, token = [], [], None
        for _ in range(1000):
            query = {**(params or {}), "limit": limit}
            if token:
                query["next"] = token
            response = self.get(path, query)
            assert response.status_code == 200, response.content
            body = response.json()
            items += body.get(key, [])
            pages.append(response)
            if not body.get("more"):
                return items, pages
            token = body["next"]
        raise AssertionError("paging never ended")


def assert_taxii(response, status):
    assert response.status_code == status, (response.status_code, response.content[:500])
    assert response["Content-Type"] == TAXII
    if status >= 400:
        body = response.json()
        assert body["title"] and body["http_status"] == str(status)


@pytest.fixture
def isac(world):
    return services.collection_for(world.isac)


@pytest.fixture
def alice(world):
    return Taxii(world.alice)


def objects_url(collection):
    return f"{ROOT}collections/{collection.uuid}/objects/"


def add(collection, user, objects, **kw):
    result = services.ingest(objects, collection=collection, user=user, source="taxii", **kw)
    assert not result.failures, result.failures
    return result


# 1. discovery at the root; the advertised API root answers -----------------------------------

def test_discovery_advertises_the_root_it_serves(world, alice):
    response = alice.get("/taxii2/")
    assert_taxii(response, 200)
    body = response.json()
    assert body["title"] and body["default"] in body["api_roots"]
    root = body["default"]
    assert root == "http://testserver/taxii2/api1/"
    assert_taxii(alice.get(root.removeprefix("http://testserver")), 200)


# 2. every path ends in a slash ----------------------------------------------------------------

def test_paths_without_a_slash_never_serve_another_resource(world, alice, isac):
    for path in (f"{ROOT}collections", f"{objects_url(isac)}".rstrip("/"), "/taxii2/api1"):
        response = alice.get(path)
        assert response.status_code in {301, 404}, path
        if response.status_code == 404:
            assert response["Content-Type"] == TAXII


# 3. every response is TAXII JSON, errors included ---------------------------------------------

def test_errors_are_taxii_json_never_html(world, alice, isac):
    assert_taxii(Client().get("/taxii2/"), 401)
    assert_taxii(alice.get("/taxii2/nowhere/at/all/"), 404)
    assert_taxii(alice.get(f"{ROOT}collections/{uuid.uuid4()}/"), 404)
    assert_taxii(alice.get("/taxii2/", accept="application/taxii+json;version=2.0"), 406)
    assert_taxii(alice.post(objects_url(isac), {"objects": []}, content_type="text/plain"), 415)
    assert_taxii(alice.client.put("/taxii2/", **alice.headers()), 405)


def test_a_server_error_is_a_taxii_error(world, alice, monkeypatch):
    def broken(user):
        raise RuntimeError("boom")

    monkeypatch.setattr(taxii.selectors, "readable_collections", broken)
    assert_taxii(alice.get(f"{ROOT}collections/"), 500)


# 4. Accept negotiation ----------------------------------------------------------------------

@pytest.mark.parametrize("accept", [
    TAXII, "application/taxii+json; version=2.1", "application/taxii+json",
    f"{TAXII},{STIX}", "*/*", None,
])
def test_accept_forms_that_work(world, alice, accept):
    assert_taxii(alice.get(f"{ROOT}collections/", accept=accept), 200)


def test_accept_of_another_version_or_type_is_406(world, alice):
    assert_taxii(alice.get(f"{ROOT}", accept="application/taxii+json;version=2.0"), 406)
    assert_taxii(alice.get(f"{ROOT}", accept="text/html"), 406)


# 5. credentials -----------------------------------------------------------------------------

def test_missing_or_bad_credentials_are_401_with_a_basic_challenge(world, alice):
    anonymous = Client()
    for headers in ({}, {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(
            b"alice@alpha.example:wrong").decode()},
            {"HTTP_AUTHORIZATION": "Basic !!!"}, {"HTTP_AUTHORIZATION": "Bearer nope"}):
        response = anonymous.get("/taxii2/", HTTP_ACCEPT=TAXII, **headers)
        assert_taxii(response, 401)
        assert response["WWW-Authenticate"].startswith("Basic")


def test_basic_needs_the_tokens_own_email_and_bearer_works(world):
    _token, raw = issue_api_token(user=world.alice, name="t")
    wrong = base64.b64encode(f"bob@beta.example:{raw}".encode()).decode()
    assert_taxii(Client().get("/taxii2/", HTTP_AUTHORIZATION=f"Basic {wrong}"), 401)
    upper = base64.b64encode(f"ALICE@alpha.example:{raw}".encode()).decode()
    assert_taxii(Client().get("/taxii2/", HTTP_AUTHORIZATION=f"Basic {upper}"), 200)
    assert_taxii(Taxii(world.bob, bearer=True).get("/taxii2/"), 200)


def test_no_user_agent_is_fine(world, alice):
    assert_taxii(alice.get("/taxii2/", HTTP_USER_AGENT=""), 200)


# 6. API root --------------------------------------------------------------------------------

def test_api_root_and_413_before_reading(world, alice, isac, monkeypatch):
    body = alice.get(ROOT).json()
    assert TAXII in body["versions"] and body["max_content_length"] > 0
    monkeypatch.setattr(taxii, "MAX_CONTENT_LENGTH", 1000)
    big = {"objects": [indicator(f"192.0.2.{i}") for i in range(10)]}
    assert_taxii(alice.post(objects_url(isac), big), 413)
    assert not StixObject.objects.exists()
    # A 200 MB body announced in Content-Length is refused before a byte is read.
    response = alice.client.generic("POST", objects_url(isac), b"{}", content_type=TAXII,
                                    **alice.headers(CONTENT_LENGTH=str(200 * 1024 * 1024)))
    assert_taxii(response, 413)


# 7. collections -----------------------------------------------------------------------------

def test_collections_are_stable_and_described(world, alice, isac):
    first = alice.get(f"{ROOT}collections/").json()["collections"]
    again = alice.get(f"{ROOT}collections/").json()["collections"]
    assert first == again
    for resource in first:
        uuid.UUID(resource["id"])
        assert resource["title"] and resource["can_read"] is True
        assert resource["media_types"] == [STIX]
    mine = next(c for c in first if c["id"] == str(isac.uuid))
    assert mine["can_write"] is True and mine["title"] == world.isac.name
    curated = [c for c in first if c["title"] == "Blocklist, TLP:GREEN"]
    assert curated and curated[0]["can_write"] is False
    assert_taxii(alice.get(f"{ROOT}collections/{isac.uuid}/"), 200)
    # Charlie does not read the ISAC: it is not listed, and it is "not found".
    charlie = Taxii(world.charlie)
    ids = [c["id"] for c in charlie.get(f"{ROOT}collections/").json()["collections"]]
    assert str(isac.uuid) not in ids
    assert_taxii(charlie.get(f"{ROOT}collections/{isac.uuid}/"), 404)


@pytest.mark.django_db
def test_no_collections_is_an_empty_object():
    from renkei.accounts.services import create_organisation, create_user
    from renkei.communities.models import Community
    from renkei.sharing.models import Environment

    lonely = create_organisation(name="孤立組織", kind="participant")
    user = create_user(email="lonely@x.example", name="x", organisation=lonely)
    # Its only community (its notification channel) lives in an exercise: nothing live to read.
    exercise = Environment.objects.create(name="演習", kind=Environment.Kind.EXERCISE)
    Community.objects.update(environment=exercise)
    response = Taxii(user).get(f"{ROOT}collections/")
    assert_taxii(response, 200)
    assert response.json() == {}


# 8. objects sorted by date_added, each its own ---------------------------------------------

def test_objects_are_sorted_by_date_added_with_microseconds(world, alice, isac):
    response = alice.post(objects_url(isac),
                          {"objects": [indicator(f"192.0.2.{i}") for i in range(30)]})
    assert_taxii(response, 202)
    items, pages = alice.walk(objects_url(isac), limit=7)
    assert len(items) == 30 and len(pages) == 5
    lasts = [p["X-TAXII-Date-Added-Last"] for p in pages]
    assert lasts == sorted(lasts)
    manifest, _pages = alice.walk(f"{ROOT}collections/{isac.uuid}/manifest/", limit=7)
    added = [m["date_added"] for m in manifest]
    assert added == sorted(added) and len(set(added)) == 30
    assert all(len(a) == len("2026-01-01T00:00:00.000000Z") for a in added)


def test_paging_by_added_after_loses_nothing_after_a_bulk_post(world, alice, isac):
    alice.post(objects_url(isac), {"objects": [indicator(f"198.51.100.{i}") for i in range(20)]})
    seen, after = [], None
    for _ in range(50):
        params = {"limit": 3, **({"added_after": after} if after else {})}
        response = alice.get(objects_url(isac), params)
        body = response.json()
        if not body:
            break
        seen += [o["id"] for o in body["objects"]]
        after = response["X-TAXII-Date-Added-Last"]
    assert len(seen) == len(set(seen)) == 20


# 9. date headers ----------------------------------------------------------------------------

def test_date_added_headers_on_every_200(world, alice, isac):
    obj = indicator()
    add(isac, world.alice, [obj])
    base = f"{ROOT}collections/{isac.uuid}/"
    for path in (f"{base}objects/", f"{base}manifest/", f"{base}objects/{obj['id']}/",
                 f"{base}objects/{obj['id']}/versions/"):
        response = alice.get(path)
        assert_taxii(response, 200)
        assert response["X-TAXII-Date-Added-First"] <= response["X-TAXII-Date-Added-Last"]


# 10. limit ----------------------------------------------------------------------------------

@pytest.mark.parametrize("limit", ["0", "-1", "ten", "1.5"])
def test_bad_limits_are_400(world, alice, isac, limit):
    assert_taxii(alice.get(objects_url(isac), {"limit": limit}), 400)


def test_a_limit_above_the_cap_is_capped(world, alice, isac, monkeypatch):
    monkeypatch.setattr(taxii, "MAX_PAGE", 5)
    add(isac, world.alice, [indicator(f"203.0.113.{i}") for i in range(8)])
    body = alice.get(objects_url(isac), {"limit": 100}).json()
    assert len(body["objects"]) == 5 and body["more"] is True


# 11. next -----------------------------------------------------------------------------------

def test_next_is_stateless_resendable_and_tamper_proof(world, alice, isac):
    add(isac, world.alice, [indicator(f"203.0.113.{i}") for i in range(5)])
    first = alice.get(objects_url(isac), {"limit": 2}).json()
    assert first["more"] is True
    token = first["next"]
    one = alice.get(objects_url(isac), {"limit": 2, "next": token}).json()
    # Another client (another worker, after a restart): the same answer.
    two = Taxii(world.alice).get(objects_url(isac), {"limit": 2, "next": token}).json()
    assert one["objects"] == two["objects"]
    assert_taxii(alice.get(objects_url(isac), {"limit": 2, "next": token[:-3] + "abc"}), 400)
    assert_taxii(alice.get(objects_url(isac), {"limit": 2, "next": "garbage"}), 400)
    other_query = alice.get(objects_url(isac), {"limit": 2, "next": token,
                                                "match[type]": "malware"})
    assert_taxii(other_query, 400)
    # OpenCTI sends next together with added_after: tolerated.
    both = alice.get(objects_url(isac), {"limit": 2, "next": token,
                                         "added_after": "2000-01-01T00:00:00Z"})
    assert both.json()["objects"] == one["objects"]
    last = alice.get(objects_url(isac), {"limit": 2, "next": one["next"]}).json()
    assert last["more"] is False and "next" not in last and len(last["objects"]) == 1


def test_more_is_true_exactly_when_more_exist(world, alice, isac):
    add(isac, world.alice, [indicator(f"203.0.113.{i}") for i in range(4)])
    body = alice.get(objects_url(isac), {"limit": 4}).json()
    assert body["more"] is False and len(body["objects"]) == 4


# 12. added_after ----------------------------------------------------------------------------

def test_added_after_is_strict_and_compared_with_date_added(world, alice, isac):
    old = indicator(modified="2020-01-01T00:00:00.000Z", created="2020-01-01T00:00:00.000Z")
    add(isac, world.alice, [old, indicator()])
    rows = list(StixObject.objects.order_by("date_added"))
    after = stix.format_timestamp(rows[0].date_added)
    body = alice.get(objects_url(isac), {"added_after": after}).json()
    assert [o["id"] for o in body["objects"]] == [rows[1].stix_id]
    assert_taxii(alice.get(objects_url(isac), {"added_after": "yesterday"}), 400)


# 13. match filters --------------------------------------------------------------------------

def test_match_filters(world, alice, isac):
    first = indicator()
    second = {**first, "modified": "2026-02-01T00:00:00.000Z", "name": "v2"}
    malware = {"type": "malware", "spec_version": "2.1", "id": f"malware--{uuid.uuid4()}",
               "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
               "name": "FakeStream", "is_family": True}
    sco = {"type": "ipv4-addr", "id": f"ipv4-addr--{uuid.uuid4()}", "value": "192.0.2.99"}
    add(isac, world.alice, [first, second, malware, sco])
    url = objects_url(isac)

    def ids(params):
        body = alice.get(url, params).json()
        return [(o["id"], o.get("modified")) for o in body.get("objects", [])]

    assert len(ids({})) == 3  # the last version of each by default
    assert ids({"match[id]": first["id"]}) == [(first["id"], second["modified"])]
    assert ids({"match[id]": first["id"], "match[version]": "first"}) == [
        (first["id"], first["modified"])]
    assert len(ids({"match[id]": first["id"], "match[version]": "all"})) == 2
    assert len(ids({"match[id]": first["id"], "match[version]": "first,last"})) == 2
    assert ids({"match[version]": first["modified"]}) == [(first["id"], first["modified"])]
    assert {i for i, _m in ids({"match[type]": "malware,ipv4-addr"})} == {malware["id"],
                                                                         sco["id"]}
    assert ids({"match[type]": "malware", "match[id]": first["id"]}) == []  # AND
    assert len(ids({"match[spec_version]": "2.1"})) == 3
    assert ids({"match[spec_version]": "2.0"}) == []
    assert len(ids({"match[colour]": "blue"})) == 3  # unknown match fields are ignored
    empty = alice.get(url, {"match[type]": "campaign"})
    assert_taxii(empty, 200)
    assert empty.json() == {}
    assert_taxii(alice.get(url, {"match[version]": "not-a-time"}), 400)


# 14. object by id, versions -----------------------------------------------------------------

def test_object_by_id_and_versions(world, alice, isac):
    first = indicator()
    second = {**first, "modified": "2026-02-01T00:00:00.000Z"}
    add(isac, world.alice, [first, second])
    base = f"{objects_url(isac)}{first['id']}/"
    body = alice.get(base).json()
    assert [o["modified"] for o in body["objects"]] == [second["modified"]]
    versions = alice.get(f"{base}versions/").json()
    assert versions["more"] is False
    assert versions["versions"] == ["2026-01-02T00:00:00.000000Z", "2026-02-01T00:00:00.000000Z"]
    assert_taxii(alice.get(f"{objects_url(isac)}indicator--{uuid.uuid4()}/"), 404)
    assert_taxii(alice.get(f"{objects_url(isac)}indicator--{uuid.uuid4()}/versions/"), 404)


# 15. delete ---------------------------------------------------------------------------------

def test_delete_then_gone_from_objects_and_manifest(world, alice, isac):
    obj = indicator()
    add(isac, world.alice, [obj])
    url = f"{objects_url(isac)}{obj['id']}/"
    response = alice.delete(url)
    assert_taxii(response, 200)
    assert response.content == b""
    assert_taxii(alice.get(url), 404)
    assert alice.get(f"{ROOT}collections/{isac.uuid}/manifest/").json() == {}


def test_delete_needs_read_and_write(world, alice, isac):
    obj = indicator(marking=GREEN)
    add(isac, world.alice, [obj])
    url = f"{objects_url(isac)}{obj['id']}/"
    assert_taxii(Taxii(world.charlie).delete(url), 404)  # neither read nor write
    blocklist = Collection.objects.get(title="Blocklist, TLP:GREEN")
    assert_taxii(alice.delete(f"{objects_url(blocklist)}{obj['id']}/"), 403)  # read only
    # Bob may post in the ISAC but did not add this object: his organisation may not delete it.
    assert_taxii(Taxii(world.bob).delete(url), 403)
    assert StixObject.objects.count() == 1
    assert_taxii(Taxii(world.analyst).delete(url), 404)  # the centre does not read the ISAC


# 16. POST and status ------------------------------------------------------------------------

def test_post_returns_a_status_that_adds_up_and_stays(world, alice, isac):
    good, bad = indicator(), indicator(pattern="[broken")
    response = alice.post(objects_url(isac), {"objects": [good, bad]})
    assert_taxii(response, 202)
    status = response.json()
    for key in ("id", "status", "request_timestamp", "total_count", "success_count",
                "failure_count", "pending_count"):
        assert key in status
    assert status["total_count"] == 2 == status["success_count"] + status["failure_count"] + \
        status["pending_count"]
    assert status["successes"] == [{"id": good["id"], "version": "2026-01-02T00:00:00.000000Z"}]
    assert status["failures"][0]["id"] == bad["id"] and status["failures"][0]["version"]
    assert "pendings" not in status  # never an empty list
    url = f"{ROOT}status/{status['id']}/"
    assert alice.get(url).json() == status
    TaxiiStatus.objects.update(created_at=timezone.now() - timedelta(hours=25))
    alice.post(objects_url(isac), {"objects": []})  # tidies statuses older than a week only
    assert_taxii(alice.get(url), 200)
    assert_taxii(Taxii(world.bob).get(url), 404)  # someone else's status
    assert_taxii(alice.get(f"{ROOT}status/nope/"), 404)


def test_post_needs_write(world, isac):
    charlie, bob_general = Taxii(world.charlie), services.collection_for(world.general)
    assert_taxii(charlie.post(objects_url(isac), {"objects": [indicator()]}), 404)
    assert_taxii(Taxii(world.bob).post(objects_url(bob_general), {"objects": [indicator()]}),
                 403)
    assert not StixObject.objects.exists()


# 17. bundles, stix media type, bad bodies, re-posts -----------------------------------------

def test_a_bundle_body_with_the_stix_media_type_is_accepted(world, alice, isac):
    bundle = {"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": [indicator()]}
    response = alice.post(objects_url(isac), bundle, content_type=STIX)
    assert_taxii(response, 202)
    assert response.json()["success_count"] == 1


@pytest.mark.parametrize("body", ["not json", "[1, 2]", '{"objects": "x"}', b"\xff\xfe"])
def test_bad_bodies_are_400_json(world, alice, isac, body):
    assert_taxii(alice.post(objects_url(isac), body), 400)
    assert not StixObject.objects.exists()


def test_wrong_content_type_version_is_415(world, alice, isac):
    response = alice.post(objects_url(isac), {"objects": []},
                          content_type="application/taxii+json;version=2.0")
    assert_taxii(response, 415)


def test_reposting_is_a_success_and_stores_once(world, alice, isac):
    envelope = {"objects": [indicator(), indicator()]}
    alice.post(objects_url(isac), envelope)
    again = alice.post(objects_url(isac), envelope).json()
    assert again["success_count"] == 2 and again["failure_count"] == 0
    assert StixObject.objects.count() == 2


def test_interop_bundles_round_trip_and_pass_the_validator(world, alice, isac):
    for path in sorted(INTEROP.glob("*/*.json")):
        response = alice.post(objects_url(isac), {"objects": bundle_objects(path)})
        assert_taxii(response, 202)
    items, _pages = alice.walk(objects_url(isac), {"match[version]": "all"}, limit=5)
    assert items
    for obj in items:
        result = validate_instance(obj)
        assert result.is_valid, (obj["id"], [str(e) for e in result.errors])


# visibility corner: RED stays with its recipients; curated collections never hold it --------

def test_red_stays_with_its_recipients(world, alice, isac):
    red = indicator(marking=RED)
    add(isac, world.alice, [red], audience_mode="chosen", audience_organisations=[world.alpha])
    # TAXII serves a machine: RED stays with the people it names, even its readers' own
    # clients get it only on the pages (sharing.passing, Kind.FEED).
    assert StixObject.objects.filter(stix_id=red["id"]).exists()
    assert alice.get(objects_url(isac)).json() == {}
    assert Taxii(world.bob).get(objects_url(isac)).json() == {}
    for curated in Collection.objects.filter(kind="curated"):
        assert alice.get(objects_url(curated)).json() == {}


def test_next_token_is_bound_to_the_person(world, alice, isac):
    add(isac, world.alice, [indicator(f"203.0.113.{i}") for i in range(3)])
    token = alice.get(objects_url(isac), {"limit": 1}).json()["next"]
    assert signing.loads(token, salt=taxii.NEXT_SALT)["after"]
    assert_taxii(Taxii(world.bob).get(objects_url(isac), {"limit": 1, "next": token}), 400)
