"""Feeds in: one `ImportRun` per import (what came, from where, by whom, what became of it),
and `FeedSource`s fetched on a schedule. The objects themselves live in the intel store."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from renkei.accounts.models import Organisation
from renkei.communities.models import Community
from renkei.sharing.models import TLP, AudienceMode


class Format(models.TextChoices):
    AUTO = "auto", _("Detect from the content")
    STIX = "stix", _("STIX 2.1 bundle")
    MISP_EVENT = "misp-event", _("MISP event (JSON)")
    MISP_FEED = "misp-feed", _("MISP feed (manifest.json and events)")
    CSV = "csv", _("CSV with a header")
    LIST = "list", _("Plain list, one value a line")


class ImportRun(models.Model):
    class State(models.TextChoices):
        QUEUED = "queued", _("Waiting")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    class Origin(models.TextChoices):
        UPLOAD = "upload", _("File upload")
        API = "api", "API"
        FEED = "feed", _("Scheduled feed")
        EXTRACTION = "extraction", _("Extracted from a topic")
        DEMO = "demo", _("Demo")

    uuid = models.UUIDField(unique=True, default=uuid.uuid4, editable=False)
    format = models.CharField(_("format"), max_length=12, choices=Format.choices)
    origin = models.CharField(_("origin"), max_length=12, choices=Origin.choices)
    # A file name, a URL or a topic id: where the data came from, as the importer named it.
    source_name = models.CharField(_("source"), max_length=500, blank=True)
    feed_source = models.ForeignKey("FeedSource", on_delete=models.SET_NULL, null=True,
                                    blank=True, related_name="runs")
    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+")
    tlp = models.CharField("TLP", max_length=12, choices=TLP.choices)
    audience_mode = models.CharField(max_length=10, choices=AudienceMode.choices,
                                     default=AudienceMode.MEMBERS)
    audience_organisations = models.ManyToManyField(Organisation, related_name="+", blank=True)
    audience_users = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="+",
                                            blank=True)
    valid_until = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    # The uploaded data waiting for the worker; deleted once the run is done.
    data = models.FileField(upload_to="feeds/imports/%Y/%m/", blank=True)
    # Objects handed to the store so far, out of `total` (known once the input is parsed).
    processed = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    received = models.PositiveIntegerField(default=0)
    new = models.PositiveIntegerField(default=0)
    duplicate = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    # [{"ref": ..., "message": ...}], at most parsers.MAX_FAILURES_KEPT of them.
    failures = models.JSONField(default=list, blank=True)
    # What was wrong with the input as a whole (not JSON, too large, unreachable).
    message = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["created_by", "created_at"])]

    def __str__(self) -> str:
        return f"{self.get_format_display()} {self.source_name} ({self.state})"

    @property
    def is_finished(self) -> bool:
        return self.state in {self.State.DONE, self.State.FAILED}

    @property
    def percent(self) -> int:
        if self.state == self.State.DONE:
            return 100
        return int(100 * self.processed / self.total) if self.total else 0


class FeedSource(models.Model):
    """A feed renkei fetches by itself: a URL, a format, where the objects go, how often."""

    name = models.CharField(_("name"), max_length=200)
    url = models.URLField(_("URL"), max_length=1000)
    format = models.CharField(_("format"), max_length=12, choices=Format.choices)
    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+")
    tlp = models.CharField("TLP", max_length=12, choices=TLP.choices, default=TLP.GREEN)
    valid_days = models.PositiveIntegerField(
        _("indicators valid for (days)"), null=True, blank=True,
        help_text=_("Empty: indicators from this feed do not expire."))
    interval_minutes = models.PositiveIntegerField(_("fetch every (minutes)"), default=60)
    enabled = models.BooleanField(_("enabled"), default=False)
    # Sent as the Authorization header (e.g. "Bearer …" for another renkei or a MISP).
    authorization = models.CharField(_("Authorization header"), max_length=500, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    next_fetch_at = models.DateTimeField(null=True, blank=True)
    last_fetched_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    # MISP feeds: {event uuid: manifest timestamp} of events already imported, so a fetch only
    # downloads events that are new or changed.
    seen_events = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["enabled", "next_fetch_at"])]

    def __str__(self) -> str:
        return self.name
