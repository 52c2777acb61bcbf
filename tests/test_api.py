"""The REST API under /api/v1/: Bearer tokens, the visibility rule, cursor paging, JSON errors."""

import io
import json
from datetime import timedelta

import pytest
from django.core import signing
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from renkei.accounts.models import ApiToken
from renkei.accounts.services import issue_api_token, revoke_api_token
from renkei.communities.models import Acknowledgement, Attachment, Comment, Topic
from renkei.sharing.models import TLP, AudienceMode

API = "/api/v1"


class Api:
    """A client that sends one person's Bearer token with every request."""

    def __init__(self, user):
        _token, self.raw = issue_api_token(user=user, name="test")
        self.client = Client()

    def _headers(self, extra):
        # Refusals before the token is known come in the request's language.
        return {"HTTP_AUTHORIZATION": f"Bearer {self.raw}", "HTTP_ACCEPT_LANGUAGE": "en",
                **extra}

    def get(self, path, data=None, **extra):
        return self.client.get(API + path, data, **self._headers(extra))

    def post(self, path, body=None, **extra):
        return self.client.post(API + path, json.dumps(body if body is not None else {}),
                                content_type="application/json", **self._headers(extra))

    def patch(self, path, body, **extra):
        return self.client.patch(API + path, json.dumps(body), content_type="application/json",
                                 **self._headers(extra))

    def delete(self, path, **extra):
        return self.client.delete(API + path, **self._headers(extra))

    def upload(self, path, files, **extra):
        return self.client.post(API + path, {"files": files}, **self._headers(extra))

    def walk(self, path, params=None, limit=2) -> list[dict]:
        """Every item of a list, following next_cursor to the end."""
        items, cursor = [], None
        for _ in range(1000):
            query = {**(params or {}), "limit": limit}
            if cursor:
                query["cursor"] = cursor
            response = self.get(path, query)
            assert response.status_code == 200, response.content
            body = response.json()
            assert len(body["items"]) <= limit
            items += body["items"]
            cursor = body["next_cursor"]
            if cursor is None:
                return items
        raise AssertionError("the cursor never ended")


@pytest.fixture
def api(english):
    return Api


def assert_error(response, status: int, contains: str = "") -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["status"] == status and isinstance(body["error"], str) and body["error"]
    assert contains in body["error"], body
    return body


# --- tokens ----------------------------------------------------------------------------------

def test_every_endpoint_needs_a_token(world, client, post):
    topic = post(world.alice, world.isac, "秘密")
    for method, path in [("get", "/communities"), ("get", "/topics"),
                         ("get", f"/topics/{topic.public_id}"), ("post", "/topics"),
                         ("get", f"/topics/{topic.public_id}/comments"),
                         ("post", f"/topics/{topic.public_id}/acknowledgement"),
                         ("get", "/attachments/1")]:
        response = getattr(client, method)(API + path, HTTP_ACCEPT_LANGUAGE="en")
        assert_error(response, 401, "An API token is required")
        assert response["WWW-Authenticate"].startswith("Bearer")
    assert not Acknowledgement.objects.exists()


def test_revoked_expired_and_garbage_tokens_are_refused(world, api):
    caller = api(world.alice)
    token = ApiToken.objects.get(prefix=caller.raw[:10])
    revoke_api_token(actor=world.alice, token=token)
    assert_error(caller.get("/topics"), 401, "The API token has been revoked.")

    caller = api(world.alice)
    ApiToken.objects.filter(prefix=caller.raw[:10]).update(
        expires_at=timezone.now() - timedelta(seconds=1))
    assert_error(caller.get("/topics"), 401, "has expired")

    caller.raw = "rk_garbage"
    body = assert_error(caller.get("/topics"), 401, "The API token is not valid.")
    assert "messages" not in body


def test_messages_come_in_the_token_owners_language(world, api):
    world.alice.language = "ja"
    world.alice.save(update_fields=["language"])
    response = api(world.alice).get("/topics/20990101-000001", HTTP_ACCEPT_LANGUAGE="en")
    error = assert_error(response, 404)["error"]
    assert any(ord(ch) > 0x3000 for ch in error), error


