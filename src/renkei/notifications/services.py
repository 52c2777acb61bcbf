"""Preferences, the notification list and marking read. Every list goes through the visibility
rule: a notification whose topic the person can no longer read is not shown."""

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from renkei.accounts.models import User
from renkei.communities.models import Community, CommunityKind, Topic, TopicTag
from renkei.errors import ServiceError
from renkei.notifications.models import Mode, Notification, NotificationPreference
from renkei.sharing.visibility import readable_communities, readable_topics

DEFAULT = "default"


def default_mode(user: User, community: Community, topic: Topic | None = None) -> str:
    """Without a choice of their own, people get a daily digest, except for what is addressed
    to their organisation (its notification channel) and 【重要】 broadcasts: those at once."""
    if (community.kind == CommunityKind.NOTIFICATION
            and community.notified_organisation_id == user.organisation_id):
        return Mode.IMMEDIATE
    if (community.kind == CommunityKind.BROADCAST and topic is not None
            and topic.tag == TopicTag.IMPORTANT):
        return Mode.IMMEDIATE
    return Mode.DIGEST


def chosen_modes(user: User) -> dict[int, str]:
    """community id -> the mode the person chose; communities left at the default are absent."""
    return dict(NotificationPreference.objects.filter(user=user)
                .values_list("community_id", "mode"))


def mode_for(user: User, topic: Topic, chosen: dict[int, str] | None = None) -> str:
    if chosen is None:
        chosen = chosen_modes(user)
    return chosen.get(topic.community_id) or default_mode(user, topic.community, topic)


def set_preferences(*, user: User, choices: dict[int, str]) -> None:
    """choices: community id -> a Mode value, or "default" to drop the person's own choice."""
    allowed = set(readable_communities(user).filter(pk__in=list(choices))
                  .values_list("id", flat=True))
    if set(choices) - allowed:
        raise ServiceError(_("You can only choose notifications for communities you read."))
    if any(mode != DEFAULT and mode not in Mode.values for mode in choices.values()):
        raise ServiceError(_("Unknown notification setting."))
    with transaction.atomic():
        for community_id, mode in choices.items():
            if mode == DEFAULT:
                NotificationPreference.objects.filter(
                    user=user, community_id=community_id).delete()
            else:
                NotificationPreference.objects.update_or_create(
                    user=user, community_id=community_id, defaults={"mode": mode})


def visible_notifications(user: User) -> QuerySet:
    return Notification.objects.filter(user=user, topic__in=readable_topics(user).values("pk"))


def unread_count(user: User) -> int:
    """One COUNT query, for the menu on every page."""
    return visible_notifications(user).filter(read_at__isnull=True).count()


def mark_topic_read(user: User, topic: Topic) -> int:
    """Opening a topic reads its notifications (the topic's and its comments')."""
    return Notification.objects.filter(user=user, topic=topic, read_at__isnull=True).update(
        read_at=timezone.now())


def mark_all_read(user: User) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).update(
        read_at=timezone.now())


def mark_read(user: User, notification_id: int) -> Notification | None:
    """Mark one of the person's visible notifications read (the API's "read" action).

    None for one they cannot see (another person's, or one whose topic they no longer read),
    the same as for one that does not exist."""
    notification = (visible_notifications(user)
                    .select_related("topic", "topic__community").filter(pk=notification_id)
                    .first())
    if notification is not None and notification.read_at is None:
        notification.read_at = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=notification.read_at)
    return notification
