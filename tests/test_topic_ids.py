"""Topic ids: `YYYYMMDD-NNNNNN`, the date in Asia/Tokyo, a sequence per day, unique under load."""

import re
import threading
from datetime import UTC, date, datetime

import pytest
from django.db import connection

from renkei.accounts.services import create_organisation, create_user
from renkei.communities import services
from renkei.communities.models import DailySequence, Topic

ID = re.compile(r"^\d{8}-\d{6}$")


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def test_an_id_is_the_tokyo_date_and_a_number(world, post):
    topic = post(world.commander, world.general, "t", now=at(2026, 1, 1, 15, 30))
    assert ID.match(topic.public_id)
    # 15:30 UTC on New Year's Day is 00:30 on 2 January in Tokyo.
    assert topic.public_id == "20260102-000001"
    assert post(world.commander, world.general, "t", now=at(2026, 1, 1, 14, 59)).public_id == (
        "20260101-000001")


def test_the_number_counts_up_within_a_day_and_restarts_the_next(world, post):
    ids = [post(world.commander, world.general, "t", now=at(2026, 7, 24, hour)).public_id
           for hour in (0, 5, 14)]  # 09:00, 14:00, 23:00 in Tokyo
    assert ids == ["20260724-000001", "20260724-000002", "20260724-000003"]
    assert post(world.commander, world.general, "t", now=at(2026, 7, 24, 15)).public_id == (
        "20260725-000001")
    assert DailySequence.objects.get(day=date(2026, 7, 24)).last == 3


def test_a_refused_post_does_not_use_up_a_number(world, post):
    post(world.commander, world.general, "t", now=at(2026, 7, 24, 1))
    with pytest.raises(Exception):  # noqa: B017 - any refusal will do
        post(world.alice, world.general, "t", now=at(2026, 7, 24, 2))
    assert post(world.commander, world.general, "t", now=at(2026, 7, 24, 3)).public_id == (
        "20260724-000002")


def test_ids_stay_the_same_after_an_edit(world, post):
    topic = post(world.alice, world.isac, "t")
    edited = services.edit_topic(actor=world.alice, topic=topic, title="t2", body="",
                                 kind="advisory")
    assert edited.public_id == topic.public_id


THREADS = 8


def test_concurrent_posts_get_unique_consecutive_numbers(database_like_production):
    """Eight people post at the same moment; every one gets a different, gap-free number."""
    centre = create_organisation(name="センター", kind="centre")
    commander = create_user(email="c@centre.example", name="統括", organisation=centre)
    general = services.create_community(actor=None, name="情報提供（一般）", kind="broadcast",
                                        owner=centre)
    barrier = threading.Barrier(THREADS)
    ids: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    when = at(2030, 3, 3, 3, 3)

    def poster(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            topic = services.post_topic(actor=commander, community=general,
                                        title=f"同時投稿 {i}", kind="advisory", now=when)
            with lock:
                ids.append(topic.public_id)
        except BaseException as exc:
            with lock:
                errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=poster, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert sorted(ids) == [f"20300303-{n:06d}" for n in range(1, THREADS + 1)]
    assert Topic.objects.filter(public_id__startswith="20300303-").count() == THREADS
    assert DailySequence.objects.get(day=date(2030, 3, 3)).last == THREADS
