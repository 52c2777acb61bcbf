"""Risk assessment: catalogue versions, rounds (第N回), submissions and their rows, feedback.

Who reads what is decided in `renkei.sharing.risk_visibility`, never here.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class CatalogueVersion(models.Model):
    """One version of the catalogue (model cases, outcomes, threats, risk sources) as a document.

    A draft is edited by the centre; once published it never changes, so a round that pinned it
    reads the same catalogue for ever. The document's shape is checked by `catalogue.validate`.
    """

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    number = models.PositiveIntegerField(_("version"), unique=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices,
                             default=State.DRAFT)
    data = models.JSONField(default=dict)
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-number"]

    def __str__(self) -> str:
        return f"v{self.number}"


class Approach(models.TextChoices):
    """How much a round asks: from small organisations to mature ones."""

    LIGHT = "light", _("Light")
    STANDARD = "standard", _("Standard")
    DETAILED = "detailed", _("Detailed")


class Round(models.Model):
    class State(models.TextChoices):
        PLANNED = "planned", _("Planned")
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")
        FEEDBACK_RELEASED = "feedback_released", _("Feedback released")

    number = models.PositiveIntegerField(_("round number"), unique=True)
    title = models.CharField(_("title"), max_length=200)
    opens_on = models.DateField(_("opens on"))
    closes_on = models.DateField(_("closes on"))
    approach = models.CharField(_("approach"), max_length=10, choices=Approach.choices,
                                default=Approach.STANDARD)
    state = models.CharField(_("state"), max_length=20, choices=State.choices,
                             default=State.PLANNED)
    catalogue = models.ForeignKey(CatalogueVersion, verbose_name=_("catalogue version"),
                                  on_delete=models.PROTECT, related_name="rounds")
    # The sectors chosen when the targets were set; the targets themselves are RoundTarget rows.
    target_sectors = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    released_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-number"]

    def __str__(self) -> str:
        return f"第{self.number}回 {self.title}"

    @property
    def accepts_submissions(self) -> bool:
        return self.state == self.State.OPEN


class RoundTarget(models.Model):
    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="targets")
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE,
                                     related_name="risk_round_targets")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["round", "organisation"],
                                               name="unique_round_target")]


class Submission(models.Model):
    """One version of an organisation's answer to a round. A submitted version is frozen; a
    change is a new version (a draft copied from the last one)."""

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")

    round = models.ForeignKey(Round, on_delete=models.PROTECT, related_name="submissions")
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT,
                                     related_name="risk_submissions")
    version = models.PositiveIntegerField(_("version"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices,
                             default=State.DRAFT)
    # PDCA maturity: item number ("1".."10") -> level 0..4 (see pdca.py).
    pdca = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                     null=True, blank=True, related_name="+")
    submitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["round", "organisation", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["round", "organisation", "version"],
                                    name="unique_submission_version"),
            # One draft at a time: two people editing two drafts would lose one's work.
            models.UniqueConstraint(fields=["round", "organisation"],
                                    condition=Q(state="draft"), name="one_draft_per_round"),
        ]

    def __str__(self) -> str:
        return f"{self.round} {self.organisation} v{self.version}"

    @property
    def is_draft(self) -> bool:
        return self.state == self.State.DRAFT


class Treatment(models.TextChoices):
    REDUCE = "reduce", _("Reduce")
    ACCEPT = "accept", _("Accept")
    AVOID = "avoid", _("Avoid")
    TRANSFER = "transfer", _("Transfer")


class RiskLevel(models.TextChoices):
    HIGH = "high", _("High")
    MEDIUM = "medium", _("Medium")
    LOW = "low", _("Low")


class SubmissionRow(models.Model):
    """One line of an assessment: asset, outcome, threat, risk source and where it lands."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="rows")
    position = models.PositiveIntegerField()
    asset = models.CharField(_("asset"), max_length=200)
    outcome = models.CharField(_("outcome"), max_length=20)
    threat = models.CharField(_("threat event"), max_length=20)
    risk_source = models.CharField(_("risk source"), max_length=20)
    phases = models.JSONField(_("kill-chain phases"), default=list)
    cia = models.JSONField(_("CIA"), default=list)
    existing_measures = models.TextField(_("existing measures"), blank=True)
    likelihood = models.PositiveSmallIntegerField(_("likelihood"), null=True, blank=True)
    impact = models.PositiveSmallIntegerField(_("impact"), null=True, blank=True)
    risk_level = models.CharField(_("risk level"), max_length=10, choices=RiskLevel.choices,
                                  blank=True)
    treatment = models.CharField(_("treatment"), max_length=10, choices=Treatment.choices,
                                 blank=True)

    class Meta:
        ordering = ["submission", "position"]
        indexes = [models.Index(fields=["submission", "position"])]


class FeedbackReport(models.Model):
    """The automatic feedback for one organisation in one round, with the centre's comments.

    `content` is the report as computed (see feedback.build_report) from the submitted version
    it names, so it reads the same after the catalogue or the submission moves on; the centre
    may compute it again until it is released.
    """

    round = models.ForeignKey(Round, on_delete=models.PROTECT, related_name="feedback_reports")
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT,
                                     related_name="risk_feedback_reports")
    submission = models.ForeignKey(Submission, on_delete=models.PROTECT, related_name="+")
    content = models.JSONField(default=dict)
    general_comment = models.TextField(_("general comment"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    released_at = models.DateTimeField(null=True, blank=True)
    released_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                    null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["round", "organisation__name"]
        constraints = [models.UniqueConstraint(fields=["round", "organisation"],
                                               name="one_feedback_per_round")]

    @property
    def is_released(self) -> bool:
        return self.released_at is not None


class FeedbackComment(models.Model):
    """The centre's comment on one item of a report (a missing resource, threat, risk source)."""

    report = models.ForeignKey(FeedbackReport, on_delete=models.CASCADE, related_name="comments")
    item = models.CharField(max_length=80)
    body = models.TextField(_("comment"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                               related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["report", "item"],
                                               name="one_comment_per_item")]
