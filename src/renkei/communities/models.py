import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from renkei.accounts.models import Organisation
from renkei.sharing.models import LIVE_ENVIRONMENT_ID, TLP, AudienceMode, Environment


class CommunityKind(models.TextChoices):
    BROADCAST = "broadcast", _("Broadcast")
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")
    CONSULTATION = "consultation", _("Consultation window")
    MANUAL = "manual", _("Manual / FAQ")
    NOTIFICATION = "notification", _("Notification channel")


# Every signed-in user reads these communities; only the centre posts in them.
EVERYONE_READS = frozenset({CommunityKind.BROADCAST, CommunityKind.MANUAL})
# Reading these needs a membership.
MEMBERS_READ = frozenset({CommunityKind.OPEN, CommunityKind.CLOSED})


class Community(models.Model):
    environment = models.ForeignKey(
        Environment, on_delete=models.PROTECT, default=LIVE_ENVIRONMENT_ID,
        related_name="communities",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=CommunityKind.choices)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    owner_organisation = models.ForeignKey(
        Organisation, verbose_name=_("owner"), on_delete=models.PROTECT,
        related_name="owned_communities",
    )
    # Set only for a notification channel: the one organisation (with the centre) that reads it.
    notified_organisation = models.OneToOneField(
        Organisation, on_delete=models.CASCADE, null=True, blank=True,
        related_name="notification_channel",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    is_archived = models.BooleanField(default=False)

    class Meta:
        ordering = ["id"]
        verbose_name = _("community")
        verbose_name_plural = _("communities")
        constraints = [
            models.UniqueConstraint(fields=["environment", "name"], name="unique_community_name"),
            models.CheckConstraint(
                condition=Q(kind="notification", notified_organisation__isnull=False)
                | (~Q(kind="notification") & Q(notified_organisation__isnull=True)),
                name="notification_channel_has_organisation",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A whole organisation or one person in a community."""

    class State(models.TextChoices):
        ACTIVE = "active", _("Member")
        REQUESTED = "requested", _("Asked to join")
        INVITED = "invited", _("Invited")

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, null=True, blank=True, related_name="memberships"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True,
        related_name="memberships",
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.ACTIVE)
    is_manager = models.BooleanField(_("manager"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(organisation__isnull=True, user__isnull=False)
                | Q(organisation__isnull=False, user__isnull=True),
                name="membership_is_organisation_or_user",
            ),
            models.UniqueConstraint(
                fields=["community", "organisation"], name="unique_org_membership",
                condition=Q(organisation__isnull=False),
            ),
            models.UniqueConstraint(
                fields=["community", "user"], name="unique_user_membership",
                condition=Q(user__isnull=False),
            ),
        ]
        indexes = [
            models.Index(fields=["organisation", "state"]),
            models.Index(fields=["user", "state"]),
        ]

    def __str__(self) -> str:
        return f"{self.community}: {self.organisation or self.user}"


class TopicTag(models.TextChoices):
    NONE = "", _("No tag")
    IMPORTANT = "important", "【重要】"
    CAUTION = "caution", "【注意】"


class InformationKind(models.TextChoices):
    VULNERABILITY = "vulnerability", _("Vulnerability")
    ATTACK_FORESIGHT = "attack_foresight", _("Attack foresight")
    MALWARE = "malware", _("Malware")
    ADVISORY = "advisory", _("Alert / advisory")
    OBSERVATION = "observation", _("Observation / analysis")
    INCIDENT = "incident", _("Incident")
    SCHEDULE = "schedule", _("Event schedule")
    EMERGENCY = "emergency", _("Emergency")


class ReaderLevel(models.TextChoices):
    GENERAL = "general", _("General")
    PRO = "pro", _("Professional")


class DailySequence(models.Model):
    """The last topic number handed out on one day (Asia/Tokyo)."""

    day = models.DateField(primary_key=True)
    last = models.PositiveIntegerField(default=0)


class Topic(models.Model):
    public_id = models.CharField(_("topic id"), max_length=15, unique=True)
    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="topics")
    title = models.CharField(_("title"), max_length=200)
    tag = models.CharField(_("tag"), max_length=10, choices=TopicTag.choices, blank=True)
    kind = models.CharField(
        _("kind of information"), max_length=20, choices=InformationKind.choices
    )
    reader_level = models.CharField(
        _("reader level"), max_length=10, choices=ReaderLevel.choices, default=ReaderLevel.GENERAL
    )
    tlp = models.CharField("TLP", max_length=12, choices=TLP.choices, default=TLP.GREEN)
    audience_mode = models.CharField(
        _("audience"), max_length=10, choices=AudienceMode.choices, default=AudienceMode.MEMBERS
    )
    audience_organisations = models.ManyToManyField(
        Organisation, through="TopicAudienceOrganisation", related_name="+", blank=True
    )
    audience_users = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="TopicAudienceUser", related_name="+", blank=True
    )
    body = models.TextField(_("body"), blank=True)
    body_html = models.TextField(blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="topics"
    )
    author_organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="topics"
    )
    created_at = models.DateTimeField(default=timezone.now)
    # Last activity: an edit or a comment moves it, as JISP's 最終更新日時 did.
    updated_at = models.DateTimeField(default=timezone.now)
    is_pinned = models.BooleanField(_("must-see"), default=False)
    view_count = models.PositiveIntegerField(default=0)
    ack_count = models.PositiveIntegerField(default=0)
    comment_count = models.PositiveIntegerField(default=0)
    attachment_count = models.PositiveIntegerField(default=0)
    shared_from = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="reshares"
    )

    class Meta:
        ordering = ["-updated_at", "-id"]
        verbose_name = _("topic")
        verbose_name_plural = _("topics")
        indexes = [
            models.Index(fields=["community", "-updated_at", "-id"], name="topic_community_latest"),
            models.Index(fields=["-created_at"]),
            models.Index(fields=["-updated_at", "-id"], name="topic_latest"),
            # Must-see lists are short; partial indexes find them without reading the rest.
            models.Index(fields=["community", "-updated_at", "-id"], name="topic_community_pinned",
                         condition=Q(is_pinned=True)),
            models.Index(fields=["-updated_at", "-id"], name="topic_pinned",
                         condition=Q(is_pinned=True)),
        ]

    def __str__(self) -> str:
        return f"{self.public_id} {self.title}"

    @property
    def tagged_title(self) -> str:
        prefix = TopicTag(self.tag).label if self.tag else ""
        return f"{prefix}{self.title}"


class TopicAudienceOrganisation(models.Model):
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="audience_org_links")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["topic", "organisation"], name="unique_audience_org")
        ]
        indexes = [models.Index(fields=["organisation", "topic"])]


class TopicAudienceUser(models.Model):
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="audience_user_links")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["topic", "user"], name="unique_audience_user")
        ]
        indexes = [models.Index(fields=["user", "topic"])]


class TopicRevision(models.Model):
    """The topic as it was before an edit."""

    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="revisions")
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    edited_at = models.DateTimeField(default=timezone.now)
    title = models.CharField(max_length=200)
    tag = models.CharField(max_length=10, blank=True)
    kind = models.CharField(max_length=20)
    reader_level = models.CharField(max_length=10)
    tlp = models.CharField(max_length=12)
    body = models.TextField(blank=True)
    # The audience this version was written for: the history shows it to those who could read
    # it then and can now (`sharing.visibility.revision_readable`). Plain ids: a record of then.
    audience_mode = models.CharField(max_length=10, choices=AudienceMode.choices,
                                     default=AudienceMode.CHOSEN)
    audience_organisation_ids = models.JSONField(default=list, blank=True)
    audience_user_ids = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-edited_at", "-id"]


class Comment(models.Model):
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    author_organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+"
    )
    body = models.TextField(_("comment"))
    body_html = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]


def attachment_path(instance: "Attachment", filename: str) -> str:
    # The stored name never comes from the uploader.
    return f"attachments/{timezone.now():%Y/%m}/{uuid.uuid4().hex}"


class Attachment(models.Model):
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="attachments")
    comment = models.ForeignKey(
        Comment, on_delete=models.CASCADE, null=True, blank=True, related_name="attachments"
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    file = models.FileField(upload_to=attachment_path)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]


class Acknowledgement(models.Model):
    """いいね！: the reader says "I have read it"."""

    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="acknowledgements")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="acknowledgements"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["topic", "user"], name="unique_acknowledgement")
        ]


class TopicSearchEntry(models.Model):
    """One searchable text of a topic (title, body, a comment, a file name), normalised.

    Written only by `communities.search_index`, which also keeps the bigram index beside it:
    an FTS5 table on SQLite, a tsvector column with a GIN index on PostgreSQL (both made by
    migration 0002). Changing this model on SQLite would rebuild the table and drop the trigger
    that keeps the FTS5 table in step: write that migration by hand.
    """

    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="+")
    field = models.CharField(max_length=10)
    text = models.TextField()