def test_me(world, api):
    response = api(world.bob).get("/me")
    assert response.status_code == 200
    assert response.json()["organisation"]["name"] == "ベータ電力"
    assert "ベータ電力" in response.content.decode()  # not \\u-escaped


def test_a_session_is_not_enough(world, client):
    client.force_login(world.alice)
    assert_error(client.get(API + "/topics", HTTP_ACCEPT_LANGUAGE="en"), 401)


# --- communities -----------------------------------------------------------------------------

def test_communities_are_the_readable_ones(world, api):
    names = {c["name"] for c in api(world.charlie).walk("/communities")}
    assert world.general.name in names and world.window.name in names
    assert world.isac.name not in names and world.open.name not in names
    assert world.isac.name in {c["name"] for c in api(world.bob).walk("/communities")}

    assert api(world.bob).get(f"/communities/{world.isac.id}").json()["name"] == world.isac.name
    assert_error(api(world.charlie).get(f"/communities/{world.isac.id}"), 404)
    assert_error(api(world.charlie).get("/communities/999999"), 404)
    assert_error(api(world.charlie).get("/communities/abc"), 404)


# --- topics ----------------------------------------------------------------------------------

def test_topic_detail_follows_the_visibility_rule(world, api, post):
    secret = post(world.alice, world.isac, "ISAC だけ", body="**本文**")
    response = api(world.bob).get(f"/topics/{secret.public_id}")
    assert response.status_code == 200
    body = response.json()
    assert body["title"] == "ISAC だけ" and "<strong>本文</strong>" in body["body_html"]
    assert body["community"]["id"] == world.isac.id and body["may_edit"] is False
    assert body["url"].endswith(f"/topics/{secret.public_id}/")
    missing = api(world.charlie).get(f"/topics/{secret.public_id}")
    nowhere = api(world.charlie).get("/topics/20990101-000001")
    assert_error(missing, 404)
    assert missing.json() == nowhere.json()  # forbidden and missing look the same


def test_topic_list_hides_what_the_caller_may_not_read(world, api, post):
    shared = post(world.commander, world.general, "全員へ")
    secret = post(world.alice, world.isac, "ISAC だけ")
    red = post(world.alice, world.isac, "RED", tlp=TLP.RED, audience_mode=AudienceMode.CHOSEN,
               audience_users=[world.alice2])
    seen = {t["id"] for t in api(world.charlie).walk("/topics")}
    assert seen == {shared.public_id}
    seen = {t["id"] for t in api(world.bob).walk("/topics")}
    assert seen == {shared.public_id, secret.public_id}
    seen = {t["id"] for t in api(world.alice2).walk("/topics")}
    assert seen == {shared.public_id, secret.public_id, red.public_id}


def test_search_and_filters_use_the_search_pages_parameters(world, api, post):
    post(world.alice, world.isac, "ランサムウェアの注意喚起", kind="malware")
    post(world.alice, world.isac, "DDoS攻撃の観測", kind="observation")
    bob = api(world.bob)
    titles = [t["title"] for t in bob.walk("/topics", {"q": "ランサムウェア"})]
    assert titles == ["ランサムウェアの注意喚起"]
    titles = [t["title"] for t in bob.walk("/topics", {"kind": "observation"})]
    assert titles == ["DDoS攻撃の観測"]
    assert [t["title"] for t in api(world.charlie).walk("/topics", {"q": "ランサムウェア"})] == []


@pytest.mark.parametrize("params,message", [
    ({"kind": "nonsense"}, "Unknown kind of information: nonsense."),
    ({"tlp": "purple"}, "Unknown TLP"),
    ({"q": "x"}, "at least 2 characters"),
    ({"q": "x" * 5000}, "at most 200 characters"),
    ({"from": "2026-13-01"}, "Not a date"),
    ({"sort": "random"}, "Unknown sort order"),
    ({"limit": "0"}, "limit"),
    ({"limit": "abc"}, "limit: must be a whole number"),
    ({"limit": "101"}, "limit"),
])
def test_bad_list_parameters_are_refused_clearly(world, api, params, message):
    assert_error(api(world.bob).get("/topics", params), 400, message)


