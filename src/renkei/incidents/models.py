"""The consultation window (reports and their threads) and the centre's case handling.

A report IS a topic in the consultation window, posted with a chosen audience (the centre, the
reporter's organisation and the bodies it names), so the visibility rule in `sharing` decides
who reads the report and its thread. `Report` holds the structured fields beside that topic.
Everything from `Case` down is the centre's own and never leaves it (see
`sharing/incident_visibility.py`), except a `SupportRequest`, which is again a topic of its own
with the centre, one agency and, if allowed, the victim as its audience.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from renkei.accounts.models import Organisation
from renkei.communities.models import Topic

# --- the report --------------------------------------------------------------------------------


class ReportKind(models.TextChoices):
    REPORT = "report", _("Incident report")
    CONSULTATION = "consultation", _("Consultation")
    SUPPORT_REQUEST = "support_request", _("Support request")


class EventEffect(models.TextChoices):
    NONE = "none", _("None")
    POSSIBLE = "possible", _("Possible")
    YES = "yes", _("Yes")
    UNKNOWN = "unknown", _("Unknown")


class PublicExposure(models.TextChoices):
    NO = "no", _("Not public")
    MAY_BECOME = "may_become", _("May become public")
    MEDIA = "media", _("Already public: media")
    SNS = "sns", _("Already public: SNS")


# Escalated to the security coordination centre (AM/PM report): affects the event, or public.
ESCALATING_EFFECTS = frozenset({EventEffect.YES, EventEffect.POSSIBLE})


def is_escalated(affects_event: str, public_exposure: str) -> bool:
    return affects_event in ESCALATING_EFFECTS or public_exposure != PublicExposure.NO


class Report(models.Model):
    """The structured fields of one report; its title, body, audience, TLP and thread are the
    topic's."""

    topic = models.OneToOneField(Topic, on_delete=models.CASCADE, related_name="incident_report")
    kind = models.CharField(_("kind of report"), max_length=20, choices=ReportKind.choices)
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                 related_name="+")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT,
                                     related_name="incident_reports")
    what_happened = models.TextField(_("what happened"))
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    noticed_at = models.DateTimeField(_("noticed at"), null=True, blank=True)
    affected_systems = models.TextField(_("affected services and systems"), blank=True)
    event_effect = models.CharField(_("effect on the event"), max_length=10,
                                    choices=EventEffect.choices, default=EventEffect.UNKNOWN)
    public_exposure = models.CharField(_("public exposure"), max_length=12,
                                       choices=PublicExposure.choices, default=PublicExposure.NO)
    current_state = models.TextField(_("current state and actions taken"), blank=True)
    help_wanted = models.TextField(_("help wanted"), blank=True)
    contacts = models.TextField(_("contacts"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("report")
        verbose_name_plural = _("reports")

    def __str__(self) -> str:
        return f"{self.topic.public_id} {self.topic.title}"


class ThreadRead(models.Model):
    """When each organisation first and last read a report's or support request's thread, so
    every side sees that the others have read it."""

    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="+")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    first_read_at = models.DateTimeField()
    last_read_at = models.DateTimeField()
    last_reader = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                    null=True, related_name="+")

    class Meta:
        ordering = ["first_read_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["topic", "organisation"], name="unique_thread_read")
        ]


# --- the centre's case -------------------------------------------------------------------------


