"""The background work of notifications: fan-out, one mail per reader, daily digests.

The fan-out decides the readers when it runs, through the visibility rule, not when the topic
was posted: an audience can change in between. Each mail is a job of its own with a dedupe key
(reader, topic or comment), so a retried fan-out writes no second line and sends no second mail.
"""

import zoneinfo
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from renkei.accounts.models import User
from renkei.communities.models import Comment, Topic
from renkei.jobs.queue import enqueue, handler, insert_job, insert_jobs, ticker
from renkei.notifications import mail
from renkei.notifications.models import Mode, Notification, NotificationPreference
from renkei.notifications.services import default_mode
from renkei.sharing.models import LIVE_ENVIRONMENT_ID
from renkei.sharing.visibility import readable_topics

FANOUT, MAIL = "notifications.fanout", "notifications.mail"
DIGESTS, DIGEST = "notifications.digests", "notifications.digest"
TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")


# Posts dated further back than this (the demo world, imported history) notify nobody.
NEWS_AGE = timedelta(days=1)


def _is_news(when: datetime) -> bool:
    return when >= timezone.now() - NEWS_AGE


def notify_topic(topic: Topic) -> None:
    """Called by the services inside their transaction: one fan-out job, queued on commit."""
    if _is_news(topic.created_at):
        enqueue(FANOUT, {"topic": topic.pk, "comment": None},
                dedupe_key=f"fanout:topic:{topic.pk}")


def notify_comment(comment: Comment) -> None:
    if _is_news(comment.created_at):
        enqueue(FANOUT, {"topic": comment.topic_id, "comment": comment.pk},
                dedupe_key=f"fanout:comment:{comment.pk}")


def _reads(user: User, topic: Topic) -> bool:
    return readable_topics(user).filter(pk=topic.pk).exists()


def _load(payload: dict) -> tuple[Topic | None, Comment | None]:
    topic = Topic.objects.select_related("community").filter(pk=payload["topic"]).first()
    comment = None
    if payload.get("comment") is not None:
        comment = Comment.objects.filter(pk=payload["comment"], topic_id=payload["topic"]).first()
        if comment is None:
            return None, None
    return topic, comment


@handler(FANOUT)
def fan_out(payload: dict) -> None:
    topic, comment = _load(payload)
    # Exercises notify nobody by mail: a drill must not page people (see notifications docs).
    if topic is None or topic.community.environment_id != LIVE_ENVIRONMENT_ID:
        return
    author_id = comment.author_id if comment is not None else topic.author_id
    people = (User.objects.filter(is_active=True, organisation__is_active=True)
              .exclude(pk=author_id).select_related("organisation").order_by("pk"))
    what = f"comment:{comment.pk}" if comment is not None else f"topic:{topic.pk}"
    chosen = dict(NotificationPreference.objects.filter(community_id=topic.community_id)
                  .values_list("user_id", "mode"))
    rows, mails = [], []
    # Readers are decided outside the write transaction: on SQLite a write transaction holds
    # the database lock, and the web requests should not wait for a long fan-out.
    for user in people:
        mode = chosen.get(user.pk) or default_mode(user, topic.community, topic)
        if mode == Mode.NONE or not _reads(user, topic):
            continue
        rows.append(Notification(user=user, topic=topic, comment=comment, delivery=mode))
        if mode == Mode.IMMEDIATE:
            mails.append(({"user": user.pk, **payload}, f"mail:{user.pk}:{what}"))
    with transaction.atomic():
        Notification.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)
        insert_jobs(MAIL, mails)


@handler(MAIL)
def send_mail_job(payload: dict) -> None:
    topic, comment = _load(payload)
    user = User.objects.filter(pk=payload["user"], is_active=True).first()
    # Checked again at sending time: the reader may have lost access since the fan-out.
    if topic is None or user is None or not _reads(user, topic):
        return
    mail.send_item(user, topic, comment)


_scheduled_days: set[str] = set()


def _digest_day(now: datetime) -> str | None:
    local = timezone.localtime(now, TOKYO)
    return local.date().isoformat() if local.hour >= settings.DIGEST_HOUR else None


@ticker
def schedule_digests(now: datetime) -> None:
    """Called on every worker loop: once the digest hour has come, queue the day's digests."""
    day = _digest_day(now)
    if day is None or day in _scheduled_days:
        return
    insert_job(DIGESTS, {"day": day}, dedupe_key=f"digests:{day}")
    _scheduled_days.add(day)


@handler(DIGESTS)
def queue_digests(payload: dict) -> None:
    day = payload["day"]
    user_ids = (Notification.objects.filter(delivery=Mode.DIGEST, digested_at__isnull=True)
                .values_list("user_id", flat=True).distinct())
    insert_jobs(DIGEST, [({"user": user_id, "day": day}, f"digest:{user_id}:{day}")
                         for user_id in user_ids])


@handler(DIGEST)
def send_digest(payload: dict) -> None:
    """Everything since the last digest that the person still reads, in one mail."""
    user = User.objects.filter(pk=payload["user"], is_active=True).first()
    if user is None:
        return
    pending = list(Notification.objects.filter(
        user=user, delivery=Mode.DIGEST, digested_at__isnull=True,
    ).select_related("topic__community", "comment").order_by("created_at", "id"))
    if not pending:
        return
    readable = set(readable_topics(user).filter(pk__in={n.topic_id for n in pending})
                   .values_list("pk", flat=True))
    items = [(n.topic, n.comment) for n in pending if n.topic_id in readable]
    if items:
        mail.send_digest(user, items, payload["day"])
    Notification.objects.filter(pk__in=[n.pk for n in pending]).update(
        digested_at=timezone.now())