def test_sql_and_fts_syntax_in_the_query_is_just_text(world, api, post):
    post(world.alice, world.isac, "普通の題名")
    for q in ['"', '""', '" OR 1=1 --', "*", "ab*", "NEAR(ab cd)", "a OR b", "%", "100%",
              "\\\\", "C:\\temp", "'; DROP TABLE x; --", "title:ab", "^ab", "-ab"]:
        response = api(world.bob).get("/topics", {"q": q})
        if len(q) < 2:
            assert_error(response, 400)
        else:
            assert response.status_code == 200, (q, response.content)
            assert response.json()["items"] == []


# --- cursor paging ---------------------------------------------------------------------------

def _many(world, post, n=7):
    created = []
    now = timezone.now()
    for i in range(n):
        topic = post(world.alice, world.isac, f"topic {i}")
        created.append(topic.public_id)
    # Several share one timestamp, so the id must break ties for every item to appear once.
    Topic.objects.filter(public_id__in=created[:4]).update(updated_at=now)
    return created


@pytest.mark.parametrize("sort", [None, "created", "acks"])
def test_the_cursor_walks_every_item_exactly_once(world, api, post, sort):
    created = _many(world, post)
    params = {"sort": sort} if sort else {}
    for limit in (1, 2, 3, 100):
        ids = [t["id"] for t in api(world.bob).walk("/topics", params, limit=limit)]
        assert sorted(ids) == sorted(created) and len(ids) == len(set(ids))
    unpaged = [t["id"] for t in api(world.bob).get("/topics", {**params, "limit": 100})
               .json()["items"]]
    assert [t["id"] for t in api(world.bob).walk("/topics", params, limit=2)] == unpaged


def test_a_page_does_not_shift_when_topics_arrive(world, api, post):
    created = _many(world, post, 4)
    bob = api(world.bob)
    first = bob.get("/topics", {"limit": 2}).json()
    post(world.alice, world.isac, "newer")
    rest = bob.get("/topics", {"limit": 10, "cursor": first["next_cursor"]}).json()
    ids = [t["id"] for t in first["items"] + rest["items"]]
    assert sorted(ids) == sorted(created)


def test_tampered_and_foreign_cursors_are_refused(world, api, post):
    _many(world, post, 4)
    bob = api(world.bob)
    cursor = bob.get("/topics", {"limit": 2}).json()["next_cursor"]
    assert cursor
    tampered = cursor[:-3] + ("AAA" if cursor[-3:] != "AAA" else "BBB")
    message = "The cursor is not valid for this list"
    assert_error(bob.get("/topics", {"limit": 2, "cursor": tampered}), 400, message)
    assert_error(bob.get("/topics", {"limit": 2, "cursor": "garbage"}), 400, message)
    # The same cursor with another filter, for another list, or from another person.
    assert_error(bob.get("/topics", {"limit": 2, "cursor": cursor, "kind": "malware"}), 400,
                 message)
    assert_error(bob.get("/communities", {"cursor": cursor}), 400, message)
    assert_error(api(world.alice).get("/topics", {"limit": 2, "cursor": cursor}), 400, message)
    # A validly signed cursor whose key does not fit the list.
    forged = signing.dumps({"q": "x", "k": [1]}, salt="api.cursor")
    assert_error(bob.get("/topics", {"cursor": forged}), 400, message)
    # The limit may change between pages.
    assert bob.get("/topics", {"limit": 5, "cursor": cursor}).status_code == 200


def test_list_endpoints_do_a_fixed_number_of_queries(world, api, post):
    bob = api(world.bob)

    def count(path):
        with CaptureQueriesContext(connection) as queries:
            assert bob.get(path, {"limit": 100}).status_code == 200
        return len(queries)

    bob.get("/me")  # the token's first use is recorded; later calls within a minute are not
    post(world.alice, world.isac, "one")
    few = count("/topics"), count("/communities")
    for i in range(6):
        topic = post(world.alice, world.isac, f"more {i}")
        post(world.alice, world.window, f"window {i}")
    for i in range(3):
        from renkei.communities import services
        services.add_comment(actor=world.alice, topic=topic, body=f"c{i}")
    assert (count("/topics"), count("/communities")) == few
    assert count(f"/topics/{topic.public_id}/comments") <= few[0] + 1


# --- writing topics --------------------------------------------------------------------------

