"""The STIX 2.1 object store and its TAXII collections.

Public interface (stable; the feeds app builds on it):

- `StixObject`: one row per version of one STIX object in one community, kept exactly as
  submitted in `raw` (JSON text). Key fields: `stix_id`, `type`, `spec_version`, `created`,
  `modified`, `version` (modified, else created, else date_added: what TAXII calls the version),
  `date_added` (unique and strictly increasing across the whole store, microseconds),
  `community`, `tlp`, `audience_mode` + `audience_organisations` / `audience_users` (the same
  audience as topics), `added_by`, `added_by_organisation`, `source`, `source_detail`,
  `is_latest` (the newest version of this id in this community), `revoked`, and the indicator
  columns `name`, `pattern`, `pattern_type`, `valid_from`, `valid_until` for lists and
  blocklists. Never write rows by hand: `intel.services.ingest` does (validation, TLP from the
  markings, date_added, de-duplication, audit). Read them only through
  `intel.selectors.readable_objects(user)` (the visibility rule).
- `Collection`: a TAXII collection. Kind `community`: one per community, `community` set, its
  `uuid` stable for the life of the community. Kind `curated`: a filter across the communities
  the reader may read (`filter_types`, `filter_tlp`, `filter_valid_now`), read-only.
- `Sighting`: "seen" or "blocked" reported for an indicator id in a community, by an
  organisation; counted on the indicator's page for whoever may read the indicator.
- `StixTopicLink`: a stored object version related to a topic (from `ingest(topic=...)` or a
  `renkei` external reference); pages show only the topics the reader may read.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from renkei.accounts.models import Organisation
from renkei.communities.models import Community, Topic
from renkei.sharing.models import TLP, AudienceMode


class Source(models.TextChoices):
    """How an object reached the store."""

    TAXII = "taxii", "TAXII"
    API = "api", "API"
    PAGE = "page", _("Web page")
    UPLOAD = "upload", _("File upload")
    MISP = "misp", "MISP"
    CSV = "csv", "CSV"
    LIST = "list", _("Plain list")
    FEED = "feed", _("Scheduled feed")
    EXTRACTION = "extraction", _("Extracted from a topic")
    DEMO = "demo", _("Demo")


class Collection(models.Model):
    class Kind(models.TextChoices):
        COMMUNITY = "community", _("Community")
        CURATED = "curated", _("Curated by the centre")

    uuid = models.UUIDField(unique=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    community = models.OneToOneField(
        Community, on_delete=models.CASCADE, null=True, blank=True,
        related_name="stix_collection",
    )
    # Curated collections carry their own title; a community's is the community's name.
    title = models.CharField(_("title"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    # Objects without a TLP marking get this one.
    default_tlp = models.CharField(max_length=12, choices=TLP.choices, default=TLP.GREEN)
    # Curated only: comma-separated STIX types and TLP values ("" = any type).
    filter_types = models.CharField(max_length=500, blank=True)
    filter_tlp = models.CharField(max_length=100, blank=True)
    filter_valid_now = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind="community", community__isnull=False)
                | models.Q(kind="curated", community__isnull=True),
                name="collection_community_or_curated",
            ),
        ]

    def __str__(self) -> str:
        return self.display_title

    @property
    def display_title(self) -> str:
        return self.community.name if self.community_id else self.title

    @property
    def types(self) -> list[str]:
        return [t for t in self.filter_types.split(",") if t]

    @property
    def tlps(self) -> list[str]:
        return [t for t in self.filter_tlp.split(",") if t]


class StoreClock(models.Model):
    """One row: the last `date_added` handed out. Ingest locks it until commit, so date_added
    order is commit order and a client paging by date_added never misses a later commit."""

    last = models.DateTimeField()


class StixObject(models.Model):
    stix_id = models.CharField(max_length=300)
    type = models.CharField(max_length=250)
    spec_version = models.CharField(max_length=10, blank=True)
    created = models.DateTimeField(null=True, blank=True)
    modified = models.DateTimeField(null=True, blank=True)
    version = models.DateTimeField()
    date_added = models.DateTimeField(unique=True)
    raw = models.TextField()
    content_hash = models.CharField(max_length=64)

    community = models.ForeignKey(Community, on_delete=models.PROTECT,
                                  related_name="stix_objects")
    tlp = models.CharField("TLP", max_length=12, choices=TLP.choices)
    audience_mode = models.CharField(max_length=10, choices=AudienceMode.choices,
                                     default=AudienceMode.MEMBERS)
    audience_organisations = models.ManyToManyField(
        Organisation, through="StixAudienceOrganisation", related_name="+", blank=True)
    audience_users = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="StixAudienceUser", related_name="+", blank=True)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                 null=True, blank=True, related_name="+")
    added_by_organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT,
                                              related_name="+")
    source = models.CharField(max_length=20, choices=Source.choices)
    source_detail = models.CharField(max_length=200, blank=True)

    is_latest = models.BooleanField(default=True)
    revoked = models.BooleanField(default=False)
    name = models.CharField(max_length=500, blank=True)
    pattern = models.TextField(blank=True)
    pattern_type = models.CharField(max_length=50, blank=True)
    valid_from = models.DateTimeField(null=True, blank=True)
    valid_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["date_added"]
        constraints = [
            models.UniqueConstraint(fields=["community", "stix_id", "version"],
                                    name="unique_stix_version_per_community"),
        ]
        indexes = [
            models.Index(fields=["community", "date_added"], name="stix_community_added"),
            models.Index(fields=["stix_id", "version"], name="stix_id_version"),
            models.Index(fields=["type", "date_added"], name="stix_type_added"),
        ]

    def __str__(self) -> str:
        return f"{self.stix_id} @ {self.version:%Y-%m-%dT%H:%M:%S.%fZ}"

    @property
    def is_valid_now(self) -> bool:
        now = timezone.now()
        return (self.valid_from is None or self.valid_from <= now) and (
            self.valid_until is None or self.valid_until > now) and not self.revoked


class StixAudienceOrganisation(models.Model):
    stix_object = models.ForeignKey(StixObject, on_delete=models.CASCADE,
                                    related_name="audience_org_links")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["stix_object", "organisation"],
                                               name="unique_stix_audience_org")]
        indexes = [models.Index(fields=["organisation", "stix_object"])]


class StixAudienceUser(models.Model):
    stix_object = models.ForeignKey(StixObject, on_delete=models.CASCADE,
                                    related_name="audience_user_links")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["stix_object", "user"],
                                               name="unique_stix_audience_user")]
        indexes = [models.Index(fields=["user", "stix_object"])]


class StixRef(models.Model):
    """A reference from one stored version to another object id (relationship ends, report
    object_refs, sighting_of_ref), so pages find related objects without scanning JSON."""

    stix_object = models.ForeignKey(StixObject, on_delete=models.CASCADE, related_name="refs")
    target_id = models.CharField(max_length=300)
    kind = models.CharField(max_length=40)

    class Meta:
        indexes = [models.Index(fields=["target_id"])]


class StixTopicLink(models.Model):
    stix_object = models.ForeignKey(StixObject, on_delete=models.CASCADE,
                                    related_name="topic_links")
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="stix_links")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["stix_object", "topic"],
                                               name="unique_stix_topic_link")]


class Sighting(models.Model):
    class Kind(models.TextChoices):
        SEEN = "seen", _("Seen")
        BLOCKED = "blocked", _("Blocked")

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="+")
    indicator_id = models.CharField(max_length=300)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.SEEN)
    count = models.PositiveIntegerField(default=1)
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                    null=True, blank=True, related_name="+")
    source = models.CharField(max_length=20, choices=Source.choices)
    # The STIX sighting it came from, when it arrived as one (TAXII POST, upload).
    stix_object = models.ForeignKey(StixObject, on_delete=models.CASCADE, null=True, blank=True,
                                    related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-last_seen", "-id"]
        indexes = [models.Index(fields=["community", "indicator_id"])]


class TaxiiStatus(models.Model):
    """The status resource of one TAXII POST, kept for at least 24 hours."""

    uuid = models.UUIDField(unique=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    collection = models.ForeignKey(Collection, on_delete=models.CASCADE, related_name="+")
    request_timestamp = models.DateTimeField(default=timezone.now)
    body = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now, db_index=True)


class CurationAcceptance(models.Model):
    """The centre vouches for one stored version: it may go into the curated collections and
    every blocklist (`intel.curation`). A newer version needs accepting again; withdrawing
    deletes the row. Both are audited (`intel.curation.accept_for_curation`)."""

    stix_object = models.OneToOneField(StixObject, on_delete=models.CASCADE,
                                       related_name="curation_acceptance")
    accepted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="+")
    accepted_at = models.DateTimeField(default=timezone.now)
    note = models.CharField(_("note"), max_length=500, blank=True)
