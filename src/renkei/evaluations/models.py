"""Cross-sectional risk evaluation (横断的リスク評価): the centre checks one organisation.

An evaluation holds risk scenarios (a timeline of attacker or accident steps on named resources)
and checklists, both broken down into verification items (検証項目); activities (interviews,
document reviews, site visits, technical checks) are recorded against the items; findings carry
an improvement proposal and a due date and are followed up until the centre closes them.

Nothing here decides who reads what: that is `sharing/evaluation_visibility.py`.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class EvaluationState(models.TextChoices):
    PLANNED = "planned", _("Planned")
    IN_PROGRESS = "in_progress", pgettext_lazy("evaluation", "In progress")
    REPORTED = "reported", pgettext_lazy("evaluation", "Reported")
    FOLLOW_UP = "follow_up", _("Follow-up")
    CLOSED = "closed", pgettext_lazy("evaluation", "Closed")


# The order the states follow; an evaluation only moves forward, one state at a time.
STATE_ORDER = [s.value for s in EvaluationState]
# From these on, the evaluated organisation reads the evaluation (report, findings).
RELEASED_STATES = frozenset({EvaluationState.REPORTED, EvaluationState.FOLLOW_UP,
                             EvaluationState.CLOSED})
# Scenarios, checklists, items, activities and new findings are written in these only.
WORKING_STATES = frozenset({EvaluationState.PLANNED, EvaluationState.IN_PROGRESS})


class Method(models.TextChoices):
    INTERVIEW = "interview", _("Interview")
    DOCUMENT = "document", _("Document review")
    SITE_VISIT = "site_visit", _("Site visit")
    TECHNICAL = "technical", _("Technical verification")


class Result(models.TextChoices):
    OK = "ok", _("No issue")
    GAP = "gap", _("Gap found")
    NOT_APPLICABLE = "not_applicable", _("Not applicable")


class Severity(models.TextChoices):
    CRITICAL = "critical", pgettext_lazy("evaluation", "Critical")
    HIGH = "high", _("High")
    MEDIUM = "medium", _("Medium")
    LOW = "low", _("Low")


SEVERITY_ORDER = [s.value for s in Severity]


class FindingState(models.TextChoices):
    OPEN = "open", pgettext_lazy("evaluation", "Open")
    FIX_REPORTED = "fix_reported", _("Fix reported")
    CLOSED = "closed", pgettext_lazy("evaluation", "Closed")


class ChecklistTemplate(models.Model):
    """A reusable checklist (e.g. for venues), copied into an evaluation when used."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    description = models.TextField(_("description"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ChecklistTemplateItem(models.Model):
    template = models.ForeignKey(ChecklistTemplate, on_delete=models.CASCADE,
                                 related_name="items")
    position = models.PositiveIntegerField()
    category = models.CharField(_("category"), max_length=100, blank=True)
    text = models.CharField(_("what to check"), max_length=500)
    method = models.CharField(_("method"), max_length=20, choices=Method.choices,
                              default=Method.DOCUMENT)

    class Meta:
        ordering = ["position", "id"]


class Evaluation(models.Model):
    title = models.CharField(_("title"), max_length=200)
    organisation = models.ForeignKey("accounts.Organisation", verbose_name=_("organisation"),
                                     on_delete=models.PROTECT, related_name="evaluations")
    scope = models.TextField(_("scope"), blank=True)
    period_start = models.DateField(_("period from"))
    period_end = models.DateField(_("period to"))
    state = models.CharField(_("state"), max_length=20, choices=EvaluationState.choices,
                             default=EvaluationState.PLANNED)
    evaluators = models.ManyToManyField(settings.AUTH_USER_MODEL, verbose_name=_("evaluators"),
                                        related_name="evaluations_led", blank=True)
    summary = models.TextField(_("summary"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    reported_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-period_start", "-id"]
        indexes = [models.Index(fields=["organisation", "state"])]

    def __str__(self) -> str:
        return self.title

    @property
    def is_working(self) -> bool:
        return self.state in WORKING_STATES

    @property
    def is_released(self) -> bool:
        return self.state in RELEASED_STATES


class Scenario(models.Model):
    """A risk scenario: how an attacker or an accident reaches the harm, step by step."""

    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE,
                                   related_name="scenarios")
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.title


class ScenarioStep(models.Model):
    scenario = models.ForeignKey(Scenario, on_delete=models.CASCADE, related_name="steps")
    order = models.PositiveIntegerField(pgettext_lazy("evaluation", "order"))
    phase = models.CharField(_("time or phase"), max_length=100, blank=True)
    actor = models.CharField(_("actor"), max_length=100, blank=True)
    action = models.CharField(_("action"), max_length=300)
    resource = models.CharField(_("resource"), max_length=200, blank=True)

    class Meta:
        ordering = ["order", "id"]
        constraints = [models.UniqueConstraint(fields=["scenario", "order"],
                                               name="evaluation_step_order_unique")]

    def __str__(self) -> str:
        return f"{self.order}. {self.action}"


class Checklist(models.Model):
    """A checklist template copied into one evaluation; later template edits do not reach it."""

    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE,
                                   related_name="checklists")
    template = models.ForeignKey(ChecklistTemplate, on_delete=models.SET_NULL, null=True,
                                 blank=True, related_name="+")
    name = models.CharField(_("name"), max_length=200)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.name


