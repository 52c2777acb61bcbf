from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Mode(models.TextChoices):
    IMMEDIATE = "immediate", _("E-mail at once")
    DIGEST = "digest", _("Daily digest")
    NONE = "none", _("No notifications")


class NotificationPreference(models.Model):
    """A person's choice for one community. No row: the default (see `preferences.default_mode`)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="notification_preferences")
    community = models.ForeignKey("communities.Community", on_delete=models.CASCADE,
                                  related_name="+")
    mode = models.CharField(_("notification"), max_length=10, choices=Mode.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "community"], name="unique_notification_pref")
        ]


class Notification(models.Model):
    """One line in a person's notification list: a new topic, or a comment on one."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="notifications")
    topic = models.ForeignKey("communities.Topic", on_delete=models.CASCADE, related_name="+")
    comment = models.ForeignKey("communities.Comment", on_delete=models.CASCADE, null=True,
                                blank=True, related_name="+")
    # How the person chose to hear of it when it arrived; a digest picks up the "digest" ones.
    delivery = models.CharField(max_length=10, choices=Mode.choices)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    digested_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # A retried fan-out never writes the same line twice.
            models.UniqueConstraint(fields=["user", "topic"], condition=Q(comment__isnull=True),
                                    name="unique_topic_notification"),
            models.UniqueConstraint(fields=["user", "comment"],
                                    condition=Q(comment__isnull=False),
                                    name="unique_comment_notification"),
        ]
        indexes = [
            models.Index(fields=["user", "read_at"]),
            models.Index(fields=["user", "delivery", "digested_at"]),
        ]
