"""Notifications against the visibility oracle, over random worlds (hypothesis).

After the topics of a random world are posted (and one commented on) and the worker has run,
the Notification rows and the mails go exactly to the people the oracle says read the topic and
whose setting is not "none" (mail only to those at "immediate"), never to anyone else, never to
the author; AMBER and RED mail carries no text; and each person's notification page shows only
topics they read.
"""

import pytest
from django.core import mail
from django.db import transaction
from django.test import Client
from hypothesis import given, settings
from hypothesis import strategies as st

from renkei.communities.services import add_comment
from renkei.jobs.queue import run_worker
from renkei.notifications import jobs as notification_jobs
from renkei.notifications.models import Notification, NotificationPreference
from tests.test_visibility_oracle import (
    CONSULTATION,
    HYPOTHESIS,
    LIVE,
    NOTIFICATION,
    Built,
    Oracle,
    WorldSpec,
    build,
    describe,
    title_of,
    worlds,
)

MODES = [None, "immediate", "digest", "none"]
# A mail server is outside the platform: these markings, and consultation-window reports of any
# marking, are mailed as a title and a link only.
LINK_ONLY_TLP = frozenset({"amber", "amber+strict", "red"})


def _mode(spec: WorldSpec, modes: list, u: int, t: int) -> str:
    """The person's setting for the topic's community: their choice, else the default (no topic
    of these worlds is tagged 【重要】, so only the own notification channel is immediate)."""
    chosen = modes[u % len(modes)]
    if chosen:
        return chosen
    community = spec.communities[spec.topics[t].community]
    own_channel = community.kind == NOTIFICATION and community.notified == spec.users[u].org
    return "immediate" if own_channel else "digest"


def _posted_by_service(spec: WorldSpec, oracle: Oracle, t: int) -> bool:
    topic = spec.topics[t]
    return oracle.may_post(topic.author, topic.community) and oracle.audience_allowed(topic)


def _expected(spec, built, modes, commented: int | None):
    """{(user index, topic index, is comment): mode} for every notice that should exist."""
    oracle = Oracle(spec)
    want = {}
    for t in built.topic_ids:
        topic = spec.topics[t]
        if spec.communities[topic.community].env != LIVE or not _posted_by_service(
                spec, oracle, t):
            continue
        for u in range(len(spec.users)):
            mode = _mode(spec, modes, u, t)
            if u == topic.author or mode == "none" or not oracle.reads_topic(u, t):
                continue
            want[(u, t, False)] = mode
            if t == commented:
                want[(u, t, True)] = mode
    return want


def _comment_on_first(spec, built) -> int | None:
    """The author comments on the first topic posted through the service (the fan-out then
    skips the author as commenter, as for the topic)."""
    oracle = Oracle(spec)
    for t, pid in built.topic_ids.items():
        if _posted_by_service(spec, oracle, t):
            topic = built.users[spec.topics[t].author].topics.get(public_id=pid)
            add_comment(actor=topic.author, topic=topic, body=f"comment on {title_of(t)}")
            return t
    return None


@pytest.mark.django_db
def test_notifications_and_mail_match_the_oracle(django_capture_on_commit_callbacks):
    @settings(max_examples=12, **HYPOTHESIS)
    @given(spec=worlds(), modes=st.lists(st.sampled_from(MODES), min_size=1, max_size=12))
    def check(spec: WorldSpec, modes: list) -> None:
        mail.outbox = []
        notification_jobs._scheduled_days.clear()
        with transaction.atomic():
            with django_capture_on_commit_callbacks(execute=True):
                built = build(spec)
                _set_modes(spec, built, modes)
                commented = _comment_on_first(spec, built)
            run_worker(once=True)
            want = _expected(spec, built, modes, commented)
            _check_rows(spec, built, want)
            _check_mail(spec, built, want)
            _check_pages(spec, built, want)
            transaction.set_rollback(True)

    check()


def _set_modes(spec, built: Built, modes: list) -> None:
    NotificationPreference.objects.bulk_create(
        NotificationPreference(user=user, community=community, mode=modes[u % len(modes)])
        for u, user in enumerate(built.users) if modes[u % len(modes)]
        for community in built.communities
    )


def _indexes(spec, built):
    users = {user.pk: u for u, user in enumerate(built.users)}
    topics = {pid: t for t, pid in built.topic_ids.items()}
    return users, topics


def _check_rows(spec, built, want) -> None:
    users, topics = _indexes(spec, built)
    got = {(users[n.user_id], topics[n.topic.public_id], n.comment_id is not None): n.delivery
           for n in Notification.objects.select_related("topic")}
    assert got == want, f"notification rows for {spec}"


def _check_mail(spec, built, want) -> None:
    by_email = {user.email: u for u, user in enumerate(built.users)}
    by_title = {title_of(t): t for t in built.topic_ids}
    got = set()
    for message in mail.outbox:
        (address,) = message.to
        u = by_email[address]
        (t,) = [t for title, t in by_title.items() if title in message.subject]
        got.add((u, t, message.subject.startswith("[renkei] Re: ")))
        if spec.topics[t].tlp in LINK_ONLY_TLP or \
                spec.communities[spec.topics[t].community].kind == CONSULTATION:
            assert f"body of {title_of(t)}" not in message.body, f"text of {t} mailed"
            assert "comment on" not in message.body, f"comment on {t} mailed"
    immediate = {key for key, mode in want.items() if mode == "immediate"}
    assert got == immediate, f"mail for {spec}"
    assert len(mail.outbox) == len(immediate), "a mail sent twice"


def _check_pages(spec, built, want) -> None:
    for u, user in enumerate(built.users):
        if not (spec.users[u].active and spec.orgs[spec.users[u].org].active):
            continue
        client = Client()
        client.force_login(user)
        body = client.get("/notifications/").content.decode()
        listed = {t for (v, t, _c) in want if v == u}
        for t in built.topic_ids:
            assert (title_of(t) in body) == (t in listed), (
                f"notification page of {describe(spec, u)}: topic {t}")