class Classification(models.Model):
    """The editable list of incident classes (seeded by migration 0002)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_ja = models.CharField(_("Japanese name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100)
    order = models.PositiveIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("classification")
        verbose_name_plural = _("classifications")

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.name_en if (get_language() or "ja").startswith("en") else self.name_ja


class Severity(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")
    CRITICAL = "critical", _("Critical")


class CaseState(models.TextChoices):
    NEW = "new", _("New")
    TRIAGED = "triaged", _("Triaged")
    IN_PROGRESS = "in_progress", _("In progress")
    MONITORING = "monitoring", _("Monitoring")
    CLOSED = "closed", _("Closed")
    DUPLICATE = "duplicate", _("Duplicate")
    NOT_INCIDENT = "not_incident", _("Not an incident")


# A case in one of these is finished: the report is frozen and no targets run.
FINISHED_STATES = frozenset({CaseState.CLOSED, CaseState.DUPLICATE, CaseState.NOT_INCIDENT})
OPEN_STATES = tuple(s for s in CaseState.values if s not in FINISHED_STATES)


class Case(models.Model):
    """One report as the centre tracks it to the end (the Games' centre used JIRA for this)."""

    report = models.OneToOneField(Report, on_delete=models.CASCADE, related_name="case")
    # Copied from the report so lists, filters and statistics need no join.
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(_("title"), max_length=200)
    state = models.CharField(_("state"), max_length=15, choices=CaseState.choices,
                             default=CaseState.NEW)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices,
                                default=Severity.MEDIUM)
    classification = models.ForeignKey(Classification, verbose_name=_("classification"),
                                       on_delete=models.PROTECT, null=True, blank=True,
                                       related_name="cases")
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("assignee"),
                                 on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="assigned_cases")
    affects_event = models.CharField(_("effect on the event"), max_length=10,
                                     choices=EventEffect.choices, default=EventEffect.UNKNOWN)
    public_exposure = models.CharField(_("public exposure"), max_length=12,
                                       choices=PublicExposure.choices, default=PublicExposure.NO)
    # Derived from the two above (is_escalated) and kept by the services, so it can be indexed.
    escalated = models.BooleanField(_("escalated"), default=False)
    duplicate_of = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True,
                                     related_name="duplicates")
    opened_at = models.DateTimeField(_("opened"), default=timezone.now)
    first_response_at = models.DateTimeField(_("first response"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    # Optimistic locking: every change names the version it was made on.
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-updated_at", "-id"]
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        indexes = [
            models.Index(fields=["-updated_at", "-id"], name="case_latest"),
            models.Index(fields=["state", "-updated_at", "-id"], name="case_state_latest"),
            models.Index(fields=["assignee", "-updated_at"], name="case_assignee_latest"),
            models.Index(fields=["-updated_at", "-id"], name="case_open_latest",
                         condition=Q(state__in=["new", "triaged", "in_progress", "monitoring"])),
            models.Index(fields=["-updated_at", "-id"], name="case_escalated_latest",
                         condition=Q(escalated=True)),
            models.Index(fields=["opened_at"], name="case_opened"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    @property
    def reference(self) -> str:
        return f"INC-{self.pk:06d}" if self.pk else "INC-?"

    @property
    def is_finished(self) -> bool:
        return self.state in FINISHED_STATES


class CaseEvent(models.Model):
    """The case's timeline: who changed what, when, from what to what."""

    class Kind(models.TextChoices):
        OPENED = "opened", _("Opened")
        STATE = "state", _("State")
        SEVERITY = "severity", _("Severity")
        CLASSIFICATION = "classification", _("Classification")
        ASSIGNEE = "assignee", _("Assignee")
        EFFECT = "affects_event", _("Effect on the event")
        EXPOSURE = "public_exposure", _("Public exposure")
        ESCALATION = "escalated", _("Escalation")
        FIRST_RESPONSE = "first_response", _("First response")
        REPORT_EDITED = "report_edited", _("Report edited")
        NOTE = "note", _("Internal note")
        TASK = "task", _("Task")
        LINK = "link", _("Link")
        MERGE = "merge", _("Merge")
        SUPPORT = "support_request", _("Support request")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                              related_name="+")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    old = models.CharField(max_length=200, blank=True)
    new = models.CharField(max_length=200, blank=True)
    text = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["case", "at"], name="case_event_timeline")]


class CaseNote(models.Model):
    """An internal note: the centre's only, never in the thread, never exported to others."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                               related_name="+")
    body = models.TextField(_("note"))
    body_html = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]


class TaskKind(models.TextChoices):
    TASK = "task", _("Task")
    TAKEDOWN = "takedown", _("Takedown")


class TakedownTarget(models.TextChoices):
    PHISHING = "phishing", _("Phishing site")
    C2 = "c2", _("C2 server")
    FAKE_STREAM = "fake_stream", _("Fake live-stream site")


class CaseTask(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="tasks")
    kind = models.CharField(_("kind"), max_length=10, choices=TaskKind.choices,
                            default=TaskKind.TASK)
    title = models.CharField(_("task"), max_length=200)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("owner"),
                              on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    # Takedowns only.
    target = models.CharField(_("target URL or host"), max_length=500, blank=True)
    target_kind = models.CharField(_("kind of target"), max_length=15,
                                   choices=TakedownTarget.choices, blank=True)
    hosting_provider = models.CharField(_("hosting provider"), max_length=200, blank=True)
    requested_at = models.DateTimeField(_("takedown requested"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["done_at", "due_at", "id"]


class CaseLink(models.Model):
    """Two related cases (stored once; either side shows it)."""

    from_case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="links_out")
    to_case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="links_in")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["from_case", "to_case"], name="unique_case_link"),
            models.CheckConstraint(condition=~Q(from_case=models.F("to_case")),
                                   name="case_link_not_to_itself"),
        ]


class ResponseTarget(models.Model):
    """How fast the centre means to answer and to close, by severity (configurable)."""

    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices,
                                unique=True)
    first_response_minutes = models.PositiveIntegerField(_("first response within (minutes)"))
    close_hours = models.PositiveIntegerField(_("closed within (hours)"))

    class Meta:
        ordering = ["id"]


class SupportKind(models.TextChoices):
    MALWARE_ANALYSIS = "malware_analysis", _("Malware analysis")
    REMOTE_ADVICE = "remote_advice", _("Remote advice")
    ON_SITE = "on_site", _("On-site help")
    SITE_OUTAGE = "site_outage", _("Cause of a site outage")


class SupportRequest(models.Model):
    """The centre asks one agency for help; its own topic (centre + agency [+ victim]) carries
    only what the centre chose to share, and the agency answers there."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="support_requests")
    agency = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind of support"), max_length=20, choices=SupportKind.choices)
    topic = models.OneToOneField(Topic, on_delete=models.CASCADE,
                                 related_name="incident_support_request")
    victim_may_read = models.BooleanField(_("the reporting organisation may read"),
                                          default=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]


class DutyLogEntry(models.Model):
    """The duty officer's log, and shift handover notes, for 24-hour operation."""

    class Kind(models.TextChoices):
        ENTRY = "entry", _("Log entry")
        HANDOVER = "handover", _("Shift handover")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.ENTRY)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                               related_name="+")
    body = models.TextField(_("entry"))
    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.SET_NULL, null=True,
                             blank=True, related_name="duty_log")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["-at", "-id"], name="duty_log_latest")]


# --- the emergency contacts directory ---------------------------------------------------------


class EmergencyContact(models.Model):
    """Whom to call when a report must be followed by a call; each organisation's admins keep
    their own rows current and confirm them."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE,
                                     related_name="emergency_contacts")
    name = models.CharField(_("name"), max_length=150)
    role = models.CharField(_("role"), max_length=150, blank=True)
    phone = models.CharField(_("phone"), max_length=50, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    hours = models.CharField(_("hours"), max_length=100, blank=True)
    order = models.PositiveIntegerField(_("order"), default=0)
    updated_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(_("last confirmed"), null=True, blank=True)
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                     null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["organisation__name", "order", "id"]
        verbose_name = _("emergency contact")
        verbose_name_plural = _("emergency contacts")

    def __str__(self) -> str:
        return f"{self.organisation}: {self.name}"

