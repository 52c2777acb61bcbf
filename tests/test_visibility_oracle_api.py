"""The API's read paths against the visibility oracle, over random worlds (hypothesis).

For every person of a random world: GET /api/v1/communities, GET /api/v1/topics and
GET /api/v1/notifications (every page, followed through the cursor) return exactly what the
oracle says they read, and GET of each topic and each attachment answers 200 exactly for those.
Every person gets a notification line for every topic, as a fan-out gone wrong would leave
them; the list must still show only the readable ones. People who are inactive, or whose
organisation is, are refused at the token (401) and so read nothing.
"""

import pytest
from django.test import Client

from renkei.accounts.services import issue_api_token
from renkei.communities.models import Topic
from renkei.notifications.models import Notification
from tests.test_visibility_oracle import (
    ATTACHMENT_CONTENTS,
    LIVE,
    Built,
    WorldSpec,
    describe,
    expected_for,
    for_each_user,
    in_random_worlds,
)

API = "/api/v1"


def _walk(client: Client, headers: dict, path: str, what: str) -> list[dict]:
    items, cursor = [], None
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        response = client.get(API + path, params, **headers)
        assert response.status_code == 200, f"{what}: {response.content!r}"
        body = response.json()
        items += body["items"]
        cursor = body["next_cursor"]
        if cursor is None:
            return items


@pytest.mark.django_db
def test_the_api_matches_the_oracle():
    def check_world(spec: WorldSpec, built: Built) -> None:
        _notify_everyone(built)
        for_each_user(_check_user)(spec, built)

    in_random_worlds(12, check_world)


def _notify_everyone(built: Built) -> None:
    Notification.objects.all().delete()  # whatever the real fan-out queued
    topics = list(Topic.objects.filter(public_id__in=built.topic_ids.values()))
    Notification.objects.bulk_create(
        Notification(user=user, topic=topic, delivery="digest")
        for user in built.users for topic in topics)


def _check_user(spec: WorldSpec, built: Built, u: int) -> None:
    who = describe(spec, u)
    _token, raw = issue_api_token(user=built.users[u], name="oracle")
    headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    client = Client()
    active = spec.users[u].active and spec.orgs[spec.users[u].org].active
    want_communities, want_topics = expected_for(spec, built, u, LIVE)

    if not active:
        assert not want_topics and not want_communities
        for path in ["/topics", "/communities", "/notifications",
                     *[f"/topics/{pid}" for pid in built.topic_ids.values()]]:
            assert client.get(API + path, **headers).status_code == 401, f"{path} for {who}"
        return

    listed = [c["id"] for c in _walk(client, headers, "/communities", f"communities for {who}")]
    assert len(listed) == len(set(listed)), f"a community listed twice for {who}"
    assert set(listed) == want_communities, f"GET /communities for {who}"

    listed = [t["id"] for t in _walk(client, headers, "/topics", f"topics for {who}")]
    assert len(listed) == len(set(listed)), f"a topic listed twice for {who}"
    assert set(listed) == want_topics, f"GET /topics for {who} in {spec.topics}"

    listed = [n["topic"]["id"] for n in _walk(client, headers, "/notifications",
                                              f"notifications for {who}")]
    assert sorted(listed) == sorted(want_topics), f"GET /notifications for {who}"

    for community in built.communities:
        status = client.get(f"{API}/communities/{community.id}", **headers).status_code
        assert status == (200 if community.id in want_communities else 404), (
            f"GET /communities/{community.id} for {who}")

    for t, pid in built.topic_ids.items():
        readable = pid in want_topics
        status = client.get(f"{API}/topics/{pid}", **headers).status_code
        assert status == (200 if readable else 404), f"GET /topics/{pid} for {who}"
        status = client.get(f"{API}/topics/{pid}/comments", **headers).status_code
        assert status == (200 if readable else 404), f"comments of {pid} for {who}"
        if t in built.attachment_ids:
            response = client.get(f"{API}/attachments/{built.attachment_ids[t]}", **headers)
            assert response.status_code == (200 if readable else 404), (
                f"attachment of {pid} for {who}")
            if readable:
                assert b"".join(response.streaming_content) in ATTACHMENT_CONTENTS
