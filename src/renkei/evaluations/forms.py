"""Forms for evaluation pages: they parse input; the services decide and write.

Fields the services check (due dates, steps, owners) are not required here, so the person reads
the service's one clear message rather than a generic "this field is required".
"""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from renkei.accounts.models import CentreRole, Organisation, OrganisationKind, User
from renkei.communities.forms import MultipleFileField
from renkei.errors import ServiceError
from renkei.evaluations.models import (
    ChecklistTemplate,
    Evaluation,
    Method,
    Result,
    Severity,
    VerificationItem,
)
from renkei.evaluations.services import StepInput, TemplateItemInput


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return obj.display_name


class PeopleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return obj.display_name


def assessors():
    return User.objects.filter(
        is_active=True, organisation__kind=OrganisationKind.CENTRE, organisation__is_active=True,
        role_assignments__role=CentreRole.RISK_ASSESSOR,
    ).select_related("organisation").distinct()


class EvaluationForm(forms.Form):
    organisation = forms.ModelChoiceField(
        label=_("Organisation or venue evaluated"),
        queryset=Organisation.objects.filter(is_active=True).exclude(
            kind=OrganisationKind.CENTRE))
    title = forms.CharField(label=_("Title"), max_length=200)
    scope = forms.CharField(label=_("Scope"), widget=forms.Textarea(attrs={"rows": 3}),
                            required=False)
    period_start = forms.DateField(label=_("Period from"), widget=DateInput())
    period_end = forms.DateField(label=_("Period to"), widget=DateInput())
    evaluators = PeopleChoiceField(label=_("Evaluators"), queryset=User.objects.none(),
                                   required=False)
    summary = forms.CharField(label=_("Summary for the report"), required=False,
                              widget=forms.Textarea(attrs={"rows": 5}))

    def __init__(self, *args, editing: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["evaluators"].queryset = assessors()
        if editing:
            del self.fields["organisation"]
        else:
            del self.fields["summary"]


class StepForm(forms.Form):
    id = forms.IntegerField(widget=forms.HiddenInput, required=False)
    order = forms.IntegerField(label=_("No."), required=False, min_value=0,
                               widget=forms.NumberInput(attrs={"class": "evaluations-order"}))
    phase = forms.CharField(label=_("Time or phase"), max_length=100, required=False)
    actor = forms.CharField(label=_("Actor"), max_length=100, required=False)
    action = forms.CharField(label=pgettext_lazy("evaluation", "Action"), max_length=300,
                             required=False)
    resource = forms.CharField(label=_("Resource acted on"), max_length=200, required=False)

    def step(self) -> StepInput:
        data = self.cleaned_data
        return StepInput(order=data.get("order"), action=data.get("action", ""),
                         phase=data.get("phase", ""), actor=data.get("actor", ""),
                         resource=data.get("resource", ""), id=data.get("id"))


StepFormSet = forms.formset_factory(StepForm, extra=3, max_num=50, absolute_max=60)


class ScenarioForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(label=_("Description"), required=False,
                                  widget=forms.Textarea(attrs={"rows": 3}))


class ItemForm(forms.Form):
    category = forms.CharField(label=_("Category"), max_length=100, required=False)
    text = forms.CharField(label=_("What to check"), max_length=500)
    method = forms.ChoiceField(label=_("How"), choices=Method.choices)
    step = forms.ModelChoiceField(label=_("Scenario step"), queryset=None, required=False)

    def __init__(self, *args, scenario=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if scenario is None:
            del self.fields["step"]
        else:
            self.fields["step"].queryset = scenario.steps.all()


class ActivityForm(forms.Form):
    conducted_on = forms.DateField(label=_("Date"), widget=DateInput())
    method = forms.ChoiceField(label=_("Method"), choices=Method.choices)
    participants = forms.CharField(label=_("Who took part"), max_length=300, required=False)
    result = forms.ChoiceField(label=_("Result"), choices=Result.choices)
    notes = forms.CharField(label=_("Notes"), required=False,
                            widget=forms.Textarea(attrs={"rows": 4}))
    files = MultipleFileField(label=_("Evidence files"))


class FindingForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    severity = forms.ChoiceField(label=_("Severity"), choices=Severity.choices,
                                 initial=Severity.MEDIUM)
    description = forms.CharField(label=_("Description"),
                                  widget=forms.Textarea(attrs={"rows": 4}))
    proposal = forms.CharField(label=_("Improvement proposal"),
                               widget=forms.Textarea(attrs={"rows": 4}))
    due_date = forms.DateField(label=_("Due date"), widget=DateInput(), required=False)
    owner = PersonChoiceField(label=_("Owner at the organisation"), queryset=None,
                              required=False)
    item = forms.ModelChoiceField(label=_("Verification item"), queryset=None, required=False)

    def __init__(self, *args, evaluation: Evaluation, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = User.objects.filter(
            organisation_id=evaluation.organisation_id, is_active=True
        ).select_related("organisation")
        self.fields["item"].queryset = VerificationItem.objects.filter(evaluation=evaluation)


class NoteForm(forms.Form):
    note = forms.CharField(label=pgettext_lazy("evaluation", "Note"), required=False,
                           widget=forms.Textarea(attrs={"rows": 3}))


class TemplateForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    description = forms.CharField(label=_("Description"), required=False,
                                  widget=forms.Textarea(attrs={"rows": 2}))
    items = forms.CharField(
        label=_("Items"), widget=forms.Textarea(attrs={"rows": 12}),
        help_text=_("One item a line: category | what to check | method (interview, document, "
                    "site_visit or technical; document if left out). The category may be "
                    "left out too."))

    def clean_items(self) -> list[TemplateItemInput]:
        items = []
        for number, line in enumerate(self.cleaned_data["items"].splitlines(), start=1):
            if not line.strip():
                continue
            parts = [p.strip() for p in line.split("|")]
            if len(parts) == 1:
                parts = ["", parts[0]]
            if len(parts) > 3:
                raise forms.ValidationError(
                    _("Line %(n)d has more than three parts.") % {"n": number})
            method = parts[2] if len(parts) == 3 and parts[2] else Method.DOCUMENT
            if method not in Method.values:
                raise forms.ValidationError(
                    _("Line %(n)d: unknown method %(method)s.") % {"n": number, "method": method})
            items.append(TemplateItemInput(text=parts[1], category=parts[0], method=method))
        return items

    @staticmethod
    def items_text(template: ChecklistTemplate) -> str:
        return "\n".join(f"{i.category} | {i.text} | {i.method}" for i in template.items.all())


def step_inputs(formset) -> list[StepInput]:
    if not formset.is_valid():
        raise ServiceError(_("Check the steps: order numbers are whole numbers."))
    return [form.step() for form in formset.forms if form.cleaned_data]