def test_create_a_topic(world, api, post):
    response = api(world.alice).post("/topics", {
        "community": world.isac.id, "title": "新しい脆弱性", "body": "詳細",
        "kind": "vulnerability", "tag": "important", "tlp": "amber", "audience_mode": "chosen",
        "audience_organisations": [world.alpha.id], "audience_users": [world.bob.id],
    })
    assert response.status_code == 201, response.content
    body = response.json()
    topic = Topic.objects.get(public_id=body["id"])
    assert topic.title == "新しい脆弱性" and topic.tlp == "amber" and topic.author == world.alice
    assert body["audience"]["users"][0]["id"] == world.bob.id
    assert api(world.bob).get(f"/topics/{topic.public_id}").status_code == 200
    assert api(world.beta_admin).get(f"/topics/{topic.public_id}").status_code == 404


def test_creating_where_one_may_not_changes_nothing(world, api):
    before = Topic.objects.count()
    # Charlie cannot read the ISAC: it is as unknown as a missing community.
    assert_error(api(world.charlie).post("/topics", {
        "community": world.isac.id, "title": "x", "kind": "advisory"}), 404)
    assert_error(api(world.charlie).post("/topics", {
        "community": world.general.id, "title": "x", "kind": "advisory"}), 400,
        "You may not post in this community.")
    body = assert_error(api(world.alice).post("/topics", {
        "community": world.isac.id, "title": "x", "kind": "advisory", "tlp": "red"}), 400,
        "TLP:RED is for named recipients only")
    assert body["messages"] and isinstance(body["messages"], list)
    assert_error(api(world.alice).post("/topics", {
        "community": world.isac.id, "title": "x", "kind": "gossip"}), 400,
        "Choose one of the eight kinds of information.")
    assert_error(api(world.alice).post("/topics", {
        "community": world.isac.id, "title": "x", "kind": "advisory",
        "audience_mode": "chosen", "audience_organisations": [999999]}), 400,
        "Unknown organisations: 999999.")
    assert Topic.objects.count() == before


@pytest.mark.parametrize("raw", ["{", "not json", '{"title": }', "\x00\x01"])
def test_a_body_that_is_not_json_is_refused(world, api, raw):
    caller = api(world.alice)
    response = caller.client.post(API + "/topics", raw, content_type="application/json",
                                  **caller._headers({}))
    assert_error(response, 400, "The request body is not valid JSON.")
    assert not Topic.objects.exists()


def test_wrong_types_are_refused_readably(world, api):
    body = assert_error(api(world.alice).post("/topics", {
        "community": "isac", "title": ["x"], "kind": "advisory", "titel": "typo"}), 400,
        "The request is not valid")
    fields = {e["field"]: e["message"] for e in body["errors"]}
    assert fields["community"] == "must be a whole number"
    assert fields["title"] == "must be text"
    assert fields["titel"] == "is not a known field"
    missing = assert_error(api(world.alice).post("/topics", {"title": "x"}), 400)
    assert {e["field"] for e in missing["errors"]} == {"community", "kind"}
    assert not Topic.objects.exists()


def test_edit_a_topic(world, api, post):
    topic = post(world.alice, world.isac, "古い題名", body="古い本文", tlp=TLP.AMBER)
    response = api(world.alice).patch(f"/topics/{topic.public_id}", {"title": "新しい題名"})
    assert response.status_code == 200, response.content
    topic.refresh_from_db()
    assert topic.title == "新しい題名" and topic.body == "古い本文" and topic.tlp == TLP.AMBER
    assert topic.revisions.count() == 1
    # Bob reads it but may not edit; Charlie does not even see it.
    assert_error(api(world.bob).patch(f"/topics/{topic.public_id}", {"title": "x"}), 400,
                 "You may not edit this topic.")
    assert_error(api(world.charlie).patch(f"/topics/{topic.public_id}", {"title": "x"}), 404)
    assert_error(api(world.alice).patch(f"/topics/{topic.public_id}", {"title": ""}), 400,
                 "A title is required.")
    topic.refresh_from_db()
    assert topic.title == "新しい題名" and topic.revisions.count() == 1


# --- comments and acknowledgements -----------------------------------------------------------

