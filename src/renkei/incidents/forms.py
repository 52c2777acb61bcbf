"""Forms for the consultation window and case pages: they parse input; the services decide."""

from django import forms
from django.utils.translation import gettext_lazy as _

from renkei.accounts.models import User
from renkei.communities.forms import MultipleFileField
from renkei.incidents import services
from renkei.incidents.models import (
    CaseState,
    Classification,
    DutyLogEntry,
    EventEffect,
    PublicExposure,
    ReportKind,
    Severity,
    SupportKind,
    TakedownTarget,
    TaskKind,
)
from renkei.sharing.models import TLP

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs) -> None:
        super().__init__(format=DATETIME_FORMAT, **kwargs)


def _datetime(label, required=False) -> forms.DateTimeField:
    return forms.DateTimeField(label=label, required=required, widget=DateTimeLocalInput(),
                               input_formats=[DATETIME_FORMAT, "%Y-%m-%d %H:%M",
                                              "%Y-%m-%d %H:%M:%S"])


class AnyIdsField(forms.MultipleChoiceField):
    """Offers choices but passes any submitted id on: the service refuses unknown ones with a
    message that says why."""

    def valid_value(self, value) -> bool:
        return True


class UserChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return obj.name


class ReportForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind of report"), choices=ReportKind.choices,
                             widget=forms.RadioSelect, initial=ReportKind.REPORT)
    title = forms.CharField(label=_("Title"), max_length=services.SHORT_MAX)
    what_happened = forms.CharField(label=_("What happened"), widget=forms.Textarea,
                                    max_length=services.TEXT_MAX)
    started_at = _datetime(_("Started at"))
    noticed_at = _datetime(_("Noticed at"))
    affected_systems = forms.CharField(label=_("Affected services and systems"), required=False,
                                       widget=forms.Textarea(attrs={"rows": 3}),
                                       max_length=services.TEXT_MAX)
    event_effect = forms.ChoiceField(label=_("Effect on the event"), choices=EventEffect.choices,
                                     initial=EventEffect.UNKNOWN)
    public_exposure = forms.ChoiceField(label=_("Public exposure"),
                                        choices=PublicExposure.choices, initial=PublicExposure.NO)
    current_state = forms.CharField(label=_("Current state and actions taken"), required=False,
                                    widget=forms.Textarea(attrs={"rows": 3}),
                                    max_length=services.TEXT_MAX)
    help_wanted = forms.CharField(label=_("Help wanted"), required=False,
                                  widget=forms.Textarea(attrs={"rows": 3}),
                                  max_length=services.TEXT_MAX)
    contacts = forms.CharField(label=_("Contacts"), required=False,
                               widget=forms.Textarea(attrs={"rows": 2}), max_length=2000,
                               help_text=_("Who the centre may call back, and how."))
    tlp = forms.ChoiceField(label="TLP", choices=TLP.choices, initial=TLP.AMBER)
    named = AnyIdsField(label=_("Also send to"), required=False,
                        widget=forms.CheckboxSelectMultiple,
                        help_text=_("The centre and your organisation always receive it."))
    attachments = MultipleFileField(label=_("Attachments"))

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["named"].choices = [
            (str(o.pk), f"{o.name} ({o.get_kind_display()})")
            for o in services.recipient_choices(user)]

    def report_input(self) -> services.ReportInput:
        data = self.cleaned_data
        return services.ReportInput(**{name: data[name] for name in (
            "kind", "title", "what_happened", "started_at", "noticed_at", "affected_systems",
            "event_effect", "public_exposure", "current_state", "help_wanted", "contacts",
            "tlp")})

    @classmethod
    def initial_for(cls, report) -> dict:
        initial = {name: getattr(report, name) for name in services.REPORT_FIELDS}
        initial["title"] = report.topic.title
        initial["tlp"] = report.topic.tlp
        initial["named"] = [str(pk) for pk in report.topic.audience_organisations.values_list(
            "pk", flat=True)]
        for name in ("started_at", "noticed_at"):
            if initial[name]:
                from django.utils import timezone

                initial[name] = timezone.localtime(initial[name]).strftime(DATETIME_FORMAT)
        return initial


class CommentForm(forms.Form):
    body = forms.CharField(label=_("Update, question or answer"), widget=forms.Textarea(
        attrs={"rows": 4}), max_length=20_000)
    attachments = MultipleFileField(label=_("Attachments"))


class StateField(forms.ChoiceField):
    """Offers the states the user may move to; passes any real state on, so a forged or stale
    choice reaches the service, which says why it is refused."""

    def valid_value(self, value) -> bool:
        return value in CaseState.values


class CaseForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    state = StateField(label=_("State"))
    severity = forms.ChoiceField(label=_("Severity"), choices=Severity.choices)
    classification = forms.ModelChoiceField(
        label=_("Classification"), required=False,
        queryset=Classification.objects.filter(is_active=True))
    assignee = UserChoice(label=_("Assignee"), required=False, queryset=User.objects.none())
    affects_event = forms.ChoiceField(label=_("Effect on the event"),
                                      choices=EventEffect.choices)
    public_exposure = forms.ChoiceField(label=_("Public exposure"),
                                        choices=PublicExposure.choices)

    def __init__(self, *args, case, allowed_states, **kwargs) -> None:
        kwargs.setdefault("initial", {
            "version": case.version, "state": case.state, "severity": case.severity,
            "classification": case.classification_id, "assignee": case.assignee_id,
            "affects_event": case.affects_event, "public_exposure": case.public_exposure,
        })
        super().__init__(*args, **kwargs)
        self.fields["state"].choices = [(s, CaseState(s).label)
                                        for s in [case.state, *allowed_states]]
        self.fields["assignee"].queryset = services.case_handlers()


class NoteForm(forms.Form):
    body = forms.CharField(label=_("Internal note"), widget=forms.Textarea(attrs={"rows": 3}),
                           max_length=services.TEXT_MAX)


class TaskForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=TaskKind.choices, initial=TaskKind.TASK)
    title = forms.CharField(label=_("Task"), max_length=services.SHORT_MAX)
    owner = UserChoice(label=_("Owner"), required=False, queryset=User.objects.none())
    due_at = _datetime(_("Due"))
    target = forms.CharField(label=_("Target URL or host"), required=False, max_length=500)
    target_kind = forms.ChoiceField(label=_("Kind of target"), required=False,
                                    choices=[("", "---------"), *TakedownTarget.choices])
    hosting_provider = forms.CharField(label=_("Hosting provider"), required=False,
                                       max_length=services.SHORT_MAX)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = services.case_handlers()


class CaseReferenceField(forms.CharField):
    """`INC-000123`, `123` or `#123`."""

    def to_python(self, value):
        value = (super().to_python(value) or "").strip().upper().removeprefix("INC-")
        value = value.lstrip("#")
        if not value.isdigit() or len(value) > 12:
            raise forms.ValidationError(_("Give a case number such as INC-000123."))
        return int(value)


class LinkForm(forms.Form):
    other = CaseReferenceField(label=_("Related case"))


class MergeForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    into = CaseReferenceField(label=_("Duplicate of"))


class SupportRequestForm(forms.Form):
    agencies = forms.ModelMultipleChoiceField(label=_("Agencies to ask"), queryset=None,
                                              widget=forms.CheckboxSelectMultiple)
    kind = forms.ChoiceField(label=_("Kind of support"), choices=SupportKind.choices)
    title = forms.CharField(label=_("Title"), max_length=services.SHORT_MAX - 10)
    body = forms.CharField(label=_("What the agency is told"), widget=forms.Textarea,
                           max_length=services.TEXT_MAX,
                           help_text=_("Only this text and the files chosen below go to the "
                                       "agency; nothing else of the case."))
    files = forms.MultipleChoiceField(label=_("Files of the report to share"), required=False,
                                      widget=forms.CheckboxSelectMultiple)
    victim_may_read = forms.BooleanField(
        label=_("The reporting organisation may read the agency's thread"), required=False)
    tlp = forms.ChoiceField(label="TLP", choices=TLP.choices)

    def __init__(self, *args, case, **kwargs) -> None:
        kwargs.setdefault("initial", {"tlp": case.report.topic.tlp, "title": case.title})
        super().__init__(*args, **kwargs)
        self.fields["agencies"].queryset = services.agencies().order_by("name")
        self.fields["files"].choices = [
            (str(a.pk), a.original_name) for a in case.report.topic.attachments.all()]


class DutyLogForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=DutyLogEntry.Kind.choices)
    body = forms.CharField(label=_("Entry"), widget=forms.Textarea(attrs={"rows": 3}),
                           max_length=services.TEXT_MAX)
    case = CaseReferenceField(label=_("Case (optional)"), required=False)

    def clean_case(self):
        return self.cleaned_data.get("case") if self.data.get("case") else None


class ContactForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=150)
    role = forms.CharField(label=_("Role"), max_length=150, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=50, required=False)
    email = forms.EmailField(label=_("E-mail"), required=False)
    hours = forms.CharField(label=_("Hours"), max_length=100, required=False,
                            help_text=_("e.g. 24 hours, or weekdays 9:00–18:00"))
    order = forms.IntegerField(label=_("Order"), min_value=0, initial=0, required=False)


class TargetForm(forms.Form):
    severity = forms.ChoiceField(choices=Severity.choices, widget=forms.HiddenInput)
    first_response_minutes = forms.IntegerField(label=_("First response within (minutes)"),
                                                min_value=1, max_value=100_000)
    close_hours = forms.IntegerField(label=_("Closed within (hours)"), min_value=1,
                                     max_value=100_000)


class ClassificationForm(forms.Form):
    code = forms.SlugField(label=_("Code"), max_length=40)
    name_ja = forms.CharField(label=_("Japanese name"), max_length=100)
    name_en = forms.CharField(label=_("English name"), max_length=100)
    order = forms.IntegerField(label=_("Order"), min_value=0, initial=100)
    is_active = forms.BooleanField(label=_("In use"), required=False, initial=True)