class VerificationItem(models.Model):
    """A verification item (検証項目): what to check and how; under a scenario or a checklist."""

    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="items")
    scenario = models.ForeignKey(Scenario, on_delete=models.CASCADE, null=True, blank=True,
                                 related_name="items")
    step = models.ForeignKey(ScenarioStep, on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="items", verbose_name=_("scenario step"))
    checklist = models.ForeignKey(Checklist, on_delete=models.CASCADE, null=True, blank=True,
                                  related_name="items")
    position = models.PositiveIntegerField(default=0)
    category = models.CharField(_("category"), max_length=100, blank=True)
    text = models.CharField(_("what to check"), max_length=500)
    method = models.CharField(_("method"), max_length=20, choices=Method.choices)
    # The result of the latest activity, kept here so lists need no subquery.
    result = models.CharField(_("result"), max_length=20, choices=Result.choices, blank=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [models.CheckConstraint(
            condition=(models.Q(scenario__isnull=False, checklist__isnull=True)
                       | models.Q(scenario__isnull=True, checklist__isnull=False)),
            name="evaluation_item_in_scenario_or_checklist")]

    def __str__(self) -> str:
        return self.text


class Activity(models.Model):
    """One interview, document review, site visit or technical check of one item."""

    item = models.ForeignKey(VerificationItem, on_delete=models.CASCADE,
                             related_name="activities")
    conducted_on = models.DateField(_("date"))
    method = models.CharField(_("method"), max_length=20, choices=Method.choices)
    participants = models.CharField(_("who took part"), max_length=300, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    result = models.CharField(_("result"), max_length=20, choices=Result.choices)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                    null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["conducted_on", "id"]


def evidence_path(instance: "Evidence", filename: str) -> str:
    # The stored name never comes from the uploader.
    return f"evaluations/{timezone.now():%Y/%m}/{uuid.uuid4().hex}"


class Evidence(models.Model):
    """A file kept with an activity (a photo of a site, a reviewed document)."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="evidence")
    file = models.FileField(upload_to=evidence_path)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                    null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]


class Finding(models.Model):
    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE,
                                   related_name="findings")
    number = models.PositiveIntegerField()  # 1, 2, … within the evaluation
    item = models.ForeignKey(VerificationItem, on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="findings", verbose_name=_("verification item"))
    title = models.CharField(_("title"), max_length=200)
    severity = models.CharField(_("severity"), max_length=20, choices=Severity.choices)
    description = models.TextField(_("description"))
    proposal = models.TextField(_("improvement proposal"))
    due_date = models.DateField(_("due date"))
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                              blank=True, related_name="evaluation_findings",
                              verbose_name=pgettext_lazy("evaluation", "owner"))
    state = models.CharField(_("state"), max_length=20, choices=FindingState.choices,
                             default=FindingState.OPEN)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["number"]
        constraints = [models.UniqueConstraint(fields=["evaluation", "number"],
                                               name="evaluation_finding_number_unique")]
        indexes = [models.Index(fields=["state", "due_date"])]

    def __str__(self) -> str:
        return f"#{self.number} {self.title}"

    @property
    def code(self) -> str:
        return f"F-{self.number}"

    def is_overdue(self, today) -> bool:
        return self.state != FindingState.CLOSED and self.due_date < today


class FindingUpdate(models.Model):
    """The follow-up history of a finding: progress, reported fixes, the centre's verdicts."""

    class Kind(models.TextChoices):
        PROGRESS = "progress", _("Progress report")
        FIX_REPORTED = "fix_reported", _("Fix reported")
        CLOSED = "closed", _("Verified and closed")
        REOPENED = "reopened", _("Reopened")
        COMMENT = "comment", _("Comment by the centre")

    finding = models.ForeignKey(Finding, on_delete=models.CASCADE, related_name="updates")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    note = models.TextField(blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                               related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