def test_comments(world, api, post):
    topic = post(world.alice, world.isac, "話題")
    response = api(world.bob).post(f"/topics/{topic.public_id}/comments", {"body": "了解です"})
    assert response.status_code == 201, response.content
    assert response.json()["author"]["id"] == world.bob.id
    items = api(world.alice).walk(f"/topics/{topic.public_id}/comments")
    assert [c["body"] for c in items] == ["了解です"]
    assert_error(api(world.charlie).post(f"/topics/{topic.public_id}/comments", {"body": "x"}),
                 404)
    assert_error(api(world.charlie).get(f"/topics/{topic.public_id}/comments"), 404)
    assert_error(api(world.bob).post(f"/topics/{topic.public_id}/comments", {"body": "  "}),
                 400, "A comment cannot be empty.")
    assert Comment.objects.count() == 1


def test_acknowledge_and_withdraw(world, api, post):
    topic = post(world.alice, world.isac, "いいね対象")
    bob = api(world.bob)
    path = f"/topics/{topic.public_id}/acknowledgement"
    assert bob.post(path).json() == {"acknowledged": True, "changed": True, "ack_count": 1}
    assert bob.post(path).json() == {"acknowledged": True, "changed": False, "ack_count": 1}
    assert bob.get(f"/topics/{topic.public_id}").json()["acknowledged"] is True
    assert bob.walk("/topics", {"acked": "yes"})[0]["id"] == topic.public_id
    assert bob.delete(path).json() == {"acknowledged": False, "changed": True, "ack_count": 0}
    assert_error(api(world.charlie).post(path), 404)
    assert not Acknowledgement.objects.exists()


# --- attachments -----------------------------------------------------------------------------

def test_upload_list_and_download(world, api, post):
    topic = post(world.alice, world.isac, "添付")
    response = api(world.alice).upload(f"/topics/{topic.public_id}/attachments",
                                       [SimpleUploadedFile("iocs.txt", b"198.51.100.7\n"),
                                        SimpleUploadedFile("more.csv", b"a,b\n")])
    assert response.status_code == 201, response.content
    added = response.json()["items"]
    assert [a["name"] for a in added] == ["iocs.txt", "more.csv"]
    topic.refresh_from_db()
    assert topic.attachment_count == 2

    listed = api(world.bob).walk(f"/topics/{topic.public_id}/attachments")
    assert [a["id"] for a in listed] == [a["id"] for a in added]
    download = api(world.bob).get(f"/attachments/{added[0]['id']}")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"198.51.100.7\n"
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Content-Disposition"].startswith("attachment")
    assert download["Content-Type"] == "application/octet-stream"
    assert_error(api(world.charlie).get(f"/attachments/{added[0]['id']}"), 404)
    assert_error(api(world.charlie).get(f"/topics/{topic.public_id}/attachments"), 404)


def test_uploads_are_checked_like_the_pages(world, api, post):
    topic = post(world.alice, world.isac, "添付")
    path = f"/topics/{topic.public_id}/attachments"
    assert_error(api(world.bob).upload(path, [SimpleUploadedFile("a.txt", b"x")]), 400,
                 "You may not add files to this topic.")
    assert_error(api(world.alice).upload(path, [SimpleUploadedFile("evil.exe", b"MZ")]), 400)
    assert_error(api(world.alice).upload(path, [SimpleUploadedFile("fake.pdf", b"hello")]), 400)
    assert_error(api(world.charlie).upload(path, [SimpleUploadedFile("a.txt", b"x")]), 404)
    assert not Attachment.objects.exists()


class Unreadable(io.RawIOBase):
    """A request body that fails the test if anything reads it."""

    def read(self, *args):
        raise AssertionError("the body was read")

    readline = readinto = read


def test_a_huge_upload_is_refused_by_its_declared_length(world, api, post, settings):
    topic = post(world.alice, world.isac, "添付")
    caller = api(world.alice)
    response = caller.client.generic(
        "POST", API + f"/topics/{topic.public_id}/attachments", b"",
        **caller._headers({"CONTENT_TYPE": "multipart/form-data; boundary=xyz",
                           "CONTENT_LENGTH": str(200 * 1024 * 1024),
                           "wsgi.input": Unreadable()}))
    body = assert_error(response, 413, "too large")
    assert body["limit_bytes"] > settings.ATTACHMENT_MAX_BYTES
    assert not Attachment.objects.exists()


