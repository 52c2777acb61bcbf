"""The centre's situation work: AM/PM escalation reports, daily bulletins, sanitised summaries.

Escalation reports and unpublished summaries are the centre's own (`situation.permissions`);
what reaches participants is a topic in the broadcast communities, read under the topic rule.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from renkei.accounts.models import Organisation
from renkei.communities.models import Topic


class EscalationReport(models.Model):
    """One AM/PM report to the security coordination centre, kept as history.

    `content` is a snapshot taken when it was generated (cases, their state and impact, class
    names) so the report reads the same however the cases change later."""

    period_start = models.DateTimeField(_("from"))
    period_end = models.DateTimeField(_("until"))
    generated_at = models.DateTimeField(_("generated"), default=timezone.now)
    # None: made by the schedule.
    generated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                     null=True, blank=True, related_name="+")
    scheduled = models.BooleanField(default=False)
    case_count = models.PositiveIntegerField(default=0)
    content = models.JSONField(default=dict)

    class Meta:
        ordering = ["-period_end", "-id"]
        verbose_name = _("AM/PM report")
        verbose_name_plural = _("AM/PM reports")
        constraints = [
            # The schedule makes one report per slot however often the job runs.
            models.UniqueConstraint(fields=["period_end"], condition=Q(scheduled=True),
                                    name="one_scheduled_report_per_slot"),
        ]

    def __str__(self) -> str:
        return f"{self.period_start:%Y-%m-%d %H:%M}–{self.period_end:%Y-%m-%d %H:%M}"


class SanitisedSummary(models.Model):
    """A case told for all participants, without what identifies the victim.

    draft -> reviewed (the centre confirmed the sanitised text) -> published (a topic of kind
    incident in the broadcast communities). Changing the text after the review asks for a new
    review."""

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        REVIEWED = "reviewed", _("Reviewed")
        PUBLISHED = "published", _("Published")

    case = models.ForeignKey("incidents.Case", on_delete=models.CASCADE,
                             related_name="sanitised_summaries")
    title = models.CharField(_("title"), max_length=200)
    draft = models.TextField(_("draft (as written, may identify the victim)"))
    sanitised = models.TextField(_("sanitised text"))
    extra_terms = models.TextField(_("further strings to remove"), blank=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices,
                             default=State.DRAFT)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                    null=True, blank=True, related_name="+")
    reviewed_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                     null=True, blank=True, related_name="+")
    published_at = models.DateTimeField(null=True, blank=True)
    topics = models.ManyToManyField(Topic, related_name="+", blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-updated_at", "-id"]
        verbose_name = _("sanitised summary")
        verbose_name_plural = _("sanitised summaries")

    def __str__(self) -> str:
        return self.title


class DailyBulletin(models.Model):
    """One daily situation bulletin as published (its topics carry it to the participants)."""

    day = models.DateField(_("day"))
    period_start = models.DateTimeField(_("from"))
    period_end = models.DateTimeField(_("until"))
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"))
    content = models.JSONField(default=dict)
    scheduled = models.BooleanField(default=False)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                     null=True, blank=True, related_name="+")
    published_at = models.DateTimeField(default=timezone.now)
    topics = models.ManyToManyField(Topic, related_name="+", blank=True)

    class Meta:
        ordering = ["-published_at", "-id"]
        verbose_name = _("daily bulletin")
        verbose_name_plural = _("daily bulletins")
        constraints = [
            models.UniqueConstraint(fields=["day"], condition=Q(scheduled=True),
                                    name="one_scheduled_bulletin_per_day"),
        ]

    def __str__(self) -> str:
        return self.title


class OrganisationAlias(models.Model):
    """Another name of an organisation for the sanitiser: a short name, a katakana reading, a
    romanised name, or a registered domain (anything with a dot and no space)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE,
                                     related_name="sanitiser_aliases")
    alias = models.CharField(_("alias"), max_length=200)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["organisation__name", "alias"]
        verbose_name = _("organisation alias")
        verbose_name_plural = _("organisation aliases")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "alias"], name="unique_alias"),
        ]

    def __str__(self) -> str:
        return f"{self.organisation}: {self.alias}"