def test_a_file_over_the_limit_is_refused(world, api, post, settings):
    settings.ATTACHMENT_MAX_BYTES = 1000
    topic = post(world.alice, world.isac, "添付")
    response = api(world.alice).upload(f"/topics/{topic.public_id}/attachments",
                                       [SimpleUploadedFile("big.txt", b"x" * 200_000)])
    assert_error(response, 413)
    assert not Attachment.objects.exists()


def test_a_huge_json_body_is_refused(world, api):
    caller = api(world.alice)
    response = caller.client.generic(
        "POST", API + "/topics", b"",
        **caller._headers({"CONTENT_TYPE": "application/json",
                           "CONTENT_LENGTH": str(50 * 1024 * 1024),
                           "wsgi.input": Unreadable()}))
    assert_error(response, 413)


# --- the rest --------------------------------------------------------------------------------

def test_unknown_paths_and_methods_answer_in_json(world, api):
    assert_error(api(world.bob).get("/nothing/here"), 404, "There is no such API endpoint.")
    response = api(world.bob).delete("/topics")
    assert_error(response, 405)
    assert "GET" in response["Allow"]


def test_the_openapi_document_lists_the_paths(world, client):
    response = client.get(API + "/openapi.json")
    assert response.status_code == 200
    document = json.loads(response.content)
    assert document["info"]["version"] == "1"
    for path in ["/api/v1/me", "/api/v1/communities", "/api/v1/communities/{community_id}",
                 "/api/v1/topics", "/api/v1/topics/{public_id}",
                 "/api/v1/topics/{public_id}/comments",
                 "/api/v1/topics/{public_id}/acknowledgement",
                 "/api/v1/topics/{public_id}/attachments", "/api/v1/attachments/{attachment_id}"]:
        assert path in document["paths"], path
    assert "patch" in document["paths"]["/api/v1/topics/{public_id}"]
    answers = document["paths"]["/api/v1/topics"]["get"]["responses"]
    assert {"200", "400", "401", "404"} <= set(answers)
    assert document["components"]["securitySchemes"]["BearerToken"]["scheme"] == "bearer"


# --- notifications ---------------------------------------------------------------------------

def test_notifications_list_and_read(world, api, post):
    from renkei.notifications.models import Notification

    readable = post(world.alice, world.isac, "読める")
    hidden = post(world.alice, world.isac, "RED", tlp=TLP.RED,
                  audience_mode=AudienceMode.CHOSEN, audience_users=[world.alice2])
    Notification.objects.all().delete()  # whatever the fan-out queued; these are the test's
    mine = Notification.objects.create(user=world.bob, topic=readable, delivery="digest")
    # A line for a topic Bob cannot read (e.g. since removed from its audience) stays hidden.
    Notification.objects.create(user=world.bob, topic=hidden, delivery="digest")
    others = Notification.objects.create(user=world.alice, topic=readable, delivery="digest")

    bob = api(world.bob)
    body = bob.get("/notifications").json()
    assert [n["id"] for n in body["items"]] == [mine.id] and body["unread_count"] == 1
    assert body["items"][0]["topic"]["id"] == readable.public_id
    assert body["items"][0]["unread"] is True

    response = bob.post(f"/notifications/{mine.id}/read")
    assert response.status_code == 200 and response.json()["unread"] is False
    assert bob.get("/notifications", {"unread": "true"}).json()["items"] == []
    assert bob.get("/notifications").json()["unread_count"] == 0
    assert_error(bob.post(f"/notifications/{others.id}/read"), 404)
    assert_error(bob.post("/notifications/999999/read"), 404)
    others.refresh_from_db()
    assert others.read_at is None


# --- odd input never fails the server --------------------------------------------------------

BIG = "9" * 30


@pytest.mark.parametrize("method,path,body,status", [
    ("get", f"/communities/{BIG}", None, 404),
    ("get", f"/attachments/{BIG}", None, 404),
    ("post", f"/notifications/{BIG}/read", None, 404),
    ("get", "/topics/2026%00", None, 404),
    ("get", "/topics/" + "x" * 5000, None, 404),
    ("get", f"/topics?community={BIG}", None, 400),
    ("get", "/topics?kind=ab%00cd", None, 400),
    ("get", "/topics?cursor=" + "x" * 5000, None, 400),
    ("get", f"/topics?limit={BIG}", None, 400),
    ("post", "/topics", [1, 2], 400),
    ("post", "/topics", None, 400),
    ("post", "/topics", {"community": int(BIG), "title": "x", "kind": "advisory"}, 404),
    ("post", "/topics", {"community": "ISAC", "title": "a\x00b", "kind": "advisory"}, 400),
    ("post", "/topics/20990101-000001/comments", {"body": "a\x00b"}, 400),
])
def test_odd_input_gets_a_clear_answer(world, api, method, path, body, status):
    caller = api(world.alice)
    if body is None:
        response = getattr(caller.client, method)(API + path, **caller._headers({}))
    else:
        response = getattr(caller.client, method)(
            API + path, json.dumps(body), content_type="application/json",
            **caller._headers({}))
    assert_error(response, status)


def test_nul_characters_are_refused_before_the_database(world, api):
    response = api(world.alice).post("/topics", {
        "community": world.isac.id, "title": "a\x00b", "kind": "advisory"})
    body = assert_error(response, 400, "title: must not contain NUL characters")
    assert body["errors"] == [{"field": "title", "message": "must not contain NUL characters"}]
    assert not Topic.objects.exists()
    whole = api(world.alice).post("/topics", [])
    assert_error(whole, 400, "request: must be a JSON object")


def test_the_cursor_walks_a_ranked_search(world, api, post):
    """With q and no sort, title hits come first: the cursor must follow that order too."""
    in_title = [post(world.alice, world.isac, f"脆弱性 {i}").public_id for i in range(3)]
    in_body = [post(world.alice, world.isac, f"その他 {i}", body="脆弱性の詳細").public_id
               for i in range(3)]
    bob = api(world.bob)
    for limit in (1, 2, 4):
        ids = [t["id"] for t in bob.walk("/topics", {"q": "脆弱性"}, limit=limit)]
        assert len(ids) == len(set(ids)) == 6
        assert set(ids[:3]) == set(in_title) and set(ids[3:]) == set(in_body)


def test_a_fault_of_ours_still_answers_in_json(world, api, monkeypatch, caplog):
    from renkei.api import endpoints

    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(endpoints, "search_topics", broken)
    response = api(world.bob).get("/topics")
    assert_error(response, 500, "Something went wrong on our side.")
    assert "disk on fire" not in response.content.decode()
    assert "disk on fire" in caplog.text


def test_a_list_parameter_cannot_pass_a_cursor_between_lists(world, api, post):
    _many(world, post, 4)
    bob = api(world.bob)
    cursor = bob.get("/topics", {"limit": 2, "list": "x"}).json()["next_cursor"]
    assert_error(bob.get("/communities", {"list": "x", "cursor": cursor}), 400)


def test_the_last_use_of_a_token_is_recorded_to_the_minute(world, api):
    caller = api(world.bob)
    token = ApiToken.objects.filter(prefix=caller.raw[:10])
    assert caller.get("/me").status_code == 200
    first = token.get().last_used_at
    assert first is not None
    recent = timezone.now() - timedelta(seconds=10)
    token.update(last_used_at=recent)
    caller.get("/me")
    assert token.get().last_used_at == recent  # not written again within the minute
    token.update(last_used_at=timezone.now() - timedelta(minutes=2))
    caller.get("/me")
    assert token.get().last_used_at > recent


def test_an_edit_keeps_an_audience_naming_someone_who_has_left(world, api, post):
    topic = post(world.alice, world.isac, "限定", audience_mode=AudienceMode.CHOSEN,
                 audience_users=[world.bob, world.alice2])
    world.alice2.is_active = False
    world.alice2.save(update_fields=["is_active"])
    response = api(world.alice).patch(f"/topics/{topic.public_id}", {"body": "追記"})
    assert response.status_code == 200, response.content
    assert {u["id"] for u in response.json()["audience"]["users"]} == {world.bob.id,
                                                                      world.alice2.id}
